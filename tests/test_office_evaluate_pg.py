"""`dws evaluate` on an office store on a real PostgreSQL server (issue 19): the same findings as the local store
for the same data (the differential world of the golden and reference-evaluator tests, imported into both), in
one process and on the worker processes; the evaluation recorded sealed in the office in one transaction, with
the preparer's claim; the working copy's folder gone on every exit path; an auditor's evaluation recorded nowhere;
a server lost mid-evaluation leaves nothing half-written."""

from __future__ import annotations

import gc
import os
import re
import signal
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import psycopg
import pytest
from differential_gen import AS_OF, World, generate, load_into
from officerequests import CANARY_SUBJECT, canary_requests
from pgserver import PgServer

from workstation.errors import InputError, PermissionDenied, StoreError, TamperError
from workstation.normalize import reason_key
from workstation.office import records_seal, request_seal
from workstation.office.request_seal import ADDRESSED, SHARED_REASONS, SubjectSealer, open_document
from workstation.office.sealing import OfficeKeys
from workstation.rules.subjects import street_parts
from workstation.service import Workstation, office_requests
from workstation.service import office_evaluation as oe
from workstation.service.office_records import OfficeCtx, import_records
from workstation.service.office_requests import import_request
from workstation.store.office import requests as requests_sql
from workstation.store.office.roles import OfficeRoles, create_login, drop_roles
from workstation.store.office.schema import create_office, table_counts

OFFICE_KEY = bytes(range(32))
KEYS = OfficeKeys.derive(OFFICE_KEY)
LOGINS = (("pat", "preparer"), ("pia", "preparer"), ("aud", "auditor"), ("abe", "approver"))
SUMMARY = ("recommendation", "needs_review", "counts", "code_counts", "request_findings", "released_items",
           "findings_hash", "plan_hash", "as_of")


@dataclass
class Office:
    server: PgServer
    db: str
    conn: psycopg.Connection[tuple[object, ...]]
    roles: OfficeRoles
    opened: list[psycopg.Connection[tuple[object, ...]]]

    def login(self, name: str) -> str:
        return f"{self.roles.prefix}_{name}"

    def ctx(self, name: str = "pat") -> OfficeCtx:
        conn = psycopg.connect(self.server.conninfo(self.db, self.login(name)), autocommit=True)
        self.opened.append(conn)
        return OfficeCtx(conn, KEYS, self.login(name))

    def evaluate(self, name: str, request_id: str, as_of: date = AS_OF, summary: bool = False) -> oe.OfficeEvaluation:
        return oe.evaluate(self.ctx(name), request_id, as_of, summary=summary, roles=self.roles)

    def counts(self) -> dict[str, int]:
        found = table_counts(self.conn)
        row = self.conn.execute("SELECT count(*) FROM dws.evaluations").fetchone()
        return found | {"evaluations": int(row[0]) if row else 0}


@pytest.fixture
def office(pg_server: PgServer, pg_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[Office]:
    monkeypatch.setenv(oe.SCRATCH_ENV, str(tmp_path / "cache"))
    roles = OfficeRoles("o" + os.urandom(4).hex())
    conn = psycopg.connect(pg_server.conninfo(pg_database), autocommit=True)
    create_office(conn, roles)
    for name, role in LOGINS:
        create_login(conn, roles, f"{roles.prefix}_{name}", role)    # type: ignore[arg-type]
    office = Office(pg_server, pg_database, conn, roles, [])
    yield office
    for c in office.opened:
        c.close()
    conn.close()
    pg_server.drop_database(pg_database)
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as su:
        drop_roles(su, roles, [office.login(name) for name, _role in LOGINS])


class _IntoOffice:
    """load_into's `session` for the office: the same files through the office imports."""

    def __init__(self, o: OfficeCtx) -> None:
        self.o = o

    def import_records(self, path: Path) -> None:
        import_records(self.o, path)

    def import_request(self, path: Path) -> None:
        import_request(self.o, path)


@pytest.fixture(scope="module")
def world() -> World:
    return generate(19, 1400)


def scratch_left(tmp_path: Path) -> list[Path]:
    cache = tmp_path / "cache"
    return [p for p in cache.iterdir() if p.name != ".owner"] if cache.exists() else []


@pytest.mark.parametrize("workers", ["one process", "workers", "rows of an older desktop",
                                     "office made before address indexes"])
def test_every_request_evaluates_as_on_the_local_store(office: Office, world: World, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch, workers: str) -> None:
    """The held-out-style suite: every request of a differential world (every class the reference evaluator
    plants), imported into a local store and into the office from the same files, evaluated on both: the same
    recommendation, counts, code counts, hashes, and every subject's findings and release plan. Also when the
    office's rows were loaded by an older desktop (records without an address index: they are read the ZIP5 way;
    every other record sealed as its line alone: parsed again; subjects without an address index, every other
    one sealed as its ten values, the rest without their address index made, and request documents without the
    shared reasons: opened and counted on the desktop), and on an office made before records and subjects had an
    address index (every row as then)."""
    monkeypatch.setenv("DWS_NO_KEYRING", "1")
    if workers == "office made before address indexes":
        _office_before_address_indexes(office.conn)
        monkeypatch.setattr(records_seal, "sealed_value", lambda *values: values[-1].encode())
    elif workers == "rows of an older desktop":
        sealed, turn = records_seal.sealed_value, iter(range(10**9))
        monkeypatch.setattr(records_seal, "sealed_value",
                            lambda *values: values[-1].encode() if next(turn) % 2 else sealed(*values))
        _older_desktop_subjects(monkeypatch)
    if workers == "workers":
        monkeypatch.setenv("DWS_EVAL_WORKERS", "2")
        monkeypatch.setenv("DWS_EVAL_PARALLEL_MIN", "100")
    else:
        monkeypatch.setenv("DWS_EVAL_WORKERS", "1")
    session, _code, _notice = Workstation(tmp_path / "local").init("admin", "local admin passphrase 1",
                                                                   bind_device=False)
    with session:
        load_into(session, world, tmp_path / "files")
        load_into(_IntoOffice(office.ctx("pat")), world, tmp_path / "files-office")
        if workers == "rows of an older desktop":
            office.conn.execute("UPDATE dws.taxpayer_records SET address_index = NULL")
        compared = 0
        for req in world.requests:
            local = session.evaluate(req.request_id, AS_OF)
            local_doc = session.evaluation_document(req.request_id, local, summary=False)
            got = office.evaluate("pat", req.request_id)
            assert {k: got.doc[k] for k in SUMMARY} == {k: local[k] for k in SUMMARY}, req.request_id
            assert got.document == local_doc, req.request_id
            assert got.recorded and got.claimed_by == office.login("pat")
            compared += len(req.subjects)
        # the taxpayer of each subject matched other than by the TIN it names recorded as the local store matched
        # it (schema step 7), blind-indexed
        matched = session.conn.execute(
            "SELECT r.request_id, s.seq, substr(s.matched, 1, 9) FROM subject_results s JOIN requests r ON r.rid = "
            "s.rid JOIN subjects u ON u.rid = s.rid AND u.seq = s.seq WHERE s.matched IS NOT NULL AND "
            "substr(s.matched, 1, 9) IS NOT u.tin9").fetchall()
    recorded = office.conn.execute("SELECT q.request_id, m.seq, m.tin_index FROM dws.subject_matches m JOIN "
                                   "dws.evaluations e ON e.id = m.evaluation JOIN dws.requests q ON q.id = e.request"
                                   ).fetchall()
    assert sorted((r, s, bytes(i)) for r, s, i in recorded) == sorted((r, s, KEYS.tin_index(t)) for r, s, t in matched)
    assert len(matched) > 10, len(matched)
    assert compared == sum(len(r.subjects) for r in world.requests) >= 1400
    assert scratch_left(tmp_path) == []
    # what the office recorded opens to the same document, and the queue is 'evaluated', claimed by pat
    last = world.requests[-1].request_id
    assert {k: oe.recorded(office.ctx("pat"), last)[k] for k in SUMMARY} == {k: local[k] for k in SUMMARY}
    extras = oe.queue_extras(office.ctx("aud"))
    assert {v[0] for v in extras.values()} == {office.login("pat")}
    statuses = office.conn.execute("SELECT DISTINCT status FROM dws.requests").fetchall()
    assert statuses == [("evaluated",)]


def _older_desktop_subjects(monkeypatch: pytest.MonkeyPatch) -> None:
    """Request imports as a desktop before the subjects' address index and packed rows made them: no address
    index; every other subject sealed as its ten values' JSON (a desktop before the packed row), the others
    marked unaddressed; the document without the shared reasons."""
    turn, packed = iter(range(10**9)), request_seal.sealed_subject
    monkeypatch.setattr(request_seal, "sealed_subject", lambda row, addressed: (
        packed(row, False) if next(turn) % 2 else request_seal._DUMPS(row[:10]).encode()))
    monkeypatch.setattr(office_requests, "SubjectSealer", lambda keys, rid, addressed: SubjectSealer(keys, rid, False))
    seal = office_requests.seal_document
    monkeypatch.setattr(office_requests, "seal_document", lambda keys, rid, doc: seal(
        keys, rid, {k: v for k, v in doc.items() if k != SHARED_REASONS}))


def _office_before_address_indexes(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """The records and subjects tables as an office made before address indexes has them (and the records load's
    functions)."""
    from workstation.store.office import records as records_sql
    older = {name: ddl for name, ddl in records_sql.INDEXES.items() if "address_index" not in ddl}
    conn.execute("DROP INDEX dws.taxpayer_records_address, dws.taxpayer_records_unaddressed")
    conn.execute("ALTER TABLE dws.taxpayer_records DROP COLUMN address_index")
    conn.execute("ALTER TABLE dws.request_subjects DROP COLUMN address_index")
    for statement in records_sql._load_functions(older):      # as steps 1 to 3 made them
        conn.execute(statement)


def _import_canaries(office: Office, tmp_path: Path) -> list[str]:
    from test_office_records_pg import canary_rows, other_rows, write
    import_records(office.ctx(), write(tmp_path / "records.csv", canary_rows() + other_rows(50)))
    return [import_request(office.ctx(), p).ident or "" for p in canary_requests(tmp_path / "requests")]


def test_no_canary_in_the_dump_after_an_evaluation(office: Office, tmp_path: Path) -> None:
    from test_office_records_pg import canary_spellings, spellings
    ids = _import_canaries(office, tmp_path)
    for rid in ids:
        office.evaluate("pat", rid)
    assert office.counts()["evaluations"] == 2
    dump = subprocess.run([str(office.server.bin / "pg_dump"), "-h", str(office.server.socket_dir), "-p",
                           str(office.server.port), "-U", "postgres", "--no-owner", office.db],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    assert "COPY dws.evaluations" in dump and "COPY dws.subject_matches" in dump
    decoded = b"".join(bytes.fromhex(h) for h in re.findall(r"\\\\x([0-9a-f]+)", dump)).decode("latin-1")
    plain = re.sub(r"\\\\x[0-9a-f]+", "", dump)      # (a canary of digits would turn up in random hex)
    leaks = [s for s in spellings() + canary_spellings() for hay in (plain.lower(), decoded.lower())
             if s.lower() in hay]
    assert leaks == []
    assert CANARY_SUBJECT["case_no"] not in dump


def test_a_subjects_address_index_is_made_at_import_and_bound(office: Office, tmp_path: Path) -> None:
    """A request import makes each subject's address index (the MATCH check's address key, under the office's
    index key: the server joins it to the records' itself) and seals the row as the working copy stores it, bound
    to that index; the document carries the shared reasons. A server that takes the index away, or gives a
    subject another's, or changes a record's index, makes the evaluation stop as tampered with, recording
    nothing and leaving no working copy."""
    ids = _import_canaries(office, tmp_path)
    rid = int(office.conn.execute("SELECT id FROM dws.requests WHERE request_id = %s", (ids[1],)).fetchone()[0])
    rows = requests_sql.sealed_subjects(office.conn, rid)
    place = requests_sql.SUBJECT_COLUMNS.index("address_index")
    opener = KEYS.bound_opener(requests_sql.SUBJECTS_TABLE)
    street = 0
    for row in rows:
        values = request_seal.open_subject(KEYS, row)
        want = KEYS.indexer("address")(street_parts(*values[3:7])[1]) if values[3] else None
        assert row[place] == want
        street += want is not None
        opened = opener(requests_sql.subject_row_id(rid, row[1]), request_seal.subject_binding(*row[2:7]), row[-1])
        assert opened[:1] == ADDRESSED and len(request_seal.subject_value(opened)) == 11
    assert street == len(rows) >= 20
    document = open_document(KEYS, rid, requests_sql.document(office.conn, ids[1])[1])  # type: ignore[index]
    assert dict(document[SHARED_REASONS]) == {"case file review": 40, reason_key(CANARY_SUBJECT["reason"]): 2}
    assert office.evaluate("pat", ids[1]).recorded
    before = office.counts()
    office.conn.execute("ALTER TABLE dws.request_subjects DISABLE TRIGGER USER")     # a server's own superuser
    subject = ("dws.request_subjects", "request = %(r)s AND seq = 3")
    first = office.conn.execute("SELECT min(id) FROM dws.taxpayer_records WHERE zip5_index IS NOT NULL").fetchone()
    record = ("dws.taxpayer_records", f"id = {int(first[0])}")
    for (table, where), column, value, message in (
            (subject, "address_index", "NULL", r"^subject 4 of a request .* was tampered with"),
            (subject, "address_index", "(SELECT address_index FROM dws.request_subjects WHERE request = %(r)s "
             "AND seq = 1)", r"^subject 4 of a request .* was tampered with"),
            (record, "zip5_index", "NULL", r"^taxpayer record \d+ was tampered with")):
        kept = office.conn.execute(f"SELECT {column} FROM {table} WHERE {where}", {"r": rid}).fetchone()[0]
        office.conn.execute(f"UPDATE {table} SET {column} = {value} WHERE {where}", {"r": rid})
        with pytest.raises(TamperError, match=message):
            office.evaluate("pat", ids[1])
        assert office.counts() == before and scratch_left(tmp_path) == []
        office.conn.execute(f"UPDATE {table} SET {column} = %(kept)s WHERE {where}", {"r": rid, "kept": kept})
    assert office.evaluate("pat", ids[1]).recorded


def test_a_claim_is_the_first_preparers_and_never_taken_over(office: Office, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    ids = _import_canaries(office, tmp_path)
    first = office.evaluate("pat", ids[0])
    assert first.claimed_by == office.login("pat") and first.notices == []
    other = office.evaluate("pia", ids[0])
    assert other.recorded and other.claimed_by == office.login("pat")
    assert other.notices == [f"{ids[0]} is claimed by {office.login('pat')}: your evaluation is recorded, the "
                             "claim stays theirs"]
    assert other.document == first.document          # pia sees the evaluation all the same
    # an approver's evaluation is recorded and claims nothing
    approver = office.evaluate("abe", ids[1])
    assert approver.recorded and approver.claimed_by is None
    # the server itself: nobody writes a request or an evaluation but through dws.record_evaluation, which claims
    # for a preparer only, for themselves; nobody takes a claim over, the server's superuser included
    pia = office.ctx("pia").conn
    for statement in ("UPDATE dws.requests SET claimed_by = session_user", "UPDATE dws.requests SET status = 'new'",
                      "DELETE FROM dws.evaluations", "UPDATE dws.evaluations SET recommendation = 'grant'",
                      "INSERT INTO dws.evaluations SELECT * FROM dws.evaluations"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pia.execute(statement)
    record = ("SELECT * FROM dws.record_evaluation(nextval('dws.evaluation_ids'), "
              "(SELECT id FROM dws.requests WHERE request_id = %s), '2026-11-01', 'now', 'x', 'deny', %s, %s, %s, "
              "true)")
    sealed = (b"\x01" * 40,) * 3
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="for themselves only"):
        office.ctx("abe").conn.execute(record, (ids[1], *sealed))        # an approver claims nothing
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        office.ctx("aud").conn.execute(record, (ids[1], *sealed))        # an auditor records nothing
    assert pia.execute(record, (ids[0], *sealed)).fetchone() == (office.login("pat"), False)   # not taken over
    for statement, refusal in (("UPDATE dws.requests SET claimed_by = NULL WHERE request_id = %s", "not taken over"),
                               ("UPDATE dws.requests SET claimed_by = 'pia' WHERE request_id = %s", "not taken over"),
                               ("UPDATE dws.requests SET due_on = '2099-01-01' WHERE request_id = %s",
                                "kept as imported")):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refusal):
            office.conn.execute(statement, (ids[0],))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="for themselves only"):
        office.conn.execute("UPDATE dws.requests SET claimed_by = %s WHERE request_id = %s",
                            (office.login("pia"), ids[1]))
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="kept as recorded"):
        office.conn.execute("DELETE FROM dws.evaluations")      # the superuser neither
    # subjects' matches (schema step 7): written with an evaluation by the login that records it, then kept
    (eid,), = office.conn.execute("SELECT id FROM dws.evaluations WHERE evaluated_by = %s",
                                  (office.login("pat"),)).fetchall()
    insert = "INSERT INTO dws.subject_matches VALUES (%s, 0, '\\x00000000000000000000000000000000')"
    for login, refusal in (("aud", "permission denied"), ("abe", "recorded with their evaluation"),
                           ("pat", "recorded with their evaluation")):     # pat's own, but not just now
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refusal):
            office.ctx(login).conn.execute(insert, (eid,))
    for statement in ("DELETE FROM dws.subject_matches", "UPDATE dws.subject_matches SET seq = 1",
                      "TRUNCATE dws.subject_matches", "UPDATE dws.subject_matches_since SET evaluation = 1"):
        for conn in (pia, office.ctx("aud").conn):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="kept as recorded"):
            office.conn.execute(statement)                      # the superuser neither
    assert oe.queue_extras(office.ctx("aud"))[ids[0]][0] == office.login("pat")


def test_an_auditor_evaluates_and_the_office_records_only_the_reading(office: Office, tmp_path: Path) -> None:
    """The local store lets every role read the queue (and evaluate); the office server gives an auditor read
    access only: the auditor sees the same findings, and nothing is recorded (no row, status or claim) but the
    log entries of what they read (who viewed which taxpayer's data: an auditor's reading too)."""
    ids = _import_canaries(office, tmp_path)
    before = office.counts()
    seen = office.evaluate("aud", ids[1])
    assert not seen.recorded and seen.claimed_by is None
    assert seen.notices == [f"{ids[1]}: evaluated on this desktop only: an auditor records no evaluation, status or "
                            "claim in the office (the reading is logged)"]
    after = office.counts()
    assert after.pop("office_log") > before.pop("office_log") and after == before
    read = office.conn.execute("SELECT event, object FROM dws.office_log WHERE user_name = %s ORDER BY seq",
                               (office.login("aud"),)).fetchall()
    assert read[0] == ("request-viewed", ids[1]) and set(read[1:]) <= {("candidates-viewed", ids[1])}, read
    assert office.evaluate("pat", ids[1]).document == seen.document


def test_an_unknown_request_and_the_working_copy_on_every_exit(office: Office, tmp_path: Path) -> None:
    _import_canaries(office, tmp_path)
    before = office.counts()
    with pytest.raises(InputError, match="no request 'NOPE-1' in the store"):
        office.evaluate("pat", "NOPE-1")
    assert scratch_left(tmp_path) == [] and office.counts() == before
    with pytest.raises(PermissionDenied):
        oe.evaluate(OfficeCtx(office.conn, KEYS, "root"), "NOPE-1", AS_OF, summary=True,
                    roles=OfficeRoles("zz" + os.urandom(3).hex()))


def test_a_server_lost_mid_evaluation_records_nothing(office: Office, tmp_path: Path) -> None:
    """The connection ends while the working copy is evaluated (the server ends the session, as a restart
    does): one message, nothing recorded, the working copy gone; evaluating again works."""
    ids = _import_canaries(office, tmp_path)
    before = office.counts()
    o = office.ctx("pat")
    pid = o.conn.info.backend_pid

    def cut(done: int, total: int | None) -> None:
        office.conn.execute("SELECT pg_terminate_backend(%s)", (pid,))

    with pytest.raises(StoreError, match=r"^office server unreachable: .* nothing was recorded"):
        oe.evaluate(o, ids[1], AS_OF, summary=True, progress=cut, roles=office.roles)
    assert office.counts() == before and scratch_left(tmp_path) == []
    assert office.evaluate("pat", ids[1]).recorded
    assert office.counts()["evaluations"] == before["evaluations"] + 1


def test_a_server_lost_while_the_rows_stream_records_nothing(office: Office, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The connection ends while the subjects stream from the server (the fetching thread meets it): the same
    one message, nothing recorded, the working copy gone."""
    from workstation.office import working_open

    ids = _import_canaries(office, tmp_path)
    before = office.counts()
    o = office.ctx("pat")
    pid = o.conn.info.backend_pid
    real = working_open.open_subjects

    def open_then_cut(keys: OfficeKeys, rows: list[tuple[object, ...]], count_reasons: bool = True
                      ) -> working_open.OpenedSubjects:
        office.conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
        return real(keys, rows, count_reasons)

    monkeypatch.setattr(working_open, "open_subjects", open_then_cut)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        with pytest.raises(StoreError, match=r"^office server unreachable: .* nothing was recorded") as lost:
            oe.evaluate(o, ids[1], AS_OF, summary=True, roles=office.roles)
        del lost                # (its traceback holds the frames, and the server cursor, of the streaming)
        gc.collect()
    assert office.counts() == before and scratch_left(tmp_path) == []
    assert [str(w.message) for w in warned if "ServerCursor" in str(w.message)] == []   # its cursor closed


_KILLED = textwrap.dedent("""
    import os, signal, sys, time
    signal.signal(signal.SIGINT, signal.default_int_handler)   # Ctrl-C as a terminal gives it, even when the
    sys.path[:0] = {paths!r}                                   # tests were started in the background (SIG_IGN)
    from datetime import date
    import psycopg
    from workstation.office.sealing import OfficeKeys
    from workstation.service import office_evaluation as oe
    from workstation.service.office_records import OfficeCtx
    from workstation.store.office.roles import OfficeRoles
    conn = psycopg.connect({conninfo!r}, autocommit=True)
    def wait(done, total):
        print("evaluating", flush=True)
        for _ in range(600):    # short sleeps: a signal the kernel hands to another thread is seen at once
            time.sleep(0.1)
    oe.evaluate(OfficeCtx(conn, OfficeKeys.derive(bytes(range(32))), "pat"), {request!r}, date(2026, 11, 1),
                summary=True, progress=wait, roles=OfficeRoles({prefix!r}))
""")


@pytest.mark.parametrize(("sig", "workers"), [(signal.SIGINT, "1"), (signal.SIGTERM, "1"), (signal.SIGTERM, "2")])
def test_the_working_copy_is_gone_after_a_signal(office: Office, tmp_path: Path, sig: signal.Signals,
                                                 workers: str) -> None:
    ids = _import_canaries(office, tmp_path)
    code = _KILLED.format(paths=[str(Path(__file__).resolve().parents[1])],
                          conninfo=office.server.conninfo(office.db, office.login("pat")), request=ids[1],
                          prefix=office.roles.prefix)
    env = dict(os.environ, **{oe.SCRATCH_ENV: str(tmp_path / "cache"), "DWS_EVAL_WORKERS": workers,
                              "DWS_EVAL_PARALLEL_MIN": "2"})
    with subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env) as child:
        assert child.stdout is not None
        assert child.stdout.readline() == b"evaluating\n"
        assert len(scratch_left(tmp_path)) == 1          # the working copy, while it is evaluated
        child.send_signal(sig)
        try:
            _out, err = child.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            _out, err = child.communicate()
            pytest.fail(f"the evaluation did not end on {sig.name}: {err.decode(errors='replace')}")
    assert child.returncode != 0, err
    assert scratch_left(tmp_path) == []
    assert office.counts()["evaluations"] == 0


def test_an_office_made_before_evaluations_says_so(office: Office, tmp_path: Path) -> None:
    ids = _import_canaries(office, tmp_path)
    with office.conn.transaction():
        office.conn.execute("ALTER TABLE dws.evaluations RENAME TO evaluations_gone")
    with pytest.raises(StoreError, match="made before offices held evaluations"):
        office.evaluate("pat", ids[1])
    office.conn.execute("ALTER TABLE dws.evaluations_gone RENAME TO evaluations")


# `dws evaluate` printing the same on both engines, and an office's claim on the command line:
# tests/test_engine_decisions.py.


def test_the_candidates_are_read_beside_the_subjects(office: Office, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The candidate records are read on a second connection of the same login, in the same snapshot, while the
    subjects are opened (service/office_fill.py); closed afterwards. Without it (the server refuses a second
    connection, or its snapshot) the evaluation is the same."""
    from workstation.service import office_fill

    ids = _import_canaries(office, tmp_path)
    made: list[psycopg.Connection[tuple[object, ...]]] = []
    users: list[str] = []
    real = office_fill.connect_like

    def second(conn: psycopg.Connection[tuple[object, ...]]) -> psycopg.Connection[tuple[object, ...]]:
        made.append(real(conn))
        users.append(made[-1].info.user)
        return made[-1]

    monkeypatch.setattr(office_fill, "connect_like", second)
    beside = {rid: office.evaluate("pat", rid).document for rid in ids}
    assert len(made) == len(ids) and all(c.closed for c in made)
    assert set(users) == {office.login("pat")}

    def refused(conn: object) -> object:
        raise psycopg.OperationalError("too many connections")

    monkeypatch.setattr(office_fill, "connect_like", refused)
    alone = {rid: office.evaluate("pat", rid).document for rid in ids}
    assert alone == beside
    monkeypatch.setattr(office_fill, "connect_like", real)

    def snapshot_refused(conn: object, snapshot: str, bulk: bool = False) -> None:
        raise psycopg.errors.ObjectNotInPrerequisiteState("could not import the requested snapshot")

    monkeypatch.setattr(office_fill.evaluations_sql, "join_snapshot", snapshot_refused)
    assert {rid: office.evaluate("pat", rid).document for rid in ids} == beside
    left = office.conn.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = %s",
                               (office.login("pat"),)).fetchone()
    assert left is not None and int(left[0]) == len(office.opened)     # no second connection left open


def test_a_summary_evaluation_keeps_no_results_and_finds_the_same(office: Office, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`dws evaluate --summary` on an office builds its working copy without the records' lines and writes no
    subject's results in it (only counted and hashed): the same counts, code counts and both hashes as the full
    evaluation, which writes them."""
    from workstation.store import evaluation as ev_sql

    ids = _import_canaries(office, tmp_path)
    written: list[int] = []
    real = ev_sql.replace_packed_results
    monkeypatch.setattr(ev_sql, "replace_packed_results",
                        lambda conn, rid, shapes, rows: (written.append(rid), real(conn, rid, shapes, rows))[1])
    for rid in ids:
        summary = office.evaluate("pat", rid, summary=True)
        assert written == []
        full = office.evaluate("pat", rid)
        assert written, rid
        written.clear()
        assert {k: summary.doc[k] for k in SUMMARY} == {k: full.doc[k] for k in SUMMARY}, rid

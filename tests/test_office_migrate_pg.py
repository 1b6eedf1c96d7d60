"""`dws office migrate --profile FILE --from DIR` (issue 19 item 6) through the real `dws` against a real TLS
PostgreSQL office: a local store with canary records and requests moves in with every count equal, every record,
request, subject and requester opening on the desktop to the local store's values, the local log carried over
(sealed, chained, its tree the local checkpoint's), the office log whole and extending the checkpoint taken
before; the server's dump holds no canary. A second run, a preparer, and a request id the office holds already
(hit half-way, after the records and a first request are in) are refused in one line and change nothing."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from clihelp import Result, run_dws
from conftest import ADMIN_PW, REVIEWER_PW, staffed
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, Office
from officerequests import canary_requests, canary_spellings
from test_office_records_pg import canary_rows, other_rows, spellings, write

from workstation import checkpoint as cp
from workstation.office.records_seal import open_record
from workstation.office.request_seal import agency_opener, open_document, open_subject
from workstation.office.sealing import OfficeKeys
from workstation.service import Session, Workstation
from workstation.service.office_migrate import CARRIED, ENTRY_LABEL, MIGRATED
from workstation.store import auditlog
from workstation.store import records as local_records
from workstation.store import requests as local_requests
from workstation.store.office import log
from workstation.store.office import records as records_sql
from workstation.store.office import requests as requests_sql
from workstation.store.office.schema import table_counts

PAT = "pat's passphrase"


@dataclass
class Setting:
    office: Office
    profile: Path
    store: Path
    keys: OfficeKeys


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[Setting]:
    office = Office.start()
    office.create(records_sql, requests_sql)                # what office init makes beside the log
    office.enrol("pat", "preparer", PAT)
    profile = office.desktop(tmp_path / "desk").path
    store = tmp_path / "store"
    session = staffed(Workstation(store))
    try:
        session.import_records(write(tmp_path / "records.csv", canary_rows() + other_rows(50)))
        for path in canary_requests(tmp_path / "requests"):
            session.import_request(path)
        session.evaluate("CANARY-INLINE-1")         # its status moves; its evaluation stays in the local store
    finally:
        session.close()
    yield Setting(office, profile, store, OfficeKeys.derive(office.office_key))
    office.server.stop()


def dws(s: Setting, user: str, *args: str) -> Result:
    secret = {"pat": PAT, ADMIN: ADMIN_PASSPHRASE}[user]
    return run_dws(s.profile, *args, env={"DWS_USER": user, "DWS_PASSPHRASE": secret})


def migrate(s: Setting, user: str = ADMIN, *more: str, local: tuple[str, str] = ("admin", ADMIN_PW)) -> Result:
    return run_dws(s.profile, "--user", user, "office", "migrate", "--profile", str(s.profile), "--from",
                   str(s.store), "--from-user", local[0], *more,
                   env={"DWS_PASSPHRASE": {"pat": PAT, ADMIN: ADMIN_PASSPHRASE}[user], "DWS_FROM_PASSPHRASE": local[1]})


def counts(s: Setting) -> dict[str, int]:
    with s.office.superuser() as conn:
        return table_counts(conn)


def local(s: Setting) -> Session:
    return Workstation(s.store).unlock("admin", ADMIN_PW)


def test_a_local_store_moves_in_whole(setting: Setting, tmp_path: Path) -> None:
    s = setting
    witness = tmp_path / "witness"
    witness.mkdir()
    done = migrate(s, ADMIN, "--witness", str(witness), "--json")
    assert done.code == 0, done.err
    out = json.loads(done.out)
    session = local(s)
    try:
        conn = session.conn
        lines = sorted(line for _n, _rows, batch in local_records.packed_batches(conn, 1000)
                       for line in json.loads(batch))
        local_requests_rows = local_requests.all_requests(conn)
        local_subjects = {row[1]: [r[:10] for _n, _f, _l, batch in local_requests.packed_subject_batches(
            conn, row[0], 7) for r in json.loads(batch)] for row in local_requests_rows}
        local_queue = {q.request_id: q for q in session.queue()}
        local_log = {e[0]: auditlog.entry_body(*e[:6]) for e in auditlog.rows(conn, out["log_entries"])}
        stored_local_checkpoint = session.conn.execute(
            "SELECT note FROM log_checkpoints ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        session.close()
    # every count equal
    assert (out["records"], out["records_new"], out["requests"], out["subjects"]) == (53, 53, 2, 47)
    assert out["log_entries"] == len(local_log) == out["checkpoints"]["local"]["size"]
    assert stored_local_checkpoint == out["checkpoints"]["local"]["checkpoint"]   # kept as `log checkpoint` keeps one
    found = counts(s)
    assert (found["taxpayer_records"], found["requests"], found["request_subjects"]) == (53, 2, 47)
    assert found["office_log"] == out["checkpoints"]["office_before"]["size"] + len(local_log) + 1
    assert found["office_log"] == out["checkpoints"]["office_after"]["size"]
    assert out["not_migrated"] == "evaluations, decisions, approvals, letters and users"
    assert (out["agencies"], out["court_orders_left"]) == (0, 0)       # (test_office_migrate_registers_pg has them)
    # the office log verifies, and extends the checkpoints before and after (written to the witness folder)
    assert sorted(p.name.rsplit("-", 1)[1] for p in witness.iterdir()) == ["after.checkpoint", "before.checkpoint"]
    verified = dws(s, ADMIN, "verify", "--against", str(witness), "--json")
    assert verified.code == 0, verified.out + verified.err
    assert [w["ok"] for w in json.loads(verified.out)["witnesses"]] == [True, True]
    # the records, requests, requesters and subjects open on the desktop to the local store's values
    with s.office.superuser() as conn:
        office_lines = sorted(open_record(s.keys, records_sql.TABLE, row) for row in conn.execute(
            f"SELECT {', '.join(records_sql.COLUMNS)} FROM dws.taxpayer_records").fetchall())
        office_requests = {row[0]: row for row in requests_sql.queue(conn)}
        opened_subjects = {}
        for request_id, row in office_requests.items():
            rid = int(row[8])
            opened_subjects[request_id] = [open_subject(s.keys, subject)
                                           for subject in requests_sql.sealed_subjects(conn, rid)]
            document = open_document(s.keys, rid, requests_sql.document(conn, request_id)[1])  # type: ignore[index]
            local_row = next(r for r in local_requests_rows if r[1] == request_id)
            assert document == {"package": json.loads(local_row[9]), "source": local_row[11],
                                "package_hash": local_row[10]}
        entries = log.entries(conn)
    assert office_lines == lines
    opener = agency_opener(s.keys)
    assert {rid: (opener(int(r[8]), bytes(r[1])), r[2], r[3], r[4], r[5], r[6], r[7])
            for rid, r in office_requests.items()} == {
        rid: (q.agency, q.agency_code, q.authority, q.received_on, q.due_on, q.subjects, q.status)
        for rid, q in local_queue.items()}
    assert opened_subjects == local_subjects
    assert {r: q.status for r, q in local_queue.items()} == {"CANARY-INLINE-1": "evaluated", "CANARY-BULK-1": "new"}
    # the local log, carried: each entry's bytes open (sealed) and chain as the local hashes say; the last entry
    # records the local checkpoint
    carried = [e for e in entries if e[3] == CARRIED]
    assert len(carried) == len(local_log)
    prev = auditlog.GENESIS
    for entry in carried:
        detail = json.loads(str(entry[5]))
        body = s.keys.open(f"{ENTRY_LABEL}:{entry[4]}", detail["seq"], base64.b64decode(detail["entry"]))
        assert body == local_log[detail["seq"]]
        assert auditlog.sha256_hex(prev.encode() + body) == detail["hash"]
        prev = detail["hash"]
    final = entries[-1]
    assert final[3] == MIGRATED and final[4] == carried[0][4]
    assert json.loads(str(final[5]))["local_checkpoint"]["root"] == out["checkpoints"]["local"]["root"]
    assert cp.parse(out["checkpoints"]["local"]["checkpoint"]).size == len(local_log)
    # the server's dump holds no canary, in any spelling
    dump = subprocess.run([str(s.office.server.bin / "pg_dump"), "-h", str(s.office.server.socket_dir), "-p",
                           str(s.office.server.port), "-U", "postgres", "--no-owner", DBNAME],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    # the carried entries' sealed bytes are base64 in their JSON detail: decoded with the byteas, and taken out of
    # the text searched (base64 holds any 4 letters by chance: the name control "QUIL" was found in it once)
    carried_b64 = re.findall(r'"entry": ?"([A-Za-z0-9+/=]+)"', dump)
    assert carried_b64
    decoded = b"".join([*(bytes.fromhex(h) for h in re.findall(r"\\\\x([0-9a-f]+)", dump)),
                        *(base64.b64decode(b) for b in carried_b64)]).decode("latin-1")
    text = re.sub(r'"entry": ?"[A-Za-z0-9+/=]+"', '"entry": ""', dump)
    assert "CANARY-BULK-1" in text and "local-log-entry" in text
    low_text, low_decoded = text.lower(), decoded.lower()

    def leaked(spelling: str) -> bool:
        w = spelling.lower()
        if w.isdigit():         # a ZIP's five digits inside a hash's hex or a time's microseconds are chance
            return w in low_decoded or re.search(rf"(?<![0-9a-f]){w}(?![0-9a-f])", low_text) is not None
        return w in low_decoded or w in low_text

    assert [w for w in spellings() + canary_spellings() if leaked(w)] == []
    # a second run is refused in one line, and changes nothing
    before = counts(s)
    again = migrate(s)
    assert again.code == 1 and again.out == ""
    assert re.fullmatch(r"dws: this local store \([0-9a-f]{16}\) was migrated into the office on \d{4}-\d\d-\d\d by "
                        rf"{ADMIN} \(office log entry \d+\); a store is migrated once; nothing was changed\n",
                        again.err)
    assert counts(s) == before


def test_the_text_output_and_who_is_refused(setting: Setting) -> None:
    s = setting
    before = counts(s)
    refused = migrate(s, "pat")
    assert refused.code == 1 and refused.out == ""
    assert refused.err == ("dws: only an office admin may migrate a local store into the office (pat is not one); "
                           "nothing was changed\n")
    assert counts(s) == before
    reviewer = migrate(s, ADMIN, local=("rita", REVIEWER_PW))             # an admin of the office, not of the store
    assert reviewer.code == 1 and reviewer.err == (
        "dws: only an admin of the local store may migrate it into the office (rita is reviewer there); nothing "
        "was changed\n")
    assert counts(s) == before
    done = migrate(s)
    assert done.code == 0, done.err
    assert "53 taxpayer record rows (53 new to the office, 0 replacing the office's)" in done.out
    assert "2 requests with 47 subjects" in done.out
    assert re.search(r"\n  office log before: +\d+ entries, root [0-9a-f]{64}\n", done.out)
    assert "\n  no setting an admin may set differs from the office's\n" in done.out
    assert done.out.endswith("Not migrated (the local store keeps them): evaluations, decisions, approvals, letters "
                             "and users.\n  The office evaluates each request again from what the steps move, with "
                             "the local store's findings; the local decisions, approvals and letters are signed by "
                             "keys the office server does not know and refuses; office users are enrolled with 'dws "
                             "office enrol --user'.\n")


def test_a_request_the_office_holds_stops_it_half_way_and_nothing_changes(setting: Setting, tmp_path: Path) -> None:
    s = setting
    bulk = canary_requests(tmp_path / "office-requests")[1]             # CANARY-BULK-1: the local store's second
    imported = dws(s, "pat", "import", "request", str(bulk))
    assert imported.code == 0, imported.err
    before = counts(s)
    with s.office.superuser() as conn:
        entries = log.entries(conn)
    failed = migrate(s)
    assert failed.code == 1 and failed.out == ""
    assert re.fullmatch(r"dws: request CANARY-BULK-1 is already in the office \(imported \d{4}-\d\d-\d\d by pat\); "
                        r"a request is in the office once; nothing was migrated\n", failed.err)
    assert counts(s) == before and before["taxpayer_records"] == 0
    with s.office.superuser() as conn:
        assert log.entries(conn) == entries
        assert conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'taxpayer_records'").fetchone() == (
            len(records_sql.INDEXES) + 1,)           # the bulk load's dropped indexes are back (and the key)


def test_an_office_made_before_settings_were_kept_refuses_a_changed_setting(setting: Setting) -> None:
    s = setting                                     # (this office has records and requests, no settings table)
    with local(s) as admin:
        admin.change_setting("office_name", "Austin Disclosure Office")
    before = counts(s)
    refused = migrate(s)
    assert refused.code == 1 and refused.out == ""
    assert refused.err == ("dws: this office's database was made before offices kept settings (it has no settings "
                           "table); the server's administrator brings it up to date with this version's 'dws --user "
                           "DBADMIN office init --profile FILE' (schema step 6); the local store changed office_name; "
                           "nothing was migrated\n")
    assert counts(s) == before

"""Requests in the office store on a real PostgreSQL server (issue 19): imported through the local store's parser
(the same messages, the same queue), the document and every subject sealed on the desktop, subjects matching the
records on the blind indexes, the queue listed from plain metadata; a refused role or a lost server changes
nothing (a bad file and a second import, on both engines: test_engine_bad_files.py, test_engine_imports.py);
nobody rewrites or removes a request on the server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import psycopg
import pytest
from conftest import staffed
from officerequests import (
    CANARY_CONSENTER,
    CANARY_SUBJECT,
    bulk,
    canary_requests,
    package,
    subject,
    write,
)
from pgserver import PgServer

from workstation.errors import PermissionDenied, StoreError, TamperError
from workstation.model import REQUEST_STATUSES
from workstation.normalize import reason_key
from workstation.office.request_seal import agency_opener, open_document, open_subject, seal_agency
from workstation.office.sealing import OfficeKeys, SealError
from workstation.service import Workstation
from workstation.service.office_records import OfficeCtx
from workstation.service.office_requests import import_request, queue
from workstation.store.office import copy_in
from workstation.store.office import requests as requests_sql
from workstation.store.office.roles import OfficeRoles, create_login, drop_roles
from workstation.store.office.schema import create_office, table_counts

KEYS = OfficeKeys.derive(bytes(range(32)))
LOGINS = ("preparer", "auditor", "admin")


@dataclass
class Office:
    server: PgServer
    db: str
    conn: psycopg.Connection[tuple[object, ...]]
    roles: OfficeRoles

    def ctx(self) -> OfficeCtx:
        return OfficeCtx(self.conn, KEYS, "pat")

    def login(self, role: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.server.conninfo(self.db, f"{self.roles.prefix}_{role}_login"))


@pytest.fixture
def office(pg_server: PgServer, pg_database: str) -> Iterator[Office]:
    roles = OfficeRoles("o" + os.urandom(4).hex())
    conn = psycopg.connect(pg_server.conninfo(pg_database), autocommit=True)
    create_office(conn, roles)
    for role in LOGINS:
        create_login(conn, roles, f"{roles.prefix}_{role}_login", role)    # type: ignore[arg-type]
    yield Office(pg_server, pg_database, conn, roles)
    conn.close()
    pg_server.drop_database(pg_database)
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as su:
        drop_roles(su, roles, [f"{roles.prefix}_{role}_login" for role in LOGINS])


def local_session(folder: Path):  # type: ignore[no-untyped-def]
    return staffed(Workstation(folder))


def test_the_queue_and_counts_are_the_local_stores(office: Office, tmp_path: Path) -> None:
    files = [*canary_requests(tmp_path / "in"),
             write(tmp_path / "foia.json", package("FOIA-9", authority="foia", received_on="2026-01-05",
                                                   requester={"agency": "A Newspaper"})),
             bulk(tmp_path / "big", "BULK-7", [subject(i) for i in range(25_000)], received_on="2025-12-01")]
    local = local_session(tmp_path / "store")
    for path in files:
        ours, theirs = import_request(office.ctx(), path), local.import_request(path)
        assert ours == theirs
    assert queue(office.ctx()) == [replace(row, recommendation=None) for row in local.queue()]
    assert [r.request_id for r in queue(office.ctx())] == ["BULK-7", "FOIA-9", "CANARY-BULK-1", "CANARY-INLINE-1"]
    assert queue(office.ctx(), "approved") == []
    assert table_counts(office.conn) == {"office_log": 4, "taxpayer_records": 0, "requests": 4,
                                         "request_subjects": 5 + 42 + 1 + 25_000, "request_reasons": 5}
    detail = office.conn.execute("SELECT detail FROM dws.office_log WHERE object = 'BULK-7'").fetchone()
    assert detail == ('{"authority":"6103(i)(2)","shared_reasons":1,"subjects":25000}',)


def test_the_document_and_subjects_open_on_the_desktop_and_join_the_records(office: Office, tmp_path: Path) -> None:
    from test_office_records_pg import write as write_records

    from workstation.service.office_records import import_records

    c = CANARY_SUBJECT
    record = (f"{c['tin']},SSN,{c['name']},{c['street']},{c['city']},NH,{c['zip']},,2023,single,1,1,0,0,,,,,,0")
    import_records(office.ctx(), write_records(tmp_path / "r.csv", [record]))
    inline, bulky = canary_requests(tmp_path / "in")
    import_request(office.ctx(), inline)
    import_request(office.ctx(), bulky)
    found = requests_sql.document(office.conn, "CANARY-INLINE-1")
    assert found is not None
    doc = open_document(KEYS, *found)
    assert doc["source"] == "inline.json" and doc["package"]["consent"]["taxpayer_tin"] == "478-20-5193"
    assert doc["package"]["requester"] == {"agency": CANARY_CONSENTER["name"], "component": None, "agency_code": None,
                                           "address_lines": []} and len(doc["package_hash"]) == 64
    # the requester's name is sealed apart: it opens for its row only, and not as the document (nor it as the name)
    (bulk_id, sealed_name), = office.conn.execute("SELECT id, agency FROM dws.requests WHERE request_id = "
                                                  "'CANARY-BULK-1'").fetchall()
    opener = agency_opener(KEYS)
    assert opener(bulk_id, bytes(sealed_name)) == "Department of Homeland Security"
    with pytest.raises(SealError):
        opener(found[0], bytes(sealed_name))
    with pytest.raises(SealError):
        opener(found[0], found[1])
    rid = found[0]
    rows = requests_sql.sealed_subjects(office.conn, rid)
    opened = [open_subject(KEYS, row) for row in rows]
    assert [s[:3] for s in opened[:2]] == [["c1", c["name"], c["tin"]], ["c2", c["name"].upper(), "583412967"]]
    with pytest.raises(TamperError, match="tampered with"):         # a subject moved to another place
        open_subject(KEYS, (*rows[1][:-1], rows[0][-1]))
    # a subject whose TIN index a superuser changed (to match another taxpayer's records) does not open
    other = KEYS.tin_index("987-65-4329")
    with office.conn.transaction():             # past the trigger that keeps subjects as imported
        office.conn.execute("ALTER TABLE dws.request_subjects DISABLE TRIGGER request_subjects_keep_all")
        office.conn.execute("UPDATE dws.request_subjects SET tin_index = %s WHERE request = %s AND seq = 2",
                            (other, rid))
        office.conn.execute("ALTER TABLE dws.request_subjects ENABLE TRIGGER request_subjects_keep_all")
    with pytest.raises(TamperError) as tampered:
        open_subject(KEYS, requests_sql.sealed_subjects(office.conn, rid)[2])
    assert str(tampered.value).startswith(f"subject 3 of a request (office row {rid}) was tampered with")
    # both canary subjects of both requests find the record on each blind index the matching joins on
    for column in ("tin_index", "name_control_index", "name_address_index", "zip5_index"):
        joined = office.conn.execute(
            f"SELECT r.request_id, s.seq FROM dws.request_subjects s JOIN dws.requests r ON r.id = s.request "
            f"JOIN dws.taxpayer_records t ON t.{column} = s.{column} ORDER BY 1, 2").fetchall()
        assert joined == [
            ("CANARY-BULK-1", 20), ("CANARY-BULK-1", 21), ("CANARY-INLINE-1", 0), ("CANARY-INLINE-1", 1)], column
    reasons = office.conn.execute(
        "SELECT reason_index, subjects FROM dws.request_reasons WHERE request = %s ORDER BY subjects",
        (rid,)).fetchall()
    assert reasons == [(KEYS.blind_index("reason", reason_key(c["reason"])), 2),
                       (KEYS.blind_index("reason", reason_key("Case file review")), 3)]


def test_a_preparer_imports_an_auditor_may_not_and_nobody_rewrites_a_request(office: Office, tmp_path: Path) -> None:
    with office.login("preparer") as conn:
        pat = f"{office.roles.prefix}_preparer_login"      # the log's user: the login (the server checks it)
        summary = import_request(OfficeCtx(conn, KEYS, pat), canary_requests(tmp_path / "in")[1])
    assert summary.rows == 42
    with office.login("auditor") as conn:
        with pytest.raises(PermissionDenied) as refused:
            import_request(OfficeCtx(conn, KEYS, "otto"), write(tmp_path / "r.json", package("AUD-1")))
        assert [r.request_id for r in queue(OfficeCtx(conn, KEYS, "otto"))] == ["CANARY-BULK-1"]   # but reads
    assert str(refused.value) == ("the office server refuses it: your office role may not import requests; "
                                  "nothing was changed")
    before = table_counts(office.conn)
    for role in ("preparer", "admin"):
        for statement in ("UPDATE dws.requests SET status = 'approved'", "UPDATE dws.requests SET document = ''",
                          "DELETE FROM dws.requests", "DELETE FROM dws.request_subjects",
                          "UPDATE dws.request_subjects SET sealed = sealed", "DELETE FROM dws.request_reasons"):
            with office.login(role) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    # the server's superuser too, but for a status: the trigger keeps the document, subjects and reasons
    for statement in ("UPDATE dws.requests SET document = document || '\\x00'::bytea",
                      "UPDATE dws.requests SET subject_count = 1", "DELETE FROM dws.requests",
                      "TRUNCATE dws.request_subjects", "UPDATE dws.request_subjects SET sealed = sealed",
                      "DELETE FROM dws.request_reasons"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="kept as imported"):
            office.conn.execute(statement)
    office.conn.execute("UPDATE dws.requests SET status = 'evaluated'")
    assert [r.status for r in queue(office.ctx())] == ["evaluated"] and table_counts(office.conn) == before


def test_a_server_that_drops_the_import_half_way_leaves_nothing(office: Office, tmp_path: Path) -> None:
    import_request(office.ctx(), write(tmp_path / "first.json", package("FIRST-1")))
    before = table_counts(office.conn)
    victim = psycopg.connect(office.server.conninfo(office.db))

    def cut(done: int, _total: int | None) -> None:        # after the first batch is in: the server ends the session
        office.conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))

    path = bulk(tmp_path / "bulk", "BIG-1", [subject(i) for i in range(45_000)])
    with pytest.raises(StoreError) as lost:
        import_request(OfficeCtx(victim, KEYS, "pat"), path, cut)
    victim.close()
    assert "nothing was imported" in str(lost.value)
    assert table_counts(office.conn) == before
    assert import_request(office.ctx(), path).rows == 45_000          # and again, once the desktop reconnects


def test_a_queue_of_two_thousand_lists_in_due_order_and_by_status(office: Office) -> None:
    expected = []
    for i in range(2_000):
        status = REQUEST_STATUSES[i % len(REQUEST_STATUSES)]
        due = None if i % 97 == 0 else f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}"
        row = (f"Q-{(i * 7919) % 2_000:05d}", f"Agency {i % 7}", None if i % 3 else f"AG-{i % 5}", "6103(i)(2)",
               "2026-01-01", due, i, status)
        rid = requests_sql.new_id(office.conn)
        requests_sql.insert(office.conn, id=rid, request_id=row[0], received_on=row[4], authority=row[3],
                            agency=seal_agency(KEYS, rid, row[1]), agency_code=row[2], due_on=due, subject_count=i,
                            imported_at="2026-01-01T00:00:00Z", imported_by="pat",
                            document=KEYS.seal("requests", rid, b"{}"))
        if status != "new":
            office.conn.execute("UPDATE dws.requests SET status = %s WHERE id = %s", (status, rid))
        expected.append(row)
    expected.sort(key=lambda r: (r[5] is None, r[5] or "", r[0]))
    listed = queue(office.ctx())
    assert [(r.request_id, r.agency, r.agency_code, r.authority, r.received_on, r.due_on, r.subjects, r.status)
            for r in listed] == expected
    assert [r.request_id for r in queue(office.ctx(), "decided")] == [r[0] for r in expected if r[7] == "decided"]


def test_an_office_made_before_requests_says_so_in_one_line(office: Office, tmp_path: Path) -> None:
    # CASCADE: the decisions' and letters' foreign keys to the requests go with them
    office.conn.execute("DROP TABLE dws.evaluations, dws.request_reasons, dws.request_subjects, dws.requests CASCADE")
    with pytest.raises(StoreError) as older:
        import_request(office.ctx(), write(tmp_path / "r.json", package("OLD-1")))
    assert "made before offices held requests" in str(older.value) and str(older.value).endswith("nothing was changed")
    with pytest.raises(StoreError, match="made before offices held requests"):
        queue(office.ctx())
    assert table_counts(office.conn) == {"office_log": 0, "taxpayer_records": 0}


def test_an_exception_inside_the_subjects_copy_stays_on_the_desktop(office: Office) -> None:
    """The subjects' COPY interrupted by an exception carrying a canary: raised on the desktop as it was, the
    server told (and logging) only a fixed text."""
    marker = os.urandom(6).hex()

    def rows() -> Iterator[tuple[object, ...]]:
        yield (1, 0, None, None, None, None, None, b"s" * 40)
        raise ValueError(f"{marker} {CANARY_SUBJECT['name']}")

    with pytest.raises(ValueError, match=marker), office.conn.transaction():
        requests_sql.copy_subjects(office.conn, rows())
    server_log = office.server.log.read_text(encoding="utf-8", errors="replace")
    assert copy_in.STOPPED in server_log
    assert marker not in server_log and CANARY_SUBJECT["name"] not in server_log

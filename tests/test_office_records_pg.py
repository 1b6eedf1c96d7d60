"""Taxpayer records in the office store on a real PostgreSQL server (issue 19): imported through the local
store's parser, sealed on the desktop, loaded through binary COPY; the server's dump (`pg_dump`), after records
and requests are imported, holds no canary value in any spelling; a bad file leaves no staging table (its message
and that nothing changed, on both engines: tests/test_engine_bad_files.py)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from officerequests import canary_requests, canary_spellings
from pgserver import PgServer

from workstation.errors import InputError, PermissionDenied, StoreError, TamperError
from workstation.intake import records_parallel
from workstation.office.records_seal import open_record
from workstation.office.sealing import OfficeKeys
from workstation.service.office_records import OfficeCtx, import_records
from workstation.service.office_requests import import_request
from workstation.store.office import records as records_sql
from workstation.store.office.roles import OfficeRoles, create_login, drop_roles
from workstation.store.office.schema import create_office, table_counts

HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
          "dependents,phone,bank_account,wages,employer,interest,hold")
KEYS = OfficeKeys.derive(bytes(range(32)))
NO_REQUESTS = {"requests": 0, "request_subjects": 0, "request_reasons": 0}

# Canaries: every taxpayer value a records file carries, each distinctive enough that finding it means a leak.
CANARY_TIN = "617-29-4853"
CANARY_EIN = "87-6543219"
CANARY = {
    "name": "Zebulon Quillfeather",
    "street": "4417 Marblewick Lane Apt 9",
    "city": "Thistledown",
    "zip": "05488-7731",
    "agi": "73645190",
    "total_tax": "8123457",
    "refund": "6654321",
    "phone": "802-555-7316",
    "bank_account": "004417829931",
    "wages": "69123487",
    "employer": "Gravelbrook Quarries",
    "interest": "5123987",
}


def canary_rows() -> list[str]:
    c = CANARY
    rows = []
    for year, tin in ((2022, CANARY_TIN), (2023, CANARY_TIN.replace("-", ""))):    # both spellings in the file
        rows.append(f"{tin},SSN,{c['name']},{c['street']},{c['city']},VT,{c['zip']},2024-03-01,{year},single,"
                    f"{c['agi']},{c['total_tax']},{c['refund']},2,{c['phone']},{c['bank_account']},{c['wages']},"
                    f'"{c["employer"]}",{c["interest"]},1')
    rows.append(f"{CANARY_EIN},EIN,{c['name'].upper()} HOLDINGS LLC,{c['street']},{c['city']},VT,{c['zip']},,2023,"
                f",{c['agi']},0,0,,,,,,,0")
    return rows


def tin(i: int) -> str:
    return f"{212 + i // 9999}55{i % 9999 + 1:04d}"


def other_rows(n: int) -> list[str]:
    return [f"{tin(i)},SSN,Pat Example{i},{i + 1} Main St,Springfield,IL,62704,,2023,single,"
            f"{50000 + i},1000,0,0,,,,,,0" for i in range(n)]


def write(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@dataclass
class Office:
    server: PgServer
    db: str
    conn: psycopg.Connection[tuple[object, ...]]
    roles: OfficeRoles

    def ctx(self) -> OfficeCtx:
        return OfficeCtx(self.conn, KEYS, "pat")


@pytest.fixture
def office(pg_server: PgServer, pg_database: str) -> Iterator[Office]:
    roles = OfficeRoles("o" + os.urandom(4).hex())
    conn = psycopg.connect(pg_server.conninfo(pg_database), autocommit=True)
    create_office(conn, roles)
    for role in ("preparer", "auditor"):
        create_login(conn, roles, f"{roles.prefix}_{role}_login", role)    # type: ignore[arg-type]
    yield Office(pg_server, pg_database, conn, roles)
    conn.close()
    pg_server.drop_database(pg_database)
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as su:
        drop_roles(su, roles, [f"{roles.prefix}_{role}_login" for role in ("preparer", "auditor")])


def spellings() -> list[str]:
    """Each canary as a user might search for it: as written, upper and lower case, digits without their hyphens,
    each word of a name or address alone."""
    found = {CANARY_TIN, CANARY_TIN.replace("-", ""), CANARY_EIN, CANARY_EIN.replace("-", ""), "QUIL"}
    for value in CANARY.values():
        found |= {value, value.replace("-", ""), value.replace(" ", "")}
        found |= {word for word in value.split() if len(word) >= 6}
    return sorted(found)


def test_no_canary_in_the_servers_dump(office: Office, tmp_path: Path) -> None:
    """Records, an inline request (with a consent) and a bulk request (subjects_csv, through COPY) carrying canary
    names, TINs with and without hyphens, addresses, case numbers, reasons: none is in the dump in any spelling."""
    # the files' names carry canaries too (a desktop's file may be named after its taxpayer)
    named = f"{CANARY['name']} {CANARY_TIN} {CANARY['bank_account']}.csv"
    summary = import_records(office.ctx(), write(tmp_path / named, canary_rows() + other_rows(50)))
    assert (summary.rows, summary.inserted, summary.replaced) == (53, 53, 0)
    requests = []
    for path in canary_requests(tmp_path / "requests"):
        requests.append(path.rename(path.with_name(f"{CANARY['name']} {CANARY_TIN} {path.name}")))
    inline, bulk = (import_request(office.ctx(), path) for path in requests)
    assert (inline.rows, bulk.rows) == (5, 42)
    dump = subprocess.run([str(office.server.bin / "pg_dump"), "-h", str(office.server.socket_dir), "-p",
                           str(office.server.port), "-U", "postgres", "--no-owner", office.db],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    assert "COPY dws.taxpayer_records" in dump and "COPY dws.request_subjects" in dump
    assert dump.count("\\\\x") >= 53 * 5 + 47 * 2 + 2     # the rows are in it, sealed (and indexed)
    assert "CANARY-BULK-1" in dump and "DHS-ICE" in dump     # the queue's metadata, plain
    # the values inside every bytea, decoded: a value stored as bytes (not sealed) would show here
    decoded = b"".join(bytes.fromhex(h) for h in re.findall(r"\\\\x([0-9a-f]+)", dump)).decode("latin-1")
    # the text around them (a bytea's hex is searched decoded: a canary of digits would turn up in random hex)
    haystacks = [re.sub(r"\\\\x[0-9a-f]+", "", dump).lower(), decoded.lower()]
    leaks = [s for s in spellings() + canary_spellings() for hay in haystacks if s.lower() in hay]
    assert leaks == []
    # ...and the ZIP5s and the state, short values, as whole tokens
    assert not re.search(r"(?<![0-9a-f])(05488|03961)(?![0-9a-f])", dump)


def test_the_rows_open_on_the_desktop_and_match_on_blind_indexes(office: Office, tmp_path: Path) -> None:
    import_records(office.ctx(), write(tmp_path / "canary.csv", canary_rows() + other_rows(5)))
    found = records_sql.sealed_by_tin(office.conn, KEYS.tin_index(CANARY_TIN) or b"")
    assert [row[1] for row in found] == [2022, 2023]
    lines = [open_record(KEYS, records_sql.TABLE, row) for row in found]
    assert lines[0].startswith(f"{CANARY_TIN},SSN,{CANARY['name']},") and lines[1].startswith("617294853,SSN,")
    row = office.conn.execute(
        "SELECT name_control_index, name_address_index, zip5_index, record_key FROM dws.taxpayer_records "
        "WHERE id = %s", (found[0][0],)).fetchone()
    assert row is not None
    assert bytes(row[3]) == KEYS.record_key("617294853", "SSN") != KEYS.record_key("617294853", "EIN")
    assert bytes(row[0]) == KEYS.name_control_index(CANARY["name"])
    assert bytes(row[1]) == KEYS.name_address_index(CANARY["name"], CANARY["street"], CANARY["city"], "VT",
                                                    CANARY["zip"])
    assert bytes(row[2]) == KEYS.zip5_index("05488")
    with pytest.raises(TamperError, match="tampered with"):     # a sealed line moved to another row
        open_record(KEYS, records_sql.TABLE, (*found[1][:-1], found[0][-1]))


def test_a_correction_replaces_and_the_log_says_so(office: Office, tmp_path: Path) -> None:
    import_records(office.ctx(), write(tmp_path / "first.csv", other_rows(10)))
    fix = other_rows(12)[8:]                                    # 2 rows again, 2 new
    summary = import_records(office.ctx(), write(tmp_path / "fix.csv", [r.replace("Main St", "Oak Ave")
                                                                        for r in fix]))
    assert (summary.inserted, summary.replaced) == (2, 2)
    assert table_counts(office.conn) == {"office_log": 2, "taxpayer_records": 12} | NO_REQUESTS
    detail = office.conn.execute("SELECT detail FROM dws.office_log WHERE seq = 2").fetchone()
    assert detail == ('{"inserted":2,"replaced":2,"rows":4}',)
    (row,) = records_sql.sealed_by_tin(office.conn, KEYS.tin_index(tin(9)) or b"")
    assert "Oak Ave" in open_record(KEYS, records_sql.TABLE, row)


@pytest.mark.parametrize("bad", ["value", "duplicate-far"])
def test_a_bad_file_into_an_office_with_records_leaves_no_staging_table(office: Office, tmp_path: Path,
                                                                         bad: str) -> None:
    """The merge's staging table goes with the refused import, on the connection the desktop keeps (the message
    and that nothing changed, on both engines: tests/test_engine_bad_files.py)."""
    import_records(office.ctx(), write(tmp_path / "first.csv", other_rows(3)))
    before = table_counts(office.conn)
    rows = canary_rows() + other_rows(30_000)[10:]
    if bad == "value":
        rows[20_500] = rows[20_500].replace(",single,", ",single,12x4,", 1).replace(",1000,", ",", 1)
    else:
        rows.append(rows[5])
    with pytest.raises(InputError, match="line"):
        import_records(office.ctx(), write(tmp_path / "records.csv", rows))
    assert table_counts(office.conn) == before
    assert not office.conn.execute("SELECT to_regclass('pg_temp.records_in')").fetchone()[0]  # type: ignore[index]


def test_a_preparer_imports_and_corrects_an_auditor_may_not(office: Office, tmp_path: Path) -> None:
    """As the office roles' own logins, not the superuser: the grants (and the owner's load functions) suffice
    for a preparer's first load and correction, and refuse an auditor."""
    def login(role: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(office.server.conninfo(office.db, f"{office.roles.prefix}_{role}_login"))

    pat = f"{office.roles.prefix}_preparer_login"          # the log's user: the login (the server checks it)
    with login("preparer") as conn:
        first = import_records(OfficeCtx(conn, KEYS, pat), write(tmp_path / "a.csv", other_rows(30)))
        fix = import_records(OfficeCtx(conn, KEYS, pat), write(tmp_path / "b.csv", other_rows(32)[28:]))
    assert (first.inserted, fix.inserted, fix.replaced) == (30, 2, 2)
    with login("auditor") as conn, pytest.raises(PermissionDenied) as refused:
        import_records(OfficeCtx(conn, KEYS, "aud"), write(tmp_path / "c.csv", other_rows(40)[35:]))
    assert str(refused.value) == ("the office server refuses it: your office role may not import taxpayer records; "
                                  "nothing was changed")
    assert table_counts(office.conn) == {"office_log": 2, "taxpayer_records": 32} | NO_REQUESTS
    with login("preparer") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM dws.taxpayer_records")


def test_a_server_that_drops_the_import_half_way_leaves_nothing(office: Office, tmp_path: Path) -> None:
    import_records(office.ctx(), write(tmp_path / "first.csv", other_rows(3)))
    before = table_counts(office.conn)
    victim = psycopg.connect(office.server.conninfo(office.db))

    def cut(rows: int, _total: int | None) -> None:      # after the first batch is in: the server ends the session
        office.conn.execute("SELECT pg_terminate_backend(%s)", (victim.info.backend_pid,))

    with pytest.raises(StoreError) as lost:
        import_records(OfficeCtx(victim, KEYS, "pat"), write(tmp_path / "big.csv", other_rows(45_000)[3:]), cut)
    victim.close()
    assert "nothing was imported" in str(lost.value)
    assert table_counts(office.conn) == before


def test_a_file_of_a_header_alone_imports_nothing_and_keeps_the_indexes(office: Office, tmp_path: Path) -> None:
    summary = import_records(office.ctx(), write(tmp_path / "none.csv", []))
    assert (summary.rows, summary.inserted) == (0, 0)
    indexes = office.conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'taxpayer_records'").fetchone()
    assert indexes == (len(records_sql.READ_INDEXES) + 1,)             # and the primary key's
    assert table_counts(office.conn) == {"office_log": 1, "taxpayer_records": 0} | NO_REQUESTS


def test_an_exception_while_rows_are_made_stays_on_the_desktop(office: Office, tmp_path: Path) -> None:
    """An exception while a load's rows are made (here carrying a canary) is raised on the desktop as it was and
    never reaches the server: the rows are laid out before their COPY begins. (A COPY that psycopg itself ends
    would carry the exception's text into the server's log: copy_in.copy_rows, tested with a request's subjects.)"""
    marker = os.urandom(6).hex()

    def rows() -> Iterator[tuple[object, ...]]:
        yield (1, 2023, b"k" * 16, b"t" * 16, None, None, None, b"s" * 40, None)   # ADDRESSED order
        raise ValueError(f"{marker} {CANARY_TIN} {CANARY['name']}")

    for empty in (True, False):             # straight into the table, and into the staging table
        if not empty:
            import_records(office.ctx(), write(tmp_path / "first.csv", other_rows(2)))
        before = table_counts(office.conn)
        with pytest.raises(ValueError, match=marker), office.conn.transaction():
            records_sql.Load(office.conn).copy(rows())
        assert table_counts(office.conn) == before
    server_log = office.server.log.read_text(encoding="utf-8", errors="replace")
    assert marker not in server_log and CANARY_TIN not in server_log and CANARY["name"] not in server_log


def test_a_load_begun_must_end_in_its_transaction(office: Office) -> None:
    """A preparer who calls taxpayer_records_load_begin (which drops the indexes of the empty table) and commits
    without load_end is refused at commit: the unique key stays, and a key given twice is still refused."""
    def preparer() -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(office.server.conninfo(office.db, f"{office.roles.prefix}_preparer_login"),
                               autocommit=True)

    indexes = "SELECT count(*) FROM pg_indexes WHERE tablename = 'taxpayer_records'"
    before = office.conn.execute(indexes).fetchone()
    for hasten in (False, True):
        with preparer() as conn, pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="not ended"), \
                conn.transaction():
            assert conn.execute("SELECT dws.taxpayer_records_load_begin()").fetchone() == (True,)
            if hasten:
                conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert office.conn.execute(indexes).fetchone() == before == (len(records_sql.READ_INDEXES) + 1,)
    row = (b"k" * 16, b"t" * 16, b"s" * 40)
    with preparer() as conn, pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
        conn.execute("INSERT INTO dws.taxpayer_records VALUES (1, 2023, %s, %s, NULL, NULL, NULL, %s), "
                     "(2, 2023, %s, %s, NULL, NULL, NULL, %s)", row * 2)
    with preparer() as conn:        # begun and ended: committed, the indexes there, nothing left recorded
        with conn.transaction():
            conn.execute("SELECT dws.taxpayer_records_load_begin()")
            conn.execute("SELECT dws.taxpayer_records_load_end()")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO dws.taxpayer_records_loads DEFAULT VALUES")
    assert office.conn.execute(indexes).fetchone() == before
    assert office.conn.execute("SELECT count(*) FROM dws.taxpayer_records_loads").fetchone() == (0,)


@pytest.mark.parametrize("column", ["tin_index", "record_key", "tax_year", "name_control_index", "zip5_index"])
def test_a_row_whose_index_was_moved_does_not_open(office: Office, tmp_path: Path, column: str) -> None:
    """A superuser points one taxpayer's row at another's blind index (or key, or year): matching on it would find
    the wrong taxpayer's record; opening the row says it was tampered with instead of giving its line."""
    import_records(office.ctx(), write(tmp_path / "records.csv", canary_rows() + other_rows(3)))
    (canary, _), other = records_sql.sealed_by_tin(office.conn, KEYS.tin_index(CANARY_TIN) or b""), \
        records_sql.sealed_by_tin(office.conn, KEYS.tin_index(tin(1)) or b"")[0]
    assert open_record(KEYS, records_sql.TABLE, other).startswith(f"{tin(1)},SSN,Pat Example1,")
    value = {"tax_year": 2021, "record_key": KEYS.record_key("617294853", "ITIN")}.get(     # (its own key is unique)
        column, canary[records_sql.COLUMNS.index(column)])
    office.conn.execute(f"UPDATE dws.taxpayer_records SET {column} = %s WHERE id = %s", (value, other[0]))
    moved = office.conn.execute(f"SELECT {', '.join(records_sql.COLUMNS)} FROM dws.taxpayer_records WHERE id = %s",
                                (other[0],)).fetchone()
    assert moved is not None
    with pytest.raises(TamperError) as tampered:
        open_record(KEYS, records_sql.TABLE, moved)
    assert str(tampered.value).startswith(f"taxpayer record {other[0]} was tampered with on the office server")
    assert "Pat Example" not in str(tampered.value) and tin(1) not in str(tampered.value)


def test_rows_sealed_in_the_parse_workers_open_and_index_as_sealed_here(office: Office, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A large file is parsed, sealed and laid out for the COPY in worker processes, block by block, with row ids
    reserved as each block is handed out: every row opens with its own id and columns and carries the blind
    indexes this process makes of it; a bad line in a later block is named by its own line, and nothing stays."""
    monkeypatch.setenv("DWS_IMPORT_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setenv("DWS_IMPORT_WORKERS", "2")
    monkeypatch.setattr(records_parallel, "BLOCK_LINES", 40)     # about 25 blocks of 40 lines
    monkeypatch.setattr(records_sql, "RESERVE", 64)             # ids reserved a few blocks' worth at a time
    rows = canary_rows() + other_rows(997)
    bad = rows[:]
    bad[871] = bad[871].replace(",single,", ",single,12x4,", 1).replace(",1000,", ",", 1)
    with pytest.raises(InputError, match=r"line 873\b"):             # the header is line 1
        import_records(office.ctx(), write(tmp_path / "bad.csv", bad))
    assert table_counts(office.conn) == {"office_log": 0, "taxpayer_records": 0} | NO_REQUESTS

    summary = import_records(office.ctx(), write(tmp_path / "records.csv", rows))
    assert (summary.rows, summary.inserted) == (1000, 1000)
    stored = office.conn.execute(f"SELECT {', '.join(records_sql.COLUMNS)}, address_index FROM dws.taxpayer_records "
                                 "ORDER BY id").fetchall()
    lines = [open_record(KEYS, records_sql.TABLE, row[:-1]) for row in stored]
    assert sorted(lines) == sorted(r.replace('"', "") for r in rows)     # a quoted line is stored rebuilt
    for row, line in zip(stored, lines, strict=True):
        tin_, tin_type, name, street, city, state, zip_code = line.split(",")[:7]
        assert bytes(row[2]) == KEYS.record_key(tin_.replace("-", ""), tin_type)
        assert bytes(row[3]) == KEYS.tin_index(tin_)
        assert bytes(row[5]) == KEYS.name_address_index(name, street, city, state, zip_code)
    assert len({row[0] for row in stored}) == 1000


def test_reserved_ids_are_handed_out_as_runs_and_never_twice(office: Office) -> None:
    """Ids another desktop took meanwhile leave a gap: the runs around it are handed out, each id once."""
    assert records_sql._ranges([5, 6, 7, 9, 12, 13]) == [(5, 3), (9, 1), (12, 2)]
    assert records_sql._ranges([]) == []
    with office.conn.transaction():
        load = records_sql.Load(office.conn)
        handed = [load.reserve_ranges(n) for n in (3, 70_000, 50_000, 1)]   # past the first RESERVE ids
        load.finish()
    ids = [i for ranges in handed for first, count in ranges for i in range(first, first + count)]
    assert [sum(c for _f, c in r) for r in handed] == [3, 70_000, 50_000, 1]
    assert len(set(ids)) == len(ids) and ids == sorted(ids)

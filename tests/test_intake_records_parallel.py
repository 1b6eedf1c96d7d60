"""A large records file parsed in worker processes (the bulk load into an empty table): the same rows in the
same order as the serial parser, the same first error with its own line, duplicates across blocks caught by
the store's unique index, and no worker left behind when the import is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_intake_records import ROW, check, failure, swap, write
from test_leaks_and_crashes import PW, write_filler

from workstation.errors import InputError
from workstation.intake import read_records, records_parallel
from workstation.service import Workstation


@pytest.fixture(autouse=True)
def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file goes to two workers, in blocks of 7 lines."""
    monkeypatch.setenv("DWS_IMPORT_WORKERS", "2")
    monkeypatch.setenv("DWS_IMPORT_PARALLEL_MIN_BYTES", "0")
    monkeypatch.setattr(records_parallel, "BLOCK_LINES", 7)


def bulk_rows(path: Path) -> list[tuple]:
    return [row for batch in records_parallel.read_records_bulk(path) for row in batch]


def bulk_failure(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        bulk_rows(path)
    return info.value


def years(first: int, last: int) -> list[str]:
    return [swap("tax_year", str(year)) for year in range(first, last)]


def test_the_same_rows_in_the_same_order_as_the_serial_parser(tmp_path: Path) -> None:
    rows = years(1950, 2000)
    for at in (5, 6, 13, 20, 27):           # quoted fields at and across block ends
        rows[at] = swap("employer", f'"Smith, Jones & Co {at}"', rows[at])
    rows[30] = swap("name", '"Example, ""Maria"""', rows[30])
    path = write(tmp_path, *rows[:40], "", *rows[40:])
    serial = [row for batch in read_records(path) for row in batch]
    assert len(serial) == 50
    assert bulk_rows(path) == serial
    assert serial[6][17] == "Smith, Jones & Co 6" and serial[30][2] == 'Example, "Maria"'


@pytest.mark.parametrize("at", [5, 6, 13, 20, 27])
def test_a_quoted_field_over_lines_is_refused_at_its_line_at_and_across_block_ends(tmp_path: Path, at: int) -> None:
    """No field of a record may hold a line end (textsafety); the blocks are still cut outside the quotes, so the
    worker names the record's first line, as the serial reader does."""
    rows = years(1950, 2000)
    rows[at] = swap("employer", f'"Smith, Jones\n& Co {at}\n"', rows[at])
    path = write(tmp_path, *rows)
    serial = failure(path)
    check(serial, path, f"line {at + 2}, column employer", "U+000A LINE FEED at character 13")
    assert str(bulk_failure(path)) == str(serial)


def test_the_first_bad_line_of_the_file_is_the_one_reported(tmp_path: Path) -> None:
    rows = years(1950, 2000)
    rows[20] = swap("refund", "12.5", rows[20])                     # block 3
    rows[45] = swap("tin", "12345", rows[45])                       # a later block, parsed at the same time
    path = write(tmp_path, *rows[:13], "", *rows[13:])              # line numbers shift by one after line 14
    check(bulk_failure(path), path, "line 23, column refund", "whole number")
    rows[20] = swap("refund", "12", rows[20])
    check(bulk_failure(write(tmp_path, *rows[:13], "", *rows[13:])), path, "line 48, column tin", "not 9 digits")


def test_a_bad_line_in_the_last_block_and_an_unclosed_quote(tmp_path: Path) -> None:
    rows = years(1950, 1990)
    path = write(tmp_path, *rows, swap("tax_year", "1800"))
    check(bulk_failure(path), path, "line 42, column tax_year", "before 1900")
    path = write(tmp_path, *rows, swap("employer", '"Acme', swap("tax_year", "1991")))
    check(bulk_failure(path), path, "line 42", "not valid CSV")


def test_a_duplicate_inside_a_block_is_named_by_the_worker(tmp_path: Path) -> None:
    rows = years(1950, 1970)
    rows[9] = rows[8]                                               # lines 10 and 11: the same block (9-15)
    check(bulk_failure(write(tmp_path, *rows)), tmp_path / "records.csv", "line 11",
          "same tin, tin_type and tax_year as line 10")


def test_a_duplicate_across_blocks_is_refused_by_the_store_and_changes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "store"
    session, _code, _ = Workstation(store).init("admin", PW, bind_device=False)
    rows = years(1950, 1990)
    rows[30] = swap("name", "Maria Q Example", rows[3])            # line 32 repeats line 5's tin and year
    path = write(tmp_path, *rows)
    log_before = session.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    with pytest.raises(InputError) as info:
        session.import_records(path)
    check(info.value, path, "line 32", "same tin, tin_type and tax_year as line 5")
    assert session.conn.execute("SELECT count(*) FROM taxpayer_records").fetchone()[0] == 0
    assert session.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == log_before
    indexes = {r[0] for r in session.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'taxpayer_records'")}
    assert {"taxpayer_records_tin", "taxpayer_records_match", "taxpayer_records_addr"} <= indexes
    # Without the duplicate the very same import goes through, and a re-import of it is a correction.
    rows[30] = swap("tax_year", "1949", rows[30])
    fixed = write(tmp_path, *rows, name="fixed.csv")
    assert session.import_records(fixed).rows == 40
    assert session.import_records(fixed).replaced == 40
    session.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_a_parallel_bulk_import_leaves_an_empty_store_and_no_worker(tmp_path: Path) -> None:
    store = tmp_path / "store"
    Workstation(store).init("admin", PW, bind_device=False)[0].close()
    big = write_filler(tmp_path / "big.csv", 600_000)
    env = dict(os.environ, DWS_STORE=str(store), DWS_USER="admin", DWS_PASSPHRASE=PW, DWS_IMPORT_WORKERS="2",
               DWS_IMPORT_PARALLEL_MIN_BYTES="0")
    proc = subprocess.Popen([sys.executable, "-m", "workstation.cli.main", "import", "records", str(big)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wal = store / "store.db-wal"
    deadline = time.monotonic() + 90
    workers: list[int] = []
    while time.monotonic() < deadline and (not wal.exists() or wal.stat().st_size < 4_000_000):
        if proc.poll() is not None:
            pytest.fail("the import finished before it could be killed; make the file larger")
        workers = _children(proc.pid) or workers
        time.sleep(0.02)
    workers = _children(proc.pid) or workers
    assert len(workers) >= 2, "the import did not run in worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(map(_running, workers)):
        time.sleep(0.05)
    assert [pid for pid in workers if _running(pid)] == [], "a parse worker outlived the killed import"
    with Workstation(store).unlock("admin", PW) as s:
        assert s.conn.execute("SELECT count(*) FROM taxpayer_records").fetchone()[0] == 0
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert s.import_records(write(tmp_path, ROW)).rows == 1


@pytest.fixture(name="segmented")
def segmented_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Indexes built by a sort after the first 20 rows; later rows go into the B-trees batch by batch."""
    from workstation.service import records_load

    monkeypatch.setattr(records_load, "SORTED_BUILD_MAX_ROWS", 20)


def _table(session: object) -> list[tuple]:
    return session.conn.execute("SELECT * FROM taxpayer_records ORDER BY tin, tax_year, tin_type").fetchall()


@pytest.mark.usefixtures("segmented")
def test_past_the_sorted_build_rows_go_into_the_indexes_and_the_table_is_the_same(tmp_path: Path,
                                                                                   monkeypatch: pytest.MonkeyPatch
                                                                                   ) -> None:
    rows = years(1930, 2000)[::-1]                                  # batches in descending key order
    path = write(tmp_path, *rows)
    segmented, _code, _ = Workstation(tmp_path / "a").init("admin", PW, bind_device=False)
    assert segmented.import_records(path).inserted == 70
    from workstation.service import records_load

    monkeypatch.setattr(records_load, "SORTED_BUILD_MAX_ROWS", 10**9)
    whole, _code, _ = Workstation(tmp_path / "b").init("admin", PW, bind_device=False)
    whole.import_records(path)
    assert _table(segmented) == _table(whole)
    assert segmented.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    segmented.close()
    whole.close()


@pytest.mark.usefixtures("segmented")
@pytest.mark.parametrize(("copy", "to", "line", "earlier"), [(3, 60, 62, 5), (50, 52, 54, 52)])
def test_a_duplicate_past_the_sorted_build_is_named_and_changes_nothing(tmp_path: Path, copy: int, to: int,
                                                                      line: int, earlier: int) -> None:
    session, _code, _ = Workstation(tmp_path / "store").init("admin", PW, bind_device=False)
    rows = years(1930, 2000)
    rows[to] = swap("name", "Maria Q Example", rows[copy])
    path = write(tmp_path, *rows)
    with pytest.raises(InputError) as info:
        session.import_records(path)
    check(info.value, path, f"line {line}", f"same tin, tin_type and tax_year as line {earlier}")
    assert session.conn.execute("SELECT count(*) FROM taxpayer_records").fetchone()[0] == 0
    session.close()

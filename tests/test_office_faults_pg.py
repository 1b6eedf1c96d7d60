"""Faults during imports into an office (issue 19 item 5), through the real `dws` command (a subprocess) against a
real TLS PostgreSQL server: the server stopped while `import records` streams its rows (mid-COPY), and the
desktop's session ended by the server (pg_terminate_backend) while `import request` streams a subjects_csv. Each
gives one clear message and no traceback; after the server is back every office count is as before, the records
table keeps its indexes, the log verifies, and the next `dws` command connects and the same import succeeds."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from clihelp import run_dws
from officefull import full_office
from officehelp import DBNAME, Office
from officerequests import bulk, subject

from workstation.store.office.schema import table_counts

PAT, PAT_PASSPHRASE = "pat", "pat's office passphrase"
HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
          "dependents,phone,bank_account,wages,employer,interest,hold")
LOST = ("dws: the office server could not be reached or ended the connection during the import; nothing was "
        "imported (import the file again when the server is back)\n")
RECORD_ROWS = 400_000
SUBJECTS = 150_000


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    started = full_office()
    started.enrol(PAT, "preparer", PAT_PASSPHRASE)
    yield started
    started.server.stop()


def records_file(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER + "\n")
        for i in range(n):
            f.write(f"{100 + i // 9999}55{i % 9999 + 1:04d},SSN,Pat Example{i},{i + 1} Main St,Springfield,IL,62704,,"
                    f"2023,single,{50000 + i},1000,0,0,,,,,,0\n")
    return path


def counts(office: Office) -> dict[str, int]:
    with office.superuser() as conn:
        return table_counts(conn)


def indexes(office: Office) -> list[str]:
    return office.server.psql("SELECT indexname FROM pg_indexes WHERE tablename = 'taxpayer_records' ORDER BY 1",
                              dbname=DBNAME, check=True).stdout.split()


def dws(profile: Path, *args: str) -> subprocess.Popen[str]:
    env = {"DWS_STORE": str(profile), "DWS_USER": PAT, "DWS_PASSPHRASE": PAT_PASSPHRASE}
    return subprocess.Popen([sys.executable, "-m", "workstation.cli.main", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, env={**os.environ, **env})


def copying(office: Office, rows: int) -> int | None:
    """The backend pid of pat's COPY once it has taken `rows` rows (pg_stat_progress_copy), else None."""
    out = office.server.psql("SELECT p.pid FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid) "
                             f"WHERE a.usename = '{PAT}' AND p.tuples_processed >= {rows}", dbname=DBNAME).stdout
    return int(out.split()[0]) if out.strip() else None


def fault_mid_copy(office: Office, proc: subprocess.Popen[str], rows: int, fault: Callable[[int], None]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pid = copying(office, rows)
        if pid is not None:
            fault(pid)
            return
        assert proc.poll() is None, f"the import ended before its COPY was seen: {proc.communicate()}"
        time.sleep(0.02)
    raise AssertionError("no COPY seen within 120 s")


def test_the_server_stopped_during_import_records(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk").path
    path = records_file(tmp_path / "records.csv", RECORD_ROWS)
    before, kept = counts(office), indexes(office)
    assert before["taxpayer_records"] == 0 and len(kept) >= 3      # the first load: it drops and rebuilds indexes
    proc = dws(profile, "import", "records", str(path))
    fault_mid_copy(office, proc, 20_000, lambda _pid: office.server.halt("fast"))
    out, err = proc.communicate(timeout=120)
    try:
        assert (proc.returncode, out, err) == (1, "", LOST)
        down = run_dws(profile, "list", env={"DWS_USER": PAT, "DWS_PASSPHRASE": PAT_PASSPHRASE})
        assert down.code == 1 and down.err.startswith("dws: office server unreachable: 127.0.0.1:"), down.err
    finally:
        office.server.resume()
    assert counts(office) == before and indexes(office) == kept
    verified = run_dws(profile, "verify", env={"DWS_USER": PAT, "DWS_PASSPHRASE": PAT_PASSPHRASE})
    assert verified.code == 0 and verified.out.endswith("OK: the office log's chain is whole.\n"), verified.err
    again = dws(profile, "import", "records", str(path))
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert out == (f"Imported {RECORD_ROWS:,} taxpayer record rows from records.csv into the office "
                   f"({RECORD_ROWS:,} new, 0 replaced).\n")
    assert counts(office) == {**before, "taxpayer_records": RECORD_ROWS,
                              "office_log": before["office_log"] + 1} and indexes(office) == kept


@pytest.mark.parametrize("fault", ["session ended", "server stopped"])
def test_a_fault_during_import_request_with_a_subjects_csv(office: Office, tmp_path: Path, fault: str) -> None:
    profile = office.desktop(tmp_path / "desk").path
    first = f"FIRST-{fault.split()[1]}"
    small = run_dws(profile, "import", "request", str(bulk(tmp_path / "first", first, [subject(1)])),
                    env={"DWS_USER": PAT, "DWS_PASSPHRASE": PAT_PASSPHRASE})
    assert small.code == 0, small.err
    ident = f"BIG-{fault.split()[1]}"
    path = bulk(tmp_path / "big", ident, [subject(i) for i in range(SUBJECTS)])
    before = counts(office)
    proc = dws(profile, "import", "request", str(path))

    def terminate(pid: int) -> None:
        with psycopg.connect(office.server.conninfo(DBNAME), autocommit=True) as su:
            assert su.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)

    fault_mid_copy(office, proc, 5_000, terminate if fault == "session ended" else lambda _: office.server.halt())
    out, err = proc.communicate(timeout=120)
    try:
        assert (proc.returncode, out, err) == (1, "", LOST)
    finally:
        if fault == "server stopped":
            office.server.resume()
    assert counts(office) == before
    done = dws(profile, "import", "request", str(path))
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    assert out == f"Imported request {ident} with {SUBJECTS:,} subjects from {ident}.json into the office.\n"
    after = counts(office)
    assert (after["requests"], after["request_subjects"], after["office_log"]) == (
        before["requests"] + 1, before["request_subjects"] + SUBJECTS, before["office_log"] + 1)
    verified = run_dws(profile, "verify", env={"DWS_USER": PAT, "DWS_PASSPHRASE": PAT_PASSPHRASE})
    assert verified.code == 0, verified.err

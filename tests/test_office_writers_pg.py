"""Many desktops at once (issue 19 item 4, for the office log): 8 `dws` processes at a time, as 8 different enrolled
users of one office, append to its log for a bounded time (DWS_OFFICE_WRITERS_SECONDS, 12 s by default; the full
minute is `DWS_OFFICE_WRITERS_SECONDS=60`, bench/README.md): seven preparers import small records files, the
admin enrols new users. Afterwards the log has one order (seq 1..n, each entry chained to the one before),
`dws verify` passes, and the entries are exactly the operations that said they succeeded: none lost, none
doubled, each recorded under the login role that made it (the server's `appended_by`)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from clihelp import Result, run_dws
from officehelp import ADMIN, ADMIN_PASSPHRASE, Office

from workstation.store.office import log
from workstation.store.office import records as records_sql

SECONDS = float(os.environ.get("DWS_OFFICE_WRITERS_SECONDS", "12"))
PREPARERS = [f"prep{i}" for i in range(1, 8)]
HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
          "dependents,phone,bank_account,wages,employer,interest,hold\n")


def secret(user: str) -> str:
    return ADMIN_PASSPHRASE if user == ADMIN else f"{user}'s office passphrase"


@dataclass
class Writer:
    user: str
    done: list[tuple[str, str]] = field(default_factory=list)       # (event, object) of each success
    failed: list[str] = field(default_factory=list)                 # each failure's message


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Office, Path]]:
    started = Office.start()
    with started.superuser() as conn, conn.transaction():
        records_sql.create(conn, started.roles)
    for user in PREPARERS:
        started.enrol(user, "preparer", secret(user))
    yield started, started.desktop(tmp_path / "desk").path
    started.server.stop()


def dws(profile: Path, user: str, *args: str, env: dict[str, str] | None = None) -> Result:
    return run_dws(profile, *args, env={"DWS_USER": user, "DWS_PASSPHRASE": secret(user), **(env or {})})


def prepare(profile: Path, folder: Path, writer: Writer, index: int, deadline: float) -> None:
    """Import a new two-row file after another until the deadline (each writer's TINs its own)."""
    n = 0
    while time.monotonic() < deadline:
        path = folder / f"{writer.user}-{n}.csv"
        first = 501_010_000 + 10_000 * index + 2 * n + 1
        path.write_text(HEADER + "".join(f"{first + i},SSN,Pat Example,1 Main St,Springfield,IL,62704,,2023,single,"
                                         "50000,1000,0,0,,,,,,0\n" for i in range(2)))
        done = dws(profile, writer.user, "import", "records", str(path))
        if done.code == 0:
            writer.done.append(("records-imported", "None"))   # no file named (its name may name a taxpayer)
        else:
            writer.failed.append(done.err)
        n += 1


def enrol(profile: Path, writer: Writer, deadline: float) -> None:
    """The admin enrols one new user after another until the deadline."""
    n = 0
    while time.monotonic() < deadline:
        name = f"new{n}"
        done = run_dws(profile, "--user", ADMIN, "office", "enrol", "--profile", str(profile), "--user", name,
                       "--role", "auditor", env={"DWS_PASSPHRASE": ADMIN_PASSPHRASE,
                                                 "DWS_NEW_PASSPHRASE": f"{name}'s passphrase"})
        if done.code == 0:
            writer.done.append(("office-user-enrolled", name))
        else:
            writer.failed.append(done.err)
        n += 1


def test_eight_desktops_append_to_one_log_and_nothing_is_lost_or_doubled(office: tuple[Office, Path],
                                                                         tmp_path: Path) -> None:
    server, profile = office
    with server.superuser() as conn:
        before = len(log.entries(conn))
    writers = [Writer(user) for user in [*PREPARERS, ADMIN]]
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=prepare, args=(profile, tmp_path, w, i, deadline))
               for i, w in enumerate(writers[:-1])]
    threads.append(threading.Thread(target=enrol, args=(profile, writers[-1], deadline)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"{SECONDS:g} s: operations per desktop {[len(w.done) for w in writers]}")    # shown with -s
    assert [w.failed for w in writers] == [[] for _ in writers]
    assert all(w.done for w in writers), [len(w.done) for w in writers]      # every desktop got its turns

    with server.superuser() as conn:
        rows = log.entries(conn)
        record_rows = conn.execute("SELECT count(*) FROM dws.taxpayer_records").fetchone()
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))                 # one order, no gap
    assert [r[6] for r in rows] == [log.GENESIS, *(r[7] for r in rows[:-1])]    # each chained to the one before
    appended = rows[before:]
    made = sorted((w.user, event, obj) for w in writers for event, obj in w.done)
    assert sorted((str(r[2]), str(r[3]), str(r[4])) for r in appended) == made   # none lost, none doubled
    assert all(r[8] == r[2] for r in appended)          # the server's appended_by: the user each desktop said
    imports = sum(len(w.done) for w in writers[:-1])
    assert record_rows == (2 * imports,)
    checked = dws(profile, "prep1", "verify")
    assert (checked.code, checked.out) == (0, f"Office log: {len(rows):,} entries\nOK: the office log's chain is "
                                              "whole.\n"), checked.err

"""Backups of an office (issue 19 item 8; README "An office on one server"): `pg_dump` of the demo office, the
database then lost (renamed away), `pg_restore --create` makes it again: the same profile opens it, its log
verifies and extends the checkpoint taken before the dump, and its taxpayer records open on the desktop. The
dump itself holds ciphertext only (no demo TIN or name in it; tests/test_office_records_pg.py's canary test
checks every spelling)."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelp import run_dws
from conftest import pg_unavailable

from workstation import clock as clocks
from workstation.demo.generator import STORY_AGE
from workstation.demo.taxpayers import TaxpayerFactory, write_records
from workstation.demo_store import DEFAULT_SEED, DEFAULT_TAXPAYERS
from workstation.office.cluster import Cluster, bindir
from workstation.office.profile import load
from workstation.office.records_seal import open_record
from workstation.service import office_session
from workstation.store.office import records as records_sql


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, Cluster]]:
    if bindir() is None:
        pg_unavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)")
    folder = tmp_path / "office"
    made = run_dws(tmp_path / "unused", "office", "demo", str(folder))
    assert made.code == 0, made.err
    cluster = Cluster.at(Path(json.loads((folder / "cluster.json").read_text())["cluster"]))
    yield folder, cluster
    cluster.stop("immediate")
    shutil.rmtree(cluster.root, ignore_errors=True)


def as_user(folder: Path, name: str, *args: str) -> tuple[int, str, str]:
    done = run_dws(folder / "office.json", *args,
                   env={"DWS_USER": name, "DWS_PASSPHRASE": f"demo-{name}-passphrase"})
    return done.code, done.out, done.err


def server(cluster: Cluster, port: int, *args: str) -> str:
    """A PostgreSQL client program as the cluster's system user over its socket (what the server's administrator
    runs on the server)."""
    done = cluster.run(*args[:1], "-h", str(cluster.socket_dir), "-p", str(port), "-U", "postgres", *args[1:])
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_pg_dump_restored_into_a_new_database_is_the_same_office(demo: tuple[Path, Cluster],
                                                                   tmp_path: Path) -> None:
    folder, cluster = demo
    port = load(folder / "office.json").port
    witness = tmp_path / "before-dump.checkpoint"
    assert as_user(folder, "otto", "log", "checkpoint", "-o", str(witness))[0] == 0
    entries_before = as_user(folder, "otto", "verify")[1].splitlines()[0]

    dump = cluster.root / "office.dump"              # the commands README "An office on one server" gives
    server(cluster, port, "pg_dump", "-Fc", "-d", "office", "-f", str(dump))
    text = server(cluster, port, "pg_restore", "-f", "-", str(dump))        # the dump as SQL text
    demo_csv = tmp_path / "demo.csv"
    rows = write_records(demo_csv, TaxpayerFactory(DEFAULT_SEED, clocks.today() - STORY_AGE), DEFAULT_TAXPAYERS)
    with demo_csv.open(newline="") as f:
        first = next(csv.DictReader(f))
    assert "COPY dws.taxpayer_records" in text
    assert first["tin"] not in text and first["tin"].replace("-", "") not in text
    assert first["name"] not in text and first["name"].upper() not in text

    # the office's database is lost (kept aside under another name); the dump makes it again
    server(cluster, port, "psql", "-X", "-q", "-d", "postgres", "-c",
           "ALTER DATABASE office RENAME TO office_lost")
    assert as_user(folder, "otto", "verify")[0] == 1                  # no office there any more
    server(cluster, port, "pg_restore", "--create", "--exit-on-error", "-d", "postgres", str(dump))

    code, out, err = as_user(folder, "otto", "verify", "--against", str(witness))
    assert code == 0, err
    assert out.splitlines()[0] == entries_before
    assert out.endswith("OK: the office log's chain is whole and extends every checkpoint given.\n")
    with office_session.opened(folder / "office.json", "rita", "demo-rita-passphrase") as o:    # the desktop
        assert records_sql.count(o.conn) == rows
        tin = first["tin"].replace("-", "")
        found = records_sql.sealed_by_tin(o.conn, o.keys.tin_index(tin) or b"")
        assert found
        lines = [open_record(o.keys, records_sql.TABLE, row) for row in found]
        assert all(line.startswith(f"{first['tin']},") for line in lines)
    more = tmp_path / "more.csv"
    more.write_text(demo_csv.read_text().splitlines()[0] + "\n" + "587550001,SSN,Pat Example,1 Main St,"
                    "Springfield,IL,62704,,2023,single,50000,1000,0,0,,,,,,0\n")
    assert as_user(folder, "rita", "import", "records", str(more))[0] == 0       # and it takes new work
    assert as_user(folder, "otto", "verify", "--against", str(witness))[0] == 0

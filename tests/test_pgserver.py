"""The tests' PostgreSQL server (tests/pgserver.py) is a real one: it answers over its socket and over TCP
with the superuser's password, refuses a wrong password, gives each test its own database, and stops."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import pg_unavailable
from pgserver import PgServer


def test_the_server_answers_over_its_socket(pg_server: PgServer, pg_database: str) -> None:
    done = pg_server.psql("SELECT current_database(), current_setting('fsync')", dbname=pg_database, check=True)
    assert done.stdout.strip() == f"{pg_database}|off"
    assert (pg_server.socket_dir / f".s.PGSQL.{pg_server.port}").exists()


def test_tcp_takes_the_password_and_refuses_another(pg_server: PgServer) -> None:
    base = [str(pg_server.bin / "psql"), "-X", "-A", "-t", "-h", "127.0.0.1", "-p", str(pg_server.port),
            "-U", "postgres", "-d", "postgres", "-c", "SELECT 42"]
    good = subprocess.run(base, capture_output=True, text=True, env={**os.environ, "PGPASSWORD": pg_server.password})
    assert good.returncode == 0 and good.stdout.strip() == "42"
    bad = subprocess.run(base, capture_output=True, text=True, env={**os.environ, "PGPASSWORD": "wrong"})
    assert bad.returncode != 0 and "password authentication failed" in bad.stderr


def test_each_test_gets_a_new_database(pg_server: PgServer, pg_database: str) -> None:
    pg_server.psql("CREATE TABLE t (a int)", dbname=pg_database, check=True)
    tables = pg_server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", dbname=pg_database)
    assert tables.stdout.strip() == "1"


def test_a_server_starts_and_stops_in_its_own_folder() -> None:
    from pgserver import PgUnavailable, start

    try:
        server = start()
    except PgUnavailable as exc:
        pg_unavailable(str(exc))
        raise
    root, port = server.root, server.port
    assert server.psql("SELECT 1").stdout.strip() == "1"
    if os.geteuid() == 0:
        assert root.stat().st_uid != 0           # the postgres system user's, not root's
    server.stop()
    assert not root.exists()
    assert server.psql("SELECT 1").returncode != 0, f"something still answers on port {port}"


def test_without_the_package_the_reason_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import pgserver

    monkeypatch.setattr(pgserver, "bindir", lambda: None)
    with pytest.raises(pgserver.PgUnavailable, match=r"apt-get install postgresql"):
        pgserver.start()


def test_in_ci_a_server_that_does_not_start_fails_elsewhere_it_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must start a PostgreSQL server: initdb failed"):
        pg_unavailable("initdb failed")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="no PostgreSQL server: initdb failed"):
        pg_unavailable("initdb failed")


def test_a_server_whose_test_process_is_killed_is_stopped_and_removed(pg_server: PgServer) -> None:
    """A test process killed by a timeout or by xdist leaves no server running and no folder behind."""
    import sys
    import time
    from pathlib import Path

    code = ("import os, signal, pgserver\n"
            "s = pgserver.start()\n"
            "print(s.root, s.port, flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parent, env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)})
    assert done.returncode == -9, done.stderr
    root_text, port = done.stdout.split()
    root = Path(root_text)
    for _ in range(600):
        if not root.exists():
            break
        time.sleep(0.05)
    assert not root.exists()
    probe = [str(pg_server.bin / "pg_isready"), "-h", "127.0.0.1", "-p", port]
    assert subprocess.run(probe, capture_output=True).returncode != 0

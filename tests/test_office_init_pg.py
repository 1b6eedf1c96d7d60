"""`dws office init --profile FILE` (issue 19, INTERCHANGE.md) against a real TLS server: the server's
administrator creates the office schema and roles in an empty database through the profile's connection
(verify-full, the desktop's certificate); a second init, a user who may not, and a wrong password each give one
message and change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelp import Cli
from pgserver import PgServer
from test_office_tls_pg import desktop, tls_server  # noqa: F401  (its TLS server fixture)

BOSS_PW = "boss-database-password"


@pytest.fixture
def office_db(tls_server: PgServer) -> Iterator[str]:  # noqa: F811
    tls_server.psql(f"CREATE ROLE boss LOGIN SUPERUSER PASSWORD '{BOSS_PW}'", check=True)
    tls_server.psql("CREATE ROLE clerk LOGIN PASSWORD 'clerk-pw'", check=True)
    tls_server.create_database("office_init")
    yield "office_init"
    tls_server.drop_database("office_init")
    tls_server.psql("DROP ROLE IF EXISTS office_init_preparer, office_init_approver, office_init_counsel, "
                    "office_init_auditor, office_init_admin, office_init_owner, boss, clerk", check=True)


def profile_for(tmp_path: Path, server: PgServer, dbname: str) -> Path:
    path = desktop(tmp_path / "desk", server)
    path.write_text(path.read_text().replace('"dbname": "postgres"', f'"dbname": "{dbname}"'))
    return path


def test_init_creates_the_office_once(tls_server: PgServer, office_db: str, tmp_path: Path,  # noqa: F811
                                      capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    cli = Cli(tmp_path / "unused", capsys, monkeypatch)
    profile = profile_for(tmp_path, tls_server, office_db)
    done = cli("office", "init", "--profile", str(profile), user="boss", passphrase=BOSS_PW)
    assert done.code == 0, done.err
    assert "Created the office 'Test Office' in database 'office_init' (roles office_init_*)" in done.out
    assert "ssl_min_protocol_version = 'TLSv1.3'" in done.out and "clientcert=verify-ca" in done.out
    tables = tls_server.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                             "WHERE schemaname = 'dws'", dbname=office_db, check=True).stdout.strip()
    assert tables == "office_log,taxpayer_records"

    again = cli("office", "init", "--profile", str(profile), user="boss", passphrase=BOSS_PW)
    assert (again.code, again.err.strip()) == (1, "dws: office.json: database 'office_init' holds an office "
                                                  "already; nothing was changed")


def test_init_refused_without_the_right_user_or_password(tls_server: PgServer, office_db: str,  # noqa: F811
                                                        tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cli = Cli(tmp_path / "unused", capsys, monkeypatch)
    profile = profile_for(tmp_path, tls_server, office_db)
    clerk = cli("office", "init", "--profile", str(profile), user="clerk", passphrase="clerk-pw")
    assert (clerk.code, clerk.err.strip()) == (1, "dws: database user 'clerk' may not create an office (it needs "
                                                  "to own the database and create roles); nothing was changed")
    wrong = cli("office", "init", "--profile", str(profile), user="boss", passphrase="not-it")
    assert wrong.code == 1 and "password authentication failed" in wrong.err and "nothing was changed" in wrong.err
    assert "not-it" not in wrong.err
    nouser = cli("office", "init", "--profile", str(profile), passphrase=BOSS_PW)
    assert nouser.code == 2 and "--user NAME" in nouser.err
    count = tls_server.psql("SELECT count(*) FROM pg_namespace WHERE nspname = 'dws'", dbname=office_db,
                            check=True).stdout.strip()
    assert count == "0"

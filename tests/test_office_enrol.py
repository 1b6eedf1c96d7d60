"""`dws office enrol` (INTERCHANGE.md; issue 19 items 3 and 6) against a real TLS PostgreSQL server: an admin
issues a desktop's folder and enrols users; the server refuses both to anyone else; the command's wiring,
tried in a throwaway `office` group (the lead hooks register_enrol into the real one)."""

from __future__ import annotations

import argparse
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from clihelp import run_dws
from cryptography import x509
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, Office
from pgserver import free_port

from workstation.cli import main as cli_main
from workstation.cli.commands_office_enrol import register_enrol
from workstation.errors import InputError, OfficeError, PermissionDenied
from workstation.office.profile import load
from workstation.office.unlock import open_office
from workstation.service.office_enrol import enrol_desktop, enrol_user
from workstation.store.auditlog import entry_hash
from workstation.store.office import log as office_log
from workstation.store.office.log import GENESIS

PAT, PAT_PASSPHRASE = "pat", "pat's office passphrase"


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    started = Office.start()
    started.enrol(PAT, "preparer", PAT_PASSPHRASE)
    yield started
    started.server.stop()


@pytest.fixture
def admin_profile(office: Office, tmp_path: Path) -> Path:
    return office.desktop(tmp_path / "admin-desk", name="admin-desk").path


def test_an_admin_enrols_a_desktop_that_then_connects(admin_profile: Path, tmp_path: Path) -> None:
    out = tmp_path / "new-desk"
    done = enrol_desktop(admin_profile, ADMIN, ADMIN_PASSPHRASE, "desk-7", out)
    assert sorted(p.name for p in out.iterdir()) == sorted(done.files) == [
        "desktop.key", "desktop.pem", "office-ca.pem", "office.json"]
    assert stat.S_IMODE((out / "desktop.key").stat().st_mode) == 0o600
    doc = json.loads((out / "office.json").read_text())
    assert doc["format"] == "dws.office/1" and "password" not in json.dumps(doc)
    with open_office(load(done.profile), PAT, PAT_PASSPHRASE) as session:
        dn = session.conn.execute("SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    assert dn is not None and str(dn[0]).startswith("/CN=desk-7/")
    with pytest.raises(InputError, match=r"^-o: .*new-desk already holds desktop.pem: enrol into a new folder"):
        enrol_desktop(admin_profile, ADMIN, ADMIN_PASSPHRASE, "desk-8", out)
    assert (out / "desktop.pem").read_bytes() != b"" and "desk-7" in str(dn[0])


def test_an_admin_enrols_a_user_who_then_unlocks(office: Office, admin_profile: Path) -> None:
    enrol_user(admin_profile, ADMIN, ADMIN_PASSPHRASE, "cy", "counsel", "cy's passphrase")
    with open_office(load(admin_profile), "cy", "cy's passphrase") as session:
        row = session.conn.execute("SELECT session_user, pg_has_role('dws_counsel', 'MEMBER'), "
                                   "pg_has_role('dws_admin', 'MEMBER'), rolcreaterole FROM pg_roles "
                                   "WHERE rolname = session_user").fetchone()
    assert row == ("cy", True, False, False)
    with pytest.raises(InputError, match=r"^--user: the office server already has a database role named 'cy'"):
        enrol_user(admin_profile, ADMIN, ADMIN_PASSPHRASE, "cy", "auditor", "another")
    with pytest.raises(InputError, match=r"^--role: no office role 'boss' \(one of preparer, approver"):
        enrol_user(admin_profile, ADMIN, ADMIN_PASSPHRASE, "dee", "boss", "x")
    for bad in ("Dee", "dws_clerk", "pg_dee", "a" * 70):        # dws_: the office's own role names
        with pytest.raises(InputError, match=r"^--user: a login name is a lower-case letter"):
            enrol_user(admin_profile, ADMIN, ADMIN_PASSPHRASE, bad, "preparer", "x")
    slots = office.server.psql("SELECT login FROM dws.office_keyslots ORDER BY login", dbname=DBNAME).stdout
    assert slots.split() == ["ada", "cy", "pat"]


def test_the_server_refuses_enrolment_to_anyone_but_an_admin(office: Office, admin_profile: Path) -> None:
    with pytest.raises(PermissionDenied, match=r"^only an office admin may enrol a user$"):
        enrol_user(admin_profile, PAT, PAT_PASSPHRASE, "mallory", "admin", "x")
    with pytest.raises(PermissionDenied, match=r"^only an office admin may enrol a desktop$"):
        enrol_desktop(admin_profile, PAT, PAT_PASSPHRASE, "desk-9", admin_profile.parent / "x")
    assert office.server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'mallory'").stdout.strip() == "0"
    assert not (admin_profile.parent / "x").exists()


# --- the command's wiring, in a throwaway `office` group ------------------------------------------------------

def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="dws")
    cli_main._global_options(top, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    cli_main._global_options(common, suppress=True)
    sub = top.add_subparsers(dest="command", required=True)
    office = sub.add_parser("office", parents=[common])
    register_enrol(office.add_subparsers(dest="office_command", required=True), common)
    return top


def test_the_enrol_command_parses_as_interchange_says() -> None:
    args = parser().parse_args(["--user", "ada", "office", "enrol", "--profile", "o.json", "--desktop", "d1",
                                "-o", "out"])
    assert (args.user, args.profile, args.desktop, args.output, args.enrol_user) == (
        "ada", Path("o.json"), "d1", Path("out"), None)
    args = parser().parse_args(["office", "enrol", "--profile", "o.json", "--user", "pat", "--role", "approver"])
    assert (args.user, args.enrol_user, args.role, args.desktop) == (None, "pat", "approver", None)
    for wrong in (["office", "enrol", "--profile", "o.json", "--user", "p", "--desktop", "d"],
                  ["office", "enrol", "--profile", "o.json", "--user", "p", "--role", "boss"],
                  ["office", "enrol", "--desktop", "d", "-o", "x"]):
        with pytest.raises(SystemExit) as caught:
            parser().parse_args(wrong)
        assert caught.value.code == 2


def test_the_enrol_command_runs(admin_profile: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DWS_PASSPHRASE", ADMIN_PASSPHRASE)
    monkeypatch.setenv("DWS_NEW_PASSPHRASE", "eve's passphrase")
    monkeypatch.delenv("DWS_USER", raising=False)
    args = parser().parse_args(["--user", ADMIN, "office", "enrol", "--profile", str(admin_profile), "--user", "eve",
                                "--role", "auditor"])
    assert args.func(args) == 0
    assert capsys.readouterr().out == "Enrolled 'eve' as auditor of the office\n"
    out = tmp_path / "eve-desk"
    args = parser().parse_args(["--user", ADMIN, "--json", "office", "enrol", "--profile", str(admin_profile),
                                "--desktop", "eve-desk", "-o", str(out)])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["files"] == ["desktop.pem", "desktop.key", "office-ca.pem",
                                                            "office.json"]
    with open_office(load(out / "office.json"), "eve", "eve's passphrase") as session:
        assert session.conn.execute("SELECT pg_has_role('dws_auditor', 'MEMBER')").fetchone() == (True,)
    args = parser().parse_args(["office", "enrol", "--profile", str(admin_profile), "--desktop", "x"])
    with pytest.raises(Exception, match="takes -o DIR"):
        args.func(args)


def test_an_admin_cannot_make_themselves_more_than_an_admin(office: Office, admin_profile: Path) -> None:
    """Enrolment runs in the enroller's function: the admin's own login has no CREATEROLE, so cannot join the
    owner role (which could disable the log's triggers) nor set another user's password."""
    with open_office(load(admin_profile), ADMIN, ADMIN_PASSPHRASE) as session:
        for statement in ("GRANT dws_owner TO ada", "ALTER ROLE pat PASSWORD 'known'", "CREATE ROLE eve2 LOGIN",
                          "SET ROLE dws_enroller"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), session.conn.transaction():
                session.conn.execute(statement)


def test_a_refusal_reaches_the_officer_as_one_line(office: Office, admin_profile: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Through the CLI's one error path (main.py), with the throwaway parser in place of the real one."""
    closed = free_port()
    gone = office.desktop(tmp_path / "gone").path
    gone.write_text(gone.read_text().replace(f": {office.server.port},", f": {closed},"))
    monkeypatch.setattr(cli_main, "build_parser", parser)
    monkeypatch.setenv("DWS_PASSPHRASE", ADMIN_PASSPHRASE)
    monkeypatch.setenv("DWS_NEW_PASSPHRASE", "x")
    code = cli_main.main(["--user", ADMIN, "office", "enrol", "--profile", str(gone), "--user", "fay", "--role",
                          "preparer"])
    assert (code, capsys.readouterr().err) == (1, (
        f"dws: office server unreachable: 127.0.0.1:{closed} (check that the server is running and that this "
        "desktop is on the office network; 'host' and 'port' are in office.json), then try again\n"))
    code = cli_main.main(["--user", ADMIN, "office", "enrol", "--profile", str(admin_profile), "--user", "fay",
                          "--role", "preparer"])
    assert (code, capsys.readouterr().err) == (0, "")
    monkeypatch.setenv("DWS_PASSPHRASE", "not ada's")
    code = cli_main.main(["--user", ADMIN, "office", "enrol", "--profile", str(admin_profile), "--user", "gus",
                          "--role", "preparer"])
    assert (code, capsys.readouterr().err) == (1, "dws: unknown user or wrong passphrase for 'ada'\n")


def test_enrolments_are_in_the_office_log(office: Office, admin_profile: Path, tmp_path: Path) -> None:
    enrol_user(admin_profile, ADMIN, ADMIN_PASSPHRASE, "hal", "approver", "hal's passphrase")
    enrol_desktop(admin_profile, ADMIN, ADMIN_PASSPHRASE, "desk-hal", tmp_path / "hal-desk")
    with office.superuser() as conn:
        rows = office_log.entries(conn)
    last = GENESIS
    for seq, ts, user, event, obj, detail, prev, hash_, _by in rows:
        assert prev == last and hash_ == entry_hash(last, seq, ts, user, event, obj, detail)   # type: ignore[arg-type]
        last = str(hash_)
    desk_row = rows[-1]
    assert rows[-2][2:6] == ("ada", "office-user-enrolled", "hal", '{"role":"approver"}') and rows[-2][8] == "ada"
    serial = format(x509.load_pem_x509_certificate((tmp_path / "hal-desk" / "desktop.pem").read_bytes())
                    .serial_number, "x")
    assert desk_row[2:5] == ("ada", "office-desktop-enrolled", "desk-hal")
    assert json.loads(str(desk_row[5]))["serial"] == serial and desk_row[8] == "ada"
    assert not any(secret in str(rows) for secret in ("hal's passphrase", ADMIN_PASSPHRASE))


def test_an_enrolment_the_log_refuses_leaves_nothing(office: Office, admin_profile: Path, tmp_path: Path) -> None:
    office.server.psql("REVOKE INSERT ON dws.office_log FROM dws_admin", dbname=DBNAME, check=True)
    try:
        for call, args in ((enrol_desktop, ("desk-x", tmp_path / "x-desk")), (enrol_user, ("ivy", "counsel", "pw"))):
            with pytest.raises(OfficeError, match=r"^the office log refused the entry for this office-\w+-enrolled "
                               r"\(SQLSTATE 42501\): nothing was enrolled"):
                call(admin_profile, ADMIN, ADMIN_PASSPHRASE, *args)     # type: ignore[operator]
    finally:
        office.server.psql("GRANT INSERT ON dws.office_log TO dws_admin", dbname=DBNAME, check=True)
    assert not (tmp_path / "x-desk").exists()
    assert office.server.psql("SELECT count(*) FROM pg_roles WHERE rolname = 'ivy'").stdout.strip() == "0"


def test_a_desktop_name_the_office_has_is_refused(office: Office, admin_profile: Path, tmp_path: Path) -> None:
    """A name is one desktop (so `office revoke --desktop NAME` revokes that one alone): enrolling a second desktop
    under a name the office log records, revoked or not, is one message, no folder and no log entry."""
    enrol_desktop(admin_profile, ADMIN, ADMIN_PASSPHRASE, "desk-twin", tmp_path / "first")
    with office.superuser() as conn:
        entries = office_log.entries(conn)
    seq = entries[-1][0]
    for attempt in ("second", "third"):
        with pytest.raises(InputError) as taken:
            enrol_desktop(admin_profile, ADMIN, ADMIN_PASSPHRASE, "desk-twin", tmp_path / attempt)
        assert str(taken.value) == (f"--desktop: the office has a desktop named 'desk-twin' already (office log entry "
                                    f"{seq}); a name is one desktop, so that revoking it revokes no other: enrol this "
                                    "one under a new name; nothing was changed")
        assert not (tmp_path / attempt).exists()
        with office.superuser() as conn:
            assert office_log.entries(conn) == entries
        revoked = run_dws(admin_profile.parent / "unused", "--user", ADMIN, "office", "revoke", "--profile",
                          str(admin_profile), "--desktop", "desk-twin", "--crl-out", str(tmp_path / "crl.pem"),
                          env={"DWS_PASSPHRASE": ADMIN_PASSPHRASE})
        assert revoked.code == 0, revoked.err            # ... and after the name is revoked too
        with office.superuser() as conn:
            entries = office_log.entries(conn)

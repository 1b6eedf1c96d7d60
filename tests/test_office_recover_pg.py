"""Recovering an office user with the office's recovery code (`dws office recover`), through the real `dws` command
against a real TLS PostgreSQL server: a user who forgot their passphrase (the only admin too) gets a new one and
unlocks with it, the old one opens nothing, the office log records it and verifies; a wrong code is refused in
one line and nothing changes; the server itself refuses a recovery without the code's proof, and to every
office role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from clihelp import run_dws
from officefull import RECOVERY_CODE, full_office
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, Office

from workstation.errors import AuthError
from workstation.office import credential
from workstation.office.connect import connect
from workstation.office.unlock import open_office
from workstation.service.office_session import check_chain
from workstation.store.office import log as office_log
from workstation.store.office import recovery

QUINN, QUINN_FORGOTTEN = "quinn", "quinn's forgotten passphrase"
NEW = "quinn's new passphrase after recovery"


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    started = full_office()
    started.enrol(QUINN, "approver", QUINN_FORGOTTEN)
    yield started
    started.server.stop()


def state(office: Office, login: str) -> tuple[str, str, int]:
    """(the login's keyslot row, its SCRAM verifier, the office log's length): what a recovery changes."""
    slot = office.server.psql(f"SELECT encode(wrapped, 'hex') || kdf FROM dws.office_keyslots WHERE login = '{login}'",
                              dbname=DBNAME, check=True).stdout
    verifier = office.server.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{login}'", check=True).stdout
    entries = office.server.psql("SELECT count(*) FROM dws.office_log", dbname=DBNAME, check=True).stdout
    return slot, verifier, int(entries)


def recover(profile: Path, login: str, code: str, new: str = NEW) -> tuple[int, str, str]:
    done = run_dws(profile.parent / "unused", "office", "recover", "--profile", str(profile), "--user", login,
                   env={"DWS_RECOVERY_CODE": code, "DWS_NEW_PASSPHRASE": new})
    return done.code, done.out, done.err


def test_a_forgotten_passphrase_is_replaced_with_the_recovery_code(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    before = state(office, QUINN)
    code, out, err = recover(profile.path, QUINN, RECOVERY_CODE.lower().replace("-", " "))   # as typed
    assert (code, err) == (0, ""), err
    assert out.startswith(f"'{QUINN}' has a new passphrase (a new keyslot and database password, set with the "
                          "office's recovery code; office log entry ")
    after = state(office, QUINN)
    assert after[0] != before[0] and after[1] != before[1] and after[2] == before[2] + 1
    with pytest.raises(AuthError, match=f"wrong passphrase for '{QUINN}'"):
        open_office(profile, QUINN, QUINN_FORGOTTEN)
    with open_office(profile, QUINN, NEW) as session:
        assert session.conn.execute("SELECT session_user").fetchone() == (QUINN,)
        assert session.office_key == office.office_key
        rows = office_log.entries(session.conn)
    assert check_chain(rows).ok
    seq, _ts, user, event, obj, detail, *_rest, appended_by = rows[-1]
    assert (user, event, obj, appended_by) == ("dws_desk", "office-user-recovered", QUINN, "dws_desk")
    assert '"with":"recovery code"' in str(detail) and NEW not in str(detail)
    assert f"office log entry {seq})." in out
    verified = run_dws(profile.path, "verify", env={"DWS_USER": QUINN, "DWS_PASSPHRASE": NEW})
    assert verified.code == 0 and verified.out.endswith("OK: the office log's chain is whole.\n"), verified.err


def test_the_only_admin_is_recovered_and_can_enrol_again(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    code, _out, err = recover(profile.path, ADMIN, RECOVERY_CODE, "ada's new passphrase")
    assert code == 0, err
    with pytest.raises(AuthError):
        open_office(profile, ADMIN, ADMIN_PASSPHRASE)
    enrolled = run_dws(profile.path.parent / "unused", "--user", ADMIN, "office", "enrol", "--profile",
                       str(profile.path), "--user", "robin", "--role", "preparer",
                       env={"DWS_PASSPHRASE": "ada's new passphrase", "DWS_NEW_PASSPHRASE": "robin's passphrase"})
    assert enrolled.code == 0, enrolled.err
    with open_office(profile, "robin", "robin's passphrase") as session:
        assert session.conn.execute("SELECT session_user").fetchone() == ("robin",)


def test_a_wrong_code_or_an_unknown_user_is_refused_in_one_line_and_nothing_changes(
        office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    office.enrol("sam", "counsel", "sam's passphrase")
    before = state(office, "sam")
    code, out, err = recover(profile.path, "sam", "AAAAA-" * 7 + "AAAAA")
    assert (code, out, err) == (1, "", "dws: the recovery code does not open this office's recovery keyslot; "
                                       "nothing was changed\n")
    code, out, err = recover(profile.path, "nobody", RECOVERY_CODE)
    assert (code, out) == (1, "") and err == "dws: --user: the office has no user 'nobody'; nothing was changed\n"
    assert state(office, "sam") == before
    with open_office(profile, "sam", "sam's passphrase") as session:
        assert session.conn.execute("SELECT session_user").fetchone() == ("sam",)


def test_the_server_refuses_a_recovery_without_the_codes_proof_and_to_every_office_role(
        office: Office, tmp_path: Path) -> None:
    """A desktop that holds the office key (every user's does) but not the code cannot reset anyone: the server
    checks the proof. And no office role may call the recovery as itself (only the keyslot reader may)."""
    profile = office.desktop(tmp_path / "desk")
    office.enrol("val", "admin", "val's passphrase")
    before = state(office, "val")
    slot, opened = credential.new_slot("val", "an intruder's passphrase", office.office_key,
                                       credential.slot_kdf("approved"))
    with connect(profile, "dws_desk", None) as conn:
        verifier = conn.pgconn.encrypt_password(opened.password.encode(), b"val", b"scram-sha-256").decode()
        head = recovery.log_head(conn)
        assert head is not None
        entry = (head[0] + 1, "2026-12-05T00:00:00.000Z", "{}", head[1], "0" * 64)
        for proof in (b"\0" * 32, office.office_key):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                recovery.recover(conn, "val", proof, verifier, (slot.kdf_json(), slot.salt, slot.nonce, slot.wrapped),
                                 entry)
    with open_office(profile, "val", "val's passphrase") as session:      # an admin, holding the office key
        with pytest.raises(psycopg.errors.InsufficientPrivilege), session.conn.transaction():
            recovery.recover(session.conn, "val", b"\0" * 32, verifier,
                             (slot.kdf_json(), slot.salt, slot.nonce, slot.wrapped), entry)
        for statement in ("SELECT * FROM dws.office_recovery_proof", "SELECT * FROM dws.office_recovery_slot()"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), session.conn.transaction():
                session.conn.execute(statement)
    assert state(office, "val") == before

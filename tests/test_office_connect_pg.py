"""Connecting to an office (issue 19 item 3) against a real TLS PostgreSQL server: the user's passphrase alone
opens their keyslot and their database login (no second secret); every refusal is one message that says what
is wrong and what to do, as the officer reads it, naming no password."""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, NOW, Office, new_ca
from pgserver import Tls, free_port, start

from workstation.errors import AuthError, DwsError, OfficeError
from workstation.keys import ca
from workstation.office import credential, tls
from workstation.office.connect import connect, explain
from workstation.office.profile import load
from workstation.office.unlock import fetch_slot, open_office

OTHER_CA = new_ca("Other Office")
PAT, PAT_PASSPHRASE = "pat", "correct horse battery staple"
ENROL_AGAIN = "ask the office administrator to enrol this desktop again (dws office enrol --desktop NAME)"


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    started = Office.start()
    started.enrol(PAT, "preparer", PAT_PASSPHRASE)
    yield started
    started.server.stop()


def refused(call: object, *args: object) -> OfficeError:
    with pytest.raises(OfficeError) as caught:
        conn = call(*args)              # type: ignore[operator]
        conn.close()
    assert isinstance(caught.value, DwsError) and caught.value.exit_code == 1
    return caught.value


def test_the_passphrase_alone_connects_as_the_users_role(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    with open_office(profile, PAT, PAT_PASSPHRASE) as session:
        row = session.conn.execute(
            "SELECT session_user, pg_has_role(session_user, 'dws_preparer', 'MEMBER'), "
            "pg_has_role(session_user, 'dws_counsel', 'MEMBER'), ssl, client_dn FROM pg_stat_ssl "
            "WHERE pid = pg_backend_pid()").fetchone()
        assert row == ("pat", True, False, True, "/CN=desk-1/O=Test Office")
        assert session.office_key == office.office_key and "key" not in repr(session).split("login=")[1]
    with open_office(profile, ADMIN, ADMIN_PASSPHRASE) as session:
        assert session.conn.execute("SELECT current_user").fetchone() == ("ada",)


def test_a_wrong_passphrase_never_reaches_the_server_as_the_user(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    before = len(office.log_text())
    for login, passphrase in ((PAT, "wrong horse battery staple"), ("nobody", PAT_PASSPHRASE)):
        with pytest.raises(AuthError) as caught:
            open_office(profile, login, passphrase)
        assert str(caught.value) == f"unknown user or wrong passphrase for {login!r}"
    seen = office.log_text()[before:]
    assert "user=dws_desk" in seen                           # the keyslot reader was asked, by certificate
    assert "user=pat" not in seen and '"pat"' not in seen      # and no login as pat was even tried
    open_office(profile, PAT, PAT_PASSPHRASE).close()
    assert "user=pat" in office.log_text()[before:]             # (the log does show a login as pat)


def test_no_second_secret_is_kept_anywhere(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    slot = fetch_slot(profile, PAT, office.roles)
    assert slot is not None
    opened = credential.open_slot(slot, PAT_PASSPHRASE)
    assert opened is not None
    password = opened.password
    open_office(profile, PAT, PAT_PASSPHRASE).close()
    assert sorted(p.name for p in (tmp_path / "desk").iterdir()) == [
        "desktop.key", "desktop.pem", "office-ca.pem", "office.json"]
    secrets = (password.encode(), opened.user_secret, office.office_key)
    for path in [*tmp_path.rglob("*"), Path.home() / ".pgpass"]:
        if path.is_file():
            data = path.read_bytes()
            assert not any(s in data for s in secrets), path
    assert password not in office.log_text()
    stored = office.server.psql("SELECT rolpassword FROM pg_authid WHERE rolname = 'pat'").stdout.strip()
    assert stored.startswith("SCRAM-SHA-256$4096:") and password not in stored
    desk = office.server.psql("SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'dws_desk'").stdout
    assert desk.strip() == "t"                                  # the reader has no password at all
    # The office key, which every user holds, gives no one else's login: the password is the user secret's.
    with pytest.raises(OfficeError, match="refused the database credential of 'pat'"):
        connect(profile, PAT, credential.database_password(PAT, office.office_key)).close()
    assert credential.database_password("ada", opened.user_secret) != password


def test_the_keyslot_reader_reads_one_slot_and_nothing_else(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    with connect(profile, "dws_desk", None) as conn:
        for statement in ("SELECT * FROM dws.office_keyslots", "SELECT * FROM dws.office_log",
                          "SELECT * FROM dws.office_ca"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute("SELECT dws.office_enrol('eve', 'admin', 'SCRAM-SHA-256$x', '{}', '', '', '')")
    # A password does not log in as the reader: only a certificate does.
    assert "password" not in load(profile.path).connection_params("dws_desk")


def test_the_desktops_own_files_are_named_when_wrong(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    profile.key.chmod(0o644)                                    # type: ignore[union-attr]
    assert str(refused(connect, profile, PAT, "x")) == (
        f"the desktop key {profile.key} may be read by others (mode 644); only its owner may: run chmod 600 "
        f"{profile.key}, then try again")
    profile.key.chmod(0o600)                                    # type: ignore[union-attr]
    os.rename(profile.cert, tmp_path / "moved.pem")
    assert str(refused(connect, profile, PAT, "x")) == (
        f"the desktop certificate {profile.cert}: it is missing. Correct 'cert' in office.json, or {ENROL_AGAIN}")
    profile.cert.mkdir()
    assert str(refused(connect, profile, PAT, "x")) == (
        f"the desktop certificate {profile.cert}: it cannot be read (Is a directory). Correct 'cert' in "
        f"office.json, or {ENROL_AGAIN}")
    profile.cert.rmdir()
    os.rename(tmp_path / "moved.pem", profile.cert)
    profile.key.write_bytes(b"not a key")                       # type: ignore[union-attr]
    assert str(refused(connect, profile, PAT, "x")) == (
        f"the desktop key {profile.key} is not an unencrypted PEM private key; {ENROL_AGAIN}")

    foreign = office.desktop(tmp_path / "foreign", authority=OTHER_CA)
    (tmp_path / "foreign" / "office-ca.pem").write_bytes((tmp_path / "desk" / "office-ca.pem").read_bytes())
    assert str(refused(connect, foreign, PAT, "x")) == (
        f"the desktop certificate {foreign.cert} was not issued by the office CA in {foreign.ca} (another office's, "
        f"or the CA was renewed); {ENROL_AGAIN}")
    old = office.desktop(tmp_path / "old", at=NOW - timedelta(days=3 * 366))
    day = x509.load_pem_x509_certificate(old.cert.read_bytes()).not_valid_after_utc.date().isoformat()
    assert str(refused(connect, old, PAT, "x")) == f"the desktop certificate {old.cert} expired on {day}; {ENROL_AGAIN}"


def test_what_the_server_refuses_is_said_plainly(office: Office, tmp_path: Path) -> None:
    good = office.desktop(tmp_path / "good")
    where = f"127.0.0.1:{office.server.port}"
    message = str(refused(connect, good, PAT, "not pat's password"))
    assert message == "the office server refused the database credential of 'pat'"
    # A desktop of another office (its certificate and trust anchor both another CA's) pointed at this server.
    other = office.desktop(tmp_path / "other", authority=OTHER_CA)
    (tmp_path / "other" / "office-ca.pem").write_bytes(ca.pem(OTHER_CA[1]))
    assert str(refused(connect, load(other.path), PAT, "x")) == (
        f"the office server at {where} presented a certificate that the office CA in {other.ca} does not vouch for "
        "(another CA's, expired, or not yet valid): it may not be your office's server. Check 'host' and 'ca' in "
        "office.json with the office administrator; nothing was sent")
    renamed = office.desktop(tmp_path / "renamed")
    doc = renamed.path.read_text().replace('"127.0.0.1"', '"localhost"')
    renamed.path.write_text(doc)
    assert str(refused(connect, load(renamed.path), PAT, "x")) == (
        f"the office server at localhost:{office.server.port} presented a certificate for another name than "
        "'localhost': check 'host' in office.json (it must be the name in the server's certificate); nothing was "
        "sent")
    closed = free_port()
    gone = office.desktop(tmp_path / "gone")
    gone.path.write_text(gone.path.read_text().replace(f": {office.server.port},", f": {closed},"))
    message = str(refused(connect, load(gone.path), PAT, "x"))
    assert message == (f"office server unreachable: 127.0.0.1:{closed} (check that the server is running and that "
                       "this desktop is on the office network; 'host' and 'port' are in office.json), then try again")
    # The server's own refusal of a certificate it does not trust (the desktop's check would have stopped it):
    params = {**good.connection_params(PAT), "sslcert": str(tmp_path / "other" / "desktop.pem"),
              "sslkey": str(tmp_path / "other" / "desktop.key"), "password": "x", "connect_timeout": "10"}
    with pytest.raises(psycopg.OperationalError) as caught:
        psycopg.connect(**params).close()
    assert str(explain(caught.value, good, PAT)) == (
        f"the office server at {where} does not trust this desktop's certificate {good.cert} (not issued by the CA "
        f"it trusts); {ENROL_AGAIN}")


def test_no_message_holds_a_secret(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    secret = "s3cret-Pa55word-value"
    message = str(refused(connect, profile, PAT, secret))
    assert secret not in message and not re.search(r"password=|sslkey=", message)


def test_a_revoked_desktop_is_refused(office: Office, tmp_path: Path) -> None:
    """Last in this module: the server keeps the revocation list it is given."""
    kept = office.desktop(tmp_path / "kept")
    revoked = office.desktop(tmp_path / "revoked", name="desk-2")
    open_office(revoked, PAT, PAT_PASSPHRASE).close()
    serial = x509.load_pem_x509_certificate(revoked.cert.read_bytes()).serial_number
    office.server.revoke(tls.revocation_list(office.ca_key, office.ca_cert, [(serial, NOW)], NOW))
    error = refused(open_office, revoked, PAT, PAT_PASSPHRASE)
    assert str(error) == (f"this desktop's certificate {revoked.cert} was revoked by the office (dws office revoke): "
                          f"the office server at 127.0.0.1:{office.server.port} refuses it; {ENROL_AGAIN}")
    open_office(kept, PAT, PAT_PASSPHRASE).close()


def test_a_new_passphrase_keeps_the_database_login(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    office.enrol("quinn", "approver", "quinn's first passphrase")
    verifier = "SELECT rolpassword FROM pg_authid WHERE rolname = 'quinn'"
    before = office.server.psql(verifier).stdout
    with open_office(profile, "quinn", "quinn's first passphrase") as session:
        for statement in ("UPDATE dws.office_keyslots SET wrapped = ''", "SELECT * FROM dws.office_keyslots"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), session.conn.transaction():
                session.conn.execute(statement)        # only through dws.office_rewrap, and only quinn's own
        session.change_passphrase("quinn's second passphrase")
    with pytest.raises(AuthError, match="wrong passphrase for 'quinn'"):
        open_office(profile, "quinn", "quinn's first passphrase")
    with open_office(profile, "quinn", "quinn's second passphrase") as session:
        assert session.conn.execute("SELECT session_user").fetchone() == ("quinn",)
    assert office.server.psql(verifier).stdout == before
    slots = "SELECT login, enrolled_by FROM dws.office_keyslots WHERE login IN ('pat', 'quinn') ORDER BY login"
    assert office.server.psql(slots, dbname=DBNAME).stdout.split() == ["pat|postgres", "quinn|postgres"]


def test_a_server_whose_certificate_has_expired_is_refused(office: Office, tmp_path: Path) -> None:
    key, cert = tls.issue_server(office.ca_key, office.ca_cert, "127.0.0.1", NOW - timedelta(days=3 * 366))
    stale = start(Tls(ca.pem(office.ca_cert), cert, key))
    try:
        profile = office.desktop(tmp_path / "desk")
        profile.path.write_text(profile.path.read_text().replace(f": {office.server.port},", f": {stale.port},"))
        assert str(refused(connect, load(profile.path), PAT, "x")) == (
            f"the office server at 127.0.0.1:{stale.port} presented a certificate that the office CA in "
            f"{profile.ca} does not vouch for (another CA's, expired, or not yet valid): it may not be your "
            "office's server. Check 'host' and 'ca' in office.json with the office administrator; nothing was "
            "sent")
    finally:
        stale.stop()


def test_a_server_that_never_answers_is_unreachable_after_the_timeout(office: Office, tmp_path: Path) -> None:
    with socket.socket() as silent:         # accepts the connection (the kernel does), never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        profile = office.desktop(tmp_path / "desk")
        profile.path.write_text(profile.path.read_text().replace(f": {office.server.port},", f": {port},"))
        started = time.monotonic()
        error = refused(lambda: connect(load(profile.path), PAT, "x", timeout=2))
        assert time.monotonic() - started < 10
    assert str(error) == (f"office server unreachable: 127.0.0.1:{port} (check that the server is running and that "
                          "this desktop is on the office network; 'host' and 'port' are in office.json), then try "
                          "again")

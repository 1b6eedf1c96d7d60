"""The insider (issue 19 item 3): a user enrolled in the office holds the office key and, from their keyslot,
their own database password; as their own login role, over the office's TLS connection, they still cannot
UPDATE, DELETE or TRUNCATE the office log, with psycopg (the session `open_office` gives) or with psql. And the
office's TLS CA is not a letter-signing CA: a user's signing certificate and key do not pass as a desktop's."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from cryptography import x509
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, NOW, Office

from workstation.errors import OfficeError
from workstation.keys import ca
from workstation.keys import primitives as p
from workstation.office import credential, enrol
from workstation.office.cluster import bindir
from workstation.office.profile import OfficeProfile, load
from workstation.office.tls import private_pem
from workstation.office.unlock import fetch_slot, open_office
from workstation.store.office import log

USERS = {"pat": "preparer", "abe": "approver", "cal": "counsel", "aud": "auditor", ADMIN: "admin"}
CHANGES = ("UPDATE dws.office_log SET detail = '{}'", "DELETE FROM dws.office_log WHERE seq = 1",
           "TRUNCATE dws.office_log")


def passphrase(login: str) -> str:
    return ADMIN_PASSPHRASE if login == ADMIN else f"{login}'s office passphrase"


@pytest.fixture(scope="module")
def office() -> Iterator[Office]:
    started = Office.start()
    for login, role in USERS.items():
        if login != ADMIN:
            started.enrol(login, role, passphrase(login))
    with started.superuser() as conn, conn.transaction():
        enrol.log_event(conn, ADMIN, "office-created", DBNAME, {"office": "Test Office"})
    yield started
    started.server.stop()


def entries(office: Office) -> list[tuple[object, ...]]:
    with office.superuser() as conn:
        return log.entries(conn)


def test_a_user_who_holds_the_office_key_cannot_change_the_log_as_their_own_role(office: Office,
                                                                                  tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    before = entries(office)
    for login, role in USERS.items():
        with open_office(profile, login, passphrase(login)) as session:
            assert session.office_key == office.office_key                  # the insider holds the key
            assert session.conn.execute("SELECT current_user").fetchone() == (login,)
            for statement in CHANGES:
                with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused, session.conn.transaction():
                    session.conn.execute(statement)
                assert "permission denied for table office_log" in str(refused.value), (role, statement)
    assert entries(office) == before


def test_nor_with_psql_and_the_password_their_keyslot_gives(office: Office, tmp_path: Path) -> None:
    profile = office.desktop(tmp_path / "desk")
    before = entries(office)
    for login in ("pat", ADMIN):
        slot = fetch_slot(profile, login, office.roles)
        assert slot is not None
        opened = credential.open_slot(slot, passphrase(login))
        assert opened is not None and opened.office_key == office.office_key
        for statement in CHANGES:
            done = psql(profile, login, opened.password, statement)
            assert done.returncode != 0 and "permission denied for table office_log" in done.stderr, done.stderr
        done = psql(profile, login, opened.password, "SELECT count(*) FROM dws.office_log")
        assert (done.returncode, done.stdout.strip()) == (0, str(len(before)))     # it did connect as the user
    assert entries(office) == before


def psql(profile: OfficeProfile, login: str, password: str, statement: str) -> subprocess.CompletedProcess[str]:
    conninfo = " ".join(f"{k}={v}" for k, v in profile.connection_params(login).items())
    return subprocess.run([str(Path(office_bin()) / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                           conninfo, "-c", statement], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"})


def office_bin() -> str:
    found = bindir()
    assert found is not None
    return str(found)


def test_a_users_letter_signing_certificate_does_not_pass_as_a_desktops(office: Office, tmp_path: Path) -> None:
    """A store's letter-signing CA (keys/ca.py) issues users' signing certificates with no extended key usage,
    which TLS would take as a client's: the office's TLS CA is another CA, so such a certificate and its key
    are refused by this desktop's check and by the server itself."""
    store_ca_key, store_ca = ca.new_ca("Test Office", "store-1", NOW)
    signing_key, public = p.new_ecdsa_key()
    signing = ca.issue(store_ca_key, store_ca.certificate, "pat", public, "Test Office", "store-1", NOW)
    profile = office.desktop(tmp_path / "desk")
    assert "office TLS CA" in x509_subject(profile.ca.read_bytes())
    (profile.cert).write_bytes(ca.pem(signing.certificate))
    profile.key.write_bytes(_pem(signing_key))  # type: ignore[union-attr]
    profile = load(profile.path)
    with pytest.raises(OfficeError) as refused:
        open_office(profile, "pat", passphrase("pat"), roles=office.roles)
    assert "was not issued by the office CA" in str(refused.value)
    with pytest.raises(psycopg.OperationalError) as server_said:        # past the desktop's own check
        psycopg.connect(**profile.connection_params("pat"), password="x", connect_timeout=10)
    assert "unknown ca" in str(server_said.value).lower()
    # why the office's TLS CA must not sign letters: a signing certificate from the CA the server trusts would
    # take a user's signing key as far as the password, as a desktop's certificate does
    shared = ca.issue(office.ca_key, office.ca_cert, "pat", public, "Test Office", "store-1", NOW)
    profile.cert.write_bytes(ca.pem(shared.certificate))
    with pytest.raises(psycopg.OperationalError) as past_tls:
        psycopg.connect(**profile.connection_params("pat"), password="x", connect_timeout=10)
    assert "password authentication failed" in str(past_tls.value)


def x509_subject(pem: bytes) -> str:
    return x509.load_pem_x509_certificate(pem).subject.rfc4514_string()


def _pem(der: bytes) -> bytes:
    return private_pem(der)

"""Who may connect to an office server (issue 19): a real PostgreSQL server with a certificate from the office
CA (workstation/office/tls.py) admits a desktop that connects as its profile says (verify-full) with a client
certificate from that CA and the user's password, and refuses every other way in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from conftest import pg_unavailable
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from pgserver import PgServer, PgUnavailable, Tls, start

from workstation.keys import ca
from workstation.office import tls
from workstation.office.profile import load

NOW = datetime.now(UTC)
PASSWORD = "pat-database-password"


def new_ca(office: str) -> tuple[bytes, bytes]:
    return tls.new_ca(office, NOW)         # an office TLS CA, as office init and demo use


OFFICE_CA = new_ca("Test Office")
OTHER_CA = new_ca("Other Office")


@pytest.fixture(scope="module")
def tls_server() -> Iterator[PgServer]:
    key, cert = tls.issue_server(*OFFICE_CA, "127.0.0.1", NOW)
    try:
        server = start(Tls(ca.pem(OFFICE_CA[1]), cert, key))
    except PgUnavailable as exc:
        pg_unavailable(str(exc))
        raise
    server.psql(f"CREATE ROLE pat LOGIN PASSWORD '{PASSWORD}'", check=True)
    yield server
    server.stop()


def desktop(folder: Path, server: PgServer, authority: tuple[bytes, bytes] = OFFICE_CA,
            trusted: tuple[bytes, bytes] = OFFICE_CA, host: str = "127.0.0.1") -> Path:
    """A desktop's files and profile in `folder`: its certificate from `authority`, trusting `trusted`."""
    folder.mkdir()
    key, cert = tls.issue_desktop(*authority, "desk-1", NOW)
    (folder / "desktop.key").write_bytes(key)
    (folder / "desktop.key").chmod(0o600)
    (folder / "desktop.pem").write_bytes(cert)
    (folder / "office-ca.pem").write_bytes(ca.pem(trusted[1]))
    profile = {"format": "dws.office/1", "office": "Test Office", "host": host, "port": server.port,
               "dbname": "postgres", "ca": "office-ca.pem", "cert": "desktop.pem", "key": "desktop.key"}
    (folder / "office.json").write_text(json.dumps(profile))
    return folder / "office.json"


def connect(params: dict[str, str], password: str = PASSWORD) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(**params, password=password, connect_timeout=10)


def test_the_certificates_say_what_they_are_for() -> None:
    _key, server_pem = tls.issue_server(*OFFICE_CA, "db.office.example", NOW)
    server = x509.load_pem_x509_certificate(server_pem)
    assert server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["db.office.example"]
    assert server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH])
    _key, desk_pem = tls.issue_desktop(*OFFICE_CA, "desk-1", NOW)
    desk = x509.load_pem_x509_certificate(desk_pem)
    assert desk.issuer == x509.load_der_x509_certificate(OFFICE_CA[1]).subject
    assert ExtendedKeyUsageOID.CLIENT_AUTH in desk.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    with pytest.raises(tls.CertificateError):
        tls.issue_server(*OFFICE_CA, "db office", NOW)


def test_a_desktop_with_the_office_certificate_connects_verify_full(tls_server: PgServer, tmp_path: Path) -> None:
    params = load(desktop(tmp_path / "d", tls_server)).connection_params("pat")
    assert params["sslmode"] == "verify-full"
    with connect(params) as conn:
        row = conn.execute("SELECT ssl, version, client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    assert row is not None and row[0] is True and row[1] == "TLSv1.3" and "CN=desk-1" in str(row[2])


def test_every_other_way_in_is_refused(tls_server: PgServer, tmp_path: Path) -> None:
    good = load(desktop(tmp_path / "good", tls_server)).connection_params("pat")
    no_cert = {k: v for k, v in good.items() if k not in ("sslcert", "sslkey")}
    foreign = load(desktop(tmp_path / "foreign", tls_server, authority=OTHER_CA)).connection_params("pat")
    fooled = load(desktop(tmp_path / "fooled", tls_server, trusted=OTHER_CA)).connection_params("pat")
    renamed = load(desktop(tmp_path / "renamed", tls_server, host="localhost")).connection_params("pat")
    plain = {**good, "sslmode": "disable"}
    cases = [(no_cert, PASSWORD, "requires a valid client certificate"), (foreign, PASSWORD, "unknown ca"),
             (fooled, PASSWORD, "certificate verify failed"), (renamed, PASSWORD, "does not match host name"),
             (plain, PASSWORD, "no encryption"), (good, "wrong-password", "password authentication failed")]
    for params, password, why in cases:
        with pytest.raises(psycopg.OperationalError) as caught:
            connect(params, password).close()
        assert why in str(caught.value), (why, str(caught.value))


def test_a_revoked_desktop_is_refused(tls_server: PgServer, tmp_path: Path) -> None:
    """Runs last in this module: the server keeps the revocation list it is given."""
    kept = load(desktop(tmp_path / "kept", tls_server)).connection_params("pat")
    revoked = load(desktop(tmp_path / "revoked", tls_server)).connection_params("pat")
    connect(revoked).close()
    serial = x509.load_pem_x509_certificate(Path(revoked["sslcert"]).read_bytes()).serial_number
    tls_server.revoke(tls.revocation_list(*OFFICE_CA, [(serial, NOW)], NOW))
    with pytest.raises(psycopg.OperationalError, match="certificate revoked"):
        connect(revoked).close()
    connect(kept).close()

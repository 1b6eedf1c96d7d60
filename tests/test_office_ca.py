"""The office CA: made with the store, its key wrapped under the data key, a certificate for every user's
signing key as they are added or reset, each announced in the log; `dws verify` finds a certificate that
another CA issued, one for a key the user never had, one the log does not announce, and a replaced CA."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import ADMIN_PW, REVIEWER_PW
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from workstation.errors import AuthError
from workstation.keys import ca
from workstation.keys import primitives as p
from workstation.store import auditlog, certificates, db
from workstation.store import users as users_sql


def logged(s, event: str) -> list[auditlog.LogEntry]:  # type: ignore[no-untyped-def]
    return [e for e in auditlog.entries(s.conn) if e.event == event]


def ca_key(s) -> bytes:  # type: ignore[no-untyped-def]
    """The CA's private key, unwrapped as the store layer does: HKDF(data key, 'dws/office-ca/v1|<store id>')."""
    nonce, wrapped = s.conn.execute("SELECT key_nonce, key_wrapped FROM office_ca").fetchone()
    store_id = s._store.keyslots.store_id
    kek = p.hkdf(s.data_key_for_workers(), salt=None, info=f"dws/office-ca/v1|{store_id}".encode())
    key = p.unwrap(nonce, wrapped, kek, f"dws/office-ca|{store_id}".encode())
    assert key is not None
    return key


def test_the_store_has_a_ca_that_certifies_each_users_key(admin) -> None:  # type: ignore[no-untyped-def]
    authority = x509.load_der_x509_certificate(certificates.ca_certificate(admin.conn))
    assert authority.issuer == authority.subject
    assert authority.extensions.get_extension_for_class(x509.BasicConstraints).critical
    flags = authority.extensions.get_extension_for_class(x509.BasicConstraints).value
    usage = authority.extensions.get_extension_for_class(x509.KeyUsage).value
    assert flags.ca and flags.path_length == 0 and usage.key_cert_sign and usage.crl_sign
    assert not usage.digital_signature
    assert isinstance(authority.public_key(), ec.EllipticCurvePublicKey)
    assert authority.public_key().curve.name == "secp256r1"
    assert authority.signature_hash_algorithm.name == "sha256"
    private = ca_key(admin)
    assert p.public_from_private(private) == ca.public_key_of(certificates.ca_certificate(admin.conn))
    wrapped = admin.conn.execute("SELECT key_wrapped FROM office_ca").fetchone()[0]
    assert private not in wrapped

    rows = certificates.all_certificates(admin.conn)
    assert [r.user for r in rows] == ["admin", "rita", "cora"]
    for row in rows:
        cert = x509.load_der_x509_certificate(row.certificate)
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == row.user
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Disclosure Office"
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
        assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        assert ca.problem(certificates.ca_certificate(admin.conn), row.certificate) is None
        assert row.public_key == users_sql.public_key(admin.conn, row.user)
        start, end = ca.validity(cert)
        assert end - start > timedelta(days=9 * 365)

    created = logged(admin, "office-ca-created")
    assert len(created) == 1 and created[0].detail["sha256"] == ca.fingerprint(certificates.ca_certificate(admin.conn))
    issued = [(e.object, e.detail["serial"], e.detail["fingerprint"]) for e in logged(admin, "certificate-issued")]
    assert issued == [(r.user, r.serial, p.fingerprint(r.public_key)) for r in rows]
    text = json.dumps([e.detail for e in auditlog.entries(admin.conn)])
    assert private.hex() not in text and "BEGIN" not in text
    report = admin.verify()
    assert report.ok and report.certificates == 3, report.problems


def test_a_reset_certifies_the_new_key_and_the_old_certificate_stays(admin) -> None:  # type: ignore[no-untyped-def]
    old = certificates.all_certificates(admin.conn)[1]
    admin.reset_user("rita", "rita-new-passphrase-1")
    rows = [r for r in certificates.all_certificates(admin.conn) if r.user == "rita"]
    assert rows[0] == old and len(rows) == 2
    assert rows[1].public_key == users_sql.public_key(admin.conn, "rita") != old.public_key
    report = admin.verify()
    assert report.ok and report.certificates == 4, report.problems


def _insert(s, row: certificates.CertificateRow) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(s.conn):
        s.conn.execute("INSERT INTO user_certificates (serial, user, public_key, certificate, not_before, not_after, "
                       "issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)", (row.serial, row.user, row.public_key,
                                                                  row.certificate, row.not_before, row.not_after,
                                                                  row.issued_at))


def test_verify_finds_certificates_the_office_did_not_issue(admin) -> None:  # type: ignore[no-untyped-def]
    from workstation import clock as clocks

    now = clocks.current().now()
    rita_key = users_sql.public_key(admin.conn, "rita")
    rogue_private, rogue = ca.new_ca("Disclosure Office", "rogue", now)
    foreign = ca.issue(rogue_private, rogue.certificate, "rita", rita_key, "Disclosure Office", "rogue", now)
    _insert(admin, certificates.CertificateRow(foreign.serial, "rita", rita_key, foreign.certificate, "x", "y", "z"))
    _never, never_public = p.new_ecdsa_key()
    authority = certificates.ca_certificate(admin.conn)
    quiet = ca.issue(ca_key(admin), authority, "rita", never_public, "Disclosure Office", "s", now)
    _insert(admin, certificates.CertificateRow(quiet.serial, "rita", never_public, quiet.certificate, "x", "y", "z"))
    problems = admin.verify().problems
    assert f"certificate {foreign.serial} (rita): its issuer is not the office CA" in problems
    assert f"certificate {quiet.serial} (rita): it certifies a key that was never rita's signing key" in problems
    assert f"certificate {quiet.serial} (rita): the audit log does not announce it" in problems

    with db.transaction(admin.conn):
        admin.conn.execute("UPDATE office_ca SET certificate = ?", (rogue.certificate,))
    problems = admin.verify().problems
    assert "office CA: the audit log does not announce this CA certificate (it was replaced)" in problems


def test_a_key_without_a_certificate_gets_one_when_it_first_signs_a_letter(admin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A key enrolled without a certificate (a token enrolled elsewhere): the first letter it signs issues one,
    announced like the others."""
    from workstation.service import Workstation
    from workstation.service import certificates as service_certs

    with db.transaction(admin.conn):
        admin.conn.execute("DELETE FROM user_certificates WHERE user = 'rita'")
    admin.close()
    with Workstation(admin.path).unlock("rita", REVIEWER_PW) as rita:
        rows = [r for r in certificates.all_certificates(rita.conn) if r.user == "rita"]
        assert len(rows) == 1                        # the unlock already issued one for the current key
        with db.transaction(rita.conn):
            rita.conn.execute("DELETE FROM user_certificates WHERE user = 'rita'")
        with rita.signer(REVIEWER_PW) as signer:
            made = service_certs.for_signing(rita._ctx, signer.public_key)
            again = service_certs.for_signing(rita._ctx, signer.public_key)
        assert made == again and ca.common_name(made.certificate) == "rita"
        assert [e.detail["serial"] for e in logged(rita, "certificate-issued")][-1] == made.serial
        with pytest.raises(AuthError):
            rita.signer("not rita's passphrase")
    with Workstation(admin.path).unlock("admin", ADMIN_PW) as s:
        assert s.verify().ok


class _WithoutVerifyMethod:
    """A certificate as an older cryptography (Debian 12's 38, `FIPS_CRYPTOGRAPHY=platform make fips-check`)
    presents it: no `verify_directly_issued_by`."""

    def __init__(self, cert: x509.Certificate) -> None:
        self._cert = cert

    def __getattr__(self, name: str) -> object:
        if name == "verify_directly_issued_by":
            raise AttributeError(name)
        return getattr(self._cert, name)


def test_without_verify_directly_issued_by_the_ca_signature_is_still_checked() -> None:
    """ca.problem's own check where cryptography lacks the method: the office CA's signature verifies; one by
    another key under the very same CA name does not, nor does a certificate whose issuer is another name."""
    from workstation import clock as clocks

    now = clocks.current().now()
    _user, user_public = p.new_ecdsa_key()
    ca_private, authority = ca.new_ca("Disclosure Office", "s1", now)
    twin_private, twin = ca.new_ca("Disclosure Office", "s1", now)      # the same subject, another key
    other_private, other = ca.new_ca("Disclosure Office", "s2", now)
    real = x509.load_der_x509_certificate(authority.certificate)

    def check(certificate: bytes) -> str | None:
        cert = x509.load_der_x509_certificate(certificate)
        try:
            ca._verify_issued_by(_WithoutVerifyMethod(cert), real)  # type: ignore[arg-type]
        except InvalidSignature:
            return "signature"
        except (ValueError, TypeError) as e:
            return type(e).__name__
        return None

    good = ca.issue(ca_private, authority.certificate, "rita", user_public, "Disclosure Office", "s1", now)
    forged = ca.issue(twin_private, twin.certificate, "rita", user_public, "Disclosure Office", "s1", now)
    foreign = ca.issue(other_private, other.certificate, "rita", user_public, "Disclosure Office", "s2", now)
    assert check(good.certificate) is None and ca.problem(authority.certificate, good.certificate) is None
    assert check(forged.certificate) == "signature"
    assert ca.problem(authority.certificate, forged.certificate) == "the office CA's signature on it does not verify"
    assert check(foreign.certificate) == "ValueError"

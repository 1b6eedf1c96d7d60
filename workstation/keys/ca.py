"""The office certificate authority: X.509 certificates for users' signing keys, so that a letter's PAdES
signature verifies in any PDF reader that trusts the office CA (exported once, `dws export ca`).

ECDSA P-256 with SHA-256 throughout (what Acrobat, NSS/poppler and pyHanko all verify). The CA certificate is
self-signed: basicConstraints CA:TRUE, pathlen 0 (it certifies users, never another CA), keyCertSign and
cRLSign. A user's certificate: CN = the user name, O = the office, OU = the store; digitalSignature and
nonRepudiation, no extended key usage (NSS accepts it for document signing only without one, or with
emailProtection). No revocation pointers: the office is offline; a user's reset issues a new key and
certificate, and the audit log says which key was current when (`dws verify`).

No SQL here and no secrets kept: the caller stores the CA's private key wrapped (workstation/store).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID, SignatureAlgorithmOID

from ..crypto import digest
from . import primitives as p

CA_YEARS = 30                  # the root recipients trust once: longer than any letter needs checking
USER_YEARS = 10                # a user's certificate; renewed at unlock when it nears its end
RENEW_BEFORE = timedelta(days=90)
SKEW = timedelta(hours=1)      # not_before a little in the past: a reader whose clock lags still accepts it


@dataclass(frozen=True, slots=True)
class Issued:
    serial: str                # lower-case hex
    certificate: bytes         # DER
    not_before: datetime
    not_after: datetime


def _years(at: datetime, years: int) -> datetime:
    return at + timedelta(days=365 * years + years // 4)


def validity(cert: x509.Certificate) -> tuple[datetime, datetime]:
    """(notBefore, notAfter), timezone-aware: `not_valid_*_utc` (cryptography 42 and later); an older release
    (Debian 12's 38, which `make fips-check` can use) has only the naive UTC `not_valid_before`/`_after`."""
    if hasattr(cert, "not_valid_after_utc"):
        return cert.not_valid_before_utc, cert.not_valid_after_utc
    return cert.not_valid_before.replace(tzinfo=UTC), cert.not_valid_after.replace(tzinfo=UTC)


_ECDSA_SIGNATURES = (SignatureAlgorithmOID.ECDSA_WITH_SHA256, SignatureAlgorithmOID.ECDSA_WITH_SHA384,
                     SignatureAlgorithmOID.ECDSA_WITH_SHA512)


def _verify_issued_by(cert: x509.Certificate, ca_cert: x509.Certificate) -> None:
    """`verify_directly_issued_by` (cryptography 40 and later). An older release lacks it: there the same check
    for the only kind of CA this module makes, ECDSA: an ECDSA signature algorithm, and the CA's key verifying
    the signature over the certificate's TBS bytes with its hash. Raises InvalidSignature, ValueError or
    TypeError, as that method does."""
    if hasattr(cert, "verify_directly_issued_by"):
        cert.verify_directly_issued_by(ca_cert)
        return
    if cert.issuer != ca_cert.subject:
        raise ValueError("the issuer is not the CA's subject")
    key, algorithm = ca_cert.public_key(), cert.signature_hash_algorithm
    if (not isinstance(key, ec.EllipticCurvePublicKey) or algorithm is None
            or cert.signature_algorithm_oid not in _ECDSA_SIGNATURES):
        raise TypeError("not an ECDSA certificate of an ECDSA CA")
    key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))


def _name(common_name: str, office: str, store_id: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, office or "Disclosure Office"),
                      x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"Disclosure Workstation {store_id}")])


def _usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=signing, content_commitment=signing, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=not signing,
                         crl_sign=not signing, encipher_only=False, decipher_only=False)


def new_ca(office: str, store_id: str, at: datetime) -> tuple[bytes, Issued]:
    """A new CA: (its private key, PKCS#8 DER; its self-signed certificate)."""
    private, _public = p.new_ecdsa_key()
    key = serialization.load_der_private_key(private, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    name = _name(f"{office} letter-signing CA", office, store_id)
    serial = x509.random_serial_number()
    start, end = at - SKEW, _years(at, CA_YEARS)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_usage(signing=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return private, Issued(f"{serial:x}", cert.public_bytes(serialization.Encoding.DER), start, end)


def issue(ca_private: bytes, ca_certificate: bytes, user: str, public_key: bytes, office: str, store_id: str,
          at: datetime) -> Issued:
    """A certificate for `user`'s ECDSA P-256 key (SubjectPublicKeyInfo DER), signed by the CA."""
    ca_key = serialization.load_der_private_key(ca_private, password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    ca_cert = x509.load_der_x509_certificate(ca_certificate)
    subject_key = p.ecdsa_public_key(public_key)
    serial = x509.random_serial_number()
    start, end = at - SKEW, min(_years(at, USER_YEARS), validity(ca_cert)[1])
    cert = (x509.CertificateBuilder().subject_name(_name(user, office, store_id)).issuer_name(ca_cert.subject)
            .public_key(subject_key).serial_number(serial).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(signing=True), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return Issued(f"{serial:x}", cert.public_bytes(serialization.Encoding.DER), start, end)


def public_key_of(certificate: bytes) -> bytes:
    """The certified key, as SubjectPublicKeyInfo DER."""
    return x509.load_der_x509_certificate(certificate).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def serial_of(certificate: bytes) -> str:
    return f"{x509.load_der_x509_certificate(certificate).serial_number:x}"


def common_name(certificate: bytes) -> str:
    names = x509.load_der_x509_certificate(certificate).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else ""


def fingerprint(certificate: bytes) -> str:
    """SHA-256 of the certificate's DER, as readers show it (colon-separated upper-case hex)."""
    hexed = digest.sha256_hex(certificate).upper()
    return ":".join(hexed[i:i + 2] for i in range(0, len(hexed), 2))


def pem(certificate: bytes) -> bytes:
    return x509.load_der_x509_certificate(certificate).public_bytes(serialization.Encoding.PEM)


def problem(ca_certificate: bytes, certificate: bytes) -> str | None:
    """Why `certificate` is not a user certificate issued by this CA (None: it is): the issuer's name and
    signature, the CA's own flags, and the user certificate's flags."""
    try:
        ca_cert = x509.load_der_x509_certificate(ca_certificate)
        cert = x509.load_der_x509_certificate(certificate)
    except ValueError:
        return "it is not a readable X.509 certificate"
    if cert.issuer != ca_cert.subject:
        return "its issuer is not the office CA"
    try:
        _verify_issued_by(cert, ca_cert)
    except (InvalidSignature, ValueError, TypeError):
        return "the office CA's signature on it does not verify"
    ca_flags = ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    if not ca_flags.ca:
        return "the office CA certificate is not a CA certificate"
    try:
        flags = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return "it lacks the basic constraints or key usage of a signing certificate"
    if flags.ca or not usage.digital_signature:
        return "it is not a signing certificate (CA flag set, or digitalSignature missing)"
    return None

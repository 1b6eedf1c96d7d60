"""TLS certificates of an office (DESIGN.md, "The office store"): the office CA, the office server's certificate,
and each enrolled desktop's, both issued by the office CA.

The office CA is for TLS only, never the CA of users' letter-signing certificates (workstation/keys/ca.py): a
signing certificate carries no extended key usage, so TLS would accept it as a client's, and a user's signing
key and certificate would then pass `clientcert=verify-ca` like an enrolled desktop's. Its own key and name
("<office> office TLS CA") keep the two apart.

The server admits only `hostssl` connections whose client certificate the office CA issued; libpq on the
desktop connects with `sslmode=verify-full`, so the server's certificate must name the host the profile names
(a subjectAltName: a DNS name, or an IP address). ECDSA P-256 with SHA-256, as the CA.

Private keys are returned as unencrypted PKCS#8 PEM for the caller to write as a 0600 file (libpq and the
server read nothing else); nothing here writes a file or keeps a key.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ..keys.ca import SKEW

CA_DAYS = 10 * 365

SERVER_DAYS = 2 * 365
DESKTOP_DAYS = 2 * 365


class CertificateError(ValueError):
    """A host or desktop name that cannot go into a certificate."""


def _usage() -> x509.KeyUsage:
    # digitalSignature: ECDHE-ECDSA handshakes sign with the key; nothing else.
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host or len(host) > 253 or not all(c.isascii() and (c.isalnum() or c in "-.") for c in host):
        raise CertificateError("a server's host name is an IP address or a DNS name (letters, digits, - and .)")
    return x509.DNSName(host.lower())


def _issue(ca_private: bytes, ca_certificate: bytes, subject: str, at: datetime, days: int,
           usage: x509.ObjectIdentifier, san: x509.GeneralName | None) -> tuple[bytes, bytes]:
    ca_key = serialization.load_der_private_key(ca_private, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise CertificateError("the office CA's key is not an ECDSA P-256 key")
    ca_cert = x509.load_der_x509_certificate(ca_certificate)
    key = ec.generate_private_key(ec.SECP256R1())
    start, end = at - SKEW, min(at + timedelta(days=days), ca_cert.not_valid_after_utc)
    office = ca_cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    name = [x509.NameAttribute(NameOID.COMMON_NAME, subject)]
    if office:
        name.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, str(office[0].value)))
    builder = (x509.CertificateBuilder().subject_name(x509.Name(name)).issuer_name(ca_cert.subject)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(_usage(), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    if san is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName([san]), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


def new_ca(office: str, at: datetime) -> tuple[bytes, bytes]:
    """A new office TLS CA: (its private key, PKCS#8 DER; its self-signed certificate, DER). It may sign
    certificates and revocation lists, no CA below it (path length 0)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{office} office TLS CA"[:64]),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, office[:64] or "Disclosure Office")])
    usage = x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(at - SKEW)
            .not_valid_after(at + timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return private, cert.public_bytes(serialization.Encoding.DER)


def private_pem(private_der: bytes) -> bytes:
    """A PKCS#8 DER private key as unencrypted PEM (for a 0600 file)."""
    key = serialization.load_der_private_key(private_der, password=None)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def load_ca(certificate_pem: bytes, key_pem: bytes) -> tuple[bytes, bytes]:
    """(private key DER, certificate DER) of an office CA given as PEM files; CertificateError when the key is
    not the certificate's, or either is not what an office CA is."""
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem)
    except ValueError:
        raise CertificateError("the office CA certificate is not a PEM certificate") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise CertificateError("the office CA key is not an unencrypted PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CertificateError("the office CA's key is not an ECDSA P-256 key")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if (key.public_key().public_bytes(serialization.Encoding.DER, spki)
            != cert.public_key().public_bytes(serialization.Encoding.DER, spki)):
        raise CertificateError("the office CA key is not the key of the office CA certificate the profile names")
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise CertificateError("the profile's office CA certificate is not a CA's")
    private = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return private, cert.public_bytes(serialization.Encoding.DER)


def issue_server(ca_private: bytes, ca_certificate: bytes, host: str, at: datetime) -> tuple[bytes, bytes]:
    """(private key PEM, certificate PEM) for the office server at `host` (its subjectAltName; serverAuth)."""
    return _issue(ca_private, ca_certificate, host, at, SERVER_DAYS, ExtendedKeyUsageOID.SERVER_AUTH, _san(host))


def issue_desktop(ca_private: bytes, ca_certificate: bytes, desktop: str, at: datetime) -> tuple[bytes, bytes]:
    """(private key PEM, certificate PEM) for an enrolled desktop (CN = its name; clientAuth)."""
    if not desktop or len(desktop) > 64 or not desktop.isprintable():
        raise CertificateError("a desktop's name is 1 to 64 printable characters")
    return _issue(ca_private, ca_certificate, desktop, at, DESKTOP_DAYS, ExtendedKeyUsageOID.CLIENT_AUTH, None)


def revocation_list(ca_private: bytes, ca_certificate: bytes, revoked: list[tuple[int, datetime]], at: datetime,
                    days: int = 30) -> bytes:
    """The office CA's certificate revocation list (PEM): each (serial, when revoked); the next one is due in
    `days` days. The server loads it (ssl_crl_file) and refuses a desktop whose certificate it names."""
    ca_key = serialization.load_der_private_key(ca_private, password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise CertificateError("the office CA's key is not an ECDSA P-256 key")
    ca_cert = x509.load_der_x509_certificate(ca_certificate)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca_cert.subject)
               .last_update(at - SKEW).next_update(at + timedelta(days=days))
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                              critical=False))
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return builder.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

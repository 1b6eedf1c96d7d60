"""The office CA in use: its certificate for recipients (`dws export ca`), the certificate a letter is signed
under, and what `dws verify` checks of every certificate the store holds.

Certificates are issued when a user is added or reset (session.py) and, for stores made before schema 10 or a
certificate nearing its end, at the user's next unlock (store/opening.py); a user whose key has none by the
time they sign a letter (a key enrolled some other way) gets one then. The policy is the same each time: a
certificate only for the user's current signing key, announced in the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import InputError, StoreError
from ..keys import ca
from ..keys import primitives as p
from ..results import CaExport
from ..store import certificates as certs_sql
from ..store import db
from ..store import decisions as dec
from ..store import users as users_sql
from .context import Ctx


@dataclass(frozen=True, slots=True)
class SigningCertificate:
    certificate: bytes          # the user's, DER
    ca: bytes                   # the office CA's, DER
    serial: str


def export_ca(s: Ctx, target: str) -> CaExport:
    """The CA certificate as PEM; logs the export (its serial, fingerprint and where it went)."""
    cert = certs_sql.ca_certificate(s.conn)
    if cert is None:
        raise StoreError("this store has no office CA yet; unlock it again to make one")
    made = CaExport(ca.pem(cert), ca.serial_of(cert), ca.fingerprint(cert))
    with db.transaction(s.conn):
        s.log("office-ca-exported", made.serial, {"sha256": made.sha256, "target": target})
    return made


def for_signing(s: Ctx, public_key: bytes) -> SigningCertificate:
    """The certificate of the signed-in user's key `public_key` (the one their signer holds), with the CA's.
    Issued now (and announced) if the user has no valid one for that key: only for their current key."""
    user = s.user
    if user is None:
        raise InputError("a recovery-code session does not sign letters")
    if p.key_algorithm(public_key) != p.ECDSA_P256:
        raise InputError("your signing key is an Ed25519 key made before letters were signed as PDFs; lock the "
                         "workstation and unlock it again to get an ECDSA P-256 key (the old one stays valid for "
                         "what it signed)")
    authority = certs_sql.ca_certificate(s.conn)
    row = certs_sql.current(s.conn, user, public_key)
    if authority is None or row is None:
        if users_sql.public_key(s.conn, user) != public_key:
            raise InputError("the key that would sign is not your current signing key; ask an administrator")
        with db.transaction(s.conn):
            store = s.store
            fixed = s.fixed()
            authority = certs_sql.ensure_ca(s.conn, store.data_key, store.keyslots.store_id, fixed=fixed, by=user)
            row = certs_sql.issue(s.conn, store.data_key, store.keyslots.store_id, user, public_key, fixed=fixed,
                                  by=user)
    return SigningCertificate(row.certificate, authority, row.serial)


def verify_problems(s: Ctx, kept: list[tuple[str, str, str]]) -> tuple[int, list[str]]:
    """(certificates checked, problems) for `dws verify`: the CA's creation announced with its fingerprint;
    every stored certificate issued by that CA, for a key the store enrolled for the user it names, and
    announced in the log with its serial, user and key."""
    problems: list[str] = []
    created = {json.loads(detail).get("sha256") for event, _obj, detail in kept if event == "office-ca-created"}
    announced = {(obj, json.loads(detail).get("serial"), json.loads(detail).get("fingerprint"))
                 for event, obj, detail in kept if event == "certificate-issued"}
    authority = certs_sql.ca_certificate(s.conn)
    rows = certs_sql.all_certificates(s.conn)
    if authority is None:
        if rows:
            problems.append("user certificates are stored, but the office CA is missing")
        return len(rows), problems
    if ca.fingerprint(authority) not in created:
        problems.append("office CA: the audit log does not announce this CA certificate (it was replaced)")
    registered = {(user, key) for user, keys in dec.user_keys(s.conn).items() for key in keys}
    for row in rows:
        where = f"certificate {row.serial} ({row.user})"
        why = ca.problem(authority, row.certificate)
        if why:
            problems.append(f"{where}: {why}")
            continue
        if ca.public_key_of(row.certificate) != row.public_key or ca.serial_of(row.certificate) != row.serial:
            problems.append(f"{where}: the stored key or serial is not the certificate's")
        if ca.common_name(row.certificate) != row.user:
            problems.append(f"{where}: it names {ca.common_name(row.certificate)!r}, not the user it is filed under")
        if (row.user, row.public_key) not in registered:
            problems.append(f"{where}: it certifies a key that was never {row.user}'s signing key")
        if (row.user, row.serial, p.fingerprint(row.public_key)) not in announced:
            problems.append(f"{where}: the audit log does not announce it")
    return len(rows), problems

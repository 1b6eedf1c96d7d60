"""SQL for the office CA and the certificates it issued (tables office_ca, user_certificates; migration 0010).

The CA's private key is wrapped (AES-256-GCM) under HKDF(data key, "dws/office-ca/v1|<store id>"): whoever
unlocks the store may issue a certificate, and only for a key of the user it names that the store already
holds (users / user_keys). Every CA made and every certificate issued is announced in the audit log in the
same transaction ('office-ca-created', 'certificate-issued': serials, names and fingerprints, nothing
secret), and `dws verify` checks each stored certificate against those announcements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .. import clock as clocks
from ..errors import StoreError
from ..keys import ca
from ..keys import primitives as p
from ..settings import SettingValue
from . import auditlog
from . import settings as settings_sql
from .db import Connection, Row

_COLS = "serial, user, public_key, certificate, not_before, not_after, issued_at"


@dataclass(frozen=True, slots=True)
class CertificateRow:
    serial: str
    user: str
    public_key: bytes           # the certified key, SubjectPublicKeyInfo DER
    certificate: bytes          # DER
    not_before: str
    not_after: str
    issued_at: str


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _kek(data_key: bytes, store_id: str) -> bytes:
    return p.hkdf(data_key, salt=None, info=f"dws/office-ca/v1|{store_id}".encode())


def _aad(store_id: str) -> bytes:
    return f"dws/office-ca|{store_id}".encode()


def ca_certificate(conn: Connection) -> bytes | None:
    """The office CA's certificate (DER), or None before one was made."""
    row = conn.execute("SELECT certificate FROM office_ca WHERE id = 1").fetchone()
    return bytes(row[0]) if row else None


def create_ca(conn: Connection, data_key: bytes, store_id: str, *, fixed: Mapping[str, SettingValue],
              by: str | None) -> bytes:
    """Inside the caller's transaction: the store's CA, its key wrapped, its creation logged. Returns its
    certificate (DER). `fixed`: the office policy's settings (the office name may be one)."""
    at = clocks.current().now()
    private, made = ca.new_ca(str(settings_sql.get(conn, "office_name", fixed)), store_id, at)
    nonce, wrapped = p.wrap(private, _kek(data_key, store_id), _aad(store_id))
    conn.execute("INSERT INTO office_ca (id, certificate, key_nonce, key_wrapped, created_at) VALUES (1, ?, ?, ?, ?)",
                 (made.certificate, nonce, wrapped, _stamp(at)))
    auditlog.append(conn, "office-ca-created", user=by, obj=made.serial,
                    detail={"serial": made.serial, "sha256": ca.fingerprint(made.certificate),
                            "not_after": _stamp(made.not_after)})
    return made.certificate


def ensure_ca(conn: Connection, data_key: bytes, store_id: str, *, fixed: Mapping[str, SettingValue],
              by: str | None) -> bytes:
    """The CA's certificate, made now if this store has none yet (a store older than schema 10)."""
    return ca_certificate(conn) or create_ca(conn, data_key, store_id, fixed=fixed, by=by)


def issue(conn: Connection, data_key: bytes, store_id: str, user: str, public_key: bytes, *,
          fixed: Mapping[str, SettingValue], by: str | None) -> CertificateRow:
    """Inside the caller's transaction: a certificate for `user`'s ECDSA P-256 key, stored and announced."""
    row = conn.execute("SELECT certificate, key_nonce, key_wrapped FROM office_ca WHERE id = 1").fetchone()
    if row is None:
        raise StoreError("this store has no office CA yet; unlock it again to make one")
    private = p.unwrap(row[1], row[2], _kek(data_key, store_id), _aad(store_id))
    if private is None:
        raise StoreError("the office CA's key cannot be unwrapped (the store was altered); run 'dws verify'")
    at = clocks.current().now()
    office = str(settings_sql.get(conn, "office_name", fixed))
    made = ca.issue(private, bytes(row[0]), user, public_key, office, store_id, at)
    cert = CertificateRow(made.serial, user, public_key, made.certificate, _stamp(made.not_before),
                          _stamp(made.not_after), _stamp(at))
    conn.execute(f"INSERT INTO user_certificates ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (cert.serial, cert.user, cert.public_key, cert.certificate, cert.not_before, cert.not_after,
                  cert.issued_at))
    auditlog.append(conn, "certificate-issued", user=by, obj=user,
                    detail={"serial": cert.serial, "fingerprint": p.fingerprint(public_key),
                            "not_after": cert.not_after})
    return cert


def current(conn: Connection, user: str, public_key: bytes, *,
            valid_until: datetime | None = None) -> CertificateRow | None:
    """The newest certificate for this user and key that is still valid at `valid_until` (default: now)."""
    until = _stamp(valid_until or clocks.current().now())
    row = conn.execute(f"SELECT {_COLS} FROM user_certificates WHERE user = ? AND public_key = ? AND not_after > ? "
                       "ORDER BY issued_at DESC LIMIT 1", (user, public_key, until)).fetchone()
    return _row(row) if row else None


def by_serial(conn: Connection, serial: str) -> CertificateRow | None:
    row = conn.execute(f"SELECT {_COLS} FROM user_certificates WHERE serial = ?", (serial,)).fetchone()
    return _row(row) if row else None


def all_certificates(conn: Connection) -> list[CertificateRow]:
    return [_row(r) for r in conn.execute(f"SELECT {_COLS} FROM user_certificates ORDER BY issued_at, serial")]


def _row(r: Row) -> CertificateRow:
    return CertificateRow(r[0], r[1], bytes(r[2]), bytes(r[3]), r[4], r[5], r[6])

"""Revoking a desktop (`dws office revoke`, an admin; issue 19 item 3): every certificate the office CA issued to
the desktop of that name, as the office log records them (store/office/desktops.py), is added to the office CA's
certificate revocation list (X.509 v2, tls.revocation_list), in the office log first, then the list is made
again from every revocation the log holds and signed with the office CA's key (sealed on the server under the
office key: only a user who holds the office key and may read the office CA, an admin, can sign one).

The server refuses a revoked certificate once it has read the list (`ssl_crl_file`, a reload, no restart): the
list is a file on the server, and reloading the server's configuration takes its superuser (or the system user
it runs as). Where the server is this machine's demo cluster, the service installs it and reloads; otherwise
it is written for the server's administrator to put in place (service/office_revoke.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import psycopg
from cryptography import x509

from ..errors import InputError, OfficeError, PermissionDenied
from ..store.office import desktops
from ..store.office import log as office_log
from . import enrol, tls
from .sealing import OfficeKeys


@dataclass(frozen=True)
class Revocation:
    desktop: str
    revoked: tuple[str, ...]        # serials (hex) revoked now
    before: tuple[str, ...]         # serials of this desktop revoked earlier
    listed: int                     # certificates on the new revocation list
    crl_pem: bytes
    log_seq: int | None             # the office log entry of this revocation (None: nothing new revoked)


def revoked_serials(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, datetime]:
    """Every serial (hex) the office log says was revoked, and when."""
    found: dict[str, datetime] = {}
    for _seq, ts, _obj, detail in desktops.events(conn, desktops.REVOKED):
        when = _when(ts)
        for serial in _serials(detail):
            found.setdefault(serial, when)
    return found


def revoke_desktop(conn: psycopg.Connection[tuple[object, ...]], keys: OfficeKeys, admin: str, desktop: str,
                   at: datetime) -> Revocation:
    """Revoke `desktop`'s certificates in the office log and make the office CA's new revocation list (as an
    admin: PermissionDenied for anyone else). InputError for a desktop the office never enrolled."""
    try:
        ca_private, ca_certificate = enrol.office_ca(conn, keys)
    except PermissionDenied:
        raise PermissionDenied("only an office admin may revoke a desktop; nothing was changed") from None
    try:
        return _revoke(conn, admin, desktop, at, ca_private, ca_certificate)
    except psycopg.OperationalError:
        raise OfficeError("office server unreachable: the connection ended during the revocation; nothing was "
                          "revoked (the log entry and the change are one transaction): try again when the server "
                          "is back", reason="unreachable") from None


def _revoke(conn: psycopg.Connection[tuple[object, ...]], admin: str, desktop: str, at: datetime, ca_private: bytes,
            ca_certificate: bytes) -> Revocation:
    with conn.transaction():
        office_log.lock(conn)           # one order with other revocations and enrolments
        issued = [s for _seq, _ts, obj, detail in desktops.events(conn, desktops.ENROLLED) if obj == desktop
                  for s in _serials(detail)]
        if not issued:
            raise InputError(f"the office log records no desktop named {desktop!r} (a desktop is named at 'dws "
                             "office enrol --desktop NAME'); nothing was changed", source="--desktop")
        earlier = revoked_serials(conn)
        new = tuple(dict.fromkeys(s for s in issued if s not in earlier))
        seq = enrol.log_event(conn, admin, desktops.REVOKED, desktop, {"serials": list(new)}) if new else None
        listed = {**earlier, **{s: at for s in new}}
    ca_cert = x509.load_der_x509_certificate(ca_certificate)
    days = max(1, (ca_cert.not_valid_after_utc - at).days)      # no list that expires before its CA does
    crl = tls.revocation_list(ca_private, ca_certificate, sorted((int(s, 16), w) for s, w in listed.items()), at,
                              days=days)
    before = tuple(s for s in dict.fromkeys(issued) if s in earlier)
    return Revocation(desktop, new, before, len(listed), crl, seq)


def end_sessions(conn: psycopg.Connection[tuple[object, ...]], done: Revocation) -> int | None:
    """End the revoked desktop's open sessions on the office database (the server checks a certificate only when
    a session starts); how many, or None on an office made before this could be done."""
    try:
        return desktops.end_sessions(conn, [int(s, 16) for s in (*done.revoked, *done.before)])
    except psycopg.errors.UndefinedFunction:
        return None
    except psycopg.OperationalError:
        raise OfficeError("office server unreachable after the revocation was logged and its list written: the "
                          "desktop's open sessions may go on; run the same 'dws office revoke' again when the server "
                          "is back", reason="unreachable") from None


def empty_list(ca_private: bytes, ca_certificate: bytes, at: datetime) -> bytes:
    """The office CA's revocation list with no certificate on it (what a new office's server loads, so that a
    revocation is a reload, never a restart)."""
    ca_cert = x509.load_der_x509_certificate(ca_certificate)
    return tls.revocation_list(ca_private, ca_certificate, [], at, days=max(1, (ca_cert.not_valid_after_utc - at).days))


def _serials(detail: str) -> list[str]:
    try:
        found = json.loads(detail)
    except ValueError:
        raise OfficeError("an office log entry about a desktop is not JSON: run 'dws verify' on the office") from None
    serials = found.get("serials", [found.get("serial")]) if isinstance(found, dict) else []
    return [s.lower() for s in serials if isinstance(s, str) and s and all(c in "0123456789abcdefABCDEF" for c in s)]


def _when(ts: str) -> datetime:
    try:
        return datetime.fromisoformat(ts).astimezone(UTC)
    except ValueError:
        return datetime.now(UTC)

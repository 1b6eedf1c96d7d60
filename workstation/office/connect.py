"""Opening a connection to the office server (issue 19 item 3; DESIGN.md, "The office store"): TLS with
`sslmode=verify-full` against the office CA, this desktop's client certificate, and a connect timeout.

Every way it can fail becomes ONE OfficeError (workstation/errors.py; the CLI prints it and exits 1) that says
what is wrong and what to do, naming the file or the host:port concerned: never libpq's own text (which may
quote the connection string), a password, a key or a traceback.

The desktop's files are checked here before anything is sent (libpq's messages for them are obscure, and a
certificate from another office's CA need not travel to learn that): the certificate and key exist and are
readable, the key is the certificate's and only its owner may read it (0600), the certificate is the office
CA's and in its validity period. What only the server can tell (revoked, unknown to it, a wrong credential, no
rule for this user) is mapped from libpq's error.
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from psycopg.conninfo import make_conninfo

from ..errors import OfficeError
from ..keys.ca import _verify_issued_by, validity
from .profile import OfficeProfile

DEFAULT_TIMEOUT = 10            # seconds libpq waits for the server before "office server unreachable"
# A connection that must notice a server gone without a word (the queue's listener): TCP keepalives after 5 s of
# quiet, every 2 s, given up after 3 unanswered; data unacknowledged for 10 s ends it too.
KEEPALIVE = {"keepalives": "1", "keepalives_idle": "5", "keepalives_interval": "2", "keepalives_count": "3",
             "tcp_user_timeout": "10000"}
Connection = psycopg.Connection[tuple[object, ...]]

_ENROL = "ask the office administrator to enrol this desktop again (dws office enrol --desktop NAME)"


def _read(path: Path, what: str, profile: OfficeProfile, key: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        why = "it is missing" if isinstance(exc, FileNotFoundError) else f"it cannot be read ({exc.strerror})"
        raise OfficeError(f"{what} {path}: {why}. Correct {key!r} in {profile.path.name}, or {_ENROL}",
                          reason="desktop") from None


def check_desktop(profile: OfficeProfile, at: datetime | None = None) -> None:
    """This desktop's certificate, key and office CA as a connection needs them; OfficeError naming the file."""
    if isinstance(profile.key, str):
        raise OfficeError(f"{profile.path.name}: a desktop key on a PIV card (pkcs11:) cannot yet open an office "
                          "connection; use a key file", reason="desktop")
    ca_pem = _read(profile.ca, "the office CA certificate", profile, "ca")
    cert_pem = _read(profile.cert, "the desktop certificate", profile, "cert")
    key_pem = _read(profile.key, "the desktop key", profile, "key")
    mode = os.stat(profile.key).st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise OfficeError(f"the desktop key {profile.key} may be read by others (mode {mode & 0o777:o}); only its "
                          f"owner may: run chmod 600 {profile.key}, then try again", reason="desktop")
    try:
        ca_cert = x509.load_pem_x509_certificate(ca_pem)
    except ValueError:
        raise OfficeError(f"the office CA certificate {profile.ca} is not a PEM certificate. Correct 'ca' in "
                          f"{profile.path.name}, or {_ENROL}", reason="desktop") from None
    try:
        cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError:
        raise OfficeError(f"the desktop certificate {profile.cert} is not a PEM certificate; {_ENROL}",
                          reason="desktop") from None
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise OfficeError(f"the desktop key {profile.key} is not an unencrypted PEM private key; {_ENROL}",
                          reason="desktop") from None
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if (key.public_key().public_bytes(serialization.Encoding.DER, spki)
            != cert.public_key().public_bytes(serialization.Encoding.DER, spki)):
        raise OfficeError(f"the desktop key {profile.key} is not the key of the certificate {profile.cert}; "
                          f"{_ENROL}", reason="desktop")
    try:
        _verify_issued_by(cert, ca_cert)            # the issuer's name and the CA's signature
    except (InvalidSignature, ValueError, TypeError):
        raise OfficeError(f"the desktop certificate {profile.cert} was not issued by the office CA in {profile.ca} "
                          f"(another office's, or the CA was renewed); {_ENROL}", reason="desktop") from None
    not_before, not_after = validity(cert)
    now = at or datetime.now(UTC)
    if not not_before <= now <= not_after:
        when = "expired on" if now > not_after else "is valid only from"
        day = (not_after if now > not_after else not_before).date().isoformat()
        raise OfficeError(f"the desktop certificate {profile.cert} {when} {day}; {_ENROL}", reason="desktop")


def connect(profile: OfficeProfile, user: str, password: str | None, *,
            timeout: int = DEFAULT_TIMEOUT, keepalive: bool = False) -> Connection:
    """A connection as `user` (verify-full, this desktop's certificate); OfficeError when refused. No password
    for a role the server admits by certificate alone (the keyslot reader). In autocommit: a change is made in
    an explicit `conn.transaction()` block, which commits at its end (never a transaction left open by a read,
    which closing the connection would roll back with what followed it). With `keepalive`, a server that
    vanishes without a word is noticed within seconds (KEEPALIVE)."""
    check_desktop(profile)
    params: dict[str, str] = {**profile.connection_params(user), "connect_timeout": str(timeout),
                              "application_name": "dws", **(KEEPALIVE if keepalive else {})}
    if password is not None:
        params["password"] = password
    try:
        return psycopg.connect(make_conninfo(**params), autocommit=True)
    except psycopg.Error as exc:
        raise explain(exc, profile, user) from None


def connect_like(conn: Connection) -> Connection:
    """A second connection made with the parameters `conn` was made with (libpq's own record of them: the host,
    the login, its credential, this desktop's certificate and key files, verify-full against the office CA), for
    work that runs beside `conn`'s (an evaluation's candidates read while its subjects are opened). In autocommit,
    as `connect`'s; psycopg.OperationalError when the server refuses it or is gone (the caller then does the work
    on `conn` alone)."""
    params = {o.keyword.decode(): o.val.decode() for o in conn.pgconn.info if o.val is not None}
    return psycopg.connect(make_conninfo(**params), autocommit=True)


# libpq's words (lower case) -> (reason, what the officer reads); {where} is host:port, {user} the login role,
# {cert} {ca} {profile} the files.
_SERVER_SAID: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("certificate revoked",), "desktop",
     "this desktop's certificate {cert} was revoked by the office (dws office revoke): the office server at "
     "{where} refuses it; " + _ENROL),
    (("unknown ca",), "desktop",
     "the office server at {where} does not trust this desktop's certificate {cert} (not issued by the CA it "
     "trusts); " + _ENROL),
    (("certificate expired",), "desktop",
     "the office server refused this desktop's certificate {cert}: it has expired; " + _ENROL),
    (("requires a valid client certificate", "certificate authentication failed", "bad certificate",
      "certificate required"), "desktop",
     "the office server at {where} did not accept this desktop's certificate {cert} for {user}; " + _ENROL),
    (("does not match host name", "does not match the host name"), "server",
     "the office server at {where} presented a certificate for another name than {host!r}: check 'host' in "
     "{profile} (it must be the name in the server's certificate); nothing was sent"),
    (("certificate verify failed", "self-signed certificate", "unable to get local issuer"), "server",
     "the office server at {where} presented a certificate that the office CA in {ca} does not vouch for (another "
     "CA's, expired, or not yet valid): it may not be your office's server. Check 'host' and 'ca' in {profile} "
     "with the office administrator; nothing was sent"),
    (("password authentication failed", "scram", "no password supplied"), "credential",
     "the office server refused the database credential of {user}"),
    (("no pg_hba.conf entry",), "server",
     "the office server at {where} has no rule that admits {user} from this desktop over TLS (pg_hba.conf); "
     "ask the office administrator"),
    (("too many connections", "remaining connection slots"), "server",
     "the office server at {where} has no free connection slot; try again in a minute, or ask the office "
     "administrator"),
    (("the database system is starting up", "the database system is shutting down",
      "the database system is in recovery"), "unreachable",
     "office server unreachable: {where} is starting or stopping; try again in a minute"),
    (("connection refused", "timeout expired", "could not translate host name", "no route to host",
      "network is unreachable", "server closed the connection unexpectedly", "could not connect",
      "name or service not known", "connection timed out", "host is unreachable"), "unreachable",
     "office server unreachable: {where} (check that the server is running and that this desktop is on the "
     "office network; 'host' and 'port' are in {profile}), then try again"),
)


def explain(exc: psycopg.Error, profile: OfficeProfile, user: str) -> OfficeError:
    """The one message for a refused or failed connection (libpq's text is read, never shown)."""
    said = str(exc).lower()
    words = {"where": f"{profile.host}:{profile.port}", "user": repr(user), "host": profile.host,
             "cert": str(profile.cert), "ca": str(profile.ca), "profile": profile.path.name}
    if f'database "{profile.dbname.lower()}" does not exist' in said:
        return OfficeError(f"the office server at {words['where']} has no database {profile.dbname!r}: check "
                           f"'dbname' in {profile.path.name}", reason="server")
    if "permission denied for database" in said:
        return OfficeError(f"{user!r} may not connect to the office database {profile.dbname!r}; ask the office "
                           "administrator to enrol the user again", reason="credential")
    for needles, reason, text in _SERVER_SAID:
        if any(n in said for n in needles):
            return OfficeError(text.format(**words), reason=reason)
    state = getattr(exc, "sqlstate", None)
    return OfficeError(f"the office server at {words['where']} refused the connection"
                       f"{f' (SQLSTATE {state})' if state else ''}; ask the office administrator", reason="server")

"""`dws office init --profile FILE` (INTERCHANGE.md): an office in an empty PostgreSQL database that the profile
names, over the profile's connection (TLS, verify-full, this desktop's certificate), as a database user who may
create roles (the server's administrator: its password is asked for apart from any passphrase, never stored).

What it creates, in one transaction (all of it or nothing): the office's roles (named after the database: two
offices on one server share none), the append-only log, the keyslot tables and the taxpayer records with their
grants (workstation/store/office/); a new office key; the office CA, its key sealed under the office key (for
`dws office enrol --desktop`); the first admin's login role and keyslot; the recovery keyslot (the office key
under a new recovery code, the local store's format, printed once); and the office log's first entries. Then
it gives the server settings the office needs (postgresql.conf, pg_hba.conf and pg_ident.conf lines).

On a database that holds an office already, `init` brings its schema up to date instead (`upgrade`): the steps of
store/office/schema.STEPS after the office's version, in one transaction with the office log's entry for them; an
office made before versions were kept is probed for each step first. Only the server's administrator may (a
superuser, as for `init`: the steps alter the owner's tables and grant to the office's roles); a desktop's roles
may not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from .. import clock as clocks
from ..crypto import DEFAULT_MODE, Mode
from ..errors import AuthError, InputError, StoreError
from ..fsutil import atomic_write
from ..keys import primitives as p
from ..office import credential, enrol, revoke, tls
from ..office import profile as profiles
from ..office import recovery as office_recovery
from ..office.profile import OfficeProfile
from ..office.sealing import OfficeKeys
from ..office.unlock import server_rules
from ..store.office import keyslots, recovery, schema
from ..store.office.roles import OfficeRoles, roles_for
from .office_profile import CRL_FILE

# What the server needs, printed for its administrator (README, "An office on one server").
SERVER_SETTINGS = ("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                   "ssl_ca_file = 'root.crt'            # the office CA's certificate\n"
                   "ssl_min_protocol_version = 'TLSv1.3'\n"
                   "ssl_crl_file = 'root.crl'           # the office CA's revocation list (dws office revoke)\n")


@dataclass(frozen=True)
class OfficeInit:
    office: str
    dbname: str
    role_prefix: str
    admin: str
    recovery_code: str
    postgresql_conf: str
    pg_hba_conf: str
    pg_ident_conf: str
    crl_file: Path | None = None        # the office CA's (empty) revocation list, for the server's ssl_crl_file


@dataclass(frozen=True)
class OfficeUpgrade:
    office: str
    dbname: str
    before: int | None                  # the office's version before (None: made before versions were kept)
    found: tuple[int, ...]              # steps an office made before versions had already
    added: tuple[tuple[int, str], ...]  # (number, what it adds) of each step run
    version: int                        # its version now
    log_seq: int | None                 # the office log's entry for the upgrade (None: nothing to do)


ADDRESS_STEP = schema.ADDRESS_STEP      # records.add_address_index: rows already there keep NULL
UPGRADE_EVENT = "office-schema-upgraded"
UNVERSIONED_TOO_OLD = ("this office was made by an early dws, before offices held requests, evaluations or "
                       "decisions; it cannot be brought up to date: make a new office with this dws and move the "
                       "local store into it (dws office migrate); nothing was changed")


def newer_office(found: int) -> str:
    return (f"this office was upgraded by a newer dws (office schema version {found}; this dws knows versions up "
            f"to {schema.VERSION}): update this desktop's dws; nothing was changed")


def role_prefix(dbname: str) -> str:
    """The office's role prefix: its database's name in lower case, letters, digits and _ only."""
    return roles_for(dbname).prefix


def settings(dbname: str, roles: OfficeRoles, address: str = "all") -> tuple[str, str, str]:
    """(postgresql.conf, pg_hba.conf, pg_ident.conf) lines of an office: what `init` prints, what the demo's
    cluster runs with."""
    hba, ident = server_rules(dbname, roles, address)
    return SERVER_SETTINGS, hba, ident


def init(profile_path: Path, user: str, password: str, admin: str, admin_passphrase: str, ca_key: Path | None,
         mode: Mode = DEFAULT_MODE) -> OfficeInit:
    found = profiles.load(profile_path)
    if ca_key is None:              # INTERCHANGE.md's `dws office init --profile FILE`: the key beside the CA's
        ca_key = found.ca.with_suffix(".key")
    roles = roles_for(found.dbname)
    if not enrol.LOGIN.fullmatch(admin) or admin.startswith(("pg_", f"{roles.prefix}_")):
        raise InputError(f"{enrol.BAD_LOGIN}; nothing was changed", source="--admin")
    if not admin_passphrase:
        raise InputError("the first admin's passphrase may not be empty; nothing was changed")
    try:
        ca_private, ca_certificate = tls.load_ca(found.ca.read_bytes(), ca_key.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read the office CA key: {exc.strerror}", source=str(ca_key)) from None
    except tls.CertificateError as exc:
        raise InputError(f"{exc}; nothing was changed", source=ca_key.name) from None
    try:
        params = {**found.connection_params(user), "password": password, "connect_timeout": "15"}
        with psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=True) as conn:
            if schema.has_office(conn):
                raise InputError(f"database {found.dbname!r} holds an office already; nothing was changed",
                                 source=profile_path.name)
            with conn.transaction():
                schema.create_office(conn, roles)
                code, _key = furnish(conn, found, admin, admin_passphrase, ca_private, ca_certificate, mode)
    except psycopg.errors.InsufficientPrivilege:
        raise AuthError(f"database user {user!r} may not create an office (it needs to own the database and "
                        "create roles); nothing was changed") from None
    except psycopg.errors.DuplicateObject:
        raise InputError(f"the server has the roles of an office named {roles.prefix!r} already (another "
                         "database's?); nothing was changed", source=profile_path.name) from None
    except psycopg.OperationalError as exc:
        raise StoreError(f"the office server refused the connection or could not be reached: "
                         f"{_reason(exc)}; nothing was changed") from None
    conf, hba, ident = settings(found.dbname, roles)
    crl_file: Path | None = found.path.parent / CRL_FILE
    try:                # the office is made: a list that cannot be written is made again by `dws office revoke`
        empty = revoke.empty_list(ca_private, ca_certificate, clocks.current().now())
        atomic_write(found.path.parent / CRL_FILE, empty)
    except OSError:
        crl_file = None
    return OfficeInit(found.office, found.dbname, roles.prefix, admin, code, conf, hba, ident, crl_file)


def upgrade(profile_path: Path, user: str, password: str, recovery_code: Callable[[], str]) -> OfficeUpgrade | None:
    """Bring the office in the profile's database up to this dws's schema version, as database user `user` (the
    server's administrator), in one transaction logged in the office log; None when the database holds no office
    (init makes one). `recovery_code` is asked for only when the recovery proof is to be added (step 3: the server
    keeps the SHA-256 of the code's proof, which only the code gives; a wrong code changes nothing)."""
    found = profiles.load(profile_path)
    roles = roles_for(found.dbname)
    try:
        params = {**found.connection_params(user), "password": password, "connect_timeout": "15"}
        with psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=True) as conn:
            if not schema.has_office(conn):
                return None
            return _upgrade(conn, found, roles, user, recovery_code)
    except psycopg.errors.InsufficientPrivilege:
        raise AuthError(f"database user {user!r} may not upgrade the office (the server's administrator may: a "
                        "superuser, as for 'office init'); nothing was changed") from None
    except psycopg.OperationalError as exc:
        raise StoreError(f"the office server refused the connection, could not be reached or went away: "
                         f"{_reason(exc)}; nothing was changed") from None
    except psycopg.Error as exc:
        state = f" (SQLSTATE {exc.sqlstate})" if exc.sqlstate else ""
        raise StoreError(f"the office server refused the upgrade{state}; nothing was changed") from None


def _upgrade(conn: psycopg.Connection[Any], profile: OfficeProfile, roles: OfficeRoles, user: str,
             recovery_code: Callable[[], str]) -> OfficeUpgrade:
    if not schema.may_upgrade(conn):
        raise AuthError(f"database user {user!r} may not upgrade the office (the server's administrator may: a "
                        "superuser, as for 'office init'); nothing was changed")
    with conn.transaction():
        schema.lock_steps(conn)                 # one upgrade at a time
        before = schema.version(conn)
        had = schema.found_steps(conn) if before is None else before
        if before is None and had == 0:
            raise InputError(UNVERSIONED_TOO_OLD, source=profile.path.name)
        if had > schema.VERSION:
            raise StoreError(newer_office(had))
        if before is None:
            for step in schema.steps_upto(had):
                schema.record_step(conn, roles, step, found=True)
        added = []
        for step in schema.steps_after(had):
            step.apply(conn, roles)
            if step.number == schema.RECOVERY_STEP:
                _put_recovery_proof(conn, recovery_code())
            schema.record_step(conn, roles, step)
            added.append((step.number, step.adds))
        found_here = tuple(range(1, had + 1)) if before is None else ()
        seq = None
        if added or found_here:
            seq = enrol.log_event(conn, user, UPGRADE_EVENT, profile.dbname,
                                  {"from": before, "to": schema.VERSION, "found": list(found_here),
                                   "added": [n for n, _ in added]})
    return OfficeUpgrade(profile.office, profile.dbname, before, found_here, tuple(added), schema.VERSION, seq)


def _put_recovery_proof(conn: psycopg.Connection[Any], code: str) -> None:
    """(Upgrade step 3) the proof of the office's recovery code, checked against its recovery keyslot first."""
    _office_key, proof = office_recovery.open_recovery_slot(
        conn, code, "the recovery code does not open this office's recovery keyslot (the upgrade adds its proof, "
                    "which only the code gives); nothing was changed")
    recovery.put_proof(conn, proof)


def furnish(conn: psycopg.Connection[Any], profile: OfficeProfile, admin: str, passphrase: str,
            ca_private: bytes, ca_certificate: bytes, mode: Mode = DEFAULT_MODE) -> tuple[str, bytes]:
    """In an office schema just made (as a superuser, in the caller's transaction): a new office key, the
    office CA, the recovery keyslot, the first admin and the log's first entries. (The recovery code, the office
    key: for enrolling more users in the same transaction.)"""
    office_key = p.new_key()
    code = p.new_recovery_code()
    using = credential.slot_kdf(mode)
    slot, proof = credential.recovery_slot_and_proof(code, office_key, using)
    enrol.store_ca(conn, OfficeKeys.derive(office_key), ca_private, ca_certificate)
    keyslots.put_recovery(conn, slot.kdf_json(), slot.salt, slot.nonce, slot.wrapped)
    recovery.put_proof(conn, proof)         # what the server checks before `dws office recover` changes a keyslot
    enrol.log_event(conn, admin, "office-created", profile.dbname,
                    {"office": profile.office, "admin": admin, "keyslot_kdf": using.describe()})
    enrol.enrol_user(conn, profile, office_key, admin, "admin", passphrase, mode, by=admin)
    return code, office_key


def _reason(exc: psycopg.OperationalError) -> str:
    """The server's or libpq's reason, its last line (it names the host, port and user; no taxpayer value)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("connection failed: ")[:300] if lines else type(exc).__name__

"""`dws office init --profile FILE` (INTERCHANGE.md): the office schema in an empty PostgreSQL database that the
profile names, over the profile's connection (TLS, verify-full, this desktop's certificate), as a database user
who may create roles (the server's administrator: its password is asked for like a passphrase, never stored).

What it creates: the office's roles (named after the database: two offices on one server share none), the
append-only log and the taxpayer records with their grants (workstation/store/office/). Not yet: the first
admin's keyslot and the recovery code (the office keyslots are still to come, issue 19 item 6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

from ..errors import AuthError, InputError, StoreError
from ..office import profile as profiles
from ..office.cluster import HBA_TLS
from ..store.office import schema
from ..store.office.roles import OfficeRoles

# What the server needs, printed for its administrator (README, "An office on one server").
SERVER_SETTINGS = ("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                   "ssl_ca_file = 'root.crt'            # the office CA's certificate\n"
                   "ssl_min_protocol_version = 'TLSv1.3'\n")


@dataclass(frozen=True)
class OfficeInit:
    office: str
    dbname: str
    role_prefix: str
    postgresql_conf: str
    pg_hba_conf: str


def role_prefix(dbname: str) -> str:
    """The office's role prefix: its database's name in lower case, letters, digits and _ only."""
    text = re.sub(r"[^a-z0-9_]", "_", dbname.lower())
    return ("o_" + text if not text[:1].isalpha() else text)[:31]


def init(profile_path: Path, user: str, password: str) -> OfficeInit:
    found = profiles.load(profile_path)
    roles = OfficeRoles(role_prefix(found.dbname))
    try:
        params = {**found.connection_params(user), "password": password, "connect_timeout": "15"}
        with psycopg.connect(psycopg.conninfo.make_conninfo(**params), autocommit=True) as conn:
            if schema.has_office(conn):
                raise InputError(f"database {found.dbname!r} holds an office already; nothing was changed",
                                 source=profile_path.name)
            schema.create_office(conn, roles)
    except psycopg.errors.InsufficientPrivilege:
        raise AuthError(f"database user {user!r} may not create an office (it needs to own the database and "
                        "create roles); nothing was changed") from None
    except psycopg.errors.DuplicateObject:
        raise InputError(f"the server has the roles of an office named {roles.prefix!r} already (another "
                         "database's?); nothing was changed", source=profile_path.name) from None
    except psycopg.OperationalError as exc:
        raise StoreError(f"the office server refused the connection or could not be reached: "
                         f"{_reason(exc)}; nothing was changed") from None
    return OfficeInit(found.office, found.dbname, roles.prefix, SERVER_SETTINGS, HBA_TLS)


def _reason(exc: psycopg.OperationalError) -> str:
    """The server's or libpq's reason, its last line (it names the host, port and user; no taxpayer value)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    return lines[-1].removeprefix("connection failed: ")[:300] if lines else type(exc).__name__

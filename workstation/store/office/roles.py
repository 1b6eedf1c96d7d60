"""The database roles of an office: one group role per office role, an owner role nobody logs in as, and the
login roles of its users (members of their office role's group).

Roles are the server's, not one database's, so an office's role names carry the office's prefix
(`<prefix>_preparer`, ...): two offices, or two tests, on one server do not share a role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg import sql

from ...model import OFFICE_ROLES as OFFICE_ROLES
from ...model import OfficeRole as OfficeRole

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,30}")
_LOGIN = re.compile(r"[a-z][a-z0-9_.-]{0,62}")


class RoleError(ValueError):
    """A role name or office role this office does not have."""


@dataclass(frozen=True)
class OfficeRoles:
    prefix: str

    def __post_init__(self) -> None:
        if not _PREFIX.fullmatch(self.prefix):
            raise RoleError("an office's role prefix is a lower-case letter, then up to 30 letters, digits or _")

    @property
    def owner(self) -> str:
        """Owns the office's schema and tables (so only it could alter them); no login, never granted."""
        return f"{self.prefix}_owner"

    def group(self, role: str) -> str:
        if role not in OFFICE_ROLES:
            raise RoleError(f"no office role {role!r} (one of {', '.join(OFFICE_ROLES)})")
        return f"{self.prefix}_{role}"

    def groups(self) -> list[str]:
        return [self.group(r) for r in OFFICE_ROLES]


def roles_for(dbname: str) -> OfficeRoles:
    """The roles of the office in database `dbname`: its name in lower case (letters, digits and _ only, a letter
    first) is their prefix, so a desktop knows them from its profile alone."""
    text = re.sub(r"[^a-z0-9_]", "_", dbname.lower())
    return OfficeRoles(("o_" + text if not text[:1].isalpha() else text)[:31])


def create_roles(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles) -> None:
    """The owner and the five group roles, none of which can log in (in the caller's transaction)."""
    for name in (roles.owner, *roles.groups()):
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))


def create_login(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles, login: str,
                 role: OfficeRole) -> None:
    """A user's login role, a member of its office role's group (it inherits the group's grants, nothing
    else: no superuser, no role or database creation, no replication)."""
    if not _LOGIN.fullmatch(login) or login.startswith(("pg_", f"{roles.prefix}_owner")):
        raise RoleError("a login name is a lower-case letter, then letters, digits, _, . or -")
    conn.execute(sql.SQL("CREATE ROLE {} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                         "IN ROLE {}").format(sql.Identifier(login), sql.Identifier(roles.group(role))))


def drop_roles(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles, logins: list[str]) -> None:
    """Drop the logins and the office's roles (their objects must be gone: the office's database dropped)."""
    for name in (*logins, f"{roles.prefix}_desk", f"{roles.prefix}_enroller", *roles.groups(), roles.owner):
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def is_member(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles, role: OfficeRole) -> bool:
    """Whether the connected login is a member of `role`'s group (the server's own record of its office role)."""
    row = conn.execute("SELECT pg_has_role(session_user, %s, 'MEMBER')", (roles.group(role),)).fetchone()
    return bool(row and row[0])


def session_role(conn: psycopg.Connection[tuple[object, ...]]) -> OfficeRole | None:
    """The connected login's office role, as the server records it (the office group it is a member of)."""
    rows = conn.execute("SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
                        "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = session_user").fetchall()
    for (group,) in rows:
        for role in OFFICE_ROLES:
            if str(group).endswith(f"_{role}"):
                return role
    return None

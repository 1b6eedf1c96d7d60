"""The office's users as the server knows them (issue 19, i19o): each login that is a member of one of the office's
role groups (store/office/roles.py), read from the server's own catalog (pg_auth_members, pg_roles), which every
login may read; the enroller role, which holds the groups to add logins to them, is not a user."""

from __future__ import annotations

from typing import Any

import psycopg

from .keyslots import enroller_role
from .roles import OFFICE_ROLES, OfficeRole, OfficeRoles

Conn = psycopg.Connection[Any]


def logins(conn: Conn, roles: OfficeRoles) -> list[tuple[str, OfficeRole, bool]]:
    """(login, office role, whether it may log in) of every user of the office, by login."""
    groups = {roles.group(r): r for r in OFFICE_ROLES}
    rows = conn.execute(
        "SELECT u.rolname, g.rolname, u.rolcanlogin FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = ANY(%s) AND u.rolname <> %s "
        "ORDER BY u.rolname, g.rolname", (list(groups), enroller_role(roles))).fetchall()
    found: dict[str, tuple[str, OfficeRole, bool]] = {}
    for login, group, can_login in rows:
        found.setdefault(str(login), (str(login), groups[str(group)], bool(can_login)))
    return list(found.values())

"""Reviewer overrides of the release plan on the office server (issue 19, i19o), append-only.

dws.overrides, one row an override or the undoing of one (a local store sets `undone_at` on the override's row;
an office never changes a row, so undoing is a row of its own):
    id          bigint   from a sequence (in the sealed value's associated data)
    request     bigint   the request's row (dws.requests.id)
    undoes      bigint   NULL: an override; else the override this row undoes (one undo per override, of the same
                         request, never of an undo: the server checks)
    at          text     plain: when (UTC, ISO, the desktop's clock, as the local store keeps it)
    created_by  name     set by the server: the login that inserted the row
    created_at  timestamptz  set by the server
    sealed      bytea    an override's content, sealed on the desktop under the office key, table "overrides" and
                         "<id>|<request>" in the associated data: the subject's ref (or none: every subject), the
                         element, release or withhold, and the reviewer's written reason (which may name a person);
                         NULL for an undo, which carries nothing but `undoes`

What the server itself enforces, whoever the desktop claims to be (grants, row-level security, a trigger):
- only a member of the preparer group inserts a row, in its own name (created_by = session_user), and not on a
  request another preparer has claimed (dws.requests.claimed_by);
- nobody UPDATEs, DELETEs or TRUNCATEs a row (the owner included);
- every office role reads them (the evaluation of any role's desktop applies them).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

TABLE = "overrides"
WRITERS = ("preparer",)

_SCHEMA = (
    "CREATE SEQUENCE dws.override_ids AS bigint",
    """CREATE TABLE dws.overrides (
        id         bigint PRIMARY KEY CHECK (id > 0),
        request    bigint NOT NULL REFERENCES dws.requests (id),
        undoes     bigint UNIQUE REFERENCES dws.overrides (id),
        at         text NOT NULL CHECK (length(at) BETWEEN 1 AND 64),
        created_by name NOT NULL DEFAULT session_user,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        sealed     bytea CHECK (length(sealed) > 28),
        CHECK ((undoes IS NULL) = (sealed IS NOT NULL))
    )""",
    "CREATE INDEX overrides_request ON dws.overrides (request, id)",
    """CREATE FUNCTION dws.overrides_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            claimant name;
            rid text;
            undone dws.overrides%ROWTYPE;
        BEGIN
            IF NOT pg_has_role(session_user, {preparer}, 'MEMBER') THEN
                RAISE EXCEPTION 'only a preparer may override the release plan (% is not one)', session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT r.request_id, r.claimed_by INTO rid, claimant FROM dws.requests r WHERE r.id = NEW.request;
            IF claimant IS NOT NULL AND claimant <> session_user THEN
                RAISE EXCEPTION 'request % is claimed by %: only they may change its release plan', rid, claimant
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.undoes IS NOT NULL THEN
                SELECT * INTO undone FROM dws.overrides o WHERE o.id = NEW.undoes;
                IF NOT FOUND OR undone.request <> NEW.request OR undone.undoes IS NOT NULL THEN
                    RAISE EXCEPTION 'request % has no override %', rid, NEW.undoes USING ERRCODE = 'check_violation';
                END IF;
            END IF;
            NEW.created_by := session_user;
            NEW.created_at := clock_timestamp();
            RETURN NEW;
        END $$""",
    """CREATE FUNCTION dws.overrides_keep() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
        AS $$
        BEGIN
            RAISE EXCEPTION 'overrides are kept as made (undoing one is a row of its own): % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    "CREATE TRIGGER overrides_insert BEFORE INSERT ON dws.overrides FOR EACH ROW "
    "EXECUTE FUNCTION dws.overrides_insert()",
    "CREATE TRIGGER overrides_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.overrides "
    "FOR EACH STATEMENT EXECUTE FUNCTION dws.overrides_keep()",
    "ALTER TABLE dws.overrides ENABLE ROW LEVEL SECURITY",
)


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The overrides table with its grants, row-level security and triggers (in the caller's transaction, after
    store/office/evaluations.create: the trigger reads the requests' claims). The caller is a superuser."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:           # (a group's name is letters, digits and _: roles.OfficeRoles)
        conn.execute(statement.replace("{preparer}", f"'{roles.group('preparer')}'"))
    conn.execute("REVOKE ALL ON dws.overrides, dws.override_ids FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    writers = sql.SQL(", ").join(ident(roles.group(r)) for r in WRITERS)
    conn.execute(sql.SQL("GRANT SELECT ON dws.overrides TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT ON dws.overrides TO {}").format(writers))
    conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE dws.override_ids TO {}").format(writers))
    conn.execute(sql.SQL("CREATE POLICY overrides_read ON dws.overrides FOR SELECT TO {} USING (true)").format(
        everyone))
    conn.execute(sql.SQL("CREATE POLICY overrides_insert ON dws.overrides FOR INSERT TO {} "
                         "WITH CHECK (created_by = session_user)").format(writers))
    conn.execute("RESET ROLE")


def exists(conn: Conn) -> bool:
    """Whether the office keeps overrides (an office made before them has no table)."""
    row = conn.execute("SELECT to_regclass('dws.overrides') IS NOT NULL").fetchone()
    return bool(row and row[0])


def binding(override_id: int, request: int) -> str:
    """The sealed value's row id: an override moved to another request or row does not open."""
    return f"{override_id}|{request}"


def new_id(conn: Conn) -> int:
    row = conn.execute("SELECT nextval('dws.override_ids')").fetchone()
    assert row is not None
    return int(row[0])


def insert(conn: Conn, *, id: int, request: int, at: str, sealed: bytes | None, undoes: int | None = None) -> None:
    conn.execute("INSERT INTO dws.overrides (id, request, undoes, at, sealed) VALUES (%s, %s, %s, %s, %s)",
                 (id, request, undoes, at, sealed))


def rows(conn: Conn, request: int) -> list[tuple[int, str, str, bytes, str | None]]:
    """Every override of the request, oldest first: (id, created_by, at, sealed, the at of its undo or None)."""
    found = conn.execute(
        "SELECT o.id, o.created_by, o.at, o.sealed, u.at FROM dws.overrides o "
        "LEFT JOIN dws.overrides u ON u.undoes = o.id WHERE o.request = %s AND o.undoes IS NULL ORDER BY o.id",
        (request,)).fetchall()
    return [(int(i), str(b), str(a), bytes(s), None if u is None else str(u)) for i, b, a, s, u in found]


def undone(conn: Conn, request: int, override_id: int) -> bool | None:
    """Was the request's override undone? None: the request has no such override."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM dws.overrides u WHERE u.undoes = o.id) FROM dws.overrides o "
                       "WHERE o.id = %s AND o.request = %s AND o.undoes IS NULL", (override_id, request)).fetchone()
    return None if row is None else bool(row[0])

"""The court-order register and the agency register on the office server (issue 19, i19d).

dws.court_orders, one row a court order (by case number, as the local register keeps it):
    case_no        text    plain: the court's docket number (the office log names it, as the local log does)
    status         text    plain: model.ORDER_STATUSES
    signed_on, effective_from, effective_to    plain ISO dates
    sealed         bytea   sealed on the desktop: the whole order (court, caption, the enjoined recipients,
                           purposes and items, the note) as canonical JSON, table "court_orders" and the case
                           number in the associated data
    changed_by     name    set by the server: the login that wrote it last
    changed_at     timestamptz

dws.agencies, one row an agency register entry: agency_code plain (requests carry it plain), the entry sealed.

Only counsel writes the court-order register (grants, row-level security and a trigger that refuses anyone else,
the owner too); counsel and admin write the agency register (the local store's `import-agency`); nobody deletes
from either; every office role reads both.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

ORDERS_TABLE = "court_orders"
AGENCIES_TABLE = "agencies"
ORDER_WRITERS = ("counsel",)
AGENCY_WRITERS = ("counsel", "admin")
_ISO = r"'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"

_SCHEMA = (
    f"""CREATE TABLE dws.court_orders (
        case_no        text COLLATE "C" PRIMARY KEY CHECK (length(case_no) BETWEEN 1 AND 200),
        status         text NOT NULL CHECK (length(status) <= 32),
        signed_on      text NOT NULL CHECK (signed_on ~ {_ISO}),
        effective_from text NOT NULL CHECK (effective_from ~ {_ISO}),
        effective_to   text CHECK (effective_to ~ {_ISO}),
        sealed         bytea NOT NULL CHECK (length(sealed) > 28),
        changed_by     name NOT NULL DEFAULT session_user,
        changed_at     timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    """CREATE TABLE dws.agencies (
        agency_code text COLLATE "C" PRIMARY KEY CHECK (length(agency_code) BETWEEN 1 AND 200),
        sealed      bytea NOT NULL CHECK (length(sealed) > 28),
        changed_by  name NOT NULL DEFAULT session_user,
        changed_at  timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    """CREATE FUNCTION dws.registers_guard() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            writer boolean;
        BEGIN
            IF TG_OP IN ('DELETE', 'TRUNCATE') THEN
                RAISE EXCEPTION '% is kept: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF TG_TABLE_NAME = 'court_orders' THEN
                writer := pg_has_role(session_user, {counsel}, 'MEMBER');
            ELSE
                writer := pg_has_role(session_user, {counsel}, 'MEMBER')
                          OR pg_has_role(session_user, {admin}, 'MEMBER');
            END IF;
            IF NOT writer THEN
                RAISE EXCEPTION 'only counsel may write %: % refused to %', TG_TABLE_NAME, TG_OP, session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            NEW.changed_by := session_user;
            NEW.changed_at := clock_timestamp();
            RETURN NEW;
        END $$""",
    *(f"CREATE TRIGGER {t}_write BEFORE INSERT OR UPDATE ON dws.{t} FOR EACH ROW EXECUTE FUNCTION dws.registers_guard()"
      for t in ("court_orders", "agencies")),
    *(f"CREATE TRIGGER {t}_keep BEFORE DELETE OR TRUNCATE ON dws.{t} FOR EACH STATEMENT "
      "EXECUTE FUNCTION dws.registers_guard()" for t in ("court_orders", "agencies")),
    "ALTER TABLE dws.court_orders ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE dws.agencies ENABLE ROW LEVEL SECURITY",
)


def create(conn: Conn, roles: OfficeRoles) -> None:
    """Both registers with their grants, row-level security and triggers (in the caller's transaction)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:           # only the function's text has placeholders (the tables' regexes have braces)
        conn.execute(sql.SQL(statement).format(counsel=sql.Literal(roles.group("counsel")),
                                               admin=sql.Literal(roles.group("admin"))) if "$$" in statement
                     else statement)
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    conn.execute("REVOKE ALL ON dws.court_orders, dws.agencies FROM PUBLIC")
    conn.execute(sql.SQL("GRANT SELECT ON dws.court_orders, dws.agencies TO {}").format(everyone))
    for table, writers in (("court_orders", ORDER_WRITERS), ("agencies", AGENCY_WRITERS)):
        who = sql.SQL(", ").join(ident(roles.group(r)) for r in writers)
        conn.execute(sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (true)").format(
            ident(f"{table}_read"), sql.SQL(f"dws.{table}"), everyone))
        conn.execute(sql.SQL("CREATE POLICY {} ON {} FOR INSERT TO {} WITH CHECK (changed_by = session_user)").format(
            ident(f"{table}_insert"), sql.SQL(f"dws.{table}"), who))
        conn.execute(sql.SQL("CREATE POLICY {} ON {} FOR UPDATE TO {} USING (true) "
                             "WITH CHECK (changed_by = session_user)").format(
            ident(f"{table}_update"), sql.SQL(f"dws.{table}"), who))
        conn.execute(sql.SQL("GRANT INSERT, UPDATE ON {} TO {}").format(sql.SQL(f"dws.{table}"), who))
    conn.execute("RESET ROLE")


def exists(conn: Conn) -> bool:
    row = conn.execute("SELECT to_regclass('dws.court_orders') IS NOT NULL").fetchone()
    return bool(row and row[0])


def put_order(conn: Conn, case_no: str, status: str, signed_on: str, effective_from: str,
              effective_to: str | None, sealed: bytes) -> bool:
    """Insert or replace the order by its case number; whether it replaced one."""
    row = conn.execute(
        "INSERT INTO dws.court_orders (case_no, status, signed_on, effective_from, effective_to, sealed) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (case_no) DO UPDATE SET status = excluded.status, "
        "signed_on = excluded.signed_on, effective_from = excluded.effective_from, "
        "effective_to = excluded.effective_to, sealed = excluded.sealed RETURNING (xmax <> 0)",
        (case_no, status, signed_on, effective_from, effective_to, sealed)).fetchone()
    return bool(row and row[0])


def orders(conn: Conn) -> list[tuple[str, bytes]]:
    """(case number, sealed order) of every order, by signing date and case number (the local register's order)."""
    return [(str(c), bytes(s)) for c, s in
            conn.execute("SELECT case_no, sealed FROM dws.court_orders ORDER BY signed_on, case_no").fetchall()]


def put_agency(conn: Conn, agency_code: str, sealed: bytes) -> bool:
    row = conn.execute("INSERT INTO dws.agencies (agency_code, sealed) VALUES (%s, %s) ON CONFLICT (agency_code) "
                       "DO UPDATE SET sealed = excluded.sealed RETURNING (xmax <> 0)", (agency_code, sealed)).fetchone()
    return bool(row and row[0])


def agencies(conn: Conn) -> list[tuple[str, bytes]]:
    return [(str(c), bytes(s)) for c, s in
            conn.execute("SELECT agency_code, sealed FROM dws.agencies ORDER BY agency_code").fetchall()]

"""Request packages in the office store (issue 19; DESIGN.md, "The office store"): the queue's metadata plain, so
the queue is listed and filtered in SQL, and everything a requester wrote sealed on the desktop (the requester's
name too: under 6103(c) or FOIA it may be a taxpayer's or a person's).

dws.requests, one row a request:
    id              bigint      the row's id (from a sequence; in the sealed document's associated data)
    request_id      text        plain: the requester's control number, unique in the office
    received_on     text        plain: ISO date
    authority       text        plain: as the package gives it (an unknown one imports; the checks judge it)
    agency          bytea       sealed: the requester's name (a taxpayer or their designee under 6103(c), a
                                person under FOIA), table AGENCY_LABEL in its associated data
    agency_code     text        plain, may be NULL
    due_on          text        plain: ISO date, worked out at import
    subject_count   integer     plain
    status          text        plain: one of model.REQUEST_STATUSES
    imported_at     text        plain: when (UTC, ISO), and by which user of the office
    imported_by     text
    appended_by     name        set by the server: the login that inserted the row
    document        bytea       sealed: the package as imported (canonical JSON), its file's name, its hash

dws.request_subjects, one row a subject, sealed per row; its id in the associated data is `subject_row_id`
(request << 32 | seq), its four indexes bound there too, so a subject moved to another request or place, or
whose index was changed, does not open. The blind indexes are the
records' kinds (tin, name_control, name_address, zip5), so matching joins the two tables on them.

A subject row also carries `address_index`: the blind index (kind "address", the office's index key) of the
address key the MATCH check looks the subject's records up by (rules/subjects.street_parts; NULL without a
street), made at import, so the server joins a request's subjects to the records at their addresses itself
(store/office/evaluations.py). It is bound into the sealed value's associated data when the importing desktop
made it (office/request_seal.py: the sealed value says so), so a server that altered or removed it makes the
subject not open. An office made before it has no such column (`has_address_index`): its subjects read as NULL.

dws.request_reasons: for each reason given by more than one subject of a request (as the local store keeps
them for the REASON check), the reason's blind index (kind "reason", of normalize.reason_key) and how many.

Subjects and reasons arrive first (binary COPY), the request's row last, with its final count: the foreign keys
are checked at commit, so nothing is updated after it is written and a refused import leaves nothing. Nobody
deletes a request, a subject or a reason; nobody changes a request's document or a subject (triggers refuse it,
to the owner as well); only `status` of a request may change, and no role is granted UPDATE yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from ...model import REQUEST_STATUSES
from .copy_in import copy_rows
from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

TABLE = "requests"                   # table names in the sealed values' associated data
AGENCY_LABEL = "requests.agency"     # (the document and the requester's name are sealed under distinct ones)
SUBJECTS_TABLE = "request_subjects"
IMPORTERS = ("preparer", "admin")
INDEX_BYTES = 16
SUBJECT_COLUMNS = ("request", "seq", "tin_index", "name_control_index", "name_address_index", "zip5_index",
                   "address_index", "sealed")
_SUBJECT_TYPES = ("int8", "int4", "bytea", "bytea", "bytea", "bytea", "bytea", "bytea")
_ADDRESS = SUBJECT_COLUMNS.index("address_index")
_ISO = r"'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'"
_STATUSES = ", ".join(f"'{s}'" for s in REQUEST_STATUSES)


def _index(column: str, null: bool = True) -> str:
    return f"{column} bytea {'' if null else 'NOT NULL '}CHECK (length({column}) = {INDEX_BYTES})"


_SCHEMA = (
    "CREATE SEQUENCE dws.request_ids AS bigint MAXVALUE 2147483647",
    f"""CREATE TABLE dws.requests (
        id            bigint PRIMARY KEY CHECK (id > 0),
        request_id    text COLLATE "C" NOT NULL UNIQUE CHECK (request_id ~ '^[A-Za-z0-9._-]{{1,64}}$'),
        received_on   text COLLATE "C" NOT NULL CHECK (received_on ~ {_ISO}),
        authority     text NOT NULL CHECK (length(authority) <= 32),
        agency        bytea NOT NULL CHECK (length(agency) > 28),
        agency_code   text,
        due_on        text COLLATE "C" CHECK (due_on ~ {_ISO}),
        subject_count integer NOT NULL CHECK (subject_count >= 0),
        status        text NOT NULL DEFAULT 'new' CHECK (status IN ({_STATUSES})),
        imported_at   text NOT NULL,
        imported_by   text NOT NULL,
        appended_by   name NOT NULL DEFAULT session_user,
        document      bytea NOT NULL CHECK (length(document) > 28)
    )""",
    "CREATE INDEX requests_queue ON dws.requests (due_on, request_id)",
    f"""CREATE TABLE dws.request_subjects (
        request bigint NOT NULL REFERENCES dws.requests (id) DEFERRABLE INITIALLY DEFERRED,
        seq     integer NOT NULL CHECK (seq >= 0),
        {_index("tin_index")}, {_index("name_control_index")}, {_index("name_address_index")},
        {_index("zip5_index")},
        sealed  bytea NOT NULL CHECK (length(sealed) > 28),
        PRIMARY KEY (request, seq)
    )""",
    "CREATE INDEX request_subjects_tin ON dws.request_subjects (tin_index) WHERE tin_index IS NOT NULL",
    "CREATE INDEX request_subjects_name_address ON dws.request_subjects (name_address_index) "
    "WHERE name_address_index IS NOT NULL",
    f"""CREATE TABLE dws.request_reasons (
        request  bigint NOT NULL REFERENCES dws.requests (id) DEFERRABLE INITIALLY DEFERRED,
        {_index("reason_index", null=False)},
        subjects integer NOT NULL CHECK (subjects > 1),
        PRIMARY KEY (request, reason_index)
    )""",
    """CREATE FUNCTION dws.requests_keep() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'requests'
               AND (to_jsonb(NEW) - 'status') = (to_jsonb(OLD) - 'status') THEN
                RETURN NEW;                             -- a request's status may change, nothing else of it
            END IF;
            RAISE EXCEPTION '% is kept as imported: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    "CREATE TRIGGER requests_keep BEFORE UPDATE ON dws.requests FOR EACH ROW EXECUTE FUNCTION dws.requests_keep()",
    *(f"CREATE TRIGGER {table}_keep_all BEFORE DELETE OR TRUNCATE{' OR UPDATE' if table != 'requests' else ''} "
      f"ON dws.{table} FOR EACH STATEMENT EXECUTE FUNCTION dws.requests_keep()"
      for table in ("requests", "request_subjects", "request_reasons")),
)
_TABLES = "dws.requests, dws.request_subjects, dws.request_reasons"
_ADDRESS_COLUMN = (f"ALTER TABLE dws.request_subjects ADD COLUMN IF NOT EXISTS "
                   f"address_index bytea CHECK (length(address_index) = {INDEX_BYTES})")

_QUEUE = ("SELECT request_id, agency, agency_code, authority, received_on, due_on, subject_count, status, id "
          "FROM dws.requests {where} ORDER BY due_on IS NULL, due_on, request_id")
_COPY_SUBJECTS = {addressed: sql.SQL("COPY dws.request_subjects ({}) FROM STDIN (FORMAT BINARY)").format(
    sql.SQL(", ").join(sql.Identifier(c) for c in SUBJECT_COLUMNS if addressed or c != "address_index"))
    for addressed in (True, False)}
# SUBJECT_COLUMNS as a SELECT's list, on an office with the address index and on one made before it
SUBJECT_SELECT = {addressed: sql.SQL(", ").join(
    sql.Identifier(c) if addressed or c != "address_index" else sql.SQL("NULL::bytea") for c in SUBJECT_COLUMNS)
    for addressed in (True, False)}


def create(conn: Conn, roles: OfficeRoles, *, address: bool = True) -> None:
    """The request tables, their sequence, indexes and triggers, owned by the office's owner role, with grants; in
    the caller's transaction (after store/office/log.create has made the schema). The caller is a superuser.
    `address` False: as schema step 1 made them, without the subjects' address index (step 5 adds it)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:
        conn.execute(statement)
    if address:
        conn.execute(_ADDRESS_COLUMN)
    conn.execute(f"REVOKE ALL ON {_TABLES}, dws.request_ids FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    importers = sql.SQL(", ").join(ident(roles.group(r)) for r in IMPORTERS)
    conn.execute(sql.SQL(f"GRANT SELECT ON {_TABLES} TO {{}}").format(everyone))
    conn.execute(sql.SQL(f"GRANT INSERT ON {_TABLES} TO {{}}").format(importers))
    conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE dws.request_ids TO {}").format(importers))
    conn.execute("RESET ROLE")


def subject_row_id(request: int, seq: int) -> int:
    """A subject's id in its sealed value's associated data: its request's id and its place in the request."""
    return request << 32 | seq


def find(conn: Conn, request_id: str) -> tuple[int, str, str] | None:
    """(id, imported_at, imported_by) of a request in the office."""
    row = conn.execute("SELECT id, imported_at, imported_by FROM dws.requests WHERE request_id = %s",
                       (request_id,)).fetchone()
    return (int(row[0]), str(row[1]), str(row[2])) if row else None


def new_id(conn: Conn) -> int:
    row = conn.execute("SELECT nextval('dws.request_ids')").fetchone()
    assert row is not None
    return int(row[0])


def copy_subjects(conn: Conn, rows: Iterable[Sequence[Any]], addressed: bool = True) -> int:
    """Stream subject rows (SUBJECT_COLUMNS order) through one binary COPY; how many. On an office made before
    the address index (`addressed` False) each row's address index is left out (it must be None). (copy_in.py:
    an exception while they are made reaches the server as a fixed text, never its own.)"""
    if addressed:
        return copy_rows(conn, _COPY_SUBJECTS[True], _SUBJECT_TYPES, rows)
    return copy_rows(conn, _COPY_SUBJECTS[False], _SUBJECT_TYPES[:_ADDRESS] + _SUBJECT_TYPES[_ADDRESS + 1:],
                     (_without_address(r) for r in rows))


def _without_address(row: Sequence[Any]) -> Sequence[Any]:
    if row[_ADDRESS] is not None:
        raise ValueError("a subject's address index for an office made before it")
    return (*row[:_ADDRESS], *row[_ADDRESS + 1:])


def add_address_index(conn: Conn, roles: OfficeRoles) -> None:
    """Schema step 5 (schema.py): the subjects' address index column, as the owner, in the caller's transaction;
    idempotent. Subjects already there keep NULL (made at import, with the office key): an evaluation reads their
    records the older way (the desktop sends the indexes), as an older desktop's subjects."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    conn.execute(_ADDRESS_COLUMN)
    conn.execute("RESET ROLE")


def has_address_index(conn: Conn) -> bool:
    """Whether the subjects table has the address index column (an office made before it has not)."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = "
                       "to_regclass('dws.request_subjects') AND attname = 'address_index' AND NOT attisdropped)"
                       ).fetchone()
    return bool(row and row[0])


def insert_reasons(conn: Conn, request: int, reasons: list[tuple[bytes, int]]) -> None:
    """The blind index of each reason more than one subject gives, and how many give it."""
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO dws.request_reasons (request, reason_index, subjects) VALUES (%s, %s, %s)",
                        [(request, index, n) for index, n in reasons])


def insert(conn: Conn, *, id: int, request_id: str, received_on: str, authority: str, agency: bytes,
           agency_code: str | None, due_on: str | None, subject_count: int, imported_at: str, imported_by: str,
           document: bytes, status: str = "new") -> None:
    conn.execute(
        "INSERT INTO dws.requests (id, request_id, received_on, authority, agency, agency_code, due_on, "
        "subject_count, imported_at, imported_by, document, status) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (id, request_id, received_on, authority, agency, agency_code, due_on, subject_count, imported_at,
         imported_by, document, status))


def queue(conn: Conn, status: str | None = None) -> list[tuple[Any, ...]]:
    """The review queue's rows, in QueueRow's order but for the sealed requester (bytes) and the id after the
    status: (request_id, agency sealed, agency_code, authority, received_on, due_on, subject_count, status, id)."""
    if status:
        rows = conn.execute(_QUEUE.format(where="WHERE status = %s"), (status,)).fetchall()
    else:
        rows = conn.execute(_QUEUE.format(where="")).fetchall()
    return rows


def document(conn: Conn, request_id: str) -> tuple[int, bytes] | None:
    """(id, sealed document) of a request."""
    row = conn.execute("SELECT id, document FROM dws.requests WHERE request_id = %s", (request_id,)).fetchone()
    return (int(row[0]), bytes(row[1])) if row else None


def sealed_subjects(conn: Conn, request: int) -> list[tuple[Any, ...]]:
    """A request's subject rows (SUBJECT_COLUMNS: office/request_seal.open_subject opens one), in package order."""
    query = sql.SQL("SELECT {} FROM dws.request_subjects WHERE request = %s ORDER BY seq").format(
        SUBJECT_SELECT[has_address_index(conn)])
    return conn.execute(query, (request,)).fetchall()

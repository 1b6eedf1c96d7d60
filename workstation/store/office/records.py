"""Taxpayer records in the office store (issue 19; DESIGN.md, "The office store"): one row per taxpayer (TIN
and type) per tax year, as in the local store (store/records.py), but the server holds no taxpayer value.

    id                  bigint      the row's id (from a sequence; in the sealed value's associated data)
    tax_year            smallint    plain: a year, not a value of the taxpayer's (the checks filter on it)
    record_key          bytea(16)   blind index of TIN digits, TIN type and tax year: the row's key (unique)
    tin_index           bytea(16)   blind indexes (workstation/office/sealing.py) the matching joins on
    name_control_index  bytea(16)
    name_address_index  bytea(16)   NULL without a street
    zip5_index          bytea(16)   NULL without a five-digit ZIP
    sealed              bytea       the record's CSV line (INTERCHANGE column order), sealed on the desktop

Everything else of a record (its TIN type and hold included) is only in the sealed line. Rows arrive from the
desktop through binary `COPY ... FROM STDIN`, batch by batch, into a temporary table, and go into the records
table in one statement at the end (`merge`): all in the caller's transaction, so a bad file changes nothing.
Nobody may delete a record; preparers and admins may add and correct (replace) them; every office role reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

TABLE = "taxpayer_records"          # the table's name in each sealed value's associated data
IMPORTERS = ("preparer", "admin")
INDEX_BYTES = 16
COLUMNS = ("id", "tax_year", "record_key", "tin_index", "name_control_index", "name_address_index", "zip5_index",
           "sealed")
_TYPES = ("int8", "int2", "bytea", "bytea", "bytea", "bytea", "bytea", "bytea")
_INDEXED = ("record_key", "tin_index", "name_control_index", "name_address_index", "zip5_index")

_SCHEMA = (
    "CREATE SEQUENCE dws.taxpayer_record_ids AS bigint",
    f"""CREATE TABLE dws.taxpayer_records (
        id                 bigint PRIMARY KEY,
        tax_year           smallint NOT NULL CHECK (tax_year BETWEEN 1900 AND 9999),
        record_key         bytea NOT NULL CHECK (length(record_key) = {INDEX_BYTES}),
        tin_index          bytea NOT NULL CHECK (length(tin_index) = {INDEX_BYTES}),
        name_control_index bytea CHECK (length(name_control_index) = {INDEX_BYTES}),
        name_address_index bytea CHECK (length(name_address_index) = {INDEX_BYTES}),
        zip5_index         bytea CHECK (length(zip5_index) = {INDEX_BYTES}),
        sealed             bytea NOT NULL CHECK (length(sealed) > 28)
    )""",
    "CREATE UNIQUE INDEX taxpayer_records_key ON dws.taxpayer_records (record_key)",
    "CREATE INDEX taxpayer_records_tin ON dws.taxpayer_records (tin_index, tax_year)",
    "CREATE INDEX taxpayer_records_name_control ON dws.taxpayer_records (name_control_index)",
    "CREATE INDEX taxpayer_records_name_address ON dws.taxpayer_records (name_address_index) "
    "WHERE name_address_index IS NOT NULL",
    "CREATE INDEX taxpayer_records_zip5 ON dws.taxpayer_records (zip5_index) WHERE zip5_index IS NOT NULL",
    # a record is corrected (replaced), never removed: no DELETE or TRUNCATE, even for the table's owner
    """CREATE FUNCTION dws.taxpayer_records_refuse() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            RAISE EXCEPTION 'taxpayer records are corrected, never removed: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    "CREATE TRIGGER taxpayer_records_keep BEFORE DELETE OR TRUNCATE ON dws.taxpayer_records "
    "FOR EACH STATEMENT EXECUTE FUNCTION dws.taxpayer_records_refuse()",
)

_STAGE = sql.SQL("CREATE TEMP TABLE IF NOT EXISTS records_in (LIKE dws.taxpayer_records) ON COMMIT DROP")
_COPY = sql.SQL("COPY pg_temp.records_in ({}) FROM STDIN (FORMAT BINARY)").format(
    sql.SQL(", ").join(map(sql.Identifier, COLUMNS)))
_ALL = sql.SQL(", ").join(map(sql.Identifier, COLUMNS))
_MERGE = sql.SQL(
    "WITH merged AS (INSERT INTO dws.taxpayer_records AS t ({all}) SELECT {all} FROM pg_temp.records_in "
    "ON CONFLICT (record_key) DO UPDATE SET {updates} RETURNING (t.xmax = 0) AS new) "
    "SELECT count(*) FILTER (WHERE new), count(*) FROM merged").format(
    all=_ALL, updates=sql.SQL(", ").join(
        sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in COLUMNS if c != "record_key"))
_FIRST_DUPLICATE = (
    "SELECT id, sealed FROM pg_temp.records_in WHERE record_key = ("
    "SELECT record_key FROM pg_temp.records_in GROUP BY record_key HAVING count(*) > 1 "
    "ORDER BY min(id) LIMIT 1) ORDER BY id LIMIT 1")


class DuplicateKey(Exception):
    """Two rows of one import have the same key (TIN, type and year): the id and sealed value of the first, for
    the desktop to open and name (never shown itself)."""

    def __init__(self, row_id: int, sealed: bytes) -> None:
        super().__init__("two rows of one import have the same key")
        self.row_id, self.sealed = row_id, sealed


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The records table, its sequence, indexes and trigger, owned by the office's owner role, with grants; in the
    caller's transaction (after store/office/log.create has made the schema). The caller is a superuser."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute("REVOKE ALL ON dws.taxpayer_records, dws.taxpayer_record_ids FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    importers = sql.SQL(", ").join(ident(roles.group(r)) for r in IMPORTERS)
    conn.execute(sql.SQL("GRANT SELECT ON dws.taxpayer_records TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT, UPDATE ON dws.taxpayer_records TO {}").format(importers))
    conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE dws.taxpayer_record_ids TO {}").format(importers))
    conn.execute("RESET ROLE")


def begin_load(conn: Conn) -> None:
    """A new, empty staging table for this transaction's load (dropped at its end)."""
    conn.execute(_STAGE)
    conn.execute("TRUNCATE pg_temp.records_in")


def reserve_ids(conn: Conn, n: int) -> list[int]:
    """`n` new row ids (distinct from every other desktop's), in ascending order."""
    rows = conn.execute("SELECT nextval('dws.taxpayer_record_ids') FROM generate_series(1, %s)", (n,)).fetchall()
    return sorted(int(r[0]) for r in rows)


def copy_rows(conn: Conn, rows: Iterable[Sequence[Any]]) -> None:
    """Stream rows (COLUMNS order: id, tax_year, then the five blind indexes and the sealed value as bytes)
    into the staging table through one binary COPY."""
    with conn.cursor() as cur, cur.copy(_COPY) as copy:
        copy.set_types(list(_TYPES))
        write = copy.write_row
        for row in rows:
            write(row)


def merge(conn: Conn) -> tuple[int, int]:
    """Move the staged rows into the records table: a row whose key is there already replaces it (a correction).
    (rows new to the table, rows staged). DuplicateKey when two staged rows share a key (nothing merged; the
    caller's transaction is still usable)."""
    try:
        with conn.transaction():                # a savepoint: on a duplicate, ask which one
            row = conn.execute(_MERGE).fetchone()
    except psycopg.errors.CardinalityViolation:
        first = conn.execute(_FIRST_DUPLICATE).fetchone()
        assert first is not None
        raise DuplicateKey(int(first[0]), bytes(first[1])) from None
    assert row is not None
    return int(row[0]), int(row[1])


def count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM dws.taxpayer_records").fetchone()
    return int(row[0]) if row else 0


def sealed_by_tin(conn: Conn, tin_index: bytes) -> list[tuple[int, int, bytes]]:
    """(id, tax_year, sealed) of a taxpayer's records (every TIN type), by year."""
    rows = conn.execute("SELECT id, tax_year, sealed FROM dws.taxpayer_records WHERE tin_index = %s "
                        "ORDER BY tax_year, id", (tin_index,)).fetchall()
    return [(int(i), int(y), bytes(s)) for i, y, s in rows]


def indexed_columns() -> tuple[str, ...]:
    return _INDEXED

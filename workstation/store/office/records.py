"""Taxpayer records in the office store (issue 19; DESIGN.md, "The office store"): one row per taxpayer (TIN
and type) per tax year, as in the local store (store/records.py), but the server holds no taxpayer value.

    id                  bigint      the row's id (from a sequence; in the sealed value's associated data)
    tax_year            smallint    plain: a year, not a value of the taxpayer's (the checks filter on it)
    record_key          bytea(16)   blind index of TIN digits and TIN type: with tax_year the row's key (unique)
    tin_index           bytea(16)   blind indexes (workstation/office/sealing.py) the matching joins on
    name_control_index  bytea(16)
    name_address_index  bytea(16)   NULL without a street
    zip5_index          bytea(16)   NULL without a five-digit ZIP
    sealed              bytea       the record's CSV line (INTERCHANGE column order), sealed on the desktop; the
                                    columns above are bound into its associated data (office/records_seal.py)
    address_index       bytea(16)   blind index of the row's address key (NULL without a street; NULL too for a row
                                    loaded by a desktop that did not make it): the MATCH check's look-up by address,
                                    which narrows an evaluation's candidates (evaluations.py). Not bound into the
                                    sealed value's associated data (nor in COLUMNS, so every reader of a row is as
                                    before): it only chooses rows for a desktop that opens and re-derives them, and a
                                    server that altered it could as well leave the rows out of an answer.

Everything else of a record (its TIN type and hold included) is only in the sealed line. Rows arrive from the
desktop through binary `COPY ... FROM STDIN`, batch by batch (`Load`): into an empty table straight, its indexes
built afterwards; else into a temporary table merged into the records at the end. All in the caller's
transaction, so a bad file changes nothing.
Nobody may delete a record; preparers and admins may add and correct (replace) them; every office role reads.
"""

from __future__ import annotations

import struct
from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import sql

from .copy_in import BINARY_NULL, copy_binary
from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

TABLE = "taxpayer_records"          # the table's name in each sealed value's associated data
IMPORTERS = ("preparer", "admin")
INDEX_BYTES = 16
COLUMNS = ("id", "tax_year", "record_key", "tin_index", "name_control_index", "name_address_index", "zip5_index",
           "sealed")

_TABLE = f"""CREATE TABLE dws.taxpayer_records (
    id                 bigint PRIMARY KEY,
    tax_year           smallint NOT NULL CHECK (tax_year BETWEEN 1900 AND 9999),
    record_key         bytea NOT NULL CHECK (length(record_key) = {INDEX_BYTES}),
    tin_index          bytea NOT NULL CHECK (length(tin_index) = {INDEX_BYTES}),
    name_control_index bytea CHECK (length(name_control_index) = {INDEX_BYTES}),
    name_address_index bytea CHECK (length(name_address_index) = {INDEX_BYTES}),
    zip5_index         bytea CHECK (length(zip5_index) = {INDEX_BYTES}),
    sealed             bytea NOT NULL CHECK (length(sealed) > 28)
)"""
# added by schema step 4 (schema.py: add_address_index), after the columns above, as its last column
_ADDRESS_COLUMN = ("ALTER TABLE dws.taxpayer_records ADD COLUMN IF NOT EXISTS address_index bytea "
                   f"CHECK (length(address_index) = {INDEX_BYTES})")
# The unique key first: a bulk load builds it first, and stops there when the rows give a key twice.
INDEXES = {
    "taxpayer_records_key": "CREATE UNIQUE INDEX IF NOT EXISTS taxpayer_records_key ON dws.taxpayer_records "
                            "(record_key, tax_year)",
    "taxpayer_records_tin": "CREATE INDEX IF NOT EXISTS taxpayer_records_tin ON dws.taxpayer_records "
                            "(tin_index, tax_year)",
    "taxpayer_records_name_control": "CREATE INDEX IF NOT EXISTS taxpayer_records_name_control ON "
                                     "dws.taxpayer_records (name_control_index)",
    "taxpayer_records_name_address": "CREATE INDEX IF NOT EXISTS taxpayer_records_name_address ON "
                                     "dws.taxpayer_records (name_address_index) WHERE name_address_index IS NOT NULL",
    "taxpayer_records_zip5": "CREATE INDEX IF NOT EXISTS taxpayer_records_zip5 ON dws.taxpayer_records (zip5_index) "
                             "WHERE zip5_index IS NOT NULL",
    "taxpayer_records_address": "CREATE INDEX IF NOT EXISTS taxpayer_records_address ON dws.taxpayer_records "
                                "(address_index) WHERE address_index IS NOT NULL",
    # the rows without an address index (no street, or loaded by a desktop that did not make one), by ZIP5: an
    # evaluation reads them the older way (evaluations.py)
    "taxpayer_records_unaddressed": "CREATE INDEX IF NOT EXISTS taxpayer_records_unaddressed ON "
                                    "dws.taxpayer_records (zip5_index) WHERE address_index IS NULL",
}
# Made by schema steps 1 and 4, dropped by step 11: nothing reads them. An evaluation looks candidate records up by
# TIN and by address index, and rows without an address index by ZIP5 (taxpayer_records_unaddressed; the ZIP5
# index over every row served offices before step 4); names and name controls are compared on the desktop. Each
# cost a sort of every row at a first load (a tenth of a 5,000,000-row import) and upkeep at every correction.
UNREAD_INDEXES = ("taxpayer_records_name_control", "taxpayer_records_name_address", "taxpayer_records_zip5")
READ_INDEXES = {name: ddl for name, ddl in INDEXES.items() if name not in UNREAD_INDEXES}   # an office's, from step 11
ADDRESSED = (*COLUMNS, "address_index")     # what an import loads (COLUMNS and the address index)
ADDRESS_INDEXES = ("taxpayer_records_address", "taxpayer_records_unaddressed")     # schema step 4's
_BASE_INDEXES = {name: ddl for name, ddl in INDEXES.items() if name not in ADDRESS_INDEXES}
# An importer is not the table's owner, so cannot drop or build its indexes: these two functions (the owner's,
# SECURITY DEFINER) do it for a load into an empty table. Both lock the table against other importers (SHARE ROW
# EXCLUSIVE conflicts with itself and with every writer, not with readers) until the transaction ends.
# A load begun must end in the same transaction: load_begin records it in dws.taxpayer_records_loads, whose
# deferred constraint trigger refuses the commit unless every index is there again (load_end built them), so an
# importer who calls load_begin alone cannot commit the table without its unique key (nor hasten the check with
# SET CONSTRAINTS ... IMMEDIATE: it then fails at once). Nobody is granted anything on that table.
_LOADS = """CREATE TABLE dws.taxpayer_records_loads (
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_by name NOT NULL DEFAULT session_user
)"""
_LOAD_ENDED = """CREATE FUNCTION dws.taxpayer_records_load_ended() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF {missing} THEN
        RAISE EXCEPTION 'a load of taxpayer records into an empty table was not ended in its transaction (its '
                        'indexes are built at the end): refused' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$"""
_BULK_BEGIN = """CREATE FUNCTION dws.taxpayer_records_load_begin() RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    LOCK TABLE dws.taxpayer_records IN SHARE ROW EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM dws.taxpayer_records) THEN
        RETURN false;
    END IF;
    INSERT INTO dws.taxpayer_records_loads DEFAULT VALUES;      -- checked at commit (taxpayer_records_load_ended)
    {drops}
    RETURN true;
END $$"""
_BULK_END = """CREATE FUNCTION dws.taxpayer_records_load_end() RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp SET maintenance_work_mem = '256MB' AS $$
BEGIN
    {builds}
    DELETE FROM dws.taxpayer_records_loads;{analyze}
END $$"""
# From schema step 11: the loaded table analysed at the end of the load, so the first evaluation after it is planned
# on its statistics, not on guesses (5,000,000 rows: 1.2 s here; the first evaluation's fill took 31 s, not 43)
_ANALYZE = "\n    ANALYZE dws.taxpayer_records;"


def _load_functions(indexes: dict[str, str], *, analyze: bool = False) -> tuple[str, str, str]:
    """The load's three functions over `indexes` (CREATE OR REPLACE: schema step 4 makes them again over the
    address indexes too)."""
    made = (_LOAD_ENDED.format(missing=" OR ".join(f"to_regclass('dws.{name}') IS NULL" for name in indexes)),
            _BULK_BEGIN.format(drops="\n    ".join(f"DROP INDEX IF EXISTS dws.{name};" for name in indexes)),
            _BULK_END.format(builds="\n    ".join(f"{ddl};" for ddl in indexes.values()),
                             analyze=_ANALYZE if analyze else ""))
    ended, begin, end = (f.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1) for f in made)
    return ended, begin, end


_SCHEMA = (
    "CREATE SEQUENCE dws.taxpayer_record_ids AS bigint",
    _TABLE,
    *_BASE_INDEXES.values(),
    _LOADS,
    _load_functions(_BASE_INDEXES)[0],
    "CREATE CONSTRAINT TRIGGER taxpayer_records_load_ends AFTER INSERT ON dws.taxpayer_records_loads "
    "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION dws.taxpayer_records_load_ended()",
    *_load_functions(_BASE_INDEXES)[1:],
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


def _loading(columns: Sequence[str]) -> tuple[dict[str, sql.Composed], sql.Composed]:
    """The COPY statements (into the staging table, into the table) and the merge, of rows of `columns`."""
    listed = sql.SQL(", ").join(map(sql.Identifier, columns))
    copy = {target: sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(sql.SQL(target), listed)
            for target in ("pg_temp.records_in", "dws.taxpayer_records")}
    merge = sql.SQL(
        "WITH merged AS (INSERT INTO dws.taxpayer_records AS t ({all}) SELECT {all} FROM pg_temp.records_in "
        "ON CONFLICT (record_key, tax_year) DO UPDATE SET {updates} RETURNING (t.xmax = 0) AS new) "
        "SELECT count(*) FILTER (WHERE new), count(*) FROM merged").format(
        all=listed, updates=sql.SQL(", ").join(
            sql.SQL("{0} = excluded.{0}").format(sql.Identifier(c)) for c in columns
            if c not in ("record_key", "tax_year")))
    return copy, merge


# (an office made before records had an address index is loaded as it was: without it)
_LOADING = {True: _loading(ADDRESSED), False: _loading(COLUMNS)}
# One row (the first) of each key given twice; at most DUPLICATES_SHOWN of them (an error path: it sorts)
_ALL = ", ".join(COLUMNS)
_DUPLICATES = (f"SELECT DISTINCT ON (record_key, tax_year) {_ALL} FROM {{table}} WHERE (record_key, tax_year) "
               "IN (SELECT record_key, tax_year FROM {table} GROUP BY record_key, tax_year HAVING count(*) > 1 "
               "LIMIT {limit}) ORDER BY record_key, tax_year, id")
DUPLICATES_SHOWN = 1000


_FIELDS = {True: struct.pack(">h", len(ADDRESSED)), False: struct.pack(">h", len(COLUMNS))}
_ID_YEAR = struct.Struct(">iqih").pack          # the id (int8) and the tax year (int2), each with its length
_LENGTH = struct.Struct(">i").pack


def binary_rows(rows: Iterable[Sequence[Any]], *, addressed: bool) -> tuple[bytes, int]:
    """(rows in PostgreSQL's binary COPY layout, how many) of rows in ADDRESSED order (`addressed=False`: COLUMNS,
    the address index left out): the id as int8, the year as int2, the rest bytea or None (NULL)."""
    fields, id_year, length, null = _FIELDS[addressed], _ID_YEAR, _LENGTH, BINARY_NULL
    out: list[bytes] = []
    append = out.append
    for row_id, year, key, tin, control, both, five, sealed, address in rows:
        append(b"".join((
            fields, id_year(8, row_id, 2, year), length(len(key)), key, length(len(tin)), tin,
            null if control is None else length(len(control)) + control,
            null if both is None else length(len(both)) + both,
            null if five is None else length(len(five)) + five,
            length(len(sealed)), sealed,
            (null if address is None else length(len(address)) + address) if addressed else b"")))
    return b"".join(out), len(out)


RESERVE = 100_000          # row ids reserved in one round trip (reserve_ranges)


def _ranges(ids: list[int]) -> list[tuple[int, int]]:
    """Ascending ids as (first, count) runs of consecutive ones."""
    if ids and ids[-1] - ids[0] + 1 == len(ids):
        return [(ids[0], len(ids))]             # the usual case: no other desktop took ids meanwhile
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


class DuplicateKey(Exception):
    """Rows of one import share a key (TIN, type and year): for each such key (up to DUPLICATES_SHOWN) one of its
    rows (COLUMNS), for the desktop to open and name (never shown itself)."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        super().__init__("rows of one import share a key")
        self.rows = rows


def create(conn: Conn, roles: OfficeRoles, *, address: bool = True) -> None:
    """The records table, its sequence, indexes and trigger, owned by the office's owner role, with grants; in the
    caller's transaction (after store/office/log.create has made the schema). The caller is a superuser.
    `address=False`: as schema step 1 makes it, without the address index (step 4: add_address_index)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute("REVOKE ALL ON dws.taxpayer_records, dws.taxpayer_record_ids, dws.taxpayer_records_loads "
                 "FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    importers = sql.SQL(", ").join(ident(roles.group(r)) for r in IMPORTERS)
    conn.execute(sql.SQL("GRANT SELECT ON dws.taxpayer_records TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT, UPDATE ON dws.taxpayer_records TO {}").format(importers))
    conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE dws.taxpayer_record_ids TO {}").format(importers))
    conn.execute("REVOKE ALL ON FUNCTION dws.taxpayer_records_load_begin(), dws.taxpayer_records_load_end() "
                 "FROM PUBLIC")
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.taxpayer_records_load_begin(), "
                         "dws.taxpayer_records_load_end() TO {}").format(importers))
    conn.execute("RESET ROLE")
    # (as the superuser: the database is not the owner role's) the staging table of a correction
    conn.execute(sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(ident(conn.info.dbname), importers))
    if address:
        add_address_index(conn, roles)


class Load:
    """A load of records in the caller's transaction. Into an empty table (`bulk`), the rows go straight in,
    the indexes dropped before and built after (each by one sort: several times faster than the inserts);
    else into a staging table, merged at the end. Either way the table is locked against other importers; a
    first load (dropping the indexes) holds off readers too, until it commits."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        row = conn.execute("SELECT dws.taxpayer_records_load_begin()").fetchone()
        self.bulk = bool(row and row[0])
        if not self.bulk:
            conn.execute(_STAGE)
            conn.execute("TRUNCATE pg_temp.records_in")
        self.table = "dws.taxpayer_records" if self.bulk else "pg_temp.records_in"
        self.addressed = has_address_index(conn)
        self.loaded = 0
        self._pool: deque[tuple[int, int]] = deque()       # reserved ids not yet handed out (reserve_ranges)

    def reserve_ids(self, n: int) -> list[int]:
        """`n` new row ids (distinct from every other desktop's), in ascending order."""
        rows = self.conn.execute("SELECT nextval('dws.taxpayer_record_ids') FROM generate_series(1, %s)",
                                 (n,)).fetchall()
        return sorted(int(r[0]) for r in rows)

    def reserve_ranges(self, n: int) -> tuple[tuple[int, int], ...]:
        """`n` new row ids as (first, count) ranges, ascending: taken from ids reserved RESERVE at a time (one
        round trip per RESERVE rows, not per batch; ids left unused when the import ends are a gap, as a
        sequence leaves after a rollback)."""
        spare = sum(count for _first, count in self._pool)      # a run or two: ids come a RESERVE at a time
        if spare < n:
            self._pool.extend(_ranges(self.reserve_ids(max(n - spare, RESERVE))))
        taken: list[tuple[int, int]] = []
        while n:
            first, count = self._pool[0]
            use = min(n, count)
            taken.append((first, use))
            if use == count:
                self._pool.popleft()
            else:
                self._pool[0] = (first + use, count - use)
            n -= use
        return tuple(taken)

    def copy(self, rows: Iterable[Sequence[Any]]) -> None:
        """Load rows (ADDRESSED order: id, tax_year, the five blind indexes and the sealed value as bytes, then the
        address index) through one binary COPY. They are laid out before the COPY begins (`binary_rows`), so an
        exception while they are made never reaches the server (copy_in.py)."""
        self.copy_laid_out(*binary_rows(rows, addressed=self.addressed))

    def copy_laid_out(self, data: bytes, n: int) -> None:
        """Load `n` rows that `binary_rows(..., addressed=self.addressed)` laid out (in a parse worker: the import's
        rows are sealed and laid out where they were parsed) through one binary COPY."""
        copy_binary(self.conn, _LOADING[self.addressed][0][self.table], data)
        self.loaded += n

    def finish(self) -> tuple[int, int]:
        """(rows new to the table, rows loaded): a loaded row whose key the table holds replaces that row (a
        correction). DuplicateKey when loaded rows share a key (the caller's transaction is then rolled back)."""
        conn = self.conn
        try:
            with conn.transaction():            # a savepoint: on a duplicate, ask which
                if self.bulk:
                    conn.execute("SELECT dws.taxpayer_records_load_end()")
                    return self.loaded, self.loaded   # the table was empty: every row is new
                else:
                    row = conn.execute(_LOADING[self.addressed][1]).fetchone()
        except (psycopg.errors.CardinalityViolation, psycopg.errors.UniqueViolation):
            query = _DUPLICATES.format(table=self.table, limit=DUPLICATES_SHOWN)
            raise DuplicateKey(conn.execute(query).fetchall()) from None
        assert row is not None
        return int(row[0]), int(row[1])


def add_address_index(conn: Conn, roles: OfficeRoles) -> None:
    """Schema step 4 (schema.py): the address index column, its two indexes and the load's functions over every
    index, as the owner, in the caller's transaction; idempotent. Rows already there keep NULL (the server cannot
    compute it: it takes the office key), so an evaluation reads them the ZIP5 way until they are imported again."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    conn.execute(_ADDRESS_COLUMN)
    for name in ADDRESS_INDEXES:
        conn.execute(INDEXES[name])
    for statement in _load_functions(INDEXES):
        conn.execute(statement)
    conn.execute("RESET ROLE")


def drop_unread_indexes(conn: Conn, roles: OfficeRoles) -> None:
    """Schema step 11 (schema.py): the indexes nothing reads dropped (UNREAD_INDEXES) and the load's functions made
    again over the others, a first load's end analysing the table too, as the owner, in the caller's transaction;
    idempotent. The columns stay: each row's sealed value is bound to them."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    for name in UNREAD_INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS dws.{name}")
    for statement in _load_functions(READ_INDEXES, analyze=True):
        conn.execute(statement)
    conn.execute("RESET ROLE")


def has_unread_indexes(conn: Conn) -> bool:
    """Whether the records table still has an index schema step 11 drops."""
    row = conn.execute("SELECT bool_or(to_regclass('dws.' || i) IS NOT NULL) FROM unnest(%s::text[]) AS i",
                       (list(UNREAD_INDEXES),)).fetchone()
    return bool(row and row[0])


def has_address_index(conn: Conn) -> bool:
    """Whether the records table has the address index column (an office made before it has not)."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('dws.taxpayer_records') "
                       "AND attname = 'address_index' AND NOT attisdropped)").fetchone()
    return bool(row and row[0])


def count(conn: Conn) -> int:
    row = conn.execute("SELECT count(*) FROM dws.taxpayer_records").fetchone()
    return int(row[0]) if row else 0


def sealed_by_tin(conn: Conn, tin_index: bytes) -> list[tuple[Any, ...]]:
    """A taxpayer's record rows (every TIN type; COLUMNS: office/records_seal.open_record opens one), by year."""
    return conn.execute(f"SELECT {_ALL} FROM dws.taxpayer_records WHERE tin_index = %s ORDER BY tax_year, id",
                        (tin_index,)).fetchall()


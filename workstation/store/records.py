"""SQL for taxpayer records. One row per taxpayer (TIN and type) per tax year; a re-import replaces.

The table (schema 11) holds what the checks and the indexes read — tin, tin_type, tax_year, name, name_control,
addr_key, hold — and `taxpayer_record_lines` beside it (same rowid) the record's CSV line (INTERCHANGE column
order), from which its other values are read back (`line_values`: trimmed, empty as None, numbers as int, as the
importer checked them).

Rows arrive packed (`intake.records_pack`): a batch is two JSON texts, an array of rows `[tin, tin_type,
tax_year, name, name_control, addr_key, hold]` and an array of their lines, that SQLite takes apart itself
(`jsonb_each`): two values bound for a whole batch instead of 22 for every row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

import sqlcipher3

from ..model import RECORD_DATA_COLUMNS
from .db import Connection

IntegrityError = sqlcipher3.IntegrityError

COLUMNS = ("tin", "tin_type", "tax_year", "name", "name_control", "addr_key", "hold")
_KEY = ("tin", "tax_year", "tin_type")
_ROWS = "SELECT " + ", ".join(f"value->>{i}" for i in range(len(COLUMNS))) + " FROM jsonb_each(?)"
_INSERT = f"INSERT INTO taxpayer_records (rowid, {', '.join(COLUMNS)}) SELECT ? + key, {_ROWS[7:]}"
_INSERT_LINES = "INSERT INTO taxpayer_record_lines (id, line) SELECT ? + key, value FROM jsonb_each(?)"
# "WHERE true": an upsert's SELECT needs a WHERE clause (SQLite's parser would read ON as a join's)
_UPSERT = (f"INSERT INTO taxpayer_records ({', '.join(COLUMNS)}) {_ROWS} WHERE true ON CONFLICT({', '.join(_KEY)}) "
           "DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in _KEY))
_UPSERT_LINES = ("INSERT OR REPLACE INTO taxpayer_record_lines (id, line) "
                 "SELECT r.rowid, b.line FROM jsonb_each(?) AS k JOIN temp.record_lines_batch AS b ON b.pos = k.key "
                 "JOIN taxpayer_records AS r ON r.tin = k.value->>0 AND r.tax_year = k.value->>2 "
                 "AND r.tin_type = k.value->>1")

# A record's CSV line: its columns (INTERCHANGE.md), and those of RECORD_DATA_COLUMNS that are whole numbers.
LINE_COLUMNS = ("tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
                "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account", "wages",
                "employer", "interest", "hold")
_NUMBERS = frozenset({"agi", "total_tax", "refund", "dependents", "wages", "interest"})
_DATA = tuple((name, LINE_COLUMNS.index(name), name in _NUMBERS) for name in RECORD_DATA_COLUMNS)

# The indexes of schema versions 1, 6 and 7 on taxpayer_records (names as the migrations create them).
INDEXES = {
    "taxpayer_records_tin": "CREATE UNIQUE INDEX taxpayer_records_tin ON taxpayer_records(tin, tax_year, tin_type)",
    "taxpayer_records_addr": "CREATE INDEX taxpayer_records_addr ON taxpayer_records(addr_key, tin, tin_type, "
                             "name)",
    "taxpayer_records_match": "CREATE INDEX taxpayer_records_match ON taxpayer_records(tin, tax_year, tin_type, "
                              "name_control, addr_key, hold)",
}


def count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM taxpayer_records").fetchone()[0])


def is_empty(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM taxpayer_records LIMIT 1").fetchone() is None


def next_id(conn: Connection) -> int:
    """The rowid the next appended record takes (a bulk load numbers its batches' rows from it)."""
    return int(conn.execute("SELECT coalesce(max(rowid), 0) + 1 FROM taxpayer_records").fetchone()[0])


def insert_packed(conn: Connection, first_id: int, rows: str, lines: str | None) -> None:
    """Append a packed batch (see the module's docstring), its rows numbered from `first_id` on; `lines` None
    (an evaluation's working copy: the checks read no line) stores the rows without their lines."""
    conn.execute(_INSERT, (first_id, rows))
    if lines is not None:
        conn.execute(_INSERT_LINES, (first_id, lines))


def insert_packed_in_key_order(conn: Connection, first_id: int, rows: str, lines: str) -> None:
    """`insert_packed` into indexes already built, the rows in key order (each B-tree page visited in order)."""
    conn.execute(f"{_INSERT} ORDER BY value->>0, value->>2, value->>1", (first_id, rows))
    conn.execute(_INSERT_LINES, (first_id, lines))


def insert_packed_in_key_order_or_duplicate(conn: Connection, first_id: int, rows: str, lines: str
                                            ) -> tuple[str, int, str] | None:
    """`insert_packed_in_key_order` inside a savepoint (inside the caller's transaction): a batch the unique
    index refuses is rolled back alone, and the (tin, tax_year, tin_type) it repeats is returned; None once
    inserted. An IntegrityError that is no repeated key is raised."""
    conn.execute("SAVEPOINT records_batch")
    try:
        insert_packed_in_key_order(conn, first_id, rows, lines)
    except IntegrityError:
        conn.execute("ROLLBACK TO records_batch")
        duplicate = first_duplicate(conn, packed_keys(conn, rows))
        if duplicate is None:
            raise
        return duplicate
    finally:
        if conn.in_transaction:        # a full disk rolls the whole transaction back: nothing to release
            conn.execute("RELEASE records_batch")
    return None


def upsert_packed(conn: Connection, rows: str, lines: str) -> None:
    """Insert a packed batch; a row whose TIN, year and type is on file replaces it (and its line)."""
    conn.execute(_UPSERT, (rows,))
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS record_lines_batch (pos INTEGER PRIMARY KEY, line TEXT NOT NULL)")
    conn.execute("INSERT INTO temp.record_lines_batch (pos, line) SELECT key, value FROM jsonb_each(?)", (lines,))
    conn.execute(_UPSERT_LINES, (rows,))
    conn.execute("DELETE FROM temp.record_lines_batch")      # temp_store is memory: never on disk


def packed_keys(conn: Connection, rows: str) -> list[tuple[str, int, str]]:
    """(tin, tax_year, tin_type) of each row of a packed batch, in batch order (an error path)."""
    return conn.execute("SELECT value->>0, value->>2, value->>1 FROM json_each(?) ORDER BY key", (rows,)).fetchall()


def record_lines(conn: Connection, tin: str, tin_type: str, years: list[int]) -> list[tuple[int, str, str, str]]:
    """(tax_year, tin, name, line) of one taxpayer's records of `years`, newest first."""
    marks = ",".join("?" * len(years)) or "NULL"
    return conn.execute(
        "SELECT r.tax_year, r.tin, r.name, l.line FROM taxpayer_records AS r JOIN taxpayer_record_lines AS l "
        f"ON l.id = r.rowid WHERE r.tin = ? AND r.tin_type = ? AND r.tax_year IN ({marks}) "
        "ORDER BY r.tax_year DESC", (tin, tin_type, *years)).fetchall()


def line_values(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The values of RECORD_DATA_COLUMNS of stored records' CSV lines (one parse for them all): trimmed, empty as
    None, the numbers as int."""
    out = []
    for fields in csv.reader(lines):        # each line is one whole record (its quotes close in it)
        values: dict[str, Any] = {}
        for name, pos, number in _DATA:
            value = fields[pos].strip()
            values[name] = (int(value) if number else value) if value else None
        out.append(values)
    return out


def drop_indexes(conn: Connection) -> None:
    """Before a bulk load into an empty table (inside its transaction): rows are then appended, and each
    index is built once, sorted, afterwards — instead of millions of random B-tree inserts."""
    for name in INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")


def create_indexes(conn: Connection) -> tuple[str, int, str] | None:
    """Build the indexes after a bulk load. If the unique one is refused, the (tin, tax_year, tin_type) that
    the rows give twice is returned (and nothing more is built): the caller's transaction is then rolled back."""
    try:
        conn.execute(INDEXES["taxpayer_records_tin"])
    except IntegrityError:
        return duplicate_key(conn)
    for name, ddl in INDEXES.items():
        if name != "taxpayer_records_tin":
            conn.execute(ddl)
    return None


def create_read_indexes(conn: Connection) -> tuple[str, int, str] | None:
    """`create_indexes` for a copy nothing writes to again (an office evaluation's working copy): the two indexes
    the checks read (store/evaluation.py), and the unique key (tin, tax_year, tin_type) checked by one pass over
    the match index, which begins with it, instead of built as a third index; the key two rows give, or None."""
    for name in ("taxpayer_records_match", "taxpayer_records_addr"):
        conn.execute(INDEXES[name])
    row = conn.execute("SELECT tin, tax_year, tin_type FROM taxpayer_records INDEXED BY taxpayer_records_match "
                       "GROUP BY tin, tax_year, tin_type HAVING count(*) > 1 LIMIT 1").fetchone()
    return (str(row[0]), int(row[1]), str(row[2])) if row else None


def duplicate_key(conn: Connection) -> tuple[str, int, str] | None:
    """A (tin, tax_year, tin_type) held by two rows (an error path: it sorts the table)."""
    row = conn.execute("SELECT tin, tax_year, tin_type FROM taxpayer_records GROUP BY tin, tax_year, tin_type "
                       "HAVING count(*) > 1 LIMIT 1").fetchone()
    return (str(row[0]), int(row[1]), str(row[2])) if row else None


def first_duplicate(conn: Connection, keys: list[tuple[str, int, str]]) -> tuple[str, int, str] | None:
    """The first of `keys` (tin, tax_year, tin_type) that the table already holds or that `keys` repeat (an error
    path, once the batch of `keys` was refused and rolled back)."""
    seen: set[tuple[str, int, str]] = set()
    for key in keys:
        if key in seen or conn.execute("SELECT 1 FROM taxpayer_records WHERE tin = ? AND tax_year = ? AND "
                                       "tin_type = ?", key).fetchone():
            return (str(key[0]), int(key[1]), str(key[2]))
        seen.add(key)
    return None


_BATCH = ("SELECT count(*), json_group_array(json_array(tin, tin_type, tax_year, name, name_control, addr_key, hold)), "
          "json_group_array(line), max(id) FROM (SELECT r.rowid AS id, r.tin, r.tin_type, r.tax_year, r.name, "
          "r.name_control, r.addr_key, r.hold, l.line FROM taxpayer_records AS r JOIN taxpayer_record_lines AS l "
          "ON l.id = r.rowid WHERE r.rowid > ? ORDER BY r.rowid LIMIT ?)")


def packed_batches(conn: Connection, size: int) -> Iterator[tuple[int, str, str]]:
    """Every record in the packed shape it was stored from (`intake.records_pack`), `size` at a time in rowid
    order: (rows in the batch, JSON of the rows, JSON of their lines)."""
    after = 0
    while True:
        n, rows, lines, last = conn.execute(_BATCH, (after, size)).fetchone()
        if not n:
            return
        yield int(n), str(rows), str(lines)
        after = int(last)

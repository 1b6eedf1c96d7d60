"""SQL for taxpayer records. One row per taxpayer (TIN and type) per tax year; a re-import replaces."""

from __future__ import annotations

from collections.abc import Sequence

import sqlcipher3

from .db import Connection

IntegrityError = sqlcipher3.IntegrityError

COLUMNS = ("tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
           "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account", "wages",
           "employer", "interest", "hold", "name_control", "addr_key")
_KEY = ("tin", "tax_year", "tin_type")
UPSERT = (f"INSERT INTO taxpayer_records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
          f"ON CONFLICT({', '.join(_KEY)}) DO UPDATE SET "
          + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in _KEY))


INSERT = f"INSERT INTO taxpayer_records ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def count(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM taxpayer_records").fetchone()[0])


def upsert_batch(conn: Connection, rows: Sequence[tuple]) -> None:
    conn.executemany(UPSERT, rows)


# The indexes of schema versions 1, 6 and 7 on taxpayer_records (names as the migrations create them).
INDEXES = {
    "taxpayer_records_tin": "CREATE UNIQUE INDEX taxpayer_records_tin ON taxpayer_records(tin, tax_year, tin_type)",
    "taxpayer_records_addr": "CREATE INDEX taxpayer_records_addr ON taxpayer_records(addr_key, tin, tin_type, "
                             "name)",
    "taxpayer_records_match": "CREATE INDEX taxpayer_records_match ON taxpayer_records(tin, tax_year, tin_type, "
                              "name_control, addr_key, hold)",
}


def is_empty(conn: Connection) -> bool:
    return conn.execute("SELECT 1 FROM taxpayer_records LIMIT 1").fetchone() is None


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


def duplicate_key(conn: Connection) -> tuple[str, int, str] | None:
    """A (tin, tax_year, tin_type) held by two rows (an error path: it sorts the table)."""
    row = conn.execute("SELECT tin, tax_year, tin_type FROM taxpayer_records GROUP BY tin, tax_year, tin_type "
                       "HAVING count(*) > 1 LIMIT 1").fetchone()
    return (str(row[0]), int(row[1]), str(row[2])) if row else None


def insert_batch(conn: Connection, rows: Sequence[tuple]) -> None:
    conn.executemany(INSERT, rows)


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

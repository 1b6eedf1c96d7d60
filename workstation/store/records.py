"""SQL for taxpayer records. One row per taxpayer (TIN and type) per tax year; a re-import replaces."""

from __future__ import annotations

from collections.abc import Sequence

from .db import Connection

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

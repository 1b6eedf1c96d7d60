"""Taxpayer records streamed into the store, inside the caller's transaction.

Into an empty table (the first, large load) the rows are appended with no index and the indexes are then built
by one sort each — many times faster than millions of random inserts into encrypted B-trees. SQLite sorts in
memory (a temp file would hold plaintext), about 100 bytes a row, so that is done for at most
SORTED_BUILD_MAX_ROWS rows; past them the indexes are built and the remaining rows go into the B-trees batch
by batch, each batch in key order: several times slower, but the memory stays bounded whatever the file size.
The unique index refuses a TIN, year and type given twice, so no key of the file is held in memory either.

Into a table that has rows (a correction), each row replaces its TIN, year and type, and the parser refuses a
key the file gives twice (it holds a key a row for that).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..errors import Cancelled
from ..intake.records_csv import duplicate_error, read_packed
from ..intake.records_pack import PackedRows
from ..intake.records_parallel import read_packed_bulk
from ..processes import release_free_memory
from ..store import db
from ..store import records as records_sql

SORTED_BUILD_MAX_ROWS = 5_000_000      # measured: 689 MB for all processes at 5 M rows, 1,029 MB at 6 M rows


def copy_records(conn: db.Connection, path: Path, progress: Callable[[int, int | None], None] | None = None,
                 cancelled: Callable[[], bool] | None = None) -> tuple[int, int]:
    """Stream the records CSV at `path` into `conn`; (rows read, rows new to the table). Raises InputError (the
    caller rolls back). Into an empty table every row is new (the unique index refused a repeated key): the
    table is not counted."""
    load = _BulkLoad(conn, path) if records_sql.is_empty(conn) else None
    before = 0 if load else records_sql.count(conn)
    batches = read_packed_bulk(path) if load else read_packed(path)
    total = 0
    try:
        for batch in batches:
            check_cancel(cancelled)
            if load:
                load.add(batch)
            else:
                records_sql.upsert_packed(conn, batch.rows, batch.lines)
            total += batch.count
            if progress:
                progress(total, None)
    finally:
        batches.close()                         # stops the parse workers at once on an error or a cancel
    if load:
        check_cancel(cancelled)
        load.finish()
        return total, total
    return total, records_sql.count(conn) - before


def check_cancel(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled()


class _BulkLoad:
    def __init__(self, conn: db.Connection, path: Path) -> None:
        self.conn, self.path = conn, path
        self.rows = 0
        self.indexed = False
        self.next_id = records_sql.next_id(conn)
        records_sql.drop_indexes(conn)

    def add(self, batch: PackedRows) -> None:
        if not self.indexed and self.rows + batch.count > SORTED_BUILD_MAX_ROWS:
            self._build()
        if self.indexed:
            self._insert_in_key_order(batch)
        else:
            records_sql.insert_packed(self.conn, self.next_id, batch.rows, batch.lines)
        self.rows += batch.count
        self.next_id += batch.count

    def finish(self) -> None:
        if not self.indexed:
            self._build()

    def _build(self) -> None:
        duplicate = records_sql.create_indexes(self.conn)
        release_free_memory()
        if duplicate is not None:
            raise duplicate_error(self.path, duplicate)
        self.indexed = True

    def _insert_in_key_order(self, batch: PackedRows) -> None:
        duplicate = records_sql.insert_packed_in_key_order_or_duplicate(self.conn, self.next_id, batch.rows,
                                                                        batch.lines)
        if duplicate is not None:
            raise duplicate_error(self.path, duplicate)

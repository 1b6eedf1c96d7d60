"""The database side of a backup: an encrypted copy made with SQLite's online backup API, and its check.

The copy is keyed with the store's raw data key before a single page is written, so it is encrypted exactly
like the store (a copy killed half-way is ciphertext too). The backup API reads one consistent snapshot: a
write in progress in another process (WAL) is not in the copy, and the copy never waits for it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3

from ..errors import StoreError
from . import auditlog, db


@dataclass(frozen=True)
class CopyFacts:
    store_id: str
    schema: int
    log_size: int
    keyslots: dict[str, Any] | None       # the keyslots committed with the snapshot (meta 'keyslots'), if staged


def copy_database(conn: db.Connection, target: Path, data_key: bytes) -> None:
    """Copy the open store into `target` (an empty, private file) under the same data key."""
    dst = sqlcipher3.connect(str(target), isolation_level=None, check_same_thread=True)
    try:
        dst.execute("PRAGMA cipher_log_level = NONE")
        dst.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
        dst.execute(f"PRAGMA cipher_page_size = {db.PAGE_SIZE}")
        dst.execute("PRAGMA temp_store = MEMORY")          # never a plaintext temp file
        dst.execute("PRAGMA journal_mode = MEMORY").fetchone()
        conn.backup(dst)                                     # all pages in one step: one snapshot
    except db.DatabaseError as exc:
        raise db.store_error(exc, conn) from None
    finally:
        dst.close()


def check_copy(path: Path, data_key: bytes) -> CopyFacts:
    """Open the copy with the data key and check it the way `dws verify` checks a store: every page
    authenticates, SQLite's integrity check passes, and the audit chain is unbroken. Raises StoreError."""
    conn = db.connect(path, data_key)
    try:
        db.check_pages(conn)
        try:
            result = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
            row = conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
            staged = conn.execute("SELECT value FROM meta WHERE key = 'keyslots'").fetchone()
            walked = auditlog.walk(conn, frozenset())
        except db.DatabaseError as exc:
            raise db.store_error(exc) from None
        if result != ["ok"]:
            raise StoreError("the backup copy fails SQLite's integrity check; no backup was written")
        if walked.broken is not None:
            raise StoreError(f"the audit log breaks at entry {walked.broken[0]} ({walked.broken[1]}); no backup "
                             "was written. Run 'dws verify'")
        if row is None:
            raise StoreError("the backup copy has no store id; no backup was written")
        return CopyFacts(row[0], db.schema_version(conn), walked.entries,
                         json.loads(staged[0]) if staged else None)
    finally:
        conn.close()
        for suffix in ("-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                path.with_name(path.name + suffix).unlink()

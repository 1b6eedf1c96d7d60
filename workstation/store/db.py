"""Opening the SQLCipher database: raw data key, pragmas, damage checks, schema migrations."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import sqlcipher3

from ..errors import StoreError
from ..normalize import address_key, reason_key

DB_NAME = "store.db"
PAGE_SIZE = 4096
BUSY_TIMEOUT_MS = 10_000    # how long a write waits for another process's write (an import, the window) to end

Connection = sqlcipher3.Connection
DatabaseError = sqlcipher3.DatabaseError
Row = tuple[Any, ...]       # one row of a query: SQLite's values (int, float, str, bytes, None)


def migrations() -> list[tuple[int, str]]:
    """(version, SQL) for every numbered migration shipped with the package, in order of version. A store
    records only the highest version it reached, so the numbers follow one another (a test checks): a
    migration numbered below a store's version would never run on it."""
    found = []
    for entry in resources.files("workstation.store.migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


SCHEMA_VERSION = migrations()[-1][0]


DAMAGED_ADVICE = ("your passphrase is not the problem. Nothing was changed. Keep the damaged folder aside and "
                  "restore the store folder from your latest backup; the recovery code ('dws recover') only "
                  "replaces lost passphrases and cannot repair a damaged file")


def _damaged(path: Path) -> StoreError:
    return StoreError(f"{path} is damaged or is not this store's database (a page cannot be decrypted and "
                      f"authenticated); {DAMAGED_ADVICE}")


# SQLite's primary result codes (sqlite3.h) that a user can act on.
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26


def store_error(exc: BaseException, conn: Connection | None = None) -> StoreError:
    """One clear message for a database error met while the store is open (disk full, busy, read-only, I/O
    error, damage); the exception's own text is left out. Every write runs in `transaction`, so nothing was
    changed. With `conn`, an I/O error on a disk with almost no space left is told as a full disk (SQLite
    reports some writes that ENOSPC stops, e.g. growing the WAL index, as I/O errors)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == _IOERR and conn is not None and _nearly_full(conn):
        code = _FULL
    if code == _FULL:
        return StoreError("the disk holding the store is full; nothing was changed. Free some space, then try "
                          "again")
    if code in (_BUSY, _LOCKED):
        return StoreError("the store is busy: another dws command or the workstation window is changing it "
                          f"(waited {BUSY_TIMEOUT_MS // 1000} seconds); nothing was changed. Try again when it "
                          "has finished")
    if code == _READONLY:
        return StoreError("the store folder cannot be written (read-only file or folder, or a read-only "
                          "disk); nothing was changed. Ask your administrator to make it writable")
    if code in (_IOERR, _CANTOPEN):
        return StoreError("the store could not be read or written (an input/output error from the disk or "
                          "its folder); nothing was changed. Check the disk; if the error persists, restore "
                          "the store folder from your latest backup")
    if code in (_CORRUPT, _NOTADB):
        return StoreError(f"the store's database is damaged; {DAMAGED_ADVICE}")
    return StoreError(f"the store could not be read or written (database error {code}); nothing was changed")


def _nearly_full(conn: Connection) -> bool:
    try:
        name = conn.execute("PRAGMA database_list").fetchone()[2]
        return bool(name) and shutil.disk_usage(Path(name).parent).free < 1024 * 1024
    except (DatabaseError, OSError, TypeError):
        return False


def connect(path: Path, data_key: bytes | None, *, create: bool = False, cache_mib: int = 64) -> Connection:
    """Open the database with the raw 256-bit data key (no per-open PBKDF2). `data_key=None` opens a
    plain, unencrypted SQLite file with the same build (used only by the benchmarks as a floor)."""
    if not create and not path.exists():
        raise StoreError(f"no database at {path}; create a store with 'dws init' or 'dws demo'")
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")     # SQLCipher would otherwise write to stderr
        if data_key is not None:
            conn.execute(f"PRAGMA key = \"x'{data_key.hex()}'\"")
            conn.execute(f"PRAGMA cipher_page_size = {PAGE_SIZE}")
        try:
            conn.execute("PRAGMA temp_store = MEMORY")      # never a plaintext temp file
            conn.execute(f"PRAGMA cache_size = -{cache_mib * 1024}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if create:
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA synchronous = FULL")
        except DatabaseError as exc:
            code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
            raise (_damaged(path) if code in (_CORRUPT, _NOTADB) else store_error(exc, conn)) from None
        if not create:
            _check_length(conn, path)
    except BaseException:
        conn.close()
        raise
    if create:
        os.chmod(path, 0o600)
    return conn


def unflushed(conn: Connection) -> None:
    """Commits on `conn` no longer wait for the disk (synchronous = OFF): only for a throwaway store (an office
    evaluation's working copy, removed on every exit path), never for one that must survive a crash."""
    conn.execute("PRAGMA synchronous = OFF")


def unjournaled(conn: Connection) -> None:
    """Pages written straight into the database file (journal_mode = OFF), not into the WAL first and copied into
    the file at the checkpoint: only for a throwaway store filled in one transaction (an office evaluation's
    working copy, removed on every exit path: a failed fill, which cannot be rolled back, is removed with it), and
    `journaled` again before anything else uses it. No other connection may be open on it."""
    conn.execute("PRAGMA journal_mode = OFF").fetchone()


def sort_threads(conn: Connection, threads: int) -> None:
    """Let SQLite's sorter (CREATE INDEX over a bulk load) use up to `threads` helper threads (PRAGMA threads;
    0: the caller's thread alone, SQLite's default)."""
    conn.execute(f"PRAGMA threads = {int(threads)}")


def journaled(conn: Connection) -> None:
    """The store's usual journal again (WAL) after `unjournaled`."""
    if str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower() != "wal":
        raise StoreError("the store's journal could not be set; nothing was changed")


def _check_length(conn: Connection, path: Path) -> None:
    """A truncated file still opens; its header says how many pages it should have."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    if size < pages * PAGE_SIZE and not (wal.exists() and wal.stat().st_size > 0):
        conn.close()
        raise _damaged(path)


def check_pages(conn: Connection) -> None:
    """Read and authenticate every page of the file (SQLCipher's HMAC of each page): a flipped byte anywhere is
    found here, not only when a command happens to read that page. Reads the whole file."""
    try:
        bad = conn.execute("PRAGMA cipher_integrity_check").fetchall()
    except DatabaseError as exc:
        raise store_error(exc) from None
    if bad:
        raise StoreError(f"the store's database is damaged ({len(bad):,} page{'s fail' if len(bad) != 1 else ' fails'} "
                         "its check); "
                         f"{DAMAGED_ADVICE}")


@dataclass(frozen=True, slots=True)
class CipherStatus:
    """What SQLCipher says of its own build: its version, its crypto provider (the OpenSSL inside the sqlcipher3
    wheel, or the platform's) and that provider's version, and whether it runs in FIPS mode."""

    version: str
    provider: str
    provider_version: str
    fips_status: str            # "1": FIPS mode (a commercial FIPS build); "0": not


def cipher_status() -> CipherStatus:
    """SQLCipher's `PRAGMA cipher_version`, `cipher_provider`, `cipher_provider_version`, `cipher_fips_status`,
    read from a keyed in-memory database (the same library every store uses; no store needed)."""
    conn = sqlcipher3.connect(":memory:")
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{bytes(32).hex()}'\"")

        def pragma(name: str) -> str:
            row = conn.execute(f"PRAGMA {name}").fetchone()
            return str(row[0]) if row and row[0] is not None else ""

        return CipherStatus(pragma("cipher_version"), pragma("cipher_provider"), pragma("cipher_provider_version"),
                            pragma("cipher_fips_status"))
    finally:
        conn.close()


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction. Returns those applied."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreError(f"the store has schema version {current}, newer than this program "
                         f"({SCHEMA_VERSION}); install the newer Disclosure Workstation")
    applied = []
    # What a migration computes the way the program does: `dws_address_key(street, city, state, zip)`,
    # `dws_reason_key(reason)`.
    conn.create_function("dws_address_key", 4, _address_key_sql, deterministic=True)
    conn.create_function("dws_reason_key", 1, _reason_key_sql, deterministic=True)
    for version, sql in migrations():
        if version <= current:
            continue
        try:
            step = _python_step(version)
            if step is None:
                conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            else:                          # SQL, then Python over the migrated tables, in one transaction
                conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\n")
                step(conn)
                conn.execute(f"PRAGMA user_version = {version}")
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(version)
    return applied


def _python_step(version: int) -> Callable[[Connection], None] | None:
    """`run(conn)` of migrations/step_NNNN.py when migration NNNN has a Python step after its SQL."""
    name = f"workstation.store.migrations.step_{version:04d}"
    if importlib.util.find_spec(name) is None:
        return None
    run: Callable[[Connection], None] = importlib.import_module(name).run
    return run


def _address_key_sql(street: str | None, city: str | None, state: str | None, zip_code: str | None) -> str | None:
    """A record's address key as the records importer makes it (None without a street)."""
    return address_key(street, city or "", state or "", zip_code or "") if street else None


def _reason_key_sql(reason: str | None) -> str | None:
    """A subject's reason as the REASON check compares it (None when it is empty or only spaces: not counted)."""
    return reason_key(reason) if reason and reason.strip() else None


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception: a write lands whole or not at all.

    A database error (disk full, busy, read-only, I/O, damage) becomes one StoreError (see store_error); SQLite
    may have rolled back already (a full disk does), so ROLLBACK is only issued while a transaction is open."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except DatabaseError as exc:
        raise store_error(exc, conn) from None
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            with suppress(DatabaseError):       # the connection is closed with the session; nothing committed
                conn.execute("ROLLBACK")
        if isinstance(exc, DatabaseError):
            raise store_error(exc, conn) from None
        raise

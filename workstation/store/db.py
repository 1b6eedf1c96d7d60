"""Opening the SQLCipher database: raw data key, pragmas, damage checks, schema migrations."""

from __future__ import annotations

import importlib
import importlib.util
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import sqlcipher3

from ..errors import StoreError
from ..normalize import address_key

DB_NAME = "store.db"
PAGE_SIZE = 4096

Connection = sqlcipher3.Connection
DatabaseError = sqlcipher3.DatabaseError


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


def _damaged(path: Path) -> StoreError:
    return StoreError(f"{path} is damaged or is not this store's database (it cannot be decrypted and "
                      "authenticated); restore the store folder from a backup")


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
            conn.execute("PRAGMA busy_timeout = 5000")
            if create:
                conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.execute("PRAGMA synchronous = FULL")
        except DatabaseError:
            raise _damaged(path) from None
        if not create:
            _check_length(conn, path)
    except BaseException:
        conn.close()
        raise
    if create:
        os.chmod(path, 0o600)
    return conn


def _check_length(conn: Connection, path: Path) -> None:
    """A truncated file still opens; its header says how many pages it should have."""
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = path.stat().st_size
    wal = path.with_name(path.name + "-wal")
    if size < pages * PAGE_SIZE and not (wal.exists() and wal.stat().st_size > 0):
        conn.close()
        raise _damaged(path)


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: Connection) -> list[int]:
    """Apply every migration newer than the database, each in its own transaction. Returns those applied."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise StoreError(f"the store has schema version {current}, newer than this program "
                         f"({SCHEMA_VERSION}); install the newer Disclosure Workstation")
    applied = []
    # What a migration computes the way the program does: `dws_address_key(street, city, state, zip)`.
    conn.create_function("dws_address_key", 4, _address_key_sql, deterministic=True)
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
    return importlib.import_module(name).run


def _address_key_sql(street: str | None, city: str | None, state: str | None, zip_code: str | None) -> str | None:
    """A record's address key as the records importer makes it (None without a street)."""
    return address_key(street, city or "", state or "", zip_code or "") if street else None


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any exception: a write lands whole or not at all."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

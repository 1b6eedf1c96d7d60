"""`dws backup` and `dws restore`: one file holding an encrypted copy of the store.

A backup is an uncompressed tar of three members: `manifest.json` (format `dws.backup/1`, the store id, the
schema version, the audit log's size, when it was made, and the SHA-256 of the other two), `store.db` (a copy
made with SQLite's online backup API under the store's own data key: as encrypted as the store) and
`keyslots.json` (the wrapped keys: the same passphrases, the same recovery code). No plaintext is written
anywhere: the copy is keyed before its first page, the tar is assembled without a name and linked only when
whole and logged (fsutil.atomic_file).

A restore needs no passphrase (it copies ciphertext): it checks the manifest and every member's hash, then
moves a complete store folder into place in one rename. The store then opens with the same passphrases on the
same machine; a store bound to its machine's keyring opens elsewhere only with the recovery code
(`dws recover`).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import tarfile
from pathlib import Path
from typing import IO, Any

from .. import clock as clocks
from ..crypto import digest, rng
from ..errors import InputError, StoreError, shown_name
from ..fsutil import _fsync_dir, atomic_file, remove_stale
from ..results import BackupInfo, RestoreInfo
from ..store import backup as backup_sql
from ..store import db, opening
from .context import Ctx

FORMAT = "dws.backup/1"
MANIFEST, DATABASE, KEYSLOTS = "manifest.json", db.DB_NAME, opening.KEYSLOTS
MEMBERS = (MANIFEST, DATABASE, KEYSLOTS)
SMALL_MEMBER = 4 * 1024 * 1024      # the manifest and the keyslots: bounded before they are read
CHUNK = 1024 * 1024


def _sha256_file(path: Path) -> str:
    h = digest.Hasher()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def backup(s: Ctx, target: Path) -> BackupInfo:
    """(admin) Copy, check, then write the backup file atomically and log `store-backed-up`."""
    s.require("back-up-store")
    target = Path(os.path.abspath(target))
    if target.is_dir():
        raise InputError("is a folder; give the backup file's name", source=str(target))
    if target.parent.resolve() == s.path.resolve():
        raise InputError("is inside the store folder; write the backup somewhere else (another disk)",
                         source=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    copy = target.with_name(f".{target.name}.{os.getpid()}.{rng.token_hex(4)}")
    fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        backup_sql.copy_database(s.conn, copy, s.data_key_for_workers())
        facts = backup_sql.check_copy(copy, s.data_key_for_workers())
        slots = facts.keyslots if facts.keyslots is not None else json.loads(
            (s.path / KEYSLOTS).read_text(encoding="utf-8"))
        slots_bytes = (json.dumps(slots, indent=1, sort_keys=True) + "\n").encode("utf-8")
        created = clocks.current().stamp()
        manifest = {"format": FORMAT, "store_id": facts.store_id, "schema": facts.schema,
                    "log_size": facts.log_size, "created_at": created,
                    "sha256": {DATABASE: _sha256_file(copy), KEYSLOTS: digest.sha256_hex(slots_bytes)}}
        manifest_bytes = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8")
        mtime = int(clocks.current().timestamp())
        with atomic_file(target) as fh:
            with tarfile.open(fileobj=fh, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                _add(tar, MANIFEST, io.BytesIO(manifest_bytes), len(manifest_bytes), mtime)
                with open(copy, "rb") as src:
                    _add(tar, DATABASE, src, os.fstat(src.fileno()).st_size, mtime)
                _add(tar, KEYSLOTS, io.BytesIO(slots_bytes), len(slots_bytes), mtime)
            fh.flush()
            size = fh.tell()
            with db.transaction(s.conn):        # logged before the file gets its name: no unlogged backup
                s.log("store-backed-up", str(target), {"size": size, "log_size": facts.log_size,
                                                       "schema": facts.schema})
    finally:
        with contextlib.suppress(FileNotFoundError):
            copy.unlink()
    return BackupInfo(target, size, facts.store_id, facts.schema, facts.log_size, created)


def _add(tar: tarfile.TarFile, name: str, data: IO[bytes], size: int, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, mtime
    tar.addfile(info, data)


def restore(source: Path, store: Path) -> RestoreInfo:
    """Check the backup whole, then make `store` (a new folder) from it in one rename."""
    if opening.is_store(store) or (store / db.DB_NAME).exists():
        raise StoreError(f"{store} already holds a store; restore into a new folder (nothing was changed)")
    if store.exists() and (not store.is_dir() or any(store.iterdir())):
        raise StoreError(f"{store} exists and is not an empty folder; restore into a new folder "
                         "(nothing was changed)")
    if not source.is_file():
        raise InputError("no such backup file", source=str(source))
    store.parent.mkdir(parents=True, exist_ok=True)
    staging = store.with_name(f".{store.name}.restore-{os.getpid()}.{rng.token_hex(4)}")
    staging.mkdir(mode=0o700)
    try:
        manifest, slots = _unpack(source, staging)
        os.rename(staging, store)           # onto nothing or an empty folder: the whole store appears at once
        _fsync_dir(store.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoreInfo(store, manifest["store_id"], manifest["schema"], manifest["log_size"],
                       manifest["created_at"], bool(slots.get("device_binding")))


def _broken(source: Path, what: str) -> InputError:
    return InputError(f"{source} is not an intact backup: {what}; nothing was restored")


def _unpack(source: Path, staging: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read the tar once: the manifest first, each member hashed as it is written into `staging`."""
    try:
        with tarfile.open(source, mode="r|") as tar:
            manifest: dict[str, Any] | None = None
            seen: dict[str, str] = {}
            slots: dict[str, Any] = {}
            for member in tar:
                if member.name not in MEMBERS or not member.isfile() or member.name in seen:
                    raise _broken(source, f"unexpected member {shown_name(member.name, 'name')}")
                if member.name != MANIFEST and manifest is None:
                    raise _broken(source, "the manifest is not the first member")
                if member.name != DATABASE and member.size > SMALL_MEMBER:
                    raise _broken(source, f"{member.name} is too large")
                fh = tar.extractfile(member)
                assert fh is not None
                if member.name == MANIFEST:
                    manifest = _manifest(source, fh.read())
                    seen[MANIFEST] = ""
                    continue
                assert manifest is not None             # the first member (checked above)
                digest = _write_member(fh, staging / member.name)
                if digest != manifest["sha256"][member.name]:
                    raise _broken(source, f"{member.name} does not match its SHA-256 in the manifest")
                seen[member.name] = digest
                if member.name == KEYSLOTS:
                    slots = _keyslots(source, staging / KEYSLOTS, manifest)
    except (tarfile.TarError, EOFError) as exc:
        raise _broken(source, f"not a readable tar archive ({type(exc).__name__})") from None
    missing = [m for m in MEMBERS if m not in seen]
    if manifest is None or missing:
        raise _broken(source, f"missing {', '.join(missing) or MANIFEST}")
    _fsync_dir(staging)
    return manifest, slots


_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z", re.ASCII)
_HEX = re.compile(r"[0-9a-f]{1,64}", re.ASCII)


def _manifest(source: Path, data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _broken(source, "the manifest is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _broken(source, f"the manifest's format is not {FORMAT}")
    hashes = doc.get("sha256")
    if (not isinstance(hashes, dict) or not all(isinstance(hashes.get(m), str) for m in (DATABASE, KEYSLOTS))
            or not isinstance(doc.get("store_id"), str) or not isinstance(doc.get("schema"), int)
            or not isinstance(doc.get("log_size"), int) or not isinstance(doc.get("created_at"), str)):
        raise _broken(source, "the manifest lacks store_id, schema, log_size, created_at or sha256")
    if not _STAMP.fullmatch(doc["created_at"]) or not _HEX.fullmatch(doc["store_id"]):   # both are shown later
        raise _broken(source, "the manifest's store_id or created_at is malformed")
    if doc["schema"] > db.SCHEMA_VERSION:
        raise StoreError(f"{source} holds a store of schema version {doc['schema']}, newer than this program "
                         f"({db.SCHEMA_VERSION}); install the newer Disclosure Workstation to restore it "
                         "(nothing was restored)")
    return doc


def _write_member(fh: IO[bytes], path: Path) -> str:
    h = digest.Hasher()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest()


def _keyslots(source: Path, path: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _broken(source, "keyslots.json is not JSON") from None
    if not isinstance(doc, dict) or doc.get("store_id") != manifest["store_id"]:
        raise _broken(source, "keyslots.json belongs to another store")
    return doc

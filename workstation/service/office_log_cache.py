"""This desktop's last verified state of an office log (issue 19: checkpoints without re-hashing the whole log).

The office keeps no stored tree (the local store does: store/logtree.py), so a checkpoint of the office log is
computed on the desktop from the entries (office_witness.py). To avoid re-reading and re-hashing every entry at
each checkpoint, the desktop keeps, per office log (its id: office/log_key.log_id) and per desktop user, the state it
last verified: the tree size N, the RFC 9162 Merkle frontier at N (merkle.Frontier.state) and entry N's chain hash
(store/auditlog.entry_hash). office_witness.tree_head says what the next checkpoint proves with it.

Where: `office-logs/<log id>.json` in the user's data folder (platformdirs, beside the default local store:
paths.py), written atomically (fsutil.atomic_write), 0600 in a 0700 folder. It holds sizes and hashes only, never a
taxpayer value. It carries an HMAC keyed from the office's checkpoint key (every office user's session holds it),
so a file damaged on disk, from another office, or written by someone without the office's key is simply not used.
Reading never fails: a missing, unreadable, malformed or foreign file is no cache (the full recomputation runs,
and its result is written over it); writing never fails either (the next checkpoint is only slower).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, hmac

from .. import merkle
from ..crypto.digest import sha256
from ..fsutil import atomic_write
from ..paths import APP

FORMAT = "dws-office-log-cache/1"
FOLDER = "office-logs"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_LOG_ID = re.compile(r"[0-9a-f]{8,128}")


@dataclass(frozen=True)
class Verified:
    """An office log's state this desktop verified: `size` entries, entry `size`'s chain hash (`head`, hex), and the
    Merkle frontier over those entries (size and stack, for merkle.Frontier.restored)."""

    size: int
    head: str
    stack: tuple[bytes, ...]

    def frontier(self) -> merkle.Frontier:
        return merkle.Frontier.restored(self.size, self.stack)


def folder() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False) / FOLDER


def path(log_id: str) -> Path:
    if not _LOG_ID.fullmatch(log_id):
        raise ValueError("not an office log id")
    return folder() / f"{log_id}.json"


def _mac(key: bytes, body: bytes) -> hmac.HMAC:
    mac = hmac.HMAC(sha256(b"dws office log cache\x00" + key), hashes.SHA256())
    mac.update(body)
    return mac


def _body(log_id: str, size: int, head: str, stack: tuple[bytes, ...]) -> bytes:
    return json.dumps({"format": FORMAT, "log_id": log_id, "size": size, "head": head,
                       "frontier": [h.hex() for h in stack]}, sort_keys=True, separators=(",", ":")).encode()


def load(log_id: str, key: bytes) -> Verified | None:
    """The state saved for office log `log_id` under the office checkpoint key `key`; None when there is none or it
    is not one this office's desktop wrote whole (never raises)."""
    try:
        doc = json.loads(path(log_id).read_bytes())
        size, head, frontier, mac = doc["size"], doc["head"], doc["frontier"], doc["mac"]
        if (doc["format"] != FORMAT or doc["log_id"] != log_id or type(size) is not int or size < 1
                or not isinstance(head, str) or not _HEX64.fullmatch(head) or not isinstance(frontier, list)
                or not all(isinstance(h, str) and _HEX64.fullmatch(h) for h in frontier)
                or not isinstance(mac, str) or not _HEX64.fullmatch(mac)):
            return None
        stack = tuple(bytes.fromhex(h) for h in frontier)
        _mac(key, _body(log_id, size, head, stack)).verify(bytes.fromhex(mac))
        merkle.Frontier.restored(size, stack)
    except (OSError, ValueError, KeyError, TypeError, InvalidSignature):
        return None
    return Verified(size, head, stack)


def save(log_id: str, key: bytes, size: int, head: str, frontier: merkle.Frontier) -> None:
    """Keep (size, entry `size`'s chain hash, the frontier at `size`) for office log `log_id`; nothing for an empty
    log. A folder or file that cannot be written is left as it is: the next checkpoint recomputes."""
    fsize, stack = frontier.state()
    if size < 1 or fsize != size or not _HEX64.fullmatch(head):
        return
    body = _body(log_id, size, head, stack)
    doc = json.loads(body)
    doc["mac"] = _mac(key, body).finalize().hex()
    try:
        target = path(log_id)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(target, json.dumps(doc, indent=1, sort_keys=True).encode() + b"\n")
    except (OSError, ValueError):
        return

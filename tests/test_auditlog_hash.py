"""The audit-log entry hash is SHA-256 over the previous hash and canonical JSON — exactly, for any text."""

from __future__ import annotations

import hashlib
import random

import pytest

from workstation.canonical import canonical_json
from workstation.store.auditlog import entry_hash

ODD = ["plain", 'quote " and \\ backslash', "tab\tnew\nline", "ünïcödé — § 6103", "\u2028 sep", "emoji 🙂", "",
       "\x00\x1f control", '{"nested":"json"}']


def reference(prev: str, seq: int, ts: str, user: str | None, event: str, obj: str | None, detail: str) -> str:
    body = canonical_json({"seq": seq, "ts": ts, "user": user, "event": event, "object": obj, "detail": detail})
    return hashlib.sha256(prev.encode("ascii") + body).hexdigest()


@pytest.mark.parametrize("text", ODD)
def test_matches_canonical_json_for_odd_text(text: str) -> None:
    args = ("ab" * 32, 7, "2026-11-25T13:45:01.123Z", text, text, text, canonical_json({"reason": text}).decode())
    assert entry_hash(*args) == reference(*args)


def test_matches_canonical_json_for_random_entries() -> None:
    rng = random.Random(6103)
    for seq in range(1, 2000):
        text = "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x2FFF)])) for _ in range(12))
        user = None if seq % 7 == 0 else text[:5]
        obj = None if seq % 5 == 0 else text
        args = ("0" * 64, seq, "2026-01-01T00:00:00.000Z", user, "event-" + text[:3], obj, text)
        assert entry_hash(*args) == reference(*args)

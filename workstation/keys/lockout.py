"""Failed-unlock lockout (NIST AC-7): 3 failures within 120 minutes lock the user out for 15 minutes.

The database cannot record a failure it cannot open, so failures are kept in `lockout.json` beside it
(persisted across processes, guarded by an exclusive lock) and copied into the audit log at the next
successful unlock.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import LockedOutError
from ..fsutil import atomic_write

MAX_FAILURES = 3
WINDOW_S = 120 * 60
LOCKOUT_S = 15 * 60


class Lockout:
    def __init__(self, store_dir: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._path = store_dir / "lockout.json"
        self._lock = store_dir / ".lockout.lock"
        self._clock = clock

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        fd = os.open(self._lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                doc = json.loads(self._path.read_text(encoding="utf-8"))
                if not isinstance(doc, dict):
                    raise ValueError
            except (FileNotFoundError, ValueError):
                doc = {}
            doc.setdefault("failures", {})
            doc.setdefault("pending", [])
            before = json.dumps(doc, sort_keys=True)
            yield doc
            if json.dumps(doc, sort_keys=True) != before:
                atomic_write(self._path, json.dumps(doc, sort_keys=True).encode("utf-8"))
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def _recent(self, doc: dict[str, Any], user: str, now: float) -> list[float]:
        """The user's failures inside the window. A failure stamped after ``now`` means the clock was set
        back since: it is kept, as of now, so a clock set back neither lifts a lockout nor stretches it
        beyond LOCKOUT_S (it is written back the next time the file is written)."""
        recent = [min(t, now) for t in doc["failures"].get(user, []) if now - t < WINDOW_S]
        if recent:
            doc["failures"][user] = recent
        return recent

    def seconds_left(self, user: str) -> int:
        now = self._clock()
        with self._locked() as doc:
            recent = self._recent(doc, user, now)
        if len(recent) >= MAX_FAILURES:
            left = LOCKOUT_S - (now - max(recent))
            if left > 0:
                return int(left + 0.999)
        return 0

    def check(self, user: str) -> None:
        left = self.seconds_left(user)
        if left:
            raise LockedOutError(user, left)

    def record_failure(self, user: str, kind: str = "unlock-failed") -> None:
        now = self._clock()
        with self._locked() as doc:
            recent = self._recent(doc, user, now)
            recent.append(now)
            doc["failures"][user] = recent
            doc["pending"].append({"ts": now, "user": user, "event": kind})

    def record_success(self, user: str) -> list[dict[str, Any]]:
        """Clears the user's failures and returns every pending failure event, for the audit log."""
        with self._locked() as doc:
            doc["failures"].pop(user, None)
            pending: list[dict[str, Any]] = doc["pending"]
            doc["pending"] = []
        return pending

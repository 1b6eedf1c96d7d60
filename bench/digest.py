"""SHA-256 through `cryptography` (workstation/crypto/digest.py) beside Python's hashlib, issue 23 item 2.

    .venv/bin/python bench/digest.py [--calls 300000] [--entries 200000] [--rounds 5]

Per call: CPU time of one digest of 65 bytes (a Merkle node), 200 bytes (a log entry's body) and 4 KiB, three
ways — hashlib.sha256(x).digest(), digest.sha256(x) (a copy of one empty OpenSSL context), and a fresh
`hashes.Hash(SHA256())` each time (what digest.py avoids). Hot loops: the audit-log verifier's inner loop (each
entry's chain hash as hex, its Merkle leaf, the tree frontier: store/auditlog.walk without the database) over
--entries synthetic entries, and the plan hash of a bulk evaluation (digest.Hasher fed 64 KiB parts), each with
digest.py and with hashlib swapped in. CPU seconds (resource.getrusage), alternating, the median of --rounds.

And the real thing: `store/auditlog.walk` (what `dws verify --against` runs: rows read from an encrypted
SQLCipher file, chain checked, Merkle root recomputed) over --entries entries, with digest.py and with hashlib
swapped into auditlog and merkle.

Targets: at most 0.5 µs per call over hashlib; the plan hash at most 1.10x hashlib's time; the walk at most
1 µs per entry over hashlib's (a million-entry `dws verify --against`, whose target is 12 s, gets at most 1 s
slower). The bare hashing loop is reported for information: it bounds the difference from above.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tempfile
from unittest import mock

import sqlcipher3
from cryptography.hazmat.primitives import hashes

from workstation import merkle
from workstation.canonical import canonical_json
from workstation.crypto import digest
from workstation.store import auditlog

PER_CALL_OVERHEAD_US = 0.5
LOOP_RATIO = 1.10
WALK_US_PER_ENTRY = 1.0


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn: Callable[[], object]) -> float:
    start = cpu()
    fn()
    return cpu() - start


def per_call(calls: int, rounds: int) -> None:
    print(f"per call (CPU µs, median of {rounds} rounds of {calls:,} calls):")
    print(f"  {'bytes':>6} {'hashlib':>8} {'digest.py':>10} {'new Hash':>9} {'overhead':>9}  target")
    sha = hashlib.sha256
    algorithm = hashes.SHA256()

    def fresh(data: bytes) -> bytes:
        h = hashes.Hash(algorithm)
        h.update(data)
        return h.finalize()

    for size in (65, 200, 4096):
        data = b"\x01" * size
        ways: dict[str, Callable[[], object]] = {
            "hashlib": lambda data=data: [sha(data).digest() for _ in range(calls)],
            "digest": lambda data=data: [digest.sha256(data) for _ in range(calls)],
            "fresh": lambda data=data: [fresh(data) for _ in range(calls)],
        }
        got: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(rounds):
            for name, fn in ways.items():
                got[name].append(timed(fn) / calls * 1e6)
        med = {name: statistics.median(v) for name, v in got.items()}
        over = med["digest"] - med["hashlib"]
        ok = "ok" if over <= PER_CALL_OVERHEAD_US else "MISSED"
        print(f"  {size:>6} {med['hashlib']:>8.2f} {med['digest']:>10.2f} {med['fresh']:>9.2f} "
              f"{over:>+9.2f}  <= +{PER_CALL_OVERHEAD_US} µs {ok}")


def log_loop(entries: int, leaf: Callable[[bytes], bytes], chained: Callable[[bytes], str],
             node: Callable[[bytes], bytes]) -> None:
    """store/auditlog.walk's per-entry hashing, without the database: chain hash, leaf, frontier."""
    prev = "0" * 64
    stack: list[bytes] = []
    for size, seq in enumerate(range(1, entries + 1)):
        body = (f'{{"detail":{{"count":{seq}}},"event":"evaluated","object":"REQ-{seq:08d}","seq":{seq},'
                f'"ts":"2026-12-05T12:00:00Z","user":"rita"}}').encode()
        h, n = leaf(b"\x00" + body), size
        while n & 1:
            h = node(b"\x01" + stack.pop() + h)
            n >>= 1
        stack.append(h)
        prev = chained(prev.encode("ascii") + body)


def plan_hash(parts: list[bytes], make: Callable[[], object]) -> None:
    h = make()
    for part in parts:
        h.update(part)                  # type: ignore[attr-defined]
    h.hexdigest()                       # type: ignore[attr-defined]


def loops(entries: int, rounds: int) -> None:
    sha = hashlib.sha256
    ways = {
        "hashlib": lambda: log_loop(entries, lambda b: sha(b).digest(), lambda b: sha(b).hexdigest(),
                                    lambda b: sha(b).digest()),
        "digest": lambda: log_loop(entries, digest.sha256, digest.sha256_hex, merkle.sha256),
    }
    parts = [bytes([i % 256]) * 65536 for i in range(512)]          # 32 MiB of plan lines
    plans = {"hashlib": lambda: plan_hash(parts, hashlib.sha256), "digest": lambda: plan_hash(parts, digest.Hasher)}
    bare = f"bare hashing of the log loop (information), {entries:,} entries"
    for title, group in ((bare, ways), ("plan hash, 32 MiB in 64 KiB parts", plans)):
        got: dict[str, list[float]] = {name: [] for name in group}
        for _ in range(rounds):
            for name, fn in group.items():
                got[name].append(timed(fn))
        med = {name: statistics.median(v) for name, v in got.items()}
        ratio = med["digest"] / med["hashlib"]
        ok = "" if group is ways else ("ok" if ratio <= LOOP_RATIO else "MISSED")
        print(f"{title}: hashlib {med['hashlib']:.3f} s, digest.py {med['digest']:.3f} s CPU, "
              f"ratio {ratio:.3f}" + (f" (target <= {LOOP_RATIO}) {ok}" if ok else ""))


def real_walk(entries: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlcipher3.connect(str(Path(tmp) / "log.db"))
        conn.execute(f"PRAGMA key = \"x'{'42' * 32}'\"")
        conn.execute("CREATE TABLE audit_log (seq INTEGER PRIMARY KEY, ts TEXT, user TEXT, event TEXT, object TEXT, "
                     "detail TEXT, prev_hash TEXT, hash TEXT)")
        prev, rows = auditlog.GENESIS, []
        for seq in range(1, entries + 1):
            ts, detail = "2026-12-05T12:00:00Z", canonical_json({"ref": str(seq), "request": "ICE-1"}).decode()
            h = auditlog.entry_hash(prev, seq, ts, "rita", "preview-viewed", "ICE-1", detail)
            rows.append((seq, ts, "rita", "preview-viewed", "ICE-1", detail, prev, h))
            prev = h
        conn.executemany("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.commit()
        sha = hashlib.sha256

        def with_hashlib() -> object:
            with mock.patch.object(auditlog, "sha256", lambda b: sha(b).digest()), \
                 mock.patch.object(auditlog, "sha256_hex", lambda b: sha(b).hexdigest()), \
                 mock.patch.object(merkle, "sha256", lambda b: sha(b).digest()):
                return auditlog.walk(conn, frozenset(), roots_at={entries})

        def with_digest() -> object:
            return auditlog.walk(conn, frozenset(), roots_at={entries})

        a, b = with_hashlib(), with_digest()
        assert a.roots == b.roots and a.broken is None and b.broken is None     # type: ignore[attr-defined]
        got: dict[str, list[float]] = {"hashlib": [], "digest": []}
        for _ in range(rounds):
            got["hashlib"].append(timed(with_hashlib))
            got["digest"].append(timed(with_digest))
        conn.close()
    med = {name: statistics.median(v) for name, v in got.items()}
    ratio = med["digest"] / med["hashlib"]
    extra = (med["digest"] - med["hashlib"]) / entries * 1e6
    print(f"auditlog.walk (chain + Merkle root), {entries:,} entries from SQLCipher: hashlib {med['hashlib']:.3f} s, "
          f"digest.py {med['digest']:.3f} s CPU, ratio {ratio:.3f}, {extra:+.2f} µs per entry "
          f"(target <= +{WALK_US_PER_ENTRY} µs) {'ok' if extra <= WALK_US_PER_ENTRY else 'MISSED'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    assert digest.sha256(b"abc") == hashlib.sha256(b"abc").digest()
    per_call(args.calls, args.rounds)
    loops(args.entries, args.rounds)
    real_walk(args.entries, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())

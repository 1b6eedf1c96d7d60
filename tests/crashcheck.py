"""What the crash campaign checks after every kill (tests/crashlib.py): no orphan process, no leftover file
(and no taxpayer value in one), the store opens, `dws verify` exits 0, the store agrees with itself
(`invariants`), and its state is the state before the change or the state after it (`state`)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crashlib import NEW_PW, STORE_FILES, Run, World, pw

QUIET_EVENTS = {"unlock", "recovery-unlock", "unlock-failed", "reauth-failed", "lockout", "lockout-started",
                "recovery-unlock-failed"}


@dataclass
class Findings:
    orphans: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    canaries: list[str] = field(default_factory=list)
    corruption: list[str] = field(default_factory=list)
    inconsistent: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    def bad(self) -> list[str]:
        return [*self.orphans, *self.leftovers, *self.canaries, *self.corruption, *self.inconsistent]


# -- processes and files ---------------------------------------------------------------------------------

def orphans(run: Run, grace: float = 5.0) -> list[str]:
    """Processes still alive that the killed child started (they carry its TMPDIR in their environment).
    Each must die by itself within `grace` seconds; those that do not are reported, then killed."""
    marker = f"TMPDIR={run.tmp}\0".encode()
    deadline = time.monotonic() + grace
    while True:
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                environ = Path(f"/proc/{entry}/environ").read_bytes()
                if marker in environ:
                    state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
                    if state != "Z":
                        found.append(int(entry))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    out = []
    for pid in found:
        with contextlib.suppress(OSError):
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            out.append(f"pid {pid}: {cmd[:120]}")
            os.kill(pid, signal.SIGKILL)
    return out


def leftovers(run: Run, needles: list[bytes]) -> tuple[list[str], list[str]]:
    """Files that are not store files (store folder), any file in $TMPDIR, any file but the letter in the
    output folder; and those of them that hold a taxpayer value."""
    extra: list[Path] = [f for f in run.store.rglob("*") if f.is_file() and f.name not in STORE_FILES]
    extra += [f for f in run.tmp.rglob("*") if f.is_file()]
    extra += [f for f in run.out.rglob("*") if f.is_file() and f.name != "letter.pdf"]
    hits = []
    for f in extra:
        with contextlib.suppress(OSError):
            data = f.read_bytes()
            hits += [f"{f.name}: {n.decode()}" for n in needles if n in data]
    return [str(f.relative_to(run.folder)) for f in extra], hits


# -- the store -------------------------------------------------------------------------------------------

def admin_passphrase(world: World, store: Path) -> str:
    """The admin's passphrase in this store: the new one once `dws recover` replaced the admin's slot."""
    base = json.loads((world.base / "keyslots.json").read_text())["users"]["admin"]
    now = json.loads((store / "keyslots.json").read_text())["users"].get("admin")
    return pw("admin") if now == base else NEW_PW


def dws_verify(store: Path, passphrase: str) -> int:
    from workstation.cli.main import main

    saved = {k: os.environ.get(k) for k in ("DWS_USER", "DWS_PASSPHRASE")}
    os.environ.update(DWS_USER="admin", DWS_PASSPHRASE=passphrase)
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            code = main(["--store", str(store), "verify"])
        if code:
            sys.stderr.write(f"dws verify: {err.getvalue()}")
        return code
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _unlock_admin(world: World, store: Path) -> Any:
    """The admin's session. A keyslots file left one step behind by a recover killed after its commit opens
    with the old passphrase in the file, but the store refuses it: the first try brings the file up to the
    committed keyslots, and the new passphrase opens the store (the old one no longer does)."""
    from workstation.errors import AuthError
    from workstation.service import Workstation

    try:
        return Workstation(store).unlock("admin", admin_passphrase(world, store))
    except AuthError:
        return Workstation(store).unlock("admin", admin_passphrase(world, store))


def check_store(world: World, run: Run, users_to_check: tuple[str, ...] = ()) -> Findings:

    found = Findings()
    try:
        with _unlock_admin(world, run.store) as s:
            code = dws_verify(run.store, admin_passphrase(world, run.store))
            if code != 0:
                found.corruption.append(f"dws verify exited {code}")
            if s.conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                found.corruption.append("integrity_check failed")
            found.inconsistent += invariants(s.conn, run.store, users_to_check)
            found.state = state(world, s.conn, run.store)
    except Exception as exc:  # the store does not open: the worst finding
        found.corruption.append(f"the store does not open: {type(exc).__name__}: {exc}")
    return found


def _events(conn: Any) -> list[Any]:
    from workstation.store import auditlog

    return list(auditlog.entries(conn))


def invariants(conn: Any, store: Path, users_to_check: tuple[str, ...] = ()) -> list[str]:
    """The store agrees with itself: the log with the tables, the accounting with the letters, the
    approvals with the decisions, the keyslots with the users."""
    bad: list[str] = []
    log = _events(conn)
    by = lambda event: [e for e in log if e.event == event]  # noqa: E731
    letters = {r[0] for r in conn.execute("SELECT letter_id FROM letters")}
    logged = {e.detail["letter_id"]: e.detail.get("disclosures", 0) for e in by("letter-issued")}
    if letters != set(logged):
        bad.append(f"letters {sorted(letters)} but letter-issued entries {sorted(logged)}")
    per_letter = Counter(r[0] for r in conn.execute("SELECT letter_id FROM disclosures"))
    for letter_id, count in logged.items():
        if per_letter.get(letter_id, 0) != count:
            bad.append(f"letter {letter_id}: {per_letter.get(letter_id, 0)} accounting rows, the log says {count}")
    if set(per_letter) - letters:
        bad.append("accounting rows for a letter that is not stored")
    decisions = {r[0]: (r[1], r[2]) for r in conn.execute("SELECT decision_id, status, approver_sig FROM decisions")}
    if set(decisions) != {e.detail["decision_id"] for e in by("decision-signed")}:
        bad.append("decisions and decision-signed entries differ")
    approved = {d for d, (status, sig) in decisions.items() if sig is not None}
    if approved != {e.detail["decision_id"] for e in by("decision-approved")}:
        bad.append("approved decisions and decision-approved entries differ")
    if any(status == "approved" and sig is None for status, sig in decisions.values()):
        bad.append("a decision marked approved has no approver signature")
    requests = {r[0] for r in conn.execute("SELECT request_id FROM requests")}
    if requests != {e.object for e in by("request-imported")}:
        bad.append("requests and request-imported entries differ")
    orders = {r[0] for r in conn.execute("SELECT case_no FROM court_orders")}
    if orders != {e.object for e in log if e.event in ("court-order-imported", "court-order-updated")}:
        bad.append("court orders and court-order entries differ")
    rows = conn.execute("SELECT count(*) FROM taxpayer_records").fetchone()[0]
    if rows != sum(e.detail.get("inserted", 0) for e in by("records-imported")):
        bad.append(f"{rows} taxpayer records, the log's inserted rows differ")
    settings = {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM settings")}
    for e in by("setting-changed"):
        if settings.get(e.object) != e.detail["to"] and e is [x for x in log if x.object == e.object][-1]:
            bad.append(f"setting {e.object} differs from its last setting-changed entry")
    bad += _users(conn, store, log, users_to_check)
    return bad


def _users(conn: Any, store: Path, log: list[Any], users_to_check: tuple[str, ...]) -> list[str]:
    from workstation.keys import primitives as p
    from workstation.keys.keyslots import Keyslots
    from workstation.store import users as users_sql

    bad = []
    names = {r[0]: r[1] for r in conn.execute("SELECT name, public_key FROM users")}
    if set(names) != {e.object for e in log if e.event == "user-added"}:
        bad.append("users and user-added entries differ")
    last: dict[str, str] = {}
    for e in log:
        if e.event in ("user-added", "user-reset"):
            last[e.object] = e.detail["fingerprint"]
    for name, public in names.items():
        if last.get(name) != p.fingerprint(public):
            bad.append(f"user {name}: the key differs from the log's last entry for it")
    slots = Keyslots.load(store / "keyslots.json")
    if set(slots.users) - set(names):
        bad.append(f"keyslots for users who are not in the store: {sorted(set(slots.users) - set(names))}")
    rebound = [e for e in log if e.event == "store-rebound"]
    if rebound and set(slots.users) & set(rebound[-1].detail.get("slots_voided", [])):
        bad.append("the log says slots were voided but keyslots.json still holds them")
    for name in users_to_check:
        if name not in slots.users or name not in names:
            continue
        for candidate in (pw(name), NEW_PW):
            stretched = slots.stretch(name, candidate)
            if stretched is not None and slots.open_user(name, stretched, None) is not None:
                if users_sql.signing_key(conn, name, slots.signing_wrap_key(stretched, name)) is None:
                    bad.append(f"user {name}: the passphrase that opens the store does not open the signing key")
                break
    return bad


def state(world: World, conn: Any, store: Path) -> dict[str, Any]:
    """What a write path changes, comparable between runs (no salts, times or hashes)."""
    # log_checkpoints: a command that wrote to the log signs a checkpoint for the witness folder after its
    # change is committed (best effort: the next one catches up), so a kill in between is not a half change.
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                         "AND name NOT LIKE 'sqlite%' AND name NOT IN ('audit_log', "
                                         "'log_checkpoints') ORDER BY name")]
    out: dict[str, Any] = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    for t in tables:
        columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
        if "status" in columns:
            out[f"{t}.status"] = sorted(conn.execute(f'SELECT status, count(*) FROM "{t}" GROUP BY status'))
    out["settings"] = sorted(conn.execute("SELECT key, value FROM settings"))
    out["log"] = [e.event for e in _events(conn) if e.event not in QUIET_EVENTS]
    base = json.loads((world.base / "keyslots.json").read_text())["users"]
    now = json.loads((store / "keyslots.json").read_text())["users"]
    out["slots"] = {u: ("same" if now[u] == base.get(u) else "new") for u in sorted(now)}
    return out


# -- the campaign ----------------------------------------------------------------------------------------

USER_PATHS = {"user-add": ("zed",), "user-reset": ("otto",), "recover": ("admin",)}


@dataclass
class Tally:
    kills: int = 0
    corruptions: int = 0
    half_done: int = 0
    orphans: int = 0
    leftovers: int = 0
    canary_leaks: int = 0
    completed: int = 0            # killed after the change was whole
    problems: list[str] = field(default_factory=list)

    def clean(self) -> bool:
        return not (self.corruptions or self.half_done or self.orphans or self.leftovers or self.canary_leaks)


def campaign(world: World, work: Path, kills_per_path: int, seed: int, only: set[str] | None = None,
             log: Any = None) -> Tally:
    """`kills_per_path` seeded kills of every write path (or of those in `only`)."""
    import random

    from crashlib import calibrate, fresh, kill

    tally = Tally()
    pre_run = fresh(world, work / "pre")
    before = check_store(world, pre_run).state
    for path in world.paths:
        if only and path.name not in only:
            continue
        cal, done = calibrate(world, path, work / f"{path.name}-calibration")
        after = check_store(world, done, USER_PATHS.get(path.name, ())).state
        if after == before:
            raise RuntimeError(f"path {path.name} changed nothing")
        rng = random.Random(f"{seed}/{path.name}")
        for i in range(kills_per_path):
            run, point = kill(world, path, cal, work / f"{path.name}-{i}", rng)
            tally.kills += 1
            lost = orphans(run)
            found = check_store(world, run, USER_PATHS.get(path.name, ()))     # the first unlock tidies up
            extra, hits = leftovers(run, world.needles)
            where = f"{path.name} kill {i} ({point}, exit {run.code})"
            whole = dict(after, log=[e for e in after["log"] if e not in path.later]) if path.later else after
            if found.state in (after, whole):
                tally.completed += 1
            elif found.state != before and not found.corruption:
                found.inconsistent.append("half-done: " + _diff(before, after, found.state))
            if (run.out / "letter.pdf").exists() and found.state.get("log", [])[-1:] != ["letter-written"]:
                found.inconsistent.append("a letter file was written that the log does not show")
            tally.orphans += bool(lost)
            tally.leftovers += bool(extra)
            tally.canary_leaks += bool(hits)
            tally.corruptions += bool(found.corruption)
            tally.half_done += bool(found.inconsistent)
            for problem in [*lost, *[f"leftover {x}" for x in extra], *hits, *found.corruption, *found.inconsistent]:
                tally.problems.append(f"{where}: {problem}")
            if log:
                log(f"{where}: {'OK' if not (lost or extra or found.bad()) else 'PROBLEM'}")
            if not (lost or extra or found.bad()):
                import shutil

                shutil.rmtree(run.folder, ignore_errors=True)
    return tally


def _diff(before: dict[str, Any], after: dict[str, Any], now: dict[str, Any]) -> str:
    keys = sorted(k for k in now if now.get(k) != before.get(k) or now.get(k) != after.get(k))
    return "; ".join(f"{k}: before {_short(before.get(k))}, after {_short(after.get(k))}, found {_short(now.get(k))}"
                     for k in keys if not (now.get(k) == before.get(k) == after.get(k)))


def _short(value: Any) -> str:
    if isinstance(value, list) and len(value) > 4:
        return f"[... {len(value)} items, last {value[-3:]}]"
    return str(value)

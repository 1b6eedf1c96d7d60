"""`dws demo`: a new store with demo users, filled through the real importers from generated files."""

from __future__ import annotations

import enum
import errno
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import clock as clocks
from . import demo_scratch
from .demo_sizes import DEFAULT_BULK_SUBJECTS as DEFAULT_BULK_SUBJECTS
from .demo_sizes import DEFAULT_SEED as DEFAULT_SEED
from .demo_sizes import DEFAULT_TAXPAYERS as DEFAULT_TAXPAYERS
from .errors import StoreError
from .fsutil import atomic_write, fsync_dir
from .service import Session, Workstation

DEMO_USERS: tuple[tuple[str, str], ...] = (
    ("admin", "admin"), ("rita", "reviewer"), ("alex", "approver"), ("cora", "counsel"), ("otto", "auditor"),
)
PASSPHRASE_FILE = "DEMO-PASSPHRASES.txt"


def demo_passphrase(name: str) -> str:
    return f"demo-{name}-passphrase"


@dataclass(frozen=True)
class DemoResult:
    passphrase_file: Path
    request_ids: list[str]
    records: int
    orders: int
    recovery_code: str
    notice: str | None


def create_demo_store(path: Path, *, taxpayers: int = DEFAULT_TAXPAYERS, bulk_subjects: int = DEFAULT_BULK_SUBJECTS,
                      seed: int = DEFAULT_SEED, progress: bool = False, today: date | None = None) -> DemoResult:
    """A demo store dated from ``today`` (default: the clock's today): the requests, orders, consents and
    tax years keep the same relations to that day whenever the demo is made, and the demo requests are
    evaluated as of that day.

    The store is built, with its input files, in a private folder beside ``path`` (demo_scratch.py) and
    renamed to ``path`` only when whole, DEMO-PASSPHRASES.txt in it: a build that is killed leaves no store
    and no input file behind."""
    from .demo import generate

    today = today or clocks.today()
    if Workstation(path).exists():
        raise StoreError(f"{path} already holds a store; 'dws demo' fills a new one (choose another --store)")
    _check_free(path)
    with demo_scratch.build_folder(path) as build:
        manifest = generate(build.inputs, taxpayers=taxpayers, bulk_subjects=bulk_subjects, seed=seed, today=today)
        ws = Workstation(build.store)
        session, code, notice = ws.init("admin", demo_passphrase("admin"))
        with session:
            for name, role in DEMO_USERS[1:]:
                session.add_user(name, role, demo_passphrase(name))
            for agency in manifest.agencies:
                session.import_agency(agency)
            records = session.import_records(manifest.records_csv, _progress("records", progress)).rows
        with ws.unlock("cora", demo_passphrase("cora")) as counsel:
            for order in manifest.orders:
                counsel.import_order(order)
        with ws.unlock("rita", demo_passphrase("rita")) as reviewer:
            ids = [reviewer.import_request(r.path).ident or r.request_id for r in manifest.requests]
            _after_import(reviewer, today)
        shutil.rmtree(build.inputs)
        lines = ["# Demo store only: synthetic data, well-known passphrases. Never use for real taxpayer data."]
        lines += [f"{name}\t{role}\t{demo_passphrase(name)}" for name, role in DEMO_USERS]
        atomic_write(build.store / PASSPHRASE_FILE, ("\n".join(lines) + "\n").encode("utf-8"))
        _move_into_place(build.store, path)
    return DemoResult(path / PASSPHRASE_FILE, ids, records, len(manifest.orders), code, notice)


def _check_free(path: Path) -> None:
    """The demo goes to a new folder or an empty one."""
    if (path.is_dir() and any(path.iterdir())) or (path.exists() and not path.is_dir()):
        raise StoreError(f"{path} exists and is not an empty folder; 'dws demo' fills a new one "
                         "(choose another --store, or move that folder away)")


def _move_into_place(built: Path, path: Path) -> None:
    try:
        os.rename(built, path)               # over an empty folder too (POSIX)
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise StoreError(f"{path} was filled by something else while the demo was built; nothing was "
                             "changed there (choose another --store)") from None
        raise
    fsync_dir(path.parent)


class DemoState(enum.Enum):
    MISSING = "missing"             # no store: make one
    DEMO = "demo"                   # a whole demo store
    INCOMPLETE_DEMO = "incomplete"  # a demo store whose making was killed (by an older version: no passphrase file)
    OTHER_STORE = "other"           # a store, not a demo one
    NOT_A_STORE = "not-a-store"     # files, but no store that can be opened


def demo_state(path: Path) -> DemoState:
    """What is at ``path``, for `dws demo --if-missing`. A store without DEMO-PASSPHRASES.txt is an incomplete
    demo only if the demo admin's published passphrase opens it (read from its keyslot: no unlock is counted
    or logged, nothing in the folder changes)."""
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        return DemoState.MISSING
    if not Workstation(path).exists():
        return DemoState.NOT_A_STORE
    if (path / PASSPHRASE_FILE).is_file():
        return DemoState.DEMO
    return DemoState.INCOMPLETE_DEMO if _opens_with_demo_admin(path) else DemoState.OTHER_STORE


def _opens_with_demo_admin(path: Path) -> bool:
    from .keys import device
    from .keys.keyslots import Keyslots

    try:
        slots = Keyslots.load(path / "keyslots.json")
        secret = device.load(slots.store_id) if slots.device_binding else None
        if slots.device_binding and secret is None:
            return False
        stretched = slots.stretch("admin", demo_passphrase("admin"))
        return stretched is not None and slots.open_user("admin", stretched, secret) is not None
    except (StoreError, OSError, ValueError, KeyError, TypeError):
        return False


def remove_incomplete_demo(path: Path) -> None:
    """Remove a store that ``demo_state`` found to be an incomplete demo (synthetic data only)."""
    if demo_state(path) is not DemoState.INCOMPLETE_DEMO:
        raise StoreError(f"{path} is not an incomplete demo store; it was left as it is")
    shutil.rmtree(path)


def _after_import(session: Session, today: date) -> None:
    """Evaluate every demo request as of the demo's day, so the queue opens with recommendations."""
    for row in session.queue():
        session.evaluate(row.request_id, today)


def _progress(unit: str, enabled: bool) -> Callable[[int, int | None], None] | None:
    if not enabled:
        return None

    def show(done: int, total: int | None) -> None:
        if done % 100_000 < 20_000:
            sys.stderr.write(f"\r  {done:,} {unit}")
            sys.stderr.flush()

    return show

"""`dws demo`: a new store with demo users, filled through the real importers from generated files."""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import clock as clocks
from .errors import StoreError
from .fsutil import atomic_write
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


def create_demo_store(path: Path, *, taxpayers: int = 2000, bulk_subjects: int = 5000, seed: int = 1,
                      progress: bool = False, today: date | None = None) -> DemoResult:
    """A demo store dated from ``today`` (default: the clock's today): the requests, orders, consents and
    tax years keep the same relations to that day whenever the demo is made, and the demo requests are
    evaluated as of that day."""
    from .demo import generate

    today = today or clocks.today()
    ws = Workstation(path)
    if ws.exists():
        raise StoreError(f"{path} already holds a store; 'dws demo' fills a new one (choose another --store)")
    work = Path(tempfile.mkdtemp(prefix="dws-demo-"))
    try:
        manifest = generate(work, taxpayers=taxpayers, bulk_subjects=bulk_subjects, seed=seed, today=today)
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
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["# Demo store only: synthetic data, well-known passphrases. Never use for real taxpayer data."]
    lines += [f"{name}\t{role}\t{demo_passphrase(name)}" for name, role in DEMO_USERS]
    pw_file = path / PASSPHRASE_FILE
    atomic_write(pw_file, ("\n".join(lines) + "\n").encode("utf-8"))
    return DemoResult(pw_file, ids, records, len(manifest.orders), code, notice)


def _after_import(session: Session, today: date) -> None:
    """Evaluate every demo request as of the demo's day, so the queue opens with recommendations."""
    for row in session.queue():
        session.evaluate(row.request_id, today)


def _progress(unit: str, enabled: bool):  # -> Progress | None
    if not enabled:
        return None

    def show(done: int, total: int | None) -> None:
        if done % 100_000 < 20_000:
            sys.stderr.write(f"\r  {done:,} {unit}")
            sys.stderr.flush()

    return show

"""Faults (issue 13): a full disk during an import, an evaluation and a letter; a read-only store; an I/O error;
two processes writing at once; a damaged database file or a truncated WAL. Each gives one clear `dws: ...`
message and exit 1, waits or refuses as a user expects, and leaves the store as it was (row counts and audit
log, `dws verify` exits 0) — a damaged file is reported as damaged, never as a wrong passphrase.

The small disks are tmpfs mounts (root only; skipped with the reason otherwise)."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelp import Cli, run_dws
from letterdata import ADMIN_PW, AS_OF, OFFICE, REQUESTS, build_store, decide, passphrase

from workstation.errors import StoreError, os_error
from workstation.service import Workstation
from workstation.store import auditlog, db

RITA = {"DWS_USER": "rita", "DWS_PASSPHRASE": passphrase("rita")}
EVALUATED = "LTR-DENY-SUBJECTS"      # evaluated, not decided: may be evaluated again
DECIDED = "LTR-PARTIAL"              # decided and approved, no letter yet


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("faults")
    build_store(root / "store", root / "work")
    with Workstation(root / "store").unlock("admin", ADMIN_PW) as admin:
        for key, value in OFFICE.items():
            admin.change_setting(key, value)
    decide(root / "store", DECIDED, "partial", approve=True)
    new = dict(REQUESTS["LTR-FOIA"], request_id="FAULT-NEW")
    (root / "new_request.json").write_text(json.dumps(new), encoding="utf-8")
    return root / "store"


@pytest.fixture(scope="module")
def big_records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 3.5 MB of records (23,590 rows): more than a 4 MB disk holding the store can take."""
    from workstation.demo.taxpayers import TaxpayerFactory, write_records

    path = tmp_path_factory.mktemp("records") / "records.csv"
    write_records(path, TaxpayerFactory(7, AS_OF), 8000, workers=1)
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "store")
    return tmp_path / "store"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("a small disk is a tmpfs mount, which needs root")
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()})")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def snapshot(store: Path) -> tuple[dict[str, int], list[tuple[str, str | None]]]:
    """Every table's row count and the audit log (without the unlock entries every command adds)."""
    with Workstation(store).unlock("otto", passphrase("otto")) as s:
        tables = [r[0] for r in s.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: s.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        log = [(e.event, e.object) for e in auditlog.entries(s.conn) if e.event != "unlock"]
    counts.pop("audit_log", None)
    counts.pop("log_tree", None)       # the log's tree grows with the unlock entries too (a tile every 16 entries)
    return counts, log


def unlocks(store: Path) -> int:
    with Workstation(store).unlock("otto", passphrase("otto")) as s:
        return sum(e.event == "unlock" for e in auditlog.entries(s.conn))


def verify_ok(store: Path) -> None:
    r = run_dws(store, "verify", env={"DWS_USER": "otto", "DWS_PASSPHRASE": passphrase("otto")})
    assert r.code == 0, r.err


def one_message(err: str) -> str:
    """The one error message (a note about the witness folder, said once when it is made, may stand beside it)."""
    lines = [line for line in err.strip().splitlines() if not line.startswith("dws: note: ")]
    assert len(lines) == 1 and lines[0].startswith("dws: "), err
    assert "Traceback" not in err and "internal error" not in err
    return lines[0]


def fill(disk: Path, leave: int) -> None:
    """Leave about `leave` bytes free on the disk."""
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as f:
        f.write(b"\0" * max(0, free - leave))


# -- a full disk -------------------------------------------------------------------------------------------

def test_disk_full_during_a_records_import(store: Path, small_disk: Path, big_records: Path) -> None:
    shutil.copytree(store, small_disk / "store")
    before = snapshot(small_disk / "store")
    r = run_dws(small_disk / "store", "import", "records", str(big_records), env=RITA)
    assert r.code == 1
    assert "disk holding the store is full" in one_message(r.err)
    assert snapshot(small_disk / "store") == before
    verify_ok(small_disk / "store")


@pytest.mark.parametrize("command", [("evaluate", EVALUATED, "--as-of", AS_OF.isoformat()),
                                     ("letter", DECIDED, "-o", "OUT")])
def test_disk_full_during_an_evaluation_or_a_letter(store: Path, small_disk: Path, tmp_path: Path,
                                                    command: tuple[str, ...], capsys, monkeypatch) -> None:
    """Free space from a few pages up: every run either completes or refuses with one message and no change;
    at least one refusal comes from the operation itself (its unlock was committed)."""
    args = tuple(str(tmp_path / "letter.pdf") if a == "OUT" else a for a in command)
    failed_in_operation = 0
    for pages in (1, 4, 8, 16, 32, 64):
        disk_store = small_disk / "store"
        shutil.rmtree(disk_store, ignore_errors=True)
        (small_disk / "filler").unlink(missing_ok=True)
        shutil.copytree(store, disk_store)
        before, opened = snapshot(disk_store), unlocks(disk_store)
        fill(small_disk, pages * 4096)
        r = Cli(disk_store, capsys, monkeypatch)(*args, user="rita", passphrase=passphrase("rita"))
        (small_disk / "filler").unlink()
        if r.code == 0:
            continue
        assert r.code == 1 and "full" in one_message(r.err), r.err
        assert snapshot(disk_store) == before
        failed_in_operation += unlocks(disk_store) > opened + 1
        verify_ok(disk_store)
    assert failed_in_operation, "no run failed inside the operation: adjust the free space tried"


# -- a read-only store, an I/O error ----------------------------------------------------------------------

def test_read_only_store_refuses_with_one_message(store: Path, small_disk: Path, template: Path) -> None:
    shutil.copytree(store, small_disk / "store")
    before = snapshot(small_disk / "store")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        for args in (("list",), ("import", "request", str(template.parent / "new_request.json")),
                     ("evaluate", EVALUATED)):
            r = run_dws(small_disk / "store", *args, env=RITA)
            assert r.code == 1 and "cannot be written" in one_message(r.err), (args, r.err)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert snapshot(small_disk / "store") == before
    verify_ok(small_disk / "store")


def test_letter_file_on_a_read_only_disk_says_the_letter_is_kept(store: Path, small_disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    r = run_dws(store, "letter", DECIDED, "-o", str(small_disk / "letter.pdf"), env=RITA)
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    message = one_message(r.err)
    assert r.code == 1 and "cannot be written" in message and "is issued and kept in the store" in message
    r = run_dws(store, "letter", DECIDED, "-o", str(small_disk / "letter.pdf"), env=RITA)
    assert r.code == 0 and (small_disk / "letter.pdf").exists()
    verify_ok(store)


@pytest.mark.parametrize(("code", "words"), [(10, "input/output error"), (778, "input/output error"),
                                             (13, "disk holding the store is full"), (5, "busy"),
                                             (8, "cannot be written"), (11, "damaged"), (26, "damaged")])
def test_every_database_error_has_a_clear_message(code: int, words: str) -> None:
    exc = db.DatabaseError("text that might quote a value 123-45-6789")
    exc.sqlite_errorcode = code            # type: ignore[attr-defined]
    message = str(db.store_error(exc))
    assert words in message and "123-45-6789" not in message


def test_an_io_error_names_the_file_and_what_to_do() -> None:
    message = str(os_error(OSError(errno.EIO, "Input/output error", "/store/store.db")))
    assert message.startswith("/store/store.db: an input/output error") and "backup" in message


# -- two processes at once ---------------------------------------------------------------------------------

def test_a_write_waits_for_another_process_then_lands(store: Path, template: Path) -> None:
    """The window (a Session) holds a write for 1.5 s; `dws import request` waits for it, then imports."""
    holder = Workstation(store).unlock("rita", passphrase("rita"))
    try:
        with db.transaction(holder.conn):
            proc = subprocess.Popen([sys.executable, "-m", "workstation.cli.main", "import", "request",
                                     str(template.parent / "new_request.json")],
                                    env=dict(os.environ, DWS_STORE=str(store), **RITA), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(1.5)
        _out, err = proc.communicate(timeout=60)
    finally:
        holder.close()
    assert proc.returncode == 0, err
    verify_ok(store)


def test_a_write_refuses_when_the_store_stays_busy(store: Path, template: Path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 300)
    before = snapshot(store)
    holder = Workstation(store).unlock("rita", passphrase("rita"))
    try:
        with db.transaction(holder.conn):
            r = Cli(store, capsys, monkeypatch)("import", "request", str(template.parent / "new_request.json"),
                                                user="rita", passphrase=passphrase("rita"))
    finally:
        holder.close()
    assert r.code == 1 and "the store is busy" in one_message(r.err)
    assert snapshot(store) == before
    verify_ok(store)


def test_a_records_import_and_a_session_write_at_the_same_moment(store: Path, template: Path,
                                                                 big_records: Path) -> None:
    """`dws import records` runs while a Session imports a request: the Session waits (or, past the busy
    timeout, refuses with the busy message); both changes land whole."""
    proc = subprocess.Popen([sys.executable, "-m", "workstation.cli.main", "import", "records", str(big_records)],
                            env=dict(os.environ, DWS_STORE=str(store), **RITA), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        with Workstation(store).unlock("rita", passphrase("rita")) as s:
            try:
                s.import_request(template.parent / "new_request.json")
            except StoreError as exc:
                assert "the store is busy" in str(exc)
                s.import_request(template.parent / "new_request.json")
    finally:
        _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    counts, log = snapshot(store)
    assert counts["taxpayer_records"] > 23_000 and ("request-imported", "FAULT-NEW") in log
    verify_ok(store)


# -- a damaged file ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", [0.0, 0.25, 0.5, 0.75, 0.999])
def test_a_flipped_byte_in_a_page_is_damage_not_a_wrong_passphrase(store: Path, where: float) -> None:
    path = store / "store.db"
    data = bytearray(path.read_bytes())
    data[int(len(data) * where) + 200] ^= 0x10
    path.write_bytes(bytes(data))
    r = run_dws(store, "verify", env=RITA)
    message = one_message(r.err)
    assert r.code == 1 and "damaged" in message and "backup" in message and "dws recover" in message
    assert "wrong passphrase" not in message


def test_a_truncated_wal_loses_at_most_the_last_change(store: Path, template: Path, tmp_path: Path) -> None:
    """A WAL cut short (a crash while writing it) opens; the change in its last frames is wholly there or
    wholly absent, and `dws verify` exits 0."""
    copy = tmp_path / "copy"
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        s.import_request(template.parent / "new_request.json")
        copy.mkdir(mode=0o700)
        for name in ("keyslots.json", "store.db", "store.db-wal"):
            shutil.copy2(store / name, copy / name)
    wal = copy / "store.db-wal"
    assert wal.stat().st_size > 10_000
    with open(wal, "r+b") as f:
        f.truncate(wal.stat().st_size - 3000)
    r = run_dws(copy, "list", env=RITA)
    assert r.code == 0, r.err
    _counts, log = snapshot(copy)
    if ("request-imported", "FAULT-NEW") in log:
        assert "FAULT-NEW" in r.out
    verify_ok(copy)

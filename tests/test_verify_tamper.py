"""`dws verify` detects every kind of tampering with the log and the decisions (exit status 3)."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from clihelp import Cli

from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Session, Workstation


@pytest.fixture(scope="module")
def decided_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store with one approved decision."""
    path = tmp_path_factory.mktemp("tamper") / "store"
    os.environ["DWS_NO_KEYRING"] = "1"
    create_demo_store(path, taxpayers=1000, bulk_subjects=120, seed=5)
    ws = Workstation(path)
    with ws.unlock("rita", demo_passphrase("rita")) as s:
        s.decide("DEMO-I2-PARTIAL", "partial", None, demo_passphrase("rita"))
    with ws.unlock("alex", demo_passphrase("alex")) as s:
        s.approve("DEMO-I2-PARTIAL", demo_passphrase("alex"))
    return path


@pytest.fixture
def cli(decided_template: Path, tmp_path: Path, capsys, monkeypatch) -> Cli:
    store = tmp_path / "store"
    shutil.copytree(decided_template, store)
    return Cli(store, capsys, monkeypatch)


def tamper(store: Path, change: Callable[[Session], None]) -> None:
    with Workstation(store).unlock("admin", demo_passphrase("admin")) as s:
        change(s)


def verify(cli: Cli) -> tuple[int, dict]:
    r = cli("verify", "--json", user="otto", passphrase=demo_passphrase("otto"))
    return r.code, json.loads(r.out)


def test_an_untouched_store_verifies(cli: Cli) -> None:
    code, report = verify(cli)
    assert code == 0 and report["ok"] and report["signatures"] == 2 and report["decisions"] == 1
    r = cli("verify", user="otto", passphrase=demo_passphrase("otto"))
    assert r.code == 0 and "OK: the chain is whole" in r.out


def swap(s: Session, a: int, b: int) -> None:
    cols = "ts, user, event, object, detail, prev_hash, hash"
    ra = s.conn.execute(f"SELECT {cols} FROM audit_log WHERE seq = ?", (a,)).fetchone()
    rb = s.conn.execute(f"SELECT {cols} FROM audit_log WHERE seq = ?", (b,)).fetchone()
    sets = ", ".join(f"{c.strip()} = ?" for c in cols.split(","))
    s.conn.execute(f"UPDATE audit_log SET {sets} WHERE seq = ?", (*rb, a))
    s.conn.execute(f"UPDATE audit_log SET {sets} WHERE seq = ?", (*ra, b))


def other_users_signature(s: Session) -> None:
    with Workstation(s.path).unlock("otto", demo_passphrase("otto")) as otto:
        signer = otto.signer(demo_passphrase("otto"))
    doc = s.conn.execute("SELECT document FROM decisions").fetchone()[0]
    with signer:
        s.conn.execute("UPDATE decisions SET preparer_sig = ?, preparer_key = ?", (signer.sign(doc),
                                                                                   signer.public_key))


CASES: dict[str, tuple[Callable[[Session], None], str, int | None]] = {
    "change a byte of an entry": (
        lambda s: s.conn.execute("UPDATE audit_log SET detail = replace(detail, '\"role\"', '\"rolE\"') WHERE seq = 2"),
        "entry 2 was altered", 2),
    "delete an entry": (lambda s: s.conn.execute("DELETE FROM audit_log WHERE seq = 5"), "entry 5 is missing", 5),
    "swap two entries": (lambda s: swap(s, 6, 7), "entry 6 does not chain", 6),
    "append an entry that does not chain": (
        lambda s: s.conn.execute("INSERT INTO audit_log (seq, ts, user, event, object, detail, prev_hash, hash) "
                                 "SELECT max(seq) + 1, '2026-01-01T00:00:00.000Z', 'admin', 'unlock', NULL, '{}', "
                                 "'" + "ab" * 32 + "', '" + "cd" * 32 + "' FROM audit_log"),
        "does not chain", None),
    "change a decision's outcome": (lambda s: s.conn.execute("UPDATE decisions SET outcome = 'grant'"),
                                    "differs from the signed document", None),
    "change the signed document": (
        lambda s: s.conn.execute("UPDATE decisions SET document = CAST(replace(CAST(document AS TEXT), "
                                 "'\"outcome\":\"partial\"', '\"outcome\":\"grant\"') AS BLOB), outcome = 'grant'"),
        "signature (rita) does not verify", None),
    "replace a signature with another user's": (other_users_signature, "is not a key enrolled for rita", None),
    "remove the approval's log entry": (
        lambda s: s.conn.execute("UPDATE audit_log SET event = 'unlock' WHERE event = 'decision-approved'"),
        "altered", None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_tampering_is_detected_with_exit_3(cli: Cli, case: str) -> None:
    change, message, first_bad = CASES[case]
    tamper(cli.store, change)
    code, report = verify(cli)
    assert code == 3 and not report["ok"]
    assert any(message in problem for problem in report["problems"]), report["problems"]
    if first_bad is not None:
        assert report["first_bad_entry"] == first_bad
    r = cli("verify", user="otto", passphrase=demo_passphrase("otto"))
    assert r.code == 3 and "TAMPERING" in r.out and "verification found tampering" in r.err

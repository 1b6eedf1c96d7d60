"""A request evaluated on worker processes gives exactly what one process gives."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Workstation
from workstation.store import db
from workstation.store import evaluation as ev


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parallel") / "store"
    os.environ["DWS_NO_KEYRING"] = "1"
    create_demo_store(path, taxpayers=1500, bulk_subjects=900, seed=11)
    return path


def evaluate(store: Path, request_id: str, monkeypatch: pytest.MonkeyPatch, workers: int) -> tuple[dict, list]:
    monkeypatch.setenv("DWS_EVAL_WORKERS", str(workers))
    monkeypatch.setenv("DWS_EVAL_PARALLEL_MIN", "1")
    with Workstation(store).unlock("rita", demo_passphrase("rita")) as s:
        with db.transaction(s.conn):
            ev.bump_data_version(s.conn)          # force a fresh evaluation
        doc = s.evaluate(request_id)
        rows = s.conn.execute("SELECT seq, ref, status, matched, findings, released, withheld FROM subject_results "
                              "WHERE rid = (SELECT rid FROM requests WHERE request_id = ?) ORDER BY seq",
                              (request_id,)).fetchall()
    return doc, rows


@pytest.mark.parametrize("request_id", ["DEMO-I2-BULK", "DEMO-I2-PARTIAL", "DEMO-I2-MATCH"])
def test_workers_and_one_process_agree(demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       request_id: str) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo, store)
    one, rows_one = evaluate(store, request_id, monkeypatch, 1)
    two, rows_two = evaluate(store, request_id, monkeypatch, 2)
    assert rows_two == rows_one and len(rows_one) == one["counts"]["subjects"]
    for key in ("recommendation", "needs_review", "counts", "code_counts", "plan_hash", "request_findings"):
        assert two[key] == one[key], key

"""Build folders made side by side with other processes' sweeps (the office's evaluations share one scratch
folder: eight desktops evaluating at once sweep each other's parent all the time)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from workstation import demo_scratch

ROUNDS = 300


def test_a_sweep_never_removes_or_blocks_a_build_folder_being_made(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_scratch, "_start_cleaner", lambda _root: None)    # the race is the sweep's alone
    target = tmp_path / "evaluation"
    failures: list[str] = []
    done = threading.Event()

    def build() -> None:
        try:
            for _ in range(ROUNDS):
                with demo_scratch.build_folder(target) as folder:
                    folder.store.mkdir(mode=0o700)          # what the office's working copy does first
                    (folder.store / "db").write_bytes(b"x")
        except Exception as exc:                            # reported below, with its kind
            failures.append(f"{type(exc).__name__}: {exc}")

    def sweep() -> None:
        while not done.is_set():
            demo_scratch.sweep(tmp_path)

    sweepers = [threading.Thread(target=sweep) for _ in range(2)]
    builders = [threading.Thread(target=build) for _ in range(3)]
    for t in sweepers + builders:
        t.start()
    for t in builders:
        t.join()
    done.set()
    for t in sweepers:
        t.join()
    assert failures == []
    assert [p.name for p in tmp_path.iterdir()] == []


def test_a_folder_whose_owner_is_gone_is_still_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo_scratch, "_start_cleaner", lambda _root: None)
    left = tmp_path / f".evaluation{demo_scratch.MARK}999999999-abc"
    left.mkdir()
    (left / demo_scratch.OWNER).write_bytes(b"")                # an owner file nobody holds a lock on
    with demo_scratch.build_folder(tmp_path / "evaluation") as folder:
        assert folder.root.exists()
        assert not left.exists()

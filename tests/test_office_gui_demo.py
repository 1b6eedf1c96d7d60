"""`make office-demo` (issue 19 item 6): the make target's own commands make an office on this machine with the
demo's users, records and requests, then open the desktop application on its profile (here offscreen, quitting
by itself: GUI_ARGS="--quit-after ..."); with CI set no window opens and the line that opens one is printed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelp import run_dws
from conftest import pg_unavailable

from workstation.office.cluster import Cluster, bindir

ROOT = Path(__file__).resolve().parents[1]


def make_office_demo(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """`make office-demo` with this interpreter's venv (BIN), its set-up step taken as done."""
    full = {k: v for k, v in os.environ.items() if k not in ("CI", "DISPLAY", "WAYLAND_DISPLAY")}
    full.update({"OFFICE_DEMO": str(folder), **env})
    return subprocess.run(["make", "-s", "--no-print-directory", "-o", ".venv/.installed", "office-demo",
                           f"BIN={Path(sys.executable).parent}", "GUI_ARGS=--quit-after 2"], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    if bindir() is None or shutil.which("make") is None:
        pg_unavailable("PostgreSQL (or make) is not installed")
    folder = tmp_path / "office-demo"
    yield folder
    state = folder / "cluster.json"
    if state.is_file():
        run_dws(tmp_path / "unused", "office", "stop", str(folder))
        shutil.rmtree(Path(json.loads(state.read_text())["cluster"]), ignore_errors=True)


def test_make_office_demo_makes_the_office_and_opens_the_application_on_it(folder: Path) -> None:
    done = make_office_demo(folder, QT_QPA_PLATFORM="offscreen")
    assert done.returncode == 0, done.stderr
    assert "Made a new office on 127.0.0.1:" in done.stdout
    assert "28 demo requests in the queue, imported by the preparer" in done.stdout
    assert "No window here" not in done.stdout
    assert "Traceback" not in done.stderr and "disclosure-workstation:" not in done.stderr
    assert (folder / "office.json").is_file()

    again = make_office_demo(folder, CI="true")          # CI: the office again (running), no window
    assert again.returncode == 0, again.stderr
    assert "The office is running on 127.0.0.1:" in again.stdout
    assert again.stdout.strip().endswith(f"No window here (CI, or no display). Open the office with: "
                                         f"{Path(sys.executable).parent}/dws --store {folder}/office.json gui")
    assert Cluster.at(Path(json.loads((folder / "cluster.json").read_text())["cluster"])).running()

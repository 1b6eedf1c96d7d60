"""Screenshots of the real application windows under Xvfb (not offscreen rendering).

    Xvfb :77 -screen 0 1400x900x24 &
    DISPLAY=:77 .venv/bin/python docs/screenshots/capture.py --store /tmp/dws-shots [--suffix @2x] [--only NAME]

(for 200 %: a 2800x1800 screen and QT_SCALE_FACTOR=2). The store is a demo store (`dws demo`, made here
if missing); for the letter preview, the partial grant DEMO-I2-PARTIAL is signed by rita and approved by
alex through the service first (if it is not yet), and the letter is issued in the window. Each picture is
taken with ImageMagick's `import -window root`; `--only` writes just the named ones.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DWS_NO_KEYRING", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from ui.app import DesktopApp, prepare_process
from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Workstation

HERE = Path(__file__).resolve().parent


def settle(app: QApplication, until: Callable[[], bool] = lambda: True, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    end = time.monotonic() + 0.6                # let the window system draw
    while time.monotonic() < end:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)


LETTER_REQUEST = "DEMO-I2-PARTIAL"


def approve_partial_grant(store: Workstation) -> None:
    """Sign (rita) and approve (alex) a partial grant of LETTER_REQUEST, unless that is done already."""
    with store.unlock("rita", demo_passphrase("rita")) as reviewer:
        if reviewer.decision(LETTER_REQUEST) is None:
            reviewer.decide(LETTER_REQUEST, "partial", None, demo_passphrase("rita"))
    with store.unlock("alex", demo_passphrase("alex")) as approver:
        decision = approver.decision(LETTER_REQUEST)
        if decision is not None and decision.status != "approved":
            approver.approve(LETTER_REQUEST, demo_passphrase("alex"))


def shoot(app: QApplication, name: str, suffix: str, only: list[str] | None = None) -> None:
    settle(app)
    if only and name not in only:
        return
    target = HERE / f"{name}{suffix}.png"
    subprocess.run(["import", "-window", "root", str(target)], check=True)
    print(f"wrote {target}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--suffix", default="")
    parser.add_argument("--only", action="append", metavar="NAME", help="write only this picture (repeatable)")
    args = parser.parse_args()
    if not (args.store / "keyslots.json").exists():
        create_demo_store(args.store, taxpayers=2000, bulk_subjects=5000)
    approve_partial_grant(Workstation(args.store))
    app = QApplication([sys.argv[0]])
    prepare_process()
    desktop = DesktopApp(Workstation(args.store))
    desktop.start()
    dialog = desktop.unlock_dialog
    dialog.move(200, 150)
    dialog._ack.setChecked(True)
    dialog._user.setText("rita")
    dialog._passphrase.setText(demo_passphrase("rita"))
    shoot(app, "unlock", args.suffix, args.only)
    dialog.on_unlock_clicked()
    settle(app, lambda: desktop.window is not None and desktop.window.queue.model.rowCount() > 0)
    window = desktop.window
    assert window is not None
    window.move(0, 0)
    screen = app.primaryScreen().availableGeometry()
    window.resize(screen.width(), screen.height())
    window.queue.select("DEMO-I2-BULK")
    shoot(app, "queue", args.suffix, args.only)
    window.open_request("DEMO-I2-BULK")
    settle(app, lambda: window.request.request_id == "DEMO-I2-BULK" and not desktop.db.busy, 120)
    window.show_tab(window.request.checks)
    settle(app, lambda: not desktop.db.busy and window.request.checks.subject_findings.rowCount() > 0)
    shoot(app, "checks-bulk", args.suffix, args.only)
    window.open_request("DEMO-I2-ITEMS")
    settle(app, lambda: window.request.request_id == "DEMO-I2-ITEMS" and not desktop.db.busy)
    window.show_tab(window.request.preview)
    settle(app, lambda: window.request.preview.fields.rowCount() > 0 and not desktop.db.busy)
    shoot(app, "redaction-preview", args.suffix, args.only)
    window.open_request(LETTER_REQUEST)
    settle(app, lambda: window.request.request_id == LETTER_REQUEST and not desktop.db.busy)
    letter = window.request.letter
    window.show_tab(letter)
    settle(app, lambda: not desktop.db.busy)
    if letter.pdf is None:
        letter.on_issue_clicked()
    settle(app, lambda: letter.pdf is not None and not desktop.db.busy)
    shoot(app, "letter-preview", args.suffix, args.only)
    assert desktop.lock is not None
    desktop.lock.lock()
    desktop.lock.screen.move(300, 250)
    shoot(app, "lock", args.suffix, args.only)
    desktop.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

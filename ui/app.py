"""Composition root of the desktop application: parse arguments, build the objects once, run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog

from workstation.fsutil import private_umask
from workstation.paths import resolve_store
from workstation.service import Workstation

from .main_window import MainWindow
from .unlock_dialog import UnlockDialog


def main(argv: Sequence[str] | None = None) -> int:
    private_umask()
    parser = argparse.ArgumentParser(prog="disclosure-workstation")
    parser.add_argument("--store", metavar="DIR")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    store = resolve_store(args.store)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Disclosure Workstation")
    workstation = Workstation(Path(store))
    dialog = UnlockDialog(workstation)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.session is None:
        return 0
    window = MainWindow(dialog.session)
    window.show()
    rc = app.exec()
    dialog.session.close()
    return rc


if __name__ == "__main__":
    sys.exit(main())

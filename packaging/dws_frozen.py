"""Entry point of the frozen application (``make bundle``, packaging/dws.spec): one executable, ``dws``, is the
command line and, as ``dws gui``, the desktop application.

Three things only a frozen program needs:

* ``multiprocessing.freeze_support()``: evaluation workers are ``multiprocessing`` "spawn" processes
  (workstation/service/evaluation.py) started as this program with multiprocessing's own arguments, and
  the resource tracker likewise; this hands them to multiprocessing instead of the command line.
* ``dws -m workstation.demo.worker SPEC``: the demo generator starts its worker processes as
  ``sys.executable -m workstation.demo.worker`` (workstation/demo/parallel.py). In the frozen application
  ``sys.executable`` is this program, so it does what ``python -m`` would, for that module only; likewise
  ``dws -m workstation.demo_scratch FOLDER``, the cleaner that removes a killed demo build's folder.
* ``DWS_STARTUP_PROBE=SECONDS`` (packaging smoke test only): the GUI reports on stderr when its first window
  is shown (``dws-startup-probe: first window ...``), then imports every ``ui`` module (so a Qt module or
  file missing from the bundle shows up although the test never unlocks), and quits cleanly SECONDS later:
  the test can time the start and see a clean exit without a display.
"""

from __future__ import annotations

import os
import sys
import time

_STARTED = time.perf_counter()
_MODULES = {"workstation.demo.worker", "workstation.demo_scratch"}     # the only modules `dws -m` runs


def _prepare_qt() -> None:
    """Register the embedded qt.conf that relocates Qt into this folder (what PyInstaller's own run-time hook
    does at every start; hooks/rthooks/pyi_rth_pyside6_lazy.py leaves it for here, the GUI's start)."""
    try:
        from _pyi_rth_utils import qt as qt_rth_utils
    except ImportError:          # not frozen
        return
    qt_rth_utils.create_embedded_qt_conf("PySide6", os.path.join(sys._MEIPASS, "PySide6", "Qt"))


def _startup_probe(seconds: float) -> None:
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication.instance() or QApplication([sys.argv[0]])

    class Probe(QObject):
        shown = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if not self.shown and event.type() == QEvent.Type.Show and isinstance(obj, QWidget) and obj.isWindow():
                self.shown = True
                print(f"dws-startup-probe: first window {type(obj).__name__} shown "
                      f"{time.perf_counter() - _STARTED:.3f} s after the interpreter started", file=sys.stderr,
                      flush=True)
                QTimer.singleShot(0, self.import_ui)
                QTimer.singleShot(int(seconds * 1000), app.quit)
            return False

        def import_ui(self) -> None:
            import importlib
            import pkgutil

            import ui

            names = sorted(m.name for m in pkgutil.iter_modules(ui.__path__))
            for name in names:
                importlib.import_module(f"ui.{name}")
            print(f"dws-startup-probe: imported {len(names)} ui modules", file=sys.stderr, flush=True)

    probe = Probe(app)
    app.installEventFilter(probe)


def main() -> int:
    import multiprocessing

    multiprocessing.freeze_support()          # a spawned worker or resource tracker runs here and exits
    argv = sys.argv[1:]
    if len(argv) >= 2 and argv[0] == "-m":
        if argv[1] not in _MODULES:
            print(f"dws: -m {argv[1]}: this program runs only {', '.join(sorted(_MODULES))}", file=sys.stderr)
            return 2
        import runpy

        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    if "gui" in argv:
        _prepare_qt()
        probe = os.environ.pop("DWS_STARTUP_PROBE", None)
        if probe:
            _startup_probe(float(probe))
    from workstation.cli.main import main as dws_main

    return dws_main(argv)


if __name__ == "__main__":
    sys.exit(main())

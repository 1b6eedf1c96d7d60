"""A guard against a reference-counting bug of PySide6 6.12.0 on CPython 3.11.

There, every call of a Python slot from Qt drops one reference to None, and every `Signal.emit()` from Python
drops one reference to True. On CPython 3.12+ these singletons are immortal and nothing happens; on 3.11
the interpreter aborts ("deallocating None") after a few thousand slot calls — within seconds of real use.

`apply()` detects the bug with one probe signal and, only then, gives None, True and False a reserve of
references so large that no session can use it up: what CPython 3.12 does for them anyway. The right fix is
a PySide6 release without the bug (6.11.3 is fine) or Python 3.12+; this keeps the application alive until
then. It changes nothing where the bug is absent.
"""

from __future__ import annotations

import ctypes
import sys

RESERVE = 1 << 48
_applied = False


def _leaks() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        probed = Signal()

    probe = _Probe()
    probe.probed.connect(lambda: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(4):
        probe.probed.emit()
    leaked = sys.getrefcount(None) < none_before or sys.getrefcount(True) < true_before
    probe.deleteLater()
    return leaked


def _reserve(obj: object) -> bool:
    cell = ctypes.c_ssize_t.from_address(id(obj))
    if cell.value != sys.getrefcount(obj) - 1:      # not the layout we know (a debug build?): leave it alone
        return False
    cell.value += RESERVE
    return True


def apply() -> bool:
    """Guard the process if this PySide6 has the bug. True when the guard was applied (now or before)."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or hasattr(sys, "gettotalrefcount") or not _leaks():
        return False
    _applied = all([_reserve(None), _reserve(True), _reserve(False)])
    return _applied

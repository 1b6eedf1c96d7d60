# Run-time hook for PySide6 in the frozen workstation, replacing PyInstaller's own (hooks/rthooks.dat): the same
# environment for Qt, but without importing PySide6.QtCore at every start. The built-in hook imports it to
# register an embedded qt.conf, which costs ~0.25 s on every `dws` command although only `dws gui` uses Qt;
# packaging/dws_frozen.py registers that qt.conf just before the desktop application starts.


def _pyi_rthook():
    import os
    import sys

    from _pyi_rth_utils import qt as qt_rth_utils

    qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
    qt_path = os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_path, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_path, "qml")


_pyi_rthook()
del _pyi_rthook

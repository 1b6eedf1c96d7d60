"""The core never imports Qt (DESIGN.md: one direction of dependency)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "workstation"


def test_no_core_module_loads_pyside6() -> None:
    modules = sorted(
        "workstation." + ".".join(p.relative_to(CORE).with_suffix("").parts).removesuffix(".__init__")
        for p in CORE.rglob("*.py")
    )
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'ui')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"Qt or ui loaded by the core: {out.stdout.strip()}"
    assert len(modules) > 10


def test_no_core_source_mentions_qt() -> None:
    """Only `dws gui` reaches into `ui`, lazily, to start the application."""
    offenders = [p.name for p in CORE.rglob("*.py") if "PySide6" in p.read_text(encoding="utf-8")]
    launchers = [p.name for p in CORE.rglob("*.py") if "from ui" in p.read_text(encoding="utf-8")]
    assert offenders == []
    assert launchers == ["commands_admin.py"]

"""setuptools: pyproject.toml describes the project; this file only adds, when asked, the evaluation's hot
modules compiled by mypyc (issue 15; workstation/compiled.py names them and says which are loaded compiled).

DWS_MYPYC=1 (packaging/build_wheelhouse.py sets it, so the wheelhouse and the bundle built from it ship them):
each module of `MODULES` becomes a C extension beside its source, sharing one library,
workstation/_compiled__mypyc; the wheel is then a CPython 3.11 wheel for this platform. Otherwise (`make test`,
CI, an editable install, `make wheel`): no extension, the same source runs as plain Python.

Reproducible: the C files, their names and the library's name follow from the sources alone (mypyc, with
PYTHONHASHSEED=0 as every packaging step runs), and no debug information is written, so no path of the build
machine reaches the extensions (tests/test_reproducible.py, `make package-test`).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent


def compiled_modules() -> list[str]:
    """workstation.compiled.MODULES, read from the source (importing the package needs its dependencies)."""
    tree = ast.parse((HERE / "workstation" / "compiled.py").read_text("utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "MODULES":
            assert node.value is not None
            return list(ast.literal_eval(node.value))
    raise SystemExit("workstation/compiled.py names no MODULES")


def ext_modules() -> list[object]:
    if os.environ.get("DWS_MYPYC", "") != "1":
        return []
    from mypyc.build import mypycify  # the build requirement of the compiled build alone (packaging/build.lock)

    paths = [m.replace(".", "/") + ".py" for m in compiled_modules()]
    # The modules they import are read for their types, not checked: the build venv lacks the libraries (and
    # their stubs) that `make lint` checks the rest of the package against.
    return list(mypycify(["--follow-imports=silent", *paths], opt_level="3", debug_level="0",
                         group_name="workstation._compiled"))


setup(ext_modules=ext_modules())

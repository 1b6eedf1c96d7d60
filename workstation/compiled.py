"""The modules of the evaluation's hot path that may run compiled by mypyc (issue 15), which of them this
process runs compiled, and the one mypyc decorator their source needs.

The wheelhouse and the bundle ship `MODULES` compiled (setup.py, with DWS_MYPYC=1, as
packaging/build_wheelhouse.py builds); `make test`, CI, an editable install and a source checkout run the same
source as plain Python. `dws --version` says which. `mypyc_attr` costs nothing at run time and needs no
mypy_extensions installed: only mypy and mypyc read it (a class deriving from a built-in type, such as `list`,
stays a Python class in a compiled module).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.machinery import EXTENSION_SUFFIXES
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr as mypyc_attr
else:
    def mypyc_attr(*_names: Any, **_flags: Any) -> Callable[[T], T]:
        return lambda cls: cls

# Where the evaluation workers spend their Python time (bench/README.md, "mypyc"): the subject checks and their
# normalization, the request checks and the plan, the worker's pass over its ranges and its reads.
MODULES: tuple[str, ...] = (
    "workstation.normalize",
    "workstation.rules.checks_subject",
    "workstation.rules.subjects",
    "workstation.rules.findings",
    "workstation.rules.plan",
    "workstation.rules.subject_counts",
    "workstation.rules.request_context",
    "workstation.rules.checks_scope",
    "workstation.rules.checks_request",
    "workstation.service.subject_pass",
    "workstation.store.evaluation",
)


def is_compiled(module: str) -> bool:
    """Whether `module` loads (or was loaded) from a C extension rather than from its Python source; found
    without importing it."""
    spec = find_spec(module)
    return spec is not None and (spec.origin or "").endswith(tuple(EXTENSION_SUFFIXES))


def compiled() -> list[str]:
    """The modules of `MODULES` that run compiled here (empty: the pure-Python path)."""
    return [m for m in MODULES if is_compiled(m)]


def describe() -> str:
    """One phrase for `dws --version`: "" for pure Python, else how many modules run compiled."""
    done = compiled()
    if not done:
        return ""
    return f"compiled with mypyc: {len(done)} of {len(MODULES)} modules" if len(done) < len(MODULES) else \
        f"compiled with mypyc: {len(done)} modules"

"""The modules of the evaluation's hot path that may run compiled by mypyc (issue 15), and the one mypyc
decorator their source needs.

The wheelhouse and the bundle compile `MODULES` when built with DWS_MYPYC=1 (setup.py); `make test`, CI and an
editable install run the same source as plain Python. `compiled()` names the modules that this process loaded
compiled. The decorator costs nothing at run time and needs no mypy_extensions installed: only mypy and mypyc
read it (a class deriving from a built-in type, such as `list`, stays a Python class in a compiled module).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

T = TypeVar("T")

if TYPE_CHECKING:
    from mypy_extensions import mypyc_attr as mypyc_attr
else:
    def mypyc_attr(*_names: Any, **_flags: Any) -> Callable[[T], T]:
        return lambda cls: cls

# Where the evaluation workers and the importers spend their Python time (bench/README.md, "mypyc").
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
    """Whether `module` is (or would be, when imported) the mypyc-compiled extension rather than its source."""
    loaded = importlib.import_module(module)
    return not (getattr(loaded, "__file__", None) or "").endswith(".py")


def compiled() -> list[str]:
    """The modules of `MODULES` that run compiled in this process (empty: the pure-Python path)."""
    return [m for m in MODULES if is_compiled(m)]

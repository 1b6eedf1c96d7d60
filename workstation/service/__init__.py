"""The one use-case API, used by the CLI and (through the DB worker thread) by the GUI.

`Workstation` locates, creates and unlocks stores; a `Session` is one unlocked store and one user, and
every action goes through it: role checks, one transaction per change, an audit entry for each.

`Session` and `Workstation` are imported on first use: an evaluation's or an import's worker process imports
only its own modules of this package (`subject_pass`, `records_parallel`, ...), not the whole session and what it
brings (the audit log, the signing, the key handling), which it never calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine import StoreEngine
    from .office_desktop import OfficeSession
    from .session import Session, Workstation

    def _both_are_store_engines(local: Session, office: OfficeSession) -> tuple[StoreEngine, StoreEngine]:
        return local, office        # mypy checks here that both engines' sessions are StoreEngines (engine.py)

__all__ = ["Session", "Workstation"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import session
        return getattr(session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

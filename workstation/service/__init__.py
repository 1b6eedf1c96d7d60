"""The one use-case API, used by the CLI and (through the DB worker thread) by the GUI.

`Workstation` locates, creates and unlocks stores; a `Session` is one unlocked store and one user, and
every action goes through it: role checks, one transaction per change, an audit entry for each.
"""

from .session import Session, Workstation

__all__ = ["Session", "Workstation"]

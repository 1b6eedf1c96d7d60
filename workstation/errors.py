"""One error taxonomy for the core, the CLI and the GUI.

Every message here is shown to a user. None may carry a taxpayer value: messages name files, lines,
JSON paths, fields, ids and codes, never the offending value itself.
"""

from __future__ import annotations


class DwsError(Exception):
    """Base: the input or the situation is wrong. CLI exit status 1."""

    exit_code = 1


class InputError(DwsError):
    """A file or value handed in by a user is invalid (names file, line or path, and the problem)."""

    def __init__(self, message: str, *, source: str | None = None, where: str | None = None) -> None:
        self.message = message
        self.source = source
        self.where = where
        prefix = ""
        if source:
            prefix = f"{source}"
            if where:
                prefix += f", {where}"
            prefix += ": "
        super().__init__(prefix + message)


class AuthError(DwsError):
    """Wrong passphrase, unknown user, locked out, or a role that may not do this."""


class LockedOutError(AuthError):
    def __init__(self, user: str, seconds_left: int) -> None:
        minutes = max(1, (seconds_left + 59) // 60)
        self.seconds_left = seconds_left
        super().__init__(
            f"too many failed unlocks for user {user!r}: locked out for another {minutes} minute(s)"
        )


class PermissionDenied(AuthError):
    """The user's role may not perform this action."""


class StoreError(DwsError):
    """The store is missing, damaged, of an unknown version, or cannot be opened on this machine."""


class TamperError(DwsError):
    """Verification found tampering. CLI exit status 3."""

    exit_code = 3


class UsageError(DwsError):
    """The command was called wrongly. CLI exit status 2."""

    exit_code = 2


class Cancelled(Exception):
    """The user cancelled a long operation; nothing was changed. Shown silently."""

"""One error taxonomy for the core, the CLI and the GUI.

Every message here is shown to a user. None may carry a taxpayer value: messages name files, lines,
JSON paths, fields, ids and codes, never the offending value itself.
"""

from __future__ import annotations

import re

# A name from a file that a message may show: a short, plain, lower-case name with few digits, as every key and
# column of the formats is ("agency_code", "address_as_of"). Anything else may be a taxpayer's name or TIN.
_PLAIN_NAME = re.compile(r"[a-z_][a-z0-9_]{0,31}", re.ASCII)
_MAX_DIGITS = 3


def plain_name(name: str) -> bool:
    """Whether a key or column name from a file may be shown in a message."""
    return bool(_PLAIN_NAME.fullmatch(name)) and sum(c.isdigit() for c in name) <= _MAX_DIGITS


def shown_name(name: str, what: str = "key") -> str:
    """A key or column name from a file as a message shows it: quoted when plain, else only its length."""
    if plain_name(name):
        return repr(name)
    return f"<unrecognised {what} of {len(name):,} character{'s' * (len(name) != 1)}>"


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


class LetterRefused(InputError):
    """The release gate found, in a letter about to be issued, a value the request withholds (or could not
    read the letter entirely): nothing was stored. Names elements and subject references, never values."""


class AuthError(DwsError):
    """Wrong passphrase, unknown user, locked out, or a role that may not do this."""


class LockedOutError(AuthError):
    def __init__(self, user: str, seconds_left: int) -> None:
        minutes = max(1, (seconds_left + 59) // 60)
        self.seconds_left = seconds_left
        super().__init__(
            f"too many failed unlocks for user {user!r}: locked out for another {minutes} "
            f"minute{'s' * (minutes != 1)}"
        )


class PermissionDenied(AuthError):
    """The user's role may not perform this action."""


class StoreError(DwsError):
    """The store is missing, damaged, of an unknown version, or cannot be opened on this machine."""


class OfficeError(DwsError):
    """The office server could not be reached, or it (or this desktop) refused the connection: one message that
    says what is wrong and what to do, naming a file or host:port, never a password, key or taxpayer value.
    `reason` tells the callers apart what they handle differently ("credential": the server refused the user's
    password; "unreachable"; "desktop": this desktop's certificate or key; "server": the server's side)."""

    def __init__(self, message: str, *, reason: str = "server") -> None:
        self.reason = reason
        super().__init__(message)


class TamperError(DwsError):
    """Verification found tampering. CLI exit status 3."""

    exit_code = 3


class UsageError(DwsError):
    """The command was called wrongly. CLI exit status 2."""

    exit_code = 2


class Cancelled(Exception):
    """The user cancelled a long operation; {outcome}. Shown silently."""


def os_error(exc: OSError, what: str = "the store folder", outcome: str = "nothing was changed") -> StoreError:
    """One clear message for a file-system error (disk full, read-only, permission, I/O), naming the file (a
    path, never a taxpayer value), the `outcome` and what to do; the exception's own text is left out."""
    import errno

    where = f"{exc.filename}" if exc.filename else what
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreError(f"{where}: the disk is full; {outcome}. Free some space, then try again")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreError(f"{where} cannot be written (read-only disk, or no permission); {outcome}. "
                          "Ask your administrator to make it writable")
    if exc.errno == errno.EIO:
        return StoreError(f"{where}: an input/output error from the disk; {outcome}. Check the disk; "
                          "if the error persists, restore the store folder from your latest backup")
    name = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return StoreError(f"{where} could not be read or written ({name}); {outcome}")

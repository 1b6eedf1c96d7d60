"""The office server's errors as the product's (errors.py), one line each: the one mapping of psycopg's
exceptions for the office service modules (issue 19).

Each caller names its own messages, for the kinds of error its work can meet; a kind it does not name is not
caught (it reaches the caller as psycopg raised it), so a caller maps exactly what it mapped by hand before:

    with office_errors.mapped(refused="the office server refuses it: your office role may not import requests; "
                                      "nothing was changed",
                              older=OLDER_OFFICE + "; nothing was changed", lost=UNREACHABLE):
        ...

| kind       | what the server said                                                     | raised           |
|------------|--------------------------------------------------------------------------|------------------|
| refused    | InsufficientPrivilege: a grant, a row policy, a trigger's rule            | PermissionDenied |
| older      | UndefinedTable/Column/Function: an office made before this version's     | StoreError       |
| duplicate  | UniqueViolation: a row that may be there once (a second approval...)     | InputError       |
| checked    | CheckViolation: a trigger's check (the preparer approving their own...)  | InputError       |
| clash      | any other IntegrityError (another desktop wrote the same rows meanwhile) | StoreError       |
| raced      | SerializationFailure: a concurrent transaction changed what was read     | InputError       |
| lost       | OperationalError: the server stopped or the connection ended              | StoreError       |

A message may say what the server said with "{said}": the server's primary message, its first line (the
triggers' words: ids, logins and operations, never a value: `said`). The kinds are tried in the table's order:
a UniqueViolation is an IntegrityError and a SerializationFailure an OperationalError, so a caller naming only
`clash` or `lost` maps them too, as a hand-written `except` of the broader class did.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from ..errors import DwsError, InputError, PermissionDenied, StoreError

# (kind, the psycopg errors it names, the product's error), in the order they are tried (the module's docstring)
KINDS: tuple[tuple[str, tuple[type[psycopg.Error], ...], type[DwsError]], ...] = (
    ("refused", (psycopg.errors.InsufficientPrivilege,), PermissionDenied),
    ("older", (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedFunction),
     StoreError),
    ("duplicate", (psycopg.errors.UniqueViolation,), InputError),
    ("checked", (psycopg.errors.CheckViolation,), InputError),
    ("clash", (psycopg.IntegrityError,), StoreError),
    ("raced", (psycopg.errors.SerializationFailure,), InputError),
    ("lost", (psycopg.OperationalError,), StoreError),
)


def said(exc: psycopg.Error) -> str:
    """The server's own message (the triggers' words: ids and logins, never a value), its first line."""
    text = exc.diag.message_primary or str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def mapped(*, refused: str | None = None, older: str | None = None, duplicate: str | None = None,
           checked: str | None = None, clash: str | None = None, raced: str | None = None,
           lost: str | None = None) -> Iterator[None]:
    """The office server's errors raised in the block as the product's, in the caller's words (the module's
    docstring); any other error as it was."""
    messages = {"refused": refused, "older": older, "duplicate": duplicate, "checked": checked, "clash": clash,
                "raced": raced, "lost": lost}
    try:
        yield
    except psycopg.Error as exc:
        found = product_error(exc, messages)
        if found is None:
            raise
        raise found from None


def product_error(exc: psycopg.Error, messages: dict[str, str | None]) -> DwsError | None:
    """The product's error for `exc` in the first kind it is of that `messages` words (None: no such kind)."""
    for kind, classes, error in KINDS:
        message = messages.get(kind)
        if message is not None and isinstance(exc, classes):
            return error(message.replace("{said}", said(exc)) if "{said}" in message else message)
    return None

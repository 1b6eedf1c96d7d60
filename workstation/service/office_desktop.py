"""The desktop application's office (issue 19: `dws gui --store PROFILE`): a typed facade over the office
services, shaped as the GUI's DB worker uses `Workstation` and `Session`, so the same worker, unlock dialog,
queue, imports and lock screen run on an office.

    office = OfficeWorkstation(profile_path)
    session = office.unlock("rita", passphrase)      # AuthError, OfficeError, InputError: one message each
    session.queue()                                  # list[QueueRow], the local queue's rows
    watch = session.watch(on_event)                  # the live queue: office_watch.QueueWatch

What an office has so far is OFFICE_COMMANDS (office_session.py); the GUI disables the rest with `not_yet`.

A lost server: every call says "office server unreachable ..." (OfficeError, reason "unreachable") in one
message; the next call connects again by itself (the user's database password is derived again from the user
secret the unlock opened: no passphrase is asked). A read (the queue, the log) that finds its connection lost
connects again once at once and reads again, so the first look after the server is back already succeeds.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import psycopg

from ..crypto.report import CryptoReport
from ..errors import AuthError, OfficeError, StoreError
from ..model import ImportSummary, OfficeEvent, QueueRow
from ..office import credential, log_key, signing_key
from ..office.connect import connect
from ..office.profile import OfficeProfile, load
from ..office.unlock import OfficeSession as OpenOffice
from ..office.unlock import fetch_slot, open_office
from ..store.office.roles import OFFICE_ROLES, is_member, roles_for
from . import (
    crypto_status,
    office_card,
    office_evaluation,
    office_records,
    office_requests,
    office_session,
    office_witness_folder,
)
from .context import CancelCheck, Progress
from .office_desktop_request import OfficeRequestMixin
from .office_engine import OfficeEngineMixin
from .office_records import OfficeCtx
from .office_watch import QueueWatch

T = TypeVar("T")
RECONNECT_TIMEOUT = 3           # seconds: a desktop whose server is away says so soon

NOT_YET = "{what} is not yet available for an office store (this version has {have})"


# Who may use each command an office has (the server itself refuses the others: its grants, store/office/).
OFFICE_PERMITS: dict[str, tuple[str, ...]] = {
    "import-records": ("preparer", "admin"), "import-request": ("preparer", "admin"),
    "change-settings": ("admin", "counsel"),
}


def refusal(role: str, action: str) -> str | None:
    """Why a user of office role `role` may not do `action` (OFFICE_PERMITS), or None when they may."""
    allowed = OFFICE_PERMITS.get(action)
    if allowed is None or role in allowed:
        return None
    return f"your office role ({role}) may not do this; {' or '.join(allowed)} may"


def not_yet(what: str) -> str:
    """Why an office window disables a command: the office does not have it yet, and what it has."""
    have = ", ".join("dws " + c for c in office_session.OFFICE_COMMANDS)
    return NOT_YET.format(what=what, have=have)


class OfficeWorkstation:
    """An office profile: unlock it as one of the office's users (the GUI's counterpart of `Workstation`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def check_office_policy(self) -> None:
        crypto_status.office_policy()

    def profile(self) -> OfficeProfile:
        """The profile, its files checked (InputError naming the file and the first problem)."""
        return load(self.path)

    def unlock(self, user: str, passphrase: str) -> OfficeSession:
        profile = self.profile()
        roles = roles_for(profile.dbname)
        opened = open_office(profile, user, passphrase, roles=roles)
        try:
            slot = fetch_slot(profile, user, roles)     # kept: a locked screen is unlocked with it, on this desktop
            role = next((r for r in OFFICE_ROLES if is_member(opened.conn, roles, r)), None)
        except BaseException:
            opened.close()
            raise
        if slot is None or role is None:
            opened.close()
            raise AuthError(f"{user!r} holds no office role on this office's server; ask the office administrator")
        return OfficeSession(opened, slot, role)

    def unlock_recovery(self, _code: str) -> OfficeSession:
        raise AuthError(not_yet("Unlocking with the recovery code"))

    def crypto_report(self) -> CryptoReport:
        """Help › About's report of this machine's cryptography (no store folder: an office keeps its keyslots on
        the server)."""
        return crypto_status.crypto_report(None)

    def lockout_seconds(self, _user: str) -> int:
        """An office keeps no failed-unlock count on the desktop (its server's own limits apply)."""
        return 0


class OfficeSession(OfficeRequestMixin, OfficeEngineMixin):
    """One user's open office. Its methods are the `Session` methods the desktop application calls (the open
    request's: office_desktop_request.py), and with OfficeEngineMixin's a StoreEngine (engine.py)."""

    def __init__(self, opened: OpenOffice, slot: credential.Slot, role: str) -> None:
        self._opened = opened
        self._slot = slot
        self.role = role
        self.profile = opened.profile
        self.user: str = opened.login
        self.path = opened.profile.path
        self._watches: list[QueueWatch] = []
        self._on_card: bool | None = None
        self._ctx = OfficeCtx(opened.conn, opened.keys, opened.login, log_key.checkpoint_key(opened.office_key),
                              opened.user_secret)        # opens the user's signing key (decisions, letters)
        self._ctx = office_session.with_user_key(self._ctx)    # and the user's checkpoint key (made if none yet)
        self._head_at_open = self._read(office_witness_folder.head)     # wrote_to_log compares with it

    # --- what the window shows ----------------------------------------------------------------------
    @property
    def office(self) -> str:
        """The office's name (the profile's)."""
        return self.profile.office

    @property
    def server(self) -> str:
        return f"{self.profile.host}:{self.profile.port}"

    def queue(self, status: str | None = None) -> list[QueueRow]:
        """The office's queue with each request's claim and latest recommendation, as `dws list` on an office
        shows it."""
        def read(o: OfficeCtx) -> list[QueueRow]:
            rows = office_requests.queue(o, status)
            extras = office_evaluation.queue_extras(o) or {}
            return [dataclasses.replace(r, claimed_by=extras[r.request_id][0], recommendation=extras[r.request_id][1])
                    if r.request_id in extras else r for r in rows]
        return self._read(read)

    def import_records(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> ImportSummary:
        return self._write(lambda o: office_records.import_records(o, path, progress, cancelled))

    def import_request(self, path: Path, progress: Progress | None = None,
                       cancelled: CancelCheck | None = None) -> ImportSummary:
        return self._write(lambda o: office_requests.import_request(o, path, progress, cancelled))

    def watch(self, on_event: Callable[[OfficeEvent], None]) -> QueueWatch:
        """The live queue: a thread on its own connection that calls `on_event` (in that thread); stopped at the
        latest when this session closes."""
        watch = QueueWatch(self.profile, self.user, self._password(), on_event)
        self._watches.append(watch)
        return watch.start()

    # --- the lock screen and the exit ---------------------------------------------------------------
    def reauthenticate(self, passphrase: str) -> None:
        """The passphrase checked against the keyslot fetched at the unlock, on this desktop (a locked screen
        opens while the server is away too); AuthError when it is wrong."""
        opened = credential.open_slot(self._slot, passphrase) if passphrase else None
        if opened is None or opened.user_secret != self._opened.user_secret:
            raise AuthError("wrong passphrase")

    def key_on_card(self) -> bool:
        """Does the user sign with a key on a smart card (signing asks for the card's PIN, not the passphrase)? Read
        from the office once a session (a registered key is never changed)."""
        if self._on_card is None:
            self._on_card = self._read(lambda o: signing_key.card_of(o.conn, self.user)) is not None
        return self._on_card

    def _signing(self, secret: str, fn: Callable[[OfficeCtx], T]) -> T:
        """`fn` on the session's context with what opens the user's signing key: the user's secret from the unlock
        after `secret`, their passphrase, is checked again; or, for a key on a card, `secret` as the card's PIN (the
        card checks it), in a copy of the context that lives for this call only."""
        if self.key_on_card():
            return self._write(lambda o: fn(dataclasses.replace(o, card_pin=secret)))
        self.reauthenticate(secret)
        return self._write(lambda o: fn(dataclasses.replace(o, user_secret=self._opened.user_secret)))

    def checkpoint_on_card(self) -> bool:
        """Is the user's checkpoint key on their card (schema step 10: checkpoints need the card open)?"""
        return office_card.checkpoint_on_card(self._ctx)

    def open_card(self, pin: str) -> None:
        """Open the card for this session's checkpoints (until the session ends, the screen locks or `close_card`),
        for a user whose checkpoint key is on it; nothing to do for another (office_card.py)."""
        office_card.open_card(self._live(), pin)

    def close_card(self) -> None:
        """Log out the card held open for checkpoints, if any."""
        office_card.close_card(self._ctx)

    def close(self) -> None:
        self._ctx.held.close()
        self.close_request()
        watches, self._watches = self._watches, []
        for watch in watches:
            watch.stop()
        self._opened.close()

    def __enter__(self) -> OfficeSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- the connection -----------------------------------------------------------------------------
    def _password(self) -> str:
        return credential.database_password(self.user, self._opened.user_secret)

    def _live(self) -> OfficeCtx:
        """This session's context, connected again first when its connection was lost."""
        if self._ctx.conn.closed:
            self.reconnect()
        return self._ctx

    def reconnect(self) -> None:
        """A new connection as this user (the old one closed); OfficeError ("office server unreachable ...")
        when the server is still away."""
        conn = connect(self.profile, self.user, self._password(), timeout=RECONNECT_TIMEOUT)
        old, self._ctx = self._ctx.conn, dataclasses.replace(self._ctx, conn=conn)
        self._opened.conn = conn
        with contextlib.suppress(psycopg.Error):
            old.close()

    def _read(self, fn: Callable[[OfficeCtx], T]) -> T:
        o = self._live()
        try:
            return fn(o)
        except StoreError:
            if not o.conn.closed:
                raise
        self.reconnect()                # the connection was lost since the last call: once more, connected again
        return self._guard(fn)

    def _write(self, fn: Callable[[OfficeCtx], T]) -> T:
        return self._guard(fn, self._live())

    def _guard(self, fn: Callable[[OfficeCtx], T], o: OfficeCtx | None = None) -> T:
        o = o or self._ctx
        try:
            return fn(o)
        except StoreError as exc:
            if o.conn.closed:           # the service's own message says what was (not) done; it is an outage
                raise OfficeError(str(exc), reason="unreachable") from None
            raise


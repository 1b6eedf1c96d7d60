"""An office store from the command line (issue 19): `dws --store PROFILE --user NAME ...` opens the user's
office session (workstation/office/unlock.py: the keyslot fetched by this desktop's certificate, opened with the
passphrase, then the user's own database login) instead of a local store.

What an office store does so far: `import records` (office_records.py), `import request` and `list`
(office_requests.py), `verify` of the office log (the local store's hash chain, store/auditlog.entry_hash,
walked over store/office/log.py's entries), the office log's checkpoints: `log checkpoint` and `verify
--against` (office_witness.py), with a checkpoint to the desktop's witness folder after every command that wrote to
the office log (office_witness_folder.py), and its inclusion proofs: `log prove --entry/--request`
(office_proofs.py).
Every other command says, in one line, that it is not yet available for an office store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ..office import log_key
from ..office.profile import load
from ..office.unlock import open_office
from ..store.auditlog import entry_hash
from ..store.office import checkpoint_keys
from ..store.office import log as office_log
from ..store.office.roles import roles_for
from . import office_errors
from .office_profile import is_office_store as is_office_store
from .office_records import OfficeCtx

OFFICE_COMMANDS = ("import records", "import request", "import order", "import agency", "list", "evaluate", "decide",
                   "approve", "export decision", "letter", "verify-letter", "accounting", "verify", "log checkpoint",
                   "log key", "log prove", "override", "settings list", "settings get", "settings set", "user list")


@contextmanager
def opened(profile_path: Path, user: str, passphrase: str) -> Iterator[OfficeCtx]:
    """`user`'s open office (its connection closed at the end); AuthError for an unknown user or a wrong
    passphrase, OfficeError when the server cannot be reached or refuses, InputError for a bad profile."""
    profile = load(profile_path)
    with open_office(profile, user, passphrase, roles=roles_for(profile.dbname)) as session:
        o = with_user_key(OfficeCtx(session.conn, session.keys, user, log_key.checkpoint_key(session.office_key),
                                    session.user_secret))
        try:
            yield o
        finally:
            o.held.close()                  # the card, if it was opened for checkpoints, logged out


def with_user_key(o: OfficeCtx) -> OfficeCtx:
    """`o` with the user's own checkpoint key opened (office/log_key.py), made and announced in the office log first
    when they have none that opens yet (enrolled before schema step 8, or recovered since). Never keeps the user out:
    where it cannot be made (an office before step 8, a server that refuses it) the office key signs, as before.
    A user whose checkpoint key is on their card (step 10) gets its public key (office_card.py), and no key made."""
    if o.user is None or o.user_secret is None or o.checkpoint_key is None:
        return o
    try:
        if not checkpoint_keys.exists(o.conn):
            return o
        on_card = log_key.card_user_key(o.conn)
        if on_card is not None:
            return dataclasses.replace(o, card_checkpoint_key=on_card)
        private = log_key.open_user_key(o.conn, o.user, o.user_secret)
        if private is None:
            with o.conn.transaction():
                private, announced = log_key.store_user_key(o.conn, o.user, o.user_secret,
                                                            log_key.public_of(o.checkpoint_key))
                o.log(office_log.CHECKPOINT_KEY_EVENT, o.user, announced)
    except psycopg.Error:
        return o
    return dataclasses.replace(o, user_checkpoint_key=private)


@dataclass(frozen=True)
class OfficeLogReport:
    entries: int
    problems: list[str] = field(default_factory=list)
    first_bad_entry: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "problems": self.problems,
                "first_bad_entry": self.first_bad_entry}


def log_rows(o: OfficeCtx) -> list[tuple[object, ...]]:
    """Every office log entry (store/office/log.entries), with one message for a refusal or a lost server."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not read the office log",
                              lost="office server unreachable: the connection ended while the office log was read; "
                                   "try again when the server is back"):
        return office_log.entries(o.conn)


def log_rows_from(o: OfficeCtx, first: int) -> list[tuple[object, ...]]:
    """The office log entries from entry `first` on (store/office/log.entries_from), with log_rows's messages."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not read the office log",
                              lost="office server unreachable: the connection ended while the office log was read; "
                                   "try again when the server is back"):
        return office_log.entries_from(o.conn, first)


def verify_log(o: OfficeCtx) -> OfficeLogReport:
    """Walk the office log's hash chain (check_chain)."""
    return check_chain(log_rows(o))


def check_chain(rows: list[tuple[object, ...]], after: tuple[int, str] = (0, office_log.GENESIS)) -> OfficeLogReport:
    """Every entry numbered in turn, chained to the one before, and its hash that of its content. The first
    break is reported (what follows it cannot be trusted either). `after`: (seq, hash) of the entry the first of
    `rows` follows (default: the whole log, from the genesis)."""
    expected_seq, expected_prev = after[0] + 1, after[1]
    for seq, ts, user, event, obj, detail, prev, hash_, _by in rows:
        assert isinstance(seq, int) and isinstance(ts, str) and isinstance(event, str)
        assert isinstance(detail, str) and isinstance(prev, str) and isinstance(hash_, str)
        assert user is None or isinstance(user, str)
        assert obj is None or isinstance(obj, str)
        problem = None
        if seq != expected_seq:
            problem = expected_seq, f"entry {expected_seq} is missing (next entry is {seq})"
        elif prev != expected_prev:
            problem = seq, f"entry {seq} does not chain to entry {seq - 1}"
        elif entry_hash(prev, seq, ts, user, event, obj, detail) != hash_:
            problem = seq, f"entry {seq} was altered (its hash does not match its content)"
        if problem is not None:
            return OfficeLogReport(len(rows), [f"office log: {problem[1]}"], problem[0])
        expected_seq, expected_prev = seq + 1, hash_
    return OfficeLogReport(len(rows))

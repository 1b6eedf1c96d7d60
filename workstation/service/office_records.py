"""Taxpayer records into the office store (issue 19): the local import's parser and checks (so every message is
the local store's), each row sealed on this desktop, the batches through binary COPY, one transaction. A large
file's rows are sealed and laid out for the COPY by the worker processes that parse it (intake/records_parallel.Then,
office/records_seal.sealed_block): this process reserves row ids as it hands each block out and writes bytes.

A bad file raises the parser's InputError (possibly half-way through the stream), or for a TIN, type and year
the file gives twice the same error the local store gives (`duplicate_error`): the transaction is rolled back,
so the office tables are exactly as they were. So does a role the server refuses (PermissionDenied) and a
server lost during the import (StoreError), each with one message. The log entry carries counts only: not the
file's name, which may name a taxpayer and would reach the server in clear (office_log.object).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from ..canonical import canonical_json, utc_now
from ..intake.records_csv import duplicate_error
from ..intake.records_parallel import Then, read_packed_bulk_then
from ..keys.pkcs11 import Card
from ..model import ImportSummary
from ..office.records_seal import SealJob, open_record, record_key_of, sealed_block
from ..office.sealing import OfficeKeys
from ..store.auditlog import entry_hash
from ..store.office import log as office_log
from ..store.office import records as records_sql
from . import office_errors
from .context import CancelCheck, Progress
from .records_load import check_cancel

IMPORT_LOST = ("the office server could not be reached or ended the connection during the import; nothing was "
               "imported (import the file again when the server is back)")

class HeldCard:
    """The user's card while it is open for the session's checkpoints (a checkpoint key on the card: office_card.py),
    shared by every copy of a session's OfficeCtx (dataclasses.replace keeps the same holder)."""

    def __init__(self) -> None:
        self.card: Card | None = None

    def close(self) -> None:
        card, self.card = self.card, None
        if card is not None:
            card.close()


@dataclass(frozen=True)
class OfficeCtx:
    """An open office connection, the office keys of the unlocked user, that user's name (for the log), the
    office key's checkpoint key (office/log_key.py: the office log's id, and the checkpoints signed before users had
    their own; None: this session signs no checkpoint), the user's secret from their keyslot (office/signing_key.py:
    it opens their signing key; None: this session signs nothing) and the user's own checkpoint key (schema step 8;
    None on an office before it: the office key signs); for a user whose key is on a card, the card's PIN given for
    the one signature being made (never kept in a session's context: office_engine.OfficeEngineMixin._signing puts
    it in a copy); for a user whose checkpoint key is on their card (schema step 10), its public key and the card
    while it is open for checkpoints (office_card.py)."""

    conn: psycopg.Connection[Any]
    keys: OfficeKeys
    user: str | None
    checkpoint_key: bytes | None = field(default=None, repr=False)
    user_secret: bytes | None = field(default=None, repr=False)     # opens the user's signing key (i19d)
    user_checkpoint_key: bytes | None = field(default=None, repr=False)     # signs the user's checkpoints
    card_pin: str | None = field(default=None, repr=False)          # for this signature only: a key on a card
    card_checkpoint_key: bytes | None = field(default=None, repr=False)     # the checkpoint key on the card (public)
    held: HeldCard = field(default_factory=HeldCard, repr=False, compare=False)     # the card, open for checkpoints

    def log(self, event: str, obj: str | None, detail: dict[str, Any]) -> int:
        """Append one entry to the office log in the current transaction; its seq."""
        office_log.lock(self.conn)
        last_seq, last_hash = office_log.head(self.conn)
        seq, ts = last_seq + 1, utc_now()
        detail_json = canonical_json(detail).decode("utf-8")
        office_log.append(self.conn, seq, ts, self.user, event, obj, detail_json, last_hash,
                          entry_hash(last_hash, seq, ts, self.user, event, obj, detail_json))
        return seq


def import_records(o: OfficeCtx, path: Path, progress: Progress | None = None,
                   cancelled: CancelCheck | None = None) -> ImportSummary:
    """Import the records CSV at `path` into the office store; a row for a TIN, type and year already there
    replaces it (a correction)."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not import taxpayer "
                                      "records; nothing was changed", lost=IMPORT_LOST):
        return _import_records(o, path, progress, cancelled)


def _import_records(o: OfficeCtx, path: Path, progress: Progress | None, cancelled: CancelCheck | None
                    ) -> ImportSummary:
    conn = o.conn
    with conn.transaction():
        load = records_sql.Load(conn)
        keys = o.keys
        # each batch is sealed and laid out in the worker that parsed it, with ids reserved as it is handed out
        batches = read_packed_bulk_then(path, Then(
            lambda most: SealJob(keys.data_key, keys.index_key, load.addressed, load.reserve_ranges(most)),
            sealed_block))
        total = 0
        try:
            for count, laid_out in batches:
                check_cancel(cancelled)
                load.copy_laid_out(laid_out, count)
                total += count
                if progress:
                    progress(total, None)
        finally:
            batches.close()                     # stops the parse workers at once on an error or a cancel
        check_cancel(cancelled)
        try:
            inserted, _loaded = load.finish()
        except records_sql.DuplicateKey as dup:
            raise duplicate_error(path, _first_key(o.keys, dup)) from None
        replaced = total - inserted
        o.log("records-imported", None, {"rows": total, "inserted": inserted, "replaced": replaced})
    return ImportSummary("records", path.name, total, inserted=inserted, replaced=replaced)


def _first_key(keys: OfficeKeys, dup: records_sql.DuplicateKey) -> tuple[str, int, str]:
    """The least (TIN, year, type) among the keys given twice, as the local store names it (its GROUP BY sorts)."""
    return min(record_key_of(open_record(keys, records_sql.TABLE, row)) for row in dup.rows)

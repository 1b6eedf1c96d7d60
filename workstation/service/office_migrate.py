"""`dws office migrate --profile FILE --from DIR` (INTERCHANGE.md, issue 19 item 6): a local store moved into the
office database, every row re-sealed under the office keys, the log carried over, checkpointed before and after.

Run by an office admin who also opens the local store as its admin. In order:

1. A checkpoint of the local log (witness.py, kept in the local store as `dws log checkpoint` keeps one) and one
   of the office log (office_witness.py). The local store is held still (its write lock) until the end.
2. In ONE office transaction: every taxpayer record, read in the packed shape the local store holds it in and
   sealed by the office import's sealer (office/records_seal.py) through its COPY load (store/office/records.Load);
   every request with its subjects and shared reasons, sealed by the request import's sealers and COPY
   (office/request_seal.py), its status, dates and importer carried over; the agency register; then the local
   log, then the settings an admin may set (below). A request id the office holds already, a lost server or
   anything else stops it with one message and the office is unchanged.
3. The local log carried over: the office log's chain starts at its own genesis, so a local entry cannot be
   appended as it is. Each becomes one office entry `local-log-entry` about the local store's id that carries its
   seq, time, user, event and hash in plain, and its canonical bytes (store/auditlog.entry_body: what its hash
   and its Merkle leaf are taken of) sealed under the office key, since a local entry's free text (a reason, a
   justification) may name a person. A final `local-store-migrated` entry records the local checkpoint (size,
   root, the signed note) and the counts. Before the commit the carried entries are checked: they chain, and
   their tree's root is the local checkpoint's.
4. A checkpoint of the office log after the commit.

A store is migrated once: the office log's `local-store-migrated` entry about its id refuses a second run before
anything is read or written.

The agency register and the settings an admin may set (office_migrate_settings.ADMINS: the office details its
letters carry, the time limits, the idle lock) move in the same transaction: an agency entry sealed as `dws import
agency` seals it (a code the office holds already stops it), a setting sealed as `dws settings set` seals it and
logged as a change (one the office set to another value already stops it). What the office's server lets another
role alone write moves in that role's own step, afterwards, so that no server path lets one role do what the
office's rules give another:
- counsel's (`office migrate --court-orders`, office_migrate_orders.py): the court-order register and the rule
  thresholds (office_migrate_settings.COUNSELS), which the server lets counsel alone write, an admin included;
- a preparer's (`office migrate --overrides`, office_migrate_overrides.py): the overrides of the release plan,
  which the server lets a preparer alone add, in their own name.
The report says what is left for each (Migration.court_orders, counsel_settings, overrides). Once the three steps
have run, the office evaluates each request as the local store did: the same records, subjects, overrides and
settings give the same findings and plan. `witness_folder` is not moved (each office desktop writes the office
log's checkpoints to its own witness folder: office_witness_folder.py).

Not moved (NOT_MIGRATED), and the local store keeps them; its log, carried into the office, records each:
- evaluations: the office's is made again from what moved, by any desktop that evaluates the request (its
  findings are the local store's); the status a local evaluation gave a request moves with it;
- decisions, approvals and letters: an office decision is signed by its preparer's own office signing key,
  registered on the server, which refuses any other, and an office letter's PDF under the office's letter CA; the
  local store's are signed by its own users' keys, so carrying them would take a server path that admits decisions
  signed by keys it does not know, which the office's rules exist to refuse;
- users: an office user is a database login of an office role with a keyslot and a registered signing key, made
  by `dws office enrol --user`; a local user's passphrase and signing key open only the local store.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import merkle
from ..canonical import canonical_json, utc_now
from ..errors import InputError, PermissionDenied, StoreError, TamperError
from ..intake.records_pack import PackedRows
from ..intake.subjects_pack import PackedSubjects
from ..model import CheckpointInfo
from ..office.profile import load
from ..office.records_seal import RecordSealer
from ..office.request_seal import SubjectSealer, seal_agency, seal_document
from ..store import auditlog, db, logtree
from ..store import evaluation as local_evaluation
from ..store import orders as local_orders
from ..store import records as local_records
from ..store import requests as local_requests
from ..store.office import log as office_log
from ..store.office import orders as orders_sql
from ..store.office import records as records_sql
from ..store.office import requests as requests_sql
from ..store.office.roles import is_member, roles_for
from . import office_errors, office_witness, witness
from . import office_migrate_settings as settings_move
from .context import Ctx
from .imports import SUBJECT_BATCH
from .office_records import OfficeCtx
from .office_requests import OLDER_OFFICE

MIGRATED = "local-store-migrated"
CARRIED = "local-log-entry"
ENTRY_LABEL = "office_log.local_entry"      # with ":<store id>", the carried entries' table in their associated data
RECORD_BATCH = 20_000
NOT_MIGRATED = "evaluations, decisions, approvals, letters and users"


@dataclass(frozen=True)
class Migration:
    store_id: str
    records: int                # record rows moved
    records_new: int            # of which the office had no row for their key (the others replaced the office's)
    requests: int
    subjects: int
    agencies: int               # agency register entries moved
    court_orders: int           # court orders in the local register (counsel moves them: office_migrate_orders)
    settings: tuple[str, ...]   # the settings an admin may set that moved (the local value was not the office's)
    counsel_settings: tuple[str, ...]   # rule thresholds whose local value is not the office's (counsel's step)
    settings_not_moved: tuple[str, ...]  # settings the local store changed that no step moves (witness_folder)
    overrides: int              # overrides in the local store (a preparer carries them: office_migrate_overrides)
    log_entries: int            # local log entries carried over
    local: CheckpointInfo       # the local log's, before
    office_before: CheckpointInfo
    office_after: CheckpointInfo


def migrate(s: Ctx, o: OfficeCtx) -> Migration:
    """Move the local store `s` into the office `o` (see the module's docstring)."""
    with office_errors.mapped(
            refused="the office server refuses it: your office role may not write what a migration writes "
                    "({said}); nothing was migrated",
            older=OLDER_OFFICE + "; nothing was migrated",
            clash="another desktop wrote a request or record of this store into the office meanwhile; nothing was "
                  "migrated (run it again to be told which)",
            lost="the office server could not be reached or ended the connection during the migration; nothing was "
                 "migrated (run it again when the server is back)"):
        return _migrate(s, o)


def profile_witness(profile: Path) -> Path | None:
    """The witness folder an office profile names (None: it names none)."""
    return load(profile).witness


def require_office_admin(o: OfficeCtx) -> None:
    """PermissionDenied unless the server counts the connected login among the office's admins."""
    if not is_member(o.conn, roles_for(o.conn.info.dbname), "admin"):
        raise PermissionDenied(f"only an office admin may migrate a local store into the office ({o.user or 'you'} "
                               "is not one); nothing was changed")


def _migrate(s: Ctx, o: OfficeCtx) -> Migration:
    require_office_admin(o)
    if s.role != "admin":               # the whole local store leaves through it: its admin's act
        raise PermissionDenied(f"only an admin of the local store may migrate it into the office ({s.user or 'you'} "
                               f"is {s.role or 'not signed in'} there); nothing was changed")
    store_id = logtree.store_id(s.conn)
    _refuse_a_second_migration(o, store_id)
    with db.transaction(s.conn):        # the local store held still until the office has committed
        local = witness.sign_checkpoint(s)
        witness.keep_checkpoint(s, local)
        before = office_witness.sign_checkpoint(o)
        with o.conn.transaction():
            office_log.lock(o.conn)     # one migration of a store at a time, and nobody appends in between
            _refuse_a_second_migration(o, store_id)
            records, new = _move_records(s, o)
            requests, subjects = _move_requests(s, o)
            agencies = _move_agencies(s, o)
            carried = _carry_log(s, o, store_id, local)
            settings = settings_move.move(s, o, settings_move.ADMINS, store_id)
            counsels = settings_move.differing(s, o, settings_move.COUNSELS)
            overrides = len(local_evaluation.all_overrides(s.conn))
            o.log(MIGRATED, store_id, {"local_checkpoint": {"size": local.size, "root": local.root_hex,
                                                            "note": local.note},
                                       "records": records, "records_new": new, "requests": requests,
                                       "subjects": subjects, "agencies": agencies, "log_entries": carried,
                                       "settings": list(settings), "left_for_counsel": list(counsels),
                                       "overrides_left_for_a_preparer": overrides, "not_migrated": NOT_MIGRATED})
        after = office_witness.sign_checkpoint(o)
        s.log("store-migrated-to-office", after.note.split("\n", 1)[0],
              {"records": records, "requests": requests, "subjects": subjects, "log_entries": carried,
               "settings": list(settings), "office_log_size": after.size, "office_log_root": after.root_hex})
    return Migration(store_id, records, new, requests, subjects, agencies, len(local_orders.all_orders(s.conn)),
                     settings, counsels, settings_move.not_moved(s), overrides, carried, local, before, after)


def refuse_a_second_step(o: OfficeCtx, store_id: str, event: str, what: str, moved: str) -> None:
    """A later step of a migration (counsel's, a preparer's), run once after the store's own: refused before it,
    and after its own log entry `event` (`what` "were `moved` into the office ... they are `moved` once")."""
    if office_log.find(o.conn, MIGRATED, store_id) is None:
        raise InputError(f"this local store ({store_id[:16]}) is not in the office yet: an office admin migrates it "
                         "first ('dws office migrate'); nothing was changed")
    done = office_log.find(o.conn, event, store_id)
    if done is not None:
        seq, ts, user = done
        raise InputError(f"this local store's {what} were {moved} into the office on {ts[:10]} by {user} (office log "
                         f"entry {seq}); they are {moved} once; nothing was changed")


def _refuse_a_second_migration(o: OfficeCtx, store_id: str) -> None:
    done = office_log.find(o.conn, MIGRATED, store_id)
    if done is not None:
        seq, ts, user = done
        raise InputError(f"this local store ({store_id[:16]}) was migrated into the office on {ts[:10]} by "
                         f"{user or 'the recovery code'} (office log entry {seq}); a store is migrated once; "
                         "nothing was changed")


def _move_records(s: Ctx, o: OfficeCtx) -> tuple[int, int]:
    """(rows moved, rows new to the office) through the records import's sealer and COPY load."""
    load = records_sql.Load(o.conn)
    sealer = RecordSealer(o.keys, records_sql.TABLE)
    total = 0
    for n, rows, lines in local_records.packed_batches(s.conn, RECORD_BATCH):
        load.copy(sealer.rows(PackedRows(n, rows, lines), load.reserve_ids(n)))
        total += n
    try:
        inserted, _loaded = load.finish()
    except records_sql.DuplicateKey:
        raise StoreError("the local store gives one taxpayer's record twice for a year (it was changed outside the "
                         "program: run 'dws verify' on it); nothing was migrated") from None
    return total, inserted


def _move_requests(s: Ctx, o: OfficeCtx) -> tuple[int, int]:
    """(requests, subjects) moved, each request as the request import writes it."""
    conn = o.conn
    requests = subjects = 0
    for (rid, request_id, received_on, authority, agency, agency_code, due_on, subject_count, status, package,
         package_hash, source, imported_at, imported_by) in local_requests.all_requests(s.conn):
        existing = requests_sql.find(conn, request_id)
        if existing is not None:
            raise InputError(f"request {request_id} is already in the office (imported {existing[1][:10]} by "
                             f"{existing[2]}); a request is in the office once; nothing was migrated")
        office_id = requests_sql.new_id(conn)
        addressed = requests_sql.has_address_index(conn)
        sealer = SubjectSealer(o.keys, office_id, addressed)
        count = 0
        for n, first, last, packed in local_requests.packed_subject_batches(s.conn, rid, SUBJECT_BATCH):
            if first != count or last != count + n - 1:
                raise StoreError(f"the subjects of request {request_id} are not numbered in turn in the local store "
                                 "(it was changed outside the program: run 'dws verify' on it); nothing was migrated")
            requests_sql.copy_subjects(conn, sealer.rows(PackedSubjects(n, packed, b"", {}), count), addressed)
            count += n
        if count != subject_count:
            raise StoreError(f"request {request_id} counts {subject_count:,} subjects in the local store but has "
                             f"{count:,}; nothing was migrated")
        requests_sql.insert_reasons(conn, office_id, sealer.reason_indexes(local_requests.shared_reasons(s.conn, rid)))
        document = seal_document(o.keys, office_id, {"package": json.loads(package), "source": source,
                                                     "package_hash": package_hash})
        requests_sql.insert(conn, id=office_id, request_id=request_id, received_on=received_on, authority=authority,
                            agency=seal_agency(o.keys, office_id, agency), agency_code=agency_code, due_on=due_on,
                            subject_count=count, imported_at=imported_at, imported_by=imported_by,
                            document=document, status=status)
        requests += 1
        subjects += count
    return requests, subjects


def _move_agencies(s: Ctx, o: OfficeCtx) -> int:
    """Every agency register entry, sealed as `dws import agency` seals it; a code the office holds stops it."""
    entries = local_orders.all_agencies(s.conn)
    if not entries:
        return 0                # (an office made before the registers takes a store without any)
    held = {code for code, _sealed in orders_sql.agencies(o.conn)}
    for entry in entries:
        if entry.agency_code in held:
            raise InputError(f"agency {entry.agency_code} is already in the office's agency register; an entry is in "
                             "the office once (its counsel or admin keeps it there); nothing was migrated")
        orders_sql.put_agency(o.conn, entry.agency_code, o.keys.seal(
            orders_sql.AGENCIES_TABLE, entry.agency_code, canonical_json(dataclasses.asdict(entry))))
    return len(entries)


def _carry_log(s: Ctx, o: OfficeCtx, store_id: str, local: CheckpointInfo) -> int:
    """One office entry per local entry up to the local checkpoint, chained after the office log's head (the
    caller holds the log's lock); checked against the local checkpoint before anything is committed."""
    seq, last = office_log.head(o.conn)
    tree = merkle.Frontier()
    seal = o.keys.sealer(f"{ENTRY_LABEL}:{store_id}")     # the local seq is the row id
    expected_prev, expected_seq = auditlog.GENESIS, 1

    def entries() -> Iterator[tuple[int, str, str | None, str, str | None, str, str, str]]:
        nonlocal seq, last, expected_prev, expected_seq
        for local_seq, ts, user, event, obj, detail, prev, hash_ in auditlog.rows(s.conn, local.size):
            body = auditlog.entry_body(local_seq, ts, user, event, obj, detail)
            if local_seq != expected_seq or prev != expected_prev or auditlog.entry_hash(
                    prev, local_seq, ts, user, event, obj, detail) != hash_:
                raise TamperError(f"the local log does not chain at entry {expected_seq} (run 'dws verify' on the "
                                  "local store); nothing was migrated")
            expected_prev, expected_seq = hash_, local_seq + 1
            tree.add_fast(merkle.leaf_hash(body))
            sealed = seal(local_seq, body)
            office_detail = canonical_json({"entry": base64.b64encode(sealed).decode("ascii"), "event": event,
                                            "hash": hash_, "seq": local_seq, "ts": ts, "user": user}).decode("utf-8")
            seq, now = seq + 1, utc_now()
            entry = auditlog.entry_hash(last, seq, now, o.user, CARRIED, store_id, office_detail)
            yield seq, now, o.user, CARRIED, store_id, office_detail, last, entry
            last = entry

    carried = office_log.copy_entries(o.conn, entries())
    if carried != local.size or tree.root().hex() != local.root_hex:
        raise TamperError(f"the local log's {carried:,} entries do not make the tree its checkpoint of "
                          f"{local.size:,} entries signs (run 'dws verify' on the local store); nothing was migrated")
    return carried

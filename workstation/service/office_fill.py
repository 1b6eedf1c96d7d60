"""The working copy's fill (service/office_evaluation.py): one office request, its subjects and its candidate
records, read from the office in one read-only snapshot, opened on this desktop and stored in the empty working
copy as the local store's imports store them, in one transaction.

Where the time goes, for a request of 1,280,000 subjects against 5,000,000 records (bench/office.py): the server's
candidate join (every record row of the taxpayers the subjects name by TIN or at their addresses: seconds of
server work before its first row), opening and storing the subjects, opening and storing some 2.8 million record
rows, and building the records' indexes. So the work is spread over the desktop's and the server's processors:

- The candidates are read on a second connection of the same login (office/connect.connect_like), in the same
  snapshot (`pg_export_snapshot`), from the start: the server joins while this desktop opens the subjects.
  What the candidate query needs from the subjects is known before they are opened when the importing desktop
  made every subject's address index (the rows carry it; the server joins them itself): then only a subject
  row without one (sealed by an older desktop) could add an address or a street without a five-digit ZIP, and
  if opening the subjects finds one, the early read is dropped and the exact query runs after them, as before.
  Without a second connection (refused, or an office before the subjects' address index) it runs after them.
- The reads take memory for their joins and sorts, and no JIT (store/office/evaluations.read_only_snapshot).
- The batches of each server-side cursor are fetched by one thread and opened by another, each one batch ahead
  of the next step (`_Prefetched`: psycopg waits for the server, and SQLite inserts, without the GIL).
- The records' indexes are dropped before the load and built once after it, by SQLite's sorter with helper
  threads; only the two the checks read: the unique key is checked by a pass over one of them
  (store/records.create_read_indexes).
- Only `with_lines` stores each record's CSV line (what the redaction preview and the letters read back); the
  evaluation reads the match columns alone, so `dws evaluate` leaves the lines out.

Opening rows in worker processes costs more than it saves (pickling a batch to a worker and its result back is
as much work as opening it), so the desktop's side is one process.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from typing import Any

import psycopg

from ..canonical import canonical_json, utc_now
from ..codec import package_from_json
from ..errors import InputError, StoreError
from ..intake.records_pack import PackedRows
from ..office import working_open
from ..office.connect import connect_like
from ..office.request_seal import SHARED_REASONS, agency_opener, open_document
from ..office.sealing import OfficeKeys
from ..store import db
from ..store import orders as local_orders
from ..store import records as local_records
from ..store import requests as local_requests
from ..store.office import evaluations as evaluations_sql
from ..store.office import records as office_records_sql
from ..store.office import requests as office_requests_sql
from . import evaluation, office_orders, office_overrides, office_settings
from .office_records import OfficeCtx

SORT_THREADS = 2        # SQLite's sorter helper threads for the working copy's index builds


@dataclass(frozen=True)
class _Candidates:
    """The candidate query's parameters (store/office/evaluations.stream_candidates)."""
    zips: list[bytes]
    unzipped: bool
    addresses: list[bytes] | None
    subjects_addressed: bool


def fill(o: OfficeCtx, conn: db.Connection, request_id: str, with_lines: bool = True) -> tuple[int, str | None]:
    """Copy the request, its subjects and its candidate records from the office (one read-only snapshot) into the
    empty working copy `conn` (one transaction); (the request's office id, its claim). See the module's
    docstring."""
    keys, office = o.keys, o.conn
    with office.transaction(), ExitStack() as early:
        evaluations_sql.read_only_snapshot(office, bulk=True)
        row = evaluations_sql.request_row(office, request_id)
        if row is None:
            raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
        (rid, agency, agency_code, authority, received_on, due_on, _subjects, _status, imported_at,
         imported_by, sealed_doc, claimed_by) = row
        rid = int(rid)
        document = open_document(keys, rid, bytes(sealed_doc))
        package_json = canonical_json(document["package"]).decode("utf-8")
        subjects_addressed = office_requests_sql.has_address_index(office)
        records_addressed = office_records_sql.has_address_index(office)
        home = evaluation.bound_party(package_from_json(package_json)).get("foia_home")
        home_zip = _home_zip(home)
        home_place = [keys.indexer("address")(home)] if home else []
        zips = [index] if home_zip and (index := keys.zip5_index(home_zip)) is not None else []
        server_unzipped = subjects_addressed and evaluations_sql.subjects_unzipped(office, rid)
        guess = _Candidates(zips, server_unzipped or home_zip is None, home_place, True)
        ahead = (_read_ahead(early, o, rid, guess, with_lines) if subjects_addressed and records_addressed
                 else None)
        with db.transaction(conn):
            _office_inputs(o, conn)
            local = local_requests.insert(
                conn, request_id=request_id, received_on=received_on, authority=authority,
                agency=agency_opener(keys)(rid, bytes(agency)), agency_code=agency_code, due_on=due_on,
                package=package_json, source=str(document["source"]), imported_at=imported_at,
                imported_by=imported_by)
            count, unzipped, places = _copy_subjects(o, conn, rid, local, subjects_addressed,
                                                     document.get(SHARED_REASONS))
            local_requests.finish(conn, local, count, str(document["package_hash"]))
            office_overrides.copy_into(o, conn, rid, local)        # the reviewers' overrides (i19o)
            exact = _Candidates(zips, unzipped or server_unzipped or home_zip is None,
                                sorted(places.union(home_place)) if records_addressed else None, subjects_addressed)
            if ahead is not None and exact != guess:
                early.close()           # a subject the importing desktop did not index: the exact query instead
                ahead = None
            if ahead is not None:
                _copy_records(conn, ahead)
            else:
                with _Prefetched(evaluations_sql.stream_candidates(
                        office, rid, exact.zips, exact.unzipped, exact.addresses, exact.subjects_addressed),
                        then=_record_opener(keys, with_lines)) as now:
                    _copy_records(conn, now)
    return rid, None if claimed_by is None else str(claimed_by)


def _read_ahead(stack: ExitStack, o: OfficeCtx, rid: int, guess: _Candidates, with_lines: bool
                ) -> _Prefetched | None:
    """The candidate batches read from now on, on a second connection in the caller's snapshot (see the module's
    docstring); closed with `stack`. None when no second connection can be made."""
    snapshot = evaluations_sql.export_snapshot(o.conn)
    try:
        other = connect_like(o.conn)
    except psycopg.Error:
        return None
    stack.callback(other.close)         # (its read-only transaction ends with it)
    try:
        other.autocommit = False
        evaluations_sql.join_snapshot(other, snapshot, bulk=True)
    except psycopg.Error:
        other.close()
        return None
    return stack.enter_context(_Prefetched(evaluations_sql.stream_candidates(
        other, rid, guess.zips, guess.unzipped, guess.addresses, guess.subjects_addressed), other.cancel,
        _record_opener(o.keys, with_lines)))


def _office_inputs(o: OfficeCtx, conn: db.Connection) -> None:
    """The office's court orders and agency entries (opened here: service/office_orders.py) into the working copy;
    and its settings (office_settings.py; an office made before them: the local defaults, as a new local store's)."""
    office_settings.copy_into(o, conn)          # the office's settings (i19o)
    if not office_orders.has_registers(o):
        return                                  # an office made before it kept the registers
    at = utc_now()
    for order in office_orders.court_orders(o):
        local_orders.put_order(conn, order, at=at, by="office")
    for entry in office_orders.agencies(o):
        local_orders.put_agency(conn, entry, at=at, by="office")


class _Prefetched:
    """The batches of a server-side cursor, fetched by a thread one batch ahead of the caller: the server's work
    and the network overlap the desktop's (the thread alone uses the connection until the batches end; psycopg
    waits for the server without the GIL). The thread starts at once, so the server starts its query before the
    caller asks for the first batch. With `then`, a second thread opens each batch (`then(batch)` is handed over)
    as the first fetches the next: opening holds the GIL, while the server makes the next batch and the caller's
    SQLite inserts release it, so the three overlap (a tenth off a fill, measured: the fetch of a server-side
    cursor's batch waits for the server to make it).
    `close` (also at the end of a `with` block) stops the thread, with `cancel` first (the connection's query
    cancelled: a thread waiting for a long join ends at once)."""

    def __init__(self, batches: Iterable[Any], cancel: Callable[[], None] | None = None,
                 then: Callable[[Any], Any] | None = None) -> None:
        if then is not None:                # fetched by a thread of its own: the server makes the next batch
            batches = _Prefetched(batches, cancel)      # while this one opens the last
        self._batches, self._cancel, self._then = batches, cancel, then
        self._handoff: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._fetch, name="office-fetch", daemon=True)
        self._thread.start()

    def _fetch(self) -> None:
        try:
            for batch in self._batches:
                item = batch if self._then is None else self._then(batch)
                while not self._stop.is_set():
                    try:
                        self._handoff.put(("batch", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if self._stop.is_set():
                    break
            else:
                self._handoff.put(("end", None))
        except BaseException as exc:        # handed to the caller, raised there (unless it stopped asking)
            with suppress(queue.Full):
                self._handoff.put(("error", exc), timeout=0.1 if self._stop.is_set() else None)
        finally:
            close = getattr(self._batches, "close", None)
            if close is not None:           # the server-side cursor, closed in the thread that used it
                try:
                    close()
                except psycopg.Error:
                    if not self._stop.is_set():
                        raise

    def __iter__(self) -> Iterator[Any]:
        while True:
            kind, item = self._handoff.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        if self._cancel is not None and self._thread.is_alive():
            with suppress(psycopg.Error):
                self._cancel()
        while self._thread.is_alive():
            with suppress(queue.Empty):
                while True:
                    self._handoff.get_nowait()      # a thread waiting to hand over a batch sees `stop`
            self._thread.join(timeout=0.1)

    def __enter__(self) -> _Prefetched:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _copy_subjects(o: OfficeCtx, conn: db.Connection, rid: int, local: int, addressed: bool,
                   shared: list[list[Any]] | None) -> tuple[int, bool, set[bytes]]:
    """The request's subjects, opened, into the working copy as the local import stores them; (how many, whether
    a subject whose address the importing desktop did not index has a street without a five-digit ZIP, the
    address indexes of those subjects' address keys). `addressed`: the office's subjects carry their address
    index; `shared`: the reasons several subjects give, as the request's document carries them (None: a
    document without them, counted from the subjects)."""
    count = 0
    reasons: Counter[str] = Counter()
    unzipped = False
    places: set[bytes] = set()
    counting = shared is None
    with _Prefetched(evaluations_sql.stream_subjects(o.conn, rid, addressed),
                     then=lambda batch: working_open.open_subjects(o.keys, batch, counting)) as batches:
        for opened in batches:
            local_requests.insert_packed_subjects(conn, local, count, opened.packed)
            reasons.update(opened.reasons)
            unzipped = unzipped or opened.unzipped
            places.update(opened.addresses)
            count += opened.count
    given = [(k, n) for k, n in reasons.items() if n > 1] if shared is None else [(str(k), int(n)) for k, n in shared]
    local_requests.insert_shared_reasons(conn, local, given)
    return count, unzipped, places


def _home_zip(home: str | None) -> str | None:
    """The ZIP5 of a first-party FOIA requester's mailing address `home` (the checks look the requester up there):
    "" when there is none to look up, None when the address has no five-digit ZIP."""
    if not home:
        return ""
    five = home.rpartition("|")[2]
    return five if len(five) == 5 else None


def _record_opener(keys: OfficeKeys, with_lines: bool) -> Callable[[Any], tuple[PackedRows, bool]]:
    return lambda batch: (working_open.open_records(keys, batch, with_lines), with_lines)


def _copy_records(conn: db.Connection, opened: _Prefetched) -> None:
    """The candidate records, opened by `opened`'s thread (`_record_opener`), into the working copy's empty table
    (its indexes built once at the end)."""
    local_records.drop_indexes(conn)
    next_id = local_records.next_id(conn)
    for packed, with_lines in opened:
        local_records.insert_packed(conn, next_id, packed.rows, packed.lines if with_lines else None)
        next_id += packed.count
    db.sort_threads(conn, SORT_THREADS)
    try:
        if local_records.create_read_indexes(conn) is not None:
            raise StoreError("the office gave two records for one TIN, type and year; nothing was recorded")
    finally:
        db.sort_threads(conn, 0)

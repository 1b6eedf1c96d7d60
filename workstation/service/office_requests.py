"""Request packages into the office store, and the office's review queue (issue 19).

An import reads the package with the local import's parser and checks (intake/request_package.py: every
message is the local store's, the due date worked out as the local store works it out), seals the document and
every subject on this desktop (office/request_seal.py), streams the subjects through binary COPY and writes the
request's row last, in one transaction. A bad file (possibly half-way through its subjects), a request id the
office holds already, a role the server refuses and a server lost during the import each give one message and
leave the office exactly as it was. The log entry carries the request id, its authority and counts.

The queue is read from the requests' plain metadata; only each requester's name is opened on the desktop.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import psycopg

from ..canonical import canonical_json, utc_now
from ..crypto.digest import Hasher
from ..errors import InputError
from ..intake import read_request
from ..model import ImportSummary, QueueRow
from ..office.request_seal import SHARED_REASONS, SubjectSealer, agency_opener, seal_agency, seal_document
from ..settings import DEFAULTS
from ..store.office import requests as requests_sql
from . import office_errors
from .context import CancelCheck, Progress
from .imports import SUBJECT_BATCH, request_due_date
from .office_records import IMPORT_LOST, OfficeCtx
from .records_load import check_cancel

OLDER_OFFICE = ("this office's database was made before offices held requests (it has no request tables); make "
                "the office again with this version's 'dws office init' or 'dws office demo' on a new folder")


def import_request(o: OfficeCtx, path: Path, progress: Progress | None = None,
                   cancelled: CancelCheck | None = None) -> ImportSummary:
    """Import the request package at `path` (and its subjects_csv) into the office store."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not import requests; "
                                      "nothing was changed",
                              older=OLDER_OFFICE + "; nothing was changed", lost=IMPORT_LOST):
        return _import_request(o, path, progress, cancelled)


def _import_request(o: OfficeCtx, path: Path, progress: Progress | None, cancelled: CancelCheck | None
                    ) -> ImportSummary:
    parsed = read_request(path)
    pkg = parsed.package
    package = dataclasses.asdict(pkg)
    package_json = canonical_json(package)
    # the office has no settings of its own yet: the defaults the local store starts with
    agency_days, foia_days = DEFAULTS["agency_due_days"], DEFAULTS["foia_due_working_days"]
    assert isinstance(agency_days, int) and isinstance(foia_days, int)
    due = request_due_date(parsed.source, pkg.authority, pkg.received_on, agency_days, foia_days)
    digest = Hasher(package_json)
    conn = o.conn
    with conn.transaction():
        _refuse_a_second_import(o, path, pkg.request_id)
        rid = requests_sql.new_id(conn)
        addressed = requests_sql.has_address_index(conn)
        sealer = SubjectSealer(o.keys, rid, addressed)
        count = 0
        reasons: Counter[str] = Counter()
        for batch in parsed.subject_batches(SUBJECT_BATCH):
            check_cancel(cancelled)
            requests_sql.copy_subjects(conn, sealer.rows(batch, count), addressed)
            digest.update(batch.hashed)         # each subject's canonical JSON, as the local package hash takes it
            reasons.update(batch.reasons)
            count += batch.count
            if progress:
                progress(count, None)
        check_cancel(cancelled)
        shared = sealer.reason_indexes(reasons)
        requests_sql.insert_reasons(conn, rid, shared)
        # the reasons several subjects give, as the local store keeps them: an evaluation's working copy takes
        # them from here instead of from every subject (office_evaluation.py)
        document = seal_document(o.keys, rid, {"package": package, "source": path.name,
                                               "package_hash": digest.hexdigest(),
                                               SHARED_REASONS: sorted([k, n] for k, n in reasons.items() if n > 1)})
        try:
            with conn.transaction():            # a savepoint: another desktop may have imported it meanwhile
                requests_sql.insert(
                    conn, id=rid, request_id=pkg.request_id, received_on=pkg.received_on, authority=pkg.authority,
                    agency=seal_agency(o.keys, rid, pkg.requester.agency), agency_code=pkg.requester.agency_code,
                    due_on=due.isoformat(), subject_count=count, imported_at=utc_now(),
                    imported_by=o.user or "recovery", document=document)
        except psycopg.errors.UniqueViolation:
            _refuse_a_second_import(o, path, pkg.request_id)
            raise
        o.log("request-imported", pkg.request_id, {"authority": pkg.authority, "subjects": count,
                                                   "shared_reasons": len(shared)})
    return ImportSummary("request", path.name, count, inserted=count, ident=pkg.request_id)


def _refuse_a_second_import(o: OfficeCtx, path: Path, request_id: str) -> None:
    existing = requests_sql.find(o.conn, request_id)
    if existing is not None:                    # the local store's words
        raise InputError(f"request {request_id} is already in the store (imported {existing[1][:10]} by "
                         f"{existing[2]}); a request package is imported once", source=path.name)


def queue(o: OfficeCtx, status: str | None = None) -> list[QueueRow]:
    """The review queue, as the local store's `queue` gives it (due first; no recommendation in the office yet):
    the plain metadata, but for each requester's name, opened here."""
    with office_errors.mapped(refused="the office server refuses it: your office role may not read the queue",
                              older=OLDER_OFFICE,
                              lost="office server unreachable: the connection ended while the queue was read; try "
                                   "again when the server is back"):
        rows = requests_sql.queue(o.conn, status)
    agency = agency_opener(o.keys)
    return [QueueRow(request_id, agency(rid, bytes(sealed)), code, authority, received, due, subjects, state)
            for request_id, sealed, code, authority, received, due, subjects, state, rid in rows]

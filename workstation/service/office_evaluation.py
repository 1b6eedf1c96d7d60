"""`dws evaluate` on an office store (issue 19): the local store's evaluation, run unchanged on a working copy.

For one request the office gives its sealed subjects and the sealed candidate records, joined on the blind indexes
in SQL (store/office/evaluations.py: every record of a taxpayer a subject names by TIN or with a row at a subject's
address key, by the address indexes the request's import made, or, for subjects imported without one, that this
desktop makes as it opens them; rows without an address index by ZIP5: a superset of what the checks read),
streamed through server-side cursors in one read-only snapshot (service/office_fill.py: the candidates read on a
second connection while the subjects are opened, and what else makes the fill fast). This desktop opens them (a
subject and a record sealed as the working copy stores them are stored as they open; the shared reasons come from
the request's document) and builds the evaluation's *working copy*: a SQLCipher store with the local schema (the same
migrations) holding that request, its subjects and the candidate records, under a fresh random key that never
touches disk, in a private 0700 folder under the user's cache folder (workstation/demo_scratch.py: removed on
every exit path, SIGTERM and a killed process included). The local service evaluation (service/evaluation.py,
its worker processes for large requests) then runs on it unchanged, so the findings are the local store's.

`evaluate` records the result in the office in one transaction: a dws.evaluations row (the document and its two
hashes sealed), the taxpayer of each subject matched other than by the TIN it names as a TIN blind index
(dws.subject_matches, one COPY: how the views of a taxpayer matched by name and address are found,
service/office_proofs.py), the request's status 'evaluated',
one office log entry (counts and recommendation only), and for
a preparer evaluating a request nobody has claimed, the claim (`claimed_by`, the server's own check that a
preparer claims for themselves and never takes a claim over). An auditor may evaluate (the local store lets every
role read the queue) but the office records no evaluation, status or claim of it: the server gives an auditor read
access only, and log entries of what they read (store/office/log.READING_EVENTS).

For the steps after an evaluation (decide, approve, letters) on an office:

    with office_evaluation.working_copy(o, request_id, as_of) as wc:
        wc.ctx          # a local service Ctx over the evaluated working copy: the request (same request_id), its
                        # subjects, subject_results, the evaluation (wc.doc), as service.evaluation stored them
        wc.request      # the request's row id in the office (dws.requests.id); wc.role its office role

Everything written to `wc.ctx` is gone when the block ends (the working copy is removed); what must last goes
into the office. The working copy also holds the office's settings, court orders, agency entries and the
request's overrides (office_fill.py), so its evaluation is the one a local store holding them would make.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from ..canonical import canonical_json
from ..demo_scratch import build_folder
from ..errors import PermissionDenied
from ..keys.keyslots import Keyslots
from ..paths import APP
from ..results import EvaluationDoc
from ..store import db, opening
from ..store.office import evaluations as evaluations_sql
from ..store.office import matches as matches_sql
from ..store.office.roles import OfficeRole, OfficeRoles, roles_for
from . import evaluation, evaluation_report, office_fill
from .context import CancelCheck, Ctx, Progress
from .office_errors import mapped
from .office_records import OfficeCtx

LOCAL_ROLE = {"preparer": "reviewer"}       # an office role's name in the local store, where it differs
SCRATCH_ENV = "DWS_SCRATCH_DIR"             # where working copies are built (default: the user's cache folder)
OLDER_OFFICE = ("this office's database was made before offices held evaluations (it has no evaluations table); "
                "make the office again with this version's 'dws office init' or 'dws office demo' on a new folder")
_T = TypeVar("_T")
UNREACHABLE = ("office server unreachable: the connection ended during the evaluation; nothing was recorded in the "
               "office (evaluate again when the server is back)")


@dataclass
class WorkingCopy:
    ctx: Ctx                    # a local Ctx over the working copy, the request evaluated
    doc: EvaluationDoc
    request: int                # the request's id in the office
    role: OfficeRole
    claimed_by: str | None      # the request's claim when it was read
    # (seq, matched TIN's digits) of the subjects matched other than by the TIN they name: never logged
    matches: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class OfficeEvaluation:
    doc: EvaluationDoc
    document: dict[str, Any]    # what `dws evaluate [--json] [--summary]` prints (evaluation_report.document)
    recorded: bool              # recorded in the office (an auditor's is not)
    claimed_by: str | None      # the request's claim afterwards
    notices: list[str] = field(default_factory=list)    # one line each, for stderr


def scratch_target() -> Path:
    """The working copies' folder is made beside this path (demo_scratch.build_folder)."""
    given = os.environ.get(SCRATCH_ENV)
    if given:
        return Path(given).expanduser() / "evaluation"
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False) / "evaluation"


def office_errors() -> AbstractContextManager[None]:
    """The office server's errors during an evaluation as the product's (service/office_errors.py)."""
    return mapped(refused="the office server refuses it: your office role may not record this evaluation; nothing "
                          "was changed", older=OLDER_OFFICE + "; nothing was changed", lost=UNREACHABLE)


@contextmanager
def working_copy(o: OfficeCtx, request_id: str, as_of: date, progress: Progress | None = None,
                 cancelled: CancelCheck | None = None, roles: OfficeRoles | None = None,
                 with_lines: bool = True, keep_results: bool = True) -> Iterator[WorkingCopy]:
    """The request evaluated on a working copy of it (see the module's docstring); removed when the block ends.
    Without `with_lines` the records are stored without their CSV lines (office_fill.py), without `keep_results`
    the subjects' results are only counted and hashed (service/evaluation.evaluate): for the evaluation's summary
    alone, never for a step that reads a subject's findings, previews the release or writes a letter."""
    roles = roles or roles_for(o.conn.info.dbname)
    with office_errors():
        role = evaluations_sql.office_role(o.conn, roles)
    if role is None:
        raise PermissionDenied("the office server gives your login no office role; ask the office administrator")
    with build_folder(scratch_target()) as folder:
        folder.store.mkdir(mode=0o700)
        key = os.urandom(32)
        conn = db.connect(folder.store / db.DB_NAME, key, create=True)
        try:
            db.unflushed(conn)                 # a copy removed on every exit: no flush is worth waiting for
            db.migrate(conn)
            db.unjournaled(conn)               # filled in one transaction: no WAL written and copied again
            with office_errors():
                request, claimed_by = office_fill.fill(o, conn, request_id, with_lines)
            db.journaled(conn)                 # the evaluation's workers read while it writes
            store = opening.OpenStore(folder.store, conn, Keyslots("office-working-copy", device_binding=False),
                                      o.user, key, None)
            ctx = Ctx(store, LOCAL_ROLE.get(role, role))
            matches: list[tuple[int, str]] = []
            doc = evaluation.evaluate(ctx, request_id, as_of, progress, cancelled, keep_results, matches)
            yield WorkingCopy(ctx, doc, request, role, claimed_by, matches)
        finally:
            conn.close()


def evaluate(o: OfficeCtx, request_id: str, as_of: date, *, summary: bool, progress: Progress | None = None,
             cancelled: CancelCheck | None = None, roles: OfficeRoles | None = None) -> OfficeEvaluation:
    """Evaluate an office request (the local evaluation on its working copy) and record the result in the office
    (see the module's docstring); the document `dws evaluate` prints, with every subject's findings unless
    `summary`."""
    with working_copy(o, request_id, as_of, progress, cancelled, roles, with_lines=False,
                      keep_results=not summary) as wc:
        document = evaluation_report.document(wc.ctx, request_id, wc.doc, summary=summary)
    viewed = sum(1 for f in document.get("findings", []) if "candidates" in f)
    if wc.role == "auditor":
        with office_errors(), o.conn.transaction():     # what the auditor read is logged, nothing else recorded
            o.log("request-viewed", request_id, {"as_of": wc.doc["as_of"], "counts": wc.doc["counts"],
                                                  "recommendation": wc.doc["recommendation"]})
            if viewed:
                o.log("candidates-viewed", request_id, {"subjects": viewed})
        return OfficeEvaluation(wc.doc, document, False, wc.claimed_by, [
            f"{request_id}: evaluated on this desktop only: an auditor records no evaluation, status or claim in the "
            "office (the reading is logged)"])
    with office_errors():
        claimed_by = record(o, wc, request_id, viewed)
        login = evaluations_sql.login(o.conn)
    notices = []
    if wc.role == "preparer" and claimed_by != login:
        notices.append(f"{request_id} is claimed by {claimed_by}: your evaluation is recorded, the claim stays theirs")
    return OfficeEvaluation(wc.doc, document, True, claimed_by, notices)


def record(o: OfficeCtx, wc: WorkingCopy, request_id: str, viewed: int) -> str | None:
    """The evaluation, the status, the claim and the log entry, in one office transaction; the claim after it."""
    doc, keys, conn = wc.doc, o.keys, o.conn
    with conn.transaction():
        eid = evaluations_sql.new_id(conn)
        claimed_by, claimed = evaluations_sql.record(
            conn, id=eid, request=wc.request, as_of=doc["as_of"], evaluated_at=doc["evaluated_at"],
            evaluated_by=o.user or "recovery", recommendation=doc["recommendation"],
            document=keys.seal(evaluations_sql.TABLE, eid, canonical_json(dict(doc))),
            findings_hash=keys.seal_text(evaluations_sql.FINDINGS_LABEL, eid, doc["findings_hash"]),
            plan_hash=keys.seal_text(evaluations_sql.PLAN_LABEL, eid, doc["plan_hash"]),
            claim=wc.role in evaluations_sql.CLAIMERS)
        if matches_sql.exists(conn):        # subjects matched by name and address, blind-indexed (schema step 7)
            index = keys.indexer("tin")
            matches_sql.copy(conn, eid, ((seq, index(tin)) for seq, tin in wc.matches))
        o.log("request-evaluated", request_id, {"recommendation": doc["recommendation"],
                                                 "needs_review": doc["needs_review"], "counts": doc["counts"],
                                                 "as_of": doc["as_of"], "claimed": claimed})
        if viewed:
            o.log("candidates-viewed", request_id, {"subjects": viewed})
    return claimed_by


def matches_changed(o: OfficeCtx, wc: WorkingCopy) -> bool:
    """Whether the working copy matched the request's subjects to other taxpayers than the office's latest
    evaluation of it recorded (one recorded before the office kept matches: whenever any subject is matched)."""
    with office_errors():
        if not matches_sql.exists(o.conn):
            return False
        recorded = matches_sql.of_latest(o.conn, wc.request)
    index = o.keys.indexer("tin")
    return recorded != {(seq, index(tin)) for seq, tin in wc.matches}


def recorded(o: OfficeCtx, request_id: str) -> EvaluationDoc | None:
    """The latest evaluation the office recorded for a request (opened here), or None."""
    with office_errors():
        row = evaluations_sql.request_row(o.conn, request_id)
        found = evaluations_sql.latest(o.conn, int(row[0])) if row else None
    if found is None:
        return None
    eid, sealed = int(found[0]), bytes(found[6])
    doc: EvaluationDoc = json.loads(o.keys.open(evaluations_sql.TABLE, eid, sealed))
    return doc


def queue_extras(o: OfficeCtx) -> dict[str, tuple[str | None, str | None]] | None:
    """request_id -> (who claimed it, its latest recommendation) for `dws list` on an office (None: an office made
    before evaluations and claims)."""
    with office_errors():
        return evaluations_sql.queue_extras(o.conn)

"""Reading a request for review: overview, subjects page by page, findings, the redaction preview, and
"show original" (a logged view of unredacted data, with the reason given)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ..codec import package_from_json
from ..errors import InputError, PermissionDenied
from ..model import ELEMENTS, MatchCandidate, RequestPackage, SubjectFinding, SubjectRow
from ..redaction.preview import PreviewField, build_preview, released_text
from ..rules.checks_scope import released_periods
from ..rules.findings import citation
from ..store import db
from ..store import evaluation as ev
from ..store import records as records_sql
from ..store import requests as requests_sql
from .context import Ctx
from .free_text import check_free_text

VIEW_ROLES = frozenset({"reviewer", "approver", "counsel"})
MIN_VIEW_REASON = 10


def request(s: Ctx, request_id: str) -> tuple[int, RequestPackage]:
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    return row[0], package_from_json(row[1])


def _row(r: db.Row) -> SubjectRow:
    seq, ref, status, _matched, findings, released, withheld = r
    codes = tuple(dict.fromkeys(c for c, o, _m in json.loads(findings) if o != "pass"))
    return SubjectRow(seq, ref, status, codes, tuple(released.split(",")) if released else (),
                      tuple(tuple(w.split(":", 1)) for w in withheld.split(",") if w))


def subject_count(s: Ctx, request_id: str, status: str | None = None) -> int:
    rid, _pkg = request(s, request_id)
    return ev.result_count(s.conn, rid, status)


def subject_rows(s: Ctx, request_id: str, offset: int, limit: int, status: str | None = None) -> list[SubjectRow]:
    """One page of subjects in package order (evaluate first). With a status, only those subjects."""
    rid, _pkg = request(s, request_id)
    return [_row(r) for r in ev.result_page(s.conn, rid, offset, limit, status)]


FIND_LIMIT = 50


def find_subjects(s: Ctx, request_id: str, text: str) -> list[SubjectRow]:
    """The evaluated subjects whose reference is `text`, or whose name holds each of its words, in package order
    (at most FIND_LIMIT). Searching by name is a query of taxpayer data: it is logged (the number of words and
    of matches, never the words)."""
    rid, _pkg = request(s, request_id)
    words = text.split()
    if not words:
        return []
    by_name = [w for w in words if len(w) >= 2]
    seqs = requests_sql.find_subjects(s.conn, rid, text.strip(), by_name, FIND_LIMIT)
    with db.transaction(s.conn):
        s.log("subjects-searched", request_id, {"words": len(words), "matches": len(seqs)})
    rows = [subject_rows(s, request_id, seq, 1) for seq in seqs]
    return [r[0] for r in rows if r]


def subject_findings(s: Ctx, request_id: str, seq: int) -> list[SubjectFinding]:
    """A subject's findings. When MATCH found more than one taxpayer, its finding names them (masked TIN,
    type, years on file): that is a view of taxpayer data, logged."""
    rid, pkg = request(s, request_id)
    row = ev.subject_findings(s.conn, rid, seq)
    if row is None:
        raise InputError(f"request {request_id} has no evaluated subject {seq}")
    ref, findings, stored = row
    named = candidates(s, stored)
    if named:
        with db.transaction(s.conn):
            s.log("candidates-viewed", request_id, {"ref": ref, "candidates": len(named)})
    return [SubjectFinding(c, o, m, citation(c, pkg.authority), named if c == "MATCH" and o != "fail" else ())
            for c, o, m in json.loads(findings)]


def mask_tin(tin: str, tin_type: str) -> str:
    """A TIN shown by its last four digits only: ***-**-1234, an EIN **-***1234."""
    return f"**-***{tin[-4:]}" if tin_type == "EIN" else f"***-**-{tin[-4:]}"


def masked_candidates(stored: str | None) -> list[str]:
    """The masked TINs of the stored candidates ('tin:type;...'), in their stored order."""
    return [mask_tin(*c.split(":", 1)) for c in stored.split(";")] if stored else []


def candidates(s: Ctx, stored: str | None) -> tuple[MatchCandidate, ...]:
    """The stored candidates ('tin:type;...') as the officer sees them (the caller logs the view)."""
    out = []
    for c in stored.split(";") if stored else ():
        tin, tin_type = c.split(":", 1)
        out.append(MatchCandidate(mask_tin(tin, tin_type), tin_type, ev.years_on_file(s.conn, tin, tin_type)))
    return tuple(out)


def log_candidates_viewed(s: Ctx, request_id: str, refs: list[str]) -> None:
    """The candidates of these subjects were shown (e.g. in `dws evaluate --json`)."""
    if refs:
        with db.transaction(s.conn):
            s.log("candidates-viewed", request_id, {"refs": refs})


def _matched(s: Ctx, rid: int, seq: int) -> tuple[str | None, str, str, str]:
    row = ev.matched_result(s.conn, rid, seq)
    if row is None:
        raise InputError(f"no evaluated subject {seq}; evaluate the request first")
    return row


def matched_taxpayer(s: Ctx, rid: int, seq: int) -> str | None:
    """The one taxpayer ("tin:type") an evaluated subject matched, or None (no record, several candidates)."""
    return _matched(s, rid, seq)[0]


def _periods(s: Ctx, rid: int, seq: int, pkg: RequestPackage) -> list[int]:
    own = requests_sql.subject_periods(s.conn, rid, seq)
    return subject_years(own, request_years(s, rid, pkg))


def request_years(s: Ctx, rid: int, pkg: RequestPackage) -> tuple[str, ...]:
    """The request's periods that may be released, as of its evaluation: never an invalid period, nor one
    beyond the court order or the consent (RULES.md ORDER, PERIODS). Before any evaluation: none."""
    doc = ev.load_evaluation(s.conn, rid)
    return released_periods(pkg, date.fromisoformat(doc["as_of"])) if doc else ()


def subject_years(own: str | None, periods: tuple[str, ...]) -> list[int]:
    """The tax years to read for a subject, newest first: its own periods (';'-separated) within the
    request's, or the request's when it gives none."""
    wanted = [p for p in (own.split(";") if own else periods) if p in periods or not own]
    return sorted({int(p) for p in wanted if p.isdigit()}, reverse=True)


def _record_rows(s: Ctx, matched: str, columns: list[str], years: list[int]) -> list[dict[str, Any]]:
    tin, tin_type = matched.split(":")
    cols = ["tax_year", "tin_type", "address_as_of", *[c for c in columns if c in ELEMENTS and c != "address"]]
    if "address" in columns:
        cols += ["street", "city", "state", "zip"]
    cols = list(dict.fromkeys(cols))
    found = records_sql.record_lines(s.conn, tin, tin_type, years)
    rows = []
    for (year, tin_, name, _line), data in zip(found, records_sql.line_values(r[3] for r in found), strict=True):
        values = {"tax_year": year, "tin_type": tin_type, "tin": tin_, "name": name, **data}
        rows.append({c: values[c] for c in cols})
    return rows


def preview(s: Ctx, request_id: str, seq: int) -> list[PreviewField]:
    """Each requested element as it would be released, or its withholding label. Logged as a view."""
    rid, pkg = request(s, request_id)
    matched, ref, released_s, withheld_s = _matched(s, rid, seq)
    released = released_s.split(",") if released_s else []
    withheld = [tuple(w.split(":", 1)) for w in withheld_s.split(",") if w]
    rows = _record_rows(s, matched, released, _periods(s, rid, seq, pkg)) if matched and released else []
    with db.transaction(s.conn):
        s.log("preview-viewed", request_id, {"ref": ref, "released": released})
    return build_preview(pkg.items, released, withheld, pkg.authority, rows)  # type: ignore[arg-type]


def show_original(s: Ctx, request_id: str, seq: int, reason: str) -> list[tuple[str, str]]:
    """Every requested element's value on file, withheld ones included, for a stated reason; logged with
    the user, time, subject and elements (AU-2/AU-3)."""
    if s.role not in VIEW_ROLES:
        raise PermissionDenied(f"only a reviewer, approver or counsel may view unredacted data (you are {s.role})")
    reason = reason.strip()
    if len(reason) < MIN_VIEW_REASON:
        raise InputError(f"say why you need the unredacted data (at least {MIN_VIEW_REASON} characters)")
    check_free_text(reason, "reason")
    rid, pkg = request(s, request_id)
    matched, ref, _r, _w = _matched(s, rid, seq)
    with db.transaction(s.conn):
        s.log("unredacted-viewed", request_id, {"ref": ref, "elements": list(pkg.items), "reason": reason})
    if not matched:
        return [(item, "(no matching record)") for item in pkg.items]
    rows = _record_rows(s, matched, list(pkg.items), _periods(s, rid, seq, pkg))
    return [(item, released_text(item, rows)) for item in pkg.items]

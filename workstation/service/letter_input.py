"""Gathering a letter's input from the store: the signed decision, the office settings, the schedule of
released values (only released columns are ever read) and the grouped reasons with subject references.

What a letter says about named taxpayers follows domain/RULES.md "Letters", with two rules of care:
- a hold is never visible: a held subject is listed under every other defect that applies to it, exactly as
  if it had no hold (so no list of references has a gap that only the hold explains), and only a held subject
  that nothing else withholds appears, among "cannot be disclosed at this time", and nowhere else;
- when the request fails as a whole (a request-level defect or a court order), the letter lists only the
  subject defects in what the requester sent (NAME, ADDRESS, REASON): saying which named people have no
  record, or another address on file, would itself disclose return information to a requester who may
  receive none.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .. import clock as clocks
from ..letters import wording
from ..letters.document import (
    BlockingOrder,
    Group,
    LetterInput,
    LogCheckpoint,
    Office,
    RequestDefect,
    ScheduleRow,
    SignerKey,
    Verification,
)
from ..letters.ranges import Runs
from ..letters.templates import texts as letter_texts
from ..model import ELEMENT_CLASS, RequestPackage
from ..redaction.preview import released_text
from ..results import DecisionInfo
from ..rules.findings import PASS, citation, denies
from ..rules.plan import PARTIAL_CODES
from ..rules.subjects import HOLD_WITH_OTHERS, PRECEDENCE
from ..store import decisions as dec
from ..store import letters as letters_sql
from ..store import orders as orders_sql
from . import review
from .context import Ctx

REQUESTER_CODES = frozenset({"NAME", "ADDRESS", "REASON"})        # defects in what the requester sent
RECORD_CODES = frozenset({"MATCH", "MATCH/needs-review", "ADDRESS-MATCH", "PERIOD-RECORD", "HOLD"})
ORDER = ("NAME", "ADDRESS", "REASON", "MATCH", "MATCH/needs-review", "ADDRESS-MATCH", "PERIOD-RECORD", "ITEMS",
         "OVERRIDE", "COURT-ORDER", "HOLD")


def _office_date(stamp: str) -> str:
    """The letter is dated on the office's calendar (its time zone), not UTC's: a decision approved at
    7 p.m. in Washington on December 31 is dated December 31, though it is already January 1 in UTC."""
    return clocks.local_date(stamp).isoformat()


def _fails_whole(f: dict[str, Any]) -> bool:
    """A request-level finding that fails the request as a whole (not one that withholds only some elements
    or periods). Decisions signed before findings said so themselves: ITEMS alone was partial."""
    if "partial" in f:
        return denies(f)
    return f["outcome"] in ("fail", "block") and f["code"] not in PARTIAL_CODES


def build(s: Ctx, rid: int, pkg: RequestPackage, row: dec.DecisionRow, info: DecisionInfo,
          letter_id: str, checkpoint: LogCheckpoint | None = None) -> LetterInput:
    doc: dict[str, Any] = json.loads(row.document)
    kind, version = doc["letter"]["kind"], doc["letter"]["template_version"]
    texts = letter_texts(kind, version)
    defects = [RequestDefect(f["code"], f["outcome"], wording.in_words(f["message"], texts), f["citation"])
               for f in doc["findings"]["request"]]
    whole_request_fails = any(_fails_whole(f) for f in doc["findings"]["request"])
    releases = doc["outcome"] in ("grant", "partial")
    d = LetterInput(
        kind=kind, texts=texts, letter_id=letter_id, letter_date=_office_date(info.approved_at or info.prepared_at),
        created=info.approved_at or info.prepared_at, package=pkg, outcome=doc["outcome"],
        subject_count=doc["counts"]["subjects"], released_count=doc["counts"]["releasable"] if releases else 0,
        office=_office(s), verification=_verification(letter_id, row, info), checkpoint=checkpoint,
        justification=doc["justification"],
        defects=defects, orders=_blocking_orders(s, defects),
        record_checks_shown=not whole_request_fails and not (kind == "foia-response" and not releases))
    if d.releases:
        d.columns = tuple(pkg.items)
        d.schedule = lambda: _schedule(s, rid, pkg, texts)
    listed = _groups(s, rid, pkg, d)
    d.fti = d.releases or bool(listed & RECORD_CODES)
    return d


def _office(s: Ctx) -> Office:
    v = s.settings()
    return Office(name=v["office_name"], address_lines=tuple(v["office_address_lines"]), phone=v["office_phone"],
                  signature_name=v["office_signature_name"], signature_title=v["office_signature_title"],
                  foia_public_liaison=v["foia_public_liaison"],
                  foia_appeal_lines=tuple(v["foia_appeal_address_lines"]))


def _verification(letter_id: str, row: dec.DecisionRow, info: DecisionInfo) -> Verification:
    signers = [SignerKey("preparer", info.preparer, info.preparer_fingerprint)]
    if info.approver and info.approver_fingerprint:
        signers.append(SignerKey("approver", info.approver, info.approver_fingerprint))
    return Verification(letter_id, row.decision_id, row.doc_hash, tuple(signers))


def _blocking_orders(s: Ctx, defects: list[RequestDefect]) -> list[BlockingOrder]:
    """The orders behind the block findings of the signed decision, as the register held them then (the
    finding's citation names court, case number and date; the caption comes from the register)."""
    out = []
    for f in defects:
        if f.code != "COURT-ORDER" or f.outcome != "block":
            continue
        match = next((o for o in orders_sql.all_orders(s.conn)
                      if f.citation == f"Order of {o.court}, {o.case_no} ({o.signed_on})"), None)
        if match is not None:
            out.append(BlockingOrder(match.court, match.case_no, match.caption, match.signed_on))
    return out


def _schedule(s: Ctx, rid: int, pkg: RequestPackage, texts: dict[str, Any]) -> Iterator[ScheduleRow]:
    """Released values subject by subject; each subject's record rows hold only its released columns and
    only the periods that may be released (never an invalid one, nor one beyond the order or the consent)."""
    years = review.request_years(s, rid, pkg)
    for _seq, ref, matched, released, own_periods in letters_sql.released_subjects(s.conn, rid):
        items = released.split(",")
        rows = review._record_rows(s, matched, items, review.subject_years(own_periods, years))
        yield ScheduleRow(ref, tuple((item, _cell(item, rows, texts)) for item in items))


def _cell(item: str, rows: list[dict[str, Any]], texts: dict[str, Any]) -> str:
    if item == "filing_status":          # a code on file ("mfj"): the letter prints it in words
        rows = [{**r, item: wording.filing_status(r.get(item), texts)} for r in rows]
    if item == "address" and rows:
        r = rows[0]
        return f"{r['street']}, {r['city']}, {r['state']} {r['zip']} (as of {r['address_as_of'] or r['tax_year']})"
    return released_text(item, rows)


def _codes(findings: str, cache: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """A subject's defects as a letter lists them: every failing code (an ambiguous match as MATCH, like no
    match: RULES.md Letters) exactly as if the subject had no hold; ("HOLD",) alone when nothing but the hold
    withholds it."""
    codes = cache.get(findings)
    if codes is None:
        found: dict[str, None] = {}
        hold_alone = False
        for c, o, m in json.loads(findings):
            if o == PASS:
                continue
            if c == "HOLD":
                hold_alone = m != HOLD_WITH_OTHERS
            else:
                found[c] = None     # an ambiguous MATCH is listed as an unmatched one: no hint that records exist
        codes = cache[findings] = ("HOLD",) if hold_alone else tuple(found)
    return codes


def _withheld_keys(codes: tuple[str, ...], released: str, withheld: str
                   ) -> tuple[list[tuple[str, tuple[str, ...]]], int]:
    """The groups of a letter that releases which list this subject, (code, elements withheld under it), and
    the number of elements withheld. A subject the subject-level checks withhold is listed under each of its
    defects (a held one as if it had no hold): PERIOD-RECORD with its elements only when it alone withholds."""
    by_code: dict[str, list[str]] = {}
    entries = 0
    for entry in withheld.split(",") if withheld else ():
        item, code = entry.split(":", 1)
        by_code.setdefault(code, []).append(item)
        entries += 1
    bases = {c.split("/")[0]: c for c in codes}
    own = next((c for c in by_code if c in PRECEDENCE and (c in bases or c == "HOLD")), None)
    keys: list[tuple[str, tuple[str, ...]]] = []
    if own is not None:
        its = tuple(by_code.pop(own))
        if codes == ("HOLD",):
            keys.append(("HOLD", its))
        else:
            first = next((c for c in PRECEDENCE if c in bases), own)
            keys += [(c, its if c != "PERIOD-RECORD" or first == "PERIOD-RECORD" else ()) for c in codes]
    keys += [(code, tuple(its)) for code, its in by_code.items()]
    if released and "PERIOD-RECORD" in bases:
        keys.append(("PERIOD-RECORD", ()))
    return list(dict.fromkeys(keys)), entries


def _groups(s: Ctx, rid: int, pkg: RequestPackage, d: LetterInput) -> set[str]:
    """One pass over every subject's outcome: the withheld groups (letters that release) or the subject
    defects (declinations), each with its subjects' references compacted. Returns the codes listed."""
    limit = int(d.texts["common"]["max_runs_per_group"])
    groups: dict[tuple[str, tuple[str, ...]], Runs] = {}
    cache: dict[str, tuple[str, ...]] = {}
    withheld_entries = 0
    items = tuple(pkg.items)
    for seq, ref, findings, released, withheld in letters_sql.outcomes(s.conn, rid):
        if d.releases:
            keys, entries = _withheld_keys(_codes(findings, cache), released, withheld)
            withheld_entries += entries
        elif findings != "[]" and d.kind != "foia-response":
            keys = [(c, ()) for c in _codes(findings, cache)
                    if d.record_checks_shown or c in REQUESTER_CODES]
        else:
            continue
        for key in keys:
            runs = groups.get(key)
            if runs is None:
                runs = groups[key] = Runs(limit)
            runs.add(seq, ref)
    d.withheld_entries = withheld_entries
    ordered = sorted(groups.items(), key=lambda kv: (ORDER.index(kv[0][0]) if kv[0][0] in ORDER else 99, kv[0]))
    made = [Group(_title(d, code, its, items), runs.text(), runs.count, runs.more) for (code, its), runs in ordered]
    if d.releases:
        d.withheld = made
    else:
        d.subject_defects = made
    return {code for (code, _its) in groups}


def _title(d: LetterInput, code: str, its: tuple[str, ...], requested: tuple[str, ...]) -> str:
    c = d.texts["common"]
    if code == "HOLD":
        return str(c["hold"])
    reasons = c["reasons"]
    # CONSENT of a subject (a consent that covers another taxpayer) reads as the request-level CONSENT text
    reason = reasons.get(code) or c["request_codes"].get(code) or reasons["REQUEST"]
    authority = d.package.authority
    if code == "ITEMS":
        classes = list(dict.fromkeys(c["class_names"].get(ELEMENT_CLASS.get(i, ""), i) for i in its))
        reason = reason.format(classes=" and ".join(classes).capitalize(),
                               authority_name=c["authority_names"].get(authority, authority))
    cite = citation(code.split("/")[0], authority) if code in REQUESTER_CODES | RECORD_CODES | {"CONSENT"} else None
    reason = f"{reason} ({code}{'; ' + cite if cite else ''})"
    if not d.releases:
        return reason
    labels = c["item_labels"]
    what = d.texts["nothing_disclosed"] if set(its) >= set(requested) else \
        ", ".join(labels.get(i, i) for i in its)
    return f"{what}: {reason}" if its else reason

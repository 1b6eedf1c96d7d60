"""The release plan: for every subject and every requested element, release or withhold with a code;
and the recommendation that follows from the findings and the plan (domain/RULES.md, "Outcomes").

A withheld value never enters the plan: it holds element names and codes only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..model import ELEMENT_CLASS, TRI
from ..results import EvaluationCounts
from .findings import BLOCK, FAIL, PASS, REVIEW, Finding, denies
from .subjects import STATUS_RELEASABLE, SubjectResult

# Whether a request-level failure withholds the whole request or only part of it (elements, periods) is the
# finding's `partial` (`findings.denies`); ITEMS, ORDER and PERIODS may give either. PARTIAL_CODES is kept for
# the letters, which should ask `denies` instead (a denial's letter shows no record checks).
PARTIAL_CODES = frozenset({"ITEMS"})
OVERRIDE = "OVERRIDE"

# Subject-level codes under which no override releases the subject (RULES.md, "Outcomes" and issue 21): an
# internal hold; under FOIA a subject who is not the requester who signed (a third party); under (c) a subject
# who is not the consent's own taxpayer. The subject checks report them as (code, outcome) findings.
HOLD = "HOLD"
FOIA_THIRD_PARTY = "ITEMS"          # subject scope: nothing about a third party is released under FOIA
CONSENT_OTHER_TAXPAYER = "CONSENT"  # subject scope: the consent covers its own taxpayer only
NEVER_RELEASED = frozenset({HOLD, FOIA_THIRD_PARTY, CONSENT_OTHER_TAXPAYER})
_NEVER_WHY = {
    HOLD: "this subject cannot be disclosed at this time (internal hold, 26 U.S.C. 6103(i)(6))",
    FOIA_THIRD_PARTY: "this subject is a third party to the FOIA request (exemption (b)(3) with 26 U.S.C. 6103)",
    CONSENT_OTHER_TAXPAYER: "this subject is not the taxpayer who signed the consent (26 U.S.C. 6103(c))",
}


def forbidden_release(authority: str, item: str, blocked: bool) -> str | None:
    """Why no one may release `item`, or None. RULES.md: never under a block; never TRI under (i)(2)."""
    if blocked:
        return "a court order blocks this request; only counsel changing the order can lift it"
    if authority == "6103(i)(2)" and ELEMENT_CLASS.get(item) == TRI:
        return "taxpayer return information can never be released under 26 U.S.C. 6103(i)(2)"
    return None


def never_released(codes: Iterable[str]) -> str | None:
    """Why no override may release a subject whose failing subject-level codes are `codes`, or None."""
    found = NEVER_RELEASED.intersection(codes)
    return next((_NEVER_WHY[c] for c in (HOLD, FOIA_THIRD_PARTY, CONSENT_OTHER_TAXPAYER) if c in found), None)


def failing_codes(res: SubjectResult) -> frozenset[str]:
    """The subject-level codes that did not pass for this subject."""
    codes = getattr(res, "codes", None)           # a result that carries its failing codes
    if codes is not None:
        return frozenset(codes)
    return frozenset(c for c, o, _m in res.findings if o != PASS)


@dataclass
class Plan:
    authority: str
    items: tuple[str, ...]
    allowed: frozenset[str]
    request_findings: Sequence[Finding]
    overrides: Sequence[tuple[int, int | None, str, str, str, str]] = ()
    _by_seq: dict[int | None, list[tuple[str, str]]] = field(default_factory=dict, init=False, repr=False)
    _encoded: dict[tuple[str | None, bool], tuple[str, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for _id, seq, item, action, _reason, _by in self.overrides:
            self._by_seq.setdefault(seq, []).append((item, action))

    @cached_property
    def block_code(self) -> str | None:
        """The request-level code that withholds everything (COURT-ORDER first), or None."""
        if any(f.outcome == BLOCK for f in self.request_findings):
            return "COURT-ORDER"
        return next((f.code for f in self.request_findings if denies(f)), None)

    def overrides_for(self, seq: int) -> list[tuple[str, str]]:
        return self._by_seq.get(None, []) + self._by_seq.get(seq, [])

    def seqs_with_own_overrides(self) -> frozenset[int]:
        """The subjects with overrides of their own (not those of every subject)."""
        return frozenset(seq for seq in self._by_seq if seq is not None)

    def encoded(self, seq: int, res: SubjectResult) -> tuple[str, str]:
        """`build_plan` as stored: (released elements joined by ",", "element:code" withheld joined by ",")."""
        if seq in self._by_seq:
            return _encode(*build_plan(self, seq, res))
        return self.encoded_shared(res)

    def encoded_shared(self, res: SubjectResult) -> tuple[str, str]:
        """`encoded` for a subject without overrides of its own: the same for every subject withheld on the
        same code, so it is built once."""
        code = res.withheld_code
        shared = self._by_seq.get(None, [])
        # With request-wide overrides, a subject no one may release is planned apart from the others.
        key = (code, bool(shared) and code is not None and never_released(failing_codes(res)) is not None)
        found = self._encoded.get(key)
        if found is None:
            found = self._encoded[key] = _encode(*_build(self, res, shared))
        return found


def _encode(released: list[str], withheld: list[tuple[str, str]]) -> tuple[str, str]:
    return ",".join(released), ",".join(f"{i}:{c}" for i, c in withheld)


def build_plan(plan: Plan, seq: int, res: SubjectResult) -> tuple[list[str], list[tuple[str, str]]]:
    """(released elements, [(withheld element, code)]) for one subject."""
    return _build(plan, res, plan.overrides_for(seq))


def _build(plan: Plan, res: SubjectResult, overrides: list[tuple[str, str]]
           ) -> tuple[list[str], list[tuple[str, str]]]:
    whole = plan.block_code
    if whole is not None:
        return [], [(i, whole) for i in plan.items]
    released: list[str] = []
    withheld: dict[str, str] = {}
    subject_code = res.withheld_code
    # An officer may release against the plan, but never a subject no one may release, nor one without a
    # single matched taxpayer (no record, or several candidates): there is nothing to release for it.
    releasable_by_override = subject_code is None or (
        res.matched is not None and never_released(failing_codes(res)) is None)
    for item in plan.items:
        if subject_code is not None:
            withheld[item] = subject_code
        elif item not in plan.allowed:
            withheld[item] = "ITEMS"
        else:
            released.append(item)
    for item, action in overrides:
        if item not in plan.items:
            continue
        if action == "release" and item in withheld and releasable_by_override \
                and forbidden_release(plan.authority, item, False) is None:
            del withheld[item]
            released.append(item)
        elif action == "withhold" and item in released:
            released.remove(item)
            withheld[item] = OVERRIDE
    order = {i: n for n, i in enumerate(plan.items)}
    released.sort(key=order.__getitem__)
    return released, sorted(withheld.items(), key=lambda kv: order[kv[0]])


def recommend(request_findings: Sequence[Finding], counts: EvaluationCounts, plan: Plan, *, complete: bool) -> str:
    """`complete`: every subject has every requested element released (a requested year with no record on file
    is "no record", and does not make a grant partial). A request-level failure that withholds part (an
    element, an item or period beyond the order, an invalid period) makes the grant partial."""
    if any(f.outcome == BLOCK for f in request_findings):
        return "blocked"
    if plan.block_code is not None or counts["releasable"] == 0:
        return "deny"
    if not complete or any(f.outcome == FAIL and f.partial for f in request_findings):
        return "partial"
    return "grant"


def provisional(recommendation: str, outcomes: Iterable[tuple[str, str]]) -> bool:
    """Whether the recommendation waits for a person (RULES.md "Outcomes"), from the (code, outcome) of every
    finding: any needs-review makes it provisional, except that a blocked request never is (nothing can be
    released), and the first-party FOIA identity check (ITEMS needs-review) counts only when a record would be
    released."""
    if recommendation == "blocked":
        return False
    releases = recommendation in ("grant", "partial")
    return any(o == REVIEW and (releases or c != "ITEMS") for c, o in outcomes)


__all__ = ["CONSENT_OTHER_TAXPAYER", "FOIA_THIRD_PARTY", "HOLD", "NEVER_RELEASED", "OVERRIDE", "STATUS_RELEASABLE",
           "Plan", "build_plan", "failing_codes", "forbidden_release", "never_released", "provisional",
           "recommend"]

"""The release plan: for every subject and every requested element, release or withhold with a code;
and the recommendation that follows from the findings and the plan (domain/RULES.md, "Outcomes").

A withheld value never enters the plan: it holds element names and codes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from ..model import ELEMENT_CLASS, TRI
from .findings import BLOCK, FAIL, Finding
from .subjects import STATUS_RELEASABLE, SubjectResult

PARTIAL_CODES = frozenset({"ITEMS"})   # request-level failures that withhold elements, not the request
OVERRIDE = "OVERRIDE"


def forbidden_release(authority: str, item: str, blocked: bool) -> str | None:
    """Why no one may release `item`, or None. RULES.md: never under a block; never TRI under (i)(2)."""
    if blocked:
        return "a court order blocks this request; only counsel changing the order can lift it"
    if authority == "6103(i)(2)" and ELEMENT_CLASS.get(item) == TRI:
        return "taxpayer return information can never be released under 26 U.S.C. 6103(i)(2)"
    return None


@dataclass
class Plan:
    authority: str
    items: tuple[str, ...]
    allowed: frozenset[str]
    request_findings: Sequence[Finding]
    overrides: Sequence[tuple[int, int | None, str, str, str, str]] = ()
    _by_seq: dict[int | None, list[tuple[str, str]]] = field(default_factory=dict, init=False, repr=False)
    _encoded: dict[str | None, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for _id, seq, item, action, _reason, _by in self.overrides:
            self._by_seq.setdefault(seq, []).append((item, action))

    @cached_property
    def block_code(self) -> str | None:
        """The request-level code that withholds everything (COURT-ORDER first), or None."""
        if any(f.outcome == BLOCK for f in self.request_findings):
            return "COURT-ORDER"
        return next((f.code for f in self.request_findings if f.outcome == FAIL and f.code not in PARTIAL_CODES),
                    None)

    def overrides_for(self, seq: int) -> list[tuple[str, str]]:
        return self._by_seq.get(None, []) + self._by_seq.get(seq, [])

    def has_own_overrides(self, seq: int) -> bool:
        return seq in self._by_seq

    def encoded(self, seq: int, res: SubjectResult) -> tuple[str, str]:
        """`build_plan` as stored: (released elements joined by ",", "element:code" withheld joined by ",")."""
        if seq in self._by_seq:
            return _encode(*build_plan(self, seq, res))
        return self.encoded_shared(res)

    def encoded_shared(self, res: SubjectResult) -> tuple[str, str]:
        """`encoded` for a subject without overrides of its own: the same for every subject withheld on the
        same code, so it is built once."""
        code = res.withheld_code
        found = self._encoded.get(code)
        if found is None:
            found = self._encoded[code] = _encode(*_build(self, res, self._by_seq.get(None, [])))
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
        if action == "release" and item in withheld and forbidden_release(plan.authority, item, False) is None:
            del withheld[item]
            released.append(item)
        elif action == "withhold" and item in released:
            released.remove(item)
            withheld[item] = OVERRIDE
    order = {i: n for n, i in enumerate(plan.items)}
    released.sort(key=order.__getitem__)
    return released, sorted(withheld.items(), key=lambda kv: order[kv[0]])


def recommend(request_findings: Sequence[Finding], counts: dict[str, int], plan: Plan, *, complete: bool) -> str:
    """`complete`: every subject has every requested element released for every requested period."""
    if any(f.outcome == BLOCK for f in request_findings):
        return "blocked"
    if plan.block_code is not None or counts["releasable"] == 0:
        return "deny"
    return "grant" if complete else "partial"


__all__ = ["OVERRIDE", "STATUS_RELEASABLE", "Plan", "build_plan", "forbidden_release", "recommend"]

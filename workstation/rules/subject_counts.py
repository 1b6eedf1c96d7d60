"""The subject-level checks of a request and how many subjects each passed, failed or sent to review.

An evaluation stores `code_counts`: the request-level findings (once each) plus, per subject-level code, the
subjects with a finding other than pass (passes are not stored per subject). The officer's table wants the
subject-level checks only, with real pass counts: a subject passed a check that applies to the request's
authority when that check gave it no other finding."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ..model import SubjectCheckCount

I2 = "6103(i)(2)"


def subject_codes(authority: str) -> tuple[str, ...]:
    """The subject-level checks run on every subject of a request under `authority` (RULES.md, in its order):
    ADDRESS, REASON and ADDRESS-MATCH for (i)(2); CONSENT for (c) and ITEMS for a FOIA request, which are bound
    to one taxpayer; the rest for every authority that names taxpayers."""
    codes = ["NAME"]
    if authority == I2:
        codes += ["ADDRESS", "REASON"]
    codes.append("MATCH")
    if authority == I2:
        codes.append("ADDRESS-MATCH")
    if authority == "6103(c)":
        codes.append("CONSENT")
    if authority == "foia":
        codes.append("ITEMS")
    return (*codes, "HOLD", "PERIOD-RECORD")


def subject_check_counts(authority: str, subjects: int, code_counts: Mapping[str, Mapping[str, int]],
                         request_findings: Iterable[Mapping[str, Any]]) -> tuple[SubjectCheckCount, ...]:
    """One row per subject-level check of the request: its pass / fail / needs-review subjects (they add up to
    the number of subjects). `code_counts` and `request_findings` as the stored evaluation holds them."""
    request_level = Counter((f["code"], f["outcome"]) for f in request_findings)
    rows = []
    for code in subject_codes(authority):
        outcomes = {o: n - request_level[code, o] for o, n in code_counts.get(code, {}).items()}
        failed = outcomes.get("fail", 0) + outcomes.get("block", 0)
        review = outcomes.get("needs-review", 0)
        rows.append(SubjectCheckCount(code, max(subjects - failed - review, 0), failed, review))
    return tuple(rows)

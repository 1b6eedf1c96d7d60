"""Findings: what one check concluded, with its stable code (domain/RULES.md), outcome and citation.

Citations are shipped data (`resources/rules/citations.json`), loaded once: each code has a default and may
have one per authority. A finding's message is read by officers, written to the log and quoted in letters,
so it NEVER contains taxpayer values (names, TINs, addresses); request-level fields (agency, role, statute,
element names, tax years) are fine.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from workstation.model import ELEMENT_CLASS, ELEMENTS, IDENTITY, OTHER, RequestPackage
from workstation.rules.checks_subject import check_name

PASS, FAIL, REVIEW, BLOCK = "pass", "fail", "needs-review", "block"
OUTCOMES: tuple[str, ...] = (PASS, FAIL, REVIEW, BLOCK)
REQUEST, SUBJECT = "request", "subject"

REQUEST_CODES: tuple[str, ...] = (
    "AUTHORITY", "WRITING", "RECEIVED", "SIGNER", "STATUTE", "PURPOSE", "OFFICERS", "ITEMS", "CONSENT", "ORDER",
    "PERIODS", "COURT-ORDER", "SAFEGUARDS", "BULK",
)
SUBJECT_CODES: tuple[str, ...] = (
    "NAME", "ADDRESS", "REASON", "MATCH", "ADDRESS-MATCH", "HOLD", "PERIOD-RECORD",
)

_CITATIONS_FILE = ("rules", "citations.json")


@dataclass(frozen=True, slots=True)
class Finding:
    code: str            # stable code from RULES.md
    scope: str           # "request" or "subject"
    ref: str | None      # subject ref for subject scope
    outcome: str         # pass | fail | needs-review | block
    message: str         # officer-readable; never contains taxpayer values
    citation: str        # e.g. "26 U.S.C. 6103(i)(2)(B)(i)"
    partial: bool = False  # a request-level failure that withholds part (elements, periods), not the request

    def __reduce__(self) -> tuple[type[Finding], tuple[object, ...]]:
        # Sent to the workers (in a `Plan`): compiled by mypyc, the default unpickling sets the frozen fields.
        return Finding, (self.code, self.scope, self.ref, self.outcome, self.message, self.citation, self.partial)


def denies(finding: Finding | Mapping[str, Any]) -> bool:
    """Whether a request-level finding (or its stored form) withholds the whole request: a block, or a failure
    that is not partial (RULES.md: ITEMS, ORDER and PERIODS may withhold only what lies beyond)."""
    if isinstance(finding, Finding):
        outcome, partial = finding.outcome, finding.partial
    else:
        outcome, partial = finding["outcome"], bool(finding.get("partial"))
    return outcome == BLOCK or (outcome == FAIL and not partial)


@cache
def _citations() -> dict[str, dict[str, str]]:
    path = resources.files("resources").joinpath(*_CITATIONS_FILE)
    data = json.loads(path.read_text(encoding="utf-8"))
    codes: dict[str, dict[str, str]] = data["codes"]
    missing = [c for c in REQUEST_CODES + SUBJECT_CODES if "default" not in codes.get(c, {})]
    if missing:
        raise ValueError(f"{'/'.join(_CITATIONS_FILE)}: no default citation for {', '.join(missing)}")
    return codes


def citation(code: str, authority: str) -> str:
    """The citation for `code` under `authority` (the code's default when the authority has none)."""
    by_authority = _citations()[code]          # KeyError for a code RULES.md does not define
    return by_authority.get(authority, by_authority["default"])


def request_finding(code: str, authority: str, outcome: str, message: str,
                    cite: str | None = None, *, partial: bool = False) -> Finding:
    """A request-scope finding, cited from the shipped data unless `cite` is given."""
    return Finding(code, REQUEST, None, outcome, message, cite or citation(code, authority), partial)


_I2_CLASSES = frozenset({IDENTITY, OTHER})
_ALL = frozenset(ELEMENTS)


def releasable_items(authority: str, pkg: RequestPackage) -> set[str]:
    """The data elements the authority may release on this request (domain/RULES.md), whatever is asked.

    (i)(2): identity and return information other than TRI; (i)(1): the items of the ex parte order;
    (c): the items consented to; (d)(1): every element; FOIA: nothing about a third party, everything to a
    first-party requester (signer role "taxpayer" with a real name, identity still to be verified; which
    subjects are that requester is judged per subject); unknown authority: none.
    """
    if authority == "6103(i)(2)":
        return {e for e, cls in ELEMENT_CLASS.items() if cls in _I2_CLASSES}
    if authority == "6103(i)(1)":
        return set(pkg.court_order.items) & _ALL if pkg.court_order else set()
    if authority == "6103(c)":
        return set(pkg.consent.items) & _ALL if pkg.consent else set()
    if authority == "6103(d)(1)":
        return set(_ALL)
    if authority == "foia":       # first party: a taxpayer who signed with a real name (matched per subject)
        return set(_ALL) if pkg.signer.role == "taxpayer" and check_name(pkg.signer.name) is None else set()
    return set()

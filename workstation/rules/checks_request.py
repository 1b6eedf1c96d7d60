"""Request-level checks of domain/RULES.md, evaluated once per request: one finding per applicable code,
passes included (COURT-ORDER gives one finding per applying order).

Pure functions over a `RequestContext`; thresholds come from the store settings (falling back to
`settings.DEFAULTS`), citations from the shipped data (`findings.citation`). Messages name request-level
facts only (authority, role, statute, element names, tax years, counts), never taxpayer values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from functools import lru_cache

from workstation.model import AUTHORITIES, CourtOrder, RequestPackage
from workstation.normalize import normalize_name
from workstation.rules import checks_scope
from workstation.rules.checks_scope import FIRST_TAX_YEAR, valid_periods
from workstation.rules.findings import BLOCK, FAIL, PASS, REQUEST_CODES, REVIEW, Finding
from workstation.rules.request_context import (
    D1,
    FOIA,
    I1,
    I2,
    C,
    RequestContext,
    clip,
    fold,
    join,
    parse_date,
    problems_found,
    quote,
)
from workstation.wording import count

__all__ = ["FIRST_TAX_YEAR", "SIGNER_ROLES", "RequestContext", "applicable_codes", "civil_wording",
           "evaluate_request", "named_officers", "order_applies", "valid_periods"]
# Roles that may sign under each authority; None: anyone (a FOIA request). RULES.md readings: under (i)(1) the
# application for the order is authorized by a listed DOJ official; under (c) the consent's signature
# authorizes, and the request is presented by the taxpayer or by the designee ("other").
SIGNER_ROLES: dict[str, frozenset[str] | None] = {
    I2: frozenset({"head-of-agency", "inspector-general", "doj-listed"}),
    I1: frozenset({"doj-listed"}),
    D1: frozenset({"head-of-state-tax-agency"}),
    C: frozenset({"taxpayer", "other"}),
    FOIA: None,
}
_SPECIFIC: dict[str, frozenset[str]] = {
    I2: frozenset({"STATUTE", "OFFICERS"}), I1: frozenset({"STATUTE", "ORDER"}),
    C: frozenset({"CONSENT"}),
}
# An unknown authority defines no signers and no releasable elements: SIGNER and ITEMS are skipped too.
# PURPOSE applies to every authority: the civil-enforcement wording of any statement is flagged.
_UNKNOWN_AUTHORITY = frozenset({"AUTHORITY", "WRITING", "RECEIVED", "PURPOSE", "PERIODS", "COURT-ORDER",
                                "SAFEGUARDS", "BULK"})
_GENERAL = _UNKNOWN_AUTHORITY | {"SIGNER", "ITEMS"}
_TITLE_26 = re.compile(r"\b(26\s*U\.?\s*S\.?\s*C\b|I\.?\s*R\.?\s*C\b|Internal\s+Revenue\s+Code|Title\s+26\b)",
                       re.IGNORECASE)


def applicable_codes(authority: str) -> tuple[str, ...]:
    """The request-level codes evaluated for `authority`, in RULES.md order."""
    if authority not in AUTHORITIES:
        return tuple(c for c in REQUEST_CODES if c in _UNKNOWN_AUTHORITY)
    codes = _GENERAL | _SPECIFIC.get(authority, frozenset())
    return tuple(c for c in REQUEST_CODES if c in codes)


def evaluate_request(ctx: RequestContext) -> list[Finding]:
    """Every applicable request-level finding, passes included, in RULES.md order."""
    return [f for code in applicable_codes(ctx.package.authority) for f in _CHECKS[code](ctx)]


def _authority(ctx: RequestContext) -> list[Finding]:
    a = ctx.package.authority
    if a in AUTHORITIES:
        return [ctx.finding("AUTHORITY", PASS, f"{a} is an authority the workstation knows.")]
    return [ctx.finding("AUTHORITY", FAIL, f"The claimed authority {quote(a)} is not one the workstation "
                        f"knows ({join(AUTHORITIES)}).")]


def _writing(ctx: RequestContext) -> list[Finding]:
    pkg = ctx.package
    problems = ([] if pkg.in_writing else ["the request is not in writing"]) + (
        [] if pkg.signer.signature_present else ["the request is not signed"])
    return problems_found(ctx, "WRITING", problems, "The request is in writing and signed.")


def _received(ctx: RequestContext) -> list[Finding]:
    received, as_of = parse_date(ctx.package.received_on), ctx.as_of
    if received is None:
        return problems_found(ctx, "RECEIVED", ["the request's received date is missing or not a valid date"], "")
    if received > as_of:
        return problems_found(ctx, "RECEIVED", [f"the request's received date ({received}) is after the evaluation "
                                           f"date ({as_of})"], "")
    stale = int(ctx.setting("request_stale_days"))
    age = (as_of - received).days
    if age > stale:
        return [ctx.finding("RECEIVED", REVIEW, f"The request was received on {received}, {age:,} days before the "
                            f"evaluation date (more than {stale}): it is stale; ask the requester whether it still "
                            "stands.")]
    return [ctx.finding("RECEIVED", PASS, f"Received on {received}, {count(age, 'day')} before the evaluation date.")]


def _signer(ctx: RequestContext) -> list[Finding]:
    a, role = ctx.package.authority, ctx.package.signer.role
    allowed = SIGNER_ROLES[a]
    if allowed is None or role in allowed:
        return [ctx.finding("SIGNER", PASS, f"The signer's role ({clip(role)}) may sign under {a}.")]
    return [ctx.finding("SIGNER", FAIL, f"The signer's role ({quote(role)}) may not sign under {a}; "
                        f"allowed: {join(sorted(allowed))}.")]


def _statute(ctx: RequestContext) -> list[Finding]:
    statute = ctx.package.statute or {}
    cited, cls = clip(statute.get("citation") or "", 80), clip(statute.get("class") or "", 20)
    if not cited:
        return problems_found(ctx, "STATUTE", ["no statute is cited"], "")
    defects = [] if cls == "criminal" else [f"is {cls or 'unclassified'}, not criminal"]
    if _TITLE_26.search(cited):
        defects.append("is a Title 26 (tax) statute")
    problems = [f"the statute cited ({cited}) " + " and ".join(defects)] if defects else []
    return problems_found(ctx, "STATUTE", problems,
                     f"The statute cited ({cited}) is criminal and not a tax statute.")


_ENDINGS = ("ations", "ation", "ments", "ment", "ables", "able", "als", "al", "ings", "ing", "ed", "es", "s", "e")


def _stem(word: str) -> str:
    """A word without its inflection ("removal", "removed", "removable" -> "remov"; "deportation" -> "deport")."""
    word = word.casefold()
    for _ in range(2):
        end = next((e for e in _ENDINGS if word.endswith(e) and len(word) - len(e) >= 4
                    and not (e[-1] == "s" and word[-2:] in ("us", "ss"))), None)
        if end is None:
            break
        word = word[: -len(end)]
    return word


@lru_cache(maxsize=32)
def _wording(words: tuple[str, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each configured word or phrase with the pattern that finds it in any inflection."""
    return tuple((w, re.compile(r"(?<!\w)" + r"\W+".join(re.escape(_stem(p)) + r"\w*" for p in w.split()),
                                re.IGNORECASE)) for w in words if w.strip())


def civil_wording(statement: str, words: Iterable[str]) -> list[str]:
    """The configured civil-enforcement words the statement uses, in any inflection."""
    return [w for w, pattern in _wording(tuple(words)) if pattern.search(statement)]


def _purpose(ctx: RequestContext) -> list[Finding]:
    pkg, a = ctx.package, ctx.package.authority
    purpose = pkg.purpose or {}
    category = clip(purpose.get("category") or "")
    problems: list[str] = []
    if a == I2:
        if category != "nontax-criminal":
            problems.append(f"the purpose category ({category or 'none'}) is not a federal non-tax criminal matter")
        if not pkg.solely_for_use_certified:
            problems.append('the "solely for use" certification is not given')
    elif a == D1 and category != "state-tax":
        problems.append(f"the purpose category ({category or 'none'}) is not state tax administration")
    out = problems_found(ctx, "PURPOSE", problems, "") if problems else []
    # The wording flag applies to every authority's statement, and stays when the category fails.
    found = civil_wording(purpose.get("statement") or "", ctx.setting("civil_enforcement_words"))
    if found:
        out.append(ctx.finding("PURPOSE", REVIEW, f"The purpose statement speaks of {join(map(repr, found))} "
                               "(removal, deportation or civil-enforcement wording): a person must confirm the "
                               "purpose is one the authority allows."))
    if out:
        return out
    ok = {I2: "A federal non-tax criminal matter, with the solely-for-use certification.",
          D1: "State tax administration."}.get(a, "The purpose statement does not speak of removal, deportation "
                                                  "or civil enforcement.")
    return [ctx.finding("PURPOSE", PASS, ok)]


def named_officers(ctx: RequestContext) -> dict[str, tuple[int, int]]:
    """The distinct officers named (normalized name -> (first place in the list, largest caseload given)): a
    person listed twice counts once, an entry without a name is not an officer named."""
    persons: dict[str, tuple[int, int]] = {}
    for n, officer in enumerate(ctx.package.officers, 1):
        key = normalize_name(officer.name) if officer.name else ""
        if key:
            first, most = persons.get(key, (n, 0))
            persons[key] = (first, max(most, officer.active_matters or 0))
    return persons


def _officers(ctx: RequestContext) -> list[Finding]:
    subjects, persons = ctx.subject_count, named_officers(ctx)
    limit = int(ctx.setting("officer_caseload_limit"))
    if not persons:
        return problems_found(ctx, "OFFICERS", ["no officer personally and directly engaged is named"], "")
    problems = [f"officer {n} carries {count(most, 'active matter')}, more than the limit of {limit:,}"
                for n, most in persons.values() if most > limit]
    named = len(persons)
    if subjects > limit * named:
        per = f"{subjects / named:,.1f}".removesuffix(".0")
        problems.append(f"{count(subjects, 'subject')} for {count(named, 'named officer')} is "
                        f"{per} per officer, more than the limit of {limit:,}")
    return problems_found(ctx, "OFFICERS", problems, f"{count(named, 'officer')} named, each within the caseload "
                     f"limit of {limit:,}; {count(subjects, 'subject')} in all.")


def order_applies(order: CourtOrder, pkg: RequestPackage, as_of: date) -> bool:
    """Whether a register order blocks this request on `as_of` (RULES.md "Court orders").

    An active order whose window cannot be read is taken to apply: a block is the safe side to err on.
    """
    start, end = parse_date(order.effective_from), parse_date(order.effective_to)
    if order.status != "active" or (start and as_of < start) or (end and as_of > end):
        return False
    code = fold(pkg.requester.agency_code)
    category = ((pkg.purpose or {}).get("category") or "").strip()
    return (bool(code) and code in {fold(r) for r in order.enjoined_recipients}
            and ("*" in order.enjoined_purposes or category in order.enjoined_purposes)
            and ("*" in order.enjoined_items or any(i in order.enjoined_items for i in pkg.items)))


def _court_order(ctx: RequestContext) -> list[Finding]:
    out = [ctx.finding(
        "COURT-ORDER", BLOCK,
        f"Blocked by the active order of the {o.court} in {o.case_no}, {o.caption}, signed {o.signed_on}: "
        f"it enjoins these disclosures to {ctx.package.requester.agency_code}; only counsel changing the "
        "order in the register lifts this block.", cite=f"Order of {o.court}, {o.case_no} ({o.signed_on})")
        for o in ctx.court_orders if order_applies(o, ctx.package, ctx.as_of)]
    return out or [ctx.finding("COURT-ORDER", PASS, "No active court order in the register covers this "
                               "requester, purpose and data elements.")]


def _safeguards(ctx: RequestContext) -> list[Finding]:
    agency = ctx.agency
    if agency is None:
        if ctx.package.authority == D1:     # RULES.md reading: a (d)(1) requester must be known
            return [ctx.finding("SAFEGUARDS", REVIEW, "The state tax agency is not in the agency register: a "
                                "person must confirm its safeguards are current before anything is released.")]
        return [ctx.finding("SAFEGUARDS", PASS, "The requester is not in the agency register.")]
    problems = [] if agency.safeguards_current else ["its safeguards are not current"]
    if agency.open_findings > 0 and not agency.corrective_plan:
        problems.append(f"it has {count(agency.open_findings, 'open safeguard finding')} without a corrective plan")
    if problems:
        return [ctx.finding("SAFEGUARDS", REVIEW, f"Agency register, {agency.agency_code}: "
                            + "; ".join(problems) + f" (last review {agency.last_review or 'unknown'}).")]
    return [ctx.finding("SAFEGUARDS", PASS, f"{agency.agency_code}: safeguards current, no open finding "
                        "without a corrective plan.")]


def _bulk(ctx: RequestContext) -> list[Finding]:
    limit, subjects = int(ctx.setting("bulk_threshold")), ctx.subject_count
    if subjects > limit:
        return [ctx.finding("BULK", REVIEW, f"{subjects:,} subjects exceed the bulk threshold of {limit:,}: a "
                            "bulk request is never decided without an approver.")]
    return [ctx.finding("BULK", PASS, f"{count(subjects, 'subject')}, within the bulk threshold of {limit:,}.")]


_CHECKS: dict[str, Callable[[RequestContext], list[Finding]]] = {
    "AUTHORITY": _authority, "WRITING": _writing, "RECEIVED": _received, "SIGNER": _signer, "STATUTE": _statute,
    "PURPOSE": _purpose, "OFFICERS": _officers, "ITEMS": checks_scope.items, "CONSENT": checks_scope.consent,
    "ORDER": checks_scope.order, "PERIODS": checks_scope.periods, "COURT-ORDER": _court_order,
    "SAFEGUARDS": _safeguards, "BULK": _bulk,
}

"""Request-level checks of domain/RULES.md, evaluated once per request: one finding per applicable code,
passes included (COURT-ORDER gives one finding per applying order).

Pure functions over a `RequestContext`; thresholds come from the store settings (falling back to
`settings.DEFAULTS`), citations from the shipped data (`findings.citation`). Messages name request-level
facts only (authority, role, statute, element names, tax years, counts), never taxpayer values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from workstation.model import AUTHORITIES, ELEMENT_CLASS, TRI, AgencyEntry, CourtOrder, RequestPackage
from workstation.rules.findings import (
    BLOCK,
    FAIL,
    PASS,
    REQUEST_CODES,
    REVIEW,
    Finding,
    releasable_items,
    request_finding,
)
from workstation.settings import DEFAULTS

I2, I1, C, D1, FOIA = "6103(i)(2)", "6103(i)(1)", "6103(c)", "6103(d)(1)", "foia"
# Roles that may sign under each authority; None: any role (the consent or the FOIA request carries it).
SIGNER_ROLES: dict[str, frozenset[str] | None] = {
    I2: frozenset({"head-of-agency", "inspector-general", "doj-listed"}),
    I1: frozenset({"doj-listed", "head-of-agency", "inspector-general"}),
    D1: frozenset({"head-of-state-tax-agency"}),
    C: None,
    FOIA: None,
}
_SPECIFIC: dict[str, frozenset[str]] = {
    I2: frozenset({"STATUTE", "PURPOSE", "OFFICERS"}), I1: frozenset({"STATUTE", "ORDER"}),
    C: frozenset({"CONSENT"}),
}
# An unknown authority defines no signers and no releasable elements: SIGNER and ITEMS are skipped too.
_UNKNOWN_AUTHORITY = frozenset({"AUTHORITY", "WRITING", "PERIODS", "COURT-ORDER", "SAFEGUARDS", "BULK"})
_GENERAL = _UNKNOWN_AUTHORITY | {"SIGNER", "ITEMS"}
_TITLE_26 = re.compile(r"\b(26\s*U\.?\s*S\.?\s*C\b|I\.?\s*R\.?\s*C\b|Internal\s+Revenue\s+Code|Title\s+26\b)",
                       re.IGNORECASE)
_YEAR = re.compile(r"[0-9]{4}")
FIRST_TAX_YEAR = 1913


@dataclass(frozen=True)
class RequestContext:
    package: RequestPackage
    subject_count: int
    as_of: date                          # evaluation date (court-order windows, future years, consent age)
    settings: Mapping[str, Any]          # store settings (workstation/settings.py DEFAULTS)
    court_orders: Sequence[CourtOrder]   # the whole register
    agency: AgencyEntry | None           # register entry for package.requester.agency_code, if any
    subjects_per_officer_max: int | None = None  # unused: computed from subject_count / officers

    def setting(self, key: str) -> Any:
        return self.settings.get(key, DEFAULTS[key])

    def finding(self, code: str, outcome: str, message: str, cite: str | None = None) -> Finding:
        return request_finding(code, self.package.authority, outcome, message, cite)


def applicable_codes(authority: str) -> tuple[str, ...]:
    """The request-level codes evaluated for `authority`, in RULES.md order."""
    if authority not in AUTHORITIES:
        return tuple(c for c in REQUEST_CODES if c in _UNKNOWN_AUTHORITY)
    codes = _GENERAL | _SPECIFIC.get(authority, frozenset())
    return tuple(c for c in REQUEST_CODES if c in codes)


def evaluate_request(ctx: RequestContext) -> list[Finding]:
    """Every applicable request-level finding, passes included, in RULES.md order."""
    return [f for code in applicable_codes(ctx.package.authority) for f in _CHECKS[code](ctx)]


def _clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str, limit: int = 40) -> str:
    return repr(_clip(text, limit))


def _join(values: Iterable[str]) -> str:
    return ", ".join(values) or "none"


def _names(values: Sequence[str]) -> str:
    """Requester-given names (elements, periods), clipped; at most ten, then a count of the rest."""
    shown = [_clip(v, 20) for v in values[:10]]
    return _join(shown) + (f" and {len(values) - 10} more" if len(values) > 10 else "")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values))


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def _fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _problems(ctx: RequestContext, code: str, problems: list[str], ok: str) -> list[Finding]:
    if problems:
        message = "; ".join(problems)
        return [ctx.finding(code, FAIL, message[0].upper() + message[1:] + ".")]
    return [ctx.finding(code, PASS, ok)]


def _authority(ctx: RequestContext) -> list[Finding]:
    a = ctx.package.authority
    if a in AUTHORITIES:
        return [ctx.finding("AUTHORITY", PASS, f"{a} is an authority the workstation knows.")]
    return [ctx.finding("AUTHORITY", FAIL, f"The claimed authority {_quote(a)} is not one the workstation "
                        f"knows ({_join(AUTHORITIES)}).")]


def _writing(ctx: RequestContext) -> list[Finding]:
    pkg = ctx.package
    problems = ([] if pkg.in_writing else ["the request is not in writing"]) + (
        [] if pkg.signer.signature_present else ["the request is not signed"])
    return _problems(ctx, "WRITING", problems, "The request is in writing and signed.")


def _signer(ctx: RequestContext) -> list[Finding]:
    a, role = ctx.package.authority, ctx.package.signer.role
    allowed = SIGNER_ROLES[a]
    if allowed is None or role in allowed:
        return [ctx.finding("SIGNER", PASS, f"The signer's role ({_clip(role)}) may sign under {a}.")]
    return [ctx.finding("SIGNER", FAIL, f"The signer's role ({_quote(role)}) may not sign under {a}; "
                        f"allowed: {_join(sorted(allowed))}.")]


def _statute(ctx: RequestContext) -> list[Finding]:
    statute = ctx.package.statute or {}
    cited, cls = _clip(statute.get("citation") or "", 80), _clip(statute.get("class") or "", 20)
    if not cited:
        return _problems(ctx, "STATUTE", ["no statute is cited"], "")
    defects = [] if cls == "criminal" else [f"is {cls or 'unclassified'}, not criminal"]
    if _TITLE_26.search(cited):
        defects.append("is a Title 26 (tax) statute")
    problems = [f"the statute cited ({cited}) " + " and ".join(defects)] if defects else []
    return _problems(ctx, "STATUTE", problems,
                     f"The statute cited ({cited}) is criminal and not a tax statute.")


def _purpose(ctx: RequestContext) -> list[Finding]:
    purpose = ctx.package.purpose or {}
    category = _clip(purpose.get("category") or "")
    problems = [] if category == "nontax-criminal" else [
        f"the purpose category ({category or 'none'}) is not a federal non-tax criminal matter"]
    if not ctx.package.solely_for_use_certified:
        problems.append('the "solely for use" certification is not given')
    if problems:
        return _problems(ctx, "PURPOSE", problems, "")
    statement = purpose.get("statement") or ""
    found = [w for w in ctx.setting("civil_enforcement_words") if w.strip() and re.search(
        r"(?<!\w)" + r"\s+".join(map(re.escape, w.split())) + r"(?!\w)", statement, re.IGNORECASE)]
    if found:
        return [ctx.finding("PURPOSE", REVIEW, f"The purpose statement speaks of {_join(map(repr, found))} "
                            "(civil-enforcement wording): a person must confirm the matter is criminal.")]
    return [ctx.finding("PURPOSE", PASS, "A federal non-tax criminal matter, with the solely-for-use "
                        "certification.")]


def _officers(ctx: RequestContext) -> list[Finding]:
    officers, subjects = ctx.package.officers, ctx.subject_count
    limit = int(ctx.setting("officer_caseload_limit"))
    if not officers:
        return _problems(ctx, "OFFICERS", ["no officer personally and directly engaged is named"], "")
    problems = [f"officer {n} carries {o.active_matters:,} active matters, more than the limit of {limit}"
                for n, o in enumerate(officers, 1) if (o.active_matters or 0) > limit]
    if subjects > limit * len(officers):
        per = f"{subjects / len(officers):,.1f}".removesuffix(".0")
        problems.append(f"{subjects:,} subjects for {len(officers)} named officer(s) is "
                        f"{per} per officer, more than the limit of {limit}")
    return _problems(ctx, "OFFICERS", problems, f"{len(officers)} officer(s) named, each within the caseload "
                     f"limit of {limit}; {subjects:,} subject(s) in all.")


def _withheld_reason(authority: str, pkg: RequestPackage, item: str) -> str:
    if item not in ELEMENT_CLASS:
        return "not a known data element"
    if authority == I2:
        return "taxpayer return information" if ELEMENT_CLASS[item] == TRI else "not releasable"
    if authority == I1:
        return "outside the court order" if pkg.court_order else "no court order attached"
    if authority == C:
        return "not consented to" if pkg.consent else "no consent attached"
    return "information about a third party" if authority == FOIA else "not releasable"


def _items(ctx: RequestContext) -> list[Finding]:
    pkg, a = ctx.package, ctx.package.authority
    requested = _unique(pkg.items)
    if not requested:
        return _problems(ctx, "ITEMS", ["the request names no data elements, so nothing can be released"], "")
    allowed = releasable_items(a, pkg)
    withheld = [i for i in requested if i not in allowed]
    out: list[Finding] = []
    if withheld:
        reasons: dict[str, list[str]] = {}
        for item in withheld:
            reasons.setdefault(_withheld_reason(a, pkg, item), []).append(item)
        detail = "; ".join(f"{_names(items)} ({why})" for why, items in reasons.items())
        out.append(ctx.finding("ITEMS", FAIL,
                               f"Withheld for every subject, not releasable under {a}: {detail}."))
    if a == FOIA and pkg.signer.role == "taxpayer":
        out.append(ctx.finding("ITEMS", REVIEW, "The identity of a first-party FOIA requester must be "
                               "verified before their own records are released."))
    return out or [ctx.finding("ITEMS", PASS, f"Every element requested is releasable under {a}: "
                               f"{_names(requested)}.")]


def _consent(ctx: RequestContext) -> list[Finding]:
    pkg, consent = ctx.package, ctx.package.consent
    if consent is None:
        return _problems(ctx, "CONSENT", ["no taxpayer consent is attached"], "")
    max_age = int(ctx.setting("consent_max_age_days"))
    problems = [] if consent.signature_present else ["the consent is not signed"]
    signed, received = _date(consent.signed_on), _date(pkg.received_on) or ctx.as_of
    if signed is None:
        problems.append("the consent's signing date is missing or not a valid date")
    elif signed > received:
        problems.append("the consent is dated after the request was received")
    elif (received - signed).days > max_age:
        problems.append(f"the consent was signed {(received - signed).days} days before the request was "
                        f"received (limit {max_age} days)")
    if items := [i for i in _unique(pkg.items) if i not in consent.items]:
        problems.append(f"the consent does not cover {_names(items)}")
    if periods := [p for p in _unique(pkg.periods) if p not in consent.periods]:
        problems.append(f"the consent does not cover tax period(s) {_names(periods)}")
    names = {_fold(pkg.requester.agency), _fold(pkg.requester.component)} - {""}
    if _fold(consent.designee) not in names:
        problems.append("the consent does not name the requester as designee")
    return _problems(ctx, "CONSENT", problems, f"The consent is signed, {max_age} days old at most, names "
                     "the requester and covers the items and periods requested.")


def _order(ctx: RequestContext) -> list[Finding]:
    pkg, order = ctx.package, ctx.package.court_order
    if order is None:
        return _problems(ctx, "ORDER", ["no ex parte court order is attached"], "")
    fields = (("court", order.court), ("judge", order.judge), ("case number", order.case_no),
              ("date signed", order.signed_on))
    problems = [f"the court order gives no {label}" for label, value in fields if not value.strip()]
    if order.signed_on.strip() and _date(order.signed_on) is None:
        problems.append("the court order's date signed is not a valid date")
    if items := [i for i in _unique(pkg.items) if i not in order.items]:
        problems.append(f"items outside the court order: {_names(items)}")
    if periods := [p for p in _unique(pkg.periods) if p not in order.periods]:
        problems.append(f"tax periods outside the court order: {_names(periods)}")
    return _problems(ctx, "ORDER", problems, f"The ex parte order ({order.case_no}) is complete and covers "
                     "the items and periods requested.")


def _period_ok(period: str, as_of: date) -> bool:
    return _YEAR.fullmatch(period) is not None and FIRST_TAX_YEAR <= int(period) <= as_of.year


def valid_periods(ctx: RequestContext) -> tuple[str, ...]:
    """The request's periods that are explicit past or current tax years (YYYY), without repeats."""
    return tuple(p for p in _unique(ctx.package.periods) if _period_ok(p, ctx.as_of))


def _periods(ctx: RequestContext) -> list[Finding]:
    given, valid = _unique(ctx.package.periods), valid_periods(ctx)
    invalid = [p for p in given if p not in valid]
    rule = f"explicit tax years (YYYY), none after {ctx.as_of.year}, never all years or ranges"
    if not valid:
        what = f"none of {_names(invalid)} is valid" if invalid else "the request names no tax period"
        return [ctx.finding("PERIODS", FAIL, f"No valid tax period: {what}; a request must name {rule}.")]
    if invalid:
        return [ctx.finding("PERIODS", REVIEW, f"Tax periods ignored ({rule}): {_names(invalid)}; "
                            f"evaluated for {_join(valid)}.")]
    return [ctx.finding("PERIODS", PASS, f"Tax periods {_join(valid)} are explicit past or current years.")]


def order_applies(order: CourtOrder, pkg: RequestPackage, as_of: date) -> bool:
    """Whether a register order blocks this request on `as_of` (RULES.md "Court orders").

    An active order whose window cannot be read is taken to apply: a block is the safe side to err on.
    """
    start, end = _date(order.effective_from), _date(order.effective_to)
    if order.status != "active" or (start and as_of < start) or (end and as_of > end):
        return False
    code = _fold(pkg.requester.agency_code)
    category = ((pkg.purpose or {}).get("category") or "").strip()
    return (bool(code) and code in {_fold(r) for r in order.enjoined_recipients}
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
        return [ctx.finding("SAFEGUARDS", PASS, "The requester is not in the agency register.")]
    problems = [] if agency.safeguards_current else ["its safeguards are not current"]
    if agency.open_findings > 0 and not agency.corrective_plan:
        problems.append(f"it has {agency.open_findings} open safeguard finding(s) without a corrective plan")
    if problems:
        return [ctx.finding("SAFEGUARDS", REVIEW, f"Agency register, {agency.agency_code}: "
                            + "; ".join(problems) + f" (last review {agency.last_review or 'unknown'}).")]
    return [ctx.finding("SAFEGUARDS", PASS, f"{agency.agency_code}: safeguards current, no open finding "
                        "without a corrective plan.")]


def _bulk(ctx: RequestContext) -> list[Finding]:
    limit, count = int(ctx.setting("bulk_threshold")), ctx.subject_count
    if count > limit:
        return [ctx.finding("BULK", REVIEW, f"{count} subjects exceed the bulk threshold of {limit}: a bulk "
                            "request is never decided without an approver.")]
    return [ctx.finding("BULK", PASS, f"{count} subject(s), within the bulk threshold of {limit}.")]


_CHECKS: dict[str, Callable[[RequestContext], list[Finding]]] = {
    "AUTHORITY": _authority, "WRITING": _writing, "SIGNER": _signer, "STATUTE": _statute,
    "PURPOSE": _purpose, "OFFICERS": _officers, "ITEMS": _items, "CONSENT": _consent, "ORDER": _order,
    "PERIODS": _periods, "COURT-ORDER": _court_order, "SAFEGUARDS": _safeguards, "BULK": _bulk,
}

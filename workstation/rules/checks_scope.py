"""Request-level checks of what may be released at all (domain/RULES.md): ITEMS, CONSENT, ORDER and PERIODS.

A failure here either withholds the whole request (a missing or incomplete order or consent, nothing
requested releasable, no valid period) or withholds only what lies beyond (an element the authority does not
release, an item or a period beyond the court order, an invalid period beside valid ones): such findings are
`partial` and make a grant partial, never a denial.
"""

from __future__ import annotations

import re
from datetime import date

from workstation.model import ELEMENT_CLASS, TRI, RequestPackage
from workstation.normalize import tin_digits
from workstation.rules.checks_subject import check_name
from workstation.rules.findings import FAIL, PASS, REVIEW, Finding, releasable_items
from workstation.rules.request_context import (
    FOIA,
    I1,
    I2,
    C,
    RequestContext,
    join,
    names,
    parse_date,
    party,
    problems_found,
    unique,
)
from workstation.wording import count

_YEAR = re.compile(r"[0-9]{4}")
FIRST_TAX_YEAR = 1913


# ---------------------------------------------------------------------------------------------- ITEMS

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


def items(ctx: RequestContext) -> list[Finding]:
    """Each requested element releasable under the authority: withhold the others for every subject
    (partial); deny when none is."""
    pkg, a = ctx.package, ctx.package.authority
    requested = unique(pkg.items)
    if not requested:
        return problems_found(ctx, "ITEMS", ["the request names no data elements, so nothing can be released"],
                              "")
    allowed = releasable_items(a, pkg)
    withheld = [i for i in requested if i not in allowed]
    out: list[Finding] = []
    if withheld:
        reasons: dict[str, list[str]] = {}
        for item in withheld:
            reasons.setdefault(_withheld_reason(a, pkg, item), []).append(item)
        detail = "; ".join(f"{names(items)} ({why})" for why, items in reasons.items())
        if len(withheld) == len(requested):
            return [ctx.finding("ITEMS", FAIL, f"No element requested is releasable under {a}: {detail}.")]
        out.append(ctx.finding("ITEMS", FAIL, f"Withheld for every subject, not releasable under {a}: {detail}.",
                               partial=True))
    if a == FOIA and pkg.signer.role == "taxpayer":
        out.append(ctx.finding("ITEMS", REVIEW, "The identity of a first-party FOIA requester must be "
                               "verified before their own records are released."))
    return out or [ctx.finding("ITEMS", PASS, f"Every element requested is releasable under {a}: "
                               f"{names(requested)}.")]


# -------------------------------------------------------------------------------------------- CONSENT

def consent(ctx: RequestContext) -> list[Finding]:
    """(c): the consent is present, signed, dated on or before receipt and at most the configured number of
    days before it, covers the items and the (valid) periods, and its designee is the requester."""
    pkg, given = ctx.package, ctx.package.consent
    if given is None:
        return problems_found(ctx, "CONSENT", ["no taxpayer consent is attached"], "")
    max_age = int(ctx.setting("consent_max_age_days"))
    problems = [] if given.signature_present else ["the consent is not signed"]
    signed, received = parse_date(given.signed_on), parse_date(pkg.received_on) or ctx.as_of
    if signed is None:
        problems.append("the consent's signing date is missing or not a valid date")
    elif signed > received:
        problems.append("the consent is dated after the request was received")
    elif (received - signed).days > max_age:
        problems.append(f"the consent was signed {count((received - signed).days, 'day')} before the request was "
                        f"received (limit {count(max_age, 'day')})")
    if outside := [i for i in unique(pkg.items) if i not in given.items]:
        problems.append(f"the consent does not cover {names(outside)}")
    if periods := [p for p in rule_periods(ctx) if p not in given.periods]:
        problems.append(f"the consent does not cover tax period{'s' * (len(periods) != 1)} {names(periods)}")
    # The consent covers its own taxpayer only, so it must say who that is (RULES.md: TIN and name control).
    if tin_digits(given.taxpayer_tin) is None:
        problems.append("the consent does not identify its taxpayer by a nine-digit TIN")
    if check_name(given.taxpayer_name) is not None:
        problems.append("the consent does not give its taxpayer's real name")
    requester = {party(pkg.requester.agency), party(pkg.requester.component)} - {""}
    if party(given.designee) not in requester:
        problems.append("the consent does not name the requester as designee")
    return problems_found(ctx, "CONSENT", problems, f"The consent is signed, {max_age} days old at most, "
                          "names the requester and covers the items and periods requested.")


# ---------------------------------------------------------------------------------------------- ORDER

def order(ctx: RequestContext) -> list[Finding]:
    """(i)(1): deny when the order is missing or incomplete; withhold what is asked beyond it (partial), and
    deny when nothing asked lies within it."""
    pkg, given = ctx.package, ctx.package.court_order
    if given is None:
        return problems_found(ctx, "ORDER", ["no ex parte court order is attached"], "")
    fields = (("court", given.court), ("judge", given.judge), ("case number", given.case_no),
              ("date signed", given.signed_on))
    problems = [f"the court order gives no {label}" for label, value in fields if not value.strip()]
    if given.signed_on.strip() and parse_date(given.signed_on) is None:
        problems.append("the court order's date signed is not a valid date")
    if problems:
        return problems_found(ctx, "ORDER", problems, "")
    asked, years = unique(pkg.items), rule_periods(ctx)
    items_out = [i for i in asked if i not in given.items]
    periods_out = [p for p in years if p not in given.periods]
    beyond = ([f"items {names(items_out)}"] if items_out else []) + (
        [f"tax periods {names(periods_out)}"] if periods_out else [])
    if not beyond:
        return [ctx.finding("ORDER", PASS, f"The ex parte order ({given.case_no}) is complete and covers the "
                            "items and periods requested.")]
    if (asked and len(items_out) == len(asked)) or (years and len(periods_out) == len(years)):
        return [ctx.finding("ORDER", FAIL, f"Nothing requested lies within the court order ({given.case_no}): "
                            f"{' and '.join(beyond)} are beyond it.")]
    return [ctx.finding("ORDER", FAIL, f"Withheld for every subject, beyond the court order ({given.case_no}): "
                        f"{'; '.join(beyond)}.", partial=True)]


# -------------------------------------------------------------------------------------------- PERIODS

def period_ok(period: str, as_of: date) -> bool:
    """An explicit tax year (YYYY), not after the evaluation date's year (the current year is not future)."""
    return _YEAR.fullmatch(period) is not None and FIRST_TAX_YEAR <= int(period) <= as_of.year


def rule_periods(ctx: RequestContext) -> tuple[str, ...]:
    """The request's periods that PERIODS accepts, without repeats."""
    return tuple(p for p in unique(ctx.package.periods) if period_ok(p, ctx.as_of))


def valid_periods(ctx: RequestContext) -> tuple[str, ...]:
    """The periods that may be released: those PERIODS accepts, and under (i)(1) within the court order, under
    (c) within the consent (what lies beyond is withheld)."""
    return released_periods(ctx.package, ctx.as_of)


def released_periods(pkg: RequestPackage, as_of: date) -> tuple[str, ...]:
    """`valid_periods` of a request evaluated on `as_of` (the preview and the letters read only these years)."""
    periods = tuple(p for p in unique(pkg.periods) if period_ok(p, as_of))
    if pkg.authority == I1 and pkg.court_order is not None:
        periods = tuple(p for p in periods if p in pkg.court_order.periods)
    elif pkg.authority == C and pkg.consent is not None:
        periods = tuple(p for p in periods if p in pkg.consent.periods)
    return periods


def periods(ctx: RequestContext) -> list[Finding]:
    """Deny when no period is valid; withhold an invalid period beside valid ones (partial)."""
    given, valid = unique(ctx.package.periods), rule_periods(ctx)
    invalid = [p for p in given if p not in valid]
    rule = f"explicit tax years (YYYY), none after {ctx.as_of.year}, never all years or ranges"
    if not valid:
        what = f"none of {names(invalid)} is valid" if invalid else "the request names no tax period"
        return [ctx.finding("PERIODS", FAIL, f"No valid tax period: {what}; a request must name {rule}.")]
    if invalid:
        return [ctx.finding("PERIODS", FAIL, f"Withheld, not valid tax periods ({rule}): {names(invalid)}; "
                            f"evaluated for {join(valid)}.", partial=True)]
    return [ctx.finding("PERIODS", PASS, f"Tax periods {join(valid)} are explicit past or current years.")]

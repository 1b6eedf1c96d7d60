"""The sharpened request-level rules of issue 21 (domain/RULES.md): RECEIVED, PURPOSE in any inflection and for
every authority, OFFICERS as distinct persons, ORDER / ITEMS / PERIODS withholding part or denying, CONSENT,
SIGNER and SAFEGUARDS readings; and what the plan and the recommendation make of them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from test_rules_request import (
    AGENT,
    AS_OF,
    CONSENT,
    D1,
    DIRECTOR,
    FOIA_OWN,
    FOIA_THIRD,
    I1,
    I2,
    C,
    case,
    i2,
    non_passes,
    only,
)

from workstation.model import Officer, Signer
from workstation.rules.checks_request import RequestContext, evaluate_request, valid_periods
from workstation.rules.findings import BLOCK, FAIL, PASS, REVIEW, Finding, citation, denies, releasable_items
from workstation.rules.plan import (
    CONSENT_OTHER_TAXPAYER,
    FOIA_THIRD_PARTY,
    HOLD,
    Plan,
    build_plan,
    never_released,
    provisional,
    recommend,
)
from workstation.rules.subjects import STATUS_RELEASABLE, STATUS_WITHHELD, SubjectResult


def findings_of(code: str, ctx: RequestContext) -> list[Finding]:
    return [f for f in evaluate_request(ctx) if f.code == code]


def outcome(ctx: RequestContext) -> str:
    """The recommendation for a request whose subjects all match and pass."""
    findings = evaluate_request(ctx)
    pkg = ctx.package
    plan = Plan(pkg.authority, tuple(pkg.items), frozenset(releasable_items(pkg.authority, pkg) & set(pkg.items)),
                findings)
    released, _withheld = build_plan(plan, 0, SubjectResult(STATUS_RELEASABLE, "912701234:ITIN", (), ()))
    counts = {"subjects": 1, "releasable": int(bool(released)), "withheld": int(not released), "no_record": 0}
    return recommend(findings, counts, plan, complete=released == list(pkg.items))


# -- RECEIVED (issue 18 item 18) -------------------------------------------------------------------------
@pytest.mark.parametrize(("received", "expected"), [
    ("2026-11-15", PASS),
    ("2026-11-16", FAIL),
    ("2099-01-01", FAIL),
    ("9999-12-31", FAIL),
    ("2025-11-15", PASS),          # 365 days before
    ("2025-11-14", REVIEW),        # 366 days: stale
    ("1990-01-01", REVIEW),
])
def test_received(received: str, expected: str) -> None:
    ctx = i2(received_on=received)
    found = only(evaluate_request(ctx), "RECEIVED")
    assert found.outcome == expected
    assert found.citation == citation("RECEIVED", "6103(i)(2)")
    if expected == FAIL:
        assert denies(found) and outcome(ctx) == "deny"
    if expected == REVIEW:
        assert "stale" in found.message and provisional(outcome(ctx), [("RECEIVED", REVIEW)])


def test_a_request_received_in_2099_is_not_granted() -> None:
    assert outcome(case()) == "grant"
    assert outcome(i2(received_on="2099-12-31")) == "deny"


def test_the_stale_limit_is_a_setting() -> None:
    ctx = i2(received_on="2025-11-14")
    assert only(evaluate_request(replace(ctx, settings={"request_stale_days": 400})), "RECEIVED").outcome == PASS


# -- PURPOSE -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("statement", [
    "The subject was deported in 2019.", "Supports deportation proceedings.", "Deport the subject.",
    "The subject is removable.", "The subject was removed in 2020.", "Removal case.", "Pending removals.",
    "The office civilly enforces the law.", "Civil-enforcement action.", "Held in immigration detention.",
])
def test_civil_wording_in_any_inflection(statement: str) -> None:
    found = only(evaluate_request(i2(purpose={"category": "nontax-criminal", "statement": statement})), "PURPOSE")
    assert found.outcome == REVIEW


@pytest.mark.parametrize("statement", ["Grand jury investigation of a wire-fraud scheme.",
                                       "Remote access to the accounts.", "A report on the status of the case."])
def test_other_wording_is_not_flagged(statement: str) -> None:
    found = only(evaluate_request(i2(purpose={"category": "nontax-criminal", "statement": statement})), "PURPOSE")
    assert found.outcome == PASS


@pytest.mark.parametrize("pkg", [I1, C, D1, FOIA_OWN], ids=["i1", "c", "d1", "foia"])
def test_civil_wording_is_flagged_for_every_authority(pkg) -> None:
    purpose = {**(pkg.purpose or {}), "statement": "Needed to locate a removable alien."}
    assert [f.outcome for f in findings_of("PURPOSE", case(replace(pkg, purpose=purpose)))] == [REVIEW]
    assert [f.outcome for f in findings_of("PURPOSE", case(pkg))] == [PASS]


def test_civil_wording_stays_when_the_category_fails() -> None:
    ctx = i2(purpose={"category": "immigration-civil", "statement": "Locate the subject for deportation."})
    assert [f.outcome for f in findings_of("PURPOSE", ctx)] == [FAIL, REVIEW]
    assert outcome(ctx) == "deny" and provisional("deny", [("PURPOSE", REVIEW)])


def test_d1_needs_the_state_tax_category() -> None:
    ctx = case(replace(D1, purpose={"category": "other", "statement": "Audit."}))
    found = only(evaluate_request(ctx), "PURPOSE")
    assert found.outcome == FAIL and "state tax" in found.message
    assert outcome(ctx) == "deny"


# -- OFFICERS --------------------------------------------------------------------------------------------
def test_an_officer_listed_twice_counts_once() -> None:
    twice = (AGENT, replace(AGENT, name="  r. EXAMPLE "), replace(AGENT, name="Example, R."))
    found = only(evaluate_request(i2(officers=twice, )), "OFFICERS")
    assert found.outcome == PASS and "1 officer named" in found.message
    # 150 subjects for one person (listed twice) is more than 100 per officer
    found = only(evaluate_request(replace(i2(officers=twice[:2]), subject_count=150)), "OFFICERS")
    assert found.outcome == FAIL and "150 subjects for 1 named officer" in found.message


def test_a_person_listed_twice_counts_with_the_larger_caseload() -> None:
    officers = (AGENT, replace(AGENT, name="R. Example", active_matters=250))
    found = only(evaluate_request(i2(officers=officers)), "OFFICERS")
    assert found.outcome == FAIL and "250" in found.message


def test_an_officer_without_a_name_is_not_named() -> None:
    assert only(evaluate_request(i2(officers=(Officer("", "Special Agent", 4),))), "OFFICERS").outcome == FAIL
    unnamed = (AGENT, Officer(" ", None, 1))
    found = only(evaluate_request(replace(i2(officers=unnamed), subject_count=150)), "OFFICERS")
    assert found.outcome == FAIL and "1 named officer" in found.message


def test_an_implausible_caseload_is_judged_not_refused() -> None:
    found = only(evaluate_request(i2(officers=(replace(AGENT, active_matters=1_280_000),))), "OFFICERS")
    assert found.outcome == FAIL and "1,280,000" in found.message
    assert outcome(i2(officers=(replace(AGENT, active_matters=2**53 - 1),))) == "deny"


# -- ORDER, ITEMS, PERIODS: partial or deny --------------------------------------------------------------
def test_an_item_beyond_the_order_is_withheld_not_denied() -> None:
    ctx = case(replace(I1, items=("name", "agi", "wages")))
    order, items = only(evaluate_request(ctx), "ORDER"), only(evaluate_request(ctx), "ITEMS")
    assert (order.outcome, order.partial, items.outcome, items.partial) == (FAIL, True, FAIL, True)
    assert "wages" in order.message and not denies(order)
    assert outcome(ctx) == "partial"


def test_a_period_beyond_the_order_is_withheld_not_denied() -> None:
    ctx = case(replace(I1, periods=("2022", "2023")))
    order = only(evaluate_request(ctx), "ORDER")
    assert (order.outcome, order.partial) == (FAIL, True) and "2022" in order.message
    assert valid_periods(ctx) == ("2023",)         # 2022 is not released
    assert outcome(ctx) == "partial"


@pytest.mark.parametrize("pkg", [
    replace(I1, court_order=None),
    replace(I1, court_order=replace(I1.court_order, judge=" ")),
    replace(I1, court_order=replace(I1.court_order, case_no="")),
    replace(I1, periods=("2021", "2022")),                       # nothing asked within the order
    replace(I1, items=("wages", "employer")),
], ids=["missing", "no-judge", "no-case-number", "no-period-within", "no-item-within"])
def test_a_missing_or_incomplete_order_or_nothing_within_denies(pkg) -> None:
    ctx = case(pkg)
    assert denies(only(evaluate_request(ctx), "ORDER")) or denies(only(evaluate_request(ctx), "ITEMS"))
    assert outcome(ctx) == "deny"


def test_items_deny_when_nothing_requested_is_releasable() -> None:
    ctx = i2(items=("agi", "refund"))
    found = only(evaluate_request(ctx), "ITEMS")
    assert found.outcome == FAIL and denies(found) and "No element requested" in found.message
    assert outcome(ctx) == "deny"
    some = only(evaluate_request(i2(items=("name", "agi"))), "ITEMS")
    assert some.outcome == FAIL and not denies(some) and outcome(i2(items=("name", "agi"))) == "partial"


def test_an_invalid_period_beside_valid_ones_is_withheld() -> None:
    ctx = i2(periods=("2024", "all"))
    found = only(evaluate_request(ctx), "PERIODS")
    assert (found.outcome, found.partial) == (FAIL, True) and "all" in found.message
    assert valid_periods(ctx) == ("2024",)
    assert outcome(ctx) == "partial"
    assert outcome(i2(periods=("all",))) == "deny"


def test_the_current_year_is_not_future() -> None:
    ctx = i2(periods=(str(AS_OF.year),))
    assert only(evaluate_request(ctx), "PERIODS").outcome == PASS
    assert only(evaluate_request(i2(periods=(str(AS_OF.year + 1),))), "PERIODS").outcome == FAIL
    new_year = replace(ctx, as_of=date(AS_OF.year, 1, 1), package=replace(ctx.package, received_on="2026-01-01"))
    assert only(evaluate_request(new_year), "PERIODS").outcome == PASS


# -- CONSENT, SIGNER, SAFEGUARDS --------------------------------------------------------------------------
@pytest.mark.parametrize(("designee", "expected"), [
    ("Example Community Credit Union", PASS),
    ("EXAMPLE COMMUNITY CREDIT UNION.", PASS),
    ("Example-Community  Credit, Union", PASS),
    ("Example Community Credit Union of Texas", FAIL),
    ("", FAIL),
])
def test_consent_designee_names_the_requester_after_normalization(designee: str, expected: str) -> None:
    found = only(evaluate_request(case(replace(C, consent=replace(CONSENT, designee=designee)))), "CONSENT")
    assert found.outcome == expected


@pytest.mark.parametrize(("signed", "expected"), [
    ("2026-11-02", PASS), ("2026-11-03", FAIL), ("2026-07-05", PASS), ("2026-07-04", FAIL), ("", FAIL),
])
def test_consent_dated_on_or_before_receipt_and_at_most_120_days_before(signed: str, expected: str) -> None:
    ctx = case(replace(C, consent=replace(CONSENT, signed_on=signed)))
    assert only(evaluate_request(ctx), "CONSENT").outcome == expected


def test_consent_covers_the_valid_periods_and_an_invalid_one_is_withheld() -> None:
    ctx = case(replace(C, periods=("2024", "all")))
    assert only(evaluate_request(ctx), "CONSENT").outcome == PASS
    assert valid_periods(ctx) == ("2024",)
    assert outcome(ctx) == "partial"


@pytest.mark.parametrize(("pkg", "role", "expected"), [
    (I1, "doj-listed", PASS), (I1, "head-of-agency", FAIL), (I1, "inspector-general", FAIL),
    (C, "taxpayer", PASS), (C, "other", PASS), (C, "head-of-agency", FAIL), (C, "delegate", FAIL),
    (FOIA_THIRD, "other", PASS),
])
def test_signer_readings(pkg, role: str, expected: str) -> None:
    ctx = case(replace(pkg, signer=replace(DIRECTOR, role=role)))
    assert only(evaluate_request(ctx), "SIGNER").outcome == expected


def test_a_d1_requester_the_register_does_not_know_needs_review() -> None:
    assert only(evaluate_request(case(D1, agency=None)), "SAFEGUARDS").outcome == REVIEW
    assert only(evaluate_request(case(I2, agency=None)), "SAFEGUARDS").outcome == PASS


# -- the plan and the recommendation --------------------------------------------------------------------
def withheld(*codes: str) -> SubjectResult:
    """A withheld subject; it matched one taxpayer unless MATCH is among its codes."""
    matched = None if "MATCH" in codes else "212450001:SSN"
    return SubjectResult(STATUS_WITHHELD, matched, tuple((c, FAIL, "x") for c in codes), ())


@pytest.mark.parametrize("codes", [(HOLD,), ("ADDRESS", HOLD), (FOIA_THIRD_PARTY,), (CONSENT_OTHER_TAXPAYER,),
                                   ("MATCH", CONSENT_OTHER_TAXPAYER)])
def test_no_override_releases_a_subject_no_one_may_release(codes: tuple[str, ...]) -> None:
    overrides = [(1, None, "name", "release", "x" * 12, "rita"), (2, 0, "address", "release", "x" * 12, "rita")]
    plan = Plan("6103(i)(2)", ("name", "address"), frozenset({"name", "address"}), (), overrides)
    res = withheld(*codes)
    assert never_released(codes)
    released, _held = build_plan(plan, 0, res)
    assert released == []
    assert plan.encoded_shared(res)[0] == "" and plan.encoded(0, res)[0] == ""


def test_an_override_still_releases_against_an_ordinary_defect() -> None:
    overrides = [(1, 0, "address", "release", "x" * 12, "rita")]
    plan = Plan("6103(i)(2)", ("name", "address"), frozenset({"name", "address"}), (), overrides)
    assert build_plan(plan, 0, withheld("ADDRESS-MATCH"))[0] == ["address"]
    assert never_released(["ADDRESS-MATCH", "REASON"]) is None


def test_a_blocked_request_is_never_provisional() -> None:
    outcomes = [("COURT-ORDER", BLOCK), ("BULK", REVIEW), ("PURPOSE", REVIEW)]
    assert provisional("blocked", outcomes) is False
    assert provisional("deny", outcomes) is True


def test_foia_identity_needs_confirming_only_when_a_record_would_be_released() -> None:
    ctx = case(FOIA_OWN, agency=None)
    assert non_passes(evaluate_request(ctx)) == [("ITEMS", REVIEW)]
    outcomes = [("ITEMS", REVIEW), ("MATCH", FAIL)]
    assert provisional("deny", outcomes) is False
    assert provisional("grant", outcomes) is True
    # nothing releasable: no identity to confirm
    none = replace(FOIA_OWN, signer=Signer("P. Reporter", None, "other", True))
    assert [f.outcome for f in findings_of("ITEMS", case(none, agency=None))] == [FAIL]


@pytest.mark.parametrize("change", [{"taxpayer_tin": "12"}, {"taxpayer_tin": ""}, {"taxpayer_name": "FNU Example"},
                                    {"taxpayer_name": ""}], ids=["short-tin", "no-tin", "placeholder", "no-name"])
def test_a_consent_that_does_not_say_whose_it_is_covers_nobody(change: dict[str, str]) -> None:
    ctx = case(replace(C, consent=replace(CONSENT, **change)))
    found = only(evaluate_request(ctx), "CONSENT")
    assert found.outcome == FAIL and "its taxpayer" in found.message and denies(found)


def test_a_first_party_foia_requester_signs_with_a_real_name() -> None:
    unnamed = replace(FOIA_OWN, signer=Signer("Unknown", None, "taxpayer", True))
    assert releasable_items("foia", unnamed) == set()
    assert outcome(case(unnamed, agency=None)) == "deny"

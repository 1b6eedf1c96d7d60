"""Request-level checks (domain/RULES.md): one table row per code and outcome, then the finer points."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from workstation.model import (
    AgencyEntry,
    Consent,
    CourtOrder,
    CourtOrderRef,
    Officer,
    Requester,
    RequestPackage,
    Signer,
)
from workstation.rules.checks_request import RequestContext, applicable_codes, evaluate_request, valid_periods
from workstation.rules.findings import (
    BLOCK,
    FAIL,
    PASS,
    REQUEST_CODES,
    REVIEW,
    SUBJECT_CODES,
    Finding,
    citation,
    releasable_items,
)
from workstation.settings import DEFAULTS

AS_OF = date(2026, 11, 15)
FBI = Requester("Department of Justice", "Federal Bureau of Investigation", "DOJ-FBI", ())
ICE = Requester("Department of Homeland Security", "U.S. Immigration and Customs Enforcement", "DHS-ICE", ())
DIRECTOR = Signer("K. Sample", "Director", "head-of-agency", True)
AGENT = Officer("R. Example", "Special Agent", 4)
I2 = RequestPackage(
    request_id="T-I2", received_on="2026-11-02", authority="6103(i)(2)", in_writing=True, requester=FBI,
    signer=DIRECTOR, statute={"citation": "18 U.S.C. 1343", "class": "criminal"},
    purpose={"category": "nontax-criminal", "statement": "Grand jury investigation of a wire-fraud scheme."},
    solely_for_use_certified=True, officers=(AGENT, replace(AGENT, name="T. Other", active_matters=9)),
    items=("name", "address", "wages"), periods=("2023", "2024"), court_order=None, consent=None,
)
I1 = replace(
    I2, request_id="T-I1", authority="6103(i)(1)", signer=replace(DIRECTOR, role="doj-listed"),
    items=("name", "agi", "bank_account"),
    court_order=CourtOrderRef("U.S. District Court for the Western District of Texas", "Hon. M. Example",
                              "1:26-mj-00321", "2026-10-27", ("name", "address", "agi", "bank_account"),
                              ("2023", "2024")),
)
LENDER = Requester("Example Community Credit Union", "Mortgage Underwriting", None, ())
TAXPAYER_NAME, TAXPAYER_TIN = "Maria Example", "912-70-1234"
# Signed 120 days before receipt (the limit); the designee equals the requester after folding.
CONSENT = Consent(TAXPAYER_NAME, TAXPAYER_TIN, "  example community   CREDIT union ",
                  ("name", "agi", "wages"), ("2023", "2024"), "2026-07-05", True)
C = replace(
    I2, request_id="T-C", authority="6103(c)", requester=LENDER,
    signer=Signer(TAXPAYER_NAME, None, "taxpayer", True), statute=None,
    purpose={"category": "consented", "statement": "Income verification."}, solely_for_use_certified=False,
    officers=(), items=("name", "agi"), consent=CONSENT,
)
D1 = replace(
    I2, request_id="T-D1", authority="6103(d)(1)",
    requester=Requester("Texas Comptroller of Public Accounts", None, "TX-CPA", ()),
    signer=replace(DIRECTOR, role="head-of-state-tax-agency"), statute={"citation": "Tex. Tax Code 111.006",
                                                                         "class": "tax"},
    purpose={"category": "state-tax", "statement": "Audit."}, items=("name", "agi", "total_tax", "wages"),
)
FOIA_OWN = replace(
    C, request_id="T-FOIA", authority="foia", requester=Requester(TAXPAYER_NAME, None, None, ()),
    purpose={"category": "foia", "statement": "My own records."}, items=("name", "agi", "refund"),
    consent=None,
)
FOIA_THIRD = replace(FOIA_OWN, requester=Requester("The Example Ledger", None, None, ()),
                     signer=Signer("P. Reporter", "Reporter", "other", True))

ICE_ORDER = CourtOrder(
    court="U.S. District Court for the District of Columbia", case_no="1:25-cv-00457",
    caption="Center for Taxpayer Rights v. IRS", signed_on="2025-11-21", effective_from="2025-11-21",
    effective_to=None, status="active", enjoined_recipients=("DHS-ICE",),
    enjoined_purposes=("immigration-civil", "nontax-criminal"), enjoined_items=("address",), note=None,
)
VACATED_FBI = replace(ICE_ORDER, case_no="1:24-cv-09999", status="vacated", enjoined_recipients=("DOJ-FBI",),
                      enjoined_purposes=("*",), enjoined_items=("*",))
FBI_ENTRY = AgencyEntry("DOJ-FBI", "Federal Bureau of Investigation", True, 0, False, "2025-06-12")


def case(pkg: RequestPackage = I2, **ctx: Any) -> RequestContext:
    base = RequestContext(package=pkg, subject_count=2, as_of=AS_OF, settings=dict(DEFAULTS),
                          court_orders=(ICE_ORDER, VACATED_FBI), agency=FBI_ENTRY)
    return replace(base, **ctx)


def i2(**pkg: Any) -> RequestContext:
    return case(replace(I2, **pkg))


def non_passes(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.code, f.outcome) for f in findings if f.outcome != PASS)


def only(findings: list[Finding], code: str) -> Finding:
    (found,) = [f for f in findings if f.code == code]
    return found


# (context, code, outcome, other non-pass findings the same mutation causes)
ROWS = [
    pytest.param(case(), "AUTHORITY", PASS, {}, id="authority-pass"),
    pytest.param(i2(authority="6103(i)(3)"), "AUTHORITY", FAIL, {}, id="authority-unknown"),
    pytest.param(case(), "WRITING", PASS, {}, id="writing-pass"),
    pytest.param(i2(in_writing=False), "WRITING", FAIL, {}, id="writing-not-written"),
    pytest.param(i2(signer=replace(DIRECTOR, signature_present=False)), "WRITING", FAIL, {},
                 id="writing-unsigned"),
    pytest.param(case(), "SIGNER", PASS, {}, id="signer-pass"),
    pytest.param(i2(signer=replace(DIRECTOR, role="delegate")), "SIGNER", FAIL, {}, id="signer-delegate"),
    pytest.param(case(), "STATUTE", PASS, {}, id="statute-pass"),
    pytest.param(i2(statute={"citation": "31 U.S.C. 3729", "class": "civil"}), "STATUTE", FAIL, {},
                 id="statute-civil"),
    pytest.param(i2(statute={"citation": "26 U.S.C. 7201", "class": "criminal"}), "STATUTE", FAIL, {},
                 id="statute-title-26"),
    pytest.param(i2(statute=None), "STATUTE", FAIL, {}, id="statute-missing"),
    pytest.param(case(), "PURPOSE", PASS, {}, id="purpose-pass"),
    pytest.param(i2(purpose={"category": "immigration-civil", "statement": "Residence history."}), "PURPOSE",
                 FAIL, {}, id="purpose-civil-category"),
    pytest.param(i2(solely_for_use_certified=False), "PURPOSE", FAIL, {}, id="purpose-not-certified"),
    pytest.param(i2(purpose={"category": "nontax-criminal", "statement": "Needed for removal proceedings."}),
                 "PURPOSE", REVIEW, {}, id="purpose-civil-wording"),
    pytest.param(case(), "OFFICERS", PASS, {}, id="officers-pass"),
    pytest.param(i2(officers=()), "OFFICERS", FAIL, {}, id="officers-none"),
    pytest.param(i2(officers=(replace(AGENT, active_matters=250),)), "OFFICERS", FAIL, {},
                 id="officers-caseload"),
    pytest.param(case(subject_count=201), "OFFICERS", FAIL, {"BULK": REVIEW}, id="officers-subjects-each"),
    pytest.param(case(), "ITEMS", PASS, {}, id="items-pass"),
    pytest.param(i2(items=("name", "address", "agi", "bank_account")), "ITEMS", FAIL, {}, id="items-tri"),
    pytest.param(case(C), "CONSENT", PASS, {}, id="consent-pass"),
    pytest.param(case(replace(C, consent=None)), "CONSENT", FAIL, {"ITEMS": FAIL}, id="consent-missing"),
    pytest.param(case(replace(C, consent=replace(CONSENT, signed_on="2026-07-04"))), "CONSENT", FAIL, {},
                 id="consent-121-days"),
    pytest.param(case(I1), "ORDER", PASS, {}, id="order-pass"),
    pytest.param(case(replace(I1, court_order=replace(I1.court_order, judge=""))), "ORDER", FAIL, {},
                 id="order-no-judge"),
    pytest.param(case(replace(I1, periods=("2022", "2023"))), "ORDER", FAIL, {}, id="order-period-outside"),
    pytest.param(case(), "PERIODS", PASS, {}, id="periods-pass"),
    pytest.param(i2(periods=("all",)), "PERIODS", FAIL, {}, id="periods-all"),
    pytest.param(i2(periods=("2024", "2027")), "PERIODS", FAIL, {}, id="periods-some-future"),
    pytest.param(case(), "COURT-ORDER", PASS, {}, id="court-order-pass"),
    pytest.param(i2(requester=ICE), "COURT-ORDER", BLOCK, {}, id="court-order-block"),
    pytest.param(case(), "SAFEGUARDS", PASS, {}, id="safeguards-pass"),
    pytest.param(case(agency=None), "SAFEGUARDS", PASS, {}, id="safeguards-unknown-agency"),
    pytest.param(case(agency=replace(FBI_ENTRY, safeguards_current=False)), "SAFEGUARDS", REVIEW, {},
                 id="safeguards-not-current"),
    pytest.param(case(agency=replace(FBI_ENTRY, open_findings=3)), "SAFEGUARDS", REVIEW, {},
                 id="safeguards-open-findings"),
    pytest.param(case(agency=replace(FBI_ENTRY, open_findings=3, corrective_plan=True)), "SAFEGUARDS",
                 PASS, {}, id="safeguards-findings-under-plan"),
    pytest.param(case(subject_count=100), "BULK", PASS, {}, id="bulk-at-threshold"),
    pytest.param(case(subject_count=101), "BULK", REVIEW, {}, id="bulk-over-threshold"),
]


@pytest.mark.parametrize(("ctx", "code", "outcome", "also"), ROWS)
def test_each_code_and_outcome(ctx: RequestContext, code: str, outcome: str, also: dict[str, str]) -> None:
    findings = evaluate_request(ctx)
    found = only(findings, code)
    assert (found.code, found.scope, found.ref, found.outcome) == (code, "request", None, outcome)
    assert found.message and found.citation
    if code != "COURT-ORDER" or outcome == PASS:
        assert found.citation == citation(code, ctx.package.authority)
    expected = {code: outcome, **also} if outcome != PASS else also
    assert non_passes(findings) == sorted(expected.items())


VALID = {"6103(i)(2)": I2, "6103(i)(1)": I1, "6103(c)": C, "6103(d)(1)": D1}
EXTRA = {"6103(i)(2)": {"STATUTE", "OFFICERS"}, "6103(i)(1)": {"STATUTE", "ORDER"},
         "6103(c)": {"CONSENT"}, "6103(d)(1)": set()}
GENERAL = {"AUTHORITY", "WRITING", "RECEIVED", "SIGNER", "PURPOSE", "ITEMS", "PERIODS", "COURT-ORDER",
           "SAFEGUARDS", "BULK"}


@pytest.mark.parametrize("authority", list(VALID))
def test_valid_request_of_each_authority_passes_every_applicable_code(authority: str) -> None:
    findings = evaluate_request(case(VALID[authority]))
    assert [f.code for f in findings] == [c for c in REQUEST_CODES if c in GENERAL | EXTRA[authority]]
    assert [f.code for f in findings] == list(applicable_codes(authority))
    assert {f.outcome for f in findings} == {PASS}
    assert all(f.scope == "request" and f.ref is None and f.citation for f in findings)


def test_foia_first_party_releases_own_records_after_identity_review() -> None:
    findings = evaluate_request(case(FOIA_OWN, agency=None))
    assert non_passes(findings) == [("ITEMS", REVIEW)]
    assert "verified" in only(findings, "ITEMS").message
    assert releasable_items("foia", FOIA_OWN) >= set(FOIA_OWN.items)


def test_foia_third_party_releases_nothing() -> None:
    findings = evaluate_request(case(FOIA_THIRD, agency=None))
    assert non_passes(findings) == [("ITEMS", FAIL)]
    assert only(findings, "ITEMS").citation == "5 U.S.C. 552(b)(3); 26 U.S.C. 6103(a)"
    assert releasable_items("foia", FOIA_THIRD) == set()


def test_unknown_authority_skips_authority_specific_codes() -> None:
    findings = evaluate_request(i2(authority="6103(i)(3)"))
    assert [f.code for f in findings] == ["AUTHORITY", "WRITING", "RECEIVED", "PURPOSE", "PERIODS",
                                          "COURT-ORDER", "SAFEGUARDS", "BULK"]
    assert "6103(i)(3)" in only(findings, "AUTHORITY").message


def test_releasable_items_per_authority() -> None:
    assert releasable_items("6103(i)(2)", I2) == {"name", "tin", "address", "wages", "employer", "interest"}
    assert releasable_items("6103(i)(1)", I1) == {"name", "address", "agi", "bank_account"}
    assert releasable_items("6103(i)(1)", replace(I1, court_order=None)) == set()
    assert releasable_items("6103(c)", C) == {"name", "agi", "wages"}
    assert releasable_items("6103(c)", replace(C, consent=None)) == set()
    assert len(releasable_items("6103(d)(1)", D1)) == 13
    assert releasable_items("6103(i)(3)", I2) == set()


def test_items_withheld_are_named_with_their_reason() -> None:
    found = only(evaluate_request(i2(items=("name", "agi", "bank_account", "shoe_size"))), "ITEMS")
    assert found.outcome == FAIL
    assert "agi, bank_account (taxpayer return information)" in found.message
    assert "shoe_size (not a known data element)" in found.message
    assert "name" not in found.message.replace("named", "")


# -- COURT-ORDER: which register orders apply ----------------------------------------------------------
ICE_ADDR = replace(I2, requester=ICE)


@pytest.mark.parametrize(("order", "pkg", "blocked"), [
    pytest.param(ICE_ORDER, ICE_ADDR, True, id="active"),
    pytest.param(replace(ICE_ORDER, status="stayed"), ICE_ADDR, False, id="stayed"),
    pytest.param(replace(ICE_ORDER, status="vacated"), ICE_ADDR, False, id="vacated"),
    pytest.param(replace(ICE_ORDER, effective_to="2026-06-30"), ICE_ADDR, False, id="expired"),
    pytest.param(replace(ICE_ORDER, effective_to="2026-11-15"), ICE_ADDR, True, id="last-day"),
    pytest.param(replace(ICE_ORDER, effective_from="2026-12-01"), ICE_ADDR, False, id="not-yet-effective"),
    pytest.param(ICE_ORDER, I2, False, id="other-agency"),
    pytest.param(replace(ICE_ORDER, enjoined_purposes=("immigration-civil",)), ICE_ADDR, False,
                 id="purpose-not-enjoined"),
    pytest.param(replace(ICE_ORDER, enjoined_purposes=("*",)), ICE_ADDR, True, id="purpose-wildcard"),
    pytest.param(ICE_ORDER, replace(ICE_ADDR, items=("name", "wages")), False, id="item-not-enjoined"),
    pytest.param(replace(ICE_ORDER, enjoined_items=("*",)), replace(ICE_ADDR, items=("name",)), True,
                 id="item-wildcard"),
    pytest.param(ICE_ORDER, replace(ICE_ADDR, requester=replace(ICE, agency_code=None)), False,
                 id="no-agency-code"),
])
def test_court_order_applicability(order: CourtOrder, pkg: RequestPackage, blocked: bool) -> None:
    findings = [f for f in evaluate_request(case(pkg, court_orders=[order])) if f.code == "COURT-ORDER"]
    assert [f.outcome for f in findings] == [BLOCK if blocked else PASS]


def test_block_cites_the_order_and_one_finding_per_applying_order() -> None:
    second = replace(ICE_ORDER, case_no="25-cv-0677", caption="Centro de Trabajadores Unidos v. Bessent")
    findings = [f for f in evaluate_request(case(ICE_ADDR, court_orders=[ICE_ORDER, second]))
                if f.code == "COURT-ORDER"]
    assert [f.outcome for f in findings] == [BLOCK, BLOCK]
    first = findings[0]
    for part in ("U.S. District Court for the District of Columbia", "1:25-cv-00457",
                 "Center for Taxpayer Rights v. IRS", "2025-11-21"):
        assert part in first.message
    assert first.citation == ("Order of U.S. District Court for the District of Columbia, 1:25-cv-00457 "
                              "(2025-11-21)")


# -- PERIODS ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("periods", "outcome", "valid"), [
    (("all",), FAIL, ()),
    (("all years",), FAIL, ()),
    (("*",), FAIL, ()),
    (("2020-2024",), FAIL, ()),
    (("2027",), FAIL, ()),
    ((), FAIL, ()),
    (("0999", "24"), FAIL, ()),
    (("2026",), PASS, ("2026",)),
    (("2023", "2023", "2024"), PASS, ("2023", "2024")),
    (("2023", "all", "2031"), FAIL, ("2023",)),
])
def test_periods(periods: tuple[str, ...], outcome: str, valid: tuple[str, ...]) -> None:
    ctx = i2(periods=periods)
    found = only(evaluate_request(ctx), "PERIODS")
    assert found.outcome == outcome
    assert valid_periods(ctx) == valid
    assert found.citation == "26 U.S.C. 6103(i)(2)(B)(ii)"
    assert found.partial == (outcome == FAIL and bool(valid))    # beside valid periods: withheld, not denied
    if valid and outcome == FAIL:
        assert "all" in found.message and "2031" in found.message


# -- CONSENT ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("consent", "requester", "words"), [
    pytest.param(replace(CONSENT, signed_on="2026-07-04"), LENDER, "121 days", id="121-days-old"),
    pytest.param(replace(CONSENT, signed_on="2026-11-03"), LENDER, "after", id="signed-after-receipt"),
    pytest.param(replace(CONSENT, signature_present=False), LENDER, "not signed", id="unsigned"),
    pytest.param(replace(CONSENT, items=("name",)), LENDER, "agi", id="item-not-consented"),
    pytest.param(replace(CONSENT, periods=("2024",)), LENDER, "2023", id="period-not-consented"),
    pytest.param(replace(CONSENT, designee="Another Bank"), LENDER, "designee", id="other-designee"),
])
def test_consent_defects(consent: Consent, requester: Requester, words: str) -> None:
    found = only(evaluate_request(case(replace(C, consent=consent, requester=requester))), "CONSENT")
    assert found.outcome == FAIL and words in found.message
    assert found.citation == "26 U.S.C. 6103(c); 26 C.F.R. 301.6103(c)-1(b)"


def test_consent_designee_may_be_the_component_and_the_limit_is_a_setting() -> None:
    by_component = replace(CONSENT, designee="mortgage underwriting")
    assert only(evaluate_request(case(replace(C, consent=by_component))), "CONSENT").outcome == PASS
    old = replace(C, consent=replace(CONSENT, signed_on="2026-07-04"))
    settings = {**DEFAULTS, "consent_max_age_days": 180}
    assert only(evaluate_request(case(old, settings=settings)), "CONSENT").outcome == PASS


# -- PURPOSE wording, STATUTE, OFFICERS --------------------------------------------------------------------
@pytest.mark.parametrize(("statement", "outcome"), [
    ("Investigation leading to REMOVAL of the subject.", REVIEW),
    ("Supports civil\n  enforcement of the immigration laws.", REVIEW),
    ("Subject is removable; criminal case follows.", REVIEW),
    ("Evidence removed from the scene will be examined.", REVIEW),
    ("Grand jury investigation of fraud.", PASS),
])
def test_civil_enforcement_wording(statement: str, outcome: str) -> None:
    ctx = i2(purpose={"category": "nontax-criminal", "statement": statement})
    found = only(evaluate_request(ctx), "PURPOSE")
    assert found.outcome == outcome
    if outcome == REVIEW:
        assert "'" in found.message


def test_civil_enforcement_words_come_from_settings() -> None:
    ctx = i2(purpose={"category": "nontax-criminal", "statement": "Needed for removal proceedings."})
    no_words = replace(ctx, settings={"civil_enforcement_words": []})
    assert only(evaluate_request(no_words), "PURPOSE").outcome == PASS
    custom = replace(ctx, settings={"civil_enforcement_words": ["proceedings"]})
    assert "'proceedings'" in only(evaluate_request(custom), "PURPOSE").message


@pytest.mark.parametrize(("cited", "outcome"), [
    ("8 U.S.C. 1326(a)", PASS),
    ("18 U.S.C. 1343; 18 U.S.C. 1349", PASS),
    ("26 USC 7201", FAIL),
    ("I.R.C. § 7206(1)", FAIL),
    ("Internal Revenue Code section 7203", FAIL),
    ("18 U.S.C. 371; 26 U.S.C. 7201", FAIL),
])
def test_tax_statutes_are_recognised(cited: str, outcome: str) -> None:
    ctx = i2(statute={"citation": cited, "class": "criminal"})
    assert only(evaluate_request(ctx), "STATUTE").outcome == outcome


def test_officer_numbers_are_in_the_message() -> None:
    found = only(evaluate_request(case(subject_count=201)), "OFFICERS")
    assert "201 subjects" in found.message and "100.5 per officer" in found.message
    assert only(evaluate_request(case(subject_count=200)), "OFFICERS").outcome == PASS
    found = only(evaluate_request(i2(officers=(replace(AGENT, active_matters=250),))), "OFFICERS")
    assert "250" in found.message and "100" in found.message


# -- messages, citations -----------------------------------------------------------------------------------
def test_messages_never_carry_taxpayer_values() -> None:
    bad_consent = replace(CONSENT, signed_on="2025-01-01", designee="Someone Else", signature_present=False)
    contexts = [case(FOIA_OWN, agency=None), case(replace(C, consent=bad_consent)), case(C)]
    for ctx in contexts:
        for f in evaluate_request(ctx):
            assert TAXPAYER_NAME not in f.message and TAXPAYER_TIN not in f.message, f


def test_settings_fall_back_to_defaults() -> None:
    assert only(evaluate_request(case(subject_count=101, settings={})), "BULK").outcome == REVIEW


@pytest.mark.parametrize(("code", "authority", "expected"), [
    ("AUTHORITY", "foia", "26 U.S.C. 6103(a)"),
    ("WRITING", "6103(c)", "26 U.S.C. 6103(c); 26 C.F.R. 301.6103(c)-1"),
    ("SIGNER", "6103(d)(1)", "26 U.S.C. 6103(d)(1)"),
    ("STATUTE", "6103(i)(2)", "26 U.S.C. 6103(i)(2)(A), (B)(iii)"),
    ("ITEMS", "6103(i)(2)", "26 U.S.C. 6103(i)(2)(A); 6103(b)(3)"),
    ("ORDER", "6103(i)(1)", "26 U.S.C. 6103(i)(1)(A)-(B)"),
    ("PERIODS", "6103(c)", "26 U.S.C. 6103(a)"),
    ("NAME", "6103(i)(2)", "26 U.S.C. 6103(i)(2)(B)(i)"),
    ("HOLD", "6103(c)", "26 U.S.C. 6103(i)(6)"),
    ("PERIOD-RECORD", "foia", "26 U.S.C. 6103(a)"),
])
def test_citations_are_shipped_data(code: str, authority: str, expected: str) -> None:
    assert citation(code, authority) == expected


def test_every_code_has_a_default_citation() -> None:
    for code in REQUEST_CODES + SUBJECT_CODES:
        assert citation(code, "no-such-authority")
    with pytest.raises(KeyError):
        citation("NO-SUCH-CODE", "foia")

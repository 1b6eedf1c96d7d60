"""Subject-level checks (RULES.md, "Subject-level"), table-driven over the pure `evaluate_subject`.

Every subject code has one input that passes and one that fails; then the matching corner cases (name and
address without a TIN, ambiguity, a TIN on file for someone else), REASON and PERIOD-RECORD details, and a
canary: no taxpayer value ever reaches a finding message (messages go to logs and letters).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from workstation.normalize import address_key, tin_digits
from workstation.rules.findings import FAIL, REVIEW
from workstation.rules.subjects import (
    STATUS_NO_RECORD,
    STATUS_RELEASABLE,
    STATUS_REVIEW,
    STATUS_WITHHELD,
    RecordRow,
    SubjectChecker,
    SubjectPolicy,
    SubjectResult,
    evaluate_subject,
    reason_key,
    street_parts,
)

# Distinctive values, so the canary cannot be fooled by a coincidence with message text.
NAME, TIN, TIN_TYPE, NC = "Maria Quetzalcoatl", "912-70-4816", "ITIN", "QUET"
STREET, CITY, STATE, ZIP = "4817 Zaragoza Ave Apt 9", "Austin", "TX", "78701"
OLD_STREET = "3391 Guadalupe St"
CASE = "CR-24-1187"
REASON = f"Payments traced in grand jury case {CASE} to accounts this person controls"
HOME = address_key(STREET, CITY, STATE, ZIP)
OLD_HOME = address_key(OLD_STREET, CITY, STATE, ZIP)
ROWS: tuple[RecordRow, ...] = ((2024, TIN_TYPE, NC, HOME, 0), (2025, TIN_TYPE, NC, HOME, 0))
TAXPAYER_VALUES = (NAME, *NAME.split(), TIN, tin_digits(TIN) or "", STREET, OLD_STREET, "4817", "3391", "Zaragoza",
                   "Guadalupe")

I2 = SubjectPolicy(is_i2=True, periods=("2024", "2025"), reason_counts={}, reason_limit=3)
I1 = SubjectPolicy(is_i2=False, periods=("2024", "2025"), reason_counts={}, reason_limit=3)

Lookup = Callable[[str], Sequence[tuple[str, str, str]]]


def nobody(_key: str) -> Sequence[tuple[str, str, str]]:
    return ()


@dataclass
class Case:
    """A subject (the valid one, with `changes`), the records its TIN finds, and what must come out."""

    code: str
    outcome: str | None                    # None: the code must not appear among the non-pass findings
    status: str
    changes: dict[str, Any] = field(default_factory=dict)
    rows: Sequence[RecordRow] = ROWS
    by_address: Lookup = nobody
    policy: SubjectPolicy = I2


def run(case: Case) -> SubjectResult:
    fields: dict[str, Any] = {"name": NAME, "tin": TIN, "street": STREET, "city": CITY, "state": STATE,
                              "zip_code": ZIP, "periods": "2024;2025", "case_no": CASE, "reason": REASON}
    fields.update(case.changes)
    rows_by_tin = {tin_digits(TIN): list(ROWS)}
    return evaluate_subject(case.policy, **fields, rows=case.rows, by_address=case.by_address,
                            rows_for_tin=lambda t, tt: rows_by_tin.get(t, []))


def outcomes(res: SubjectResult) -> dict[str, str]:
    return {code: outcome for code, outcome, _msg in res.findings}


CASES: dict[str, Case] = {
    # NAME
    "NAME pass: last-name-first form": Case("NAME", None, STATUS_RELEASABLE, {"name": "QUETZALCOATL, MARIA"}),
    "NAME fail: placeholder": Case("NAME", FAIL, STATUS_WITHHELD, {"name": "Unknown"}),
    # ADDRESS
    "ADDRESS pass: long forms and ZIP+4": Case("ADDRESS", None, STATUS_RELEASABLE,
                                               {"street": "4817 Zaragoza Avenue, Apt. 9", "zip_code": "78701-1234"}),
    "ADDRESS fail: a ZIP alone": Case("ADDRESS", FAIL, STATUS_WITHHELD,
                                      {"street": "78701", "city": "", "state": "", "zip_code": ""}),
    # REASON
    "REASON pass: case number written differently": Case("REASON", None, STATUS_RELEASABLE,
                                                         {"reason": "Accounts tied to cr 24 1187 (grand jury)"}),
    "REASON fail: too short": Case("REASON", FAIL, STATUS_WITHHELD, {"reason": f"See {CASE}"}),
    # MATCH
    "MATCH pass: TIN without dashes": Case("MATCH", None, STATUS_RELEASABLE, {"tin": tin_digits(TIN)}),
    "MATCH fail: TIN on no record": Case("MATCH", FAIL, STATUS_NO_RECORD, {"tin": "912-70-9999"}, rows=()),
    # ADDRESS-MATCH
    "ADDRESS-MATCH pass: an earlier address on file": Case(
        "ADDRESS-MATCH", None, STATUS_RELEASABLE, {"street": OLD_STREET},
        rows=((2023, TIN_TYPE, NC, OLD_HOME, 0), *ROWS)),
    "ADDRESS-MATCH fail: complete address never on file": Case("ADDRESS-MATCH", FAIL, STATUS_WITHHELD,
                                                               {"street": "12 Elm St"}),
    # HOLD
    "HOLD pass: no hold on any year": Case("HOLD", None, STATUS_RELEASABLE),
    "HOLD fail: hold on one year": Case("HOLD", FAIL, STATUS_WITHHELD,
                                        rows=(ROWS[0], (2025, TIN_TYPE, NC, HOME, 1))),
    # PERIOD-RECORD
    "PERIOD-RECORD pass: subject narrows to a year on file": Case("PERIOD-RECORD", None, STATUS_RELEASABLE,
                                                                  {"periods": "2025"}, rows=ROWS[1:]),
    "PERIOD-RECORD fail: no year on file": Case("PERIOD-RECORD", FAIL, STATUS_NO_RECORD,
                                                rows=((2021, TIN_TYPE, NC, HOME, 0),)),
    # (i)(2)-only codes do not apply elsewhere
    "ADDRESS not checked outside (i)(2)": Case("ADDRESS", None, STATUS_RELEASABLE,
                                               {"street": None, "city": None, "state": None, "zip_code": None,
                                                "reason": None}, policy=I1),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_each_code_passes_and_fails(case: Case) -> None:
    res = run(case)
    found = outcomes(res)
    if case.outcome is None:
        assert case.code not in found
    else:
        assert found.get(case.code) == case.outcome
    assert res.status == case.status
    if case.status == STATUS_RELEASABLE:
        assert res.withheld_code is None
        assert res.matched == f"{tin_digits(TIN)}:{TIN_TYPE}"
    elif case.outcome is not None:
        assert res.withheld_code == case.code


def test_the_untouched_subject_has_no_finding() -> None:
    res = run(Case("NAME", None, STATUS_RELEASABLE))
    assert res.findings == () and res.status == STATUS_RELEASABLE and res.missing_periods == ()


# ------------------------------------------------------------------------------------------------ MATCH

def at_home(*people: tuple[str, str, str]) -> Lookup:
    return lambda key: list(people) if key == HOME else []


def test_match_by_name_and_address_without_a_tin() -> None:
    res = run(Case("MATCH", None, STATUS_RELEASABLE, {"tin": None}, rows=(),
                   by_address=at_home((tin_digits(TIN) or "", TIN_TYPE, NAME.upper()))))
    assert res.status == STATUS_RELEASABLE
    assert res.matched == f"{tin_digits(TIN)}:{TIN_TYPE}"
    assert res.findings == ()


def test_same_name_at_the_same_address_twice_needs_review() -> None:
    res = run(Case("MATCH", REVIEW, STATUS_REVIEW, {"tin": None}, rows=(),
                   by_address=at_home((tin_digits(TIN) or "", TIN_TYPE, NAME), ("912714816", "ITIN", NAME))))
    assert outcomes(res) == {"MATCH": REVIEW}
    assert res.status == STATUS_REVIEW and res.matched is None
    assert "2 taxpayers" in res.findings[0][2]


def test_tin_on_file_for_a_different_name_is_no_record_like_an_unknown_tin() -> None:
    """RULES.md "Letters": an unmatched subject is "no record found" whatever the reason, never a hint that the
    TIN is on file for someone else (the status and the words are those of a TIN nobody has)."""
    res = run(Case("MATCH", FAIL, STATUS_NO_RECORD, rows=tuple((y, t, "SMIT", a, h) for y, t, _nc, a, h in ROWS)))
    unknown = run(Case("MATCH", FAIL, STATUS_NO_RECORD, {"tin": "912-70-9999"}, rows=()))
    assert outcomes(res) == {"MATCH": FAIL}
    assert res.status == STATUS_NO_RECORD and res.matched is None
    assert res.findings == unknown.findings


def test_no_tin_and_no_one_at_that_address_is_no_record() -> None:
    res = run(Case("MATCH", FAIL, STATUS_NO_RECORD, {"tin": None}, rows=()))
    assert res.status == STATUS_NO_RECORD
    assert res.findings[0][2].startswith("no record")


# ----------------------------------------------------------------------------------------------- REASON

def boilerplate(subjects_giving_it: int) -> SubjectPolicy:
    return SubjectPolicy(is_i2=True, periods=I2.periods, reason_counts={reason_key(REASON): subjects_giving_it},
                         reason_limit=3)


def test_reason_shared_with_three_others_is_within_the_limit() -> None:
    assert "REASON" not in outcomes(run(Case("REASON", None, STATUS_RELEASABLE, policy=boilerplate(4))))


def test_reason_shared_with_more_than_the_limit_is_boilerplate() -> None:
    res = run(Case("REASON", FAIL, STATUS_WITHHELD, policy=boilerplate(5)))
    assert outcomes(res) == {"REASON": FAIL}
    assert res.status == STATUS_WITHHELD
    assert "same reason" in res.findings[0][2] and "4 other" in res.findings[0][2]


def test_reason_without_the_subjects_case_number_fails() -> None:
    res = run(Case("REASON", FAIL, STATUS_WITHHELD, {"case_no": "CR-24-2290"}))
    assert outcomes(res) == {"REASON": FAIL}
    assert "case number" in res.findings[0][2]


def test_reason_citing_a_longer_case_number_is_not_this_subjects_case() -> None:
    res = run(Case("REASON", FAIL, STATUS_WITHHELD, {"case_no": "CR-24-118"}))
    assert outcomes(res).get("REASON") == FAIL


# ----------------------------------------------------------------------------------------- PERIOD-RECORD

def test_one_of_two_years_missing_keeps_the_subject_releasable() -> None:
    res = run(Case("PERIOD-RECORD", FAIL, STATUS_RELEASABLE, rows=ROWS[:1]))
    assert outcomes(res) == {"PERIOD-RECORD": FAIL}
    assert res.status == STATUS_RELEASABLE and res.withheld_code is None
    assert res.missing_periods == ("2025",)
    assert "2025" in res.findings[0][2]


def test_subject_asking_only_for_a_year_outside_the_request_is_not_silently_released() -> None:
    res = run(Case("PERIOD-RECORD", FAIL, STATUS_WITHHELD, {"periods": "2019"}))
    assert res.status == STATUS_WITHHELD and outcomes(res) == {"PERIOD-RECORD": FAIL}
    assert "2019 not among the request's valid periods" in res.findings[0][2]


# ----------------------------------------------------------------------------------------------- canary

def test_no_taxpayer_value_in_any_finding_message() -> None:
    extra = [
        Case("MATCH", None, STATUS_RELEASABLE, {"tin": None}, rows=(), by_address=at_home((TIN, TIN_TYPE, NAME))),
        Case("MATCH", REVIEW, STATUS_REVIEW, {"tin": None}, rows=(),
             by_address=at_home((TIN, TIN_TYPE, NAME), ("912714816", "ITIN", NAME))),
        Case("MATCH", FAIL, STATUS_NO_RECORD, rows=tuple((y, t, "SMIT", a, h) for y, t, _n, a, h in ROWS)),
        Case("REASON", FAIL, STATUS_WITHHELD, {"reason": f"{NAME} of {STREET}, TIN {TIN}"}, policy=boilerplate(9)),
        Case("ADDRESS", FAIL, STATUS_WITHHELD, {"street": tin_digits(TIN), "name": "Don't Care"}),
        Case("ADDRESS", FAIL, STATUS_WITHHELD, {"street": f"{STREET} {TIN}"}),
        Case("NAME", FAIL, STATUS_WITHHELD, {"name": f"{NAME} {TIN}"}),
    ]
    messages = [msg for case in [*CASES.values(), *extra] for _c, _o, msg in run(case).findings]
    assert len(messages) >= 15
    leaks = [(value, msg) for msg in messages for value in TAXPAYER_VALUES if value.lower() in msg.lower()]
    assert leaks == []


# ------------------------------------------------------------------------ one checker for many subjects

def test_one_checker_over_every_case_gives_what_each_fresh_evaluation_gives() -> None:
    """The bulk evaluation keeps one SubjectChecker for a whole range of subjects (verdicts on names, reasons
    and periods remembered) and hands it the street tokens and address key made for the address look-up:
    neither changes any subject's result, in any order."""
    cases = list(CASES.values()) * 2
    checkers = {id(I1): SubjectChecker(I1), id(I2): SubjectChecker(I2)}
    rows_by_tin = {tin_digits(TIN): list(ROWS)}
    for case in [*cases, *reversed(cases)]:
        fields: dict[str, Any] = {"name": NAME, "tin": TIN, "street": STREET, "city": CITY, "state": STATE,
                                  "zip_code": ZIP, "periods": "2024;2025", "case_no": CASE, "reason": REASON}
        fields.update(case.changes)
        street = fields["street"]
        parts = street_parts(street, fields["city"], fields["state"], fields["zip_code"]) if street else None
        res = checkers[id(case.policy)].check(*fields.values(), case.rows, case.by_address,
                                              lambda t, tt: rows_by_tin.get(t, []), parts)
        assert res == run(case)

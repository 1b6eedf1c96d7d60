"""The subject-level check table's counts (issue 18 item 10): request-level findings are not subject rows, a
request-level ITEMS finding is not counted against subjects, and pass is what the check did not stop."""

from __future__ import annotations

from workstation.rules.subject_counts import subject_check_counts, subject_codes


def test_request_level_findings_are_taken_out_and_passes_counted() -> None:
    code_counts = {"AUTHORITY": {"pass": 1}, "ITEMS": {"fail": 3}, "MATCH": {"fail": 4, "needs-review": 2},
                   "HOLD": {"fail": 1}, "NAME": {"fail": 0}}
    request_findings = [{"code": "AUTHORITY", "outcome": "pass"}, {"code": "ITEMS", "outcome": "fail"}]
    rows = {r.code: r for r in subject_check_counts("foia", 10, code_counts, request_findings)}
    assert list(rows) == ["NAME", "MATCH", "ITEMS", "HOLD", "PERIOD-RECORD"]
    assert (rows["MATCH"].passed, rows["MATCH"].failed, rows["MATCH"].needs_review) == (4, 4, 2)
    assert (rows["ITEMS"].passed, rows["ITEMS"].failed) == (8, 2)      # 1 of the 3 was the request's own
    assert rows["NAME"].passed == 10 and rows["PERIOD-RECORD"].passed == 10
    assert "AUTHORITY" not in rows


def test_which_checks_apply_follows_the_authority() -> None:
    assert subject_codes("6103(i)(2)") == ("NAME", "ADDRESS", "REASON", "MATCH", "ADDRESS-MATCH", "HOLD",
                                           "PERIOD-RECORD")
    assert "CONSENT" in subject_codes("6103(c)") and "ADDRESS" not in subject_codes("6103(c)")
    assert subject_codes("6103(i)(1)") == ("NAME", "MATCH", "HOLD", "PERIOD-RECORD")

"""Review of issue 21's per-taxpayer matching (RULES.md MATCH, the `foia` row, CONSENT, Outcomes), through the
real importers and `evaluate`, in one process and on worker processes alike (`test_match_taxpayer`'s helpers).

- H2: the name-and-address way pairs a name and an address across rows: a taxpayer is a candidate when any of
  its rows is at the subject's address and any of its rows (possibly another) carries the subject's name.
- H1: a first-party FOIA subject is the signer: the matched taxpayer has a row filed under the signer's name
  (a spouse's return, found by the TIN with the family's name control, is not the signer's).
- M1: a subject a bound authority (a consent, a first-party FOIA request) cannot cover, by what the request
  alone says, gets the same outcome whoever else is on file at its address.
- O1: a requested year with no record does not make a grant partial; a subject's own period outside the
  request's periods (withheld) does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_match_taxpayer import AS_OF_TEXT, CONSENT, RITA_PW, Row, build_store, evaluate, package, subject

from workstation.service import Workstation

ROWS: list[Row] = [
    # H2: Ann filed 2024 as "Ann Kim" at the shared address, 2025 as "Ann Lee" far away; Bob Lee lives there
    ("312450001", "Ann Kim", "10 Shared Ln", "2024", 0), ("312450001", "Ann Lee", "99 Far Rd", "2025", 0),
    ("312450002", "Bob Lee", "10 Shared Ln", "2024", 0), ("312450002", "Bob Lee", "10 Shared Ln", "2025", 0),
    # H1: Maria files, her husband Hugo does not
    ("412450001", "Maria Lindqvist", "70 Pine Rd", "2024", 0),
    ("412450001", "Maria Lindqvist", "70 Pine Rd", "2025", 0),
    # M1: a namesake of the subjects below files at 80 Oak Rd (nobody files at 90 Nowhere Rd)
    ("512450001", "Hugo Lindqvist", "80 Oak Rd", "2024", 0), ("512450001", "Hugo Lindqvist", "80 Oak Rd", "2025", 0),
    # the consent's own taxpayer
    ("512450002", "Alice Garrison", "10 Garrison Ln", "2024", 0),
    ("512450002", "Alice Garrison", "10 Garrison Ln", "2025", 0),
    # O1: one ordinary taxpayer with both years, one with 2025 only
    ("612450001", "Fay Normal", "50 Oak St", "2024", 0), ("612450001", "Fay Normal", "50 Oak St", "2025", 0),
    ("612450002", "Gus Partial", "51 Oak St", "2025", 0),
]

FOIA = {"authority": "foia", "statute": None, "purpose": {"category": "foia", "statement": "My own tax records."},
        "signer": {"name": "Hugo Lindqvist", "title": None, "role": "taxpayer", "signature_present": True},
        "solely_for_use_certified": False, "officers": []}


def foia_from(street: str) -> dict[str, Any]:
    return {**FOIA, "requester": {"agency": "Hugo Lindqvist", "component": None, "agency_code": None,
                                  "address_lines": [street, "Austin, TX 78701"]}}


CONSENT_TO = {"authority": "6103(c)", "statute": None, "solely_for_use_certified": False, "officers": [],
              "consent": {**CONSENT, "taxpayer_name": "Alice Garrison", "taxpayer_tin": "512-45-0002"},
              "purpose": {"category": "consented", "statement": "Loan application of the taxpayer."},
              "signer": {"name": "C. Lender", "title": "Officer", "role": "other", "signature_present": True}}

REQUESTS = {
    "R-H2": package("R-H2", [subject("1", "Ann Lee", "312-45-0002", "10 Shared Ln"),
                             subject("2", "Bob Lee", "312-45-0002", "10 Shared Ln")]),
    "R-H1": package("R-H1", [subject("1", "Hugo Lindqvist", "412-45-0001", "70 Pine Rd")], **foia_from("70 Pine Rd")),
    # no TIN given: at the namesake's address and at an address where nobody files
    "R-M1-FOIA": package("R-M1-FOIA", [subject("1", "Hugo Lindqvist", None, "80 Oak Rd"),
                                       subject("2", "Hugo Lindqvist", None, "90 Nowhere Rd")],
                         **foia_from("80 Oak Rd")),
    "R-M1-CONSENT": package("R-M1-CONSENT", [subject("1", "Alice Garrison", None, "10 Garrison Ln"),
                                             subject("2", "Alice Garrison", None, "90 Nowhere Rd")],
                            **CONSENT_TO),
    # the consent's TIN and name, the TIN not on file: the same outcome whether a namesake files at the address
    # or nobody does
    "R-M1-CONSENT-NONE": package("R-M1-CONSENT-NONE", [subject("1", "Hugo Lindqvist", "512-45-0009", "80 Oak Rd"),
                                                       subject("2", "Hugo Lindqvist", "512-45-0009", "90 Nowhere Rd")],
                                 **{**CONSENT_TO, "consent": {**CONSENT, "taxpayer_name": "Hugo Lindqvist",
                                                              "taxpayer_tin": "512-45-0009"}}),
    "R-O1-GRANT": package("R-O1-GRANT", [subject("1", "Fay Normal", "612-45-0001", "50 Oak St"),
                                         subject("2", "Gus Partial", "612-45-0002", "51 Oak St")]),
    "R-O1-PARTIAL": package("R-O1-PARTIAL", [subject("1", "Fay Normal", "612-45-0001", "50 Oak St"),
                                             subject("2", "Fay Normal", "612-45-0001", "50 Oak St",
                                                     ["2025", "2023"])]),
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("review"), ROWS, REQUESTS)


@pytest.fixture(scope="module", params=[1, 2], ids=["one-process", "workers"])
def results(request: pytest.FixtureRequest, store: Path) -> dict[str, dict]:
    mp = pytest.MonkeyPatch()
    try:
        out = {}
        for rid in REQUESTS:
            out[rid] = evaluate(store, rid, request.param, mp)
            with Workstation(store).unlock("rita", RITA_PW) as s:
                out[rid]["doc"] = s.evaluate(rid, date.fromisoformat(AS_OF_TEXT))    # the stored one
        return out
    finally:
        mp.undo()


def test_h2_a_name_filed_on_another_row_than_the_address_still_finds_the_taxpayer(results: dict) -> None:
    status, _failing, review, released = results["R-H2"]["1"]
    assert status == "review" and review == {"MATCH"} and released == ""
    assert "2 taxpayers" in " ".join(results["R-H2"]["messages"]["1"])
    # Bob asked correctly is still released: Ann's former name at the address is not his
    assert results["R-H2"]["2"][0] == "releasable"


def test_h1_first_party_foia_does_not_release_a_spouses_return(results: dict) -> None:
    status, failing, _review, released = results["R-H1"]["1"]
    # not released, and to the requester "no record" (the TIN is the spouse's: no hint that it is on file)
    assert status == "no-record" and failing == {"MATCH"} and released == ""


def test_m1_foia_without_a_tin_gets_the_same_outcome_whoever_files_at_the_address(results: dict) -> None:
    r = results["R-M1-FOIA"]
    assert r["1"][:2] == r["2"][:2] == ("withheld", {"ITEMS"})
    assert r["messages"]["1"] == r["messages"]["2"]


def test_m1_consent_subject_without_a_tin_gets_the_same_outcome_whoever_files_there(results: dict) -> None:
    r = results["R-M1-CONSENT"]
    assert r["1"][:2] == r["2"][:2] == ("withheld", {"CONSENT"})
    assert r["messages"]["1"] == r["messages"]["2"]


def test_m1_consent_tin_not_on_file_for_the_name_is_no_record_even_with_a_namesake_there(results: dict) -> None:
    r = results["R-M1-CONSENT-NONE"]
    assert r["1"][:2] == r["2"][:2] == ("no-record", {"MATCH"})
    assert r["messages"]["1"] == r["messages"]["2"]


def test_o1_a_requested_year_with_no_record_does_not_make_a_grant_partial(results: dict) -> None:
    r = results["R-O1-GRANT"]
    assert r["2"][0] == "releasable" and "PERIOD-RECORD" in r["2"][1]
    assert r["doc"]["recommendation"] == "grant"


def test_o1_a_subjects_own_period_outside_the_request_makes_it_partial(results: dict) -> None:
    r = results["R-O1-PARTIAL"]
    assert r["2"][0] == "releasable" and "PERIOD-RECORD" in r["2"][1]
    assert r["doc"]["recommendation"] == "partial"

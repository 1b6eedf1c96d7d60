"""Subjects decided per taxpayer, not per row (RULES.md MATCH, HOLD, ADDRESS-MATCH, PERIOD-RECORD, CONSENT and
the `foia` row), through the real importers and `evaluate`, in one process and on worker processes alike.

MATCH tries both ways, always: by TIN with the same name control (every row of that TIN, any year, any name it
has filed under) and by exact normalized name and address (every row on file, any year, any address). The
distinct taxpayers found are the candidates: none -> no record, one -> matched, more -> needs review. HOLD,
ADDRESS-MATCH and PERIOD-RECORD then read every row of the taxpayer (of every candidate, for HOLD). A consent
covers its own taxpayer only, a first-party FOIA request its signer only.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from workstation.service import Workstation
from workstation.store import db
from workstation.store import evaluation as ev

AS_OF_TEXT = "2026-11-02"
ADMIN_PW, RITA_PW = "match-admin-passphrase", "match-rita-passphrase"
CITY = {"city": "Austin", "state": "TX", "zip": "78701"}

# (tin, name, street, year, hold): one record row each.
Row = tuple[str, str, str, str, int]


def both_years(tin: str, name: str, street: str, hold_2024: int = 0) -> list[Row]:
    return [(tin, name, street, "2024", hold_2024), (tin, name, street, "2025", 0)]


ROWS: list[Row] = [
    # a household: two taxpayers with the same family name at one address
    *both_years("212452001", "Alice Garrison", "10 Shared Ln"),
    *both_years("212452002", "Bob Garrison", "10 Shared Ln"),
    # two taxpayers of the same name at the same address
    *both_years("212452003", "Carl Whitfield", "20 Twin Rd"), *both_years("212452004", "Carl Whitfield", "20 Twin Rd"),
    # the same again, the second of them held
    *both_years("212452007", "Gail Hartwell", "60 Elm Ct"), *both_years("212452008", "Gail Hartwell", "60 Elm Ct", 1),
    # a name change: 2024 under the former name (held), 2025 under the new one
    ("212452005", "Dana Kowalski", "30 Maple Ave", "2024", 1), ("212452005", "Dana Brennan", "30 Maple Ave", "2025", 0),
    # a name change and a move: 2024 under the former name at the old address, 2025 under the new one
    ("212452006", "Erin Ashcombe", "40 Birch St", "2024", 0), ("212452006", "Erin Fairley", "41 Cedar St", "2025", 0),
    # an ordinary taxpayer, and a namesake of his elsewhere
    *both_years("212452009", "Hugo Lindqvist", "70 Pine Rd"),
    *both_years("212452010", "Hugo Lindqvist", "80 Oak Rd"),
]


def write_records(path: Path, rows: list[Row] | None = None) -> None:
    header = ["tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
              "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account", "wages",
              "employer", "interest", "hold"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for tin, name, street, year, hold in ROWS if rows is None else rows:
            w.writerow([tin, "SSN", name, street, CITY["city"], CITY["state"], CITY["zip"], f"{year}-04-15", year,
                        "single", "50000", "4000", "100", "0", "", "", "41000", "Example Employer Inc", "12", hold])


def subject(ref: str, name: str, tin: str | None, street: str, periods: list[str] | None = None) -> dict[str, Any]:
    case = f"CR-26-{5000 + int(ref)}"
    return {"ref": ref, "name": name, "tin": tin, "address": {"street": street, **CITY},
            "periods": periods or ["2024", "2025"], "case_no": case,
            "reason": f"Subject of the wire-fraud investigation {case}; needed to identify the defendant."}


def package(request_id: str, subjects: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "dws.request/1", "request_id": request_id, "received_on": "2026-10-20",
        "authority": "6103(i)(2)", "in_writing": True,
        "requester": {"agency": "Department of Justice", "component": "Federal Bureau of Investigation",
                      "agency_code": "DOJ-FBI", "address_lines": ["935 Pennsylvania Ave NW", "Washington, DC 20535"]},
        "signer": {"name": "A. Director", "title": "Director", "role": "head-of-agency", "signature_present": True},
        "statute": {"citation": "18 U.S.C. 1343", "class": "criminal"},
        "purpose": {"category": "nontax-criminal", "statement": "Investigation of a wire-fraud scheme."},
        "solely_for_use_certified": True,
        "officers": [{"name": "B. Agent", "title": "Special Agent", "active_matters": 4}],
        "items": ["name", "address"], "periods": ["2024", "2025"], "subjects": subjects, "subjects_csv": None,
        "court_order": None, "consent": None,
    }
    doc.update(overrides)
    return doc


I2_SUBJECTS = [
    # the household: A's name at the shared address, B's TIN -> two taxpayers
    subject("1", "Alice Garrison", "212-45-2002", "10 Shared Ln"),
    # same name, same address, the TIN of one of them
    subject("2", "Carl Whitfield", "212-45-2003", "20 Twin Rd"),
    # the same, the other candidate held
    subject("3", "Gail Hartwell", "212-45-2007", "60 Elm Ct"),
    # asked under the new name, the hold on the row of the former name
    subject("4", "Dana Brennan", "212-45-2005", "30 Maple Ave", ["2025"]),
    # asked under the former name: the 2025 row is filed under the new one
    subject("5", "Erin Ashcombe", "212-45-2006", "40 Birch St"),
    # asked under the new name at the old address (on file under the former name)
    subject("6", "Erin Fairley", "212-45-2006", "40 Birch St"),
    # a TIN on file for someone else, a name and address nobody has: no record, like an unknown TIN
    subject("7", "Zed Quimby", "212-45-2009", "50 Nowhere St"),
    subject("8", "Yara Quill", "212-45-9999", "50 Nowhere St"),
    # the ordinary case, and the household member asked correctly (both released)
    subject("9", "Hugo Lindqvist", "212-45-2009", "70 Pine Rd"),
    subject("10", "Alice Garrison", None, "10 Shared Ln"),
]

CONSENT = {"taxpayer_name": "Alice Garrison", "taxpayer_tin": "212-45-2001",
           "designee": "Federal Bureau of Investigation", "items": ["name", "address"], "periods": ["2024", "2025"],
           "signed_on": "2026-10-01", "signature_present": True}
CONSENT_SUBJECTS = [subject("1", "Alice Garrison", "212-45-2001", "10 Shared Ln"),
                    subject("2", "Bob Garrison", "212-45-2002", "10 Shared Ln"),
                    subject("3", "Hugo Lindqvist", "212-45-2009", "70 Pine Rd")]
FOIA_SUBJECTS = [subject("1", "Hugo Lindqvist", "212-45-2009", "70 Pine Rd"),
                 subject("2", "Bob Garrison", "212-45-2002", "10 Shared Ln"),
                 subject("3", "Hugo Lindqvist", "212-45-2003", "70 Pine Rd"),
                 subject("4", "Hugo Lindqvist", "212-45-2010", "80 Oak Rd")]

REQUESTS = {
    "M-I2": package("M-I2", I2_SUBJECTS),
    "M-CONSENT": package("M-CONSENT", CONSENT_SUBJECTS, authority="6103(c)", consent=CONSENT, statute=None,
                         purpose={"category": "consented", "statement": "Loan application of the taxpayer."},
                         signer={"name": "C. Lender", "title": "Officer", "role": "other",
                                 "signature_present": True}, solely_for_use_certified=False, officers=[]),
    "M-FOIA": package("M-FOIA", FOIA_SUBJECTS, authority="foia", statute=None,
                      purpose={"category": "foia", "statement": "My own tax records."},
                      signer={"name": "Hugo Lindqvist", "title": None, "role": "taxpayer", "signature_present": True},
                      requester={"agency": "Hugo Lindqvist", "component": None, "agency_code": None,
                                 "address_lines": ["70 Pine Rd", "Austin, TX 78701"]},
                      solely_for_use_certified=False, officers=[]),
}


def build_store(root: Path, rows: list[Row], requests: dict[str, dict[str, Any]]) -> Path:
    """A new store under `root` with the users, `rows` and `requests` (imported, not evaluated)."""
    import os

    os.environ["DWS_NO_KEYRING"] = "1"
    path = root / "store"
    ws = Workstation(path)
    admin, _code, _notice = ws.init("admin", ADMIN_PW)
    with admin:
        admin.add_user("rita", "reviewer", RITA_PW)
    write_records(root / "records.csv", rows)
    with ws.unlock("rita", RITA_PW) as rita:
        rita.import_records(root / "records.csv")
        for rid, doc in requests.items():
            (root / f"{rid}.json").write_text(json.dumps(doc), encoding="utf-8")
            rita.import_request(root / f"{rid}.json")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("match"), ROWS, REQUESTS)


def evaluate(store: Path, request_id: str, workers: int, monkeypatch: pytest.MonkeyPatch
             ) -> dict[str, tuple[str, set[str], set[str], str]]:
    """ref -> (status, failing codes, needs-review codes, released) after a fresh evaluation."""
    from datetime import date

    monkeypatch.setenv("DWS_EVAL_WORKERS", str(workers))
    monkeypatch.setenv("DWS_EVAL_PARALLEL_MIN", "1")
    with Workstation(store).unlock("rita", RITA_PW) as s:
        with db.transaction(s.conn):
            ev.bump_data_version(s.conn)
        s.evaluate(request_id, date.fromisoformat(AS_OF_TEXT))
        rid = s.conn.execute("SELECT rid FROM requests WHERE request_id = ?", (request_id,)).fetchone()[0]
        out = {}
        for _seq, ref, status, _matched, findings, released, _withheld in ev.result_rows(s.conn, rid):
            found = json.loads(findings)
            out[ref] = (status, {c for c, o, _m in found if o == "fail"}, {c for c, o, _m in found if o != "fail"},
                        released)
        messages = {ref: [m for _c, _o, m in json.loads(f)] for _s, ref, _st, _m, f, _r, _w
                    in ev.result_rows(s.conn, rid)}
    out["messages"] = messages  # type: ignore[assignment]
    return out


@pytest.fixture(scope="module", params=[1, 2], ids=["one-process", "workers"])
def results(request: pytest.FixtureRequest, store: Path) -> dict[str, dict]:
    mp = pytest.MonkeyPatch()
    try:
        return {rid: evaluate(store, rid, request.param, mp) for rid in REQUESTS}
    finally:
        mp.undo()


def test_household_member_named_with_anothers_tin_needs_review_and_is_not_released(results: dict) -> None:
    status, _failing, review, released = results["M-I2"]["1"]
    assert status == "review" and review == {"MATCH"} and released == ""
    assert "2 taxpayers" in " ".join(results["M-I2"]["messages"]["1"])


def test_two_taxpayers_of_one_name_at_one_address_need_review(results: dict) -> None:
    status, _failing, review, released = results["M-I2"]["2"]
    assert status == "review" and review == {"MATCH"} and released == ""


def test_a_hold_on_any_candidate_holds_the_subject(results: dict) -> None:
    status, failing, review, released = results["M-I2"]["3"]
    assert "HOLD" in failing and review == {"MATCH"} and status == "withheld" and released == ""


def test_hold_on_the_row_of_a_former_name_holds_the_taxpayer(results: dict) -> None:
    status, failing, _review, released = results["M-I2"]["4"]
    assert failing == {"HOLD"} and status == "withheld" and released == ""


def test_record_for_the_other_year_filed_under_the_new_name_counts(results: dict) -> None:
    status, failing, review, released = results["M-I2"]["5"]
    assert (status, failing, review, released) == ("releasable", set(), set(), "name,address")


def test_older_address_on_file_under_a_former_name_counts_for_address_match(results: dict) -> None:
    status, failing, review, released = results["M-I2"]["6"]
    assert (status, failing, review, released) == ("releasable", set(), set(), "name,address")


def test_tin_on_file_for_someone_else_is_no_record_like_an_unknown_tin(results: dict) -> None:
    other, unknown = results["M-I2"]["7"], results["M-I2"]["8"]
    assert other[:3] == unknown[:3] == ("no-record", {"MATCH"}, set())
    assert results["M-I2"]["messages"]["7"] == results["M-I2"]["messages"]["8"]


def test_ordinary_subjects_and_the_household_member_asked_correctly_are_released(results: dict) -> None:
    assert results["M-I2"]["9"][0] == results["M-I2"]["10"][0] == "releasable"


def test_a_consent_covers_its_own_taxpayer_only(results: dict) -> None:
    r = results["M-CONSENT"]
    assert r["1"][0] == "releasable" and r["1"][3] == "name,address"
    for ref in ("2", "3"):
        assert r[ref][0] == "withheld" and r[ref][3] == "" and "CONSENT" in r[ref][1], ref


def test_first_party_foia_covers_the_requester_who_signed_only(results: dict) -> None:
    r = results["M-FOIA"]
    assert r["1"][3] != ""
    # another person: a third party, withheld before any look-up
    assert r["2"][0] == "withheld" and r["2"][3] == ""
    # a namesake (same name, a TIN of his own, not at the requester's address): to the requester "no record",
    # like a TIN not on file -- a letter must not tell that the TIN is somebody else's
    assert r["4"][:2] == ("no-record", {"MATCH"}) and r["4"][3] == ""
    # the requester's own name with a TIN not on file for that name: no record, whoever files at the address
    assert r["3"][:2] == ("no-record", {"MATCH"}) and r["3"][3] == ""

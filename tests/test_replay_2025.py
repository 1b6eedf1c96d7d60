"""THE replay: the 2025 address-sharing pattern, built from scratch, must release no one.

One bulk 6103(i)(2) request from DHS-ICE: a removal purpose dressed as a criminal matter, one officer
"engaged" in every matter, the same reason for every subject, ZIP-only and placeholder addresses, and
subjects whose name and TIN are on file while the address given is not. Each subject must fail on its own
(never "the batch matched 96%"); then a court order blocks the request and no reviewer can undo that.
A control request from DOJ-FBI over the same records is granted, so the records themselves are fine.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from clihelp import Cli

from workstation import clock as clocks
from workstation.service import Workstation
from workstation.store import auditlog

PASSPHRASES = {"admin": "admin-passphrase-1", "rita": "reviewer-passphrase-1", "cora": "counsel-passphrase-1"}
ICE, FBI = "ICE-2025-REPLAY", "FBI-2026-CONTROL"
N = 159                                      # over the bulk threshold (100), three kinds of 53 each
FIRST = ("Lucia", "Mateo", "Sofia", "Diego", "Camila", "Javier", "Elena", "Andres", "Rosa", "Pablo")
LAST = ("Hernandez", "Ramirez", "Castillo", "Morales", "Ortega", "Navarro", "Delgado", "Vargas", "Rojas",
        "Salazar", "Fuentes", "Cabrera", "Mendoza", "Guerrero", "Pineda", "Ibarra")
SAME_REASON = ("The subject is an alien subject to a final order of removal who has willfully failed to depart "
               "the United States (8 U.S.C. 1253(a)(1)).")
RECORDS_HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,"
                  "refund,dependents,phone,bank_account,wages,employer,interest,hold")
SUBJECTS_HEADER = ("ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no", "reason")
ZIP_ONLY, PLACEHOLDER, NOT_ON_FILE = "zip-only", "placeholder", "address-not-on-file"
KINDS = (ZIP_ONLY, PLACEHOLDER, NOT_ON_FILE)
EXPECTED_CODES = {ZIP_ONLY: {"ADDRESS", "REASON"}, PLACEHOLDER: {"ADDRESS", "REASON"},
                  NOT_ON_FILE: {"ADDRESS-MATCH", "REASON"}}
ORDER = {"format": "dws.court-order/1", "court": "U.S. District Court for the District of Columbia",
         "case_no": "1:25-cv-00457", "caption": "Center for Taxpayer Rights v. IRS", "signed_on": "2025-11-21",
         "effective_from": "2025-11-21", "effective_to": None, "status": "active",
         "enjoined_recipients": ["DHS-ICE"], "enjoined_purposes": ["*"], "enjoined_items": ["address"],
         "note": "Stay of the address-sharing policy"}


def person(i: int) -> tuple[str, str, str]:
    """Taxpayer i: name, SSN, street on file (Austin, TX 78701)."""
    return f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST)]}", f"321-54-{1000 + i:04d}", f"{100 + i} Congress Ave"


def kind(ref: str) -> str:
    return KINDS[(int(ref) - 1) % 3]


def subject_row(i: int) -> tuple[str, ...]:
    name, tin, _street = person(i)
    address = {ZIP_ONLY: ("78701", "", "", ""), PLACEHOLDER: ("Don't Care 12345", "", "", ""),
               NOT_ON_FILE: (f"{7000 + i} Lamar Blvd", "Austin", "TX", "78704")}[kind(str(i + 1))]
    return (str(i + 1), name, tin, *address, "2024;2025", "", SAME_REASON)


def package(request_id: str, **fields: Any) -> dict[str, Any]:
    # The 2025 pattern arriving now (a month ago): a request received more than 365 days before its
    # evaluation would be stale (RECEIVED), which is not what this replay is about.
    received = (clocks.today() - timedelta(days=30)).isoformat()
    doc: dict[str, Any] = {
        "format": "dws.request/1", "request_id": request_id, "received_on": received,
        "authority": "6103(i)(2)", "in_writing": True,
        "requester": {"agency": "Department of Homeland Security",
                      "component": "U.S. Immigration and Customs Enforcement", "agency_code": "DHS-ICE",
                      "address_lines": ["500 12th St SW", "Washington, DC 20536"]},
        "signer": {"name": "H. Sample", "title": "Acting Director", "role": "head-of-agency",
                   "signature_present": True},
        "statute": {"citation": "8 U.S.C. 1253(a)(1)", "class": "criminal"},
        "purpose": {"category": "nontax-criminal",
                    "statement": "Criminal investigation of aliens under final orders of removal; last known "
                                 "addresses are needed to locate them for removal."},
        "solely_for_use_certified": True,
        "officers": [{"name": "B. Agent", "title": "Deputy Assistant Director", "active_matters": N}],
        "items": ["name", "address"], "periods": ["2024", "2025"], "subjects": None,
        "subjects_csv": "subjects.csv", "court_order": None, "consent": None}
    doc.update(fields)
    return doc


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("replay")
    rows = [f"{tin},SSN,{name},{street},Austin,TX,78701,{year}-04-15,{year},single,41000,3100,250,1,,,,,,0"
            for name, tin, street in map(person, range(N)) for year in (2024, 2025)]
    (tmp / "records.csv").write_text(RECORDS_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ice = tmp / "ice"
    ice.mkdir()
    with (ice / "subjects.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(SUBJECTS_HEADER)
        writer.writerows(subject_row(i) for i in range(N))
    (ice / "request.json").write_text(json.dumps(package(ICE)), encoding="utf-8")
    name, tin, street = person(0)
    control = package(
        FBI, requester={"agency": "Department of Justice", "component": "Federal Bureau of Investigation",
                        "agency_code": "DOJ-FBI", "address_lines": ["935 Pennsylvania Ave NW", "Washington, DC"]},
        statute={"citation": "18 U.S.C. 1343", "class": "criminal"},
        purpose={"category": "nontax-criminal", "statement": "Grand jury investigation of wire fraud"},
        officers=[{"name": "R. Example", "title": "Special Agent", "active_matters": 4}], subjects_csv=None,
        subjects=[{"ref": "1", "name": name, "tin": tin, "periods": ["2024", "2025"], "case_no": "CR-25-0042",
                   "address": {"street": street, "city": "Austin", "state": "TX", "zip": "78701"},
                   "reason": "Received the proceeds of the wire fraud charged in CR-25-0042"}])
    (tmp / "control.json").write_text(json.dumps(control), encoding="utf-8")
    (tmp / "order.json").write_text(json.dumps(ORDER), encoding="utf-8")
    store = tmp / "store"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        session, _code, _notice = Workstation(store).init("admin", PASSPHRASES["admin"])
        with session:
            session.add_user("rita", "reviewer", PASSPHRASES["rita"])
            session.add_user("cora", "counsel", PASSPHRASES["cora"])
            session.import_records(tmp / "records.csv")
            assert session.import_request(ice / "request.json").rows == N
            session.import_request(tmp / "control.json")
    return store


@pytest.fixture
def cli(base_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    shutil.copytree(base_store, tmp_path / "store")
    return Cli(tmp_path / "store", capsys, monkeypatch)


def as_user(name: str) -> dict[str, str]:
    return {"user": name, "passphrase": PASSPHRASES[name]}


def evaluate(cli: Cli, request_id: str = ICE, *extra: str) -> dict[str, Any]:
    r = cli("evaluate", request_id, "--json", *extra, **as_user("rita"))
    assert r.code == 0, r.err
    return json.loads(r.out)


def request_problems(doc: dict[str, Any]) -> dict[str, str]:
    return {f["code"]: f["outcome"] for f in doc["findings"] if f["scope"] == "request"}


def subject_codes(doc: dict[str, Any]) -> dict[str, set[str]]:
    codes: dict[str, set[str]] = {str(ref): set() for ref in range(1, N + 1)}
    for f in doc["findings"]:
        if f["scope"] == "subject" and f["outcome"] != "pass":
            codes[f["ref"]].add(f["code"])
    return codes


def changes_logged(cli: Cli) -> list[tuple[str, str | None]]:
    """Every audit entry except the unlocks (each CLI call and this look-up log one)."""
    with Workstation(cli.store).unlock("admin", PASSPHRASES["admin"]) as s:
        return [(e.event, e.object) for e in auditlog.entries(s.conn) if e.event != "unlock"]


def test_the_2025_request_releases_no_one(cli: Cli) -> None:
    doc = evaluate(cli)
    assert doc["recommendation"] == "deny" and doc["needs_review"] is True
    assert doc["counts"] == {"subjects": N, "releasable": 0, "withheld": N, "no_record": 0}
    assert len(doc["release"]) == N
    assert [e for e in doc["release"] if e["released"]] == []
    assert request_problems(doc) == {"OFFICERS": "fail", "PURPOSE": "needs-review", "BULK": "needs-review"}
    # Every subject fails on its own account, whatever the request-level defects.
    codes = subject_codes(doc)
    assert {ref: c for ref, c in codes.items() if c != EXPECTED_CODES[kind(ref)]} == {}
    reasons = {f["message"] for f in doc["findings"] if f["code"] == "REASON"}
    assert reasons == {f"the same reason is given for {N - 1} other taxpayers (boilerplate; limit 3)"}
    # The names and TINs were on file: matching was never the problem.
    assert all("MATCH" not in c for c in codes.values())

    summary = evaluate(cli, ICE, "--summary")
    by_code = summary["findings_by_code"]
    assert by_code["REASON"] == {"fail": N}
    assert by_code["ADDRESS"] == {"fail": 2 * N // 3} and by_code["ADDRESS-MATCH"] == {"fail": N // 3}
    assert "release" not in summary


def test_the_control_request_over_the_same_records_is_granted(cli: Cli) -> None:
    doc = evaluate(cli, FBI)
    assert doc["recommendation"] == "grant" and doc["needs_review"] is False
    assert doc["release"] == [{"ref": "1", "released": ["name", "address"], "withheld": []}]


def test_a_court_order_blocks_it_and_no_reviewer_can_lift_the_block(cli: Cli) -> None:
    order = cli.store.parent / "order.json"
    order.write_text(json.dumps(ORDER), encoding="utf-8")
    r = cli("import", "order", str(order), **as_user("cora"))
    assert r.code == 0, r.err

    blocked = evaluate(cli)
    assert blocked["recommendation"] == "blocked" and blocked["needs_review"] is False   # never provisional
    assert blocked["counts"]["releasable"] == 0
    [block] = [f for f in blocked["findings"] if f["code"] == "COURT-ORDER"]
    assert block["outcome"] == "block" and "1:25-cv-00457" in block["message"] and "2025-11-21" in block["citation"]
    assert all(e["released"] == [] and {w["code"] for w in e["withheld"]} == {"COURT-ORDER"}
               for e in blocked["release"])

    logged = changes_logged(cli)
    for args in (("--ref", "1"), ()):
        r = cli("override", ICE, "address", "--release", *args, "--reason", "Supervisor approved the release",
                **as_user("rita"))
        assert r.code == 1 and "a court order blocks this request" in r.err and "only counsel" in r.err
    assert changes_logged(cli) == logged
    assert json.loads(cli("override", ICE, "--list", "--json", **as_user("rita")).out) == []
    assert evaluate(cli)["plan_hash"] == blocked["plan_hash"]

    r = cli("override", ICE, "name", "--withhold", "--ref", "2", "--reason", "Name not needed for this subject",
            **as_user("rita"))
    assert r.code == 0, r.err
    still = evaluate(cli)
    assert still["recommendation"] == "blocked"
    assert [e for e in still["release"] if e["released"]] == []
    # The order enjoins DHS-ICE only: the FBI request over the same records is untouched.
    assert evaluate(cli, FBI)["recommendation"] == "grant"

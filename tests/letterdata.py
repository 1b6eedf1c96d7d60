"""A small store for the letter tests, built through the real importers: taxpayer records whose every
element that a letter must never show holds a unique canary value, and requests that end as a partial
grant, denials (request-level and subject-level), a court-order block and a third-party FOIA request.

Used by tests/make_fixture_v3.py too, so keep what it writes stable.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 2)
PERIODS = ["2024", "2025"]
USERS = (("rita", "reviewer"), ("alex", "approver"), ("otto", "auditor"), ("cora", "counsel"))
ADMIN_PW = "letters-admin-passphrase"


def passphrase(name: str) -> str:
    return f"letters-{name}-passphrase"


@dataclass(frozen=True)
class Taxpayer:
    key: str                  # what the subject is for
    tin: str                  # 123-45-6789
    name_on_file: str
    street_on_file: str
    hold: bool = False

    @property
    def n(self) -> int:
        return int(self.tin[-4:])


TAXPAYERS = (
    Taxpayer("released-1", "212-45-1001", "Maria Example", "1200 Congress Ave Apt 4"),
    Taxpayer("released-2", "212-45-1002", "James Sample", "415 Oak Street"),
    Taxpayer("zip-only", "212-45-1003", "Olivia Canarina Threlkeld", "77 Canaryhill Rd"),
    Taxpayer("on-hold", "212-45-1004", "Henry Canarywick Ashford", "88 Canarybrook Way", hold=True),
    Taxpayer("address-differs", "212-45-1006", "Nora Canarelle Vance", "99 Canaryfield Ct"),
)
UNKNOWN_TIN = "212-45-1005"   # the subject no record holds


def canaries(tp: Taxpayer) -> dict[str, str]:
    """Unique values for every element a letter may never show for this taxpayer (withheld TRI)."""
    n = tp.n
    return {"agi": str(913_570_000 + n), "total_tax": str(824_460_000 + n), "refund": str(735_350_000 + n),
            "phone": f"CANARY-PHONE-{n}", "bank_account": f"CANARY-BANK-{n}"}


def canary_strings() -> list[str]:
    """Every canary as it could appear in a letter: raw, and money formatted as the preview formats it."""
    out = []
    for tp in TAXPAYERS:
        for value in canaries(tp).values():
            out.append(value)
            if value.isdigit():
                out.append(f"{int(value):,}")
        out.append(tp.tin.replace("-", ""))
        out.append(tp.tin)
        if tp.key not in ("released-1", "released-2"):
            out += [tp.name_on_file.split()[1], tp.street_on_file]
    return [*out, UNKNOWN_TIN, UNKNOWN_TIN.replace("-", "")]


def write_records(path: Path) -> None:
    header = ["tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
              "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account", "wages",
              "employer", "interest", "hold"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for tp in TAXPAYERS:
            c = canaries(tp)
            for year in PERIODS:
                w.writerow([tp.tin.replace("-", ""), "SSN", tp.name_on_file, tp.street_on_file, "Austin", "TX",
                            "78701", "2025-04-15", year, "single", c["agi"], c["total_tax"], c["refund"], "1",
                            c["phone"], c["bank_account"], "41000", "Example Employer Inc", "12",
                            "1" if tp.hold else "0"])


FBI = {"agency": "Department of Justice", "component": "Federal Bureau of Investigation",
       "agency_code": "DOJ-FBI", "address_lines": ["935 Pennsylvania Ave NW", "Washington, DC 20535"]}
ICE = {"agency": "Department of Homeland Security", "component": "U.S. Immigration and Customs Enforcement",
       "agency_code": "DHS-ICE", "address_lines": ["500 12th St SW", "Washington, DC 20536"]}
TRI_ITEMS = ["agi", "total_tax", "refund", "phone", "bank_account"]


def subject(ref: str, tp_key: str, *, zip_only: bool = False, other_address: bool = False) -> dict[str, Any]:
    case = f"CR-26-{4000 + int(ref)}"
    reason = f"Subject of the fraud investigation {case}; the records are needed to identify the defendant."
    if tp_key == "unknown":
        name, tin, street = "Peter Nobody", UNKNOWN_TIN, "5 Elm St"
    else:
        tp = next(t for t in TAXPAYERS if t.key == tp_key)
        # The requester writes the name as on file except for middle names (the match uses the last name).
        parts = tp.name_on_file.split()
        name, tin, street = f"{parts[0]} {parts[-1]}", tp.tin, tp.street_on_file
    address = {"street": street, "city": "Austin", "state": "TX", "zip": "78701"}
    if zip_only:
        address = {"street": "", "city": "", "state": "", "zip": "78701"}
    if other_address:
        address = {"street": "12 Different Rd", "city": "Austin", "state": "TX", "zip": "78702"}
    return {"ref": ref, "name": name, "tin": tin, "address": address, "periods": PERIODS, "case_no": case,
            "reason": reason}


ALL_SUBJECTS = [subject("1", "released-1"), subject("2", "released-2"), subject("3", "zip-only", zip_only=True),
                subject("4", "on-hold"), subject("5", "unknown"), subject("6", "address-differs", other_address=True)]


def request(request_id: str, *, requester: dict | None = None, subjects: list | None = None,
            items: list[str] | None = None, authority: str = "6103(i)(2)", **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": "dws.request/1", "request_id": request_id, "received_on": "2026-10-20", "authority": authority,
        "in_writing": True, "requester": requester or FBI,
        "signer": {"name": "A. Director", "title": "Director", "role": "head-of-agency", "signature_present": True},
        "statute": {"citation": "18 U.S.C. 1343", "class": "criminal"},
        "purpose": {"category": "nontax-criminal", "statement": "Investigation of a wire-fraud scheme."},
        "solely_for_use_certified": True,
        "officers": [{"name": "B. Agent", "title": "Special Agent", "active_matters": 4}],
        "items": items or ["name", "address", *TRI_ITEMS], "periods": PERIODS,
        "subjects": subjects if subjects is not None else ALL_SUBJECTS, "subjects_csv": None,
        "court_order": None, "consent": None,
    }
    doc.update(overrides)
    return doc


REQUESTS = {
    # partial: 1-2 released (name, address), TRI withheld for all (ITEMS); 3 ADDRESS, 4 HOLD, 5 MATCH,
    # 6 ADDRESS-MATCH
    "LTR-PARTIAL": request("LTR-PARTIAL"),
    # deny at request level: a civil statute
    "LTR-DENY-STATUTE": request("LTR-DENY-STATUTE", statute={"citation": "31 U.S.C. 3729", "class": "civil"}),
    # deny because no subject passes (subject-level defects only)
    "LTR-DENY-SUBJECTS": request("LTR-DENY-SUBJECTS", subjects=[
        subject("3", "zip-only", zip_only=True), subject("4", "on-hold"), subject("5", "unknown"),
        subject("6", "address-differs", other_address=True)]),
    # blocked by the court order below
    "LTR-BLOCKED": request("LTR-BLOCKED", requester=ICE, items=["name", "address"]),
    # valid, recommended grant, decided deny with a justification
    "LTR-WITHDRAWN": request("LTR-WITHDRAWN", subjects=[subject("1", "released-1"), subject("2", "released-2")],
                             items=["name", "address"]),
    # third-party FOIA: nothing releasable
    "LTR-FOIA": request("LTR-FOIA", authority="foia", items=["name", "address", "agi"],
                        signer={"name": "P. Reporter", "title": "Reporter", "role": "other",
                                "signature_present": True},
                        requester={"agency": "The Example Ledger", "component": "Investigations Desk",
                                   "agency_code": None, "address_lines": ["200 Sample St", "Chicago, IL 60601"]},
                        statute=None, purpose={"category": "foia", "statement": "Tax filings of a named person."},
                        solely_for_use_certified=False, officers=[],
                        subjects=[subject("1", "released-1")]),
}

COURT_ORDER = {"format": "dws.court-order/1", "court": "U.S. District Court for the District of Columbia",
               "case_no": "1:25-cv-00457", "caption": "Center for Taxpayer Rights v. IRS", "signed_on": "2025-11-21",
               "effective_from": "2025-11-21", "effective_to": None, "status": "active",
               "enjoined_recipients": ["DHS-ICE"], "enjoined_purposes": ["*"], "enjoined_items": ["address"],
               "note": "Stay of the address-sharing policy"}


def build_store(path: Path, work: Path, request_ids: tuple[str, ...] = tuple(REQUESTS)) -> None:
    """A new store at `path`: users, the canary records, the court order, the requests, each evaluated."""
    from workstation.service import Workstation

    work.mkdir(parents=True, exist_ok=True)
    ws = Workstation(path)
    admin, _code, _notice = ws.init("admin", ADMIN_PW)
    with admin:
        for name, role in USERS:
            admin.add_user(name, role, passphrase(name))
    write_records(work / "records.csv")
    (work / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    with ws.unlock("cora", passphrase("cora")) as counsel:
        counsel.import_order(work / "order.json")
    with ws.unlock("rita", passphrase("rita")) as rita:
        rita.import_records(work / "records.csv")
        for rid in request_ids:
            (work / f"{rid}.json").write_text(json.dumps(REQUESTS[rid]), encoding="utf-8")
            rita.import_request(work / f"{rid}.json")
            rita.evaluate(rid, AS_OF)


JUSTIFICATION = "The requesting agency withdrew the underlying case on 2026-10-28."


def decide(path: Path, request_id: str, outcome: str, *, approve: bool, justification: str | None = None) -> None:
    from workstation.service import Workstation

    ws = Workstation(path)
    with ws.unlock("rita", passphrase("rita")) as rita:
        rita.decide(request_id, outcome, justification, passphrase("rita"), AS_OF)
    if approve:
        with ws.unlock("alex", passphrase("alex")) as alex:
            alex.approve(request_id, passphrase("alex"), AS_OF)


# --- reading letters back -------------------------------------------------------------------------------

def pdftotext(path: Path, page: int | None = None) -> str:
    import subprocess

    args = ["pdftotext", "-layout"] + (["-f", str(page), "-l", str(page)] if page else []) + [str(path), "-"]
    return norm(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def pypdf_pages(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [norm(p.extract_text()) for p in PdfReader(path).pages]


def norm(text: str) -> str:
    """Whitespace folded (no-break spaces and line ends included), so phrases match across wrapped lines."""
    import re

    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


ISSUED = ("LTR-PARTIAL", "LTR-DENY-STATUTE", "LTR-DENY-SUBJECTS", "LTR-BLOCKED", "LTR-WITHDRAWN", "LTR-FOIA")
OUTCOMES = {"LTR-PARTIAL": ("partial", True), "LTR-DENY-STATUTE": ("deny", False),
            "LTR-DENY-SUBJECTS": ("deny", False), "LTR-BLOCKED": ("deny", False), "LTR-WITHDRAWN": ("deny", False),
            "LTR-FOIA": ("deny", False)}
OFFICE = {"office_name": "Austin Disclosure Office", "office_address_lines": ["300 E 8th St", "Austin, TX 78701"],
          "office_phone": "(512) 555-0142", "office_signature_name": "Dana Q. Officer",
          "office_signature_title": "Disclosure Manager, Austin"}


def decided_store(path: Path, work: Path) -> None:
    """The letter store with the office's own letterhead and every request decided (and approved where the
    outcome needs it), no letter issued yet."""
    from workstation.service import Workstation

    build_store(path, work)
    with Workstation(path).unlock("admin", ADMIN_PW) as admin:
        for key, value in OFFICE.items():
            admin.change_setting(key, value)
    for rid, (outcome, approve) in OUTCOMES.items():
        decide(path, rid, outcome, approve=approve, justification=JUSTIFICATION if rid == "LTR-WITHDRAWN" else None)


DECIDED_ID = "LTR-PARTIAL"


def decided_letter_store(root: Path) -> tuple[Path, bytes]:
    """A store at root/store with one request (LTR-PARTIAL) decided, approved and its letter issued: the store and
    the letter's bytes."""
    from workstation.service import Workstation

    build_store(root / "store", root / "work", (DECIDED_ID,))
    with Workstation(root / "store").unlock("admin", ADMIN_PW) as admin:
        for key, value in OFFICE.items():
            admin.change_setting(key, value)
    decide(root / "store", DECIDED_ID, "partial", approve=True)
    with Workstation(root / "store").unlock("rita", passphrase("rita")) as rita:
        pdf = rita.issue_letter(DECIDED_ID, passphrase("rita"))
    return root / "store", pdf


def decided_on(engine: Any, work: Path) -> None:
    """The letter store on either engine (tests/engines.py), as decided_store makes it: its letterhead set by the
    admin, the records, court order and requests imported, each request evaluated and decided (approved where the
    outcome needs it), no letter issued yet."""
    from engines import passphrase as engine_passphrase

    work.mkdir(parents=True, exist_ok=True)
    write_records(work / "records.csv")
    (work / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    with engine.open("ada") as admin:
        for key, value in OFFICE.items():
            admin.change_setting(key, value)
    with engine.open("cora") as counsel:
        counsel.import_order(work / "order.json")
    with engine.open("rita") as rita:
        rita.import_records(work / "records.csv")
        for rid, (outcome, _approve) in OUTCOMES.items():
            (work / f"{rid}.json").write_text(json.dumps(REQUESTS[rid]), encoding="utf-8")
            rita.import_request(work / f"{rid}.json")
            rita.evaluate(rid, AS_OF)
            rita.decide(rid, outcome, JUSTIFICATION if rid == "LTR-WITHDRAWN" else None,
                        engine_passphrase("rita"), AS_OF)
    with engine.open("alex") as alex:
        for rid, (_outcome, approve) in OUTCOMES.items():
            if approve:
                alex.approve(rid, engine_passphrase("alex"), AS_OF)


def issued_on(engine: Any, work: Path, signer: str) -> dict[str, Any]:
    """decided_on, then every letter issued by `signer`: request id -> the PDF's path, and "decisions" ->
    request id -> DecisionInfo."""
    from engines import passphrase as engine_passphrase

    decided_on(engine, work)
    out: dict[str, Any] = {}
    with engine.open(signer) as s:
        for rid in ISSUED:
            out[rid] = work / f"{rid}.pdf"
            out[rid].write_bytes(s.issue_letter(rid, engine_passphrase(signer)))
        out["decisions"] = {rid: s.decision(rid) for rid in ISSUED}
    return out

"""Demo court orders (`dws.court-order/1`) and agency-register entries (`dws.agency/1`)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

COURT_ORDER_FORMAT = "dws.court-order/1"
AGENCY_FORMAT = "dws.agency/1"
DDC = "U.S. District Court for the District of Columbia"

# Agencies the demo requests come from (requester blocks), keyed by agency code.
REQUESTERS: dict[str, dict[str, Any]] = {
    "DOJ-FBI": {
        "agency": "Department of Justice",
        "component": "Federal Bureau of Investigation",
        "agency_code": "DOJ-FBI",
        "address_lines": ["935 Pennsylvania Ave NW", "Washington, DC 20535"],
    },
    "DOJ-USAO-WDTX": {
        "agency": "Department of Justice",
        "component": "U.S. Attorney's Office for the Western District of Texas",
        "agency_code": "DOJ-USAO-WDTX",
        "address_lines": ["903 San Jacinto Blvd Ste 334", "Austin, TX 78701"],
    },
    "DHS-ICE": {
        "agency": "Department of Homeland Security",
        "component": "U.S. Immigration and Customs Enforcement",
        "agency_code": "DHS-ICE",
        "address_lines": ["500 12th St SW", "Washington, DC 20536"],
    },
    "DHS-USCIS": {
        "agency": "Department of Homeland Security",
        "component": "U.S. Citizenship and Immigration Services",
        "agency_code": "DHS-USCIS",
        "address_lines": ["5900 Capital Gateway Dr", "Camp Springs, MD 20588"],
    },
    "TX-CPA": {
        "agency": "Texas Comptroller of Public Accounts",
        "component": "Tax Administration Division",
        "agency_code": "TX-CPA",
        "address_lines": ["111 E 17th St", "Austin, TX 78774"],
    },
    "XYZ-OIG": {
        "agency": "XYZ Administration (demo agency)",
        "component": "Office of Inspector General",
        "agency_code": "XYZ-OIG",
        "address_lines": ["100 Example Plaza SW", "Washington, DC 20024"],
    },
}


def agency_entries(today: date) -> list[dict[str, Any]]:
    """The register: DOJ-FBI, TX-CPA in good standing; DHS-ICE (finding under a plan); XYZ-OIG (bad)."""
    return [
        {"format": AGENCY_FORMAT, "agency_code": "DOJ-FBI",
         "name": "Department of Justice, Federal Bureau of Investigation",
         "safeguards_current": True, "open_findings": 0, "corrective_plan": False,
         "last_review": _ago(today, 508)},
        {"format": AGENCY_FORMAT, "agency_code": "TX-CPA", "name": "Texas Comptroller of Public Accounts",
         "safeguards_current": True, "open_findings": 0, "corrective_plan": False,
         "last_review": _ago(today, 398)},
        {"format": AGENCY_FORMAT, "agency_code": "DHS-ICE",
         "name": "Department of Homeland Security, U.S. Immigration and Customs Enforcement",
         "safeguards_current": True, "open_findings": 1, "corrective_plan": True,
         "last_review": _ago(today, 598)},
        {"format": AGENCY_FORMAT, "agency_code": "XYZ-OIG",
         "name": "XYZ Administration, Office of Inspector General (demo agency)",
         "safeguards_current": False, "open_findings": 3, "corrective_plan": False,
         "last_review": _ago(today, 1097)},
    ]


def court_orders(today: date) -> list[dict[str, Any]]:
    """One active order (enjoins DHS-ICE for addresses) and two that must not apply (vacated, stayed).

    The vacated and stayed orders are synthetic and deliberately cover requesters of *valid* demo requests
    (DOJ-FBI, TX-CPA), so an evaluator that ignores the status would wrongly block those requests.
    """
    return [
        {"format": COURT_ORDER_FORMAT, "court": DDC, "case_no": "1:25-cv-00457",
         "caption": "Center for Taxpayer Rights v. IRS", "signed_on": _ago(today, 346),
         "effective_from": _ago(today, 346), "effective_to": None, "status": "active",
         "enjoined_recipients": ["DHS-ICE"], "enjoined_purposes": ["immigration-civil", "nontax-criminal"],
         "enjoined_items": ["address"],
         "note": "Stay of the address-sharing policy: no last-known addresses to ICE under 6103(i)(2)"},
        {"format": COURT_ORDER_FORMAT, "court": DDC, "case_no": "1:24-cv-09999",
         "caption": "Doe v. Department of Justice (synthetic demo order)", "signed_on": _ago(today, 910),
         "effective_from": _ago(today, 910), "effective_to": None, "status": "vacated",
         "enjoined_recipients": ["DOJ-FBI"], "enjoined_purposes": ["*"], "enjoined_items": ["*"],
         "note": "Demo: temporary restraining order later vacated; must not block any request"},
        {"format": COURT_ORDER_FORMAT, "court": "U.S. District Court for the Western District of Texas",
         "case_no": "1:25-cv-01234", "caption": "Roe v. Texas Comptroller (synthetic demo order)",
         "signed_on": _ago(today, 458), "effective_from": _ago(today, 458), "effective_to": None, "status": "stayed",
         "enjoined_recipients": ["TX-CPA"], "enjoined_purposes": ["*"], "enjoined_items": ["*"],
         "note": "Demo: injunction stayed pending appeal; must not block any request"},
    ]


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write one JSON document deterministically (key order as built, 2-space indent, LF, UTF-8)."""
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n")


def _ago(today: date, days: int) -> str:
    """Dates keep their distance from the demo's day (the figures are days before 2026-11-02)."""
    return (today - timedelta(days=days)).isoformat()


def write_agencies(directory: Path, today: date) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for entry in agency_entries(today):
        path = directory / f"agency-{entry['agency_code']}.json"
        write_json(path, entry)
        paths.append(path)
    return paths


def write_orders(directory: Path, today: date) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for order in court_orders(today):
        path = directory / f"order-{order['case_no'].replace(':', '-')}-{order['status']}.json"
        write_json(path, order)
        paths.append(path)
    return paths

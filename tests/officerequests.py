"""Request packages for the office tests: the INTERCHANGE example with changes, inline or with a subjects_csv, and
two requests carrying canary taxpayer values (the pg_dump test looks for them in every spelling)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXAMPLE = json.loads((Path(__file__).parent / "data" / "intake" / "request_example.json").read_text(encoding="utf-8"))
CSV_HEADER = "ref,name,tin,street,city,state,zip,periods,case_no,reason"

# Canaries a request carries: a subject's name, TIN (written both ways), address, case number, reason; a
# consenting taxpayer's name (the requester's too) and TIN.
CANARY_SUBJECT = {
    "name": "Ottoline Brackenshaw",
    "tin": "583-41-2967",
    "street": "9021 Quenby Hollow Rd",
    "city": "Wrenfield",
    "zip": "03961",
    "case_no": "CR-77-31415",
    "reason": "Suspected Glimmerstone smuggling ring",
}
CANARY_CONSENTER = {"name": "Philippa Duskthorne", "tin": "478-20-5193"}


def package(request_id: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(EXAMPLE)
    doc["request_id"] = request_id
    doc.update(changes)
    return doc


def write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def subject(i: int, reason: str = "Case file review") -> dict[str, Any]:
    return {"ref": str(i), "name": f"Pat Example{i}", "tin": f"212-55-{i % 9999 + 1:04d}",
            "address": {"street": f"{i + 1} Main St", "city": "Springfield", "state": "IL", "zip": "62704"},
            "periods": ["2023"], "case_no": f"CR-{i}", "reason": reason}


def csv_line(s: dict[str, Any]) -> str:
    a = s.get("address") or {"street": "", "city": "", "state": "", "zip": ""}
    return ",".join([s["ref"], s["name"], s.get("tin") or "", a["street"], a["city"], a["state"], a["zip"],
                     ";".join(s.get("periods") or []), s.get("case_no") or "", s.get("reason") or ""])


def bulk(folder: Path, request_id: str, subjects: list[dict[str, Any]], **changes: Any) -> Path:
    """A request whose subjects are in a subjects_csv beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{request_id}.csv").write_text(CSV_HEADER + "\n" + "\n".join(map(csv_line, subjects)) + "\n",
                                              encoding="utf-8")
    return write(folder / f"{request_id}.json", package(request_id, subjects=None,
                                                       subjects_csv=f"{request_id}.csv", **changes))


def canary_subjects() -> list[dict[str, Any]]:
    c = CANARY_SUBJECT
    address = {"street": c["street"], "city": c["city"], "state": "NH", "zip": c["zip"]}
    return [{"ref": "c1", "name": c["name"], "tin": c["tin"], "address": address, "periods": ["2023"],
             "case_no": c["case_no"], "reason": c["reason"]},
            {"ref": "c2", "name": c["name"].upper(), "tin": c["tin"].replace("-", ""), "address": address,
             "case_no": c["case_no"], "reason": c["reason"]}]


def canary_requests(folder: Path) -> list[Path]:
    """An inline request of the canary subjects (and a consent by the canary consenter), and a bulk one of the
    canary subjects among others."""
    folder.mkdir(parents=True, exist_ok=True)
    consent = {"taxpayer_name": CANARY_CONSENTER["name"], "taxpayer_tin": CANARY_CONSENTER["tin"],
               "designee": "A. Designee", "items": ["name"], "periods": ["2023"], "signed_on": "2026-10-01",
               "signature_present": True}
    # under 6103(c) the taxpayer may ask for their own: the requester is the taxpayer
    inline = write(folder / "inline.json", package("CANARY-INLINE-1", authority="6103(c)",
                                                   requester={"agency": CANARY_CONSENTER["name"]},
                                                   subjects=canary_subjects() + [subject(i) for i in range(3)],
                                                   consent=consent))
    others = [subject(i, "Case file review") for i in range(40)]
    return [inline, bulk(folder, "CANARY-BULK-1", others[:20] + canary_subjects() + others[20:])]


def canary_spellings() -> list[str]:
    """Each request canary as a user might search for it: as written, digits without hyphens, each long word."""
    found: set[str] = set()
    for value in [*CANARY_SUBJECT.values(), *CANARY_CONSENTER.values()]:
        found |= {value, value.replace("-", ""), value.replace(" ", "")}
        found |= {word for word in value.split() if len(word) >= 6}
    return sorted(found)

"""The files of the differential test and the product's side of it: the records CSV and `dws.request/1`
packages (INTERCHANGE.md) a generated world writes, its import through the product's service `Session`, and the
release plan the product stored for each subject (split from `differential_gen`, which plants the classes)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reference_evaluator import Row

if TYPE_CHECKING:
    from differential_gen import GenRequest, World


def tin_type(tin: str) -> str:
    return "ITIN" if tin.startswith("9") else "SSN"


RECORD_HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,"
                 "refund,dependents,phone,bank_account,wages,employer,interest,hold")
SUBJECT_HEADER = ("ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no", "reason")


def write_records(path: Path, rows: list[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        fh.write(RECORD_HEADER + "\n")
        for r in rows:
            agi = 20_000 + int(r.tin[-4:]) * 7
            w.writerow((r.tin, tin_type(r.tin), r.name, r.street, r.city, r.state, r.zip, f"{r.year + 1}-04-15",
                        r.year, "single", agi, agi // 8, "", 0, "", "", agi, "Example Employer Inc", "",
                        1 if r.hold else 0))


def write_request(folder: Path, req: GenRequest) -> Path:
    """The package (and, for (i)(2), its subjects CSV) in `folder`; returns the JSON's path."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_name = None
    if req.authority == "6103(i)(2)":
        csv_name = f"{req.request_id}.subjects.csv"
        with (folder / csv_name).open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(SUBJECT_HEADER)
            for g in req.subjects:
                s = g.subject
                w.writerow((s.ref, s.name, s.tin or "", s.street or "", s.city or "", s.state or "", s.zip or "",
                            ";".join(s.periods), s.case_no or "", s.reason or ""))
    path = folder / f"{req.request_id}.json"
    path.write_text(json.dumps(req.document(csv_name), indent=1, ensure_ascii=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Outcome:
    released: bool
    code: str | None           # the product's withholding code (of the first withheld element), or None
    status: str
    no_record_year: bool = False   # released, with "no record" for some requested period (PERIOD-RECORD)


def load_into(session: object, world: World, folder: Path) -> None:
    """Import the records (then the corrections) and every request through the product's service `Session`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_records(folder / "records.csv", world.base)
    session.import_records(folder / "records.csv")                 # type: ignore[attr-defined]
    if world.corrections:
        write_records(folder / "corrections.csv", world.corrections)
        session.import_records(folder / "corrections.csv")         # type: ignore[attr-defined]
    for req in world.requests:
        session.import_request(write_request(folder / "requests", req))  # type: ignore[attr-defined]


def product_outcomes(session: object, req: GenRequest, page: int = 50_000) -> dict[str, Outcome]:
    """The per-subject release plan the product stored for an evaluated request, by ref."""
    out: dict[str, Outcome] = {}
    for offset in range(0, len(req.subjects), page):
        for row in session.subject_rows(req.request_id, offset, page):   # type: ignore[attr-defined]
            code = None if row.released else (row.withheld[0][1] if row.withheld else row.status)
            out[row.ref] = Outcome(bool(row.released), code, row.status,
                                   bool(row.released) and "PERIOD-RECORD" in row.codes)
    return out

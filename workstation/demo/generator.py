"""``generate``: write a complete, deterministic demo data set in the INTERCHANGE.md formats.

The files are meant to go through the normal intake path (``dws import ...``), so a demo exercises the real
importers. Everything is dated from ``today`` (received, due, consent and order dates, address as-of
dates, tax years), so a demo made in any year tells the same story: the requests arrived over the weeks
before ``today`` (the latest ``STORY_AGE`` days before it), a few are past their due date, the court orders
are in force and the consents inside their 120 days. Left out, ``today`` is the clock's today. Same seed,
day and arguments give byte-identical files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from workstation import clock as clocks
from workstation.demo.bulk import write_bulk
from workstation.demo.orders import write_agencies, write_json, write_orders
from workstation.demo.requests import BuiltRequest, RequestBuilder
from workstation.demo.taxpayers import TaxpayerFactory, write_records
from workstation.demo_sizes import MIN_BULK_SUBJECTS as MIN_BULK_SUBJECTS
from workstation.demo_sizes import MIN_TAXPAYERS as MIN_TAXPAYERS

REFERENCE_DAY = date(2026, 11, 2)     # the day the benchmarks' and fixtures' demo data are dated from
STORY_AGE = timedelta(days=23)        # the newest request arrived this long before the demo's day
MANIFEST_FORMAT = "dws.demo-manifest/1"
RECORDS_FILE = "records.csv"


@dataclass(frozen=True)
class DemoRequest:
    path: Path                        # the request JSON (its subjects_csv, if any, beside it)
    request_id: str
    authority: str
    expect: str                       # "valid" or the single RULES.md check code it is built to fail
    note: str                         # one line: what is wrong with it / what it shows


@dataclass(frozen=True)
class DemoManifest:
    records_csv: Path                 # taxpayer records
    agencies: list[Path]              # dws.agency/1 files
    orders: list[Path]                # dws.court-order/1 files
    requests: list[DemoRequest]       # in import order


def generate(out_dir: Path, *, taxpayers: int = 2000, bulk_subjects: int = 5000, seed: int = 1,
             today: date | None = None) -> DemoManifest:
    """Write records, agencies, court orders, requests and ``manifest.json`` into ``out_dir``."""
    if taxpayers < MIN_TAXPAYERS:
        raise ValueError(f"demo: taxpayers must be at least {MIN_TAXPAYERS}, got {taxpayers}")
    if bulk_subjects < MIN_BULK_SUBJECTS:
        raise ValueError(f"demo: bulk_subjects must be at least {MIN_BULK_SUBJECTS}, got {bulk_subjects}")
    if seed < 0:
        raise ValueError(f"demo: seed must not be negative, got {seed}")
    today = clocks.today() if today is None else today
    dated = today - STORY_AGE             # every date of the demo keeps its distance from this day
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    factory = TaxpayerFactory(seed, dated)

    records = out_dir / RECORDS_FILE
    record_rows = write_records(records, factory, taxpayers)
    agencies = write_agencies(out_dir / "agencies", dated)
    orders = write_orders(out_dir / "orders", dated)

    request_dir = out_dir / "requests"
    request_dir.mkdir(parents=True, exist_ok=True)
    built = RequestBuilder(factory, taxpayers, dated).build()
    built.append(write_bulk(request_dir, factory, taxpayers, bulk_subjects, dated))
    requests: list[DemoRequest] = []
    entries: list[dict[str, Any]] = []
    for item in built:
        doc = item.document
        path = request_dir / f"{doc['request_id']}.json"
        write_json(path, doc)
        request = DemoRequest(path, doc["request_id"], doc["authority"], item.expect, item.note)
        requests.append(request)
        entries.append(_manifest_entry(out_dir, request, item))

    manifest = {
        "format": MANIFEST_FORMAT,
        "generator": {"seed": seed, "taxpayers": taxpayers, "bulk_subjects": bulk_subjects,
                      "today": today.isoformat()},
        "tax_years": [str(y) for y in factory.years],
        "records_csv": _rel(out_dir, records),
        "record_rows": record_rows,
        "agencies": [_rel(out_dir, p) for p in agencies],
        "orders": [_rel(out_dir, p) for p in orders],
        "requests": entries,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8", newline="\n")
    return DemoManifest(records, agencies, orders, requests)


def _rel(base: Path, path: Path) -> str:
    return path.relative_to(base).as_posix()


def _manifest_entry(base: Path, request: DemoRequest, item: BuiltRequest) -> dict[str, Any]:
    doc = item.document
    csv_name = doc["subjects_csv"]
    return {
        "path": _rel(base, request.path),
        "request_id": request.request_id,
        "authority": request.authority,
        "expect": request.expect,
        "note": request.note,
        "recommendation": item.recommendation,
        "needs_review": item.needs_review,
        "subjects_csv": _rel(base, request.path.parent / csv_name) if csv_name else None,
    }

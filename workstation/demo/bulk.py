"""The bulk demo request: the 2025 pattern, a single (i)(2) request from DHS-ICE naming ``bulk_subjects``
people in a ``subjects_csv`` streamed to disk.

What made the 2025 process unlawful is reproduced on purpose: one officer "engaged" in every matter, the
same reason for every subject, a purpose statement about removal, ZIP-only and placeholder addresses, and
subjects whose name and TIN match a record while the address given does not.

Subject ``j`` belongs to chunk ``j // SUBJECTS_PER_TASK``, drawn from that chunk's own random stream, so the
file is the same whether the chunks are made here or in worker processes.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from workstation.demo.data import FIRST_NAMES, LAST_NAMES
from workstation.demo.orders import REQUESTERS
from workstation.demo.parallel import default_workers, ordered_chunks
from workstation.demo.requests import BuiltRequest, coprime_step, request_document
from workstation.demo.taxpayers import TaxpayerFactory, random_address

BULK_REQUEST_ID = "DEMO-I2-BULK"
SUBJECTS_HEADER: tuple[str, ...] = (
    "ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no", "reason",
)
SUBJECTS_PER_TASK = 10_000
PARALLEL_THRESHOLD = 100_000
BULK_REASON = ("The subject is an alien subject to a final order of removal who has willfully failed to "
               "depart the United States (8 U.S.C. 1253(a)(1)).")
PLACEHOLDER_ADDRESSES: tuple[tuple[str, str, str, str], ...] = (
    ("Don't Care", "", "", "12345"),
    ("Don't Care 12345", "", "", ""),
    ("Unknown", "Unknown", "", "00000"),
    ("N/A", "N/A", "XX", "99999"),
)
PLACEHOLDER_NAMES: tuple[str, ...] = ("Unknown", "Don't Care", "N/A", "Unknown Unknown")

# Subject kinds (counted in the manifest note)
MATCH = "address on file"
ADDRESS_NEVER_HAD = "address never on file"
ZIP_ONLY = "ZIP only"
PLACEHOLDER_ADDRESS = "placeholder address"
TIN_AS_ADDRESS = "TIN as address"
PLACEHOLDER_NAME = "placeholder name"
NOT_FOUND = "not in records"
KINDS: tuple[str, ...] = (MATCH, ADDRESS_NEVER_HAD, ZIP_ONLY, PLACEHOLDER_ADDRESS, TIN_AS_ADDRESS,
                          PLACEHOLDER_NAME, NOT_FOUND)


@dataclass(frozen=True, slots=True)
class BulkPlan:
    seed: int
    today: str
    taxpayers: int
    subjects: int
    periods: str           # "2024;2025"
    case_prefix: str       # "ERO-26"


def bulk_job(config: dict[str, Any]) -> Callable[[int], tuple[bytes, dict[str, Any]]]:
    """The chunk function of the bulk job: task t -> UTF-8 CSV rows of subjects t*SUBJECTS_PER_TASK..."""
    plan = BulkPlan(**config)
    factory = TaxpayerFactory(plan.seed, date.fromisoformat(plan.today))
    step = coprime_step(plan.taxpayers, 2_750_159)
    offset = (plan.seed * 7_777) % plan.taxpayers

    def chunk(task: int) -> tuple[bytes, dict[str, Any]]:
        text, kinds = _chunk(factory, plan, step, offset, task)
        return text.encode("utf-8"), dict(kinds)

    return chunk


def _chunk(factory: TaxpayerFactory, plan: BulkPlan, step: int, offset: int,
           task: int) -> tuple[str, Counter[str]]:
    """CSV text of subjects task*SUBJECTS_PER_TASK ..., and how many of each kind it holds."""
    r = random.Random(f"dws-demo-bulk:{plan.seed}:{task}").random
    tins = factory.tins
    taxpayers = plan.taxpayers
    kinds: Counter[str] = Counter()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    rows = []
    start = task * SUBJECTS_PER_TASK
    for j in range(start, min(start + SUBJECTS_PER_TASK, plan.subjects)):
        case_no = f"{plan.case_prefix}-{j + 1:07d}"
        kind = NOT_FOUND
        if j < taxpayers and r() >= 0.25:
            tp = factory.taxpayer((j * step + offset) % taxpayers)   # a bijection: each taxpayer at most once
            if tp.individual:
                u = r()
                name, tin = tp.name, tp.tin
                street, city, state, zip_code = tp.last_known
                if u < 0.40:
                    kind = MATCH
                    if r() < 0.15:
                        street, city, state, zip_code = tp.addresses[0]
                elif u < 0.60:
                    kind = ADDRESS_NEVER_HAD
                    known = {(a[0].upper(), a[3][:5]) for a in tp.addresses}
                    while (street.upper(), zip_code[:5]) in known or street.startswith("PO Box"):
                        street, city, state, zip_code, _area = random_address(r)
                elif u < 0.78:
                    kind = ZIP_ONLY
                    street, city, state, zip_code = "", "", "", zip_code[:5]
                elif u < 0.88:
                    kind = PLACEHOLDER_ADDRESS
                    pick = int(r() * len(PLACEHOLDER_ADDRESSES))
                    street, city, state, zip_code = PLACEHOLDER_ADDRESSES[pick]
                elif u < 0.93:
                    kind = TIN_AS_ADDRESS
                    street, city, state, zip_code = tin.replace("-", ""), "", "", zip_code[:5]
                else:
                    kind = PLACEHOLDER_NAME
                    name = PLACEHOLDER_NAMES[int(r() * len(PLACEHOLDER_NAMES))]
        if kind == NOT_FOUND:
            name = f"{FIRST_NAMES[int(r() * len(FIRST_NAMES))]} {LAST_NAMES[int(r() * len(LAST_NAMES))]}"
            index = taxpayers + j                                   # beyond every record's TIN index
            tin = tins.itin(index) if r() < 0.4 and index < tins.itin_size else tins.ssn(index)
            street, city, state, zip_code, _area = random_address(r)
        kinds[kind] += 1
        rows.append((str(j + 1), name, tin, street, city, state, zip_code, plan.periods, case_no,
                     BULK_REASON))
    writer.writerows(rows)
    return buf.getvalue(), kinds


def write_bulk(directory: Path, factory: TaxpayerFactory, taxpayers: int, subjects: int, today: date,
               *, workers: int | None = None) -> BuiltRequest:
    """Write the bulk request JSON and its subjects CSV into ``directory``; return what was built."""
    directory.mkdir(parents=True, exist_ok=True)
    years = factory.years
    periods = [str(years[-2]), str(years[-1])]
    plan = BulkPlan(factory.seed, today.isoformat(), taxpayers, subjects, ";".join(periods),
                    f"ERO-{today.year % 100:02d}")
    csv_name = f"{BULK_REQUEST_ID}-subjects.csv"
    if workers is None:
        workers = default_workers(subjects, PARALLEL_THRESHOLD)
    kinds: Counter[str] = Counter()
    tasks = (subjects + SUBJECTS_PER_TASK - 1) // SUBJECTS_PER_TASK
    with (directory / csv_name).open("wb") as fh:
        fh.write((",".join(SUBJECTS_HEADER) + "\n").encode("utf-8"))
        for data, counts in ordered_chunks("bulk", asdict(plan), tasks, workers=workers):
            fh.write(data)
            kinds.update(counts)
    document = request_document(
        request_id=BULK_REQUEST_ID, received_on=(today - timedelta(days=3)).isoformat(),
        authority="6103(i)(2)", in_writing=True, requester=dict(REQUESTERS["DHS-ICE"]),
        signer={"name": "H. Sample", "title": "Acting Director, U.S. Immigration and Customs Enforcement",
                "role": "head-of-agency", "signature_present": True},
        statute={"citation": "8 U.S.C. 1253(a)(1)", "class": "criminal"},
        purpose={"category": "nontax-criminal",
                 "statement": "Criminal investigation of aliens subject to final orders of removal who "
                              "willfully failed to depart (8 U.S.C. 1253(a)(1)); last known addresses are "
                              "needed to locate them for removal."},
        solely_for_use_certified=True,
        # one officer "engaged" in every matter (capped at the intake limit for a count, 1,000,000)
        officers=[{"name": "B. Agent", "title": "Deputy Assistant Director",
                   "active_matters": min(subjects, 1_000_000)}],
        items=["name", "address"], periods=periods, subjects=None, subjects_csv=csv_name, court_order=None,
        consent=None)
    mix = ", ".join(f"{kinds[k]} {k}" for k in KINDS if kinds[k])
    note = (f"the 2025 pattern: {subjects} subjects in one request, one officer in every matter, the same "
            f"reason for all, removal wording; blocked by 1:25-cv-00457 while it is active. Mix: {mix}")
    return BuiltRequest(document, "BULK", note, "blocked")     # blocked: never provisional (RULES.md)

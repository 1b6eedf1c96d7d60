"""Agency register entries (`"format": "dws.agency/1"`, INTERCHANGE.md).

Required: agency_code (not empty), name (not empty), safeguards_current, open_findings (0 or more),
corrective_plan. Optional: last_review (ISO date, or null when never reviewed).
"""

from __future__ import annotations

from pathlib import Path

from workstation.intake import jsonread
from workstation.intake.jsonread import NAME_MAX, REF_MAX, Node
from workstation.model import AgencyEntry

FORMAT = "dws.agency/1"
_KEYS = ("format", "agency_code", "name", "safeguards_current", "open_findings", "corrective_plan",
         "last_review")


@jsonread.guarded
def read_agency(path: Path) -> AgencyEntry:
    source = str(path)
    top = Node(jsonread.load_json(path, source), "$", source)
    jsonread.check_format(top, FORMAT)
    obj = top.object(_KEYS)
    return AgencyEntry(
        agency_code=obj.text("agency_code", REF_MAX, non_empty=True) or "",
        name=obj.text("name", NAME_MAX, non_empty=True) or "",
        safeguards_current=obj.flag("safeguards_current"),
        open_findings=obj.integer("open_findings", maximum=100_000) or 0,
        corrective_plan=obj.flag("corrective_plan"),
        last_review=obj.iso_date("last_review", required=False),
    )

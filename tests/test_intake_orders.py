"""Court orders and agency register entries: good files parse; bad ones name the file, the JSON path and
the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workstation.errors import InputError
from workstation.intake import read_agency, read_court_order
from workstation.model import AgencyEntry, CourtOrder

DATA = Path(__file__).parent / "data" / "intake"
ORDER = json.loads((DATA / "court_order_example.json").read_text(encoding="utf-8"))
AGENCY = json.loads((DATA / "agency_example.json").read_text(encoding="utf-8"))


def write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "file.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def check(err: InputError, path: Path, where: str | None, *words: str) -> None:
    text = str(err)
    assert err.source == str(path) and text.startswith(str(path)), text
    if where is not None:
        assert err.where == where, text
    for word in words:
        assert word in text, text


def test_interchange_court_order() -> None:
    assert read_court_order(DATA / "court_order_example.json") == CourtOrder(
        court="U.S. District Court for the District of Columbia", case_no="1:25-cv-00457",
        caption="Center for Taxpayer Rights v. IRS", signed_on="2025-11-21", effective_from="2025-11-21",
        effective_to=None, status="active", enjoined_recipients=("DHS-ICE",),
        enjoined_purposes=("immigration-civil", "nontax-criminal"), enjoined_items=("address",),
        note="Stay of the address-sharing policy")


def test_court_order_for_everything_with_an_end(tmp_path: Path) -> None:
    doc = {**ORDER, "enjoined_purposes": ["*"], "enjoined_items": ["*"], "effective_to": "2026-01-31",
           "status": "stayed", "note": None}
    del doc["caption"]
    order = read_court_order(write(tmp_path, doc))
    assert (order.enjoined_purposes, order.enjoined_items) == (("*",), ("*",))
    assert (order.effective_to, order.status, order.note, order.caption) == ("2026-01-31", "stayed", None, "")


def test_kept_bad_court_order() -> None:
    path = DATA / "court_order_bad_status.json"
    with pytest.raises(InputError) as info:
        read_court_order(path)
    check(info.value, path, "$.status", "active, stayed, vacated")


@pytest.mark.parametrize(("changes", "where", "words"), [
    ({"format": "dws.request/1"}, "$.format", ["dws.court-order/1", "request package"]),
    ({"status": "ACTIVE "}, "$.status", ["must be one of"]),
    ({"effective_to": "2025-11-20"}, "$.effective_to", ["before effective_from"]),
    ({"signed_on": "21 Nov 2025"}, "$.signed_on", ["YYYY-MM-DD"]),
    ({"effective_from": None}, "$.effective_from", ["must not be null"]),
    ({"enjoined_purposes": ["*", "foia"]}, "$.enjoined_purposes", ["must stand alone"]),
    ({"enjoined_purposes": ["deportation"]}, "$.enjoined_purposes[0]", ["nontax-criminal"]),
    ({"enjoined_items": ["address", "ssn"]}, "$.enjoined_items[1]", ["must be one of"]),
    ({"enjoined_items": "address"}, "$.enjoined_items", ["must be a list"]),
    ({"enjoined_recipients": [7]}, "$.enjoined_recipients[0]", ["must be a string"]),
    ({"case_no": ""}, "$.case_no", ["must not be empty"]),
    ({"judge": "X"}, "$.judge", ["unknown key"]),
    ({"note": "n" * 5000}, "$.note", ["longer than 4,000 characters"]),
])
def test_bad_court_order(tmp_path: Path, changes: dict[str, Any], where: str, words: list[str]) -> None:
    path = write(tmp_path, {**ORDER, **changes})
    with pytest.raises(InputError) as info:
        read_court_order(path)
    check(info.value, path, where, *words)


def test_court_order_missing_field_and_not_json(tmp_path: Path) -> None:
    doc = dict(ORDER)
    del doc["status"]
    path = write(tmp_path, doc)
    with pytest.raises(InputError) as info:
        read_court_order(path)
    check(info.value, path, "$.status", "missing required field")
    path = write(tmp_path, "{'format': 'dws.court-order/1'}")
    with pytest.raises(InputError) as info:
        read_court_order(path)
    check(info.value, path, "line 1, column 2", "not valid JSON")


def test_agency_entry() -> None:
    assert read_agency(DATA / "agency_example.json") == AgencyEntry(
        agency_code="DHS-ICE", name="U.S. Immigration and Customs Enforcement", safeguards_current=False,
        open_findings=3, corrective_plan=False, last_review="2023-11-01")


def test_agency_never_reviewed(tmp_path: Path) -> None:
    assert read_agency(write(tmp_path, {**AGENCY, "last_review": None})).last_review is None


@pytest.mark.parametrize(("changes", "where", "words"), [
    ({"format": None}, "$.format", ["dws.agency/1"]),
    ({"open_findings": -1}, "$.open_findings", ["between 0 and"]),
    ({"open_findings": "3"}, "$.open_findings", ["whole number"]),
    ({"open_findings": 10 ** 30}, "$.open_findings", ["between 0 and"]),
    ({"safeguards_current": 1}, "$.safeguards_current", ["true or false"]),
    ({"last_review": "2023-13-01"}, "$.last_review", ["YYYY-MM-DD"]),
    ({"region": "east"}, "$.region", ["unknown key"]),
    ({"name": None}, "$.name", ["must not be null"]),
])
def test_bad_agency(tmp_path: Path, changes: dict[str, Any], where: str, words: list[str]) -> None:
    path = write(tmp_path, {**AGENCY, **changes})
    with pytest.raises(InputError) as info:
        read_agency(path)
    check(info.value, path, where, *words)


def test_agency_top_level_not_an_object(tmp_path: Path) -> None:
    path = write(tmp_path, [AGENCY])
    with pytest.raises(InputError) as info:
        read_agency(path)
    check(info.value, path, "$", "must be an object, not a list")

"""A bad file gives one message naming what is wrong, the same on both engines, and changes nothing (issue 19
item 1; tests/engines.py): records, requests and court orders. Moved here from tests/test_office_records_pg.py,
test_office_requests_pg.py and test_office_orders_pg.py, which made a local store beside the office only to
compare the two messages; each message is now asserted as a user reads it, on each engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engines import Engine
from letterdata import COURT_ORDER
from officerequests import CANARY_SUBJECT, bulk, canary_subjects, package, subject
from officerequests import write as write_request
from test_office_records_pg import CANARY, canary_rows, other_rows, write

from workstation.errors import InputError

DUPLICATE = "{path}, line %d: same tin, tin_type and tax_year as line %d (one row per taxpayer per year)"
RECORDS = {
    "value": "{path}, line 20502, column agi: agi is not a whole number (at most 12 digits)",
    "duplicate-far": DUPLICATE % (29995, 7),
    "duplicate-near": DUPLICATE % (9, 6),
    "two-duplicates": DUPLICATE % (29996, 7),      # the least TIN's
}


@pytest.mark.parametrize(("bad", "empty"), [("value", False), ("duplicate-far", False), ("duplicate-near", False),
                                            ("duplicate-far", True), ("two-duplicates", True)])
def test_a_bad_records_file_names_the_line_and_changes_nothing(engine: Engine, tmp_path: Path, bad: str,
                                                               empty: bool) -> None:
    """Into an empty store (an office loads the rows straight into its table, a key given twice found when its
    unique index is built) and into one with records (merged from a staging table)."""
    with engine.open("rita") as s:
        if not empty:
            s.import_records(write(tmp_path / "first.csv", other_rows(3)))
        before = engine.counts(), engine.events()
        rows = canary_rows() + other_rows(30_000)[10:]
        if bad == "value":
            rows[20_500] = rows[20_500].replace(",single,", ",single,12x4,", 1).replace(",1000,", ",", 1)
        elif bad == "duplicate-far":                # in another parse batch than its first
            rows.append(rows[5])
        elif bad == "two-duplicates":               # the least TIN is named
            rows += [rows[29_000], rows[5]]
        else:
            rows.insert(7, rows[4])
        path = write(tmp_path / "records.csv", rows)
        with pytest.raises(InputError) as refused:
            s.import_records(path)
    message = str(refused.value)
    assert message == RECORDS[bad].format(path=path)
    assert CANARY["name"] not in message and "617" not in message
    assert (engine.counts(), engine.events()) == before


REQUESTS = {
    "json": "{path}, $.surprise: unknown key (allowed: format, request_id, received_on, authority, in_writing, "
            "requester, signer, statute, purpose, solely_for_use_certified, officers, items, periods, subjects, "
            "subjects_csv, court_order, consent)",
    "inline-subject": "{path}, $.subjects[700].tin: must be a string, not a number",
    "csv-far": "{csv}, line 29002, column ref: ref is used twice (first on line 5)",     # the subjects' file
}


@pytest.mark.parametrize("where", ["json", "inline-subject", "csv-far"])
def test_a_bad_request_file_says_where_and_changes_nothing(engine: Engine, tmp_path: Path, where: str) -> None:
    with engine.open("rita") as s:
        s.import_request(write_request(tmp_path / "first.json", package("FIRST-1")))
        before = engine.counts(), engine.events()
        subjects = canary_subjects() + [subject(i) for i in range(30_000)]
        if where == "json":
            path = write_request(tmp_path / "bad.json", package("BAD-1", surprise=True))
        elif where == "inline-subject":
            subjects[700]["tin"] = 912701234                    # a number, not a string
            path = write_request(tmp_path / "bad.json", package("BAD-1", subjects=subjects[:1000]))
        else:                                           # past the first batch an office sends its server
            subjects[29_000]["ref"] = subjects[3]["ref"]
            path = bulk(tmp_path / "bulk", "BAD-1", subjects)
        with pytest.raises(InputError) as refused:
            s.import_request(path)
    message = str(refused.value)
    assert message == REQUESTS[where].format(path=path, csv=path.with_suffix(".csv"))
    assert CANARY_SUBJECT["name"] not in message and "583" not in message
    assert (engine.counts(), engine.events()) == before


def test_a_bad_court_order_says_which_field_and_changes_nothing(engine: Engine, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**COURT_ORDER, "case_no": "1:26-cv-00777", "effective_to": "2020-01-01"}),
                   encoding="utf-8")
    engine.made()
    before = engine.counts(), engine.events()
    with engine.open("cora") as cora, pytest.raises(InputError) as refused:
        cora.import_order(bad)
    assert str(refused.value) == f"{bad}, $.effective_to: is before effective_from"
    done = engine.cli(capsys, monkeypatch)("import", "order", str(bad), user="cora")
    assert (done.code, done.err) == (1, f"dws: {refused.value}\n")
    assert (engine.counts(), engine.events()) == before

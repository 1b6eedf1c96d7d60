"""The redaction preview shows released values and labels only; "show original" needs a reason and is logged. On
both engines (tests/engines.py): a local store, and an office whose desktop reads the request on its working copy
and logs every view of taxpayer data in the office log (the reason's text is not sent to the server: that there
was one is)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engines import Engine
from test_leaks_and_crashes import CANARY, canary_row, request_doc, write_records

from workstation.errors import InputError, PermissionDenied


@pytest.fixture
def store(engine: Engine, tmp_path: Path) -> Engine:
    records = write_records(tmp_path / "r.csv", [canary_row(2023), canary_row(2024)])
    (tmp_path / "req.json").write_text(json.dumps(request_doc("PREVIEW-1")))
    with engine.open("ada") as s:
        s.import_records(records)
        s.import_request(tmp_path / "req.json")
    return engine


def test_preview_releases_identity_and_labels_withheld_return_information(store: Engine) -> None:
    with store.open("rita") as s:
        doc = s.evaluate("PREVIEW-1")
        assert doc["recommendation"] == "partial"
        fields = {f.item: f for f in s.preview("PREVIEW-1", 0)}
        assert fields["name"].released and fields["name"].text == CANARY["name"]
        assert fields["address"].released and CANARY["street"] in fields["address"].text
        assert "not verified" in fields["address"].text and "as of 2024-04-15" in fields["address"].text
        agi = fields["agi"]
        assert not agi.released and agi.code == "ITEMS"
        assert agi.text == "WITHHELD (i)(2) — taxpayer return information"
        assert "51234" not in agi.text and "51,234" not in agi.text
    event, obj, detail = store.events()[-1]
    assert (event, obj, detail) == ("preview-viewed", "PREVIEW-1", {"ref": "1", "released": ["name", "address"]})


def test_show_original_needs_a_reason_and_is_logged(store: Engine) -> None:
    with store.open("rita") as s:
        s.evaluate("PREVIEW-1")
        before = store.events()
        with pytest.raises(InputError, match="say why"):
            s.show_original("PREVIEW-1", 0, "")
        assert store.events() == before
        values = dict(s.show_original("PREVIEW-1", 0, "Checking the AGI against the court filing"))
        assert values["agi"] == "2024: $51,234"          # only the requested period
    event, obj, detail = store.events()[-1]
    assert (event, obj) == ("unredacted-viewed", "PREVIEW-1")
    given = {"ref": "1", "elements": ["name", "address", "agi"]}
    if store.kind == "local":
        assert detail == {**given, "reason": "Checking the AGI against the court filing"}
    else:                                   # the server would read the reason in clear: it is not sent
        assert detail == {**given, "reason_given": True}
    with store.open("otto") as s, pytest.raises(PermissionDenied):
        s.show_original("PREVIEW-1", 0, "An auditor is curious about this")


def test_subject_pages_are_key_ranges(store: Engine) -> None:
    with store.open("rita") as s:
        assert (s.subject_count("PREVIEW-1"), s.subject_rows("PREVIEW-1", 0, 50)) == (0, [])    # not evaluated
        with pytest.raises(InputError, match="evaluate the request first"):
            s.preview("PREVIEW-1", 0)
        s.evaluate("PREVIEW-1")
    with store.open("rita") as s:                           # another session: the stored evaluation's subjects
        assert s.subject_count("PREVIEW-1") == 1
        [row] = s.subject_rows("PREVIEW-1", 0, 50)
        assert row.ref == "1" and row.status == "releasable" and row.released == ("name", "address")
        assert row.withheld == (("agi", "ITEMS"),)
        assert s.subject_rows("PREVIEW-1", 1, 50) == []
        assert s.subject_count("PREVIEW-1", "releasable") == 1 and s.subject_count("PREVIEW-1", "withheld") == 0
        assert s.request("PREVIEW-1").request_id == "PREVIEW-1"
        with pytest.raises(InputError, match="no request 'NOPE-1'"):
            s.subject_count("NOPE-1")


def test_finding_a_subject_by_name_is_logged_without_the_words(store: Engine) -> None:
    with store.open("rita") as s:
        s.evaluate("PREVIEW-1")
        [found] = s.find_subjects("PREVIEW-1", "zebulon CANARYFIELD")
        assert found.ref == "1"
        assert s.find_subjects("PREVIEW-1", "Nobody Else") == []
    searched = [d for e, o, d in store.events() if e == "subjects-searched"]
    assert searched == [{"words": 2, "matches": 1}, {"words": 2, "matches": 0}]
    assert "anaryfield" not in json.dumps(store.events()).lower()


def test_a_period_beyond_the_court_order_is_withheld_from_the_preview(store: Engine, tmp_path: Path) -> None:
    """Issue 21: (i)(1) asking one year beyond its order is partial, not denied, and that year never shows."""
    doc = request_doc("PREVIEW-I1")
    doc.update(authority="6103(i)(1)", items=["name", "agi"], periods=["2023", "2024"],
               signer={**doc["signer"], "role": "doj-listed"},
               court_order={"court": "U.S. District Court, W.D. Texas", "judge": "Hon. M. Example",
                            "case_no": "1:26-mj-00321", "signed_on": "2026-10-27", "items": ["name", "agi"],
                            "periods": ["2024"]})
    doc["subjects"][0]["periods"] = None
    (tmp_path / "i1.json").write_text(json.dumps(doc))
    with store.open("ada") as s:
        s.import_request(tmp_path / "i1.json")
    with store.open("rita") as s:
        assert s.evaluate("PREVIEW-I1")["recommendation"] == "partial"
        fields = {f.item: f for f in s.preview("PREVIEW-I1", 0)}
        assert fields["agi"].released and "2024" in fields["agi"].text and "2023" not in fields["agi"].text

"""The redaction preview shows released values and labels only; "show original" needs a reason and is logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_leaks_and_crashes import CANARY, canary_row, request_doc, write_records

from workstation.errors import InputError, PermissionDenied
from workstation.service import Workstation
from workstation.store import auditlog

PW = "admin-passphrase-1"


@pytest.fixture
def store(tmp_path: Path) -> Workstation:
    ws = Workstation(tmp_path / "store")
    s, _code, _ = ws.init("admin", PW)
    s.add_user("rita", "reviewer", "rita-passphrase-1")
    s.add_user("otto", "auditor", "otto-passphrase-1")
    s.import_records(write_records(tmp_path / "r.csv", [canary_row(2023), canary_row(2024)]))
    (tmp_path / "req.json").write_text(json.dumps(request_doc("PREVIEW-1")))
    s.import_request(tmp_path / "req.json")
    s.close()
    return ws


def test_preview_releases_identity_and_labels_withheld_return_information(store: Workstation) -> None:
    with store.unlock("rita", "rita-passphrase-1") as s:
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
        events = [e.event for e in auditlog.entries(s.conn)]
        assert events[-1] == "preview-viewed"


def test_show_original_needs_a_reason_and_is_logged(store: Workstation) -> None:
    with store.unlock("rita", "rita-passphrase-1") as s:
        s.evaluate("PREVIEW-1")
        with pytest.raises(InputError, match="say why"):
            s.show_original("PREVIEW-1", 0, "")
        values = dict(s.show_original("PREVIEW-1", 0, "Checking the AGI against the court filing"))
        assert values["agi"] == "2024: $51,234"          # only the requested period
        last = list(auditlog.entries(s.conn))[-1]
        assert last.event == "unredacted-viewed" and last.user == "rita"
        assert last.detail == {"ref": "1", "elements": ["name", "address", "agi"],
                               "reason": "Checking the AGI against the court filing"}
    with store.unlock("otto", "otto-passphrase-1") as s, pytest.raises(PermissionDenied):
        s.show_original("PREVIEW-1", 0, "An auditor is curious about this")


def test_subject_pages_are_key_ranges(store: Workstation) -> None:
    with store.unlock("rita", "rita-passphrase-1") as s:
        s.evaluate("PREVIEW-1")
        assert s.subject_count("PREVIEW-1") == 1
        [row] = s.subject_rows("PREVIEW-1", 0, 50)
        assert row.ref == "1" and row.status == "releasable" and row.released == ("name", "address")
        assert row.withheld == (("agi", "ITEMS"),)
        assert s.subject_rows("PREVIEW-1", 1, 50) == []


def test_a_period_beyond_the_court_order_is_withheld_from_the_preview(store: Workstation, tmp_path: Path) -> None:
    """Issue 21: (i)(1) asking one year beyond its order is partial, not denied, and that year never shows."""
    doc = request_doc("PREVIEW-I1")
    doc.update(authority="6103(i)(1)", items=["name", "agi"], periods=["2023", "2024"],
               signer={**doc["signer"], "role": "doj-listed"},
               court_order={"court": "U.S. District Court, W.D. Texas", "judge": "Hon. M. Example",
                            "case_no": "1:26-mj-00321", "signed_on": "2026-10-27", "items": ["name", "agi"],
                            "periods": ["2024"]})
    doc["subjects"][0]["periods"] = None
    (tmp_path / "i1.json").write_text(json.dumps(doc))
    with store.unlock("admin", PW) as s:
        s.import_request(tmp_path / "i1.json")
    with store.unlock("rita", "rita-passphrase-1") as s:
        assert s.evaluate("PREVIEW-I1")["recommendation"] == "partial"
        fields = {f.item: f for f in s.preview("PREVIEW-I1", 0)}
        assert fields["agi"].released and "2024" in fields["agi"].text and "2023" not in fields["agi"].text

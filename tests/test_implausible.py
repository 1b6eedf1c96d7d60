"""Implausible is a finding, not an import error (issue 13): a well-formed request whose claims are implausible —
one officer with 1,280,000 active matters, a received date years back, ten thousand subjects giving one reason —
imports through `dws import request`, and `dws evaluate` then declines it with the right codes (OFFICERS,
RECEIVED, REASON). INTERCHANGE.md: "reading a file refuses what is malformed, never what is implausible"."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from clihelp import Cli
from letterdata import AS_OF, build_store, passphrase, request

RITA = {"user": "rita", "passphrase": passphrase("rita")}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("implausible")
    build_store(root / "store", root / "work", ())
    return root / "store"


@pytest.fixture
def cli(template: Path, tmp_path: Path, capsys, monkeypatch) -> Cli:
    shutil.copytree(template, tmp_path / "store")
    return Cli(tmp_path / "store", capsys, monkeypatch)


def import_and_evaluate(cli: Cli, doc: dict[str, Any], folder: Path) -> dict[str, Any]:
    path = folder / f"{doc['request_id']}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = cli("import", "request", str(path), **RITA)
    assert r.code == 0, r.err
    r = cli("evaluate", doc["request_id"], "--json", "--summary", "--as-of", AS_OF.isoformat(), **RITA)
    assert r.code == 0, r.err
    return json.loads(r.out)


def outcomes(result: dict[str, Any], code: str) -> dict[str, int]:
    return result["findings_by_code"].get(code, {})


def test_one_officer_with_1_280_000_matters_imports_and_fails_officers(cli: Cli, tmp_path: Path) -> None:
    doc = request("IMPL-OFFICERS", officers=[{"name": "B. Agent", "title": "Special Agent",
                                              "active_matters": 1_280_000}])
    result = import_and_evaluate(cli, doc, tmp_path)
    assert outcomes(result, "OFFICERS") == {"fail": 1}
    assert any(f["code"] == "OFFICERS" and "1,280,000" in f["message"] for f in result["findings"])
    assert result["recommendation"] == "deny"


def test_a_received_date_years_back_imports_and_is_stale(cli: Cli, tmp_path: Path) -> None:
    doc = request("IMPL-RECEIVED", received_on="2019-03-01")
    result = import_and_evaluate(cli, doc, tmp_path)
    assert outcomes(result, "RECEIVED") == {"needs-review": 1}
    assert any(f["code"] == "RECEIVED" and "stale" in f["message"] for f in result["findings"])
    assert result["needs_review"]


def test_ten_thousand_subjects_with_one_reason_import_and_fail_reason(cli: Cli, tmp_path: Path) -> None:
    with open(tmp_path / "subjects.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(("ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no", "reason"))
        for i in range(10_000):
            w.writerow((f"R-{i}", f"Person Number {i}", "", f"{i + 1} Main St", "Austin", "TX", "78701", "2024",
                        "CASE-1", "Subject of an ongoing investigation."))
    doc = request("IMPL-REASON", subjects=None, subjects_csv="subjects.csv")
    del doc["subjects"]
    result = import_and_evaluate(cli, doc, tmp_path)
    assert result["counts"]["subjects"] == 10_000
    assert outcomes(result, "REASON").get("fail") == 10_000
    assert result["counts"]["releasable"] == 0


def test_all_three_together_still_import(cli: Cli, tmp_path: Path) -> None:
    doc = request("IMPL-ALL", received_on="2016-01-04",
                  officers=[{"name": "B. Agent", "active_matters": 2**53 - 1}])
    result = import_and_evaluate(cli, doc, tmp_path)
    assert outcomes(result, "OFFICERS") == {"fail": 1} and outcomes(result, "RECEIVED") == {"needs-review": 1}

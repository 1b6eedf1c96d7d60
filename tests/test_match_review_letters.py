"""A held subject with a requested year that has no record (RULES.md Letters): a year without record does not
withhold a subject (its other years are released), so no other check withholds it and the held subject
appears among "cannot be disclosed at this time" "and nowhere else" -- not under PERIOD-RECORD, where its
reference would tell the requester that it has records for the other years."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from letterdata import AS_OF, build_store, decide, passphrase, pdftotext, request, subject

from workstation.service import Workstation

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")

ASKED = ["2023", "2024"]          # no taxpayer has a record for 2023
# 1: released; 2: not held, a year without record; 3: held, the same year without record; 4: held, nothing else
SUBJECTS = [subject("1", "released-1"), {**subject("2", "released-2"), "periods": ASKED},
            {**subject("3", "on-hold"), "periods": ASKED}, subject("4", "on-hold")]
RID = "H21-MISSING-YEAR"


@pytest.fixture(scope="module")
def letter(tmp_path_factory: pytest.TempPathFactory) -> str:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("missing-year")
    store, work = root / "store", root / "work"
    build_store(store, work, ())
    doc = request(RID, items=["name", "address"], subjects=SUBJECTS, periods=["2023", "2024", "2025"])
    with Workstation(store).unlock("rita", passphrase("rita")) as rita:
        (work / f"{RID}.json").write_text(json.dumps(doc), encoding="utf-8")
        rita.import_request(work / f"{RID}.json")
        rita.evaluate(RID, AS_OF)
    decide(store, RID, "partial", approve=True)
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        pdf = root / f"{RID}.pdf"
        pdf.write_bytes(s.issue_letter(RID, passphrase("rita")))
        return pdftotext(pdf)


def refs_listed(text: str, code: str) -> set[str]:
    """Every reference listed under any group of `code`."""
    found = re.findall(rf"\({re.escape(code)};.*?\) Applies to \d+ taxpayers?: ([0-9, \u2013]+)", text)
    assert found, f"no {code} group in the letter"
    return {ref.strip() for refs in found for ref in refs.split(",") if ref.strip()}


def test_a_held_subject_missing_a_year_appears_only_as_cannot_be_disclosed(letter: str) -> None:
    assert "2" in refs_listed(letter, "PERIOD-RECORD") and "3" not in refs_listed(letter, "PERIOD-RECORD")
    held = re.findall(r"Cannot be disclosed at this time\. Applies to \d+ taxpayers?: ([0-9, \u2013]+)", letter)
    assert [h.strip() for h in held] == ["3, 4"]
    assert not re.search(r"\bhold", letter, re.IGNORECASE) and "6103(i)(6)" not in letter

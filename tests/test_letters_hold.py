"""A hold is never visible in a letter (RULES.md "Letters"): a held subject is listed under every other defect
that applies to it, exactly as if it had no hold, so no list of references has a gap that only the hold
explains; only a held subject that no other check withholds appears, among "cannot be disclosed at this
time", and nowhere else. Read back from the issued PDF, as the recipient reads it."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from letterdata import AS_OF, build_store, decide, passphrase, pdftotext, request, subject

from workstation.service import Workstation

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")

# 2: held, address not on file; 3: not held, address not on file; 4: held, nothing else; 5: held, ZIP only;
# 6: no record.
WITHHELD = [subject("2", "on-hold", other_address=True), subject("3", "address-differs", other_address=True),
            subject("4", "on-hold"), subject("5", "on-hold", zip_only=True), subject("6", "unknown")]
REQUESTS = {
    "H21-PARTIAL": request("H21-PARTIAL", items=["name", "address"],
                            subjects=[subject("1", "released-1"), *WITHHELD]),
    "H21-DENY": request("H21-DENY", items=["name", "address"], subjects=WITHHELD),
}


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("hold-letters")
    store, work = root / "store", root / "work"
    build_store(store, work, ())
    with Workstation(store).unlock("rita", passphrase("rita")) as rita:
        for rid, doc in REQUESTS.items():
            (work / f"{rid}.json").write_text(json.dumps(doc), encoding="utf-8")
            rita.import_request(work / f"{rid}.json")
            rita.evaluate(rid, AS_OF)
    decide(store, "H21-PARTIAL", "partial", approve=True)
    decide(store, "H21-DENY", "deny", approve=False)
    out = {}
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        for rid in REQUESTS:
            pdf = root / f"{rid}.pdf"
            pdf.write_bytes(s.issue_letter(rid, passphrase("rita")))
            out[rid] = pdftotext(pdf)
    return out


def refs_after(text: str, code: str) -> str:
    """The references listed under the group of `code` ("... (CODE; citation) Applies to n taxpayers: refs")."""
    found = re.search(rf"\({re.escape(code)};.*?\) Applies to \d+ taxpayers?: ([0-9, \u2013]+)", text)
    assert found, f"no {code} group in the letter"
    return found.group(1).strip().rstrip(",")


def hold_refs(text: str) -> str:
    found = re.findall(r"Cannot be disclosed at this time\. Applies to \d+ taxpayers?: ([0-9, \u2013]+)", text)
    assert len(found) == 1, found
    return found[0].strip()


@pytest.mark.parametrize("rid", list(REQUESTS))
def test_held_subjects_are_listed_under_their_other_defects_as_if_not_held(letters: dict[str, str],
                                                                           rid: str) -> None:
    t = letters[rid]
    assert refs_after(t, "ADDRESS-MATCH") == "2, 3"      # the held 2 beside the unheld 3: no gap
    assert refs_after(t, "ADDRESS") == "5"
    assert refs_after(t, "MATCH") == "6"


@pytest.mark.parametrize("rid", list(REQUESTS))
def test_only_a_held_subject_nothing_else_withholds_is_cannot_be_disclosed(letters: dict[str, str],
                                                                           rid: str) -> None:
    t = letters[rid]
    assert hold_refs(t) == "4"
    assert not re.search(r"\bhold", t, re.IGNORECASE) and "6103(i)(6)" not in t

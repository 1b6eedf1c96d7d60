"""What each letter says (domain/RULES.md "Letters"), how it is marked and numbered, and its QR code:
read back from the PDF with pypdf and with poppler's pdftotext, as a recipient's tools would. On both engines
(issue 19 item 1, tests/engines.py): the same letters issued from a local store and from an office."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from enginebuilt import module_engine
from engines import ENGINES
from letterdata import ISSUED, JUSTIFICATION, OFFICE, issued_on, norm, pdftotext, pypdf_pages

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")


@pytest.fixture(scope="module", params=ENGINES)
def letters(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every letter issued once from one store, on each engine (tests/engines.py: a local store, and an office
    whose letterhead is the office's settings): request id -> PDF file."""
    root = tmp_path_factory.mktemp(f"letters-{request.param}")
    with module_engine(request.param, request, root) as engine:
        return issued_on(engine, root / "work", "rita")


def text(path: Path) -> str:
    return pdftotext(path)


def pages(path: Path) -> int:
    return len(pypdf_pages(path))


def assert_all(haystack: str, needles: list[str]) -> None:
    missing = [n for n in needles if n not in haystack]
    assert not missing, f"missing from the letter: {missing}"


LETTERHEAD = [OFFICE["office_name"], "300 E 8th St", "Austin, TX 78701", "(512) 555-0142",
              OFFICE["office_signature_name"], OFFICE["office_signature_title"]]


def test_transmittal_has_every_element(letters: dict[str, Path]) -> None:
    t = text(letters["LTR-PARTIAL"])
    assert_all(t, [
        *LETTERHEAD,
        # request reference and date, authority
        "Re: Your request LTR-PARTIAL of October 20, 2026 under 26 U.S.C. § 6103(i)(2)",
        "for 2 of the 6 taxpayers named in your request",
        # the schedule, by subject: released values with the as-of date
        "Schedule of disclosed information", "Maria Example", "1200 Congress Ave Apt 4, Austin, TX 78701 (as of "
        "2025-04-15)", "James Sample", "415 Oak Street",
        # what was withheld and why, by code
        "Information not disclosed, and why", "(ADDRESS; 26 U.S.C. 6103(i)(2)(B)(i))", "(MATCH;", "(ADDRESS-MATCH;",
        "Adjusted gross income, Total tax, Refund, Telephone, Bank account: Taxpayer return information may not be "
        "disclosed under 26 U.S.C. § 6103(i)(2). (ITEMS)", "Applies to 2 taxpayers: 1, 2",
        "Cannot be disclosed at this time.",
        # use restriction, safeguarding duties
        "Use restriction", "solely by the officers and employees named in your request (B. Agent, Special Agent)",
        "may not be redisclosed", "Secure storage", "Need to know", "Logs: keep a record", "Return or destruction",
        # penalties, incidents, the address caveat
        "26 U.S.C. § 7213,", "26 U.S.C. § 7213A", "26 U.S.C. § 7431", "within 24 hours",
        "last known address on file as of the date shown", "It has not been verified",
    ])


def test_subject_level_declination_lists_each_defect_with_its_subjects(letters: dict[str, Path]) -> None:
    t = text(letters["LTR-DENY-SUBJECTS"])
    assert_all(t, [
        *LETTERHEAD,
        "Re: Your request LTR-DENY-SUBJECTS of October 20, 2026", "Defects concerning individual taxpayers",
        "No complete address was given", "(ADDRESS; 26 U.S.C. 6103(i)(2)(B)(i)) Applies to 1 taxpayer: 3",
        "(MATCH; 26 U.S.C. 6103(i)(2)(B)(i)) Applies to 1 taxpayer: 5",
        "(ADDRESS-MATCH; 26 U.S.C. 6103(i)(2)(B)(i)) Applies to 1 taxpayer: 6",
        "Cannot be disclosed at this time. Applies to 1 taxpayer: 4",
        "You may resubmit", "cite this letter", "no information about any taxpayer beyond what your request provided",
    ])
    assert "Schedule" not in t and "Maria Example" not in t


def test_request_level_declination_says_nothing_about_records(letters: dict[str, Path]) -> None:
    t = text(letters["LTR-DENY-STATUTE"])
    assert_all(t, ["Defects of the request as a whole", "Each applies to all 6 taxpayers",
                   "STATUTE: The statute cited is not a federal criminal statute outside title 26.",
                   "this letter does not say whether any record exists", "Applies to 1 taxpayer: 3",
                   "You may resubmit"])
    # No-record, address-not-on-file and the HOLD phrase would each say what the records hold.
    for absent in ("MATCH;", "ADDRESS-MATCH", "Cannot be disclosed at this time", "taxpayer: 4", "taxpayer: 5"):
        assert absent not in t


def test_blocked_declination_cites_the_order(letters: dict[str, Path]) -> None:
    t = text(letters["LTR-BLOCKED"])
    assert_all(t, ["Court order", "U.S. District Court for the District of Columbia", "case no. 1:25-cv-00457",
                   "Center for Taxpayer Rights v. IRS", "signed on November 21, 2025",
                   "No information can be disclosed on this request while the order is in effect",
                   "You may resubmit", "Department of Homeland Security"])


def test_declining_against_the_recommendation_gives_the_officers_reasons(letters: dict[str, Path]) -> None:
    t = text(letters["LTR-WITHDRAWN"])
    assert_all(t, ["The disclosure officer's reasons", JUSTIFICATION, "You may resubmit"])
    assert "Defects" not in t and "Maria Example" not in t


def test_foia_response_has_exemptions_estimate_appeal_liaison_and_ogis(letters: dict[str, Path]) -> None:
    t = text(letters["LTR-FOIA"])
    assert_all(t, ["Response to your Freedom of Information Act request", "received on October 20, 2026",
                   "Exemption (b)(3), 5 U.S.C. § 552(b)(3)", "26 U.S.C. § 6103(a)",
                   "Estimate of what was withheld", "3 data element(s)", "neither confirm nor deny",
                   "Responsible official", "Dana Q. Officer, Disclosure Manager, Austin",
                   "within 90 days", "Freedom of Information Act Appeal", "FOIA Public Liaison",
                   "Office of Government Information Services (OGIS)", "mediation"])
    assert "Maria Example" not in t and "Schedule" not in t


def test_hold_is_only_ever_cannot_be_disclosed_at_this_time(letters: dict[str, Path]) -> None:
    for rid in ISSUED:
        for t in (text(letters[rid]), " ".join(pypdf_pages(letters[rid]))):
            assert not re.search(r"\bhold", t, re.IGNORECASE), rid
            assert "6103(i)(6)" not in t, rid


@pytest.mark.parametrize("rid", ISSUED)
def test_pages_are_numbered_n_of_m(letters: dict[str, Path], rid: str) -> None:
    path = letters[rid]
    total = pages(path)
    for n, page_text in enumerate(pypdf_pages(path), 1):
        assert f"Page {n} of {total}" in page_text
        assert f"Page {n} of {total}" in pdftotext(path, n)


@pytest.mark.parametrize(("rid", "marked"), [("LTR-PARTIAL", True), ("LTR-DENY-SUBJECTS", True),
                                              ("LTR-DENY-STATUTE", False), ("LTR-BLOCKED", False),
                                              ("LTR-WITHDRAWN", False), ("LTR-FOIA", False)])
def test_every_page_with_taxpayer_data_is_marked_fti(letters: dict[str, Path], rid: str, marked: bool) -> None:
    """Released values, or what the records say about a named person (no record, other address on file),
    are taxpayer data: header and footer on every page. A letter carrying neither is not marked."""
    path = letters[rid]
    for n in range(1, pages(path) + 1):
        assert pdftotext(path, n).count("FEDERAL TAX INFORMATION") == (2 if marked else 0), (rid, n)


@pytest.mark.skipif(shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None,
                    reason="zbar-tools or poppler-utils not installed")
@pytest.mark.parametrize("rid", ["LTR-PARTIAL", "LTR-BLOCKED"])
def test_qr_code_decodes_to_the_verification_data(letters: dict[str, Path], rid: str, tmp_path: Path) -> None:
    path = letters[rid]
    last = pages(path)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(last), "-l", str(last), str(path),
                    str(tmp_path / "page")], check=True)
    image = next(tmp_path.glob("page*.png"))
    proc = subprocess.run(["zbarimg", "--quiet", "--raw", str(image)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    d = letters["decisions"][rid]  # type: ignore[index]
    letter_id = "L-" + d.decision_id[2:]
    payload = proc.stdout
    assert f"DWS-LETTER/1 {letter_id}" in payload and f"DECISION {d.decision_id}" in payload
    assert f"HASH {d.doc_hash[:16]}" in payload and f"PREPARER {d.preparer} {d.preparer_fingerprint}" in payload
    if d.approver:
        assert f"APPROVER {d.approver} {d.approver_fingerprint}" in payload
    # The printed block says the same.
    t = norm(pdftotext(path, last))
    assert_all(t, [f"Letter {letter_id} for decision {d.decision_id}", d.doc_hash[:16],
                   f"Prepared and signed by {d.preparer}, key {d.preparer_fingerprint}", "dws verify-letter"])


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
@pytest.mark.parametrize("rid", ISSUED)
def test_qpdf_check_passes(letters: dict[str, Path], rid: str) -> None:
    proc = subprocess.run(["qpdf", "--check", str(letters[rid])], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No syntax or stream encoding errors" in proc.stdout

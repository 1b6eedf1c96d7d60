"""What the recipient reads (issue 22): the signature block names the officer and their title as configured
(and the settings refuse a title that is the name), every name is printed once, and a coded value is printed
in words. Read from letters of every kind a demo store makes, as pypdf extracts their text."""

from __future__ import annotations

import re
import shutil
from itertools import pairwise
from pathlib import Path

import pytest
from clihelp import Cli
from demoletters import LETTERS, Letter, demo_letters_fixture  # noqa: F401 - the session fixture

from workstation.demo_store import demo_passphrase
from workstation.letters.templates import manifest, template_version, texts
from workstation.settings import DEFAULTS

CODES = ("mfj", "mfs", "hoh", "qw", "qss", "head-of-agency", "inspector-general", "doj-listed",
         "head-of-state-tax-agency", "nontax-criminal", "immigration-civil", "tax-administration", "state-tax")


def _lines(letter: Letter) -> list[str]:
    return [line.strip() for line in letter.text().splitlines()]


@pytest.mark.parametrize("rid", LETTERS)
def test_the_signature_block_names_the_officer_and_their_title_once(demo_letters: dict[str, Letter],
                                                                    rid: str) -> None:
    lines = _lines(demo_letters[rid])
    at = lines.index("Sincerely,")
    name, title = DEFAULTS["office_signature_name"], DEFAULTS["office_signature_title"]
    assert lines[at + 1:at + 4] == [name, title, DEFAULTS["office_name"]], lines[at:at + 5]
    assert f"{title}, {title}" not in demo_letters[rid].text()


def test_the_default_name_and_title_differ() -> None:
    assert DEFAULTS["office_signature_name"].casefold() != DEFAULTS["office_signature_title"].casefold()


def test_settings_refuse_a_title_equal_to_the_name(tmp_path: Path, demo_letters: dict[str, Letter], capsys,
                                                     monkeypatch) -> None:
    """`dws settings set` (and the Settings dialog, through the same service call) refuses the title that is
    the name, in either order and whatever the case; a real title is taken and printed."""
    store = tmp_path / "store"
    shutil.copytree(next(iter(demo_letters.values())).path.parent / "store", store)
    cli = Cli(store, capsys, monkeypatch)
    admin = {"user": "admin", "passphrase": demo_passphrase("admin")}
    r = cli("settings", "set", "office_signature_title", DEFAULTS["office_signature_name"].upper(), **admin)
    assert r.code == 1 and "the same text" in r.err and "Traceback" not in r.err, r.err
    r = cli("settings", "set", "office_signature_name", DEFAULTS["office_signature_title"], **admin)
    assert r.code == 1 and "office_signature_name" in r.err
    assert cli("settings", "set", "office_signature_name", "Dana Q. Officer", **admin).code == 0
    assert cli("settings", "set", "office_signature_title", "Chief, Disclosure Office", **admin).code == 0
    r = cli("settings", "get", "office_signature_title", **admin)
    assert r.out.strip() == "Chief, Disclosure Office"


def test_the_requesters_name_is_printed_once_in_the_address_block(demo_letters: dict[str, Letter]) -> None:
    """A person asking for their own records is both the request's signer and its "agency": one line."""
    lines = _lines(demo_letters["DEMO-FOIA-FIRST-PARTY"])
    salutation = next(n for n, line in enumerate(lines) if line.startswith("Dear "))
    requester = lines[salutation].removeprefix("Dear ").rstrip(":")
    block = lines[:salutation]
    assert block.count(requester) == 1, block
    for rid in LETTERS:                       # no line of any letter's address block repeats the line above
        lines = _lines(demo_letters[rid])
        re_line = next(n for n, line in enumerate(lines) if line.startswith("Re:"))
        assert all(a != b for a, b in pairwise(lines[:re_line])), rid


def test_a_filing_status_is_printed_in_words(demo_letters: dict[str, Letter]) -> None:
    text = demo_letters["DEMO-D1-VALID"].text()
    statuses = re.findall(r"Filing status: (.*)", text)
    assert statuses, text
    words = set(re.findall(r"\d{4}: ([A-Za-z ]+?)(?:;|$)", " ".join(statuses)))
    assert words and words <= {"Single", "Married filing jointly", "Married filing separately", "Head of household",
                               "Qualifying surviving spouse"}, words


@pytest.mark.parametrize("rid", LETTERS)
def test_no_letter_prints_a_code_for_a_word(demo_letters: dict[str, Letter], rid: str) -> None:
    text = demo_letters[rid].text()
    found = [code for code in CODES if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)]
    assert found == [], (rid, found)


def test_role_and_purpose_codes_in_findings_read_as_words(demo_letters: dict[str, Letter]) -> None:
    signer = " ".join(demo_letters["DEMO-I2-SIGNER"].text().split())
    assert "allowed: listed Department of Justice official, head of a federal agency, Inspector General" in signer
    purpose = " ".join(demo_letters["DEMO-I2-PURPOSE"].text().split())
    assert "The purpose category (civil immigration matter) is not a federal non-tax criminal matter" in purpose


def test_the_words_are_letter_texts() -> None:
    """Code words are shipped with the letter texts, so counsel revises them with the rest."""
    import json
    from importlib import resources

    common = json.loads(resources.files("resources").joinpath("letters", manifest()["letters"]["common"])
                        .read_text("utf-8"))
    assert set(CODES) <= set(common["code_words"]["filing_status"]) | set(common["code_words"]["codes"])


def test_the_text_view_reads_a_letter_as_its_pages_read(demo_letters: dict[str, Letter]) -> None:
    """The Letter tab's text view (`Session.letter_text`, the letter's text offered to a screen reader) starts
    with the letterhead's first line, not with the page count the footer draws through a form XObject, and
    reads the pages one after the other without their running header, footer and page numbers (artifacts)."""
    from pypdf import PdfReader

    from workstation.service import Workstation

    letter = demo_letters["DEMO-I2-PARTIAL"]
    pages = len(PdfReader(letter.path).pages)
    assert pages > 1
    with Workstation(letter.path.parent / "store").unlock("alex", demo_passphrase("alex")) as s:
        text = s.letter_text(letter.request_id)
    assert text is not None
    lines = [line.strip() for line in text.splitlines()]
    assert lines[0] == DEFAULTS["office_name"], lines[:3]
    assert not any(re.fullmatch(r"Page \d+ of( \d+)?", line) for line in lines)
    assert not any(line.isdigit() for line in lines[:5])
    assert lines.index("Sincerely,") > lines.index(next(line for line in lines if line.startswith("Dear ")))
    common = texts(letter.kind, template_version())["common"]
    assert common["fti_marking"] not in lines and common["fti_note"] not in lines
    header = common["reference"].split("{letter_id}", 1)[1].format(request_id=letter.request_id)
    assert not any(line.endswith(header) for line in lines), [line for line in lines if header in line]

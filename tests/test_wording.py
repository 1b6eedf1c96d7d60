"""Wording across the CLI and the GUI (issue 18, item 6): a count takes its noun in the singular or the plural as
English does ("1 character", "1 byte", never "1 characters" or "byte(s)"), an identifier kind takes its article
("looks like an SSN"), and every quantity has thousands separators ("65,536"), as the queue's subject counts
always had; line numbers, years and ids are names and have none."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clihelp import Cli
from conftest import ADMIN_PW, REVIEWER_PW
from letterdata import DECIDED_ID, decided_letter_store, passphrase
from test_cli_store import REQUEST, write_json

ADMIN = {"user": "admin", "passphrase": ADMIN_PW}
REVIEWER = {"user": "rita", "passphrase": REVIEWER_PW}


@pytest.fixture
def cli(admin, store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(store_dir, capsys, monkeypatch)


def test_count_number_and_listing() -> None:
    from workstation import wording

    assert [wording.count(n, "character") for n in (0, 1, 2, 65_536)] == [
        "0 characters", "1 character", "2 characters", "65,536 characters"]
    assert wording.count(1, "entry", "entries") == "1 entry" and wording.count(3, "entry", "entries") == "3 entries"
    assert wording.listing(["an SSN"]) == "an SSN" and wording.listing(["a", "b", "c"]) == "a, b and c"


def test_import_says_1_subject(cli: Cli, tmp_path: Path) -> None:
    r = cli("import", "request", str(write_json(tmp_path / "one.json", REQUEST)), **ADMIN)
    assert r.code == 0 and "with 1 subject from" in r.out, r.out


def test_a_one_character_reason_is_1_character(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(json.dumps(REQUEST))
    doc["subjects"][0]["reason"] = "x"
    cli("import", "request", str(write_json(tmp_path / "short.json", doc)), **ADMIN)
    r = cli("evaluate", REQUEST["request_id"], "--json", **REVIEWER)
    messages = [f["message"] for f in json.loads(r.out)["findings"] if f["code"] == "REASON"]
    assert messages == ["the reason is too short to be specific (1 character)"], messages


@pytest.mark.parametrize(("reason", "words"), [
    ("Call 512-555-0147 about 123-45-6789 first", "what looks like a phone number and an SSN"),
    ("Wire to account 123456789012 for the matter", "what looks like a bank account number"),
    ("The employer 12-3456789 filed the return", "what looks like an EIN"),
])
def test_free_text_refusals_name_the_kind_with_its_article(cli: Cli, reason: str, words: str) -> None:
    r = cli("override", "ANY-1", "address", "--withhold", "--reason", reason, **REVIEWER)
    assert r.code == 1 and words in r.err, r.err


def test_role_refusals_take_their_article(cli: Cli) -> None:
    r = cli("user", "add", "eve", "--role", "auditor", **REVIEWER, env={"DWS_NEW_PASSPHRASE": "eve-passphrase-12"})
    assert r.code == 1 and "only an admin user may add or change users" in r.err, r.err


def test_a_lockout_is_counted_in_minutes(cli: Cli) -> None:
    for _ in range(3):
        cli("list", user="rita", passphrase="not-the-passphrase")
    r = cli("list", **REVIEWER)
    assert r.code == 1 and "locked out for another 15 minutes" in r.err, r.err


@pytest.mark.parametrize(("field", "value", "words"), [
    ("statement", "x" * 4_001, "is longer than 4,000 characters"),
    ("active_matters", 2**53, "must be between 0 and 9,007,199,254,740,991"),
])
def test_limits_in_messages_have_thousands_separators(cli: Cli, tmp_path: Path, field: str, value: object,
                                                       words: str) -> None:
    doc = json.loads(json.dumps(REQUEST))
    if field == "statement":
        doc["purpose"]["statement"] = value
    else:
        doc["officers"][0]["active_matters"] = value
    r = cli("import", "request", str(write_json(tmp_path / "limit.json", doc)), **ADMIN)
    assert r.code == 1 and words in r.err, r.err


def test_a_csv_line_limit_has_thousands_separators(cli: Cli, tmp_path: Path) -> None:
    doc = dict(REQUEST, subjects=None, subjects_csv="subjects.csv")
    (tmp_path / "subjects.csv").write_text("ref,name,tin,street,city,state,zip,periods,case_no,reason\n"
                                           + "1," + "x" * 70_000 + ",,,,,,,,\n")
    r = cli("import", "request", str(write_json(tmp_path / "bulk.json", doc)), **ADMIN)
    assert r.code == 1 and "longer than 65,536 characters" in r.err, r.err


# -- letters: one byte is "1 byte" ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def letter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    os.environ["DWS_NO_KEYRING"] = "1"
    return decided_letter_store(tmp_path_factory.mktemp("wording-letter"))


@pytest.mark.parametrize(("change", "words"), [
    (lambda data: data + b"\n", "1 byte was appended to letter"),
    (lambda data: data[:-2] + bytes([data[-2] ^ 1]) + data[-1:], "1 byte of the file differs from letter"),
])
def test_a_letter_one_byte_off_says_1_byte(letter: tuple[Path, bytes], tmp_path: Path, capsys, monkeypatch,
                                           change, words: str) -> None:
    store, pdf = letter
    path = tmp_path / "changed.pdf"
    path.write_bytes(change(pdf))
    r = Cli(store, capsys, monkeypatch)("verify-letter", str(path), user="otto", passphrase=passphrase("otto"))
    assert r.code == 3 and words in r.out, r.out
    assert DECIDED_ID in r.out or "TAMPERING" in r.out

"""Names with control, bidirectional or invisible characters, and records of a future tax year (issue 18, item 17).

A RIGHT-TO-LEFT OVERRIDE in a name shows it reversed on screen and on a letter; a zero-width character makes two
names look the same. Every text field of the records CSV, the subjects CSV and the JSON inputs refuses them
(`workstation/textsafety.py`; INTERCHANGE.md says only that a bad file gets one clear error naming the file and
the line, so the rule is documented in README, "Faults and hostile input"): exit 1, one message naming the file,
the line and the column (or the JSON path) and the character by its code point, never the value; the store
unchanged. Through `dws`, in this process and with the import's worker processes, and through a real `dws`
process. A record whose tax year is after the year of the product's clock (DWS_TODAY) is refused the same way.
"""

from __future__ import annotations

import itertools
import json
import shutil
import unicodedata
from pathlib import Path

import pytest
from clihelp import Cli, Result, run_dws
from conftest import ADMIN_PW, COUNSEL_PW, REVIEWER_PW, TEST_DAY, no_keyring, staffed
from test_cli_store import RECORDS_HEADER, REQUEST

from workstation import textsafety
from workstation.errors import InputError
from workstation.intake import read_request, records_parallel, subjects_csv
from workstation.intake.records_csv import read_packed
from workstation.service import Workstation
from workstation.service.overrides import check_free_text
from workstation.store import auditlog

ADMIN = {"user": "admin", "passphrase": ADMIN_PW}
REVIEWER = {"user": "rita", "passphrase": REVIEWER_PW}
COUNSEL = {"user": "cora", "passphrase": COUNSEL_PW}
SUBJECTS_HEADER = "ref,name,tin,street,city,state,zip,periods,case_no,reason"
# The canary: a name split by the hostile character at its 13th character. Neither half, nor the character, may
# reach a message.
FIRST, SECOND = "Quentin Cana", "rybird"
PARTS = ("Quentin", "Cana", "rybird", "912-70-1234", "912701234")

# Each class of character refused, with the name a message gives it.
HOSTILE = [
    ("\x1b", "U+001B ESCAPE"), ("\t", "U+0009 CHARACTER TABULATION"), ("\x0b", "U+000B LINE TABULATION"),
    ("\x7f", "U+007F DELETE"),                                                      # DEL
    ("\x85", "U+0085 (a C1 control character)"), ("\x9b", "U+009B (a C1 control character)"),
    ("\u202a", "U+202A LEFT-TO-RIGHT EMBEDDING"), ("\u202b", "U+202B RIGHT-TO-LEFT EMBEDDING"),
    ("\u202c", "U+202C POP DIRECTIONAL FORMATTING"), ("\u202d", "U+202D LEFT-TO-RIGHT OVERRIDE"),
    ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"), ("\u2067", "U+2067 RIGHT-TO-LEFT ISOLATE"),
    ("\u2068", "U+2068 FIRST STRONG ISOLATE"), ("\u2069", "U+2069 POP DIRECTIONAL ISOLATE"),
    ("\u200e", "U+200E LEFT-TO-RIGHT MARK"), ("\u200f", "U+200F RIGHT-TO-LEFT MARK"),
    ("\u061c", "U+061C ARABIC LETTER MARK"),
    ("\u200b", "U+200B ZERO WIDTH SPACE"), ("\u200c", "U+200C ZERO WIDTH NON-JOINER"),
    ("\u200d", "U+200D ZERO WIDTH JOINER"), ("\u2060", "U+2060 WORD JOINER"),
    ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u00ad", "U+00AD SOFT HYPHEN"), ("\u2028", "U+2028 LINE SEPARATOR"), ("\u2029", "U+2029 PARAGRAPH SEPARATOR"),
    ("\U000e0041", "U+E0041 TAG LATIN CAPITAL LETTER A"),
]
BIDI = ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE")
# One of each class, through `dws`: a C0 control, a C1 control, an override, an isolate, a mark, a zero-width one.
CLASSES = [HOSTILE[i] for i in (0, 4, 10, 12, 16, 18)]
CLASS_IDS = [name.split(" ", 1)[0] for _char, name in CLASSES]


def record(tin: str = "912-70-1234", year: int = 2024, **values: str) -> str:
    fields = dict(zip(RECORDS_HEADER.split(","), (
        tin, "ITIN", "Maria Example", "1200 Congress Ave Apt 4", "Austin", "TX", "78701", "2024-04-15", str(year),
        "single", "50000", "4000", "300", "0", "", "", "", "", "", "0"), strict=True))
    fields.update(values)
    return ",".join(fields.values())


def records_file(tmp_path: Path, rows: list[str], header: str = RECORDS_HEADER) -> Path:
    path = tmp_path / "records.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def many_records(count: int, bad_at: int, bad: str, year: int = 2024) -> list[str]:
    """`count` good rows of different taxpayers, row `bad_at` (line bad_at + 2) replaced by `bad`."""
    rows = [record(tin=f"9{i // 100 % 100:02d}-7{i // 10 % 10}-{1000 + i:04d}", year=year) for i in range(count)]
    rows[bad_at] = bad
    return rows


def subjects_package(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "subjects.csv").write_text(SUBJECTS_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    doc = json.loads(json.dumps(REQUEST)) | {"subjects": None, "subjects_csv": "subjects.csv"}
    path = tmp_path / "request.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def subject_rows(count: int, bad_at: int, bad: str) -> list[str]:
    rows = [f"{i},Maria Example {i},,{i} Main St,Austin,TX,78701,2024,CR-{i},Reason {i % 7}" for i in range(count)]
    rows[bad_at] = bad
    return rows


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with an admin, a reviewer and a counsel user and no records: every import here is refused, and
    each test checks the store is left as it was."""
    path = tmp_path_factory.mktemp("names") / "store"
    with no_keyring():
        staffed(Workstation(path)).close()
        _BEFORE[path] = state(path)
    return path


@pytest.fixture
def cli(template: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(template, capsys, monkeypatch)


_BEFORE: dict[Path, tuple[list[int], list[str]]] = {}     # the template's state when made


def state(store: Path) -> tuple[list[int], list[str]]:
    """Row counts (requests, subjects, records, court orders, agencies, settings) and the log's events."""
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        counts = [s.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for t in ("requests", "subjects", "taxpayer_records", "court_orders", "agencies", "settings")]
        return counts, [e.event for e in auditlog.entries(s.conn) if not e.event.startswith(("unlock", "user-"))]




def refused(store: Path, r: Result, path: Path, where: str, *words: str) -> None:
    """Exit 1, one line naming the file, the place and the character; no part of the canary, nor the character
    itself, on stdout or stderr; the store as it was."""
    lines = [line for line in r.err.splitlines() if not line.startswith("dws: note:")]
    assert r.code == 1 and len(lines) == 1, r.err
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert str(path) in lines[0] and f"{where}:" in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    for part in PARTS:
        assert part not in r.err and part not in r.out, r.err
    after = state(store)
    assert after == _BEFORE[store] and after[0][:3] == [0, 0, 0]      # no request, subject or record stored


def hostile_chars_only_as_named(r: Result, char: str) -> None:
    assert char not in r.err and char not in r.out


# -- the set ------------------------------------------------------------------------------------------------------

def test_the_refused_set_is_every_control_format_and_separator_character() -> None:
    """UNSAFE is Unicode's categories Cc, Cf, Zl and Zp, code point by code point (Python's Unicode version); the
    fast check `clean` agrees with it, for ASCII and other text, with and without line ends."""
    text = "".join(map(chr, range(0x110000)))
    found = [m.start() for m in textsafety.UNSAFE.finditer(text)]
    assert found == [cp for cp in range(0x110000) if unicodedata.category(chr(cp)) in ("Cc", "Cf", "Zl", "Zp")]
    multiline = {m.start() for m in textsafety.UNSAFE_MULTILINE.finditer(text)}
    assert set(found) - multiline == {0x09, 0x0A, 0x0D}
    # `clean` takes one of three ways by the text's widest character (ASCII, Latin-1, other): each agrees
    for cp in [*range(0x3000), *(ord(char) for char, _name in HOSTILE), 0xFEFF, 0xFFFA, 0x1F642, 0xE0020]:
        char, bad = chr(cp), cp in set(found)
        for text in (f"a{char}b", f"é{char}", f"\u2019{char}", f"🙂{char}"):
            assert textsafety.clean(text) is not bad, hex(cp)
            assert textsafety.clean(f"{text}\r\n{text}\n", line_ends=True) is (not bad or char in "\r\n"), hex(cp)
    for fine in ("Maria Example", "Élodie Ñandú", "O\u2019Brien", "No\u00a0Break", "\u3000wide", "🙂", "\ue000"):
        assert textsafety.clean(fine) and textsafety.clean(f"{fine}\r\n{fine}\n", line_ends=True)
    assert not textsafety.clean("a\nb") and not textsafety.clean("a\tb", line_ends=True)


# -- records ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("char", "name"), CLASSES, ids=CLASS_IDS)
def test_a_records_name_with_a_hostile_character_is_refused(cli: Cli, tmp_path: Path, char: str, name: str) -> None:
    path = records_file(tmp_path, [record(year=2022), record(year=2023), record(name=FIRST + char + SECOND)])
    r = cli("import", "records", str(path), **REVIEWER)
    refused(cli.store, r, path, "line 4, column name", f"name contains {name} at character 13")
    hostile_chars_only_as_named(r, char)


def test_every_character_in_every_records_column_is_named_by_the_reader(tmp_path: Path) -> None:
    """Each character of HOSTILE, in each text and number column (the CLI tests above take one of each class)."""
    columns = [c for c in RECORDS_HEADER.split(",") if c not in ("tin", "tin_type", "tax_year", "hold")]
    for (char, name), column in zip(HOSTILE, itertools.cycle(columns)):
        value = FIRST + char + SECOND if column in ("name", "street", "city", "employer") else f"7{char}"
        path = records_file(tmp_path, [record(year=2023), record(**{column: value})])
        with pytest.raises(InputError) as info:
            list(read_packed(path))
        err = info.value
        assert err.where == f"line 3, column {column}", err
        assert err.message.startswith(f"{column} contains {name} at character "), err
        assert char not in str(err) and not any(part in str(err) for part in PARTS), err


@pytest.mark.parametrize(("end", "name"), [("\n", "U+000A LINE FEED"), ("\r\n", "U+000D CARRIAGE RETURN")])
def test_a_line_end_inside_a_quoted_records_field_is_refused(cli: Cli, tmp_path: Path, end: str, name: str) -> None:
    rows = [record(year=2022), record(name=f'"{FIRST}{end}{SECOND}"'), record(year=2021)]
    path = records_file(tmp_path, rows)
    refused(cli.store, cli("import", "records", str(path), **REVIEWER), path, "line 3, column name",
            f"{name} at character 13")


def test_a_number_column_refuses_them_too(cli: Cli, tmp_path: Path) -> None:
    path = records_file(tmp_path, [record(year=2023), record(agi=f"{BIDI[0]}7")])
    r = cli("import", "records", str(path), **REVIEWER)
    refused(cli.store, r, path, "line 3, column agi", f"agi contains {BIDI[1]} at character 1")


def test_the_column_is_named_in_a_file_of_another_column_order(cli: Cli, tmp_path: Path) -> None:
    columns = RECORDS_HEADER.split(",")
    rows = [",".join(reversed(record(year=2023).split(","))),
            ",".join(reversed(record(employer=f"Acme{BIDI[0]}", name=FIRST + BIDI[0] + SECOND).split(",")))]
    path = records_file(tmp_path, rows, header=",".join(reversed(columns)))
    r = cli("import", "records", str(path), **REVIEWER)
    # the employer comes first in this file's lines
    refused(cli.store, r, path, "line 3, column employer", f"employer contains {BIDI[1]} at character 5")


def test_the_import_workers_refuse_them_at_the_same_line(cli: Cli, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk load parses a large file in worker processes: made to run here on a small one, in blocks of a few
    lines; the first bad line of the file is named, not a later one another worker saw first."""
    monkeypatch.setattr(records_parallel, "BLOCK_LINES", 7)
    rows = many_records(60, 37, record(tin="912-70-0001", name=FIRST + "\u200b" + SECOND))
    rows[50] = record(tin="912-70-0002", name=f"Later{BIDI[0]}")
    path = records_file(tmp_path, rows)
    r = cli("import", "records", str(path), **REVIEWER,
            env={"DWS_IMPORT_WORKERS": "2", "DWS_IMPORT_PARALLEL_MIN_BYTES": "1"})
    refused(cli.store, r, path, "line 39, column name", "U+200B ZERO WIDTH SPACE at character 13")


def test_a_real_dws_process_refuses_them_through_its_workers(template: Path, tmp_path: Path) -> None:
    path = records_file(tmp_path, many_records(300, 250, record(tin="912-70-0001", name=FIRST + BIDI[0] + SECOND)))
    r = run_dws(template, "import", "records", str(path),
                env={"DWS_USER": "rita", "DWS_PASSPHRASE": REVIEWER_PW, "DWS_IMPORT_WORKERS": "2",
                     "DWS_IMPORT_PARALLEL_MIN_BYTES": "1"})
    refused(template, r, path, "line 252, column name", f"{BIDI[1]} at character 13")


# -- a record of a future tax year -------------------------------------------------------------------------------

def test_a_record_of_a_tax_year_after_the_current_one_is_refused(cli: Cli, tmp_path: Path) -> None:
    """The current year is not in the future (RULES.md, PERIODS); the next one is. The year is the clock's
    (tests run on TEST_DAY, and again on other days under faketime)."""
    year = TEST_DAY.year
    path = records_file(tmp_path, [record(year=year - 1), record(year=year), record(year=year + 1)])
    r = cli("import", "records", str(path), **REVIEWER)
    refused(cli.store, r, path, "line 4, column tax_year", f"tax_year is after the current year ({year})")


def test_the_current_year_is_the_clocks_not_the_machines(template: Path, tmp_path: Path) -> None:
    """DWS_TODAY moves the bound both ways, in `dws` and in the import's worker processes (which are handed the
    importing process's year: their own clock would be the machine's)."""
    year = TEST_DAY.year
    path = records_file(tmp_path, many_records(40, 30, record(tin="912-70-0001", year=year + 1), year=2019))
    env = {"DWS_USER": "rita", "DWS_PASSPHRASE": REVIEWER_PW, "DWS_IMPORT_WORKERS": "2",
           "DWS_IMPORT_PARALLEL_MIN_BYTES": "1"}
    earlier = run_dws(template, "import", "records", str(path), env=env | {"DWS_TODAY": "2020-06-01"})
    refused(template, earlier, path, "line 32, column tax_year", "tax_year is after the current year (2020)")
    own = tmp_path / "own-store"
    shutil.copytree(template, own)
    later = run_dws(own, "import", "records", str(path), env=env | {"DWS_TODAY": f"{year + 1}-01-02"})
    assert later.code == 0, later.err
    assert state(own)[0][2] == 40


# -- subjects CSV --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("char", "name"), CLASSES, ids=CLASS_IDS)
def test_a_subjects_name_with_a_hostile_character_is_refused(cli: Cli, tmp_path: Path, char: str, name: str) -> None:
    path = subjects_package(tmp_path, subject_rows(20, 12, f"12,{FIRST}{char}{SECOND},912-70-1234,,,,,2024,,"))
    r = cli("import", "request", str(path), **REVIEWER)
    refused(cli.store, r, tmp_path / "subjects.csv", "line 14, column name", f"name contains {name} at character 13")
    hostile_chars_only_as_named(r, char)


def test_every_character_in_every_subjects_column_is_named_by_the_reader(tmp_path: Path) -> None:
    """Each character of HOSTILE in each column, the chunk checked column by column and then record by record."""
    columns = SUBJECTS_HEADER.split(",")
    values = ["7", "Maria Example", "", "1 Elm St", "Austin", "TX", "78701", "2024", "CR-7", "Why"]
    for (char, name), column in zip(HOSTILE * 2, itertools.cycle(columns)):
        if column == "reason" and char == "\t":
            continue                                    # free text: a tab is allowed (and a line end)
        fields = dict(zip(columns, values, strict=True)) | {column: f"X{char}Y"}     # inside: values are trimmed
        path = subjects_package(tmp_path, subject_rows(20, 7, ",".join(fields.values())))
        with pytest.raises(InputError) as info:
            list(read_request(path).subject_batches())
        err = info.value
        assert (err.source, err.where) == (str(tmp_path / "subjects.csv"), f"line 9, column {column}"), err
        assert err.message.startswith(f"{column} contains {name} at character 2"), err
        assert char not in str(err), err


def test_a_reason_refuses_them_too(cli: Cli, tmp_path: Path) -> None:
    path = subjects_package(tmp_path, subject_rows(20, 7, f'7,Maria Example,,,,,,2024,,"Why\n{BIDI[0]}"'))
    r = cli("import", "request", str(path), **REVIEWER)
    refused(cli.store, r, tmp_path / "subjects.csv", "line 9, column reason",
            f"reason contains {BIDI[1]} at character 5")


def test_a_tab_or_line_end_is_refused_in_a_name_but_not_in_a_reason(
        cli: Cli, tmp_path: Path, template: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = subjects_package(tmp_path, subject_rows(5, 2, f'2,"{FIRST}\n{SECOND}",,,,,,2024,,'))
    refused(cli.store, cli("import", "request", str(path), **REVIEWER), tmp_path / "subjects.csv",
            "line 4, column name", "U+000A LINE FEED at character 13")
    path = subjects_package(tmp_path, subject_rows(5, 2, f"2,{FIRST}\t{SECOND},,,,,,2024,,"))
    refused(cli.store, cli("import", "request", str(path), **REVIEWER), tmp_path / "subjects.csv",
            "line 4, column name", "U+0009 CHARACTER TABULATION at character 13")
    shutil.copytree(template, tmp_path / "own" / "store")
    fine = subjects_package(tmp_path, subject_rows(5, 2, '2,Maria Example,,,,,,2024,,"Reason\tover\ntwo lines"'))
    r = Cli(tmp_path / "own" / "store", capsys, monkeypatch)("import", "request", str(fine), **REVIEWER)
    assert r.code == 0, r.err


def test_the_subjects_worker_refuses_them_at_the_same_line(cli: Cli, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A large subjects CSV is read in a worker process (made to run here on a small one), in chunks checked
    column by column and then record by record for the exact line."""
    monkeypatch.setattr(subjects_csv, "CHUNK", 16)
    path = subjects_package(tmp_path, subject_rows(100, 70, f"70,{FIRST}\u2067{SECOND},,,,,,2024,,"))
    r = cli("import", "request", str(path), **REVIEWER, env={"DWS_IMPORT_PARALLEL_MIN_BYTES": "1"})
    refused(cli.store, r, tmp_path / "subjects.csv", "line 72, column name",
            "U+2067 RIGHT-TO-LEFT ISOLATE at character 13")


# -- JSON inputs ---------------------------------------------------------------------------------------------------

def _request(**changes: object) -> dict:
    return json.loads(json.dumps(REQUEST)) | changes


@pytest.mark.parametrize(("kind", "doc", "where", "who"), [
    ("request", _request(subjects=[dict(REQUEST["subjects"][0], name=FIRST + BIDI[0] + SECOND)]),
     "$.subjects[0].name", REVIEWER),
    ("request", _request(signer=dict(REQUEST["signer"], name="A.\u2066Official")), "$.signer.name", REVIEWER),
    ("request", _request(consent={"taxpayer_name": FIRST + "\t" + SECOND, "taxpayer_tin": "912-70-1234",
                                  "designee": "Department of Justice", "items": ["name"], "periods": ["2024"],
                                  "signed_on": "2026-10-01", "signature_present": True}),
     "$.consent.taxpayer_name", REVIEWER),
    ("order", {"format": "dws.court-order/1", "court": "U.S. District Court\u202e", "case_no": "1:25-cv-00457",
               "caption": "Center for Taxpayer Rights v. IRS", "signed_on": "2025-11-21",
               "effective_from": "2025-11-21", "effective_to": None, "status": "active",
               "enjoined_recipients": ["DHS-ICE"], "enjoined_purposes": ["*"], "enjoined_items": ["address"],
               "note": "Stay"}, "$.court", COUNSEL),
    ("agency", {"format": "dws.agency/1", "agency_code": "DOJ-FBI", "name": "Federal Bureau\u200f of Investigation",
                "safeguards_current": True, "open_findings": 0, "corrective_plan": False,
                "last_review": "2025-11-01"}, "$.name", ADMIN),
])
def test_json_text_fields_refuse_them(cli: Cli, tmp_path: Path, kind: str, doc: dict, where: str,
                                      who: dict[str, str]) -> None:
    path = tmp_path / f"{kind}.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = cli("import", kind, str(path), **who)
    refused(cli.store, r, path, where, "contains U+", "not allowed")


# -- what else reaches a screen or a letter --------------------------------------------------------------------

def test_office_details_for_letters_refuse_them(cli: Cli) -> None:
    r = cli("settings", "set", "office_name", "Disclosure\u202e Office", **ADMIN)
    assert r.code == 1 and "U+202E RIGHT-TO-LEFT OVERRIDE at character 11" in r.err, r.err
    assert "Office" not in r.err and "\u202e" not in r.err
    assert state(cli.store) == _BEFORE[cli.store]


def test_free_text_that_may_reach_a_letter_refuses_them_but_keeps_its_lines() -> None:
    check_free_text("Reviewed with counsel.\n\tSee the file.", "justification")
    with pytest.raises(InputError) as info:
        check_free_text("Reviewed\u202d with counsel.", "justification")
    assert "the justification contains U+202D LEFT-TO-RIGHT OVERRIDE at character 9" in str(info.value)
    assert "Reviewed" not in str(info.value)

"""Hostile and strange input through `dws` (issue 18, items 13, 14 and 16): each is refused with one message naming
the file and the field, exit 1, the store unchanged, or accepted and judged by the rules; none is a traceback.

13: dates at the calendar's ends (0001-01-01, 9999-12-31) in every date field of every input format.
14: a lone surrogate (a `\\ud800` escape without its pair) in any JSON string, key or value, of any JSON input.
16: no value from a file is echoed, keys and CSV column names included: a key is shown only when it is a short
    plain lower-case name, otherwise as `<unrecognised key of N characters>`."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
from clihelp import Cli, Result
from conftest import ADMIN_PW, COUNSEL_PW, REVIEWER_PW, no_keyring, staffed
from test_cli_store import RECORDS_HEADER, REQUEST

from workstation import policy
from workstation.service import Workstation
from workstation.store import auditlog

ADMIN = {"user": "admin", "passphrase": ADMIN_PW}
REVIEWER = {"user": "rita", "passphrase": REVIEWER_PW}
COUNSEL = {"user": "cora", "passphrase": COUNSEL_PW}
ORDER = {"format": "dws.court-order/1", "court": "U.S. District Court for the District of Columbia",
         "case_no": "1:25-cv-00457", "caption": "Center for Taxpayer Rights v. IRS", "signed_on": "2025-11-21",
         "effective_from": "2025-11-21", "effective_to": None, "status": "active", "enjoined_recipients": ["DHS-ICE"],
         "enjoined_purposes": ["*"], "enjoined_items": ["address"], "note": "Stay of the address-sharing policy"}
AGENCY = {"format": "dws.agency/1", "agency_code": "DOJ-FBI", "name": "Federal Bureau of Investigation",
          "safeguards_current": True, "open_findings": 0, "corrective_plan": False, "last_review": "2025-11-01"}
CONSENT = {"taxpayer_name": "Maria Example", "taxpayer_tin": "912-70-1234", "designee": "Department of Justice",
           "items": ["name", "address"], "periods": ["2024"], "signed_on": "2026-10-01", "signature_present": True}
COURT = {"court": "U.S. District Court for the Western District of Texas", "judge": "Hon. A. Judge",
         "case_no": "1:26-cr-00001", "signed_on": "2026-10-01", "items": ["name", "address"], "periods": ["2024"]}
RECORD = ("912701234,ITIN,Maria Example,1200 Congress Ave Apt 4,Austin,TX,78701,{as_of},2024,single,"
          "50000,4000,300,0,,,,,,0")
# Taxpayer values a file may put where a key or a column name goes; none may reach a message.
CANARY_KEYS = ("912-70-1234", "912701234", "ssn_912701234", "Canarybird", "Quentin Canarybird",
               "QUENTIN_CANARYBIRD")
NEEDLES = ("912-70-1234", "912701234", "Canarybird", "CANARYBIRD")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with an admin, a reviewer and a counsel user, made once: refusals leave it as it is (each test
    checks), tests that change it work on a copy (`own`)."""
    path = tmp_path_factory.mktemp("extreme") / "store"
    with no_keyring():
        staffed(Workstation(path)).close()
    return path


@pytest.fixture
def cli(template: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(template, capsys, monkeypatch)


@pytest.fixture
def own(template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A copy of the store for a test that changes it."""
    shutil.copytree(template, tmp_path / "own-store")
    return Cli(tmp_path / "own-store", capsys, monkeypatch)


def write(path: Path, doc: Any) -> Path:
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def request(**changes: Any) -> dict[str, Any]:
    return json.loads(json.dumps(REQUEST)) | changes


def state(store: Path) -> tuple[list[int], list[str]]:
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        counts = [s.conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                  for t in ("requests", "subjects", "taxpayer_records", "court_orders", "agencies", "settings")]
        return counts, [e.event for e in auditlog.entries(s.conn) if not e.event.startswith(("unlock", "user-"))]


def refused(r: Result, path: Path, where: str) -> None:
    """One line, exit 1, naming the file and the field; no traceback, no crash report, no canary."""
    lines = [line for line in r.err.splitlines() if not line.startswith("dws: note:")]
    assert r.code == 1 and len(lines) == 1, r.err
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert str(path) in lines[0] and where in lines[0], lines[0]
    assert not any(n in r.err for n in NEEDLES), r.err


IMPORTS = {"request": REVIEWER, "order": COUNSEL, "agency": ADMIN, "records": REVIEWER}


_STATES: dict[Path, tuple[list[int], list[str]]] = {}


def state_before(store: Path) -> tuple[list[int], list[str]]:
    """The store's state as the test found it: the template's is read once (a refusal must leave it so)."""
    if store.name != "store":
        return state(store)
    if store not in _STATES:
        _STATES[store] = state(store)
    return _STATES[store]


def import_refused(cli: Cli, kind: str, path: Path, where: str) -> str:
    before = state_before(cli.store)
    r = cli("import", kind, str(path), **IMPORTS[kind])
    refused(r, path, where)
    assert state(cli.store) == before
    return r.err


# -- 13: dates at the calendar's ends ----------------------------------------------------------------------

@pytest.mark.parametrize(("authority", "received"), [("6103(i)(2)", "9999-12-31"), ("6103(i)(2)", "9999-12-15"),
                                                     ("foia", "9999-12-20"), ("foia", "9999-12-31")])
def test_a_received_date_whose_due_date_is_past_the_calendar_is_refused(cli: Cli, tmp_path: Path, authority: str,
                                                                         received: str) -> None:
    path = write(tmp_path / "late.json", request(received_on=received, authority=authority))
    err = import_refused(cli, "request", path, "$.received_on")
    assert "9999-12-31" in err and ("foia_due_working_days" if authority == "foia" else "agency_due_days") in err


def test_a_due_date_setting_that_reaches_past_the_calendar_names_the_setting(own: Cli, tmp_path: Path) -> None:
    cli = own
    assert cli("settings", "set", "agency_due_days", "1000000000", **ADMIN).code == 0
    err = import_refused(cli, "request", write(tmp_path / "r.json", request()), "$.received_on")
    assert "1,000,000,000 days (setting agency_due_days)" in err


def test_dates_at_the_calendars_ends_elsewhere_import_and_are_judged(own: Cli, tmp_path: Path) -> None:
    """0001-01-01 and 9999-12-31 where no due date is computed from them: read as given, judged by the rules."""
    cli = own
    records = tmp_path / "records.csv"
    records.write_text("\n".join([RECORDS_HEADER, RECORD.format(as_of="0001-01-01"),
                                  RECORD.format(as_of="9999-12-31").replace(",2024,", ",2023,")]) + "\n")
    assert cli("import", "records", str(records), **REVIEWER).code == 0
    order = ORDER | {"signed_on": "0001-01-01", "effective_from": "0001-01-01", "effective_to": "9999-12-31",
                     "enjoined_recipients": ["DOJ-FBI"]}
    assert cli("import", "order", str(write(tmp_path / "o.json", order)), **COUNSEL).code == 0
    for last_review in ("0001-01-01", "9999-12-31"):
        r = cli("import", "agency", str(write(tmp_path / "a.json", AGENCY | {"last_review": last_review})), **ADMIN)
        assert r.code == 0, r.err
    docs = {
        "OLD-I2": request(request_id="OLD-I2", received_on="0001-01-01"),
        "OLD-FOIA": request(request_id="OLD-FOIA", received_on="0001-01-01", authority="foia"),
        "C-OLD": request(request_id="C-OLD", authority="6103(c)", consent=CONSENT | {"signed_on": "0001-01-01"}),
        "C-LATE": request(request_id="C-LATE", authority="6103(c)", consent=CONSENT | {"signed_on": "9999-12-31"}),
        "I1-LATE": request(request_id="I1-LATE", authority="6103(i)(1)",
                           court_order=COURT | {"signed_on": "9999-12-31"}),
        "I1-OLD": request(request_id="I1-OLD", authority="6103(i)(1)", court_order=COURT | {"signed_on": "0001-01-01"}),
    }
    for rid, doc in docs.items():
        r = cli("import", "request", str(write(tmp_path / f"{rid}.json", doc)), **REVIEWER)
        assert r.code == 0, r.err
        r = cli("evaluate", rid, "--json", **REVIEWER)
        assert r.code == 0 and "internal error" not in r.err, r.err
        assert json.loads(r.out)["recommendation"] in ("deny", "blocked", "partial", "grant")
    rows = {row["request_id"]: row for row in json.loads(cli("list", "--json", **REVIEWER).out)}
    assert rows["OLD-I2"]["due_on"] == "0001-01-31" and rows["OLD-I2"]["overdue"]


# -- 14: lone surrogates in JSON --------------------------------------------------------------------------

def _with_escape(doc: dict[str, Any], placeholder: str, escape: str) -> str:
    """The JSON text of `doc` with the string `placeholder` replaced by a raw escape sequence."""
    return json.dumps(doc).replace(placeholder, escape)


@pytest.mark.parametrize(("kind", "doc", "escape", "where"), [
    ("request", request(purpose={"category": "nontax-criminal", "statement": "HOLE"}), "x\\ud800y",
     "$.purpose.statement"),
    ("request", request(subjects=[REQUEST["subjects"][0] | {"name": "HOLE"}]), "\\uDC00", "$.subjects[0].name"),
    ("request", request(requester=REQUEST["requester"] | {"HOLE": 1}), "\\ud83d", "$.requester["),
    ("request", request(periods=["2024", "HOLE"]), "\\udfff\\ud800", "$.periods[1]"),
    ("order", ORDER | {"note": "HOLE"}, "\\ud800", "$.note"),
    ("agency", AGENCY | {"name": "HOLE"}, "a\\udbff", "$.name"),
], ids=["value", "uppercase-low", "key", "reversed-pair", "court-order", "agency"])
def test_a_lone_surrogate_in_any_json_string_is_refused_with_its_path(cli: Cli, tmp_path: Path, kind: str,
                                                                      doc: dict, escape: str, where: str) -> None:
    path = write(tmp_path / f"{kind}.json", _with_escape(doc, "HOLE", escape))
    assert "\\u" in path.read_text()
    err = import_refused(cli, kind, path, where)
    assert "Unicode" in err


def test_a_surrogate_pair_is_a_character_and_imports(own: Cli, tmp_path: Path) -> None:
    cli = own
    doc = request(purpose={"category": "nontax-criminal", "statement": "HOLE"})
    path = write(tmp_path / "pair.json", _with_escape(doc, "HOLE", "Fraud \\ud83d\\udcb8 scheme"))
    assert cli("import", "request", str(path), **REVIEWER).code == 0


def test_a_lone_surrogate_in_the_policy_file_is_refused_naming_the_file(cli: Cli, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    path = write(tmp_path / "policy.json", '{"office_name": "Disclosure Office \\ud800"}')
    path.chmod(0o444)
    r = cli("list", **ADMIN, env={"DWS_POLICY_FILE": str(path)})
    assert r.code == 1 and str(path) in r.err and "office_name" in r.err and "Unicode" in r.err, r.err
    assert "internal error" not in r.err


def test_an_argument_that_is_not_utf8_is_a_usage_error(cli: Cli) -> None:
    r = cli("settings", "set", "office_name", "Office \udcff", **ADMIN)   # how Python reads an undecodable byte
    assert r.code == 2 and "not valid UTF-8" in r.err and "internal error" not in r.err, r.err
    assert state(cli.store)[1].count("setting-changed") == 0


# -- 16: keys and column names are never echoed unless plain ------------------------------------------------

@pytest.mark.parametrize(("key", "where"), [*((k, "purpose") for k in CANARY_KEYS),
                                            *((CANARY_KEYS[0], w) for w in ("top", "subject", "address", "order")),
                                            ("Canarybird", "agency")])
def test_an_unknown_key_is_not_echoed_unless_it_is_a_plain_name(cli: Cli, tmp_path: Path, key: str,
                                                                 where: str) -> None:
    doc: dict[str, Any] = {"order": dict(ORDER), "agency": dict(AGENCY)}.get(where) or request()
    target = {"top": doc, "order": doc, "agency": doc, "purpose": doc.get("purpose"),
              "subject": doc["subjects"][0] if "subjects" in doc else None,
              "address": doc["subjects"][0]["address"] if "subjects" in doc else None}[where]
    target[key] = 1
    kind = {"order": "order", "agency": "agency"}.get(where, "request")
    err = import_refused(cli, kind, write(tmp_path / "k.json", doc), "unrecognised key of")
    assert f"<unrecognised key of {len(key)} characters>" in err and "unknown key" in err


def test_a_plain_unknown_key_is_still_named(cli: Cli, tmp_path: Path) -> None:
    doc = request()
    doc["purpose"]["statment"] = "typo"
    err = import_refused(cli, "request", write(tmp_path / "typo.json", doc), "$.purpose.statment")
    assert "allowed: category, statement" in err


@pytest.mark.parametrize("header", [RECORDS_HEADER + ",Canarybird", RECORDS_HEADER + ",912-70-1234",
                                    RECORDS_HEADER.replace("agi", "Canarybird") + ",Canarybird",
                                    RECORDS_HEADER + ",canarybird_912701234"])
def test_an_unknown_csv_column_is_not_echoed_unless_plain(cli: Cli, tmp_path: Path, header: str) -> None:
    path = tmp_path / "records.csv"
    path.write_text(header + "\n")
    import_refused(cli, "records", path, "line 1")
    bulk = tmp_path / "subjects.csv"
    bulk.write_text("ref,name,tin,street,city,state,zip,periods,case_no,reason," + header.rsplit(",", 1)[1] + "\n")
    doc = request(subjects=None, subjects_csv="subjects.csv")
    before = state_before(cli.store)
    refused(cli("import", "request", str(write(tmp_path / "bulk.json", doc)), **REVIEWER), bulk, "line 1")
    assert state(cli.store) == before


def test_a_policy_key_is_not_echoed_unless_plain(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    for key in CANARY_KEYS:
        path = write(tmp_path / f"policy-{len(key)}.json", {key: 1})
        path.chmod(0o444)
        r = cli("list", **ADMIN, env={"DWS_POLICY_FILE": str(path)})
        assert r.code == 1 and str(path) in r.err and "unknown setting" in r.err, r.err
        assert not any(n in r.err for n in NEEDLES), r.err


def test_a_checkpoint_origin_is_not_echoed(cli: Cli, tmp_path: Path) -> None:
    r = cli("log", "checkpoint", **ADMIN)
    assert r.code == 0, r.err
    _origin, rest = r.out.split("\n", 1)
    forged = write(tmp_path / "forged.checkpoint", "Quentin Canarybird 912-70-1234\n" + rest)
    r = cli("verify", "--against", str(forged), **ADMIN)
    assert r.code in (1, 3) and "another store" in r.out + r.err, (r.out, r.err)
    assert not any(n in r.out + r.err for n in NEEDLES), (r.out, r.err)


def test_a_backup_member_name_is_not_echoed(cli: Cli, tmp_path: Path) -> None:
    backup = tmp_path / "hostile.dwsbackup"
    with tarfile.open(backup, "w") as tar:
        info = tarfile.TarInfo("Quentin Canarybird 912-70-1234.db")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"data"))
    r = cli("restore", str(backup), "--store", str(tmp_path / "restored"))
    assert r.code == 1 and "unexpected member" in r.err and str(backup) in r.err, r.err
    assert not any(n in r.err for n in NEEDLES), r.err

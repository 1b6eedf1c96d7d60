"""The `dws` contract for init, users, imports and the queue (spec/INTERCHANGE.md)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from clihelp import Cli, run_dws

from workstation import clock as clocks
from workstation.service import Workstation
from workstation.store import auditlog

ADMIN = {"user": "admin", "passphrase": "admin-passphrase-1"}

REQUEST = {
    "format": "dws.request/1", "request_id": "DOJ-2026-00001", "received_on": "2026-11-02",
    "authority": "6103(i)(2)", "in_writing": True,
    "requester": {"agency": "Department of Justice", "component": "Federal Bureau of Investigation",
                  "agency_code": "DOJ-FBI", "address_lines": ["935 Pennsylvania Ave NW", "Washington, DC 20535"]},
    "signer": {"name": "A. Official", "title": "Director", "role": "head-of-agency", "signature_present": True},
    "statute": {"citation": "18 U.S.C. 1343", "class": "criminal"},
    "purpose": {"category": "nontax-criminal", "statement": "Investigation of wire fraud"},
    "solely_for_use_certified": True,
    "officers": [{"name": "B. Agent", "title": "Special Agent", "active_matters": 4}],
    "items": ["name", "address"], "periods": ["2023", "2024"],
    "subjects": [{"ref": "1", "name": "Maria Example", "tin": "912-70-1234",
                  "address": {"street": "1200 Congress Ave Apt 4", "city": "Austin", "state": "TX", "zip": "78701"},
                  "periods": ["2024"], "case_no": "CR-24-1187", "reason": "Payments traced in case CR-24-1187"}],
    "subjects_csv": None, "court_order": None, "consent": None,
}

RECORDS_HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,"
                  "refund,dependents,phone,bank_account,wages,employer,interest,hold")


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    c = Cli(tmp_path / "store", capsys, monkeypatch)
    r = c("init", "--admin", "admin", passphrase=ADMIN["passphrase"])
    assert r.code == 0, r.err
    return c


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_init_prints_the_recovery_code_once(tmp_path: Path, capsys, monkeypatch) -> None:
    c = Cli(tmp_path / "s", capsys, monkeypatch)
    r = c("init", "--admin", "admin", "--json", passphrase="admin-passphrase-1")
    assert r.code == 0
    doc = json.loads(r.out)
    assert len(doc["recovery_code"]) == 47 and doc["admin"] == "admin"
    assert "no OS keyring" in r.err
    again = c("init", "--admin", "admin", passphrase="admin-passphrase-1")
    assert again.code == 1 and "already holds a store" in again.err


def test_user_add_and_roles(cli: Cli) -> None:
    r = cli("user", "add", "rita", "--role", "reviewer", **ADMIN, env={"DWS_NEW_PASSPHRASE": "rita-passphrase-1"})
    assert r.code == 0 and "fingerprint" in r.out
    r = cli("user", "list", "--json", **ADMIN)
    assert {u["name"]: u["role"] for u in json.loads(r.out)} == {"admin": "admin", "rita": "reviewer"}
    # A reviewer cannot enrol users.
    r = cli("user", "add", "eve", "--role", "admin", user="rita", passphrase="rita-passphrase-1",
            env={"DWS_NEW_PASSPHRASE": "eve-passphrase-12"})
    assert r.code == 1 and "only an admin user may add or change users" in r.err


def test_passphrase_file_and_missing_passphrase(cli: Cli, tmp_path: Path) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("admin-passphrase-1\n")
    assert cli("list", "--user", "admin", "--passphrase-file", str(pw)).code == 0
    r = cli("list", "--user", "admin")
    assert r.code == 2 and "no passphrase" in r.err
    r = cli("list", passphrase="admin-passphrase-1")
    assert r.code == 2 and "no user" in r.err


def test_wrong_passphrase_exit_1(cli: Cli) -> None:
    r = cli("list", user="admin", passphrase="wrong-passphrase")
    assert r.code == 1 and "wrong passphrase" in r.err


def test_import_request_and_list(cli: Cli, tmp_path: Path) -> None:
    path = write_json(tmp_path / "req.json", REQUEST)
    r = cli("import", "request", str(path), **ADMIN)
    assert r.code == 0, r.err
    assert "DOJ-2026-00001" in r.out and "1 subject from" in r.out
    rows = json.loads(cli("list", "--json", **ADMIN).out)
    left = (date(2026, 12, 2) - clocks.today()).days          # from the one clock: the day the tests run on
    assert rows == [{"request_id": "DOJ-2026-00001", "agency": "Department of Justice", "agency_code": "DOJ-FBI",
                     "authority": "6103(i)(2)", "received_on": "2026-11-02", "due_on": "2026-12-02",
                     "subjects": 1, "status": "new", "recommendation": None,
                     "days_left": left, "overdue": left < 0}]
    table = cli("list", **ADMIN).out
    assert "DOJ-2026-00001" in table and "DOJ-FBI" in table


def test_same_request_twice_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = write_json(tmp_path / "req.json", REQUEST)
    assert cli("import", "request", str(path), **ADMIN).code == 0
    r = cli("import", "request", str(path), **ADMIN)
    assert r.code == 1 and "already in the store" in r.err
    assert len(json.loads(cli("list", "--json", **ADMIN).out)) == 1


def test_foia_due_date_counts_working_days(cli: Cli, tmp_path: Path) -> None:
    doc = dict(REQUEST, request_id="FOIA-1", authority="foia", received_on="2026-11-20")
    cli("import", "request", str(write_json(tmp_path / "f.json", doc)), **ADMIN)
    row = json.loads(cli("list", "--json", **ADMIN).out)[0]
    # 20 working days after Fri 2026-11-20, skipping Thanksgiving (11-26) and Christmas (12-25).
    assert row["due_on"] == "2026-12-21"


def test_records_import_replaces_and_logs(cli: Cli, tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    row = ("912-70-1234,ITIN,Maria Example,1200 Congress Ave Apt 4,Austin,TX,78701,2024-04-15,2024,single,"
           "50000,4000,300,0,,,,,,0")
    csv.write_text(RECORDS_HEADER + "\n" + row + "\n")
    r = cli("import", "records", str(csv), "--json", **ADMIN)
    assert r.code == 0, r.err
    assert json.loads(r.out)["inserted"] == 1
    r = cli("import", "records", str(csv), **ADMIN)
    assert "0 new, 1 replaced" in r.out
    with Workstation(cli.store).unlock("admin", "admin-passphrase-1") as s:
        events = [e for e in auditlog.entries(s.conn) if e.event == "records-imported"]
    assert [e.detail["replaced"] for e in events] == [0, 1]


def test_court_order_needs_counsel(cli: Cli, tmp_path: Path) -> None:
    order = {"format": "dws.court-order/1", "court": "U.S. District Court for the District of Columbia",
             "case_no": "1:25-cv-00457", "caption": "Center for Taxpayer Rights v. IRS", "signed_on": "2025-11-21",
             "effective_from": "2025-11-21", "effective_to": None, "status": "active",
             "enjoined_recipients": ["DHS-ICE"], "enjoined_purposes": ["*"], "enjoined_items": ["address"],
             "note": "Stay"}
    path = write_json(tmp_path / "order.json", order)
    r = cli("import", "order", str(path), **ADMIN)
    assert r.code == 1 and "only a counsel user may import or change court orders" in r.err
    cli("user", "add", "cora", "--role", "counsel", **ADMIN, env={"DWS_NEW_PASSPHRASE": "cora-passphrase-1"})
    r = cli("import", "order", str(path), user="cora", passphrase="cora-passphrase-1")
    assert r.code == 0 and "Imported court order 1:25-cv-00457" in r.out
    r = cli("import", "order", str(path), user="cora", passphrase="cora-passphrase-1")
    assert "Updated court order" in r.out


def test_bad_request_file_names_file_and_path_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    doc = json.loads(json.dumps(REQUEST))
    doc["subjects"][0]["address"]["zipcode"] = "78701"
    path = write_json(tmp_path / "bad.json", doc)
    with Workstation(cli.store).unlock("admin", "admin-passphrase-1") as s:
        before = s.conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    r = cli("import", "request", str(path), **ADMIN)
    assert r.code == 1
    assert "bad.json" in r.err and "$.subjects[0].address" in r.err and "zipcode" in r.err
    assert json.loads(cli("list", "--json", **ADMIN).out) == []
    with Workstation(cli.store).unlock("admin", "admin-passphrase-1") as s:
        kinds = [e.event for e in auditlog.entries(s.conn, since=before)]
    assert "request-imported" not in kinds


def test_usage_error_exit_2_and_version(tmp_path: Path) -> None:
    assert run_dws(tmp_path / "s", "frobnicate").code == 2
    r = run_dws(tmp_path / "s", "--version")
    assert r.code == 0 and r.out.startswith("dws ")


def test_subprocess_exit_codes_without_a_terminal(tmp_path: Path) -> None:
    r = run_dws(tmp_path / "s", "list", env={"DWS_USER": "admin", "DWS_NO_KEYRING": "1"})
    assert r.code == 2 and "no passphrase" in r.err   # no stdin to prompt on
    r = run_dws(tmp_path / "s", "list", env={"DWS_USER": "admin", "DWS_PASSPHRASE": "admin-passphrase-1"})
    assert r.code == 1 and "Traceback" not in r.err


def test_a_failed_bulk_load_leaves_the_empty_store_with_its_indexes(cli: Cli, tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    good = ("912-70-1234,ITIN,Maria Example,1200 Congress Ave Apt 4,Austin,TX,78701,2024-04-15,2024,single,"
            "50000,4000,300,0,,,,,,0")
    csv.write_text(RECORDS_HEADER + "\n" + good + "\n" + good.replace("50000", "5O000") + "\n")
    r = cli("import", "records", str(csv), **ADMIN)
    assert r.code == 1 and "line 3" in r.err and "agi" in r.err
    with Workstation(cli.store).unlock("admin", "admin-passphrase-1") as s:
        names = {n for (n,) in s.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"taxpayer_records_tin", "taxpayer_records_addr"} <= names
        assert s.conn.execute("SELECT count(*) FROM taxpayer_records").fetchone()[0] == 0

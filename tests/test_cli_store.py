"""The `dws` contract for init, users, imports and the queue (spec/INTERCHANGE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from clihelp import Cli, run_dws

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


def test_usage_error_exit_2_and_version(tmp_path: Path) -> None:
    assert run_dws(tmp_path / "s", "frobnicate").code == 2
    r = run_dws(tmp_path / "s", "--version")
    assert r.code == 0 and r.out.startswith("dws ")


def test_subprocess_exit_codes_without_a_terminal(tmp_path: Path) -> None:
    r = run_dws(tmp_path / "s", "list", env={"DWS_USER": "admin", "DWS_NO_KEYRING": "1"})
    assert r.code == 2 and "no passphrase" in r.err   # no stdin to prompt on
    r = run_dws(tmp_path / "s", "list", env={"DWS_USER": "admin", "DWS_PASSPHRASE": "admin-passphrase-1"})
    assert r.code == 1 and "Traceback" not in r.err

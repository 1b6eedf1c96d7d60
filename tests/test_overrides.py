"""Reviewer overrides of the release plan (`dws override`): what changes, what is refused, what the log says.

A small valid 6103(i)(2) request with three subjects that match the records: the plan grants name and address
for all three until a reviewer withholds something.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from clihelp import Cli, Result

from workstation.service import Workstation
from workstation.store import auditlog

PASSPHRASES = {"admin": "admin-passphrase-1", "rita": "reviewer-passphrase-1", "alex": "approver-passphrase-1",
               "cora": "counsel-passphrase-1"}
REQ, REQ_TRI = "DOJ-2026-00100", "DOJ-2026-00101"
REASON_OK = "Address is the subject of an open safety concern"
RECORDS_HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,"
                  "refund,dependents,phone,bank_account,wages,employer,interest,hold")
PEOPLE = (  # name, TIN, street
    ("Maria Example", "912-70-1234", "1200 Congress Ave Apt 4"),
    ("Jose Sample", "123-45-6781", "45 W 3rd St"),
    ("Ana Specimen", "234-56-7892", "PO Box 1187"),
)


def request_doc(request_id: str, items: list[str]) -> dict[str, Any]:
    subjects = [{"ref": str(n), "name": name, "tin": tin,
                 "address": {"street": street, "city": "Austin", "state": "TX", "zip": "78701"},
                 "periods": ["2024", "2025"], "case_no": f"CR-24-{1100 + n}",
                 "reason": f"Funds from the wire fraud in case CR-24-{1100 + n} were paid to this person"}
                for n, (name, tin, street) in enumerate(PEOPLE, 1)]
    return {"format": "dws.request/1", "request_id": request_id, "received_on": "2026-11-02",
            "authority": "6103(i)(2)", "in_writing": True,
            "requester": {"agency": "Department of Justice", "component": "Federal Bureau of Investigation",
                          "agency_code": "DOJ-FBI", "address_lines": ["935 Pennsylvania Ave NW", "Washington, DC"]},
            "signer": {"name": "A. Official", "title": "Director", "role": "head-of-agency",
                       "signature_present": True},
            "statute": {"citation": "18 U.S.C. 1343", "class": "criminal"},
            "purpose": {"category": "nontax-criminal", "statement": "Investigation of wire fraud"},
            "solely_for_use_certified": True,
            "officers": [{"name": "B. Agent", "title": "Special Agent", "active_matters": 4}],
            "items": items, "periods": ["2024", "2025"], "subjects": subjects, "subjects_csv": None,
            "court_order": None, "consent": None}


@pytest.fixture(scope="module")
def base_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Users, records and both requests, made once (each unlock costs an Argon2id derivation); tests copy it."""
    tmp = tmp_path_factory.mktemp("overrides")
    store = tmp / "store"
    rows = [f"{tin},{'ITIN' if tin.startswith('9') else 'SSN'},{name},{street},Austin,TX,78701,{year}-04-15,{year},"
            f"single,50000,4000,300,0,,,,,,0" for name, tin, street in PEOPLE for year in (2024, 2025)]
    (tmp / "records.csv").write_text(RECORDS_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        session, _code, _notice = Workstation(store).init("admin", PASSPHRASES["admin"])
        with session:
            for name, role in (("rita", "reviewer"), ("alex", "approver"), ("cora", "counsel")):
                session.add_user(name, role, PASSPHRASES[name])
            session.import_records(tmp / "records.csv")
            for rid, items in ((REQ, ["name", "address"]), (REQ_TRI, ["name", "address", "agi"])):
                path = tmp / f"{rid}.json"
                path.write_text(json.dumps(request_doc(rid, items)), encoding="utf-8")
                session.import_request(path)
    return store


@pytest.fixture
def cli(base_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> Cli:
    shutil.copytree(base_store, tmp_path / "store")
    return Cli(tmp_path / "store", capsys, monkeypatch)


def as_user(name: str) -> dict[str, str]:
    return {"user": name, "passphrase": PASSPHRASES[name]}


def evaluate(cli: Cli, request_id: str = REQ) -> dict[str, Any]:
    r = cli("evaluate", request_id, "--json", **as_user("rita"))
    assert r.code == 0, r.err
    return json.loads(r.out)


def plan(doc: dict[str, Any]) -> dict[str, tuple[list[str], dict[str, str]]]:
    return {e["ref"]: (e["released"], {w["item"]: w["code"] for w in e["withheld"]}) for e in doc["release"]}


def override(cli: Cli, *args: str, user: str = "rita") -> Result:
    return cli("override", *args, **as_user(user))


def log_events(cli: Cli, event: str) -> list[auditlog.LogEntry]:
    with Workstation(cli.store).unlock("admin", PASSPHRASES["admin"]) as s:
        return [e for e in auditlog.entries(s.conn) if e.event == event]


GRANTED = {ref: (["name", "address"], {}) for ref in ("1", "2", "3")}


def test_withhold_changes_the_plan_is_listed_logged_and_undone(cli: Cli) -> None:
    before = evaluate(cli)
    assert before["recommendation"] == "grant" and plan(before) == GRANTED

    r = override(cli, REQ, "address", "--withhold", "--ref", "2", "--reason", REASON_OK, "--json")
    assert r.code == 0, r.err
    oid = json.loads(r.out)["override"]

    after = evaluate(cli)
    assert after["recommendation"] == "partial"
    assert plan(after) == {**GRANTED, "2": (["name"], {"address": "OVERRIDE"})}
    assert after["counts"] == {"subjects": 3, "releasable": 3, "withheld": 0, "no_record": 0}

    listed = override(cli, REQ, "--list")
    assert listed.code == 0 and "withhold" in listed.out and "address" in listed.out
    assert "active" in listed.out and REASON_OK in listed.out and "rita" in listed.out
    rows = json.loads(override(cli, REQ, "--list", "--json").out)
    assert [(o["id"], o["ref"], o["item"], o["action"], o["undone_at"]) for o in rows] == \
        [(oid, "2", "address", "withhold", None)]

    [entry] = log_events(cli, "override-added")
    assert entry.user == "rita" and entry.object == REQ
    assert entry.detail == {"override": oid, "ref": "2", "item": "address", "action": "withhold",
                            "reason": REASON_OK}

    r = override(cli, REQ, "--undo", str(oid))
    assert r.code == 0 and f"Undid override {oid}" in r.out
    undone = evaluate(cli)
    assert undone["recommendation"] == "grant" and plan(undone) == GRANTED
    assert undone["plan_hash"] == before["plan_hash"]
    assert [e.detail for e in log_events(cli, "override-undone")] == [{"override": oid}]
    assert "undone" in override(cli, REQ, "--list").out
    again = override(cli, REQ, "--undo", str(oid))
    assert again.code == 1 and "already undone" in again.err


def test_withhold_for_every_subject(cli: Cli) -> None:
    assert override(cli, REQ, "address", "--withhold", "--reason", REASON_OK).code == 0
    doc = evaluate(cli)
    assert doc["recommendation"] == "partial"
    assert plan(doc) == {ref: (["name"], {"address": "OVERRIDE"}) for ref in ("1", "2", "3")}


def test_taxpayer_return_information_is_never_released_under_i2(cli: Cli) -> None:
    doc = evaluate(cli, REQ_TRI)
    assert doc["recommendation"] == "partial"
    assert plan(doc)["1"] == (["name", "address"], {"agi": "ITEMS"})
    r = override(cli, REQ_TRI, "agi", "--release", "--ref", "1", "--reason", "Prosecutor insists it is needed")
    assert r.code == 1
    assert "taxpayer return information can never be released" in r.err
    assert plan(evaluate(cli, REQ_TRI)) == plan(doc)
    assert log_events(cli, "override-added") == []


@pytest.mark.parametrize(("args", "message"), [
    (("address", "--withhold", "--ref", "1", "--reason", "Victim named 123-45-6781 in the file"),
     "the reason contains what looks like"),
    (("address", "--withhold", "--ref", "1", "--reason", "stale"), "a written reason of at least 10 characters"),
    (("address", "--withhold", "--ref", "9", "--reason", REASON_OK), f"request {REQ} has no subject with ref '9'"),
    (("agi", "--withhold", "--ref", "1", "--reason", REASON_OK), "'agi' was not requested"),
    (("salary", "--withhold", "--reason", REASON_OK), "invalid choice: 'salary'"),     # a usage error: exit 2
])
def test_bad_overrides_are_refused_with_a_clear_message(cli: Cli, args: tuple[str, ...], message: str) -> None:
    r = override(cli, REQ, *args)
    assert r.code == (2 if "invalid choice" in message else 1) and message in r.err
    assert "912-70-1234" not in r.err and "123-45-6781" not in r.err   # the refusal does not echo the SSN
    assert override(cli, REQ, "--list", "--json").out.strip() == "[]"
    assert evaluate(cli)["recommendation"] == "grant"


@pytest.mark.parametrize("user", ["alex", "cora", "admin"])
def test_only_a_reviewer_may_override(cli: Cli, user: str) -> None:
    r = override(cli, REQ, "address", "--withhold", "--ref", "1", "--reason", REASON_OK, user=user)
    assert r.code == 1 and "only a reviewer may override the release plan" in r.err
    assert log_events(cli, "override-added") == []


def test_override_of_a_missing_request(cli: Cli) -> None:
    r = override(cli, "NO-SUCH-REQ", "address", "--withhold", "--reason", REASON_OK)
    assert r.code == 1 and "no request 'NO-SUCH-REQ'" in r.err


def test_release_or_withhold_needs_an_item_and_a_reason(cli: Cli) -> None:
    r = override(cli, REQ, "address", "--withhold")
    assert r.code == 2 and "--reason" in r.err


def test_no_override_releases_a_subject_under_hold(cli: Cli, tmp_path: Path) -> None:
    """Issue 21, deliverable 6: the officer may still decide against the plan, but a held subject is never
    released, neither by an override of its own nor by one for every subject."""
    name, tin, street = PEOPLE[0]
    held = tmp_path / "held.csv"
    held.write_text(RECORDS_HEADER + "\n" + f"{tin},ITIN,{name},{street},Austin,TX,78701,2025-04-15,2025,single,"
                    "50000,4000,300,0,,,,,,1\n", encoding="utf-8")
    with Workstation(cli.store).unlock("admin", PASSPHRASES["admin"]) as s:
        s.import_records(held)
    doc = evaluate(cli)
    assert plan(doc)["1"] == ([], {"name": "HOLD", "address": "HOLD"})

    r = override(cli, REQ, "address", "--release", "--ref", "1", "--reason", "The prosecutor needs this address")
    assert r.code == 1 and "cannot release address for subject 1" in r.err and "hold" in r.err
    assert log_events(cli, "override-added") == []

    assert override(cli, REQ, "address", "--release", "--reason", "Release the address to every subject").code == 0
    assert override(cli, REQ, "name", "--release", "--reason", "Release the name to every subject too").code == 0
    after = evaluate(cli)
    assert plan(after)["1"] == ([], {"name": "HOLD", "address": "HOLD"})
    assert plan(after)["2"] == (["name", "address"], {})


def test_no_override_releases_a_subject_without_a_single_matched_taxpayer(cli: Cli, tmp_path: Path) -> None:
    """A subject with no record, or with several candidate taxpayers, has nothing to release: an override for
    it is refused, and one for every subject leaves it withheld (the plan, the counts and the letter agree)."""
    name, _tin, street = PEOPLE[1]
    namesake = tmp_path / "namesake.csv"       # a second taxpayer of the same name at subject 2's address
    namesake.write_text(RECORDS_HEADER + "\n" + f"345-67-8903,SSN,{name},{street},Austin,TX,78701,2025-04-15,2025,"
                        "single,50000,4000,300,0,,,,,,0\n", encoding="utf-8")
    with Workstation(cli.store).unlock("admin", PASSPHRASES["admin"]) as s:
        s.import_records(namesake)
    doc = evaluate(cli)
    assert plan(doc)["2"] == ([], {"name": "MATCH", "address": "MATCH"})
    assert doc["counts"]["releasable"] == 2

    r = override(cli, REQ, "address", "--release", "--ref", "2", "--reason", "The prosecutor needs this address")
    assert r.code == 1 and "cannot release address for subject 2" in r.err and "nothing to release" in r.err
    assert log_events(cli, "override-added") == []

    assert override(cli, REQ, "address", "--release", "--reason", "Release the address to every subject").code == 0
    after = evaluate(cli)
    assert plan(after)["2"] == ([], {"name": "MATCH", "address": "MATCH"})
    assert after["counts"]["releasable"] == 2

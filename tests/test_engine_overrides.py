"""Reviewers' overrides of the release plan on both engines (issue 19, i19o; tests/engines.py): the same overrides
give the same findings and plan on a local store and on an office, are refused in the same cases, are undone by a
row of their own in the office (which the server itself keeps: psql as each role), never reach the server in clear
(pg_dump), and carry into the approver's evaluation on another desktop. An office made before overrides were kept
says so in one line and still evaluates."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from engines import Engine, LocalEngine, OfficeEngine, passphrase
from letterdata import AS_OF
from test_engine_decisions import load
from test_office_insider_pg import psql

from workstation.errors import InputError, PermissionDenied, StoreError
from workstation.office import credential
from workstation.office.profile import load as load_profile
from workstation.office.unlock import fetch_slot
from workstation.results import EvaluationDoc
from workstation.service.engine import StoreEngine
from workstation.store.office.roles import roles_for

RID = "LTR-PARTIAL"  # 1-2 released (name, address), TRI withheld for all; 3 ADDRESS, 4 HOLD, 5 MATCH, 6 ADDRESS-MATCH
CANARY_REASON = "Canaryquill Ostrander asked us in writing to keep this address back"
SAME = ("recommendation", "needs_review", "counts", "request_findings", "code_counts", "plan_hash", "findings_hash",
        "released_items", "overrides_rev")


def judged(doc: EvaluationDoc) -> dict[str, Any]:
    """What an evaluation found and planned (not when or by whom)."""
    return {k: doc[k] for k in SAME}  # type: ignore[literal-required]


def steps(engine: Engine, folder: Path) -> list[dict[str, Any]]:
    """The same overrides made and undone on `engine`, with the evaluation after each step."""
    load(engine, folder, RID)
    seen = []
    with engine.open("rita") as rita:
        seen.append(judged(rita.evaluate(RID, AS_OF)))
        first = rita.add_override(RID, "1", "address", "withhold", CANARY_REASON, AS_OF)
        seen.append(judged(rita.evaluate(RID, AS_OF)))
        every = rita.add_override(RID, None, "name", "withhold", "Names are withheld for every subject here", AS_OF)
        seen.append(judged(rita.evaluate(RID, AS_OF)))
        rita.undo_override(RID, every)
        seen.append(judged(rita.evaluate(RID, AS_OF)))
        listed = rita.overrides(RID)
        assert [(o.id, o.ref, o.item, o.action, o.by, o.undone_at is None) for o in listed] == [
            (first, "1", "address", "withhold", "rita", True), (every, None, "name", "withhold", "rita", False)]
        assert listed[0].reason == CANARY_REASON
    return seen


def test_the_same_overrides_give_the_same_findings_and_plan_on_both_engines(
        both_engines: tuple[LocalEngine, OfficeEngine], tmp_path: Path) -> None:
    local, office = both_engines
    here, there = steps(local, tmp_path / "local"), steps(office, tmp_path / "office")
    assert here == there
    plans = [s["plan_hash"] for s in here]
    assert len(set(plans)) == 3 and plans[1] == plans[3]           # undoing gives the plan before it back
    assert "name" in here[1]["released_items"].split(",") and "name" not in here[2]["released_items"].split(",")


def test_refusals_are_the_same_on_both_engines(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "in", RID)
    with engine.open("alex") as alex, \
            pytest.raises(PermissionDenied, match=r"only a (reviewer|preparer) may override the release plan"):
        alex.add_override(RID, "1", "address", "withhold", "An approver may not do this at all", AS_OF)
    with engine.open("rita") as rita:
        with pytest.raises(PermissionDenied, match=r"cannot release agi: .*6103\(i\)\(2\)"):
            rita.add_override(RID, "1", "agi", "release", "The agency insists that it needs this", AS_OF)
        with pytest.raises(PermissionDenied, match="cannot release address for subject 4"):
            rita.add_override(RID, "4", "address", "release", "The hold was lifted last week, we think", AS_OF)
        with pytest.raises(InputError, match="at least 10 characters"):
            rita.add_override(RID, "1", "address", "withhold", "short", AS_OF)
        with pytest.raises(InputError, match="has no subject with ref '99'"):
            rita.add_override(RID, "99", "address", "withhold", "No such subject in this request", AS_OF)
        oid = rita.add_override(RID, "1", "address", "withhold", "Kept back while the case is reviewed", AS_OF)
        with pytest.raises(InputError, match=f"has no override {oid + 7}"):
            rita.undo_override(RID, oid + 7)
        rita.undo_override(RID, oid)
        with pytest.raises(InputError, match=f"override {oid} was already undone"):
            rita.undo_override(RID, oid)
    with engine.open("otto") as otto:
        with pytest.raises(PermissionDenied, match=r"only a (reviewer|preparer) may undo an override"):
            otto.undo_override(RID, oid)
        assert [(o.id, o.undone_at is not None) for o in otto.overrides(RID)] == [(oid, True)]   # every role reads
    events = [(e, o, {k: v for k, v in d.items() if k != "reason"}) for e, o, d in engine.events()
              if e.startswith("override-")]
    added = {"override": oid, "ref": "1", "item": "address", "action": "withhold"}
    if engine.kind == "office":
        added["reason_given"] = True            # the reason's text stays on the desktops (sealed in the office)
    assert events == [("override-added", RID, added), ("override-undone", RID, {"override": oid})]


def test_the_approver_on_another_desktop_evaluates_with_the_preparers_override(engine: Engine,
                                                                               tmp_path: Path) -> None:
    load(engine, tmp_path / "in", RID)
    with engine.open("rita") as rita:
        rita.add_override(RID, "2", "address", "withhold", "Kept back while the case is reviewed", AS_OF)
        signed = rita.decide(RID, "partial", None, passphrase("rita"), AS_OF)
    with engine.open("alex") as alex:
        approved = alex.approve(RID, passphrase("alex"), AS_OF)
        assert (approved.decision_id, approved.status) == (signed.decision_id, "approved")
    with engine.open("rita") as rita:                  # an override after the signature: the approval would refuse
        rita.add_override(RID, "1", "name", "withhold", "Withheld after all, on counsel's advice", AS_OF)
        assert judged(rita.evaluate(RID, AS_OF))["plan_hash"] != _signed_plan(rita, signed.decision_id)


def _signed_plan(s: StoreEngine, decision_id: str) -> str:
    exported = s.export_decision(RID)
    assert exported.decision_id == decision_id
    return str(json.loads(exported.files["decision.json"])["plan_hash"])


# --- what the office server keeps and refuses -------------------------------------------------------------------

def _psql(office: OfficeEngine, login: str, statement: str) -> subprocess.CompletedProcess[str]:
    profile = load_profile(office.profile)
    slot = fetch_slot(profile, login, roles_for(office.dbname))
    assert slot is not None
    opened = credential.open_slot(slot, passphrase(login))
    assert opened is not None
    return psql(profile, login, opened.password, statement)


def _office(engine: Engine) -> OfficeEngine:
    if not isinstance(engine, OfficeEngine):
        pytest.skip("the office server's own rules")
    return engine


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_the_server_keeps_every_override_row_and_lets_only_a_preparer_add_one(engine: Engine, tmp_path: Path) -> None:
    office = _office(engine)
    load(office, tmp_path / "in", RID)
    with office.open("rita") as rita:
        oid = rita.add_override(RID, "1", "address", "withhold", CANARY_REASON, AS_OF)
    with office.superuser() as conn:
        request, sealed = conn.execute("SELECT request, encode(sealed, 'hex') FROM dws.overrides WHERE id = %s",
                                       (oid,)).fetchone()  # type: ignore[misc]
    for login in ("ada", "rita", "alex", "cora", "otto"):
        for statement in (f"UPDATE dws.overrides SET at = 'x' WHERE id = {oid}",
                          f"DELETE FROM dws.overrides WHERE id = {oid}", "TRUNCATE dws.overrides"):
            done = _psql(office, login, statement)
            assert done.returncode != 0 and ("permission denied" in done.stderr or "refused" in done.stderr), (
                login, statement, done.stderr)
        done = _psql(office, login, "SELECT count(*) FROM dws.overrides")
        assert done.returncode == 0 and done.stdout.strip() == "1", (login, done.stderr)
    insert = (f"INSERT INTO dws.overrides (id, request, at, sealed) VALUES (nextval('dws.override_ids'), {request}, "
              f"'2026-11-02T00:00:00Z', '\\x{sealed}')")
    for login in ("ada", "alex", "cora", "otto"):
        done = _psql(office, login, insert)
        assert done.returncode != 0 and "permission denied" in done.stderr, (login, done.stderr)
    done = _psql(office, "rita", f"INSERT INTO dws.overrides (id, request, created_by, at, sealed) VALUES "
                                 f"(nextval('dws.override_ids'), {request}, 'alex', 'x', '\\x{sealed}')")
    assert done.returncode == 0, done.stderr                   # the server writes the row in rita's own name
    with office.superuser() as conn:
        assert {str(r[0]) for r in conn.execute("SELECT created_by FROM dws.overrides").fetchall()} == {"rita"}
        done = _psql(office, "rita", f"INSERT INTO dws.overrides (id, request, undoes, at) VALUES "
                                     f"(nextval('dws.override_ids'), {request}, 999, 'x')")
        assert done.returncode != 0 and "has no override 999" in done.stderr
        with pytest.raises(Exception, match="kept as made"):
            conn.execute("DELETE FROM dws.overrides")          # the owner's trigger refuses the superuser too


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_a_preparer_may_not_override_a_request_another_preparer_claimed(engine: Engine, tmp_path: Path) -> None:
    office = _office(engine)
    load(office, tmp_path / "in", RID)
    with office.open("rita") as rita:
        rita.evaluate(RID, AS_OF)                              # rita's evaluation claims the request
    # as another preparer would (the trigger judges session_user; the superuser is a member of every role)
    with office.superuser() as conn, pytest.raises(Exception, match="claimed by rita: only they may change"):
        conn.execute("INSERT INTO dws.overrides (id, request, at, sealed) SELECT nextval('dws.override_ids'), "
                     "id, 'x', '\\x" + "00" * 40 + "' FROM dws.requests")


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_pg_dump_holds_no_override_reason_or_ref(engine: Engine, tmp_path: Path) -> None:
    office = _office(engine)
    load(office, tmp_path / "in", RID)
    with office.open("rita") as rita:
        rita.add_override(RID, "6", "address", "withhold", CANARY_REASON, AS_OF)
    done = subprocess.run([str(office.host.server.bin / "pg_dump"), "-h", str(office.host.server.socket_dir), "-p",
                           str(office.host.server.port), "-U", "postgres", "--no-owner", office.dbname],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    assert "dws.overrides" in done
    for spelling in ("Canaryquill", "canaryquill", "CANARYQUILL", "Ostrander", "keep this address back"):
        assert spelling.lower() not in done.lower(), spelling
        assert spelling.encode().hex() not in done, spelling                # nor as a bytea's hex


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_an_office_made_before_overrides_says_so_and_still_evaluates(engine: Engine, tmp_path: Path) -> None:
    office = _office(engine)
    load(office, tmp_path / "in", RID)
    with office.superuser() as conn:
        conn.execute("DROP TABLE dws.overrides")
        conn.execute("DROP SEQUENCE dws.override_ids")
        conn.commit()
    with office.open("rita") as rita:
        assert rita.evaluate(RID, AS_OF)["recommendation"] == "partial"
        assert rita.overrides(RID) == []
        with pytest.raises(StoreError, match="made before offices kept overrides") as raised:
            rita.add_override(RID, "1", "address", "withhold", "Kept back while the case is reviewed", AS_OF)
        assert "\n" not in str(raised.value)
        with pytest.raises(StoreError, match="made before offices kept overrides"):
            rita.undo_override(RID, 1)


def test_dws_override_prints_the_same_on_both_engines(engine: Engine, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    load(engine, tmp_path / "in", RID)
    cli = engine.cli(capsys, monkeypatch)
    added = cli("override", RID, "address", "--withhold", "--ref", "1", "--reason", CANARY_REASON, user="rita")
    assert (added.code, added.out) == (0, f"Override 1: withhold address for subject 1 of {RID}.\n")
    assert "dws:" not in added.err.replace("dws: note: checkpoints", "")     # a local store's witness note only
    listed = cli("override", RID, "--list", user="otto")
    assert listed.code == 0, listed.err
    assert listed.out.splitlines()[0].split() == ["ID", "ACTION", "ITEM", "SUBJECT", "STATE", "BY", "AND", "WHY"]
    assert listed.out.splitlines()[1].split()[:6] == ["1", "withhold", "address", "1", "active", "rita:"]
    assert cli("override", RID, "--undo", "1", user="rita").out == f"Undid override 1 of {RID}.\n"
    again = cli("override", RID, "--undo", "1", user="rita")
    assert (again.code, again.err) == (1, "dws: override 1 was already undone\n")
    refused = cli("override", RID, "address", "--release", "--ref", "1", "--reason", CANARY_REASON, user="alex")
    assert refused.code == 1 and "may override the release plan" in refused.err
    js = cli("--json", "override", RID, "--list", user="rita")
    assert [(o["id"], o["ref"], o["undone_at"] is not None) for o in json.loads(js.out)] == [
        (1, "1", True)]

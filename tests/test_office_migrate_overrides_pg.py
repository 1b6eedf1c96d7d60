"""`dws office migrate` carries the local store's overrides and settings (issue 19 item 6), through the real `dws`
against a real TLS PostgreSQL office: a local store with overrides (one undone) on two requests, two changed
settings an admin may set, a changed rule threshold and a changed witness folder moves in all three steps (the
admin's, counsel's `--court-orders`, a preparer's `--overrides`): every count equal, the office log verifying and
extending the checkpoints of every step, and the office's evaluation of each request what the local store's was
(findings, plan, counts and overrides alike), which it is not before the last step. Each step run by the wrong role
is refused in one line with nothing written, by the desktop and, with the desktop's check taken away, by the server
itself; a second run of each step, an override of a request the office does not hold, a request another preparer
claimed and a setting the office holds another value of are each refused in one line with the office unchanged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from clihelp import Result, run_dws
from conftest import ADMIN_PW, COUNSEL_PW, REVIEWER_PW, staffed
from letterdata import AS_OF, COURT_ORDER, REQUESTS, write_records
from officehelp import ADMIN, Office
from officesigned import leaks, passphrase, signed_office

from workstation.errors import PermissionDenied
from workstation.results import EvaluationDoc
from workstation.service import (
    Workstation,
    office_migrate,
    office_migrate_orders,
    office_migrate_overrides,
    office_session,
)
from workstation.service import office_migrate_settings as settings_move
from workstation.service.office_desktop import OfficeWorkstation
from workstation.service.office_migrate_overrides import CARRIED_OVERRIDE, MIGRATED_OVERRIDES
from workstation.settings import DEFAULTS
from workstation.store.office import log
from workstation.store.office.schema import table_counts

REASON = "Canaryquill Ostrander asked us in writing to keep this address back"
ADMIN_SETTINGS = {"office_name": "Austin Disclosure Office", "office_signature_name": "R. Quill"}
COUNSEL_SETTING = ("bulk_threshold", 2)             # LTR-PARTIAL's 6 subjects: BULK needs review
JUDGED = ("recommendation", "needs_review", "counts", "request_findings", "code_counts", "plan_hash", "findings_hash",
          "released_items", "overrides_rev")
MOVED = ("LTR-PARTIAL", "LTR-FOIA")
LOCAL_PW = {"admin": ADMIN_PW, "rita": REVIEWER_PW, "cora": COUNSEL_PW}


@dataclass
class Setting:
    office: Office
    profile: Path
    store: Path
    files: Path
    witness: Path


def write(folder: Path, name: str, doc: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[Setting]:
    office, desk = signed_office(tmp_path)
    store, files, witness = tmp_path / "store", tmp_path / "files", tmp_path / "witness"
    files.mkdir()
    witness.mkdir()
    staffed(Workstation(store)).close()
    write_records(files / "records.csv")
    with Workstation(store).unlock("cora", COUNSEL_PW) as cora:
        cora.import_order(write(files, "order.json", COURT_ORDER))
        cora.change_setting(*COUNSEL_SETTING)
    with Workstation(store).unlock("admin", ADMIN_PW) as admin:
        for key, value in ADMIN_SETTINGS.items():
            admin.change_setting(key, value)
        admin.change_setting("witness_folder", str(tmp_path / "local-witness"))
    with Workstation(store).unlock("rita", REVIEWER_PW) as rita:
        rita.import_records(files / "records.csv")
        for rid in MOVED:
            rita.import_request(write(files, f"{rid}.json", REQUESTS[rid]))
        rita.add_override("LTR-PARTIAL", "1", "address", "withhold", REASON, AS_OF)
        every = rita.add_override("LTR-PARTIAL", None, "name", "withhold", "Names are withheld for every subject",
                                  AS_OF)
        rita.undo_override("LTR-PARTIAL", every)
        rita.add_override("LTR-FOIA", None, "agi", "withhold", "The requester asked for names and addresses only",
                          AS_OF)
    yield Setting(office, desk.path, store, files, witness)
    office.server.stop()


def migrate(s: Setting, user: str, *more: str, local: str = "admin") -> Result:
    return run_dws(s.profile, "--user", user, "office", "migrate", "--profile", str(s.profile), "--from",
                   str(s.store), "--from-user", local, "--witness", str(s.witness), *more,
                   env={"DWS_PASSPHRASE": passphrase(user), "DWS_FROM_PASSPHRASE": LOCAL_PW[local]})


def refused(done: Result) -> str:
    assert done.code == 1 and done.out == "" and len(done.err.strip().splitlines()) == 1, (done.out, done.err)
    return done.err.strip().removeprefix("dws: ")


def judged(doc: EvaluationDoc) -> dict[str, Any]:
    return {k: doc[k] for k in JUDGED}  # type: ignore[literal-required]


def local_view(s: Setting) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[Any, ...]]], dict[str, Any]]:
    """(request -> what its evaluation found, request -> its overrides, the settings) in the local store."""
    with Workstation(s.store).unlock("rita", REVIEWER_PW) as rita:
        return ({rid: judged(rita.evaluate(rid, AS_OF)) for rid in MOVED},
                {rid: [(o.ref, o.item, o.action, o.reason, o.by, o.at, o.undone_at) for o in rita.overrides(rid)]
                 for rid in MOVED}, dict(rita.settings()))


def office_view(s: Setting) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[Any, ...]]], dict[str, Any]]:
    """The same in the office, read by its auditor (whose evaluation the office does not record)."""
    aud = OfficeWorkstation(s.profile).unlock("aud", passphrase("aud"))
    try:
        return ({rid: judged(aud.evaluate(rid, AS_OF)) for rid in MOVED},
                {rid: [(o.ref, o.item, o.action, o.reason, o.by, o.at, o.undone_at) for o in aud.overrides(rid)]
                 for rid in MOVED}, dict(aud.settings()))
    finally:
        aud.close()


def state(s: Setting) -> tuple[dict[str, int], list[tuple[Any, ...]], list[tuple[Any, ...]], list[str]]:
    """What a refused step must leave as it was: the table counts, the log, the overrides' and settings' rows."""
    with s.office.superuser() as conn:
        return (table_counts(conn), log.entries(conn),
                conn.execute("SELECT id, request, undoes, at, created_by, sealed FROM dws.overrides ORDER BY id")
                .fetchall(), [str(k) for (k,) in conn.execute("SELECT key FROM dws.settings ORDER BY key")])


def test_every_step_moves_and_the_office_evaluates_as_the_local_store(setting: Setting) -> None:
    s = setting
    here, local_overrides, local_settings = local_view(s)
    assert here["LTR-PARTIAL"]["code_counts"]["BULK"] == {"needs-review": 1}
    done = migrate(s, ADMIN, "--json")
    assert done.code == 0, done.err
    out = json.loads(done.out)
    assert (out["settings"], out["counsel_settings_left"], out["overrides_left"], out["settings_not_moved"],
            out["court_orders_left"]) == (sorted(ADMIN_SETTINGS), ["bulk_threshold"], 3, ["witness_folder"], 1)
    there, _overrides, office_settings = office_view(s)
    assert {k: office_settings[k] for k in ADMIN_SETTINGS} == ADMIN_SETTINGS
    assert office_settings["bulk_threshold"] == DEFAULTS["bulk_threshold"]
    assert office_settings["witness_folder"] == "" != local_settings["witness_folder"]
    assert all(there[rid] != here[rid] for rid in MOVED)       # without the overrides and threshold, not the same
    # counsel's step: the court orders and the rule threshold
    counsel = migrate(s, "cal", "--court-orders", local="cora")
    assert counsel.code == 0, counsel.err
    assert counsel.out.splitlines()[0] == (f"Moved 1 court order of the local store {out['store_id'][:16]} into the "
                                           "office's register, and 1 rule threshold (bulk_threshold).")
    # the preparer's step: the overrides, under pat's login, the original author and time kept
    carried = migrate(s, "pat", "--overrides", local="rita")
    assert carried.code == 0, carried.err
    assert carried.out.splitlines()[0] == (
        f"Carried 3 overrides (1 undone) of the local store {out['store_id'][:16]} into the office, on 2 requests: "
        "each added under your login, its sealed value naming its original author and time, one office log entry "
        "each.")
    there, office_overrides, office_settings = office_view(s)
    assert there == here                                        # the same findings, plan, counts and overrides_rev
    assert {rid: [(*o[:4], o[4].replace(" (carried in by pat)", ""), *o[5:]) for o in rows]
            for rid, rows in office_overrides.items()} == local_overrides
    assert all(o[4] == "rita (carried in by pat)" for rows in office_overrides.values() for o in rows)
    assert {k: v for k, v in office_settings.items() if k != "witness_folder"} == {
        k: v for k, v in local_settings.items() if k != "witness_folder"}
    # every count equal: 3 overrides and 1 undo row, 3 settings, one log entry per carried override and setting
    counts, entries, overrides, settings = state(s)
    assert (len([o for o in overrides if o[2] is None]), len([o for o in overrides if o[2] is not None])) == (3, 1)
    assert {o[4] for o in overrides} == {"pat"} and settings == sorted([*ADMIN_SETTINGS, "bulk_threshold"])
    events = [e[3] for e in entries]
    assert (events.count(CARRIED_OVERRIDE), events.count(MIGRATED_OVERRIDES), events.count("setting-changed")) == (
        3, 1, 3)
    assert all(REASON not in str(e[5]) for e in entries if e[3] != "local-log-entry")    # (that one is sealed)
    final = json.loads(str(entries[-1][5]))
    assert (entries[-1][3], entries[-1][8], final["overrides"], final["undone"]) == (MIGRATED_OVERRIDES, "pat", 3, 1)
    assert counts["office_log"] == len(entries)
    assert leaks(s.office, [REASON, "Canaryquill", "Ostrander"]) == []      # the reason sealed, in every entry too
    # the office log verifies and extends the checkpoints before and after each of the three steps
    verified = run_dws(s.profile, "verify", "--against", str(s.witness), "--json",
                       env={"DWS_USER": "aud", "DWS_PASSPHRASE": passphrase("aud")})
    assert verified.code == 0, verified.out + verified.err
    assert [w["ok"] for w in json.loads(verified.out)["witnesses"]] == [True] * 6
    # a second run of each step is refused in one line, and writes nothing
    before = state(s)
    assert refused(migrate(s, ADMIN)).endswith("a store is migrated once; nothing was changed")
    assert refused(migrate(s, "cal", "--court-orders", local="cora")).endswith(
        "they are moved once; nothing was changed")
    again = refused(migrate(s, "pat", "--overrides", local="rita"))
    assert again.startswith("this local store's overrides were carried into the office on ") and again.endswith(
        f"by pat (office log entry {len(entries)}); they are carried once; nothing was changed")
    assert state(s) == before


def test_each_step_by_the_wrong_role_is_refused_by_the_desktop_and_by_the_server(
        setting: Setting, monkeypatch: pytest.MonkeyPatch) -> None:
    s = setting
    empty = state(s)
    assert refused(migrate(s, "cal")) == ("only an office admin may migrate a local store into the office (cal is not "
                                          "one); nothing was changed")
    # the desktop's check taken away, the server itself refuses: an admin's transaction that set a rule threshold
    monkeypatch.setattr(office_migrate, "require_office_admin", lambda o: None)
    monkeypatch.setattr(settings_move, "ADMINS", (*settings_move.ADMINS, "bulk_threshold"))
    with office_session.opened(s.profile, ADMIN, passphrase(ADMIN)) as office, \
            Workstation(s.store).unlock("admin", ADMIN_PW) as admin, pytest.raises(PermissionDenied) as admin_sets:
        admin.migrate_to_office(office)
    assert str(admin_sets.value) == ("the office server refuses it: your office role may not write what a migration "
                                     "writes (only counsel may change the rule threshold bulk_threshold); nothing was "
                                     "migrated")
    assert state(s) == empty
    monkeypatch.undo()
    assert migrate(s, ADMIN).code == 0
    moved = state(s)
    for user, local, step, said in (
            (ADMIN, "admin", "--overrides", f"only a preparer may carry a local store's overrides into the office (the "
                                            f"server lets a preparer alone add an override; {ADMIN} is not a "
                                            "preparer there); nothing was changed"),
            ("cal", "cora", "--overrides", "only a preparer may carry a local store's overrides into the office (the "
                                           "server lets a preparer alone add an override; cal is not a preparer "
                                           "there); nothing was changed"),
            ("pat", "rita", "--court-orders", "only counsel may move a local store's court orders and rule thresholds "
                                              "into the office (the server lets counsel alone write the court-order "
                                              "register and set the rule thresholds; pat is not counsel there); "
                                              "nothing was changed")):
        assert refused(migrate(s, user, step, local=local)) == said
        assert state(s) == moved
    assert refused(migrate(s, "pat", "--overrides", local="cora")) == (
        "only a reviewer or an admin of the local store may carry its overrides into the office (cora is counsel "
        "there); nothing was changed")
    # and without the desktop's checks, the server: an admin may not add an override, nor write the court orders
    monkeypatch.setattr(office_migrate_overrides, "require_office_preparer", lambda o: None)
    monkeypatch.setattr(office_migrate_orders, "require_office_counsel", lambda o: None)
    with office_session.opened(s.profile, ADMIN, passphrase(ADMIN)) as office, \
            Workstation(s.store).unlock("admin", ADMIN_PW) as admin:
        with pytest.raises(PermissionDenied) as overrides:
            admin.migrate_overrides_to_office(office)
        assert str(overrides.value) == ("the office server refuses it: only a preparer may add an override "
                                        "(permission denied for sequence override_ids); nothing was migrated")
        with pytest.raises(PermissionDenied) as orders:
            admin.migrate_orders_to_office(office)
        assert str(orders.value).startswith("the office server refuses it: only counsel may write the court-order "
                                            "register and set the rule thresholds (") and str(orders.value).endswith(
                                                "); nothing was migrated")
    assert state(s) == moved


def test_a_request_the_office_does_not_hold_or_another_preparer_claimed_stops_it(setting: Setting) -> None:
    s = setting
    assert migrate(s, ADMIN).code == 0
    late = write(s.files, "late.json", REQUESTS["LTR-WITHDRAWN"])
    with Workstation(s.store).unlock("rita", REVIEWER_PW) as rita:        # after the store moved: only here
        rita.import_request(late)
        rita.add_override("LTR-WITHDRAWN", None, "address", "withhold", "Addresses stay back on this one", AS_OF)
    before = state(s)
    assert refused(migrate(s, "pat", "--overrides", local="rita")) == (
        "the local store has overrides of request LTR-WITHDRAWN the office does not hold (imported into the local "
        "store after its migration?): import them into the office first; nothing was migrated")
    assert state(s) == before
    # imported into the office too (the same package), it goes; but pam, a preparer, claimed another meanwhile
    assert run_dws(s.profile, "import", "request", str(late),
                   env={"DWS_USER": "pat", "DWS_PASSPHRASE": passphrase("pat")}).code == 0
    claimed = run_dws(s.profile, "evaluate", "LTR-FOIA", "--summary",
                      env={"DWS_USER": "pam", "DWS_PASSPHRASE": passphrase("pam")})
    assert claimed.code == 0, claimed.err
    before = state(s)
    assert refused(migrate(s, "pat", "--overrides", local="rita")) == (
        "the office server refuses it: request LTR-FOIA is claimed by pam: only they may change its release plan; "
        "nothing was migrated")
    assert state(s) == before
    done = migrate(s, "pam", "--overrides", "--json", local="rita")
    assert done.code == 0, done.err
    assert (json.loads(done.out)["overrides"], json.loads(done.out)["requests"]) == (4, [*sorted(MOVED),
                                                                                         "LTR-WITHDRAWN"])


def test_a_setting_the_office_holds_another_value_of_stops_it_and_the_text_says_what_is_left(
        setting: Setting) -> None:
    s = setting
    changed = run_dws(s.profile, "settings", "set", "office_name", "Dallas Disclosure Office",
                      env={"DWS_USER": ADMIN, "DWS_PASSPHRASE": passphrase(ADMIN)})
    assert changed.code == 0, changed.err
    before = state(s)
    assert refused(migrate(s, ADMIN)) == (
        "setting 'office_name' is \"Dallas Disclosure Office\" in the office and \"Austin Disclosure Office\" in the "
        "local store: an office has one value for every desktop; set one to the other's ('dws settings set') and run "
        "it again; nothing was migrated")
    assert state(s) == before and before[0]["requests"] == 0
    assert run_dws(s.profile, "settings", "set", "office_name", ADMIN_SETTINGS["office_name"],
                   env={"DWS_USER": ADMIN, "DWS_PASSPHRASE": passphrase(ADMIN)}).code == 0
    done = migrate(s, ADMIN)
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert "  1 setting an admin may set (office_signature_name)" in lines          # office_name agreed already
    assert "  Setting witness_folder is not moved: each office desktop writes the office log's checkpoints to its " \
           "own witness folder (an office policy file's 'witness_folder', else its office profile's \"witness\", " \
           "else beside the profile), not an office-wide setting." in lines
    assert lines[-2:] == [
        "Left for counsel, whom the server lets alone write the court-order register and set the rule thresholds: 1 "
        "court order and 1 rule threshold (bulk_threshold): dws --user COUNSEL office migrate --profile FILE --from "
        "DIR --court-orders",
        "Left for a preparer, whom the server lets alone add an override: 3 overrides: dws --user PREPARER office "
        "migrate --profile FILE --from DIR --overrides"]

"""Settings, preferences and users on both engines (issue 19, i19o; tests/engines.py): an office keeps one set of
settings for every desktop with the local store's roles and checks (the server refusing the rest itself), its
evaluations use them as a local store uses its own, each login keeps its own display preferences, and its users
are listed as a local store lists them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engines import USERS, Engine, LocalEngine, OfficeEngine
from letterdata import AS_OF
from test_engine_decisions import load
from test_engine_overrides import RID, _office, _psql, judged

from workstation.errors import InputError, PermissionDenied, StoreError
from workstation.settings import COUNSEL_SETTINGS, DEFAULTS


def test_the_defaults_and_who_may_change_what_are_the_same(engine: Engine) -> None:
    with engine.open("ada") as ada, engine.open("cora") as cora, engine.open("rita") as rita:
        office_only = {"witness_folder"} if engine.kind == "office" else set()
        assert dict(ada.settings()) == DEFAULTS
        rows = {r.key: r for r in ada.setting_rows()}
        assert set(rows) == set(DEFAULTS) and all(r.value == r.default for r in rows.values())
        assert {k for k, r in rows.items() if r.refusal is None} == set(DEFAULTS) - COUNSEL_SETTINGS - office_only
        assert {k for k, r in rows.items() if r.refusal and "only counsel" in r.refusal} == COUNSEL_SETTINGS
        assert {r.key for r in cora.setting_rows() if r.refusal is None} == set(DEFAULTS) - office_only
        assert all(r.refusal and r.refusal.startswith("only an admin or counsel user may change settings (you are "
                                                      f"{engine.role('rita')})") for r in rita.setting_rows())
        if engine.kind == "office":
            assert "writes the office log's checkpoints to its own witness folder" in str(
                ada.setting_refusal("witness_folder"))


def test_changes_are_checked_kept_logged_and_read_by_every_user(engine: Engine) -> None:
    with engine.open("ada") as ada:
        ada.change_setting("office_name", "Austin Disclosure Office")
        with pytest.raises(PermissionDenied, match="only counsel may change the rule threshold 'bulk_threshold'"):
            ada.change_setting("bulk_threshold", 2)
        with pytest.raises(InputError, match="expected a whole number"):
            ada.change_setting("idle_lock_minutes", "soon")
        with pytest.raises(InputError, match="name and title are the same text"):
            ada.change_setting("office_signature_title", ada.setting("office_signature_name"))
    with engine.open("rita") as rita:
        with pytest.raises(PermissionDenied, match="only an admin or counsel user may change settings"):
            rita.change_setting("office_name", "Rita's Office")
        assert rita.setting("office_name") == "Austin Disclosure Office"       # every user reads the store's
    with engine.open("cora") as cora:
        cora.change_setting("bulk_threshold", "2")
        assert cora.settings()["bulk_threshold"] == 2
    changed = [(o, d) for e, o, d in engine.events() if e == "setting-changed"]
    assert changed == [("office_name", {"from": DEFAULTS["office_name"], "to": "Austin Disclosure Office"}),
                       ("bulk_threshold", {"from": 100, "to": 2})]


def test_an_office_evaluates_with_its_settings_as_a_local_store_with_its_own(
        both_engines: tuple[LocalEngine, OfficeEngine], tmp_path: Path) -> None:
    seen = []
    for engine in both_engines:
        load(engine, tmp_path / engine.kind, RID)
        with engine.open("rita") as rita:
            before = judged(rita.evaluate(RID, AS_OF))
        with engine.open("cora") as cora:
            cora.change_setting("bulk_threshold", 5)          # LTR-PARTIAL names six subjects: BULK needs review
        with engine.open("rita") as rita:
            after = judged(rita.evaluate(RID, AS_OF))
        assert after["code_counts"]["BULK"] == {"needs-review": 1} and before["code_counts"]["BULK"] == {"pass": 1}
        seen.append(after)
    assert seen[0] == seen[1]


def test_each_user_keeps_their_own_preferences(engine: Engine) -> None:
    with engine.open("rita") as rita, engine.open("alex") as alex:
        assert rita.preference("high_contrast") is None
        assert rita.set_preference("high_contrast", True) is True
        assert alex.preference("high_contrast") is None
        with pytest.raises(InputError, match="unknown preference 'font'"):
            rita.set_preference("font", "large")
        with pytest.raises(InputError, match="must be bool"):
            rita.set_preference("high_contrast", "yes")
    with engine.open("rita") as rita:
        assert rita.preference("high_contrast") is True
        rita.set_preference("high_contrast", None)
        assert rita.preference("high_contrast") is None
    assert not [e for e, _o, _d in engine.events() if "preference" in e]       # a preference decides nothing


def test_users_are_listed_alike(engine: Engine) -> None:
    """Each engine lists its users alike (on an office, also users other tests' offices on this worker's server
    enrolled: login roles are the server's, not one database's; those are left out here)."""
    with engine.open("otto") as otto:
        listed = [u for u in otto.users() if u.name in USERS]
    assert [(u.name, u.role, u.active, u.key_location) for u in listed] == [
        (name, engine.role(name), True, "keyslot") for name in sorted(USERS)]
    assert all(len(u.fingerprint.split(":")) == 8 for u in listed)


def test_dws_settings_and_user_list_print_alike(engine: Engine, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cli = engine.cli(capsys, monkeypatch)
    done = cli("settings", "set", "office_phone", "(512) 555-0199", user="ada")
    assert (done.code, done.out) == (0, "Set office_phone to (512) 555-0199 (was (202) 555-0100). Stored evaluations "
                                        "are made again when next opened.\n"), done.err
    assert cli("settings", "get", "office_phone", user="otto").out == "(512) 555-0199\n"
    refused = cli("settings", "set", "bulk_threshold", "5", user="ada")
    assert (refused.code, refused.err) == (1, "dws: only counsel may change the rule threshold 'bulk_threshold'\n")
    listed = cli("--json", "settings", "list", user="rita")
    rows = {r["key"]: r for r in json.loads(listed.out)}
    assert rows["office_phone"]["value"] == "(512) 555-0199" and not rows["office_phone"]["may_change"]
    # An office's users are the server's login roles, shared by every database on it: the tests' offices are copies
    # on one server per worker, so a user another module enrolled (test_engine_cards.py's) is listed there too.
    users = cli("user", "list", user="rita")
    assert users.code == 0 and [line.split()[:2] for line in users.out.splitlines()
                                if line.split()[0] in USERS] == [[name, engine.role(name)] for name in sorted(USERS)]
    js: list[dict[str, Any]] = [u for u in json.loads(cli("--json", "user", "list", user="rita").out)
                                if u["name"] in USERS]
    assert [sorted(u) for u in js] == [["active", "fingerprint", "key", "name", "role"]] * len(USERS)


# --- what the office server keeps and refuses -------------------------------------------------------------------

@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_the_server_lets_only_the_local_stores_roles_write_settings(engine: Engine) -> None:
    office = _office(engine)
    with office.open("ada") as ada:
        ada.change_setting("office_name", "Austin Disclosure Office")
    with office.superuser() as conn:
        sealed = conn.execute("SELECT encode(sealed, 'hex') FROM dws.settings WHERE key = 'office_name'").fetchone()
    assert sealed is not None
    assert b"Austin".hex() not in str(sealed[0])
    write = f"INSERT INTO dws.settings (key, sealed) VALUES ('{{key}}', '\\x{sealed[0]}')"
    for login in ("rita", "alex", "otto"):
        done = _psql(office, login, write.format(key="office_phone"))
        assert done.returncode != 0 and "permission denied" in done.stderr, (login, done.stderr)
    done = _psql(office, "ada", write.format(key="bulk_threshold"))
    assert done.returncode != 0 and "only counsel may change the rule threshold bulk_threshold" in done.stderr
    for login in ("ada", "cora"):
        done = _psql(office, login, "DELETE FROM dws.settings")
        assert done.returncode != 0 and "permission denied" in done.stderr, (login, done.stderr)
    with office.superuser() as conn, pytest.raises(Exception, match="settings are kept"):
        conn.execute("DELETE FROM dws.settings")            # the trigger refuses the owner and a superuser too
    with office.open("ada") as ada:            # a value the server moved to another key does not open
        assert _psql(office, "ada", write.format(key="office_phone")).returncode == 0
        with pytest.raises(Exception, match="setting 'office_phone' was tampered with on the office server"):
            ada.settings()


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_a_login_reads_only_its_own_preferences_on_the_server(engine: Engine) -> None:
    office = _office(engine)
    with office.open("rita") as rita:
        rita.set_preference("high_contrast", True)
    assert _psql(office, "rita", "SELECT login, key, value FROM dws.user_preferences").stdout.strip() == (
        "rita|high_contrast|true")
    for login in ("ada", "alex"):
        assert _psql(office, login, "SELECT count(*) FROM dws.user_preferences").stdout.strip() == "0"
        done = _psql(office, login, "UPDATE dws.user_preferences SET value = 'false'")
        assert done.returncode == 0 and _psql(office, "rita", "SELECT value FROM dws.user_preferences").stdout.strip(
        ) == "true"
        done = _psql(office, login, "INSERT INTO dws.user_preferences (login, key, value) VALUES "
                                    "('rita', 'high_contrast', 'false')")
        assert done.returncode != 0 and "row-level security" in done.stderr


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_an_office_made_before_settings_gives_the_defaults_and_says_so(engine: Engine) -> None:
    office = _office(engine)
    with office.superuser() as conn:
        conn.execute("DROP TABLE dws.settings, dws.user_preferences")
        conn.commit()
    with office.open("ada") as ada:
        assert dict(ada.settings()) == DEFAULTS
        assert ada.preference("high_contrast") is None and ada.set_preference("high_contrast", True) is False
        with pytest.raises(StoreError, match="made before offices kept settings") as raised:
            ada.change_setting("office_name", "Austin Disclosure Office")
        assert "\n" not in str(raised.value)

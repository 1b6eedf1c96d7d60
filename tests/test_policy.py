"""Office policy (workstation/policy.py): settings an administrator fixes in a file users cannot write."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from clihelp import Cli
from conftest import ADMIN_PW, COUNSEL_PW

from workstation import policy
from workstation.errors import PermissionDenied
from workstation.policy import PolicyError
from workstation.settings import DEFAULTS
from workstation.store import auditlog
from workstation.store.evaluation import data_version


def write_policy(path: Path, doc: object) -> Path:
    """Write a policy file the way an administrator would: read-only for the user."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.chmod(0o644)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), "utf-8")
    path.chmod(0o444)
    return path


@pytest.fixture(autouse=True)
def _no_site_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither the machine's /etc/xdg policy nor a DWS_POLICY_FILE of the caller reaches these tests; the files
    they write count as an administrator's (owned by this user, standing in for root)."""
    monkeypatch.setenv("XDG_CONFIG_DIRS", str(tmp_path / "site-config"))
    monkeypatch.setattr(policy, "SYSTEM_DIRS", ())
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    monkeypatch.delenv("DWS_POLICY_FILE", raising=False)


@pytest.fixture
def policy_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DWS_POLICY_FILE names a file that fixes nothing yet (the tests then write what they need)."""
    path = write_policy(tmp_path / "policy" / "policy.json", {})
    monkeypatch.setenv("DWS_POLICY_FILE", str(path))
    return path


def test_no_policy_file_fixes_nothing(admin) -> None:
    assert policy.current() == policy.Policy()
    assert admin.settings() == DEFAULTS
    admin.change_setting("idle_lock_minutes", 7)
    assert admin.setting("idle_lock_minutes") == 7


def test_site_config_file_is_the_default_location(tmp_path: Path, workstation,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site-config" / "disclosure-workstation" / "policy.json"
    assert policy.default_path() == site
    # $XDG_CONFIG_DIRS may list several folders (Ubuntu: /etc/xdg/xdg-ubuntu:/etc/xdg): the first file found wins,
    # and /etc/xdg counts even when the user's $XDG_CONFIG_DIRS leaves it out
    monkeypatch.setenv("XDG_CONFIG_DIRS", os.pathsep.join([str(tmp_path / "session-xdg"), str(tmp_path / "user-xdg")]))
    monkeypatch.setattr(policy, "SYSTEM_DIRS", (tmp_path / "site-config",))
    assert policy.site_paths() == [tmp_path / d / "disclosure-workstation" / "policy.json"
                                   for d in ("session-xdg", "user-xdg", "site-config")]
    assert policy.policy_path() == (tmp_path / "session-xdg" / "disclosure-workstation" / "policy.json", False)
    write_policy(site, {"idle_lock_minutes": 5, "_note": "set by IT, ticket 4711"})
    session, _code, _notice = workstation.init("admin", ADMIN_PW)
    with session:
        assert session.setting("idle_lock_minutes") == 5
        assert session.settings()["idle_lock_minutes"] == 5
        assert "_note" not in session.settings()


def test_policy_values_win_and_cannot_be_changed(policy_file: Path, workstation) -> None:
    session, _code, _notice = workstation.init("admin", ADMIN_PW)
    session.add_user("cora", "counsel", COUNSEL_PW)
    session.change_setting("office_name", "Old Office Name")      # a store value the policy will override
    session.close()
    write_policy(policy_file, {"office_name": "Disclosure Office, Ogden UT", "idle_lock_minutes": "5",
                               "office_address_lines": ["1973 N Rulon White Blvd", "Ogden, UT 84201"],
                               "bulk_threshold": 50})
    with workstation.unlock("admin", ADMIN_PW) as s:
        values = s.settings()
        assert values["office_name"] == "Disclosure Office, Ogden UT"
        assert values["idle_lock_minutes"] == 5                   # coerced like any setting change
        assert s.setting("office_address_lines") == ["1973 N Rulon White Blvd", "Ogden, UT 84201"]
        with pytest.raises(PermissionDenied, match=r"set by the office policy in .*policy\.json"):
            s.change_setting("idle_lock_minutes", 30)
        with pytest.raises(PermissionDenied, match="office policy"):
            s.change_setting("office_name", "Somewhere Else")
        s.change_setting("office_phone", "(801) 555-0100")       # not fixed: still the admin's to change
        assert s.setting("office_phone") == "(801) 555-0100"
    with workstation.unlock("cora", COUNSEL_PW) as s:                 # counsel owns thresholds, but not this one
        with pytest.raises(PermissionDenied, match="office policy"):
            s.change_setting("bulk_threshold", 1000)
        assert s.setting("bulk_threshold") == 50
        s.change_setting("consent_max_age_days", 90)
    policy_file.chmod(0o644)
    policy_file.unlink()
    policy_file.parent.rmdir()
    with pytest.raises(PolicyError, match="does not exist"):          # named by DWS_POLICY_FILE: must exist
        workstation.unlock("admin", ADMIN_PW)


def test_a_policy_change_is_logged_and_makes_evaluations_stale(policy_file: Path, workstation,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    session, _code, _notice = workstation.init("admin", ADMIN_PW)
    session.close()
    write_policy(policy_file, {"bulk_threshold": 50})
    with workstation.unlock("admin", ADMIN_PW) as s:
        version = data_version(s.conn)
        changes = [e for e in auditlog.entries(s.conn) if e.event == "policy-changed"]
        assert len(changes) == 2                                      # the empty policy at init, then this one
        assert changes[0].detail == {"from": {"file": None, "values": {}},
                                     "to": {"file": str(policy_file), "values": {}}}
        assert changes[1].detail["to"] == {"file": str(policy_file), "values": {"bulk_threshold": 50}}
        assert changes[1].user == "admin"
    with workstation.unlock("admin", ADMIN_PW) as s:                  # unchanged: nothing logged, nothing stale
        assert data_version(s.conn) == version
        assert len([e for e in auditlog.entries(s.conn) if e.event == "policy-changed"]) == 2
    write_policy(policy_file, {"bulk_threshold": 60})
    with workstation.unlock("admin", ADMIN_PW) as s:
        assert data_version(s.conn) == version + 1
        last = [e for e in auditlog.entries(s.conn) if e.event == "policy-changed"][-1]
        assert last.detail["from"]["values"] == {"bulk_threshold": 50}
        assert last.detail["to"]["values"] == {"bulk_threshold": 60}
        assert auditlog.first_break(s.conn) is None
    monkeypatch.delenv("DWS_POLICY_FILE")                              # the policy withdrawn: logged too
    with workstation.unlock("admin", ADMIN_PW) as s:
        assert data_version(s.conn) == version + 2
        assert s.setting("bulk_threshold") == DEFAULTS["bulk_threshold"]


@pytest.mark.parametrize(("doc", "message"), [
    ({"idle_lock_minute": 5}, r"unknown setting 'idle_lock_minute'"),
    ({"idle_lock_minutes": "soon"}, r"setting 'idle_lock_minutes': expected a whole number"),
    ({"idle_lock_minutes": -1}, r"setting 'idle_lock_minutes': expected a whole number"),
    ({"office_address_lines": "1 Main St"}, r"setting 'office_address_lines': expected a list of strings"),
    ({"office_name": 42}, r"setting 'office_name': expected text"),
    ('{"idle_lock_minutes": 5,}', r"is not valid JSON \(line 1, column 25"),
    ('["idle_lock_minutes", 5]', r"must be a JSON object"),
])
def test_a_bad_policy_file_gives_one_clear_error(policy_file: Path, doc: object, message: str) -> None:
    write_policy(policy_file, doc)
    with pytest.raises(PolicyError) as err:
        policy.current()
    text = str(err.value)
    assert text.startswith(f"office policy {policy_file}: ")
    assert len(text.splitlines()) == 1
    assert re.search(message, text), text


def test_a_bad_policy_refuses_the_unlock(policy_file: Path, workstation) -> None:
    session, _code, _notice = workstation.init("admin", ADMIN_PW)
    session.close()
    write_policy(policy_file, {"idle_lock_minutes": 5, "office_nam": "typo"})
    with pytest.raises(PolicyError, match=r"policy\.json: unknown setting 'office_nam'"):
        workstation.unlock("admin", ADMIN_PW)


def test_a_bad_policy_stops_init_before_creating_anything(policy_file: Path, workstation, store_dir) -> None:
    write_policy(policy_file, {"no_such_setting": 1})
    with pytest.raises(PolicyError, match="no_such_setting"):
        workstation.init("admin", ADMIN_PW)
    assert not store_dir.exists()


def test_a_policy_file_the_user_owns_or_can_write_is_refused(policy_file: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write_policy(policy_file, {"idle_lock_minutes": 5})
    assert policy.current().values == {"idle_lock_minutes": 5}
    monkeypatch.setattr(policy, "_is_root", lambda: False)             # root may use any file: act as a user
    policy_file.chmod(0o644)                                           # the owner (this user) may write it now
    with pytest.raises(PolicyError, match=r"is writable by this user, so it cannot fix anything"):
        policy.current()
    policy_file.chmod(0o444)
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0}) if os.getuid() else frozenset({4242}))
    with pytest.raises(PolicyError, match=r"is not owned by root, so it cannot fix anything.*chown root:root"):
        policy.current()


def test_dws_reports_a_bad_policy_with_the_file_and_key(policy_file: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cli = Cli(tmp_path / "store", capsys, monkeypatch)
    assert cli("init", "--admin", "admin", passphrase=ADMIN_PW, env={"DWS_POLICY_FILE": ""}).code == 0
    write_policy(policy_file, {"idle_lock_minutes": 5})
    r = cli("list", user="admin", passphrase=ADMIN_PW)
    assert r.code == 0, r.err
    write_policy(policy_file, {"idle_lock_minutes": [5]})
    r = cli("list", user="admin", passphrase=ADMIN_PW)
    assert r.code == 1
    assert r.err.strip() == (f"dws: office policy {policy_file}: setting 'idle_lock_minutes': expected a whole "
                             "number from 0 to 1,000,000,000 (ask the administrator to correct it)")

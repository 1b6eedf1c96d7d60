"""`dws settings list|get|set` (issue 18, item 7): what Tools › Settings changes, through the same service calls,
so the same checks of the value, the same roles, the same refusal for a setting the office policy fixes, and the
same `setting-changed` entry in the audit log."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from clihelp import Cli
from conftest import ADMIN_PW, COUNSEL_PW, REVIEWER_PW

from workstation import policy
from workstation.service import Workstation
from workstation.settings import DEFAULTS
from workstation.store import auditlog

ADMIN = {"user": "admin", "passphrase": ADMIN_PW}
COUNSEL = {"user": "cora", "passphrase": COUNSEL_PW}
REVIEWER = {"user": "rita", "passphrase": REVIEWER_PW}


@pytest.fixture
def cli(admin, store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    admin.close()
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    return Cli(store_dir, capsys, monkeypatch)


def changes(store: Path) -> list[tuple[str | None, str | None, dict]]:
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        return [(e.user, e.object, e.detail) for e in auditlog.entries(s.conn) if e.event == "setting-changed"]


def test_set_get_and_list_go_through_the_service_and_the_log(cli: Cli) -> None:
    r = cli("settings", "set", "office_name", "  Disclosure Office, Ogden  ", **ADMIN)
    assert r.code == 0 and "Set office_name to Disclosure Office, Ogden (was Disclosure Office)" in r.out, r.err
    assert cli("settings", "get", "office_name", **REVIEWER).out == "Disclosure Office, Ogden\n"
    r = cli("settings", "set", "office_address_lines", "PO Box 9941", "Ogden, UT 84409", **ADMIN)
    assert r.code == 0, r.err
    assert cli("settings", "get", "office_address_lines", **ADMIN).out.splitlines() == ["PO Box 9941",
                                                                                      "Ogden, UT 84409"]
    assert changes(cli.store) == [
        ("admin", "office_name", {"from": "Disclosure Office", "to": "Disclosure Office, Ogden"}),
        ("admin", "office_address_lines", {"from": DEFAULTS["office_address_lines"],
                                           "to": ["PO Box 9941", "Ogden, UT 84409"]})]
    r = cli("settings", "set", "office_name", "Disclosure Office, Ogden", **ADMIN)       # the same value again
    assert r.code == 0 and "already" in r.out and len(changes(cli.store)) == 2
    with Workstation(cli.store).unlock("admin", ADMIN_PW) as s:                  # what the dialog shows
        assert {row.key: row.value for row in s.setting_rows()}["office_name"] == "Disclosure Office, Ogden"


def test_json_output_of_list_and_get_carries_the_dialogs_refusals(cli: Cli) -> None:
    rows = json.loads(cli("settings", "list", "--json", **ADMIN).out)
    assert [row["key"] for row in rows] == list(DEFAULTS)
    by_key = {row["key"]: row for row in rows}
    assert by_key["agency_due_days"] == {"key": "agency_due_days", "value": 30, "default": 30, "may_change": True,
                                         "refusal": None}
    assert by_key["bulk_threshold"]["may_change"] is False
    with Workstation(cli.store).unlock("admin", ADMIN_PW) as s:
        assert by_key["bulk_threshold"]["refusal"] == s.setting_refusal("bulk_threshold")
    doc = json.loads(cli("settings", "get", "bulk_threshold", "--json", **COUNSEL).out)
    assert doc == {"key": "bulk_threshold", "value": 100, "default": 100, "may_change": True, "refusal": None}
    table = cli("settings", "list", **REVIEWER).out
    assert "agency_due_days (read-only)" in table and "you are reviewer" in table


@pytest.mark.parametrize(("who", "args", "message"), [
    (REVIEWER, ("agency_due_days", "45"), "may change settings (you are reviewer)"),
    (ADMIN, ("bulk_threshold", "50"), "only counsel may change the rule threshold 'bulk_threshold'"),
    (ADMIN, ("agency_due_days", "-5"), "expected a whole number from 0 to 1,000,000,000"),
    (ADMIN, ("agency_due_days", "thirty"), "expected a whole number"),
    (ADMIN, ("agency_due_days", "99999999999999999999"), "expected a whole number from 0 to 1,000,000,000"),
    (ADMIN, ("office_name", "two\nlines"), "control character"),
    (COUNSEL, ("officer_caseload_limit", "7", "8"), "takes one VALUE"),
], ids=["role", "counsel-only", "negative", "not-a-number", "huge", "newline", "two-values"])
def test_refusals_are_the_services_and_change_nothing(cli: Cli, who: dict, args: tuple[str, ...],
                                                      message: str) -> None:
    r = cli("settings", "set", *args, **who)
    assert r.code in (1, 2) and message in r.err and r.err.startswith("dws: "), r.err
    assert changes(cli.store) == []


def test_a_setting_the_office_policy_fixes_is_refused_naming_the_file(cli: Cli, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"idle_lock_minutes": 5}))
    path.chmod(0o444)
    monkeypatch.setenv("DWS_POLICY_FILE", str(path))
    r = cli("settings", "set", "idle_lock_minutes", "30", **ADMIN)
    assert r.code == 1 and "office policy" in r.err and str(path) in r.err
    assert cli("settings", "get", "idle_lock_minutes", **ADMIN).out == "5\n"
    assert changes(cli.store) == []


def test_settings_is_in_the_readme_command_table() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "| `dws settings list" in readme and "dws settings set KEY VALUE" in readme

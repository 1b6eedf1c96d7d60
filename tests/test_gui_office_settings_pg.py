"""Tools › Settings and View › High contrast in the office window (issue 19, i19o), on an office on a real TLS server
(tests/engines.py): an admin changes the office's settings in the local Settings dialog and the office keeps and
logs them; a preparer's Settings is disabled with the reason; a login's high-contrast choice is kept in the office
for that login's next unlock, on any desktop."""

from __future__ import annotations

from pathlib import Path

import pytest
from engines import Engine, passphrase
from guihelp import wait_idle
from officegui import apps_fixture, unlock_office  # noqa: F401 (a fixture)

from ui.office_app import OfficeDesktopApp
from ui.office_window import OfficeWindow
from ui.settings_dialog import SettingsDialog

WAIT_MS = 30_000


def unlock(qtbot, apps: list[OfficeDesktopApp], profile: Path, user: str) -> OfficeWindow:  # type: ignore[no-untyped-def]
    return unlock_office(qtbot, apps, profile, user, passphrase(user), watching=False)


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_an_admin_changes_the_offices_settings_in_the_settings_dialog(qtbot, engine: Engine,  # type: ignore[no-untyped-def]
                                                                       apps: list[OfficeDesktopApp]) -> None:
    rita = unlock(qtbot, apps, engine.store, "rita")
    assert not rita.settings_action.isEnabled()
    assert rita.settings_action.toolTip() == ("Not available: your office role (preparer) may not do this; admin or "
                                              "counsel may")
    ada = unlock(qtbot, apps, engine.store, "ada")
    assert ada.settings_action.isEnabled()
    ada.settings_action.trigger()
    dialog = ada.show_settings()
    assert isinstance(dialog, SettingsDialog)
    qtbot.waitUntil(lambda: "idle_lock_minutes" in dialog.editors, timeout=WAIT_MS)
    assert dialog.editors["bulk_threshold"].widget.isReadOnly()                 # counsel's, as locally
    assert dialog.editors["witness_folder"].widget.isReadOnly()                 # the profile's, on an office
    dialog.editors["idle_lock_minutes"].widget.setValue(7)
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Saved"), timeout=WAIT_MS)
    assert dialog.status.text() == "Saved: Idle lock minutes."
    with engine.open("otto") as otto:
        assert otto.setting("idle_lock_minutes") == 7                           # every desktop's now
    assert [(o, d) for e, o, d in engine.events() if e == "setting-changed"] == [
        ("idle_lock_minutes", {"from": 15, "to": 7})]


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_a_logins_high_contrast_choice_follows_it_to_its_next_unlock(qtbot, engine: Engine,  # type: ignore[no-untyped-def]
                                                                      apps: list[OfficeDesktopApp]) -> None:
    first = unlock(qtbot, apps, engine.store, "rita")
    assert not first.high_contrast_action.isChecked()
    first.high_contrast_action.trigger()
    qtbot.waitUntil(lambda: first.appearance.high_contrast, timeout=WAIT_MS)
    wait_idle(qtbot, apps[0].db)
    with engine.open("rita") as rita, engine.open("alex") as alex:
        assert rita.preference("high_contrast") is True and alex.preference("high_contrast") is None
    apps.pop().stop()
    again = unlock(qtbot, apps, engine.store, "rita")
    assert again.high_contrast_action.isChecked() and again.appearance.high_contrast

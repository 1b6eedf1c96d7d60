"""The Decision tab signs in the worker after asking the passphrase again; the Letter tab says plainly when
this build of the service cannot issue letters yet."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    demo_template_fixture,
    desktop_fixture,
    make_desktop,
    message_boxes,
    open_request,
    store_fixture,
    unlock,
    wait_idle,
)

from ui.app import DesktopApp
from ui.capabilities import Capabilities
from workstation.demo_store import demo_passphrase
from workstation.service import Workstation

pytestmark = GUI_MARKS


def test_a_reviewer_signs_a_denial_with_the_passphrase_asked_again(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    open_request(qtbot, window, "DEMO-I2-COURT-ORDER")
    tab = window.request.decision
    window.show_tab(tab)
    assert "No decision" in tab.state.text()
    assert tab.outcome.currentText() == "deny" and tab.sign.isEnabled() and not tab.approve.isEnabled()
    tab.sign_decision("deny", "", "not-the-passphrase")
    wait_idle(qtbot, desktop.db)
    assert any("wrong passphrase" in box.text() for box in message_boxes())
    assert "No decision" in tab.state.text()
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        tab.sign_decision("deny", "", demo_passphrase("rita"))
    assert ": deny (recommendation was blocked)" in tab.state.text()
    assert "Prepared by rita" in tab.state.text()
    wait_idle(qtbot, desktop.db)


@pytest.fixture
def without_letters(qtbot, store: Workstation) -> Iterator[DesktopApp]:  # type: ignore[no-untyped-def]
    caps = Capabilities(decide=True, approve=True, decision=True, issue_letter=False, record_letter_output=False)
    for app in make_desktop(qtbot, store):
        app.caps = caps
        yield app


def test_letters_not_in_this_build_say_so(qtbot, without_letters: DesktopApp) -> None:
    window = unlock(qtbot, without_letters, "rita")
    open_request(qtbot, window, "DEMO-I2-VALID")
    tab = window.request.letter
    assert "not available yet" in tab.state.text()
    assert not (tab.issue.isEnabled() or tab.print.isEnabled() or tab.save.isEnabled())

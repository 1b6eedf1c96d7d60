"""The Letter tab when the release gate refuses a letter: the officer is told which element of which subject
the letter would show (never the value), nothing is issued, and the refusal is in the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    DemoTemplate,
    answer_passphrase,
    ask,
    decided_copy,
    demo_template_fixture,
    desktop_fixture,
    log_entries,
    message_boxes,
    show_tab,
    unlock,
    wait_idle,
)

from ui.app import DesktopApp
from workstation.demo_store import demo_passphrase
from workstation.service import Workstation

pytestmark = GUI_MARKS
REQUEST = "DEMO-I2-PARTIAL"


@pytest.fixture(name="store")
def approved_store(demo_template: DemoTemplate, tmp_path: Path) -> Workstation:
    return Workstation(decided_copy(demo_template, tmp_path / "store", {REQUEST: "partial"}, [REQUEST]))


def test_a_refused_letter_is_explained_and_not_issued(qtbot, desktop: DesktopApp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from workstation.service import letter_input

    window = unlock(qtbot, desktop, "rita")
    ref, tin = ask(qtbot, desktop.db, lambda s: s.conn.execute(
        "SELECT r.ref, s.tin9 FROM subject_results AS r JOIN subjects AS s USING (rid, seq) JOIN requests AS q "
        "USING (rid) WHERE q.request_id = ? AND r.released = '' AND s.tin9 IS NOT NULL ORDER BY r.seq",
        (REQUEST,)).fetchone())
    shipped = letter_input.letter_texts

    def planted(kind: str, version: str) -> dict:          # a withheld subject's SSN typed into a letter text
        texts = dict(shipped(kind, version))
        texts["closing"] = f"{texts['closing']} Our file: {tin[:3]}-{tin[3:5]}-{tin[5:]}."
        return texts

    monkeypatch.setattr(letter_input, "letter_texts", planted)
    tab = show_tab(qtbot, desktop, window, REQUEST, lambda view: view.letter)
    answered: list[str] = []
    answer_passphrase(demo_passphrase("rita"), answered)          # issuing signs the PDF: the passphrase first
    tab.issue.click()
    wait_idle(qtbot, desktop.db)
    qtbot.waitUntil(lambda: len(message_boxes()) == 1, timeout=WAIT_MS)
    text = message_boxes()[0].text()
    assert answered == ["Sign the letter: enter your passphrase again."]
    assert "release gate refused the letter" in text and f"tin of subject {ref}" in text, text
    assert tin not in text and tin[5:] not in text
    assert [e for e, _o, _d in log_entries(qtbot, desktop.db, "letter-")] == ["letter-refused"]
    assert not tab.print.isEnabled() and not tab.save.isEnabled()

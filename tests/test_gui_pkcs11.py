"""Keys on a smart card in the desktop application, with a real SoftHSM2 token: the admin enrols a user whose
key is on the card in Tools › Users; that user signs a decision and a letter with the card's PIN (asked for as
"card PIN", not the passphrase), the lock's checkpoint is signed on the card, and the card is logged out while
locked."""

from __future__ import annotations

import io
from typing import Any

from conftest import CARD_PIN
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    answer_passphrase,
    ask,
    demo_template_fixture,
    desktop_fixture,
    message_boxes,
    open_store,
    open_tab,
    store_fixture,
    unlock,
    wait_idle,
)
from pyhanko.pdf_utils.reader import PdfFileReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QInputDialog

from ui.app import DesktopApp
from ui.users_dialog import UsersDialog
from workstation import checkpoint as cp
from workstation.demo_store import demo_passphrase
from workstation.keys import primitives as p
from workstation.keys.pkcs11 import TokenRef, TokenSigner
from workstation.service import Workstation
from workstation.service.witness_folder import default_folder
from workstation.store import auditlog

pytestmark = GUI_MARKS


def users_dialog(qtbot, window: Any) -> UsersDialog:  # type: ignore[no-untyped-def]
    window.users_action.trigger()
    found: list[UsersDialog] = []

    def shown() -> bool:
        found[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, UsersDialog) and w.isVisible()]
        return len(found) == 1

    qtbot.waitUntil(shown, timeout=WAIT_MS)
    return found[0]


def test_admin_enrols_a_user_whose_key_is_on_a_smart_card(qtbot, desktop: DesktopApp, store: Workstation,
                                                         softhsm) -> None:
    window = unlock(qtbot, desktop, "admin")
    dialog = users_dialog(qtbot, window)
    qtbot.waitUntil(lambda: dialog.users.rowCount() == 5, timeout=WAIT_MS)
    assert not dialog.module.isEnabled() and not dialog.pin.isEnabled()
    qtbot.keyClicks(dialog.name, "tara")
    dialog.role.setCurrentText("reviewer")
    for field in (dialog.passphrase, dialog.repeat):
        qtbot.keyClicks(field, demo_passphrase("tara"))
    dialog.on_card.click()
    assert dialog.pin.isEnabled() and dialog.pin.echoMode() == dialog.pin.EchoMode.Password
    qtbot.keyClicks(dialog.module, softhsm.module)
    qtbot.keyClicks(dialog.token_label, "dws-card")
    qtbot.keyClicks(dialog.key_label, "sign")
    qtbot.keyClicks(dialog.pin, "not-the-card-pin")                 # a wrong PIN first: refused, nobody added
    dialog.add_button.click()
    wait_idle(qtbot, desktop.db)
    [box] = message_boxes()
    assert box.text() == "wrong card PIN for token 'dws-card'"
    box.close()
    assert dialog.users.rowCount() == 5 and dialog.pin.text() == ""
    for field in (dialog.passphrase, dialog.repeat):
        qtbot.keyClicks(field, demo_passphrase("tara"))
    qtbot.keyClicks(dialog.pin, CARD_PIN)
    dialog.add_button.click()
    qtbot.waitUntil(lambda: dialog.users.rowCount() == 6, timeout=WAIT_MS)
    wait_idle(qtbot, desktop.db)
    with TokenSigner.open(TokenRef(softhsm.module, "dws-card", "sign"), CARD_PIN) as signer:
        fingerprint = p.fingerprint(signer.public_key)
    assert dialog.status.text() == (f"User tara (reviewer) added; signing key {fingerprint} on the card (token "
                                    "'dws-card').")
    [row] = [i for i in range(6) if dialog.users.row_at(i).name == "tara"]
    assert dialog.users.index(row, 3).data() == "card (token 'dws-card')"
    assert dialog.pin.text() == dialog.passphrase.text() == ""
    entries = ask(qtbot, desktop.db, lambda s: list(auditlog.entries(s.conn)))
    [added] = [e for e in entries if e.event == "user-added" and e.object == "tara"]
    assert added.detail["fingerprint"] == fingerprint and added.detail["key"] == "pkcs11"
    assert not any(CARD_PIN in repr(e) for e in entries)


def test_a_card_user_signs_a_decision_and_a_letter_with_the_card_pin(qtbot, desktop: DesktopApp,
                                                                    store: Workstation, softhsm, monkeypatch) -> None:
    with open_store(store, "admin") as admin:
        admin.add_token_user("tara", "reviewer", demo_passphrase("tara"),
                             TokenRef(softhsm.module, "dws-card", "sign"), CARD_PIN)
    with TokenSigner.open(TokenRef(softhsm.module, "dws-card", "sign"), CARD_PIN) as signer:
        card_key = signer.public_key
    asked: list[tuple[str, str]] = []

    def get_text(_parent: Any, title: str, label: str, *_args: Any) -> tuple[str, bool]:
        asked.append((title, label))
        return CARD_PIN, True

    monkeypatch.setattr(QInputDialog, "getText", get_text)
    window, tab = open_tab(qtbot, desktop, "tara", "DEMO-I2-COURT-ORDER", lambda view: view.decision)
    assert tab.sign.accessibleDescription().endswith("then asks for your card PIN)")
    answered: list[str] = []
    answer_passphrase(CARD_PIN, answered)           # the signing dialog: what is signed, then the card's PIN
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        tab.sign.click()
    assert len(answered) == 1 and answered[0].startswith("Sign the decision: insert your card and enter its PIN.")
    assert asked == []
    assert "Prepared by tara" in tab.state.text()
    wait_idle(qtbot, desktop.db)
    assert ask(qtbot, desktop.db, lambda s: s._ctx.card is not None)         # open for the session's checkpoints
    # Locking writes a checkpoint signed on the card, then logs the card out.
    lock = desktop.lock
    assert lock is not None
    with qtbot.waitSignal(lock.witness_written, timeout=WAIT_MS):
        window.lock_action.trigger()
    (written,) = default_folder(store.path).glob("*-tara.checkpoint")
    note = cp.parse(written.read_text("utf-8"))
    with qtbot.waitSignal(lock.unlocked, timeout=WAIT_MS):
        qtbot.keyClicks(lock.screen.passphrase, demo_passphrase("tara"))
        qtbot.keyClick(lock.screen.passphrase, Qt.Key.Key_Return)
    assert ask(qtbot, desktop.db, lambda s: s._ctx.card is None)
    # The letter: the PIN again, the PDF signed on the card (its checkpoint too).
    letter = window.request.letter
    window.show_tab(letter)
    wait_idle(qtbot, desktop.db)
    assert letter.issue.accessibleDescription() == "Issue the letter of the final decision (asks for your card PIN)"
    with qtbot.waitSignal(letter.letter_loaded, timeout=WAIT_MS):
        letter.issue.click()
    assert asked[-1] == ("Sign the letter — card PIN", "Sign the letter: insert your card and enter its PIN.")
    [signature] = PdfFileReader(io.BytesIO(letter.pdf or b"")).embedded_signatures
    assert signature.signer_cert.public_key.dump() == card_key
    with open_store(store, "otto") as otto:
        decision = otto.decision("DEMO-I2-COURT-ORDER")
        assert decision.preparer == "tara" and otto.verify([written]).ok
        assert note.signatures[0].name.startswith("tara@")

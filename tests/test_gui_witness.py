"""The desktop application's witnesses: a checkpoint goes to the witness folder on every lock and at exit, the
status bar says when (or that the folder is unavailable, losing nothing), and Tools › Verify against
witnesses reports a log cut after a witness was taken. Real store, real Qt (offscreen), real worker thread."""

from __future__ import annotations

from pathlib import Path

from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    ask,
    choose_file,
    demo_template_fixture,
    desktop_fixture,
    store_fixture,
    unlock,
    wait_idle,
)
from PySide6.QtCore import Qt

from ui.app import DesktopApp
from ui.verify_dialog import VerifyDialog
from workstation import checkpoint as cp
from workstation.demo_store import demo_passphrase
from workstation.service import Session, Workstation
from workstation.service.witness_folder import default_folder
from workstation.store import auditlog, db, logtree

pytestmark = GUI_MARKS


def checkpoints(folder: Path) -> list[cp.Checkpoint]:
    return sorted((cp.parse(f.read_text("utf-8")) for f in folder.glob("*.checkpoint")), key=lambda c: c.size)


def lock_and_unlock(qtbot, desktop: DesktopApp) -> None:  # type: ignore[no-untyped-def]
    lock = desktop.lock
    assert lock is not None and desktop.window is not None
    with qtbot.waitSignal(lock.witness_written, timeout=WAIT_MS):
        desktop.window.lock_action.trigger()
    assert lock.is_locked
    with qtbot.waitSignal(lock.unlocked, timeout=WAIT_MS):
        qtbot.keyClicks(lock.screen.passphrase, demo_passphrase("rita"))
        qtbot.keyClick(lock.screen.passphrase, Qt.Key.Key_Return)


def log_a_view(s: Session) -> None:
    with db.transaction(s.conn):
        s.log("preview-viewed", "DEMO-1", {"ref": "1", "released": ["name"]})


def head(qtbot, desktop: DesktopApp) -> int:  # type: ignore[no-untyped-def]
    return ask(qtbot, desktop.db, lambda s: auditlog.head(s.conn)[0])


def test_a_checkpoint_goes_to_the_witness_folder_on_lock_and_at_exit(qtbot, store: Workstation,
                                                                       desktop: DesktopApp) -> None:
    folder = default_folder(store.path)
    window = unlock(qtbot, desktop, "rita")
    qtbot.waitUntil(lambda: window.status.witness.text() == "Witness: none yet", timeout=WAIT_MS)
    at_lock = head(qtbot, desktop)
    lock_and_unlock(qtbot, desktop)
    assert [c.size for c in checkpoints(folder)] == [at_lock]
    assert window.status.witness.text().startswith("Witness: ") and ":" in window.status.witness.text()[9:]
    assert str(folder) in window.status.witness.toolTip()

    ask(qtbot, desktop.db, log_a_view)                      # work after the lock, to be witnessed at exit
    at_exit = head(qtbot, desktop)
    assert at_exit > at_lock
    desktop.stop()
    assert [c.size for c in checkpoints(folder)] == [at_lock, at_exit]
    with store.unlock("otto", demo_passphrase("otto")) as auditor:
        assert auditor.verify([folder]).ok


def test_a_missing_witness_folder_is_a_warning_that_loses_nothing_and_the_next_lock_catches_up(
        qtbot, store: Workstation, desktop: DesktopApp, tmp_path: Path, capfd) -> None:  # type: ignore[no-untyped-def]
    share = tmp_path / "share" / "witness"
    with store.unlock("admin", demo_passphrase("admin")) as admin:
        admin.change_setting("witness_folder", str(share))
    window = unlock(qtbot, desktop, "rita")
    qtbot.waitUntil(lambda: window.status.witness.text() == "Witness folder unavailable", timeout=WAIT_MS)
    ask(qtbot, desktop.db, log_a_view)
    missed = head(qtbot, desktop)
    lock_and_unlock(qtbot, desktop)
    assert window.status.witness.text() == "Witness folder unavailable"
    assert "the work is safe" in window.status.witness.toolTip()
    assert f"dws: warning: the witness folder {share} is unavailable" in capfd.readouterr().err
    assert window.isVisible() and not share.exists()
    assert head(qtbot, desktop) == missed                             # nothing lost, nothing added

    share.mkdir(parents=True)                                          # the share is reachable again
    lock_and_unlock(qtbot, desktop)
    assert window.status.witness.text().startswith("Witness: ")
    (written,) = checkpoints(share)
    assert written.size == head(qtbot, desktop) >= missed               # it covers what the missed one would have


def cut_tail(s: Session, keep: int) -> None:
    """An insider with the data key deletes the log after entry `keep` and rebuilds the tree."""
    s.conn.execute("DELETE FROM audit_log WHERE seq > ?", (keep,))
    logtree.rebuild(s.conn)


def test_tools_verify_against_witnesses_reports_an_intact_log_then_a_cut(qtbot, store: Workstation,
                                                                         desktop: DesktopApp, tmp_path: Path) -> None:
    saved = tmp_path / "auditor-visit.checkpoint"
    window = unlock(qtbot, desktop, "rita")
    note = ask(qtbot, desktop.db, lambda s: s.checkpoint())
    saved.write_text(note.note, "utf-8")
    lock_and_unlock(qtbot, desktop)                                    # the witness folder gets one too

    dialog = window.show_verify()
    assert isinstance(dialog, VerifyDialog)
    qtbot.waitUntil(lambda: dialog.paths() == [default_folder(store.path)], timeout=WAIT_MS)
    dialog.add_files.click()                                           # through the file dialog, as a user would
    choose_file(qtbot, saved)
    assert dialog.paths() == [default_folder(store.path), saved]
    with qtbot.waitSignal(dialog.verified, timeout=WAIT_MS) as signal:
        dialog.verify_button.click()
    assert signal.args == [True]
    assert dialog.result.toPlainText().startswith("INTACT") and "extends all 2 checkpoints given" in \
        dialog.result.toPlainText()

    ask(qtbot, desktop.db, lambda s: cut_tail(s, note.size - 5))
    with qtbot.waitSignal(dialog.verified, timeout=WAIT_MS) as signal:
        dialog.verify_button.click()
    assert signal.args == [False]
    text = dialog.result.toPlainText()
    assert text.startswith("TAMPERING FOUND: the log no longer extends ")
    assert str(saved) in text and f"size {note.size:,}" in text and f"..{note.size}" in text
    assert dialog.state.text() == "TAMPERING FOUND — see below."


def test_a_witness_that_is_no_checkpoint_verifies_nothing(qtbot, desktop: DesktopApp, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a checkpoint\n", "utf-8")
    window = unlock(qtbot, desktop, "rita")
    dialog = window.show_verify()
    wait_idle(qtbot, desktop.db)
    dialog.add([junk])
    dialog.verify_button.click()
    qtbot.waitUntil(lambda: dialog.state.text() == "Nothing was verified.", timeout=WAIT_MS)
    assert str(junk) in dialog.result.toPlainText() and "not a checkpoint" in dialog.result.toPlainText()


def test_the_verify_action_has_a_shortcut(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    action = next(a for a in window.actions() if a.text() == "Verify against &witnesses…")
    assert action.shortcut().toString() == "Ctrl+Shift+K"

"""Help (issue 18 item 11): a guide to the workflow read offline from resources, and About with the version,
the build, the store and every shipped component with its licence (Qt and PySide6: the LGPL notice)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from guihelp import GUI_MARKS, demo_template_fixture, desktop_fixture, store_fixture, unlock  # noqa: F401
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QTextBrowser

from ui import app as ui_app
from ui.app import DesktopApp
from ui.help_dialogs import AboutDialog, GuideDialog
from workstation import __version__, policy
from workstation.crypto import report as crypto_report

pytestmark = GUI_MARKS


def test_f1_opens_the_guide_to_the_workflow(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    qtbot.keyClick(window, Qt.Key.Key_F1)
    guide = window._dialogs["guide"]
    assert isinstance(guide, GuideDialog) and guide.isVisible()
    text = guide.text.toPlainText()
    for step in ("The queue", "The checks", "The redaction preview", "The decision", "The letter", "Ctrl+L"):
        assert step in text
    assert guide.text.accessibleName() == "Guide"


def test_about_names_version_build_store_and_every_licence(qtbot, desktop: DesktopApp, store) -> None:
    window = unlock(qtbot, desktop, "rita")
    about = window.show_about()
    assert isinstance(about, AboutDialog)
    assert about.values["Version"].text() == __version__
    assert about.values["Store"].text() == str(store.path)
    assert "source checkout" in about.values["Build"].text()
    shipped = {c.name.lower().replace("_", "-"): c.licence for c in about.components.rows()}
    for name in ("pyside6-essentials", "shiboken6", "sqlcipher3", "cryptography", "reportlab", "keyring",
                 "python-stdnum"):
        assert shipped.get(name), f"{name} is shipped but About gives no licence"
    assert "LGPL" in shipped["pyside6-essentials"] and "Zlib" in shipped["sqlcipher3"]
    assert "Lesser General Public License version 3" in about.notice.text()
    about.licence_button.click()
    texts = [w for w in about.findChildren(QTextBrowser)]
    assert any("GNU LESSER GENERAL PUBLIC LICENSE" in t.toPlainText() for t in texts)


def test_about_shows_the_crypto_report(qtbot, desktop: DesktopApp) -> None:
    """Help › About › Cryptography: what `dws crypto report` prints (issue 23 item 2)."""
    from cryptography.hazmat.backends.openssl import backend

    window = unlock(qtbot, desktop, "rita")
    about = window.show_about()
    assert [about.tabs.tabText(i) for i in range(about.tabs.count())] == ["&Components and licences",
                                                                          "C&ryptography"]
    crypto = about.crypto
    qtbot.waitUntil(lambda: crypto.modules.rowCount() > 0, timeout=10_000)
    summary = crypto.summary.text()
    assert "Mode: approved (no office policy file)." in summary and "known-answer tests passed" in summary
    assert "Every primitive is approved." in summary
    by_algorithm = {p.algorithm: p for p in crypto.primitives.rows()}
    assert by_algorithm["SHA-256"].module == "cryptography" and by_algorithm["AES-256-GCM, 96-bit random nonce"]
    shown = {crypto.modules.index(r, 0).data(): [crypto.modules.index(r, c).data() for c in range(6)]
             for r in range(crypto.modules.rowCount())}
    assert shown["cryptography"][2] == backend.openssl_version_text()
    assert shown["cryptography"][4] == crypto_report.cryptography_module().fips
    assert "cipher_fips_status" in shown["SQLCipher"][5] and shown["SQLCipher"][2].startswith("OpenSSL ")
    assert "hashlib" not in shown


def test_the_shortcuts_list_still_opens_from_the_help_menu(qtbot, desktop: DesktopApp) -> None:
    window = unlock(qtbot, desktop, "rita")
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    names = [a.text() for a in help_menu.actions() if a.text()]
    assert names == ["&Guide", "&Keyboard shortcuts", "&About the Disclosure Workstation"]


def test_strict_mode_without_the_fips_provider_opens_no_window(qtbot, store, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """crypto = fips in the office policy and no FIPS provider: `disclosure-workstation` shows the one message and
    exits 1 before any window (no unlock dialog, no store opened)."""
    if crypto_report.cryptography_module().fips == "active":
        pytest.skip("OpenSSL's FIPS provider is active here: strict mode starts")
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"crypto": "fips"}), "utf-8")
    path.chmod(0o444)
    monkeypatch.setenv("DWS_POLICY_FILE", str(path))
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    shown: list[str] = []

    def read_and_close() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            shown.append(box.text())
            box.close()
        else:
            QTimer.singleShot(50, read_and_close)

    QTimer.singleShot(50, read_and_close)
    assert ui_app.main(["--store", str(store.path)]) == 1
    assert len(shown) == 1 and shown[0].startswith(f"the office policy in {path} says crypto = fips, but OpenSSL's")
    assert capsys.readouterr().err.startswith("disclosure-workstation: the office policy in")
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and not isinstance(w, QMessageBox)]

"""The signing dialog: before the passphrase (or the card's PIN) is asked again, it restates what the signature
covers — the request, the outcome and the recommendation, the released items, how many subjects are released
and withheld, and the SHA-256 of the decision document, the hash stored with the decision (`dws export decision`
writes the document it is computed over). Every fact is selectable text and is also the dialog's accessible
description, so a screen reader reads it before the passphrase field."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from workstation import wording
from workstation.model import SigningSummary

from .a11y import fit_to_screen
from .dialog_parts import passphrase_field
from .labels import InfoLabel, plain_label

HASH_GROUP = 8


def grouped(digest: str, size: int = HASH_GROUP) -> str:
    """A hex digest in groups, easier to read aloud and compare: "3f2a9c01 77e4…"."""
    return " ".join(digest[i:i + size] for i in range(0, len(digest), size))


def summary_rows(summary: SigningSummary) -> list[tuple[str, str]]:
    """(label, value) of each fact the dialog restates, in order."""
    items = (wording.listing(summary.released_items) if summary.released_items
             else "nothing (the request is denied)" if summary.outcome == "deny" else "nothing")
    subjects = (f"{wording.count(summary.subjects, 'subject')}: {wording.number(summary.released)} released, "
                f"{wording.number(summary.withheld)} withheld"
                + (f", {wording.number(summary.no_record)} with no record" if summary.no_record else ""))
    rows = [("Request", summary.request_id),
            ("Decision", f"{summary.decision_id}, prepared by {summary.preparer} "
                         f"(key {summary.preparer_fingerprint})"),
            ("Outcome", summary.outcome),
            ("Recommendation", summary.recommendation + (", evaluated as of " + summary.as_of)),
            ("Released items", items),
            ("Subjects", subjects)]
    if summary.justification:
        rows.append(("Justification", summary.justification))
    rows.append(("Approval", "needs a second signature by an approver" if summary.needs_approval
                 else "final once signed (no second signature needed)"))
    rows.append(("Decision hash (SHA-256)", grouped(summary.doc_hash)))
    return rows


class SigningDialog(QDialog):
    """Modal (opened with `open()`); `accepted` once a passphrase was typed and Sign pressed (an empty field
    cannot be submitted: it is not an attempt)."""

    def __init__(self, summary: SigningSummary, what: str, on_card: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"{what} — card PIN" if on_card else what)
        self.setAccessibleName(what)
        secret = "the card's PIN" if on_card else "your passphrase"
        intro = plain_label(f"{what} of request {summary.request_id}. Your signature covers exactly this:")
        facts = QGroupBox("What you sign")
        form = QFormLayout(facts)
        self.values: dict[str, QLabel] = {}
        for name, text in summary_rows(summary):
            value = InfoLabel(name, text, selectable=True)
            if name.startswith("Decision hash"):
                value.setWordWrap(False)                # the whole hash on one line, in groups
                value.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
                value.setToolTip("The SHA-256 of the decision document, stored with the decision; "
                                 "'dws export decision' writes the document")
            form.addRow(plain_label(name + ":"), value)
            self.values[name] = value
        self.prompt = plain_label(f"{what}: insert your card and enter its PIN." if on_card
                                  else f"{what}: enter your passphrase again.")
        self.passphrase = passphrase_field("Card PIN" if on_card else "Passphrase")
        self.passphrase.setAccessibleDescription(f"{what}; {secret} signs the decision shown above")
        self.prompt.setBuddy(self.passphrase)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Approve" if what.startswith("Approve") else "Sign")
        self.ok.setEnabled(False)
        self.passphrase.textChanged.connect(lambda text: self.ok.setEnabled(bool(text)))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.setAccessibleDescription(self.text())
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(facts)
        layout.addWidget(self.prompt)
        layout.addWidget(self.passphrase)
        layout.addWidget(self.buttons)
        self.passphrase.setFocus()
        fit_to_screen(self, max(680, self.sizeHint().width()), self.sizeHint().height())

    def text(self) -> str:
        """Everything the dialog says, as plain text: the prompt and each fact."""
        return "\n".join([self.prompt.text(), *(f"{name}: {label.text()}" for name, label in self.values.items())])

    def accept(self) -> None:
        if self.passphrase.text():
            super().accept()

    def take_passphrase(self) -> str:
        """The passphrase typed, once: the field is cleared."""
        text = self.passphrase.text()
        self.passphrase.clear()
        return text

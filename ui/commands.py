"""The request's commands, one `QAction` each: the Request menu, the toolbar and the tab's button all use the
same action, so they are enabled together and say the same thing. Each is enabled from what the service says
the user may do with the open request now (`Session.request_actions`) and from what the window itself is
doing (a letter still loading); a disabled one carries the reason in its tooltip and status tip, and its
button in its accessible description, where a screen reader finds it. A disabled action's shortcut does
nothing."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton


@dataclass(frozen=True, slots=True)
class Command:
    key: str
    text: str                       # the menu entry, with its accelerator
    shortcut: str
    tip: str                        # what it does (the tooltip while it is enabled)


COMMANDS: tuple[Command, ...] = (
    Command("evaluate", "Re-&evaluate", "F5", "Evaluate the open request again (the stored evaluation is reused "
            "while nothing it depends on changed)"),
    Command("decide", "&Sign decision…", "Ctrl+Shift+D", "Sign the decision on the open request (shows what is "
            "signed, then asks for your {secret})"),
    Command("approve", "&Approve decision…", "Ctrl+Shift+A", "Approve the decision: the second signature (shows "
            "what is signed, then asks for your {secret})"),
    Command("issue", "&Issue letter", "Ctrl+Shift+I", "Issue the letter of the final decision (asks for your "
            "{secret})"),
    Command("print", "&Print letter…", "Ctrl+P", "Print the issued letter (recorded in the audit log)"),
    Command("save", "Sa&ve letter as…", "Ctrl+Shift+S", "Save the issued letter as a PDF file (recorded in the "
            "audit log)"),
)
NO_REQUEST = "open a request from the queue first"


class RequestCommands(QObject):
    """The actions, created disabled ("open a request first"); `gate` enables or disables one with its reason."""

    def __init__(self, secret: str = "passphrase", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tips: dict[str, str] = {}
        self._actions: dict[str, QAction] = {}
        for command in COMMANDS:
            action = QAction(command.text, self)
            action.setObjectName(f"request-{command.key}")
            action.setShortcut(QKeySequence(command.shortcut))
            action.setShortcutVisibleInContextMenu(True)
            self._tips[command.key] = command.tip.format(secret=secret)
            self._actions[command.key] = action
            self.gate(command.key, NO_REQUEST)

    def __getitem__(self, key: str) -> QAction:
        return self._actions[key]

    def actions(self) -> list[QAction]:
        return list(self._actions.values())

    def gate(self, key: str, reason: str | None) -> None:
        """Enable the command (reason None) or disable it, saying why."""
        action = self._actions[key]
        tip = self._tips[key] if reason is None else f"Not available: {reason}"
        if action.isEnabled() == (reason is None) and action.toolTip() == tip:
            return
        action.setStatusTip(tip)
        action.setToolTip(tip)
        action.setWhatsThis(tip)
        action.setEnabled(reason is None)

    def reason(self, key: str) -> str | None:
        """Why the command is disabled (its tooltip), or None when it is enabled."""
        action = self._actions[key]
        return None if action.isEnabled() else action.toolTip()

    def bind(self, button: QAbstractButton, key: str) -> None:
        """The button triggers the action and shows its state: enabled with it, its tooltip, and the reason in
        its accessible description."""
        action = self._actions[key]

        def mirror() -> None:
            button.setEnabled(action.isEnabled())
            button.setToolTip(action.toolTip())
            button.setAccessibleDescription(action.toolTip())

        button.clicked.connect(lambda _checked=False: action.trigger())
        action.changed.connect(mirror)
        mirror()

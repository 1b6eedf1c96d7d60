"""The main window: the review queue (the request view comes with the desktop-application issue)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QTableView

from workstation.service import Session

from .queue_model import QueueModel


class MainWindow(QMainWindow):
    def __init__(self, session: Session) -> None:
        super().__init__()
        self.setWindowTitle("Disclosure Workstation")
        self._model = QueueModel(session.queue())
        view = QTableView()
        view.setModel(self._model)
        view.setAccessibleName("Review queue")
        view.resizeColumnsToContents()
        self.setCentralWidget(view)
        self.statusBar().addWidget(QLabel(f"User: {session.user} ({session.role})"))
        self.resize(1000, 600)

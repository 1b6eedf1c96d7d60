"""Disclosure Workstation core: Qt-free store, intake, rules, signing, letters, service and CLI."""

__version__ = "0.1.0"

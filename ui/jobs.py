"""Jobs that run in the DB worker thread and turn the service's answers into the values in `values.py`.

Each takes a `JobContext` (or a Session) and returns plain values; none keeps a reference to the Session.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from workstation.errors import DwsError
from workstation.model import ImportSummary, SettingRow
from workstation.service import Session

from .theme import HIGH_CONTRAST_PREFERENCE
from .values import Evaluation, LogStatus, OverrideEntry, RequestSnapshot, SessionInfo
from .worker import JobContext

DEFAULT_IDLE_MINUTES = 15


def session_info(session: Session) -> SessionInfo:
    minutes = session.settings().get("idle_lock_minutes", DEFAULT_IDLE_MINUTES)
    return SessionInfo(session.user, session.role or "", int(minutes or DEFAULT_IDLE_MINUTES),
                       session.user is not None and session.key_on_card(), str(session.path),
                       session.preference(HIGH_CONTRAST_PREFERENCE))


def unlock(user: str, passphrase: str) -> Any:
    def job(ctx: JobContext) -> SessionInfo:
        session = ctx.workstation.unlock(user, passphrase)
        ctx.adopt(session)
        return session_info(session)

    return job


def unlock_recovery(code: str) -> Any:
    def job(ctx: JobContext) -> SessionInfo:
        session = ctx.workstation.unlock_recovery(code)
        ctx.adopt(session)
        return session_info(session)

    return job


def lockout_seconds(user: str) -> Any:
    return lambda ctx: ctx.workstation.lockout_seconds(user)


def reauthenticate(passphrase: str) -> Any:
    def job(ctx: JobContext) -> None:
        ctx.session.reauthenticate(passphrase)

    return job


def log_status(session: Session) -> LogStatus:
    report = session.verify()
    return LogStatus(report.entries, report.ok, report.first_bad_entry)


def overrides(session: Session, request_id: str) -> tuple[OverrideEntry, ...]:
    return tuple(session.overrides(request_id))


def load_request(request_id: str, as_of: date | None) -> Any:
    """The request, its evaluation (reused when fresh, else computed with progress and Cancel), overrides,
    decision and what the user may do with it."""

    def job(ctx: JobContext) -> RequestSnapshot:
        s = ctx.session
        package = s.request(request_id)
        doc = s.evaluate(request_id, as_of, progress=ctx.progress, cancelled=ctx.cancelled)
        decision = s.decision(request_id) if hasattr(s, "decision") else None
        evaluation = Evaluation.from_doc(doc, package.authority)
        return RequestSnapshot(request_id, package, evaluation, overrides(s, request_id), decision,
                               s.request_actions(request_id, as_of))

    return job


def import_file(kind: str, path: Path) -> Any:
    """Import one file of `kind` (records, request, agency, order): one transaction in the service, so a bad
    file or Cancel leaves the store as it was. Records and requests stream with progress and Cancel."""

    def job(ctx: JobContext) -> ImportSummary:
        s = ctx.session
        if kind == "records":
            return s.import_records(path, ctx.progress, ctx.cancelled)
        if kind == "request":
            return s.import_request(path, ctx.progress, ctx.cancelled)
        if kind == "agency":
            return s.import_agency(path)
        if kind == "order":
            return s.import_order(path)
        raise ValueError(f"unknown import kind {kind!r}")

    return job


def setting_rows(session: Session) -> tuple[SettingRow, ...]:
    """Every setting with its value, its default and why this user may not change it (None: they may)."""
    return session.setting_rows()


def change_settings(changes: tuple[tuple[str, Any], ...]) -> Any:
    """Each change on its own (each logged by the service); a refusal is reported for its key and the others
    still land. Returns (key, refusal or None) per change."""

    def job(session: Session) -> tuple[tuple[str, str | None], ...]:
        outcomes: list[tuple[str, str | None]] = []
        for key, value in changes:
            try:
                session.change_setting(key, value)
            except DwsError as exc:            # the service's message, written for users
                outcomes.append((key, str(exc)))
            else:
                outcomes.append((key, None))
        return tuple(outcomes)

    return job

"""Jobs that run in the DB worker thread and turn the service's answers into the values in `values.py`.

Each takes a `JobContext` (or a Session) and returns plain values; none keeps a reference to the Session.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from workstation.service import Session

from .values import Evaluation, LogStatus, OverrideEntry, RequestSnapshot, SessionInfo
from .worker import JobContext

DEFAULT_IDLE_MINUTES = 15


def session_info(session: Session) -> SessionInfo:
    minutes = session.settings().get("idle_lock_minutes", DEFAULT_IDLE_MINUTES)
    return SessionInfo(session.user, session.role or "", int(minutes or DEFAULT_IDLE_MINUTES))


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
    return tuple(OverrideEntry(o["id"], o["ref"], o["item"], o["action"], o["reason"], o["by"], o["at"],
                               o["undone_at"]) for o in session.overrides(request_id))


def load_request(request_id: str, as_of: date | None) -> Any:
    """The request, its evaluation (reused when fresh, else computed with progress and Cancel), overrides
    and decision."""

    def job(ctx: JobContext) -> RequestSnapshot:
        s = ctx.session
        package = s.request(request_id)
        doc = s.evaluate(request_id, as_of, progress=ctx.progress, cancelled=ctx.cancelled)
        decision = s.decision(request_id) if hasattr(s, "decision") else None
        return RequestSnapshot(request_id, package, Evaluation.from_doc(doc), overrides(s, request_id), decision)

    return job

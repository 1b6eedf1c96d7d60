"""The office queue's watch (issue 19 items 4 and 5): one thread with its own connection that LISTENs on the
office's queue channel (store/office/queue_notify.py) and tells its owner, through a callback called in the
watch's thread, what it heard (model.OfficeEvent):

- "changed" (a request id): another desktop (or this one) imported or changed a request; read the queue again;
- "unreachable" (the message to show): the connection was lost, or cannot be made (the server's refusal, when
  it refused: a revoked desktop); it tries again every RETRY_S seconds, and says so once, not at every try;
- "reachable": after "unreachable", connected and listening again (what was missed meanwhile is not replayed:
  read the queue again).

An office made before its queue announced changes (no trigger) is read again every POLL_S seconds instead.
The connection is the user's own login, with TCP keepalives (office/connect.KEEPALIVE) so a server that
vanishes without a word is noticed too. No Qt here: the GUI turns the callback into a signal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import psycopg

from ..errors import DwsError, OfficeError
from ..model import OfficeEvent
from ..office.connect import Connection, connect
from ..office.profile import OfficeProfile
from ..store.office import queue_notify
from ..store.office.roles import roles_for

RETRY_S = 1.5           # between two attempts to reach the server again
WAIT_S = 0.25           # how long one wait for notifications lasts (and so how soon stop() is heard)
POLL_S = 5.0            # an office without the queue trigger: read again this often
CONNECT_TIMEOUT = 3     # seconds one attempt waits for the server

Heard = Callable[[OfficeEvent], None]
UNREACHABLE = ("office server unreachable: {where}; the queue shown is as it was, and this desktop connects "
               "again by itself when the server is back")


class QueueWatch:
    """Started by OfficeSession.watch(on_event); stop() ends the thread (within WAIT_S or one connect attempt)."""

    def __init__(self, profile: OfficeProfile, login: str, password: str, on_event: Heard) -> None:
        self._profile, self._login, self._password = profile, login, password
        self._on_event = on_event
        self._channel = queue_notify.channel(roles_for(profile.dbname))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dws-office-queue-watch", daemon=True)
        self.reachable: bool | None = None       # None until the first attempt ended

    def start(self) -> QueueWatch:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def unreachable_message(self) -> str:
        return UNREACHABLE.format(where=f"{self._profile.host}:{self._profile.port}")

    def _tell(self, event: OfficeEvent) -> None:
        if not self._stop.is_set():
            self._on_event(event)

    def _lost(self, why: str | None = None) -> None:
        if self.reachable is not False:
            self.reachable = False
            self._tell(OfficeEvent("unreachable", message=why or self.unreachable_message))

    def _run(self) -> None:
        while not self._stop.is_set():
            conn = self._connect()
            if not isinstance(conn, psycopg.Connection):
                self._lost(conn)
                self._stop.wait(RETRY_S)
                continue
            try:
                if self.reachable is False:
                    self._tell(OfficeEvent("reachable"))
                self.reachable = True
                self._listen(conn)
            except psycopg.Error:
                self._lost()
            finally:
                conn.close()
            self._stop.wait(RETRY_S if self.reachable is False else 0)

    def _connect(self) -> Connection | str | None:
        """A listening connection; else why not: None when the server cannot be reached, the server's refusal
        when it refused (a revoked desktop: OfficeError's message)."""
        try:
            conn = connect(self._profile, self._login, self._password, timeout=CONNECT_TIMEOUT, keepalive=True)
        except OfficeError as exc:
            return None if exc.reason == "unreachable" else str(exc)
        except DwsError as exc:
            return str(exc)
        try:
            queue_notify.listen(conn, self._channel)
        except psycopg.Error:
            conn.close()
            return None
        return conn

    def _listen(self, conn: Connection) -> None:
        """Until stopped or the connection is lost (psycopg.Error)."""
        announces = queue_notify.announces(conn)
        quiet = 0.0
        while not self._stop.is_set():
            for request_id in queue_notify.heard(conn, WAIT_S):
                self._tell(OfficeEvent("changed", request_id))
            if conn.closed:
                raise psycopg.OperationalError("the connection was closed")
            quiet += WAIT_S
            if quiet >= POLL_S:
                queue_notify.ping(conn)     # a server that went away between two notifications is noticed here
                if not announces:
                    self._tell(OfficeEvent("changed"))
                quiet = 0.0

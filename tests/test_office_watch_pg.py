"""The office's live queue and a desktop's office session across an outage (issue 19 items 4 and 5, below the GUI),
on a real TLS PostgreSQL server: each import or change of a request is announced on the office's channel with its
request id alone; the queue watch hears it, says "unreachable" once when the server goes and "reachable" when it
is back; the session's next read after the restart succeeds (it connects again by itself), and a write while the
server is away is one message that says so."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pgserver
import psycopg
import pytest
from officehelp import Office
from officerequests import canary_requests, package, write

from workstation.errors import AuthError, OfficeError
from workstation.model import OfficeEvent
from workstation.office.cluster import Cluster
from workstation.service.office_desktop import OfficeWorkstation, refusal
from workstation.service.office_watch import POLL_S
from workstation.store.office import queue_notify
from workstation.store.office import records as records_sql
from workstation.store.office import requests as requests_sql

PASSPHRASE = "rita's office passphrase"


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Office, OfficeWorkstation]]:
    started = Office.start()
    try:
        started.create(records_sql, requests_sql, queue_notify)
        started.enrol("rita", "preparer", PASSPHRASE)
        started.enrol("otto", "auditor", "otto's office passphrase")
        yield started, OfficeWorkstation(started.desktop(tmp_path / "desk").path)
    finally:
        started.server.stop()


class Heard:
    def __init__(self) -> None:
        self.events: list[OfficeEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: OfficeEvent) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, kind: str, timeout: float) -> OfficeEvent:
        # polled with sleeps, not Condition.wait_for: under libfaketime (make test-dates) a timed wait never ends
        end = time.monotonic() + timeout
        while not any(e.kind == kind for e in self.events) and time.monotonic() < end:
            time.sleep(0.02)
        with self._changed:
            found = [e for e in self.events if e.kind == kind]
        assert found, f"no {kind!r} within {timeout} s: {self.events}"
        return found[0]


def test_each_new_or_changed_request_is_announced_with_its_id_alone(
        office: tuple[Office, OfficeWorkstation], tmp_path: Path) -> None:
    started, workstation = office
    with psycopg.connect(started.server.conninfo("dws"), autocommit=True) as listener:
        queue_notify.listen(listener, queue_notify.channel(started.roles))
        with workstation.unlock("rita", PASSPHRASE) as rita:
            assert (rita.role, rita.office) == ("preparer", "Test Office")
            for path in canary_requests(tmp_path / "in"):           # taxpayer values in every field
                rita.import_request(path)
        started.server.psql("UPDATE dws.requests SET status = 'evaluated' WHERE request_id = 'CANARY-BULK-1'",
                            dbname="dws", check=True)
        heard = [(n.channel, n.payload) for n in listener.notifies(timeout=2, stop_after=3)]
    channel = f"{started.roles.prefix}_queue"
    assert heard == [(channel, "CANARY-INLINE-1"), (channel, "CANARY-BULK-1"), (channel, "CANARY-BULK-1")]


@pytest.mark.realtime
def test_the_watch_and_the_session_live_through_a_restart(office: tuple[Office, OfficeWorkstation],
                                                          tmp_path: Path) -> None:
    started, workstation = office
    server = started.server
    heard = Heard()
    with workstation.unlock("rita", PASSPHRASE) as rita, workstation.unlock("rita", PASSPHRASE) as other:
        watch = rita.watch(heard)
        time.sleep(0.5)                                 # listening
        other.import_request(write(tmp_path / "a.json", package("OFF-A")))
        assert heard.wait_for("changed", 1.0) == OfficeEvent("changed", "OFF-A")

        assert Cluster(server.bin, server.root, server.run_as).stop("fast")
        assert heard.wait_for("unreachable", 3.0).message == (
            f"office server unreachable: 127.0.0.1:{server.port}; the queue shown is as it was, and this desktop "
            "connects again by itself when the server is back")
        with pytest.raises(OfficeError) as away:
            rita.import_request(write(tmp_path / "b.json", package("OFF-B")))
        assert (away.value.reason, str(away.value)) == ("unreachable", (
            "the office server could not be reached or ended the connection during the import; nothing was "
            "imported (import the file again when the server is back)"))
        with pytest.raises(OfficeError) as away:
            rita.queue()                                # connects again first: still away
        assert away.value.reason == "unreachable" and str(away.value).startswith(
            f"office server unreachable: 127.0.0.1:{server.port} (check that the server is running")
        time.sleep(2 * 1.5)                             # tries more than once meanwhile ...
        assert [e.kind for e in heard.events] == ["changed", "unreachable"]     # ... and says so once

        done = pgserver._run(server, [str(server.bin / "pg_ctl"), "-D", str(server.data), "-l", str(server.log),
                                      "-w", "-t", "60", "-o", f"-p {server.port}", "start"])
        assert done.returncode == 0, done.stderr
        assert [r.request_id for r in other.queue()] == ["OFF-A"]  # its old connection was lost: read again
        heard.wait_for("reachable", 3.0)
        assert [r.request_id for r in rita.queue()] == ["OFF-A"]
        rita.import_request(write(tmp_path / "b.json", package("OFF-B")))
        assert [r.request_id for r in rita.queue()] == ["OFF-A", "OFF-B"]
    assert not watch.running                           # closing the session stopped its watch


def test_the_lock_is_opened_on_the_desktop_and_the_office_says_who_may_import(
        office: tuple[Office, OfficeWorkstation]) -> None:
    _started, workstation = office
    with workstation.unlock("otto", "otto's office passphrase") as otto:
        assert otto.role == "auditor"
        otto.reauthenticate("otto's office passphrase")
        with pytest.raises(AuthError, match="wrong passphrase"):
            otto.reauthenticate("rita's office passphrase")
    assert refusal("auditor", "import-request") == "your office role (auditor) may not do this; preparer or admin may"
    assert refusal("preparer", "import-records") is None
    with pytest.raises(AuthError, match="recovery code is not yet available for an office store"):
        workstation.unlock_recovery("ABCD")


def test_an_office_made_before_the_queue_was_announced_is_read_again_every_few_seconds(tmp_path: Path) -> None:
    started = Office.start()
    try:
        started.create(records_sql, requests_sql)           # no queue_notify: an office of the last version
        started.enrol("rita", "preparer", PASSPHRASE)
        workstation = OfficeWorkstation(started.desktop(tmp_path / "desk").path)
        heard = Heard()
        with workstation.unlock("rita", PASSPHRASE) as rita:
            rita.watch(heard)
            began = time.monotonic()
            assert heard.wait_for("changed", POLL_S + 3) == OfficeEvent("changed")
            assert time.monotonic() - began >= POLL_S - 1
    finally:
        started.server.stop()

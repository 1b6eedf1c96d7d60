"""The office log on a real PostgreSQL server (workstation/store/office/, issue 19): each office role connects
with psql as its own login and is refused UPDATE, DELETE and TRUNCATE on the log; the trigger refuses them to
the owner and a superuser too; appends have one order and the server records who made them."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from pgserver import SUPERUSER, PgServer

from workstation.store.office import log
from workstation.store.office.roles import OFFICE_ROLES, OfficeRoles, create_login, create_roles, drop_roles


@dataclass(frozen=True)
class Office:
    server: PgServer
    db: str
    roles: OfficeRoles
    logins: dict[str, str]          # office role -> its user's login

    def psql(self, sql: str, role: str | None = None) -> tuple[int, str]:
        done = self.server.psql(sql, user=self.logins[role] if role else SUPERUSER, dbname=self.db)
        return done.returncode, (done.stdout + done.stderr).strip()

    def connect(self, role: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.server.conninfo(self.db, self.logins[role]))


@pytest.fixture
def office(pg_server: PgServer, pg_database: str) -> Iterator[Office]:
    roles = OfficeRoles("o" + os.urandom(4).hex())
    logins = {role: f"{roles.prefix}_u_{role}" for role in OFFICE_ROLES}
    with psycopg.connect(pg_server.conninfo(pg_database)) as conn:     # one transaction, committed at the end
        create_roles(conn, roles)
        for role, login in logins.items():
            create_login(conn, roles, login, role)          # type: ignore[arg-type]
        log.create(conn, roles)
    yield Office(pg_server, pg_database, roles, logins)
    pg_server.drop_database(pg_database)
    with psycopg.connect(pg_server.conninfo(), autocommit=True) as conn:
        drop_roles(conn, roles, list(logins.values()))


def h(seq: int) -> str:
    return hashlib.sha256(b"entry %d" % seq).hexdigest()


def insert(seq: int) -> str:
    prev = log.GENESIS if seq == 1 else h(seq - 1)
    return ("INSERT INTO dws.office_log (seq, ts, user_name, event, object, detail, prev_hash, hash) VALUES "
            f"({seq}, '2026-11-02T10:00:0{seq}Z', session_user, 'decision.signed', 'R-1', '{{}}', '{prev}', "
            f"'{h(seq)}')")


def test_every_role_reads_the_log_and_the_auditor_appends_only_what_they_read(office: Office) -> None:
    for seq, role in enumerate(("preparer", "approver", "counsel", "admin"), start=1):
        assert office.psql(insert(seq), role) == (0, "")
    code, out = office.psql(insert(5), "auditor")
    assert code != 0 and "an auditor's office log entries record what they read" in out
    assert office.psql(insert(5).replace("'decision.signed'", "'candidates-viewed'"), "auditor") == (0, "")
    for role in OFFICE_ROLES:
        assert office.psql("SELECT string_agg(appended_by, ',' ORDER BY seq) FROM dws.office_log", role) == (
            0, ",".join(office.logins[r] for r in ("preparer", "approver", "counsel", "admin", "auditor")))


@pytest.mark.parametrize("statement", ["UPDATE dws.office_log SET detail = '{\"x\":1}'",
                                       "DELETE FROM dws.office_log WHERE seq = 1",
                                       "DELETE FROM dws.office_log WHERE false",
                                       "TRUNCATE dws.office_log"])
def test_no_office_role_may_change_the_log(office: Office, statement: str) -> None:
    assert office.psql(insert(1), "admin")[0] == 0
    for role in OFFICE_ROLES:
        code, out = office.psql(statement, role)
        assert code != 0 and "permission denied for table office_log" in out, (role, out)
    assert office.psql("SELECT count(*), min(detail) FROM dws.office_log") == (0, "1|{}")


def test_the_trigger_refuses_the_owner_and_a_superuser(office: Office) -> None:
    assert office.psql(insert(1), "preparer")[0] == 0
    owner = f'SET ROLE "{office.roles.owner}"; '
    for who in ("", owner):
        for op, statement in (("UPDATE", "UPDATE dws.office_log SET event = 'x'"),
                              ("DELETE", "DELETE FROM dws.office_log"), ("TRUNCATE", "TRUNCATE dws.office_log")):
            code, out = office.psql(who + statement)
            assert code != 0 and f"the office log is append-only: {op} refused" in out, (who, out)
    assert office.psql("SELECT count(*) FROM dws.office_log") == (0, "1")


def test_an_office_role_cannot_disable_the_trigger_take_the_owner_or_add_objects(office: Office) -> None:
    for role in ("admin", "counsel"):
        code, out = office.psql("ALTER TABLE dws.office_log DISABLE TRIGGER office_log_append_only", role)
        assert code != 0 and "must be owner of table office_log" in out
        code, out = office.psql(f'SET ROLE "{office.roles.owner}"', role)
        assert code != 0 and "permission denied to set role" in out
        code, out = office.psql("CREATE TABLE dws.shadow (a int)", role)
        assert code != 0 and "permission denied for schema dws" in out


def test_the_server_keeps_the_order_and_records_who_appended(office: Office) -> None:
    pat = office.logins["preparer"]
    with office.connect("preparer") as conn:
        log.append(conn, 1, "2026-11-02T10:00:00Z", pat, "request.imported", "R-1", "{}", log.GENESIS, h(1))
        conn.commit()
        for seq, prev in ((3, h(2)), (2, h(7)), (1, log.GENESIS)):     # a gap, a wrong link, a repeat
            with pytest.raises(psycopg.errors.IntegrityConstraintViolation, match="does not follow entry 1"):
                log.append(conn, seq, "2026-11-02T10:00:01Z", pat, "x", None, "{}", prev, h(seq))
            conn.rollback()
        conn.execute("INSERT INTO dws.office_log (seq, ts, user_name, event, detail, prev_hash, hash, appended_by) "
                     "VALUES (2, 't', %s, 'x', '{}', %s, %s, 'somebody_else')", (pat, h(1), h(2)))
        conn.commit()
        assert log.head(conn) == (2, h(2))
        who = conn.execute("SELECT appended_by FROM dws.office_log WHERE seq = 2").fetchone()
    assert who == (office.logins["preparer"],)


def test_appends_wait_for_each_other(office: Office) -> None:
    """The advisory lock: a second desktop's append waits while the first one's transaction is open (the
    server shows it waiting on the lock), then must follow the entry the first one committed. No timeout
    decides (the suite also runs under libfaketime, whose clock the server's timers do not follow)."""
    with office.connect("preparer") as first, office.connect("approver") as second, \
            psycopg.connect(office.server.conninfo(office.db)) as watcher:
        pat, abe = office.logins["preparer"], office.logins["approver"]
        log.append(first, 1, "t1", pat, "x", None, "{}", log.GENESIS, h(1))
        outcome: list[BaseException | None] = []

        def second_append() -> None:
            try:
                log.append(second, 1, "t1", abe, "x", None, "{}", log.GENESIS, h(1))
                outcome.append(None)
            except psycopg.Error as exc:
                outcome.append(exc)

        thread = threading.Thread(target=second_append)
        thread.start()
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND pid = %s"
        for _ in range(400):
            if watcher.execute(waiting, (second.info.backend_pid,)).fetchone() == (1,):
                break
            watcher.rollback()
            time.sleep(0.025)
        else:
            pytest.fail("the second append never waited on the log's lock")
        assert thread.is_alive() and outcome == []
        first.commit()
        thread.join(30)
        assert len(outcome) == 1 and isinstance(outcome[0], psycopg.errors.IntegrityConstraintViolation)
        second.rollback()
        log.append(second, 2, "t2", abe, "x", None, "{}", h(1), h(2))
        second.commit()
        assert log.head(second) == (2, h(2))


def test_no_one_appends_in_another_users_name_but_the_office_maker(office: Office) -> None:
    """The server refuses an entry whose user is not the appending login (another user, or none): a preparer
    cannot write an approval in counsel's name for verify to accept. A superuser (who makes the office and writes
    its first entries in the first admin's name, and could drop the trigger anyway) may."""
    refused = "an office log entry is written in its appender's own name"
    with office.connect("preparer") as conn:
        for user in (office.logins["counsel"], None, "carol-counsel"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match=refused):
                log.append(conn, 1, "t1", user, "request-approved", "R-1", "{}", log.GENESIS, h(1))
            conn.rollback()
    for role in ("counsel", "admin"):           # psql as another role, whatever the SQL says
        code, out = office.psql(insert(1).replace("session_user", f"'{office.logins['preparer']}'"), role)
        assert code != 0 and refused in out, (role, out)
    assert office.psql("SELECT count(*) FROM dws.office_log") == (0, "0")
    with office.connect("preparer") as conn:    # in their own name: appended
        log.append(conn, 1, "t1", office.logins["preparer"], "request-imported", "R-1", "{}", log.GENESIS, h(1))
        conn.commit()
    assert office.psql(insert(2).replace("session_user", "'first-admin'")) == (0, "")     # the superuser
    assert office.psql("SELECT string_agg(user_name || '/' || appended_by, ',' ORDER BY seq) FROM dws.office_log") \
        == (0, f"{office.logins['preparer']}/{office.logins['preparer']},first-admin/{SUPERUSER}")

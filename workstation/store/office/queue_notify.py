"""The live queue (issue 19 item 4): every insert into dws.requests and every change of a request (its status;
a claim) is announced to the desktops that LISTEN on the office's queue channel, at the commit that made it.

The notification's payload is the request id alone (plain queue metadata, the requester's control number): never
a taxpayer value, nor anything sealed. A desktop that hears one reads the queue again through its own session,
so what a notification says is never trusted beyond "look again". NOTIFY needs no grant, nor does LISTEN: any
login of the office's database may listen, and hears ids it may read in the queue anyway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

_FUNCTION = """
CREATE OR REPLACE FUNCTION dws.requests_notify() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], NEW.request_id);      -- the request id only: never a sealed or taxpayer value
    RETURN NULL;
END
$$"""


def channel(roles: OfficeRoles) -> str:
    """The office's queue channel: its role prefix's (two offices on one server have two channels)."""
    return f"{roles.prefix}_queue"


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The trigger that announces each new or changed request, owned by the office's owner role; in the
    caller's transaction, after store/office/requests.create (schema step 2; idempotent). The caller is a
    superuser."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    conn.execute(_FUNCTION)
    conn.execute(sql.SQL("CREATE OR REPLACE TRIGGER requests_notify AFTER INSERT OR UPDATE ON dws.requests "
                         "FOR EACH ROW EXECUTE FUNCTION dws.requests_notify({})").format(sql.Literal(channel(roles))))
    conn.execute("RESET ROLE")


def announces(conn: Conn) -> bool:
    """Whether the connected office announces its queue's changes (an office made before the trigger does not)."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'requests_notify' "
                       "AND tgrelid = to_regclass('dws.requests'))").fetchone()
    return bool(row and row[0])


def listen(conn: Conn, name: str) -> None:
    """LISTEN on the channel `name` (the connection in autocommit: it listens from now on)."""
    conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(name)))


def heard(conn: Conn, timeout: float) -> Iterator[str]:
    """The payloads (request ids) of the notifications that arrive within `timeout` seconds, as they arrive.
    psycopg.OperationalError when the connection is lost meanwhile."""
    for notify in conn.notifies(timeout=timeout):
        yield notify.payload


def ping(conn: Conn) -> None:
    """A round trip to the server (OperationalError when it is gone)."""
    conn.execute("SELECT 1")

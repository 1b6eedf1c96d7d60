"""The office schema as a whole (issue 19): what `dws office init` and `dws office demo` create in an empty
database, in one transaction: the office's roles, the append-only log, the keyslot tables (users', the recovery
slot, the office CA), the taxpayer records and the requests (and the trigger that announces the queue's changes)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from . import (
    decisions,
    desktops,
    evaluations,
    keyslots,
    letter_certs,
    log,
    orders,
    overrides,
    queue_notify,
    records,
    recovery,
    requests,
    settings,
    signing_keys,
)
from .roles import OfficeRoles, create_roles

Conn = psycopg.Connection[Any]


def create_office(conn: Conn, roles: OfficeRoles) -> None:
    """Roles, schema `dws`, log, keyslots, records and requests (their evaluations and claims too) in the connected
    empty database (the caller is a superuser)."""
    with conn.transaction():
        create_roles(conn, roles)
        log.create(conn, roles)
        keyslots.create(conn, roles)
        recovery.create(conn, roles)
        desktops.create(conn, roles)
        records.create(conn, roles)
        requests.create(conn, roles)
        queue_notify.create(conn, roles)
        evaluations.create(conn, roles)
        create_signed(conn, roles)


def create_signed(conn: Conn, roles: OfficeRoles) -> None:
    """Users' signing keys and certificates (the letter-signing CA), the court-order and agency registers,
    decisions, approvals and letters (i19d), overrides, settings and preferences (i19o); after the request tables
    and evaluations, in the caller's transaction."""
    signing_keys.create(conn, roles)
    letter_certs.create(conn, roles)
    orders.create(conn, roles)
    decisions.create(conn, roles)
    overrides.create(conn, roles)               # reviewers' overrides of the release plan (i19o)
    settings.create(conn, roles)                # the office's settings, its users' preferences (i19o)


def has_office(conn: Conn) -> bool:
    """Whether the connected database holds an office schema already."""
    row = conn.execute("SELECT to_regclass('dws.office_log') IS NOT NULL").fetchone()
    return bool(row and row[0])


def database_exists(conn: Conn, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def create_database(conn: Conn, name: str) -> None:
    """A new database (UTF-8, from template0); `conn` in autocommit (CREATE DATABASE runs outside a transaction)."""
    conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(sql.Identifier(name)))


def table_counts(conn: Conn) -> dict[str, int]:
    """Rows in each office table (the tests compare them before and after a refused import)."""
    found = {}
    for table in ("office_log", "taxpayer_records", "requests", "request_subjects", "request_reasons"):
        exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"dws.{table}",)).fetchone()
        if not (exists and exists[0]):          # an office made before the table was (its counts leave it out)
            continue
        row = conn.execute(sql.SQL("SELECT count(*) FROM dws.{}").format(sql.Identifier(table))).fetchone()
        found[table] = int(row[0]) if row else 0
    return found

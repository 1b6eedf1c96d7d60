"""The office schema (issue 19) and its versions: what `dws office init` and `dws office demo` create in an
empty database, and what `dws office init` adds to an office made by an older dws, in one transaction.

An office's schema is the ordered STEPS below; its version is the number of the last step it has had, kept in
`dws.schema_steps` (one row per step: number, what it added, when and by whom). Creating an office runs every
step; upgrading one runs the steps after its version (service/office_setup.py). A new piece of the office is one
more Step at the end of STEPS (never an edit of an earlier step: offices out there have had it): its number the
next, its `apply` idempotent SQL in this package, its `present` None (only offices made before versions were kept
are probed). A desktop refuses an office of a newer version than its own STEPS (office/unlock.py).

Offices made before versions were kept have no `dws.schema_steps`: an upgrade probes them for each step (`present`)
and records what it finds, then runs the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from . import (
    checkpoint_keys,
    decisions,
    desktops,
    evaluations,
    keyslots,
    letter_certs,
    log,
    matches,
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


def _base(conn: Conn, roles: OfficeRoles) -> None:
    """Step 1: roles, schema `dws`, log, keyslots, desktops, records, requests, evaluations and claims, signing keys,
    registers, decisions, approvals and letters (the caller is a superuser; the database is empty)."""
    create_roles(conn, roles)
    log.create(conn, roles)
    keyslots.create(conn, roles)
    desktops.create(conn, roles)
    records.create(conn, roles, address=False)
    requests.create(conn, roles, address=False)
    evaluations.create(conn, roles)
    create_signed(conn, roles)


def create_signed(conn: Conn, roles: OfficeRoles) -> None:
    """Users' signing keys and certificates (the letter-signing CA), the court-order and agency registers,
    decisions, approvals and letters (i19d); after the request tables and evaluations, in the caller's
    transaction (part of step 1)."""
    signing_keys.create(conn, roles)
    letter_certs.create(conn, roles)
    orders.create(conn, roles)
    decisions.create(conn, roles)


def overrides_and_settings(conn: Conn, roles: OfficeRoles) -> None:
    """Step 6: reviewers' overrides of the release plan, the office's settings and its users' preferences."""
    if not overrides.exists(conn):
        overrides.create(conn, roles)
    if not settings.exists(conn):
        settings.create(conn, roles)


def matches_and_proofs_logged(conn: Conn, roles: OfficeRoles) -> None:
    """Step 7: each evaluated subject's matched taxpayer as a TIN blind index when it is not the TIN the subject names
    (`dws log prove --tin-file`), and an auditor's `log-proofs-exported` entries accepted by the log."""
    matches.create(conn, roles)
    log.allow_reading(conn, roles)


def per_user_checkpoint_keys(conn: Conn, roles: OfficeRoles) -> None:
    """Step 8: users' checkpoint keys (checkpoint_keys.py), and the log's append trigger letting an auditor announce
    their own."""
    checkpoint_keys.create(conn, roles)
    log.allow_key_announcements(conn, roles)


def _has_overrides_and_settings(conn: Conn) -> bool:
    return overrides.exists(conn) and settings.exists(conn)


def _has_base(conn: Conn) -> bool:
    """Whether an office made before versions has every table of step 1 (one made before requests, evaluations
    or decisions has not: it is made again, as those pieces' own messages say)."""
    tables = ("office_log", "office_keyslots", "taxpayer_records", "requests", "evaluations", "court_orders",
              "office_signing_keys")
    row = conn.execute("SELECT bool_and(to_regclass('dws.' || t) IS NOT NULL) FROM unnest(%s::text[]) AS t",
                       (list(tables),)).fetchone()
    return bool(row and row[0])


def _has_recovery(conn: Conn) -> bool:
    row = conn.execute("SELECT to_regclass('dws.office_recovery_proof') IS NOT NULL").fetchone()
    return bool(row and row[0])


@dataclass(frozen=True)
class Step:
    number: int
    adds: str                                       # what it adds, as the upgrade prints it
    apply: Callable[[Conn, OfficeRoles], None]      # idempotent, as a superuser, in the caller's transaction
    present: Callable[[Conn], bool] | None = None   # (offices made before versions) whether it has it already


STEPS: tuple[Step, ...] = (
    Step(1, "the office: roles, log, keyslots, desktops, taxpayer records, requests, evaluations, signing keys, "
            "court-order and agency registers, decisions, approvals and letters", _base, _has_base),
    Step(2, "the queue's notification trigger (desktops hear a change within a second instead of reading the "
            "queue every 5 seconds)", queue_notify.create, queue_notify.announces),
    Step(3, "the recovery proof and its functions ('dws office recover')", recovery.create, _has_recovery),
    Step(4, "the address-key blind index of taxpayer records (an evaluation fetches a subject's address, not its "
            "whole ZIP5)", records.add_address_index, records.has_address_index),
    Step(5, "the address-key blind index of a request's subjects, made at import (the server joins them to the "
            "records itself)", requests.add_address_index, requests.has_address_index),
    Step(6, "reviewers' overrides of the release plan, the office's settings and its users' preferences",
         overrides_and_settings, _has_overrides_and_settings),
    Step(7, "each evaluated subject's matched taxpayer as a TIN blind index, when not the TIN it names (one "
            "taxpayer's views proved with 'dws log prove --tin-file'), and an auditor's log-proofs-exported entries",
         matches_and_proofs_logged),
    Step(8, "each user's own checkpoint key for the office log (made at their next unlock; the office key's "
            "checkpoints stay verifiable)", per_user_checkpoint_keys),
    Step(9, "signing keys on smart cards (PIV, PKCS#11): a user's public key registered with no private key on the "
            "server", signing_keys.add_cards),
    Step(10, "checkpoint keys on smart cards: a user's Ed25519 checkpoint key registered with no private key on the "
             "server", checkpoint_keys.add_cards),
    Step(11, "faster records imports (the three indexes of taxpayer records that nothing reads are dropped: name "
             "control, name and address, and every row's ZIP5) and a faster first evaluation after one (a first "
             "load analyses the table)", records.drop_unread_indexes),
)
VERSION = STEPS[-1].number          # this dws's office schema version
RECOVERY_STEP = 3                   # its proof is put by the desktop, from the recovery code (office_setup)
ADDRESS_STEP = 4                    # rows already there keep NULL (computing it takes the office key)
# The oldest version a desktop of this dws works with: every piece after it has an older way (the queue polled,
# `office recover` refused, records fetched by ZIP5). A step whose piece the desktop cannot do without raises it
# to that step's number: a desktop then refuses an older office with the command that upgrades it.
OLDEST_OPENED = 1



def steps_upto(number: int) -> tuple[Step, ...]:
    """The steps an office of version `number` has had (numbers may leave a gap while branches are merged)."""
    return tuple(step for step in STEPS if step.number <= number)


def steps_after(number: int) -> tuple[Step, ...]:
    """The steps an office of version `number` has not had yet."""
    return tuple(step for step in STEPS if step.number > number)


_STEPS_TABLE = """CREATE TABLE IF NOT EXISTS dws.schema_steps (
    step        integer PRIMARY KEY CHECK (step > 0),
    adds        text NOT NULL,
    found       boolean NOT NULL DEFAULT false,     -- an office made before versions had it already
    applied_at  timestamptz NOT NULL DEFAULT now(),
    applied_by  name NOT NULL DEFAULT session_user
)"""


def create_office(conn: Conn, roles: OfficeRoles) -> None:
    """Every step, in the connected empty database, in one transaction (the caller is a superuser)."""
    with conn.transaction():
        for step in STEPS:
            step.apply(conn, roles)
            record_step(conn, roles, step)


def version(conn: Conn) -> int | None:
    """The connected office's schema version; None for an office made before versions were kept."""
    exists = conn.execute("SELECT to_regclass('dws.schema_steps') IS NOT NULL").fetchone()
    if not (exists and exists[0]):
        return None
    row = conn.execute("SELECT max(step) FROM dws.schema_steps").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def found_steps(conn: Conn) -> int:
    """(An office made before versions) how many of the first steps it has, probed in order."""
    had = 0
    for step in STEPS:
        if step.present is None or not step.present(conn):
            break
        had = step.number
    return had


def record_step(conn: Conn, roles: OfficeRoles, step: Step, found: bool = False) -> None:
    """Note in the office that it has `step` (the table made first, readable by every office role and the
    keyslot reader, who checks the version before a user unlocks)."""
    made = version(conn) is None
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    conn.execute(_STEPS_TABLE)
    if made:
        readers = sql.SQL(", ").join(map(sql.Identifier, [*roles.groups(), keyslots.desk_role(roles)]))
        conn.execute("REVOKE ALL ON dws.schema_steps FROM PUBLIC")
        conn.execute(sql.SQL("GRANT SELECT ON dws.schema_steps TO {}").format(readers))
    conn.execute("RESET ROLE")
    conn.execute("INSERT INTO dws.schema_steps (step, adds, found) VALUES (%s, %s, %s) ON CONFLICT (step) DO NOTHING",
                 (step.number, step.adds, found))


def lock_steps(conn: Conn) -> None:
    """Hold off another upgrade of this office until the caller's transaction ends."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtext('dws.schema_steps'))")


def may_upgrade(conn: Conn) -> bool:
    """Whether the connected login may change the office's schema: a superuser (the steps act as the office's
    owner and grant to its roles, as `office init` did)."""
    row = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    return bool(row and row[0])


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

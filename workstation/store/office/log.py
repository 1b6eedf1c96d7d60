"""The office log on PostgreSQL: the local store's audit log (store/auditlog.py: the same columns, the same
hash chain; entries carry ids, counts and codes, never taxpayer values), append-only on the server itself.

- Nobody is granted UPDATE, DELETE or TRUNCATE on it, and a statement trigger refuses all three to anyone
  left (the owner role, a superuser who has not disabled the trigger): a superuser who goes further is caught
  by the checkpoints the witnesses hold (issue 12), not here.
- An append takes a transaction-scoped advisory lock, so appends from many desktops have one order; the
  server refuses an entry whose seq does not follow the last one or whose prev_hash is not the last hash.
- The server records who appended each entry (`appended_by`, the session's login role) and when, whatever
  the desktop sent, and refuses an entry in another user's name (user_name not the session's login), but from
  a session that may act as the office's owner (a superuser; `dws office init` writes the first entries).
- Every office role reads it. The auditor appends only entries that record what they read (READING_EVENTS:
  the desktop logs who viewed which taxpayer's data, an auditor's reading included); any other event in an
  auditor's name is refused by the server.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg import sql

from . import copy_in
from .roles import OfficeRoles

SCHEMA = "dws"
GENESIS = "0" * 64
APPENDERS = ("preparer", "approver", "counsel", "admin")
# What an auditor (who changes nothing) may append: entries recording what they read or checked (and AUDITOR_EVENTS).
# `log-proofs-exported` (an auditor's proofs of what they read) since schema step 7 (`allow_reading`): an office
# before it refuses it from an auditor.
READING_EVENTS = ("request-viewed", "candidates-viewed", "preview-viewed", "unredacted-viewed", "subjects-searched",
                  "decision-exported", "letter-verified", "accounting-exported", "log-proofs-exported")
# An auditor's own checkpoint key is announced in the log in their name too (schema step 8: checkpoint_keys.py).
CHECKPOINT_KEY_EVENT = "checkpoint-key-enrolled"
AUDITOR_EVENTS = (*READING_EVENTS, CHECKPOINT_KEY_EVENT)
# pg_advisory_xact_lock's key for the log: "dws.office_log" as a bigint (the first 8 bytes of its ASCII).
LOG_LOCK = int.from_bytes(b"dws.olog", "big", signed=True)

_TABLE = """
CREATE TABLE dws.office_log (
    seq         bigint PRIMARY KEY CHECK (seq >= 1),
    ts          text NOT NULL,
    user_name   text,
    event       text NOT NULL,
    object      text,
    detail      text NOT NULL,                  -- canonical JSON: ids, counts and codes, never taxpayer values
    prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    appended_by name NOT NULL DEFAULT session_user,          -- set by the server (office_log_append)
    appended_at timestamptz NOT NULL DEFAULT clock_timestamp()
)"""

_REFUSE = """
CREATE FUNCTION dws.office_log_refuse() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION 'the office log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$"""

_APPEND = """
CREATE OR REPLACE FUNCTION dws.office_log_append() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    last_seq  bigint;
    last_hash text;
BEGIN
    -- An entry is written in its appender's own name: user_name is the login this session authenticated as
    -- (session_user; SET ROLE does not change it), and no user (NULL) is refused too. The one exception: a
    -- session that may act as the office's owner role, i.e. a superuser or the server administrator who made
    -- the office: `dws office init` writes the office's first entries in the first admin's name before that
    -- admin has ever connected. Such a session could drop this trigger anyway; the witnesses' checkpoints, not
    -- this check, catch what it does. (`dws office migrate`, run by an admin, logs in that admin's own name.)
    IF NEW.user_name IS DISTINCT FROM session_user::text AND NOT pg_has_role(session_user, {owner}, 'MEMBER') THEN
        RAISE EXCEPTION 'an office log entry is written in its appender''s own name: % may not write one in '
                        'another user''s name', session_user USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The auditor changes nothing: their entries record only what they read (READING_EVENTS).
    IF NEW.event <> ALL ({reading}) AND pg_has_role(session_user, {auditor}, 'MEMBER')
       AND NOT pg_has_role(session_user, {owner}, 'MEMBER')
       AND NOT EXISTS (SELECT 1 FROM unnest({appenders}) AS g(name)
                       WHERE pg_has_role(session_user, g.name, 'MEMBER'))
    THEN
        RAISE EXCEPTION 'an auditor''s office log entries record what they read: % may not append %',
            session_user, NEW.event USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock({lock});
    SELECT seq, hash INTO last_seq, last_hash FROM dws.office_log ORDER BY seq DESC LIMIT 1;
    IF NEW.seq IS DISTINCT FROM coalesce(last_seq, 0) + 1
       OR NEW.prev_hash IS DISTINCT FROM coalesce(last_hash, {genesis}) THEN
        RAISE EXCEPTION 'office log entry % does not follow entry % (seq or previous hash)',
            NEW.seq, coalesce(last_seq, 0) USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.appended_by := session_user;
    NEW.appended_at := clock_timestamp();
    RETURN NEW;
END
$$"""

_TRIGGERS = (
    "CREATE TRIGGER office_log_append BEFORE INSERT ON dws.office_log FOR EACH ROW "
    "EXECUTE FUNCTION dws.office_log_append()",
    "CREATE TRIGGER office_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.office_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION dws.office_log_refuse()",
)


def create(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles) -> None:
    """The schema `dws` and the office log in the connected (empty) database, owned by the office's owner
    role, with its grants; in the caller's transaction. The caller is a superuser (`dws office init`)."""
    ident = sql.Identifier
    dbname = conn.info.dbname
    conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident(dbname)))
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
        ident(dbname), sql.SQL(", ").join(map(ident, roles.groups()))))
    conn.execute(sql.SQL("CREATE SCHEMA dws AUTHORIZATION {}").format(ident(roles.owner)))
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))   # what follows is the owner's
    conn.execute(_TABLE)
    conn.execute(_REFUSE)
    _append_function(conn, roles)
    for trigger in _TRIGGERS:
        conn.execute(trigger)
    conn.execute("REVOKE ALL ON SCHEMA dws FROM PUBLIC")
    conn.execute("REVOKE ALL ON dws.office_log FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA dws TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT SELECT ON dws.office_log TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT ON dws.office_log TO {}").format(everyone))   # the auditor: READING_EVENTS
    conn.execute("RESET ROLE")


def _append_function(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles) -> None:
    """The append trigger's function (as the owner), with AUDITOR_EVENTS as they are in this dws."""
    conn.execute(sql.SQL(_APPEND).format(
        lock=sql.Literal(LOG_LOCK), genesis=sql.Literal(GENESIS), owner=sql.Literal(roles.owner),
        auditor=sql.Literal(roles.group("auditor")),
        reading=sql.SQL("ARRAY[{}]::text[]").format(sql.SQL(", ").join(map(sql.Literal, AUDITOR_EVENTS))),
        appenders=sql.SQL("ARRAY[{}]::text[]").format(
            sql.SQL(", ").join(sql.Literal(roles.group(r)) for r in APPENDERS))))


def allow_reading(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles) -> None:
    """(Schema step 7) the append trigger's function made again with this dws's AUDITOR_EVENTS (an auditor's
    `log-proofs-exported` accepted), as the office's owner; in the caller's transaction (a superuser's)."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    _append_function(conn, roles)


def allow_key_announcements(conn: psycopg.Connection[tuple[object, ...]], roles: OfficeRoles) -> None:
    """(Schema step 8) the append trigger's function again, so an auditor may announce their own checkpoint key
    (AUDITOR_EVENTS); in the caller's transaction, as a superuser. Idempotent."""
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner)))
    _append_function(conn, roles)
    conn.execute("RESET ROLE")


def append(conn: psycopg.Connection[tuple[object, ...]], seq: int, ts: str, user: str | None, event: str,
           obj: str | None, detail: str, prev_hash: str, hash_: str) -> None:
    conn.execute("INSERT INTO dws.office_log (seq, ts, user_name, event, object, detail, prev_hash, hash) "
                 "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", (seq, ts, user, event, obj, detail, prev_hash, hash_))


def head(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[int, str]:
    """(seq, hash) of the last entry; (0, GENESIS) for an empty log."""
    row = conn.execute("SELECT seq, hash FROM dws.office_log ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return 0, GENESIS
    seq, last = row
    assert isinstance(seq, int) and isinstance(last, str)
    return seq, last


def lock(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Take the log's append lock for the rest of the transaction (the trigger takes it too): an appender that
    reads the head after this appends right after it, whatever other desktops do meanwhile."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOG_LOCK,))


def entries(conn: psycopg.Connection[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """(seq, ts, user_name, event, object, detail, prev_hash, hash, appended_by) of every entry, in order."""
    return conn.execute("SELECT seq, ts, user_name, event, object, detail, prev_hash, hash, appended_by "
                        "FROM dws.office_log ORDER BY seq").fetchall()


def entries_from(conn: psycopg.Connection[tuple[object, ...]], first: int,
                 page: int = 10_000) -> list[tuple[object, ...]]:
    """Like `entries`, from entry `first` on (an incremental checkpoint: service/office_log_cache.py). Read `page`
    entries at a time: with a LIMIT the server walks the primary key from `first` whatever its statistics say (without
    one, a log just filled and not yet analysed is scanned whole for a few entries)."""
    out: list[tuple[object, ...]] = []
    while True:
        rows = conn.execute("SELECT seq, ts, user_name, event, object, detail, prev_hash, hash, appended_by "
                            "FROM dws.office_log WHERE seq >= %s ORDER BY seq LIMIT %s", (first, page)).fetchall()
        out += rows
        if len(rows) < page:
            return out
        first = int(str(rows[-1][0])) + 1


_COPY = "COPY dws.office_log (seq, ts, user_name, event, object, detail, prev_hash, hash) FROM STDIN"


def copy_entries(conn: psycopg.Connection[tuple[object, ...]],
                 rows: Iterable[tuple[int, str, str | None, str, str | None, str, str, str]]) -> int:
    """Append entries (seq, ts, user, event, object, detail, prev_hash, hash) through one COPY, in the caller's
    transaction after `lock`: the append trigger checks each row's seq and previous hash as for one insert.
    How many."""
    return copy_in.copy_rows(conn, _COPY, None, rows)     # an exception's text never reaches the server


def find(conn: psycopg.Connection[tuple[object, ...]], event: str, obj: str) -> tuple[int, str, str | None] | None:
    """(seq, ts, user) of the first entry of `event` about `obj`, if any."""
    row = conn.execute("SELECT seq, ts, user_name FROM dws.office_log WHERE event = %s AND object = %s "
                       "ORDER BY seq LIMIT 1", (event, obj)).fetchone()
    if row is None:
        return None
    seq, ts, user = row
    return int(str(seq)), str(ts), None if user is None else str(user)

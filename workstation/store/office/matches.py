"""Subjects' matches in the office store (issue 19, schema step 7): for every subject an evaluation matched to a
taxpayer other than the one whose TIN it names (matched by name and address, naming no TIN or another one), that
taxpayer's TIN as a blind index (the office's "tin" index, as request_subjects.tin_index), so that `dws log prove
--tin-file` finds the views of a taxpayer matched by name and address, not only of one a subject names by TIN (a
subject matched to the TIN it names is found by its own tin_index: most of a bulk request's, not copied again).
Never the TIN itself: the server holds 16 bytes of HMAC it cannot reverse.

dws.subject_matches, appended with its evaluation and never changed or removed (a trigger refuses it, to the owner
too): one row such a subject of an evaluation; an evaluation again adds its own rows and leaves the earlier ones,
so a view made under either match is found.
    evaluation  bigint      dws.evaluations.id
    seq         integer     the subject (dws.request_subjects.seq of the evaluation's request)
    tin_index   bytea       the matched taxpayer's TIN, blind-indexed

The roles that record evaluations (evaluations.RECORDERS) may INSERT, through one COPY in the transaction that
records the evaluation; a statement trigger (one check a statement, not one a row) refuses rows of any evaluation
but the one this session has just numbered (currval('dws.evaluation_ids')) and recorded itself (appended_by). Every
office role reads it (an auditor proves).

dws.subject_matches_since holds one row: the first evaluation id the office kept matches for. Evaluations before it
(recorded before the office had step 7) have none: a taxpayer's views under them are found only where a subject
names the TIN, and the proof says how many requests that leaves out (service/office_proofs.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from operator import itemgetter
from typing import Any

import psycopg
from psycopg import sql

from .copy_in import copy_rows
from .evaluations import RECORDERS
from .requests import SUBJECT_COLUMNS
from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS dws.subject_matches (
        evaluation bigint NOT NULL CHECK (evaluation > 0),
        seq        integer NOT NULL CHECK (seq >= 0),
        tin_index  bytea NOT NULL CHECK (length(tin_index) = 16)
    )""",
    "CREATE INDEX IF NOT EXISTS subject_matches_tin ON dws.subject_matches (tin_index)",
    # (rows arrive an evaluation at a time: a block-range index is found as fast for `of_latest` and costs nothing
    # to a COPY, where a b-tree on it made 1.28 M rows take 1.3 s longer)
    "CREATE INDEX IF NOT EXISTS subject_matches_evaluation ON dws.subject_matches USING brin (evaluation)",
    """CREATE TABLE IF NOT EXISTS dws.subject_matches_since (
        one        boolean PRIMARY KEY DEFAULT true CHECK (one),
        evaluation bigint NOT NULL
    )""",
    """INSERT INTO dws.subject_matches_since (evaluation)
        SELECT coalesce(max(id), 0) + 1 FROM dws.evaluations ON CONFLICT DO NOTHING""",
    """CREATE OR REPLACE FUNCTION dws.subject_matches_check() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            mine bigint;
        BEGIN
            BEGIN
                mine := currval('dws.evaluation_ids');     -- the evaluation this session numbered last
            EXCEPTION WHEN object_not_in_prerequisite_state THEN
                mine := NULL;                               -- none yet
            END;
            IF EXISTS (SELECT 1 FROM (SELECT DISTINCT evaluation FROM added) a
                       WHERE a.evaluation IS DISTINCT FROM mine
                          OR NOT EXISTS (SELECT 1 FROM dws.evaluations e WHERE e.id = a.evaluation
                                         AND e.appended_by = session_user)) THEN
                RAISE EXCEPTION 'subjects'' matches are recorded with their evaluation, by the login that records '
                                'it: % refused', session_user USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NULL;
        END $$""",
    """CREATE OR REPLACE FUNCTION dws.subject_matches_keep() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            RAISE EXCEPTION '% is kept as recorded: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    "DROP TRIGGER IF EXISTS subject_matches_check ON dws.subject_matches",
    "CREATE TRIGGER subject_matches_check AFTER INSERT ON dws.subject_matches REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION dws.subject_matches_check()",
    *(f"DROP TRIGGER IF EXISTS {t}_keep ON dws.{t}" for t in ("subject_matches", "subject_matches_since")),
    *(f"CREATE TRIGGER {t}_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.{t} "
      "FOR EACH STATEMENT EXECUTE FUNCTION dws.subject_matches_keep()"
      for t in ("subject_matches", "subject_matches_since")),
)
_COPY = "COPY dws.subject_matches (evaluation, seq, tin_index) FROM STDIN (FORMAT BINARY)"
_TYPES = ("int8", "int4", "bytea")


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The matches table, its marker, triggers and grants (idempotent), as the office's owner; in the caller's
    transaction, after evaluations.create. The caller is a superuser."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:
        conn.execute(statement)
    conn.execute("REVOKE ALL ON dws.subject_matches, dws.subject_matches_since FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    recorders = sql.SQL(", ").join(ident(roles.group(r)) for r in RECORDERS)
    conn.execute(sql.SQL("GRANT SELECT ON dws.subject_matches, dws.subject_matches_since TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT INSERT ON dws.subject_matches TO {}").format(recorders))
    conn.execute("RESET ROLE")


def exists(conn: Conn) -> bool:
    """Whether the office keeps subjects' matches (schema step 7)."""
    row = conn.execute("SELECT to_regclass('dws.subject_matches_since') IS NOT NULL").fetchone()
    return bool(row and row[0])


def copy(conn: Conn, evaluation: int, rows: Iterable[tuple[int, bytes]]) -> int:
    """The (seq, tin index) of an evaluation's matched subjects, through one binary COPY in the caller's
    transaction, after the evaluation's row; how many. Sent in index order: the index on tin_index then grows a few
    pages at a time instead of all over (1.28 M rows: 3.6 s instead of 7.7 s on the server, for 1.2 s of sorting
    here)."""
    ordered = sorted(rows, key=itemgetter(1))
    return copy_rows(conn, _COPY, _TYPES, ((evaluation, seq, index) for seq, index in ordered))


def of_latest(conn: Conn, request: int) -> set[tuple[int, bytes]]:
    """(seq, tin index) of every matched subject of the request's latest evaluation."""
    rows = conn.execute("SELECT seq, tin_index FROM dws.subject_matches WHERE evaluation = "
                        "(SELECT max(id) FROM dws.evaluations WHERE request = %s)", (request,)).fetchall()
    return {(int(seq), bytes(index)) for seq, index in rows}


_NAMED = """SELECT q.request_id, {columns} FROM dws.request_subjects s JOIN dws.requests q ON q.id = s.request
WHERE s.tin_index = %(tin)s"""
_MATCHED = """SELECT q.request_id, {columns} FROM dws.subject_matches m JOIN dws.evaluations e ON e.id = m.evaluation
    JOIN dws.request_subjects s ON s.request = e.request AND s.seq = m.seq JOIN dws.requests q ON q.id = e.request
WHERE m.tin_index = %(tin)s"""


def subjects_of_taxpayer(conn: Conn, tin_index: bytes, addressed: bool = True) -> list[tuple[Any, ...]]:
    """(request_id, then the subject row as requests.SUBJECT_COLUMNS) of every subject that names the TIN or that
    an evaluation matched to the taxpayer with it (on an office without step 7: only those naming it), once each,
    in request and subject order. `addressed` False: an office whose subjects have no address index (NULL)."""
    columns = sql.SQL(", ").join(
        sql.SQL("s.{}").format(sql.Identifier(c)) if addressed or c != "address_index" else sql.SQL("NULL::bytea")
        for c in SUBJECT_COLUMNS)
    parts = [_NAMED, _MATCHED] if exists(conn) else [_NAMED]
    query = sql.SQL(" UNION ").join(sql.SQL(p).format(columns=columns) for p in parts)
    return conn.execute(sql.SQL("{} ORDER BY 1, 3").format(query), {"tin": tin_index}).fetchall()


def unmatched_requests(conn: Conn) -> int:
    """How many requests have an evaluation recorded before the office kept matches (all evaluated requests on
    an office without step 7)."""
    if not exists(conn):
        row = conn.execute("SELECT count(DISTINCT request) FROM dws.evaluations").fetchone()
    else:
        row = conn.execute("SELECT count(DISTINCT e.request) FROM dws.evaluations e, dws.subject_matches_since m "
                           "WHERE e.id < m.evaluation").fetchone()
    return int(row[0]) if row else 0

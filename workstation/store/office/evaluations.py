"""Evaluations and claims in the office store (issue 19): what the desktop reads to evaluate a request (its sealed
subjects and the sealed candidate records, joined on the blind indexes in SQL, streamed through server-side
cursors) and what it records afterwards.

dws.evaluations, one row an evaluation (appended, never changed or removed: a trigger refuses it, to the owner too):
    id              bigint      from a sequence (in the sealed values' associated data)
    request         bigint      the request's row (dws.requests.id)
    as_of           text        plain: the ISO date the evaluation judged time limits on
    evaluated_at    text        plain: when (UTC, ISO), and by which user of the office
    evaluated_by    text
    appended_by     name        set by the server: the login that inserted the row
    recommendation  text        plain, as the local queue shows it (the office log carries it too)
    document        bytea       sealed: the evaluation's document (service/evaluation.py's EvaluationDoc)
    findings_hash   bytea       sealed: its findings hash and plan hash, each under its own label (a plain
    plan_hash       bytea       hash of refs and findings could be tried against guesses)

dws.requests gains `claimed_by` (name, NULL: nobody): set once, by the claimant's own login (a trigger refuses a
claim in another login's name, a claim by a login that is not a preparer, and any change of a claim made).
Preparers, approvers, counsel and admins record an evaluation through dws.record_evaluation (SECURITY DEFINER),
which appends its row, makes a new request 'evaluated' (a later status stays) and, asked to by a preparer, claims
the request when nobody has, in one statement; nobody is granted INSERT on dws.evaluations or UPDATE on dws.requests. An
auditor reads only.

The candidate records of a request: every record row of a taxpayer (its TIN's blind index) that a subject names by
TIN, or that has a row in a ZIP5 a subject (or the caller's extra ZIP5s) gives: MATCH by name and address looks
up the taxpayers at an address (any name, any row) and every name they have filed under, and a record at an
address carries that address's ZIP5 index. `with_unzipped` adds the taxpayers with a row without a five-digit ZIP
(for a subject whose address has none). A superset of what the local evaluation reads, so the evaluation of the
working copy built from it is the local store's.

An office whose records carry an address index (records.py) narrows the ZIP5 way to the address itself: every
record row of a taxpayer a subject names by TIN, or that has a row at an address key a subject gives (the
caller hands their blind indexes: the desktop opened the subjects, the server cannot make them), which is
exactly what MATCH by name and address looks up (the local store's records_at_addresses, then every row of
those taxpayers). An office whose subjects carry their address index (requests.py) joins them on the server; the
caller then hands only those of subjects imported without one (and the requester's). Rows without an address
index (no street, or loaded by a desktop that did not make one) are still taken the ZIP5 way, so nothing the
local evaluation reads is left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import sql

from .records import COLUMNS as RECORD_COLUMNS
from .requests import SUBJECT_SELECT
from .roles import OFFICE_ROLES, OfficeRole, OfficeRoles

Conn = psycopg.Connection[Any]

TABLE = "evaluations"
FINDINGS_LABEL = "evaluations.findings_hash"
PLAN_LABEL = "evaluations.plan_hash"
RECORDERS = ("preparer", "approver", "counsel", "admin")
CLAIMERS = ("preparer",)
STREAM_ROWS = 20_000
BULK_WORK_MEM = "256MB"       # read_only_snapshot(bulk=True)

_SCHEMA = (
    "ALTER TABLE dws.requests ADD COLUMN claimed_by name",
    # a request's status and its claim may change, nothing else of it (store/office/requests.py made it)
    """CREATE OR REPLACE FUNCTION dws.requests_keep() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'requests'
               AND (to_jsonb(NEW) - 'status' - 'claimed_by') = (to_jsonb(OLD) - 'status' - 'claimed_by') THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '% is kept as imported: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE FUNCTION dws.requests_claim() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF NEW.claimed_by IS NOT DISTINCT FROM OLD.claimed_by THEN
                RETURN NEW;
            END IF;
            IF OLD.claimed_by IS NOT NULL THEN
                RAISE EXCEPTION 'request % is claimed by %: a claim is not taken over', OLD.request_id,
                    OLD.claimed_by USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.claimed_by <> session_user OR NOT pg_has_role(session_user, {claimers}, 'MEMBER') THEN
                RAISE EXCEPTION 'a request is claimed by a preparer, for themselves only'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""",
    "CREATE TRIGGER requests_claim BEFORE UPDATE OF claimed_by ON dws.requests FOR EACH ROW "
    "EXECUTE FUNCTION dws.requests_claim()",
    "CREATE SEQUENCE dws.evaluation_ids AS bigint",
    """CREATE TABLE dws.evaluations (
        id             bigint PRIMARY KEY CHECK (id > 0),
        request        bigint NOT NULL REFERENCES dws.requests (id),
        as_of          text COLLATE "C" NOT NULL CHECK (as_of ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'),
        evaluated_at   text NOT NULL,
        evaluated_by   text NOT NULL,
        appended_by    name NOT NULL DEFAULT session_user CHECK (appended_by = session_user),
        recommendation text NOT NULL CHECK (length(recommendation) <= 32),
        document       bytea NOT NULL CHECK (length(document) > 28),
        findings_hash  bytea NOT NULL CHECK (length(findings_hash) > 28),
        plan_hash      bytea NOT NULL CHECK (length(plan_hash) > 28)
    )""",
    "CREATE INDEX evaluations_request ON dws.evaluations (request, id)",
    # The one way a role records an evaluation: its row, the request's status and (for a preparer, when nobody
    # has) the claim, together; nobody is granted INSERT on the table or UPDATE on dws.requests.
    """CREATE FUNCTION dws.record_evaluation(p_id bigint, p_request bigint, p_as_of text, p_evaluated_at text,
            p_evaluated_by text, p_recommendation text, p_document bytea, p_findings_hash bytea, p_plan_hash bytea,
            p_claim boolean, OUT claimed_by name, OUT claimed boolean)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            prior name;
        BEGIN
            IF NOT ({recorder}) THEN
                RAISE EXCEPTION 'only a preparer, approver, counsel or admin records an evaluation'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT r.claimed_by INTO prior FROM dws.requests r WHERE r.id = p_request FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'no such request' USING ERRCODE = 'no_data_found';
            END IF;
            INSERT INTO dws.evaluations (id, request, as_of, evaluated_at, evaluated_by, recommendation, document,
                                         findings_hash, plan_hash)
                VALUES (p_id, p_request, p_as_of, p_evaluated_at, p_evaluated_by, p_recommendation, p_document,
                        p_findings_hash, p_plan_hash);
            claimed := p_claim AND prior IS NULL;
            IF claimed THEN
                UPDATE dws.requests SET status = {evaluated}, claimed_by = session_user WHERE id = p_request;
                claimed_by := session_user;
            ELSE
                UPDATE dws.requests SET status = {evaluated} WHERE id = p_request;
                claimed_by := prior;
            END IF;
        END $$""",
    """CREATE FUNCTION dws.evaluations_keep() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            RAISE EXCEPTION 'evaluations are kept as recorded: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    "CREATE TRIGGER evaluations_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.evaluations "
    "FOR EACH STATEMENT EXECUTE FUNCTION dws.evaluations_keep()",
)

_SUBJECTS = {addressed: sql.SQL("SELECT {} FROM dws.request_subjects WHERE request = %s ORDER BY seq").format(
    SUBJECT_SELECT[addressed]) for addressed in (True, False)}
_CANDIDATES = sql.SQL("""
WITH s AS (SELECT tin_index, zip5_index FROM dws.request_subjects WHERE request = %(request)s),
zips AS (SELECT zip5_index AS z FROM s WHERE zip5_index IS NOT NULL
         UNION SELECT z FROM unnest(%(zips)s::bytea[]) AS z),
taxpayers AS (SELECT tin_index FROM s WHERE tin_index IS NOT NULL
              UNION SELECT r.tin_index FROM dws.taxpayer_records r JOIN zips ON r.zip5_index = zips.z
              UNION SELECT r.tin_index FROM dws.taxpayer_records r WHERE %(unzipped)s AND r.zip5_index IS NULL)
SELECT {columns} FROM dws.taxpayer_records r WHERE r.tin_index IN (SELECT tin_index FROM taxpayers)
""").format(columns=sql.SQL(", ").join(sql.SQL("r.{}").format(sql.Identifier(c)) for c in RECORD_COLUMNS))
_CANDIDATES_BY_ADDRESS = sql.SQL("""
WITH s AS (SELECT tin_index, zip5_index FROM dws.request_subjects WHERE request = %(request)s),
zips AS (SELECT zip5_index AS z FROM s WHERE zip5_index IS NOT NULL
         UNION SELECT z FROM unnest(%(zips)s::bytea[]) AS z),
places AS (SELECT DISTINCT a FROM unnest(%(addresses)s::bytea[]) AS a),
taxpayers AS (SELECT tin_index FROM s WHERE tin_index IS NOT NULL
              UNION SELECT r.tin_index FROM dws.taxpayer_records r JOIN places ON r.address_index = places.a
              UNION SELECT r.tin_index FROM dws.taxpayer_records r JOIN zips ON r.zip5_index = zips.z
                    WHERE r.address_index IS NULL
              UNION SELECT r.tin_index FROM dws.taxpayer_records r
                    WHERE %(unzipped)s AND r.zip5_index IS NULL AND r.address_index IS NULL)
SELECT {columns} FROM dws.taxpayer_records r WHERE r.tin_index IN (SELECT tin_index FROM taxpayers)
""").format(columns=sql.SQL(", ").join(sql.SQL("r.{}").format(sql.Identifier(c)) for c in RECORD_COLUMNS))
# The same, the subjects' address indexes joined on the server (an office whose subjects carry them): those the
# caller gives are of the subjects whose index the importing desktop did not make, and the requester's address.
_CANDIDATES_BY_SUBJECTS_ADDRESS = sql.SQL("""
WITH s AS (SELECT tin_index, zip5_index, address_index FROM dws.request_subjects WHERE request = %(request)s),
zips AS (SELECT zip5_index AS z FROM s WHERE zip5_index IS NOT NULL
         UNION SELECT z FROM unnest(%(zips)s::bytea[]) AS z),
places AS (SELECT address_index AS a FROM s WHERE address_index IS NOT NULL
           UNION SELECT a FROM unnest(%(addresses)s::bytea[]) AS a),
taxpayers AS (SELECT tin_index FROM s WHERE tin_index IS NOT NULL
              UNION SELECT r.tin_index FROM dws.taxpayer_records r JOIN places ON r.address_index = places.a
              UNION SELECT r.tin_index FROM dws.taxpayer_records r JOIN zips ON r.zip5_index = zips.z
                    WHERE r.address_index IS NULL
              UNION SELECT r.tin_index FROM dws.taxpayer_records r
                    WHERE %(unzipped)s AND r.zip5_index IS NULL AND r.address_index IS NULL)
SELECT {columns} FROM dws.taxpayer_records r WHERE r.tin_index IN (SELECT tin_index FROM taxpayers)
""").format(columns=sql.SQL(", ").join(sql.SQL("r.{}").format(sql.Identifier(c)) for c in RECORD_COLUMNS))


# A recorded evaluation makes a new request 'evaluated' and leaves a later status as it is: an evaluation again of
# a request awaiting approval, decided or approved does not move it back (an approval compares the evaluation the
# preparer signed with a new one anyway, and refuses when it changed).
_EVALUATED = "CASE WHEN status IN ('new', 'evaluated') THEN 'evaluated' ELSE status END"


def create(conn: Conn, roles: OfficeRoles) -> None:
    """Claims on dws.requests and the evaluations table, with grants; in the caller's transaction, after
    store/office/requests.create. The caller is a superuser."""
    ident = sql.Identifier
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    recorder = " OR ".join(f"pg_has_role(session_user, '{roles.group(r)}', 'MEMBER')" for r in RECORDERS)
    for statement in _SCHEMA:          # (a group's name is letters, digits and _: roles.OfficeRoles)
        conn.execute(statement.replace("{claimers}", f"'{roles.group(CLAIMERS[0])}'")
                     .replace("{recorder}", recorder).replace("{evaluated}", _EVALUATED))
    conn.execute("REVOKE ALL ON dws.evaluations, dws.evaluation_ids FROM PUBLIC")
    conn.execute("REVOKE ALL ON FUNCTION dws.record_evaluation FROM PUBLIC")
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    recorders = sql.SQL(", ").join(ident(roles.group(r)) for r in RECORDERS)
    conn.execute(sql.SQL("GRANT SELECT ON dws.evaluations TO {}").format(everyone))
    conn.execute(sql.SQL("GRANT USAGE ON SEQUENCE dws.evaluation_ids TO {}").format(recorders))
    conn.execute(sql.SQL("GRANT EXECUTE ON FUNCTION dws.record_evaluation TO {}").format(recorders))
    conn.execute("RESET ROLE")


def has_evaluations(conn: Conn) -> bool:
    row = conn.execute("SELECT to_regclass('dws.evaluations') IS NOT NULL").fetchone()
    return bool(row and row[0])


def office_role(conn: Conn, roles: OfficeRoles) -> OfficeRole | None:
    """The connected login's office role (the first whose group it is a member of; None: none)."""
    groups = [roles.group(r) for r in OFFICE_ROLES]
    row = conn.execute("SELECT array_agg(rolname) FROM pg_roles WHERE rolname = ANY(%s) "
                       "AND pg_has_role(session_user, oid, 'MEMBER')", (groups,)).fetchone()
    found = set(row[0] or []) if row else set()
    return next((r for r, g in zip(OFFICE_ROLES, groups, strict=True) if g in found), None)


def read_only_snapshot(conn: Conn, bulk: bool = False) -> None:
    """The first statement of a transaction: what follows reads one snapshot of the office, and writes nothing.
    With `bulk` (a working copy's reads: a request's subjects and candidates, millions of rows), the transaction's
    joins and sorts may take BULK_WORK_MEM each in memory instead of the server's default (4 MB, which made the
    candidate join of a 1,280,000-subject request spill to 256 temporary batches), and no JIT compilation (half a
    second per query, for plans that stream rows and compute nothing)."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    if bulk:
        _bulk_reads(conn)


def _bulk_reads(conn: Conn) -> None:
    conn.execute(f"SET LOCAL work_mem = '{BULK_WORK_MEM}'")
    conn.execute("SET LOCAL jit = off")


def export_snapshot(conn: Conn) -> str:
    """The snapshot of the caller's read-only snapshot transaction, for a second connection to read the same
    office state (`join_snapshot`) while this transaction stays open."""
    row = conn.execute("SELECT pg_export_snapshot()").fetchone()
    assert row is not None
    return str(row[0])


def join_snapshot(conn: Conn, snapshot: str, bulk: bool = False) -> None:
    """The first statement of a transaction on a second connection of the same login: it reads the snapshot
    another connection exported (`export_snapshot`), read-only, as `read_only_snapshot` with `bulk`."""
    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))
    if bulk:
        _bulk_reads(conn)


def login(conn: Conn) -> str:
    """The connected login's name."""
    row = conn.execute("SELECT session_user").fetchone()
    return str(row[0]) if row else ""


def request_row(conn: Conn, request_id: str) -> tuple[Any, ...] | None:
    """(id, agency sealed, agency_code, authority, received_on, due_on, subject_count, status, imported_at,
    imported_by, document sealed, claimed_by) of a request."""
    return conn.execute("SELECT id, agency, agency_code, authority, received_on, due_on, subject_count, status, "
                        "imported_at, imported_by, document, claimed_by FROM dws.requests WHERE request_id = %s",
                        (request_id,)).fetchone()


def _stream(conn: Conn, query: sql.Composed, params: Any, name: str) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of `query` in batches, through a server-side cursor (in the caller's transaction)."""
    cur = conn.cursor(name=name, binary=True)
    try:
        cur.itersize = STREAM_ROWS
        cur.execute(query, params)
        while rows := cur.fetchmany(STREAM_ROWS):
            yield rows
    finally:
        try:
            cur.close()
        except psycopg.OperationalError:
            cur.close()         # the server was lost (CLOSE found it): now only marked closed, not left open
            raise


def stream_subjects(conn: Conn, request: int, addressed: bool = True) -> Iterator[list[tuple[Any, ...]]]:
    """A request's sealed subject rows (requests.SUBJECT_COLUMNS; `addressed` False: an office whose subjects
    have no address index, read as NULL) in batches, in subject order."""
    return _stream(conn, _SUBJECTS[addressed], (request,), "dws_eval_subjects")


def stream_candidates(conn: Conn, request: int, zips: list[bytes], with_unzipped: bool,
                      addresses: list[bytes] | None = None, subjects_addressed: bool = False
                      ) -> Iterator[list[tuple[Any, ...]]]:
    """The sealed candidate record rows (records.COLUMNS) of a request, in batches (see the module's docstring);
    `addresses`: the address indexes of its subjects' (and the caller's) address keys, for an office whose
    records have one (records.has_address_index), else None; with `subjects_addressed` (the subjects table has
    its address index column) only those the subjects' rows do not carry: the server joins the rest."""
    params = {"request": request, "zips": zips, "unzipped": with_unzipped}
    if addresses is None:
        return _stream(conn, _CANDIDATES, params, "dws_eval_records")
    query = _CANDIDATES_BY_SUBJECTS_ADDRESS if subjects_addressed else _CANDIDATES_BY_ADDRESS
    return _stream(conn, query, {**params, "addresses": addresses}, "dws_eval_records")


def subjects_unzipped(conn: Conn, request: int) -> bool:
    """Whether a subject of the request has an address index but no ZIP5 index: a street without a five-digit
    ZIP (or a blank street: a superset), for the rows whose address the importing desktop indexed."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM dws.request_subjects WHERE request = %s "
                       "AND address_index IS NOT NULL AND zip5_index IS NULL)", (request,)).fetchone()
    return bool(row and row[0])


def new_id(conn: Conn) -> int:
    row = conn.execute("SELECT nextval('dws.evaluation_ids')").fetchone()
    assert row is not None
    return int(row[0])


def record(conn: Conn, *, id: int, request: int, as_of: str, evaluated_at: str, evaluated_by: str,
           recommendation: str, document: bytes, findings_hash: bytes, plan_hash: bytes, claim: bool
           ) -> tuple[str | None, bool]:
    """Record an evaluation (dws.record_evaluation: its row, a new request's status 'evaluated', with `claim` the
    connected login's claim when nobody has one); (who has claimed the request afterwards, whether this claimed
    it)."""
    row = conn.execute("SELECT * FROM dws.record_evaluation(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                       (id, request, as_of, evaluated_at, evaluated_by, recommendation, document, findings_hash,
                        plan_hash, claim)).fetchone()
    assert row is not None
    return (None if row[0] is None else str(row[0])), bool(row[1])


def latest(conn: Conn, request: int) -> tuple[Any, ...] | None:
    """(id, as_of, evaluated_at, evaluated_by, appended_by, recommendation, document, findings_hash, plan_hash) of
    a request's latest evaluation."""
    return conn.execute("SELECT id, as_of, evaluated_at, evaluated_by, appended_by, recommendation, document, "
                        "findings_hash, plan_hash FROM dws.evaluations WHERE request = %s ORDER BY id DESC LIMIT 1",
                        (request,)).fetchone()


def queue_extras(conn: Conn) -> dict[str, tuple[str | None, str | None]] | None:
    """request_id -> (claimed_by, latest recommendation) of every request; None for an office made before
    evaluations and claims."""
    if not has_evaluations(conn):
        return None
    rows = conn.execute("SELECT q.request_id, q.claimed_by, (SELECT e.recommendation FROM dws.evaluations e "
                        "WHERE e.request = q.id ORDER BY e.id DESC LIMIT 1) FROM dws.requests q").fetchall()
    return {str(r[0]): (None if r[1] is None else str(r[1]), r[2]) for r in rows}

"""Signed decisions, approvals and letters on the office server (issue 19, i19d), append-only.

dws.decisions, one row a signed decision (a newer decision on the same request supersedes it, as locally):
    decision_id   text     plain: D-XXXXXXXXXXXX (random, as the local store makes it)
    request       bigint   the request's row (dws.requests.id)
    seq           bigint   the server's order of decisions (the latest of a request is its live one)
    outcome       text     plain: grant | partial | deny (the queue shows it)
    needs_approval boolean plain
    doc_hash      text     plain: SHA-256 of the signed document (the office log names it, as the local log)
    preparer      name     set by the server: the login that signed (session_user)
    preparer_key  bytea    the preparer's public key: the server refuses any but their registered one
    sealed        bytea    sealed on the desktop: the signed document and the preparer's signature
    prepared_at   timestamptz
dws.approvals, at most one a decision: approver (session_user), approver_key, doc_hash (must be the decision's),
    sealed (the approver's signature), approved_at.
dws.letters, at most one a decision: letter_id, decision_id, request, kind, template_version, sha256, pages
    plain; sealed: the letter's record (the PDF bytes issued); issued_by (session_user), issued_at.

What the server itself enforces, whoever the desktop claims to be (grants, row-level security, triggers):
- nobody UPDATEs, DELETEs or TRUNCATEs any of the three (the owner included);
- a decision is written by a member of the preparer group, in its own name, with its own registered key; none
  once the request's decision is approved, and none while another preparer holds the request's claim
  (dws.requests.claimed_by, store/office/evaluations.py: evaluations.create runs first);
- an approval by a member of the approver group who is not the login that prepared the decision, with its own
  registered key, of the request's live decision and its very hash; one per decision (a second approver racing
  the first is refused);
- a letter by a preparer or an approver, for the request's live decision once it is final (approved, or not
  needing approval), one per decision;
- a decision and an approval set the request's status as the local store sets it (approval-pending, decided,
  approved), and nothing else may set those three (a desktop's UPDATE of the queue's status is refused).
Writes on one request are serialised by a transaction-scoped advisory lock on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from .roles import OfficeRoles

Conn = psycopg.Connection[Any]

DECISIONS_TABLE, APPROVALS_TABLE, LETTERS_TABLE = "decisions", "approvals", "letters"
LETTER_WRITERS = ("preparer", "approver")
_HASH = r"'^[0-9a-f]{64}$'"
# pg_advisory_xact_lock(classid, objid)'s first key for a request's decisions: "dwsd" as a 32-bit integer
REQUEST_LOCK = int.from_bytes(b"dwsd", "big", signed=True)

_SCHEMA = (
    f"""CREATE TABLE dws.decisions (
        decision_id    text COLLATE "C" PRIMARY KEY CHECK (decision_id ~ '^D-[0-9A-F]{{12}}$'),
        request        bigint NOT NULL REFERENCES dws.requests (id),
        seq            bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        outcome        text NOT NULL CHECK (outcome IN ('grant', 'partial', 'deny')),
        needs_approval boolean NOT NULL,
        doc_hash       text NOT NULL UNIQUE CHECK (doc_hash ~ {_HASH}),
        preparer       name NOT NULL DEFAULT session_user,
        preparer_key   bytea NOT NULL,
        sealed         bytea NOT NULL CHECK (length(sealed) > 28),
        prepared_at    timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    "CREATE INDEX decisions_request ON dws.decisions (request, seq)",
    f"""CREATE TABLE dws.approvals (
        decision_id  text COLLATE "C" PRIMARY KEY REFERENCES dws.decisions (decision_id),
        approver     name NOT NULL DEFAULT session_user,
        approver_key bytea NOT NULL,
        doc_hash     text NOT NULL CHECK (doc_hash ~ {_HASH}),
        sealed       bytea NOT NULL CHECK (length(sealed) > 28),
        approved_at  timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    f"""CREATE TABLE dws.letters (
        letter_id        text COLLATE "C" PRIMARY KEY CHECK (length(letter_id) BETWEEN 1 AND 64),
        decision_id      text COLLATE "C" NOT NULL UNIQUE REFERENCES dws.decisions (decision_id),
        request          bigint NOT NULL REFERENCES dws.requests (id),
        kind             text NOT NULL CHECK (length(kind) <= 32),
        template_version text NOT NULL CHECK (length(template_version) <= 64),
        sha256           text NOT NULL CHECK (sha256 ~ {_HASH}),
        pages            integer NOT NULL CHECK (pages > 0),
        sealed           bytea NOT NULL CHECK (length(sealed) > 28),
        issued_by        name NOT NULL DEFAULT session_user,
        issued_at        timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    "CREATE INDEX letters_sha256 ON dws.letters (sha256)",
    """CREATE FUNCTION dws.signed_keep() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
        AS $$
        BEGIN
            RAISE EXCEPTION '% are kept as signed: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END $$""",
    """CREATE FUNCTION dws.decision_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            rid text;
            claimant name;
        BEGIN
            IF NOT pg_has_role(session_user, {preparer}, 'MEMBER') THEN
                RAISE EXCEPTION 'only a preparer may sign a decision (% is not one)', session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM dws.office_signing_keys k
                           WHERE k.login = session_user AND k.public_key = NEW.preparer_key) THEN
                RAISE EXCEPTION 'a decision is signed with its preparer''s own registered signing key'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            PERFORM pg_advisory_xact_lock({lock}, NEW.request::integer);
            SELECT r.request_id, r.claimed_by INTO rid, claimant FROM dws.requests r WHERE r.id = NEW.request;
            IF claimant IS NOT NULL AND claimant <> session_user THEN
                RAISE EXCEPTION 'request % is claimed by %: only they may decide it', rid, claimant
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF EXISTS (SELECT 1 FROM dws.decisions d JOIN dws.approvals a USING (decision_id)
                       WHERE d.request = NEW.request) THEN
                RAISE EXCEPTION 'request % is already decided and approved', rid USING ERRCODE = 'unique_violation';
            END IF;
            IF EXISTS (SELECT 1 FROM dws.letters l WHERE l.request = NEW.request) THEN
                RAISE EXCEPTION 'the letter for request % was already issued; the decision stands', rid
                    USING ERRCODE = 'unique_violation';
            END IF;
            NEW.preparer := session_user;
            NEW.prepared_at := clock_timestamp();
            UPDATE dws.requests SET status = CASE WHEN NEW.needs_approval THEN 'approval-pending' ELSE 'decided' END
                WHERE id = NEW.request;
            RETURN NEW;
        END $$""",
    """CREATE FUNCTION dws.approval_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            d dws.decisions%ROWTYPE;
            by_whom name;
        BEGIN
            IF NOT pg_has_role(session_user, {approver}, 'MEMBER') THEN
                RAISE EXCEPTION 'only an approver may approve a decision (% is not one)', session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM dws.office_signing_keys k
                           WHERE k.login = session_user AND k.public_key = NEW.approver_key) THEN
                RAISE EXCEPTION 'an approval is signed with its approver''s own registered signing key'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT * INTO d FROM dws.decisions WHERE decision_id = NEW.decision_id;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'no decision % to approve', NEW.decision_id USING ERRCODE = 'foreign_key_violation';
            END IF;
            IF d.preparer = session_user THEN
                RAISE EXCEPTION 'the approver must be a different person from the preparer (two-person rule)'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            PERFORM pg_advisory_xact_lock({lock}, d.request::integer);
            SELECT a.approver INTO by_whom FROM dws.approvals a WHERE a.decision_id = NEW.decision_id;
            IF FOUND THEN
                RAISE EXCEPTION 'decision % is already approved by %', NEW.decision_id, by_whom
                    USING ERRCODE = 'unique_violation';
            END IF;
            IF EXISTS (SELECT 1 FROM dws.decisions n WHERE n.request = d.request AND n.seq > d.seq) THEN
                RAISE EXCEPTION 'decision % was superseded by a newer decision on its request', NEW.decision_id
                    USING ERRCODE = 'serialization_failure';
            END IF;
            IF NEW.doc_hash IS DISTINCT FROM d.doc_hash THEN
                RAISE EXCEPTION 'an approval signs the decision''s very document (its hash differs)'
                    USING ERRCODE = 'check_violation';
            END IF;
            NEW.approver := session_user;
            NEW.approved_at := clock_timestamp();
            UPDATE dws.requests SET status = 'approved' WHERE id = d.request;
            RETURN NEW;
        END $$""",
    """CREATE FUNCTION dws.letter_insert() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp AS $$
        DECLARE
            d dws.decisions%ROWTYPE;
        BEGIN
            IF NOT (pg_has_role(session_user, {preparer}, 'MEMBER')
                    OR pg_has_role(session_user, {approver}, 'MEMBER')) THEN
                RAISE EXCEPTION 'only a preparer or an approver may issue a letter (% is neither)', session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT * INTO d FROM dws.decisions WHERE decision_id = NEW.decision_id;
            IF NOT FOUND OR d.request IS DISTINCT FROM NEW.request THEN
                RAISE EXCEPTION 'a letter is issued for a decision on its own request'
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            PERFORM pg_advisory_xact_lock({lock}, d.request::integer);
            IF EXISTS (SELECT 1 FROM dws.decisions n WHERE n.request = d.request AND n.seq > d.seq) THEN
                RAISE EXCEPTION 'decision % was superseded: no letter for it', d.decision_id
                    USING ERRCODE = 'serialization_failure';
            END IF;
            IF d.needs_approval AND NOT EXISTS (SELECT 1 FROM dws.approvals a WHERE a.decision_id = d.decision_id) THEN
                RAISE EXCEPTION 'decision % needs an approver''s signature before its letter', d.decision_id
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF EXISTS (SELECT 1 FROM dws.letters l WHERE l.decision_id = d.decision_id) THEN
                RAISE EXCEPTION 'the letter for decision % was already issued', d.decision_id
                    USING ERRCODE = 'unique_violation';
            END IF;
            NEW.issued_by := session_user;
            NEW.issued_at := clock_timestamp();
            RETURN NEW;
        END $$""",
    """CREATE FUNCTION dws.requests_decided_status() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            -- a request is approval-pending, decided or approved because a decision or an approval says so: only
            -- their triggers (running as the owner) set those statuses, not a desktop's UPDATE of the queue
            IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('approval-pending', 'decided', 'approved')
               AND NOT pg_has_role(current_user, {owner}, 'MEMBER') THEN
                RAISE EXCEPTION 'a request''s status % is set by its signed decision or approval, not by hand',
                    NEW.status USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END $$""",
    "CREATE TRIGGER requests_decided_status BEFORE UPDATE OF status ON dws.requests FOR EACH ROW "
    "EXECUTE FUNCTION dws.requests_decided_status()",
    "CREATE TRIGGER decisions_insert BEFORE INSERT ON dws.decisions FOR EACH ROW "
    "EXECUTE FUNCTION dws.decision_insert()",
    "CREATE TRIGGER approvals_insert BEFORE INSERT ON dws.approvals FOR EACH ROW "
    "EXECUTE FUNCTION dws.approval_insert()",
    "CREATE TRIGGER letters_insert BEFORE INSERT ON dws.letters FOR EACH ROW EXECUTE FUNCTION dws.letter_insert()",
    *(f"CREATE TRIGGER {t}_keep BEFORE UPDATE OR DELETE OR TRUNCATE ON dws.{t} FOR EACH STATEMENT "
      "EXECUTE FUNCTION dws.signed_keep()" for t in ("decisions", "approvals", "letters")),
    *(f"ALTER TABLE dws.{t} ENABLE ROW LEVEL SECURITY" for t in ("decisions", "approvals", "letters")),
)
_TABLES = "dws.decisions, dws.approvals, dws.letters"


def create(conn: Conn, roles: OfficeRoles) -> None:
    """The three tables, their triggers, row-level security and grants (in the caller's transaction, after the
    request tables and the signing keys; the caller is a superuser)."""
    ident, lit = sql.Identifier, sql.Literal
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(ident(roles.owner)))
    for statement in _SCHEMA:           # only the functions' text has placeholders (the tables' regexes have braces)
        conn.execute(sql.SQL(statement).format(preparer=lit(roles.group("preparer")),
                                               approver=lit(roles.group("approver")), lock=lit(REQUEST_LOCK),
                                               owner=lit(roles.owner))
                     if "$$" in statement else statement)
    everyone = sql.SQL(", ").join(map(ident, roles.groups()))
    conn.execute(f"REVOKE ALL ON {_TABLES} FROM PUBLIC")
    conn.execute(sql.SQL(f"GRANT SELECT ON {_TABLES} TO {{}}").format(everyone))
    writers = {"decisions": ("preparer",), "approvals": ("approver",), "letters": LETTER_WRITERS}
    own = {"decisions": "preparer", "approvals": "approver", "letters": "issued_by"}
    for table, roles_ in writers.items():
        who = sql.SQL(", ").join(ident(roles.group(r)) for r in roles_)
        conn.execute(sql.SQL("GRANT INSERT ON {} TO {}").format(sql.SQL(f"dws.{table}"), who))
        conn.execute(sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (true)").format(
            ident(f"{table}_read"), sql.SQL(f"dws.{table}"), everyone))
        conn.execute(sql.SQL("CREATE POLICY {} ON {} FOR INSERT TO {} WITH CHECK ({} = session_user)").format(
            ident(f"{table}_own"), sql.SQL(f"dws.{table}"), who, ident(own[table])))
    conn.execute("RESET ROLE")


@dataclass(frozen=True)
class DecisionRow:
    decision_id: str
    request: int
    seq: int
    outcome: str
    needs_approval: bool
    doc_hash: str
    preparer: str
    preparer_key: bytes
    sealed: bytes
    approver: str | None
    approver_key: bytes | None
    approval_sealed: bytes | None
    prepared_at: str
    approved_at: str | None


_STAMP = """to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""   # canonical.utc_now's form
_DECISION = ("SELECT d.decision_id, d.request, d.seq, d.outcome, d.needs_approval, d.doc_hash, d.preparer, "
             "d.preparer_key, d.sealed, a.approver, a.approver_key, a.sealed, "
             f"{_STAMP.format('d.prepared_at')}, {_STAMP.format('a.approved_at')} FROM dws.decisions d "
             "LEFT JOIN dws.approvals a USING (decision_id) ")


def _row(row: tuple[Any, ...]) -> DecisionRow:
    (decision_id, request, seq, outcome, needs, doc_hash, preparer, key, sealed, approver, akey, asealed,
     prepared_at, approved_at) = row
    return DecisionRow(str(decision_id), int(request), int(seq), str(outcome), bool(needs), str(doc_hash),
                       str(preparer), bytes(key), bytes(sealed), None if approver is None else str(approver),
                       None if akey is None else bytes(akey), None if asealed is None else bytes(asealed),
                       str(prepared_at), None if approved_at is None else str(approved_at))


def current(conn: Conn, request: int) -> DecisionRow | None:
    """The request's live decision (its latest), with its approval if any."""
    row = conn.execute(_DECISION + "WHERE d.request = %s ORDER BY d.seq DESC LIMIT 1", (request,)).fetchone()
    return _row(row) if row else None


def by_id(conn: Conn, decision_id: str) -> DecisionRow | None:
    row = conn.execute(_DECISION + "WHERE d.decision_id = %s", (decision_id,)).fetchone()
    return _row(row) if row else None


def insert_decision(conn: Conn, *, decision_id: str, request: int, outcome: str, needs_approval: bool, doc_hash: str,
                    preparer_key: bytes, sealed: bytes) -> None:
    conn.execute("INSERT INTO dws.decisions (decision_id, request, outcome, needs_approval, doc_hash, preparer_key, "
                 "sealed) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                 (decision_id, request, outcome, needs_approval, doc_hash, preparer_key, sealed))


def insert_approval(conn: Conn, *, decision_id: str, approver_key: bytes, doc_hash: str, sealed: bytes) -> None:
    conn.execute("INSERT INTO dws.approvals (decision_id, approver_key, doc_hash, sealed) VALUES (%s, %s, %s, %s)",
                 (decision_id, approver_key, doc_hash, sealed))


def insert_letter(conn: Conn, *, letter_id: str, decision_id: str, request: int, kind: str, template_version: str,
                  sha256: str, pages: int, sealed: bytes) -> None:
    conn.execute("INSERT INTO dws.letters (letter_id, decision_id, request, kind, template_version, sha256, pages, "
                 "sealed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                 (letter_id, decision_id, request, kind, template_version, sha256, pages, sealed))


_LETTER = ("SELECT l.letter_id, l.decision_id, l.request, l.kind, l.template_version, l.sha256, l.pages, l.sealed, "
           "l.issued_by, r.request_id FROM dws.letters l JOIN dws.requests r ON r.id = l.request ")


@dataclass(frozen=True)
class LetterRow:
    letter_id: str
    decision_id: str
    request: int
    kind: str
    template_version: str
    sha256: str
    pages: int
    sealed: bytes
    issued_by: str
    request_id: str


def _letter(row: tuple[Any, ...] | None) -> LetterRow | None:
    if row is None:
        return None
    letter_id, decision_id, request, kind, version, sha256, pages, sealed, issued_by, request_id = row
    return LetterRow(str(letter_id), str(decision_id), int(request), str(kind), str(version), str(sha256), int(pages),
                     bytes(sealed), str(issued_by), str(request_id))


def letter_for(conn: Conn, decision_id: str) -> LetterRow | None:
    return _letter(conn.execute(_LETTER + "WHERE l.decision_id = %s", (decision_id,)).fetchone())


def letter_by_sha256(conn: Conn, sha256: str) -> LetterRow | None:
    return _letter(conn.execute(_LETTER + "WHERE l.sha256 = %s", (sha256,)).fetchone())


def letter_by_id(conn: Conn, letter_id: str) -> LetterRow | None:
    return _letter(conn.execute(_LETTER + "WHERE l.letter_id = %s", (letter_id,)).fetchone())



def letter_ids_in_order(conn: Conn) -> list[str]:
    """Every letter's id in the order the server took them (the accounting opens each letter's sealed record on
    the desktop, one at a time: its disclosures are in it)."""
    return [str(r[0]) for r in conn.execute("SELECT letter_id FROM dws.letters ORDER BY issued_at, letter_id")]

"""What the office server itself refuses about decisions, approvals, letters, court orders and signing keys
(issue 19 item 3, i19d), tried with `psql`, the real client, as each office role over the office's TLS connection
with the password the user's own keyslot gives (what an insider holding the office key can do):

- nobody UPDATEs, DELETEs or TRUNCATEs the log, decisions, approvals or letters (the owner role neither);
- only counsel writes the court-order register, nobody deletes from it;
- a decision only by a preparer with their own registered key; an approval only by an approver, never by the
  login that prepared, of the live decision's very hash, once; no decision after an approval; no letter before
  the approval a decision needs;
- each user's signing key is made at enrolment, opens with their own unlock only, and nobody replaces it; so is
  each user's checkpoint key (schema step 8; made at the next unlock of a user enrolled before it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from officehelp import ADMIN, Office
from officerequests import package, write
from officesigned import USERS, passphrase, psql_as, signed_office

from workstation.errors import AuthError
from workstation.keys import primitives as p
from workstation.office import signing_key
from workstation.office.profile import OfficeProfile
from workstation.office.unlock import open_office
from workstation.service.office_records import OfficeCtx
from workstation.service.office_requests import import_request
from workstation.store.office import decisions, signing_keys
from workstation.store.office import log as office_log

Setup = tuple[Office, OfficeProfile]
HASH = "ab" * 32
SEALED = "'\\x" + "00" * 40 + "'"           # the server cannot tell a sealed value from any bytes


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    started, profile = signed_office(tmp_path_factory.mktemp("signed"))
    with open_office(profile, "pat", passphrase("pat")) as session:
        o = OfficeCtx(session.conn, session.keys, "pat")
        folder = tmp_path_factory.mktemp("requests")
        for rid in ("REQ-1", "REQ-2", "REQ-3", "REQ-4"):
            import_request(o, write(folder / f"{rid}.json", package(rid)))
    yield started, profile
    started.server.stop()


def key_hex(office: Office, login: str) -> str:
    with office.superuser() as conn:
        public = signing_keys.public_key(conn, login)
    assert public is not None
    return "'\\x" + public.hex() + "'"


def request_row(office: Office, request_id: str) -> int:
    with office.superuser() as conn:
        row = conn.execute("SELECT id FROM dws.requests WHERE request_id = %s", (request_id,)).fetchone()
    assert row is not None
    return int(row[0])


def decide_sql(office: Office, login: str, request_id: str, decision_id: str, doc_hash: str = HASH,
               needs_approval: bool = True, key_of: str | None = None) -> str:
    return ("INSERT INTO dws.decisions (decision_id, request, outcome, needs_approval, doc_hash, preparer_key, "
            f"sealed) "
            f"VALUES ('{decision_id}', {request_row(office, request_id)}, 'grant', {str(needs_approval).lower()}, "
            f"'{doc_hash}', {key_hex(office, key_of or login)}, {SEALED})")


def approve_sql(office: Office, login: str, decision_id: str, doc_hash: str = HASH) -> str:
    return (f"INSERT INTO dws.approvals (decision_id, approver_key, doc_hash, sealed) VALUES ('{decision_id}', "
            f"{key_hex(office, login)}, '{doc_hash}', {SEALED})")


def letter_sql(office: Office, request_id: str, decision_id: str, letter_id: str) -> str:
    return (f"INSERT INTO dws.letters (letter_id, decision_id, request, kind, template_version, sha256, pages, sealed) "
            f"VALUES ('{letter_id}', '{decision_id}', {request_row(office, request_id)}, 'transmittal', '1', "
            f"'{'cd' * 32}', 1, {SEALED})")


def ok(office: Office, profile: OfficeProfile, login: str, statement: str) -> str:
    done = psql_as(office, profile, login, statement)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def refused(office: Office, profile: OfficeProfile, login: str, statement: str, *words: str) -> str:
    done = psql_as(office, profile, login, statement)
    assert done.returncode != 0, (login, statement)
    said = done.stderr
    assert said.startswith("ERROR:") or "ERROR:" in said, said
    assert [w for w in words if w in said], (login, statement, said)
    return said


def counts(office: Office) -> tuple[int, ...]:
    with office.superuser() as conn:
        return tuple(int(conn.execute(f"SELECT count(*) FROM dws.{t}").fetchone()[0])  # type: ignore[index]
                     for t in ("office_log", "decisions", "approvals", "letters", "court_orders",
                               "office_signing_keys"))


def status(office: Office, request_id: str) -> str:
    with office.superuser() as conn:
        return str(conn.execute("SELECT status FROM dws.requests WHERE request_id = %s",
                                (request_id,)).fetchone()[0])  # type: ignore[index]


def test_a_decision_is_the_preparers_own_and_an_approval_never_the_preparers(office: Setup) -> None:
    server, profile = office
    before = counts(server)
    refused(server, profile, "abe", decide_sql(server, "abe", "REQ-1", "D-00000000000A"),
            "permission denied for table decisions")                                  # no grant to approvers
    refused(server, profile, "cal", decide_sql(server, "cal", "REQ-1", "D-00000000000A", key_of="pat"),
            "permission denied for table decisions")
    refused(server, profile, "pat", decide_sql(server, "pat", "REQ-1", "D-00000000000A", key_of="pam"),
            "own registered signing key")                                              # another preparer's key
    assert counts(server) == before
    # the queue's status says approved only when an approval does
    refused(server, profile, "pat", "UPDATE dws.requests SET status = 'approved'", "set by its signed decision",
            "permission denied for table requests")
    done = server.server.psql(f"SET ROLE {server.roles.group('preparer')}; UPDATE dws.requests SET status = 'decided'",
                              dbname="dws")
    assert done.returncode != 0, done.stdout
    ok(server, profile, "pat", decide_sql(server, "pat", "REQ-1", "D-00000000000A"))
    assert status(server, "REQ-1") == "approval-pending"
    # the server records who signed, whatever the desktop says
    assert ok(server, profile, "aud", "SELECT preparer FROM dws.decisions WHERE decision_id = 'D-00000000000A'") \
        == "pat"
    refused(server, profile, "pat", approve_sql(server, "pat", "D-00000000000A"),
            "permission denied for table approvals")
    refused(server, profile, "abe", approve_sql(server, "abe", "D-00000000000A", doc_hash="ef" * 32), "very document")
    # a login that is both a preparer and an approver still may not approve what it prepared
    server.server.psql(f"GRANT {server.roles.group('approver')} TO pat", dbname="dws", check=True)
    try:
        refused(server, profile, "pat", approve_sql(server, "pat", "D-00000000000A"), "two-person rule")
    finally:
        server.server.psql(f"REVOKE {server.roles.group('approver')} FROM pat", dbname="dws", check=True)
    refused(server, profile, "pat", letter_sql(server, "REQ-1", "D-00000000000A", "L-1"), "needs an approver")
    ok(server, profile, "abe", approve_sql(server, "abe", "D-00000000000A"))
    assert status(server, "REQ-1") == "approved"
    said = refused(server, profile, "amy", approve_sql(server, "amy", "D-00000000000A"), "already approved")
    assert "already approved by abe" in said
    refused(server, profile, "pam", decide_sql(server, "pam", "REQ-1", "D-00000000000B", doc_hash="12" * 32),
            "already decided and approved")
    refused(server, profile, "cal", letter_sql(server, "REQ-1", "D-00000000000A", "L-1"),
            "permission denied for table letters")
    ok(server, profile, "abe", letter_sql(server, "REQ-1", "D-00000000000A", "L-1"))
    refused(server, profile, "pat", letter_sql(server, "REQ-1", "D-00000000000A", "L-2"), "already issued")
    assert ok(server, profile, "aud", "SELECT issued_by FROM dws.letters WHERE letter_id = 'L-1'") == "abe"


def test_a_superseded_decision_is_not_approved(office: Setup) -> None:
    server, profile = office
    ok(server, profile, "pat", decide_sql(server, "pat", "REQ-2", "D-0000000000C1", doc_hash="c1" * 32))
    ok(server, profile, "pam", decide_sql(server, "pam", "REQ-2", "D-0000000000C2", doc_hash="c2" * 32,
                                          needs_approval=False))
    assert status(server, "REQ-2") == "decided"
    refused(server, profile, "abe", approve_sql(server, "abe", "D-0000000000C1", doc_hash="c1" * 32), "superseded")
    refused(server, profile, "pat", letter_sql(server, "REQ-2", "D-0000000000C1", "L-C1"), "superseded")
    ok(server, profile, "pat", letter_sql(server, "REQ-2", "D-0000000000C2", "L-C2"))    # needs no approval
    refused(server, profile, "pat", decide_sql(server, "pat", "REQ-2", "D-0000000000C3", doc_hash="c3" * 32),
            "letter for request REQ-2 was already issued")


def test_no_decision_while_another_preparer_holds_the_claim(office: Setup) -> None:
    server, profile = office
    # pat's claim, as pat's recorded evaluation would make it (the claim's own trigger is i19e's to test)
    server.server.psql("BEGIN; ALTER TABLE dws.requests DISABLE TRIGGER USER; UPDATE dws.requests SET claimed_by = "
                       "'pat' WHERE request_id = 'REQ-4'; ALTER TABLE dws.requests ENABLE TRIGGER USER; COMMIT",
                       dbname="dws", check=True)
    refused(server, profile, "pam", decide_sql(server, "pam", "REQ-4", "D-0000000000E1", doc_hash="e1" * 32),
            "request REQ-4 is claimed by pat: only they may decide it")
    ok(server, profile, "pat", decide_sql(server, "pat", "REQ-4", "D-0000000000E2", doc_hash="e2" * 32))


CHANGES = {table: (f"UPDATE dws.{table} SET {column} = {column}", f"DELETE FROM dws.{table}", f"TRUNCATE dws.{table}")
           for table, column in (("office_log", "detail"), ("decisions", "outcome"), ("approvals", "doc_hash"),
                                 ("letters", "pages"))}


def test_nobody_changes_or_removes_the_log_decisions_approvals_or_letters(office: Setup) -> None:
    server, profile = office
    ok(server, profile, "pat", decide_sql(server, "pat", "REQ-3", "D-0000000000D1", doc_hash="d1" * 32))
    ok(server, profile, "abe", approve_sql(server, "abe", "D-0000000000D1", doc_hash="d1" * 32))
    ok(server, profile, "pat", letter_sql(server, "REQ-3", "D-0000000000D1", "L-D1"))
    before = counts(server)
    for login in USERS:
        for table, statements in CHANGES.items():
            for statement in statements:
                refused(server, profile, login, statement, f"permission denied for table {table}")
    # the owner of the tables (what a superuser becomes with SET ROLE) is refused by the triggers
    for statements in CHANGES.values():
        for statement in statements:
            cascade = " CASCADE" if statement.startswith("TRUNCATE") else ""     # past the foreign keys
            done = server.server.psql(f"SET ROLE {server.roles.owner}; {statement}{cascade}", dbname="dws")
            assert done.returncode != 0 and ("append-only" in done.stderr or "kept as signed" in done.stderr), \
                done.stderr
    assert counts(server) == before


ORDER = ("INSERT INTO dws.court_orders (case_no, status, signed_on, effective_from, sealed) "
         f"VALUES ('{{case}}', 'active', '2025-11-21', '2025-11-21', {SEALED})")


def test_only_counsel_writes_the_court_order_register_and_nobody_deletes_from_it(office: Setup) -> None:
    server, profile = office
    before = counts(server)
    for login, role in USERS.items():
        if role != "counsel":
            refused(server, profile, login, ORDER.format(case=f"1:26-cv-{login}"),
                    "permission denied for table court_orders")
    assert counts(server) == before
    ok(server, profile, "cal", ORDER.format(case="1:26-cv-00001"))
    assert ok(server, profile, "aud", "SELECT changed_by FROM dws.court_orders") == "cal"
    for login, role in USERS.items():
        if role != "counsel":
            refused(server, profile, login, "UPDATE dws.court_orders SET status = 'vacated'",
                    "permission denied for table court_orders")
    ok(server, profile, "cal", "UPDATE dws.court_orders SET status = 'stayed'")
    for login in ("cal", ADMIN):
        refused(server, profile, login, "DELETE FROM dws.court_orders", "permission denied for table court_orders")
    done = server.server.psql(f"SET ROLE {server.roles.owner}; DELETE FROM dws.court_orders", dbname="dws")
    assert done.returncode != 0 and "court_orders is kept" in done.stderr, done.stderr
    # counsel's own write in another counsel's name is taken as counsel's: the server sets who wrote it
    ok(server, profile, "cal", "UPDATE dws.court_orders SET changed_by = 'pat'")
    assert ok(server, profile, "aud", "SELECT changed_by FROM dws.court_orders") == "cal"


def test_each_users_signing_key_opens_with_their_own_unlock_and_is_kept(office: Setup) -> None:
    server, profile = office
    with open_office(profile, "pat", passphrase("pat")) as pat, open_office(profile, "abe", passphrase("abe")) as abe:
        with signing_key.signer(pat.conn, "pat", pat.user_secret) as signer:
            assert signer.public_key == signing_keys.public_key(abe.conn, "pat")     # every role reads public keys
            signature = signer.sign(b"a decision")
        assert p.verify(signing_keys.public_key(abe.conn, "pat") or b"", signature, b"a decision")
        mine = signing_keys.mine(pat.conn)
        assert mine is not None
        assert signing_key.unwrap("pat", abe.user_secret, mine[1], mine[2]) is None    # another's unlock: no
        assert signing_key.unwrap("abe", pat.user_secret, mine[1], mine[2]) is None
        with pytest.raises(psycopg.errors.InsufficientPrivilege):                   # nor the table's wrapped keys
            abe.conn.execute("SELECT wrapped FROM dws.office_signing_keys WHERE login = 'pat'")
        with pytest.raises(AuthError):                                              # the wrong secret
            signing_key.signer(pat.conn, "pat", abe.user_secret)
    with server.superuser() as conn:
        assert set(signing_keys.public_keys(conn)) == set(USERS) - {ADMIN}    # ada: enrolled before the table
    public, nonce, wrapped = signing_key.new_wrapped("abe", os.urandom(32))
    row = f"('abe2', '\\x{public.hex()}', '\\x{nonce.hex()}', '\\x{wrapped.hex()}')"
    insert = f"INSERT INTO dws.office_signing_keys (login, public_key, nonce, wrapped) VALUES {row}"
    for login in ("pat", ADMIN):        # not their own, and not a user they enrolled
        refused(server, profile, login, insert, "stored by its user or by the admin who enrolled them")
    for login in USERS:
        for statement in ("UPDATE dws.office_signing_keys SET login = login", "DELETE FROM dws.office_signing_keys"):
            refused(server, profile, login, statement, "permission denied for table office_signing_keys")
    done = server.server.psql(f"SET ROLE {server.roles.owner}; DELETE FROM dws.office_signing_keys", dbname="dws")
    assert done.returncode != 0 and "kept as stored" in done.stderr, done.stderr


def test_the_log_and_the_tables_hold_what_the_server_set(office: Setup) -> None:
    """The decisions' rows carry the signer the server recorded; the office log is untouched by the refusals."""
    server, _profile = office
    with server.superuser() as conn:
        rows = conn.execute("SELECT decision_id, preparer FROM dws.decisions ORDER BY seq").fetchall()
        assert all(by in ("pat", "pam") for _d, by in rows)
        found = decisions.current(conn, request_row(server, "REQ-1"))
        assert found is not None and found.approver == "abe" and found.preparer == "pat"
        assert [e[3] for e in office_log.entries(conn)].count("request-imported") == 4


def test_each_users_checkpoint_key_is_made_at_their_next_unlock_announced_and_kept(office: Setup) -> None:
    """Schema step 8 on this office (made before it): each user's next unlock makes their own checkpoint key,
    announced in the office log in their own name (the auditor's too), opened by their unlock alone; nobody writes
    another's, changes or removes one. (Last in the module: its users have keys from here on.)"""
    from workstation import checkpoint as cp
    from workstation.office import log_key
    from workstation.service import office_session, office_witness
    from workstation.store.office import checkpoint_keys, schema

    server, profile = office
    with server.superuser() as conn, conn.transaction():
        schema.per_user_checkpoint_keys(conn, server.roles)
    signed: dict[str, str] = {}
    for login in ("pat", "aud", "pat"):             # pat's second unlock opens the key the first made
        with office_session.opened(profile.path, login, passphrase(login)) as o:
            assert o.user_checkpoint_key is not None
            info = office_witness.sign_checkpoint(o)
            name, public = cp.parse_verifier_key(info.verifier_key)
            assert name.startswith(f"{login}@") and cp.parse(info.note).verify(name, public)
            assert signed.setdefault(login, info.verifier_key) == info.verifier_key
            assert office_witness.verifier_key(o, login) == info.verifier_key
    with server.superuser() as conn:
        kept = checkpoint_keys.public_keys(conn)
        announced = [(e[2], e[4]) for e in office_log.entries(conn) if e[3] == "checkpoint-key-enrolled"]
    assert sorted(login for login, _key in kept) == ["aud", "pat"] and sorted(announced) == [("aud", "aud"),
                                                                                             ("pat", "pat")]
    with open_office(profile, "pat", passphrase("pat")) as pat, open_office(profile, "abe", passphrase("abe")) as abe:
        (_public, nonce, wrapped), = checkpoint_keys.mine(pat.conn)
        assert log_key.open_user_key(abe.conn, "pat", abe.user_secret) is None     # abe has none of their own
        assert log_key.open_user_key(pat.conn, "pat", abe.user_secret) is None     # another's unlock: no
        with pytest.raises(psycopg.errors.InsufficientPrivilege):                   # nor the table's wrapped keys
            abe.conn.execute("SELECT wrapped FROM dws.office_checkpoint_keys WHERE login = 'pat'")
        assert [k for k in checkpoint_keys.public_keys(abe.conn) if k[0] == "pat"] == [
            k for k in kept if k[0] == "pat"]                                       # every role reads public keys
    public = os.urandom(32)
    row = f"('abe', '\\x{public.hex()}', '\\x{nonce.hex()}', '\\x{wrapped.hex()}')"
    insert = f"INSERT INTO dws.office_checkpoint_keys (login, public_key, nonce, wrapped) VALUES {row}"
    for login in ("pat", ADMIN):        # not their own, and not a user they enrolled
        refused(server, profile, login, insert, "stored by its user or by the admin who enrolled them")
    for login in USERS:
        for statement in ("UPDATE dws.office_checkpoint_keys SET login = login",
                          "DELETE FROM dws.office_checkpoint_keys"):
            refused(server, profile, login, statement, "permission denied for table office_checkpoint_keys")
    done = server.server.psql(f"SET ROLE {server.roles.owner}; DELETE FROM dws.office_checkpoint_keys", dbname="dws")
    assert done.returncode != 0 and "kept as stored" in done.stderr, done.stderr

    # the server's superuser puts a key of their own in abe's name (as the owner, whom the trigger lets store one)
    # and signs a checkpoint with it: no log entry announces it, so it checks nothing
    forger, forged_public = p.new_signing_key()
    with server.superuser() as conn:
        conn.execute(f"SET ROLE {server.roles.owner}")
        checkpoint_keys.put(conn, "abe", forged_public, nonce, wrapped)
    with office_session.opened(profile.path, "aud", passphrase("aud")) as o:
        real = cp.parse(office_witness.sign_checkpoint(o).note)
        forged = cp.make(real.origin, real.size, real.root, log_key.user_key_name("abe", log_key.public_of(
            o.checkpoint_key or b"")), forger)
        _report, checks = office_witness.check(o, [("real", real), ("forged", cp.parse(forged.note))])
    assert [(w.source, w.ok) for w in checks] == [("real", True), ("forged", False)]
    assert "is not signed by a checkpoint key of this office" in str(checks[1].problem)

"""`dws office init --profile FILE` (issue 19, INTERCHANGE.md) against a real TLS server: the server's
administrator creates the office in an empty database through the profile's connection (verify-full, the
desktop's certificate): schema, roles, keyslots, the office CA, the first admin and the recovery keyslot; the
recovery code is printed once and opens the office key; with the pg_hba/pg_ident lines it prints in place, the
first admin opens the office from the CLI. A second init finds it up to date (tests/test_office_upgrade_pg.py
upgrades older ones); a user who may not, a wrong password, and a CA key
that is not the profile's CA's each give one message and change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from clihelp import Result, run_dws
from cryptography import x509
from officehelp import reload
from pgserver import PgServer
from test_office_tls_pg import OFFICE_CA, OTHER_CA, desktop, tls_server  # noqa: F401  (its TLS server fixture)

from workstation.office import credential, enrol, tls
from workstation.office.sealing import OfficeKeys
from workstation.store.office import keyslots, schema

BOSS_PW = "boss-database-password"
ADA_PASSPHRASE = "ada's first office passphrase"
TABLES = ("agencies,approvals,court_orders,decisions,evaluations,letters,office_ca,office_checkpoint_keys,"
          "office_keyslots,office_letter_ca,office_log,office_recovery,office_recovery_proof,office_signing_keys,"
          "office_user_certificates,overrides,"
          "request_reasons,request_subjects,requests,schema_steps,settings,subject_matches,subject_matches_since,"
          "taxpayer_records,taxpayer_records_loads,user_preferences")


@pytest.fixture
def office_db(tls_server: PgServer) -> Iterator[str]:  # noqa: F811
    tls_server.psql(f"CREATE ROLE boss LOGIN SUPERUSER PASSWORD '{BOSS_PW}'", check=True)
    tls_server.psql("CREATE ROLE clerk LOGIN PASSWORD 'clerk-pw'", check=True)
    tls_server.create_database("office_init")
    hba = (tls_server.data / "pg_hba.conf").read_text(encoding="utf-8")
    yield "office_init"
    (tls_server.data / "pg_hba.conf").write_text(hba, encoding="utf-8")
    reload(tls_server)
    tls_server.drop_database("office_init")
    tls_server.psql("DROP ROLE IF EXISTS ada, office_init_desk, office_init_enroller, office_init_preparer, "
                    "office_init_approver, office_init_counsel, office_init_auditor, office_init_admin, "
                    "office_init_owner, boss, clerk", check=True)


def profile_for(tmp_path: Path, server: PgServer, dbname: str) -> Path:
    path = desktop(tmp_path / "desk", server)
    path.write_text(path.read_text().replace('"dbname": "postgres"', f'"dbname": "{dbname}"'))
    return path


def ca_key(tmp_path: Path, authority: tuple[bytes, bytes] = OFFICE_CA) -> Path:
    path = tmp_path / "office-ca.key"
    path.write_bytes(tls.private_pem(authority[0]))
    path.chmod(0o600)
    return path


def init(profile: Path, key: Path, user: str | None = "boss", password: str = BOSS_PW) -> Result:
    """`dws office init` in a subprocess, the database password and the admin's passphrase from the
    environment."""
    env = {"DWS_DB_PASSWORD": password, "DWS_PASSPHRASE": ADA_PASSPHRASE, **({"DWS_USER": user} if user else {})}
    return run_dws(profile.parent / "unused", "office", "init", "--profile", str(profile), "--admin", "ada",
                   "--ca-key", str(key), env=env)


def test_init_creates_the_office_once_and_its_first_admin_opens_it(
        tls_server: PgServer, office_db: str, tmp_path: Path) -> None:  # noqa: F811
    profile = profile_for(tmp_path, tls_server, office_db)
    done = init(profile, ca_key(tmp_path))
    assert done.code == 0, done.err
    assert ("Created the office 'Test Office' in database 'office_init' (roles office_init_*) with admin user "
            "'ada'.") in done.out
    code = re.search(r"^    ([A-Z2-9]{5}(?:-[A-Z2-9]{5}){7})$", done.out, re.M)
    assert code is not None, done.out
    assert "ssl_min_protocol_version = 'TLSv1.3'" in done.out
    assert "ssl_crl_file = 'root.crl'" in done.out          # a revocation is then a reload (dws office revoke)
    crl = x509.load_pem_x509_crl((profile.parent / "office-crl.pem").read_bytes())
    assert len(crl) == 0 and crl.is_signature_valid(x509.load_der_x509_certificate(OFFICE_CA[1]).public_key())  # type: ignore[arg-type]
    assert f"The office CA's revocation list, empty for now, is in {profile.parent / 'office-crl.pem'}" in done.out
    hba = done.out.split("pg_hba.conf", 1)[1].split("\n", 1)[1].split("\nand its pg_ident.conf:\n")[0]
    ident = done.out.split("and its pg_ident.conf:\n", 1)[1]
    assert hba == ('hostssl "office_init" office_init_desk all cert map=office_init_desk\n'
                   'hostssl "office_init" all all scram-sha-256 clientcert=verify-ca\n')
    assert ident == "office_init_desk /^.*$ office_init_desk\n"
    tables = tls_server.psql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
                             "WHERE schemaname = 'dws'", dbname=office_db, check=True).stdout.strip()
    assert tables == TABLES
    assert ADA_PASSPHRASE not in done.out + done.err and BOSS_PW not in done.out + done.err

    # the recovery code opens the office key, which opens the office CA's sealed key
    with psycopg_connect(tls_server, office_db) as conn:
        row = keyslots.read_recovery(conn)
        assert row is not None
        slot = credential.slot_from_row(credential.RECOVERY, *row)
        assert credential.open_recovery(slot, "AAAAA-" * 7 + "AAAAA") is None
        office_key = credential.open_recovery(slot, code.group(1).lower().replace("-", " "))
        assert office_key is not None
        assert enrol.office_ca(conn, OfficeKeys.derive(office_key)) == OFFICE_CA

    # the server as init says: its rules in place, the first admin opens the office and verifies its log
    (tls_server.data / "pg_hba.conf").write_text("local all all trust\n" + hba, encoding="utf-8")
    (tls_server.data / "pg_ident.conf").write_text(ident, encoding="utf-8")
    reload(tls_server)
    opened = run_dws(profile, "verify", env={"DWS_USER": "ada", "DWS_PASSPHRASE": ADA_PASSPHRASE})
    assert opened.code == 0, opened.err
    # the office made, and its first admin's checkpoint key announced (enrolled by init)
    assert opened.out == "Office log: 3 entries\nOK: the office log's chain is whole.\n"

    # INTERCHANGE.md's own form, `dws office init --profile FILE`: the CA key found beside the profile's CA
    ca_key(profile.parent)
    again = run_dws(profile.parent / "unused", "office", "init", "--profile", str(profile),
                    env={"DWS_DB_PASSWORD": BOSS_PW, "DWS_PASSPHRASE": ADA_PASSPHRASE, "DWS_USER": "boss"})
    assert (again.code, again.err, again.out) == (0, "", "The office 'Test Office' in database 'office_init' is at "
                                                         f"schema version {schema.VERSION}, this dws's; nothing was "
                                                         "changed.\n")


def psycopg_connect(server: PgServer, dbname: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(server.conninfo(dbname), autocommit=True)


def test_init_refused_without_the_right_user_password_or_ca_key(
        tls_server: PgServer, office_db: str, tmp_path: Path) -> None:  # noqa: F811
    profile = profile_for(tmp_path, tls_server, office_db)
    key = ca_key(tmp_path)
    keyless = run_dws(profile.parent / "unused", "office", "init", "--profile", str(profile),
                      env={"DWS_DB_PASSWORD": BOSS_PW, "DWS_PASSPHRASE": ADA_PASSPHRASE, "DWS_USER": "boss"})
    assert keyless.code == 1 and keyless.err.startswith(f"dws: {profile.parent / 'office-ca.key'}: cannot read the "
                                                        "office CA key"), keyless.err
    clerk = init(profile, key, "clerk", "clerk-pw")
    assert (clerk.code, clerk.err.strip()) == (1, "dws: database user 'clerk' may not create an office (it needs "
                                                  "to own the database and create roles); nothing was changed")
    wrong = init(profile, key, "boss", "not-it")
    assert wrong.code == 1 and "password authentication failed" in wrong.err and "nothing was changed" in wrong.err
    assert "not-it" not in wrong.err
    (tmp_path / "other").mkdir()
    other = init(profile, ca_key(tmp_path / "other", OTHER_CA))
    assert (other.code, other.err.strip()) == (1, "dws: office-ca.key: the office CA key is not the key of the "
                                                  "office CA certificate the profile names; nothing was changed")
    bad = run_dws(tmp_path / "unused", "office", "init", "--profile", str(profile), "--admin", "Ada", "--ca-key",
                  str(key), env={"DWS_USER": "boss", "DWS_DB_PASSWORD": BOSS_PW, "DWS_PASSPHRASE": ADA_PASSPHRASE})
    assert (bad.code, bad.err) == (1, "dws: --admin: a login name is a lower-case letter, then up to 62 letters, "
                                      "digits, _, . or - (and not one of the office's own role names); nothing was "
                                      "changed\n")
    nouser = init(profile, key, None)
    assert nouser.code == 2 and "--user NAME" in nouser.err
    count = tls_server.psql("SELECT count(*) FROM pg_namespace WHERE nspname = 'dws'", dbname=office_db,
                            check=True).stdout.strip()
    roles = tls_server.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'office\\_init\\_%' OR rolname = 'ada'",
                            check=True).stdout.strip()
    assert (count, roles) == ("0", "0")

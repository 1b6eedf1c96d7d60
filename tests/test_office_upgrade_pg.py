"""Office schema versions (DESIGN.md: "Schema versions migrate forward as the local store's do"), against a real
TLS PostgreSQL server: an office of the previous version (schema step 1 only, as `dws office init` made it before
the queue trigger, the recovery proof and the address index) is brought up to date by `dws office init --profile
FILE` run by the server's administrator, in one transaction, logged in the office log; afterwards the queue is
announced, the recovery code works and an evaluation looks records up by their address index. An office made
before versions were kept is probed for what it has. A desktop role may not upgrade; a failure half-way (a wrong
recovery code at step 3, a step that fails) leaves the office as it was; a desktop refuses an office upgraded by
a newer dws, and one older than it works with, each in one message naming what to do."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import psycopg
import pytest
from clihelp import Result, run_dws
from conftest import CARD_PIN, SPARE_PIN
from officefull import RECOVERY_CODE
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, Office
from officerequests import package, subject, write
from test_office_records_pg import other_rows
from test_office_records_pg import write as write_records

from workstation import checkpoint as cp
from workstation.errors import InputError, StoreError
from workstation.keys import kdf
from workstation.keys.pkcs11 import TokenRef
from workstation.office import credential
from workstation.office.unlock import open_office
from workstation.service import office_enrol, office_evaluation, office_setup
from workstation.service.office_desktop import OfficeWorkstation
from workstation.store.office import checkpoint_keys, keyslots, queue_notify, recovery, schema, signing_keys
from workstation.store.office import evaluations as evaluations_sql
from workstation.store.office import matches as matches_sql
from workstation.store.office import overrides as overrides_sql
from workstation.store.office import records as records_sql
from workstation.store.office import requests as requests_sql
from workstation.store.office import settings as settings_sql

BOSS, BOSS_PW = "boss", "boss-database-password"
RITA, RITA_PASSPHRASE = "rita", "rita's office passphrase"
OTTO, OTTO_PASSPHRASE = "otto", "otto's office passphrase"


def old_office(*, versioned: bool = True, version: int = 1) -> Office:
    """An office of schema version `version` (step 1 as `dws office init` made it, its recovery keyslot, then the
    steps up to `version`; no recovery proof before step 3), with a superuser login `boss` (the server's
    administrator) and a preparer; `versioned=False`: made before versions were kept (no dws.schema_steps)."""
    office = Office.start()          # roles, log, keyslots, the office CA, the first admin (step 1's start)
    slot, proof = credential.recovery_slot_and_proof(RECOVERY_CODE, office.office_key, kdf.Pbkdf2(kdf.floor()))
    with office.superuser() as conn, conn.transaction():
        schema.desktops.create(conn, office.roles)
        records_sql.create(conn, office.roles, address=False)
        schema.requests.create(conn, office.roles, address=False)
        schema.evaluations.create(conn, office.roles)
        schema.create_signed(conn, office.roles)
        keyslots.put_recovery(conn, slot.kdf_json(), slot.salt, slot.nonce, slot.wrapped)
        for step in schema.steps_upto(version):
            if step.number > 1:
                step.apply(conn, office.roles)
            if step.number == schema.RECOVERY_STEP:
                recovery.put_proof(conn, proof)
            if versioned:
                schema.record_step(conn, office.roles, step)
        conn.execute(f"CREATE ROLE {BOSS} LOGIN SUPERUSER PASSWORD '{BOSS_PW}'")
    office.enrol(RITA, "preparer", RITA_PASSPHRASE)
    office.enrol(OTTO, "auditor", OTTO_PASSPHRASE)
    return office


@pytest.fixture
def office() -> Iterator[Office]:
    started = old_office()
    yield started
    started.server.stop()


def upgrade(profile: Path, user: str = BOSS, password: str = BOSS_PW, code: str = RECOVERY_CODE,
            *extra: str) -> Result:
    return run_dws(profile.parent / "unused", "--user", user, "office", "init", "--profile", str(profile), *extra,
                   env={"DWS_DB_PASSWORD": password, "DWS_RECOVERY_CODE": code})


def shape(office: Office) -> dict[str, Any]:
    """What an upgrade changes: the version, the trigger, the proof, the address column, the log's length."""
    with office.superuser() as conn:
        return {"version": schema.version(conn), "announces": queue_notify.announces(conn),
                "proof": conn.execute("SELECT to_regclass('dws.office_recovery_proof') IS NOT NULL").fetchone(),
                "address": records_sql.has_address_index(conn) and requests_sql.has_address_index(conn),
                "overrides": overrides_sql.exists(conn) and settings_sql.exists(conn),
                "cards": signing_keys.has_cards(conn),
                "checkpoint_keys": checkpoint_keys.exists(conn),
                "card_checkpoints": checkpoint_keys.exists(conn) and checkpoint_keys.has_cards(conn),
                "matches": matches_sql.exists(conn),
                "lean_records": not records_sql.has_unread_indexes(conn),
                "log": conn.execute("SELECT count(*) FROM dws.office_log").fetchone()}


def import_records(profile: Path, folder: Path) -> Path:
    path = write_records(folder / "records.csv", other_rows(40))
    done = run_dws(profile, "import", "records", str(path), env={"DWS_USER": RITA, "DWS_PASSPHRASE": RITA_PASSPHRASE})
    assert done.code == 0, done.err
    return path


def test_an_office_of_the_previous_version_is_brought_up_to_date(office: Office, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch, softhsm) -> None:
    profile = office.desktop(tmp_path / "desk").path
    # a user whose key is on a card needs step 9: refused in one message, nobody enrolled
    card = TokenRef(softhsm.module, "dws-plain", "sign")
    with pytest.raises(InputError, match=r"^this office was made before keys on smart cards; the server's "
                                         r"administrator brings it up to date with .* \(schema step 9\); nothing "
                                         "was enrolled$"):
        office_enrol.enrol_user(profile, ADMIN, ADMIN_PASSPHRASE, "cara", "preparer", "cara's passphrase",
                                token=card, pin=CARD_PIN)
    with office.superuser() as conn:
        assert not keyslots.user_exists(conn, "cara")
    # the older office works as it is (compatible): its records are loaded without the address index
    records = import_records(profile, tmp_path)
    # a request evaluated before the office kept subjects' matches: a taxpayer's views are proved, with a note that
    # its request is not covered, and the export is not logged (the server refuses it from an auditor)
    write(tmp_path / "r0.json", package("UPG-0", subjects=[subject(3)]))
    rita = {"DWS_USER": RITA, "DWS_PASSPHRASE": RITA_PASSPHRASE}
    for args in (("import", "request", str(tmp_path / "r0.json")), ("evaluate", "UPG-0", "--summary")):
        assert run_dws(profile, *args, env=rita).code == 0
    (tmp_path / "tin.txt").write_text("212-55-0004\n", encoding="utf-8")
    otto = {"DWS_USER": OTTO, "DWS_PASSPHRASE": OTTO_PASSPHRASE}
    proved = run_dws(profile, "log", "prove", "--tin-file", str(tmp_path / "tin.txt"), env=otto)
    assert (proved.code, proved.out) == (0, "[]\n"), proved.err
    assert proved.err == (
        "dws: note: 1 request evaluated before this office recorded subjects' matches (schema step 7) is not "
        "covered: a view of this taxpayer matched there by name and address, not named by TIN, may be missing from "
        "this list\n"
        "dws: note: this office was made before it logs an export of proofs (schema step 7): the proofs were not "
        "logged; the server's administrator upgrades it with 'dws --user DBADMIN office init --profile FILE'\n")
    before = shape(office)
    (n,) = before["log"]
    assert before == {"version": 1, "announces": False, "proof": (False,), "address": False, "overrides": False,
                      "cards": False, "checkpoint_keys": False, "matches": False, "card_checkpoints": False,
                      "lean_records": False, "log": (n,)}
    early = tmp_path / "early.checkpoint"           # signed with the office key: no user has a key of their own
    made = run_dws(profile, "log", "checkpoint", "-o", str(early), env={"DWS_USER": RITA,
                                                                          "DWS_PASSPHRASE": RITA_PASSPHRASE})
    assert made.code == 0 and cp.parse(early.read_text()).signatures[0].name.startswith("office@")

    done = upgrade(profile)
    assert done.code == 0, done.err
    assert done.out.startswith("Upgraded the office 'Test Office' in database 'dws' (at schema version 1) to schema "
                               f"version {schema.VERSION}, in one transaction (office log entry {n + 1}):\n"
                               "  step 2: added the queue's notification trigger"), done.out
    assert "  step 3: added the recovery proof" in done.out
    assert "  step 4: added the address-key blind index" in done.out
    assert "evaluations read them by ZIP5 as before, until their file is imported again" in done.out
    assert "  step 5: added the address-key blind index of a request's subjects" in done.out
    assert "  step 6: added reviewers' overrides of the release plan" in done.out
    assert "  step 7: added each evaluated subject's matched taxpayer as a TIN blind index" in done.out
    assert "  step 8: added each user's own checkpoint key for the office log" in done.out
    assert shape(office) == {"version": schema.VERSION, "announces": True, "proof": (True,), "address": True,
                             "overrides": True, "cards": True, "checkpoint_keys": True, "matches": True,
                             "card_checkpoints": True, "lean_records": True, "log": (n + 1,)}
    assert "  step 9: added signing keys on smart cards" in done.out
    assert "  step 10: added checkpoint keys on smart cards" in done.out
    assert "  step 11: added faster records imports (the three indexes of taxpayer records that" in done.out
    assert RECOVERY_CODE not in done.out + done.err
    with office.superuser() as conn:
        entry = conn.execute("SELECT user_name, event, object, detail FROM dws.office_log WHERE seq = %s",
                             (n + 1,)).fetchone()
        steps = conn.execute("SELECT step, found, applied_by FROM dws.schema_steps ORDER BY step").fetchall()
    later = [step.number for step in schema.steps_after(1)]
    assert entry == (BOSS, "office-schema-upgraded", DBNAME, json.dumps(
        {"added": later, "found": [], "from": 1, "to": schema.VERSION}, separators=(",", ":")))
    assert steps == [(1, False, "postgres"), *((step, False, BOSS) for step in later)]
    again = upgrade(profile)
    assert (again.code, again.out) == (0, f"The office 'Test Office' in database 'dws' is at schema version "
                                          f"{schema.VERSION}, this dws's; nothing was changed.\n")
    # the admin's next unlock makes their own checkpoint key, announced in the office log in their name; the
    # checkpoint the office key signed before stays verifiable beside the one the admin's key signs now
    now = tmp_path / "now.checkpoint"
    made = run_dws(profile, "log", "checkpoint", "-o", str(now), env={"DWS_USER": ADMIN,
                                                                        "DWS_PASSPHRASE": ADMIN_PASSPHRASE})
    assert made.code == 0 and cp.parse(now.read_text()).signatures[0].name.startswith(f"{ADMIN}@")
    with office.superuser() as conn:
        assert conn.execute("SELECT user_name, event, object FROM dws.office_log WHERE seq = %s",
                            (n + 2,)).fetchone() == (ADMIN, "checkpoint-key-enrolled", ADMIN)
    verified = run_dws(profile, "verify", "--against", str(early), str(now),
                       env={"DWS_USER": ADMIN, "DWS_PASSPHRASE": ADMIN_PASSPHRASE})
    assert verified.code == 0, verified.out
    assert f"Office log: {n + 2} entries\n" in verified.out and "extends every checkpoint given" in verified.out

    # the auditor's export is logged now (after the key their unlock made); a request evaluated before the upgrade is
    # still not covered
    proved = run_dws(profile, "log", "prove", "--tin-file", str(tmp_path / "tin.txt"), env=otto)
    assert (proved.code, proved.out) == (0, "[]\n") and proved.err.startswith("dws: note: 1 request evaluated before")
    assert len(proved.err.splitlines()) == 1
    with office.superuser() as conn:
        assert conn.execute("SELECT user_name, event, object, detail FROM dws.office_log WHERE seq > %s "
                            "ORDER BY seq", (n + 2,)).fetchall() == [
            (OTTO, "checkpoint-key-enrolled", OTTO, ANY),
            (OTTO, "log-proofs-exported", None, '{"by":"taxpayer","entries":0}')]

    # a card's key is registered now (no private key on the server)
    office_enrol.enrol_user(profile, ADMIN, ADMIN_PASSPHRASE, "cara", "preparer", "cara's passphrase", token=card,
                            pin=CARD_PIN)
    with office.superuser() as conn:
        assert json.loads(signing_keys.token(conn, "cara") or "{}")["token_label"] == "dws-plain"

    # the queue is announced now: a new request's id arrives on the office's channel
    with psycopg.connect(office.server.conninfo(DBNAME), autocommit=True) as listener:
        queue_notify.listen(listener, queue_notify.channel(office.roles))
        request = write(tmp_path / "r.json", package("UPG-1", subjects=[subject(3)]))
        with OfficeWorkstation(profile).unlock(RITA, RITA_PASSPHRASE) as rita:
            rita.import_request(request)
            heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
            assert heard == ["UPG-1"]

            # rows sealed before the upgrade keep no address index until their file is imported again
            with office.superuser() as conn:
                assert conn.execute("SELECT count(*) FILTER (WHERE address_index IS NULL), count(*) FROM "
                                    "dws.taxpayer_records").fetchone() == (40, 40)
            rita.import_records(records)
            with office.superuser() as conn:
                assert conn.execute("SELECT count(*) FILTER (WHERE address_index IS NOT NULL) FROM "
                                    "dws.taxpayer_records").fetchone() == (40,)
            # an evaluation now looks the candidates up by their address index
            seen: list[list[bytes] | None] = []
            streamed = evaluations_sql.stream_candidates

            def spy(*args: Any, **kwargs: Any) -> Any:
                seen.append(args[4] if len(args) > 4 else kwargs.get("addresses"))
                return streamed(*args, **kwargs)
            monkeypatch.setattr(evaluations_sql, "stream_candidates", spy)
            monkeypatch.setenv(office_evaluation.SCRATCH_ENV, str(tmp_path / "scratch"))
            got = office_evaluation.evaluate(rita._ctx, "UPG-1", dt.date(2026, 6, 1), summary=True,
                                             roles=office.roles)
            assert got.recorded and len(seen) == 1 and seen[0] is not None   # by address, not ZIP5 (the
            # list is empty: the request, imported after the upgrade, carries its subjects' own, step 5)

    # the recovery code works: a user who forgot their passphrase gets a new one
    recovered = run_dws(profile.parent / "unused", "office", "recover", "--profile", str(profile), "--user", RITA,
                        env={"DWS_RECOVERY_CODE": RECOVERY_CODE, "DWS_NEW_PASSPHRASE": "rita's new passphrase"})
    assert recovered.code == 0, recovered.err


@pytest.mark.parametrize("version", [step.number for step in schema.STEPS[:-1]])
def test_each_earlier_version_is_brought_up_to_date(version: int, tmp_path: Path,
                                                   request: pytest.FixtureRequest) -> None:
    """From each earlier version: the steps after it and no other, and the office then has every piece. From step 9:
    a user whose checkpoint key is on their card is refused before step 10, in one message, and enrolled after it."""
    office = old_office(version=version)
    try:
        profile = office.desktop(tmp_path / "desk").path
        card = None
        if version == 9:
            softhsm = request.getfixturevalue("softhsm")
            card = TokenRef(softhsm.module, "dws-both", "sign", "sign-checkpoint")
            with pytest.raises(InputError, match=r"^--checkpoint-key-label: this office was made before checkpoint "
                                                 r"keys on smart cards; .* "
                                                 r"\(schema step 10\); nothing was enrolled$"):
                office_enrol.enrol_user(profile, ADMIN, ADMIN_PASSPHRASE, "cleo", "preparer", "cleo's passphrase",
                                        token=card, pin=SPARE_PIN)
            with office.superuser() as conn:
                assert not keyslots.user_exists(conn, "cleo")
        done = upgrade(profile)
        assert done.code == 0, done.err
        added = [int(line.split(":")[0].removeprefix("  step ")) for line in done.out.splitlines()
                 if line.startswith("  step ")]
        assert added == [step.number for step in schema.steps_after(version)], done.out
        assert f"(at schema version {version}) to schema version {schema.VERSION}," in done.out
        after = shape(office)
        assert {k: after[k] for k in ("version", "announces", "proof", "address", "overrides", "cards",
                                        "checkpoint_keys", "matches", "lean_records")} == {
            "version": schema.VERSION, "announces": True, "proof": (True,), "address": True, "overrides": True,
            "cards": True, "checkpoint_keys": True, "matches": True, "lean_records": True}
        assert after["card_checkpoints"]
        # a first load into the empty table builds the indexes read and no other (and commits: its end-of-load check
        # asks for those alone)
        import_records(profile, tmp_path)
        with office.superuser() as conn:
            built = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'taxpayer_records'").fetchall()
            assert sorted(name for (name,) in built) == sorted([*records_sql.READ_INDEXES, "taxpayer_records_pkey"])
            assert records_sql.count(conn) == 40
            # ...and analyses the table as it ends (the first evaluation is planned on its statistics)
            analysed = conn.execute("SELECT count(*) FROM pg_stats WHERE schemaname = 'dws' AND tablename = "
                                    "'taxpayer_records'").fetchone()
            assert analysed is not None and analysed[0] > 0     # (40 rows: autovacuum would not have)
        if card is not None:
            office_enrol.enrol_user(profile, ADMIN, ADMIN_PASSPHRASE, "cleo", "preparer", "cleo's passphrase",
                                    token=card, pin=SPARE_PIN)
            with office.superuser() as conn:
                row = conn.execute("SELECT nonce, wrapped FROM dws.office_checkpoint_keys WHERE login = 'cleo'")
                assert row.fetchall() == [(None, None)]
        recovered = run_dws(profile.parent / "unused", "office", "recover", "--profile", str(profile), "--user",
                            RITA, env={"DWS_RECOVERY_CODE": RECOVERY_CODE, "DWS_NEW_PASSPHRASE": "rita's new one"})
        assert recovered.code == 0, recovered.err       # the proof the upgrade kept (or the one made at init)
    finally:
        office.server.stop()


def test_an_office_made_before_versions_is_probed_for_what_it_has(tmp_path: Path) -> None:
    office = old_office(versioned=False, version=2)     # it had the trigger already (made between the two)
    try:
        profile = office.desktop(tmp_path / "desk").path
        opened = run_dws(profile, "verify", env={"DWS_USER": ADMIN, "DWS_PASSPHRASE": ADMIN_PASSPHRASE})
        assert opened.code == 0, opened.err                 # a desktop works with it as before
        done = upgrade(profile)
        assert done.code == 0, done.err
        (n,) = shape(office)["log"]
        assert done.out.startswith("Upgraded the office 'Test Office' in database 'dws' (made before schema versions "
                                   f"were kept) to schema version {schema.VERSION}, in one transaction (office log "
                                   f"entry {n}):\n"
                                   "  it had steps 1-2 already (recorded)\n  step 3: added the recovery proof"
                                   ), done.out
        assert shape(office) == {"version": schema.VERSION, "announces": True, "proof": (True,), "address": True,
                                 "overrides": True, "cards": True, "checkpoint_keys": True, "matches": True,
                                 "card_checkpoints": True, "lean_records": True, "log": (n,)}
        with office.superuser() as conn:
            assert conn.execute("SELECT step, found FROM dws.schema_steps ORDER BY step").fetchall() == [
                (1, True), (2, True), *((step.number, False) for step in schema.steps_after(2))]
    finally:
        office.server.stop()


def test_a_desktop_role_may_not_upgrade(office: Office, tmp_path: Path) -> None:
    """Neither a preparer's login nor the office admin's (an office role, not the server's administrator)."""
    desk = office.desktop(tmp_path / "desk")
    before = shape(office)
    for login, passphrase in ((RITA, RITA_PASSPHRASE), (ADMIN, ADMIN_PASSPHRASE)):
        slot = credential.open_slot(credential.slot_from_row(login, *_slot_row(office, login)), passphrase)
        assert slot is not None
        done = upgrade(desk.path, login, slot.password)
        assert (done.code, done.err) == (1, f"dws: database user {login!r} may not upgrade the office (the server's "
                                            "administrator may: a superuser, as for 'office init'); nothing was "
                                            "changed\n")
        assert shape(office) == before


def _slot_row(office: Office, login: str) -> tuple[str, bytes, bytes, bytes]:
    with office.superuser() as conn:
        row = keyslots.read_slot(conn, login)
    assert row is not None
    return row


def test_a_failure_half_way_leaves_the_office_as_it_was(office: Office, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    profile = office.desktop(tmp_path / "desk").path
    before = shape(office)
    # a wrong recovery code stops step 3, after step 2 made the trigger in the same transaction
    wrong = upgrade(profile, code="AAAAA-" * 7 + "AAAAA")
    assert (wrong.code, wrong.err) == (1, "dws: the recovery code does not open this office's recovery keyslot (the "
                                          "upgrade adds its proof, which only the code gives); nothing was changed\n")
    assert shape(office) == before

    # a step the server refuses half-way (step 4 after 2 and 3)
    def broken(conn: psycopg.Connection[Any], _roles: Any) -> None:
        conn.execute("ALTER TABLE dws.no_such_table ADD COLUMN x integer")
    steps = (*schema.STEPS[:3], schema.Step(4, "a step that fails", broken, None))
    monkeypatch.setattr(schema, "STEPS", steps)
    with pytest.raises(StoreError, match=r"^the office server refused the upgrade \(SQLSTATE 42P01\); nothing was "
                                         "changed$"):
        office_setup.upgrade(profile, BOSS, BOSS_PW, lambda: RECOVERY_CODE)
    assert shape(office) == before


def test_a_desktop_refuses_an_office_newer_or_older_than_it_works_with(office: Office, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    profile = office.desktop(tmp_path / "desk")
    with office.superuser() as conn:
        conn.execute("INSERT INTO dws.schema_steps (step, adds) VALUES (99, 'something of a later dws')")
    newer = run_dws(profile.path, "verify", env={"DWS_USER": ADMIN, "DWS_PASSPHRASE": ADMIN_PASSPHRASE})
    assert (newer.code, newer.err) == (1, "dws: this office was upgraded by a newer dws (office schema version 99; "
                                          f"this dws knows versions up to {schema.VERSION}): update this desktop's "
                                          "dws\n")
    refused = upgrade(profile.path)
    assert refused.code == 1 and "this office was upgraded by a newer dws (office schema version 99" in refused.err
    with office.superuser() as conn:
        conn.execute("DELETE FROM dws.schema_steps WHERE step = 99")
    monkeypatch.setattr(schema, "OLDEST_OPENED", 2)        # a dws that no longer works with version 1
    with pytest.raises(StoreError) as older:
        open_office(profile, ADMIN, ADMIN_PASSPHRASE, roles=office.roles)
    assert str(older.value) == ("this office's schema (version 1) is older than this dws works with (version 2 or "
                                "later): the office's server administrator brings it up to date with 'dws --user "
                                "DBADMIN office init --profile office.json'")
    with pytest.raises(StoreError, match="older than this dws works with"):   # read before the passphrase is tried
        open_office(profile, ADMIN, "wrong", roles=office.roles)


def test_every_step_after_the_first_runs_again_without_changing_anything(tmp_path: Path) -> None:
    """Steps 2 onwards are idempotent SQL: run again on an office that has them, the office is as it was and
    works (an office made before versions, probed wrong, would only be given a piece again)."""
    office = old_office(version=schema.VERSION)
    try:
        before = shape(office)
        with office.superuser() as conn, conn.transaction():
            for step in schema.STEPS[1:]:
                step.apply(conn, office.roles)
        assert shape(office) == before
        profile = office.desktop(tmp_path / "desk").path
        import_records(profile, tmp_path)                   # the load's functions over every index, as before
        with office.superuser() as conn:
            assert conn.execute("SELECT count(*) FROM dws.taxpayer_records WHERE address_index IS NOT NULL"
                                ).fetchone() == (40,)
        recovered = run_dws(profile.parent / "unused", "office", "recover", "--profile", str(profile), "--user",
                            RITA, env={"DWS_RECOVERY_CODE": RECOVERY_CODE, "DWS_NEW_PASSPHRASE": "rita's new one"})
        assert recovered.code == 0, recovered.err
    finally:
        office.server.stop()

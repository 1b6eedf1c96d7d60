"""Migration 0008 (unit designators; MATCH candidates) from a fixture store made at schema version 4
(tests/make_fixture_v4.py), brought to schema 7 first with a record whose unit is written "#" and whose address
key was made the old way ("# 5" read as "APT 5"): the key is recomputed the way the importer now makes it, the
other keys stay, `subject_results` gains `candidates`, and every stored evaluation becomes stale."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import stop_migrations_at
from letterdata import ADMIN_PW

from workstation.model import UserInfo
from workstation.normalize import address_key
from workstation.service import Workstation
from workstation.store import auditlog, db, opening
from workstation.store import evaluation as ev
from workstation.store import users as users_sql

FIXTURE = Path(__file__).parent / "data" / "stores" / "v4"
HASHED = ("12 Main St #5", "Austin", "TX", "78701")


def test_migrations_apply_in_order_and_the_schema_version_is_the_highest() -> None:
    versions = [v for v, _sql in db.migrations()]
    assert versions == sorted(set(versions)) and 8 in versions
    assert db.SCHEMA_VERSION == versions[-1] >= 8


# The columns of taxpayer_records at schema 7 (schema 11 packs most of them into one column).
_V7_COLUMNS = ("tin", "tin_type", "name", "street", "city", "state", "zip", "tax_year", "hold", "name_control",
               "addr_key")


def _record(tin: str, street: str, key: str | None) -> tuple:
    return (tin, "SSN", "Vera Hashmark", street, *HASHED[1:], 2024, 0, "HASH", key)


def test_v7_store_recomputes_the_keys_of_hash_units(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "v4"
    shutil.copytree(FIXTURE, store)
    with monkeypatch.context() as mp:
        stop_migrations_at(mp, 7)
        # schema 7 has no checkpoint keys yet (migration 0009 adds them), nor an office CA (0010): the unlock
        # enrols and issues none
        mp.setattr(opening, "_checkpoint_key", lambda *_args: None)
        mp.setattr(opening, "_signing_key_forward", lambda *_args: None)
        # nor a checkpoint key to re-wrap with the keyslot (issue 23): the Argon2id slot stays as it is
        mp.setattr(opening, "_plan_rewrap", lambda *_args: None)
        # nor users.token (0010): the user is read as schema 7 has them
        mp.setattr(users_sql, "get", lambda conn, name: UserInfo(*conn.execute(
            "SELECT name, role, '', active FROM users WHERE name = ?", (name,)).fetchone()))
        with Workstation(store).unlock("admin", ADMIN_PW) as s:
            assert db.schema_version(s.conn) == 7
            with db.transaction(s.conn):
                s.conn.executemany(f"INSERT INTO taxpayer_records ({', '.join(_V7_COLUMNS)}) "
                                   f"VALUES ({', '.join('?' * len(_V7_COLUMNS))})",
                                   [_record("212459901", HASHED[0], "12 MAIN ST APT 5|AUSTIN|TX|78701"),
                                    _record("212459902", "", None)])
            before = dict(s.conn.execute("SELECT tin, addr_key FROM taxpayer_records"))
            version = ev.data_version(s.conn)
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        assert db.schema_version(s.conn) == db.SCHEMA_VERSION >= 8
        assert ("schema-migrated", {"from": 7, "to": db.SCHEMA_VERSION}) in [
            (e.event, e.detail) for e in auditlog.entries(s.conn)]
        after = dict(s.conn.execute("SELECT tin, addr_key FROM taxpayer_records"))
        assert after["212459901"] == address_key(*HASHED) == "12 MAIN ST # 5|AUSTIN|TX|78701"
        assert after["212459902"] is None
        assert {t: k for t, k in after.items() if t != "212459901"} == \
            {t: k for t, k in before.items() if t != "212459901"}
        assert "candidates" in [r[1] for r in s.conn.execute("PRAGMA table_info(subject_results)")]
        assert ev.data_version(s.conn) > version          # every stored evaluation is stale
        report = s.verify()
        assert report.ok, report.problems

"""Every schema migration, tested from a fixture store made by the previous version."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import needs_argon2

from workstation.errors import StoreError
from workstation.service import Workstation
from workstation.store import auditlog, db

FIXTURES = Path(__file__).parent / "data" / "stores"


def copy_fixture(version: int, tmp_path: Path) -> Path:
    dst = tmp_path / f"v{version}"
    shutil.copytree(FIXTURES / f"v{version}", dst)
    return dst


@needs_argon2
def test_v1_store_migrates_to_current_keeping_its_data(tmp_path: Path) -> None:
    path = copy_fixture(1, tmp_path)
    with Workstation(path).unlock("admin", "fixture-admin-passphrase") as s:
        assert db.schema_version(s.conn) == db.SCHEMA_VERSION
        rows = s.conn.execute("SELECT ref, tin9 FROM subjects ORDER BY seq").fetchall()
        assert rows == [("1", "912701234"), ("2", None)]          # 0002 back-fills the matching column
        assert [r.request_id for r in s.queue()] == ["V1-REQ"]
        events = [(e.event, e.detail) for e in auditlog.entries(s.conn)]
        assert ("schema-migrated", {"from": 1, "to": db.SCHEMA_VERSION}) in events
        assert auditlog.first_break(s.conn) is None                # the chain survives the migration
    # A second unlock finds nothing left to migrate.
    with Workstation(path).unlock("admin", "fixture-admin-passphrase") as s:
        assert sum(e.event == "schema-migrated" for e in auditlog.entries(s.conn)) == 1


@needs_argon2
def test_a_store_from_a_newer_program_is_refused(tmp_path: Path) -> None:
    path = copy_fixture(1, tmp_path)
    with Workstation(path).unlock("admin", "fixture-admin-passphrase") as s:
        s.conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this program"):
        Workstation(path).unlock("admin", "fixture-admin-passphrase")


def test_migrations_are_numbered_one_after_another() -> None:
    """A store records only the highest version it reached: a missing number would never run on it later."""
    versions = [v for v, _sql in db.migrations()]
    assert versions == list(range(1, versions[-1] + 1))

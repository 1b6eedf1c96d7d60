"""Migration 0004 (letters, accounting of disclosures) from a fixture store made at schema version 3
(tests/make_fixture_v3.py): decisions signed before letters existed get their letters afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path

from letterdata import ADMIN_PW, passphrase

from workstation.service import Workstation
from workstation.store import auditlog, db

FIXTURE = Path(__file__).parent / "data" / "stores" / "v3"


def test_v3_store_migrates_and_its_decisions_get_letters(tmp_path: Path) -> None:
    store = tmp_path / "v3"
    shutil.copytree(FIXTURE, store)
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        assert db.schema_version(s.conn) == db.SCHEMA_VERSION >= 4
        events = [(e.event, e.detail) for e in auditlog.entries(s.conn)]
        assert ("schema-migrated", {"from": 3, "to": db.SCHEMA_VERSION}) in events
        assert auditlog.first_break(s.conn) is None
        assert s.conn.execute("SELECT count(*) FROM letters").fetchone()[0] == 0
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        partial = s.letter("LTR-PARTIAL", passphrase("rita"))
        denial = s.letter("LTR-DENY-SUBJECTS", passphrase("rita"))
        assert (partial.kind, denial.kind) == ("transmittal", "declination")
        rows = s.conn.execute("SELECT ref, tin, items FROM disclosures ORDER BY id").fetchall()
        assert rows == [("1", "212451001", "name;address"), ("2", "212451002", "name;address")]
        assert s.verify_letter(partial.pdf).ok and s.verify().ok

"""Migration 0005 (evaluation digests) from a fixture store made at schema version 4 (tests/make_fixture_v4.py):
old evaluations are recomputed to the same plan, old decisions and letters still verify."""

from __future__ import annotations

import shutil
from pathlib import Path

from letterdata import ADMIN_PW, AS_OF, passphrase

from workstation.service import Workstation
from workstation.store import auditlog, db

FIXTURE = Path(__file__).parent / "data" / "stores" / "v4"


def test_v4_store_migrates_keeping_decisions_and_letters(tmp_path: Path) -> None:
    store = tmp_path / "v4"
    shutil.copytree(FIXTURE, store)
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        assert db.schema_version(s.conn) == db.SCHEMA_VERSION >= 5
        assert ("schema-migrated", {"from": 4, "to": db.SCHEMA_VERSION}) in [
            (e.event, e.detail) for e in auditlog.entries(s.conn)]
        old_hash = s.conn.execute("SELECT plan_hash FROM evaluations e JOIN requests r ON r.rid = e.rid "
                                  "WHERE r.request_id = 'LTR-PARTIAL'").fetchone()[0]
        report = s.verify()
        assert report.ok, report.problems
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        doc = s.evaluate("LTR-PARTIAL", AS_OF)                 # recomputed: the old row has no digests
        assert doc["findings_hash"] and doc["released_items"] == "name,address"
        assert doc["plan_hash"] == old_hash                     # the same plan, hashed the same way
        letter = s.letter("LTR-PARTIAL", passphrase("rita"))    # issued under schema 4: the stored bytes
        assert s.verify_letter(letter.pdf).ok

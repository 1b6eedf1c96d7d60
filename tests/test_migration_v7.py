"""Migration 0007 (the address index covers the name-and-address match) from a fixture store made at schema
version 4: the index is rebuilt with the columns MATCH reads, the look-up reads it alone, the records stay."""

from __future__ import annotations

import shutil
from pathlib import Path

from letterdata import ADMIN_PW

from workstation.service import Workstation
from workstation.store import db
from workstation.store import evaluation as ev

FIXTURE = Path(__file__).parent / "data" / "stores" / "v4"


def test_address_index_covers_the_match_after_migration(tmp_path: Path) -> None:
    store = tmp_path / "v4"
    shutil.copytree(FIXTURE, store)
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        assert db.schema_version(s.conn) == db.SCHEMA_VERSION >= 7
        columns = [r[2] for r in s.conn.execute("PRAGMA index_info(taxpayer_records_addr)")]
        assert columns == ["addr_key", "tin", "tin_type", "name"]
        key, tin = s.conn.execute("SELECT addr_key, tin FROM taxpayer_records LIMIT 1").fetchone()
        plan = " ".join(str(r[-1]) for r in s.conn.execute(
            "EXPLAIN QUERY PLAN SELECT DISTINCT addr_key, tin, tin_type, name FROM taxpayer_records "
            "INDEXED BY taxpayer_records_addr WHERE addr_key IN (?)", (key,)))
        assert "COVERING INDEX taxpayer_records_addr" in plan
        assert tin in {t for t, _tt, _n in ev.records_at_addresses(s.conn, [key])[key]}

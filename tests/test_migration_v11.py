"""Migration 0011 (the records table keeps the checked columns, the record's CSV line beside it) from the fixture store
made at schema version 4 (tests/make_fixture_v4.py), brought to schema 10 first: every record reads back with
the same values, the indexes keep their columns, the redaction preview and the letter issued before are the
same, and no stored evaluation becomes stale."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import stop_migrations_at
from letterdata import ADMIN_PW, passphrase

from workstation.model import ELEMENTS, RECORD_DATA_COLUMNS
from workstation.service import Workstation, review
from workstation.store import auditlog, db
from workstation.store import evaluation as ev
from workstation.store.records import line_values

FIXTURE = Path(__file__).parent / "data" / "stores" / "v4"
_KEYS = ("tin", "tin_type", "tax_year", "name", "name_control", "addr_key", "hold")
_INDEXES = ("taxpayer_records_tin", "taxpayer_records_addr", "taxpayer_records_match")
TRICKY = ("212459999", "SSN", 2024, 'Example, "Maria"', "EXAM", "1 MAIN ST|AUSTIN|TX|78701", 1,
          '1 Main St, "Rear"', "Austin\nTX", "TX", "78701", "2024-01-02", "single", -1500, 0, 12, 3,
          "(512) 555-0100", "0042", 41000, "Smith, Jones\r\n& Co", 7)


def _empty(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The same taxpayer a year earlier, every value that may be empty empty."""
    return (*row[:2], 2023, *row[3:5], None, 0, *[None] * len(RECORD_DATA_COLUMNS))


def _indexes(s: Any) -> dict[str, list[str]]:
    return {name: [r[2] for r in s.conn.execute(f"PRAGMA index_info({name})")] for name in _INDEXES}


def _record_rows_v10(s: Any, matched: str, columns: list[str], years: list[int]) -> list[dict[str, Any]]:
    """review._record_rows as schema 10 had it (each value in its own column)."""
    tin, tin_type = matched.split(":")
    cols = ["tax_year", "tin_type", "address_as_of", *[c for c in columns if c in ELEMENTS and c != "address"]]
    if "address" in columns:
        cols += ["street", "city", "state", "zip"]
    cols = list(dict.fromkeys(cols))
    marks = ",".join("?" * len(years)) or "NULL"
    cur = s.conn.execute(f"SELECT {', '.join(cols)} FROM taxpayer_records WHERE tin = ? AND tin_type = ? "
                         f"AND tax_year IN ({marks}) ORDER BY tax_year DESC", (tin, tin_type, *years))
    return [dict(zip(cols, r, strict=True)) for r in cur]


def _previews(s: Any) -> list[Any]:
    rid = s.conn.execute("SELECT rid FROM requests WHERE request_id = 'LTR-PARTIAL'").fetchone()[0]
    seqs = [r[0] for r in s.conn.execute("SELECT seq FROM subjects WHERE rid = ? ORDER BY seq", (rid,))]
    return [s.preview("LTR-PARTIAL", seq) for seq in seqs]


def test_v10_records_read_back_the_same_after_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "v4"
    shutil.copytree(FIXTURE, store)
    with monkeypatch.context() as mp:
        stop_migrations_at(mp, 10)
        mp.setattr(review, "_record_rows", _record_rows_v10)
        with Workstation(store).unlock("admin", ADMIN_PW) as s:
            assert db.schema_version(s.conn) == 10
            columns = [*_KEYS, *RECORD_DATA_COLUMNS]
            with db.transaction(s.conn):       # values the CSV line must quote, and empty ones
                s.conn.executemany(f"INSERT INTO taxpayer_records ({', '.join(columns)}) "
                                   f"VALUES ({', '.join('?' * len(columns))})", [TRICKY, _empty(TRICKY)])
            before = {r[0]: dict(zip(columns, r[1:], strict=True)) for r in s.conn.execute(
                f"SELECT rowid, {', '.join(columns)} FROM taxpayer_records")}
            indexes = _indexes(s)
            version = ev.data_version(s.conn)
        with Workstation(store).unlock("rita", passphrase("rita")) as s:
            previews = _previews(s)
            letter = s.letter_bytes("LTR-PARTIAL")
    assert len(before) == 12 and letter

    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        assert db.schema_version(s.conn) == db.SCHEMA_VERSION >= 11
        assert ("schema-migrated", {"from": 10, "to": db.SCHEMA_VERSION}) in [
            (e.event, e.detail) for e in auditlog.entries(s.conn)]
        after = {r[0]: {**dict(zip(_KEYS, r[1:8], strict=True)), **_values(r[8])} for r in s.conn.execute(
            f"SELECT r.rowid, {', '.join('r.' + k for k in _KEYS)}, l.line FROM taxpayer_records AS r "
            "JOIN taxpayer_record_lines AS l ON l.id = r.rowid")}
        assert after == before
        assert _indexes(s) == indexes
        assert ev.data_version(s.conn) == version            # no key changed: the evaluations stay current
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        report = s.verify()
        assert report.ok, report.problems
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        assert _previews(s) == previews
        assert s.letter_bytes("LTR-PARTIAL") == letter


def _values(line: str) -> dict[str, Any]:
    return line_values([line])[0]

"""Migration 0012 (each request's reasons counted once, at import) from the fixture store made at schema version 4
(tests/make_fixture_v4.py), brought to schema 11 first with subjects whose reasons are written differently but
read as one: the counts are those the evaluation made from the stored subjects, the evaluation after the
migration finds the same boilerplate, and no stored evaluation becomes stale."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import stop_migrations_at
from letterdata import ADMIN_PW, AS_OF

from workstation.normalize import reason_key
from workstation.service import Session, Workstation
from workstation.store import auditlog, db
from workstation.store import evaluation as ev

FIXTURE = Path(__file__).parent / "data" / "stores" / "v4"
REQUEST = "LTR-DENY-SUBJECTS"
# Read as one reason: given by 5 subjects, 4 others each (over the default limit of 3); one reason given twice;
# one once; empty ones.
SHARED = ("Removal proceedings, case 2024-17.", "removal PROCEEDINGS case 2024 17", "  Removal proceedings: case "
          "2024/17 ", "REMOVAL-PROCEEDINGS, CASE 2024-17!", "Removal proceedings case 2024 17")
TWICE = ("Another reason, somewhat specific", "another reason: somewhat specific")
OTHERS = ("A reason given by one subject only", "", "   ", None)


def _counted(s: Session, rid: int) -> dict[str, int]:
    """The reasons as the evaluation counted them before schema 12 (every stored subject's reason folded, empty
    ones left out), those given by more than one subject."""
    folded: Counter[str] = Counter()
    for (reason,) in s.conn.execute("SELECT reason FROM subjects WHERE rid = ?", (rid,)):
        if reason and reason.strip():
            folded[reason_key(reason)] += 1
    return {k: n for k, n in folded.items() if n > 1}


def test_v11_requests_get_their_reasons_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "v4"
    shutil.copytree(FIXTURE, store)
    with monkeypatch.context() as mp:
        stop_migrations_at(mp, 11)
        with Workstation(store).unlock("admin", ADMIN_PW) as s:
            assert db.schema_version(s.conn) == 11
            rid = s.conn.execute("SELECT rid FROM requests WHERE request_id = ?", (REQUEST,)).fetchone()[0]
            first = s.conn.execute("SELECT max(seq) + 1 FROM subjects WHERE rid = ?", (rid,)).fetchone()[0]
            with db.transaction(s.conn):
                s.conn.executemany(
                    "INSERT INTO subjects (rid, seq, ref, name, tin, street, city, state, zip, periods, case_no, "
                    "reason, tin9) VALUES (?, ?, ?, 'Maria Example', '212-70-1234', '1200 Congress Ave', "
                    "'Austin', 'TX', '78701', '2024', NULL, ?, '212701234')",
                    [(rid, first + i, f"R-{i}", reason) for i, reason in enumerate(SHARED + TWICE + OTHERS)])
            before = {r: _counted(s, r) for (r,) in s.conn.execute("SELECT rid FROM requests")}
            version = ev.data_version(s.conn)
            evaluations = s.conn.execute("SELECT rid, plan_hash, findings_hash FROM evaluations").fetchall()
    assert before[rid] == {reason_key(SHARED[0]): 5, reason_key(TWICE[0]): 2}
    assert evaluations

    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        assert db.schema_version(s.conn) == db.SCHEMA_VERSION >= 12
        assert ("schema-migrated", {"from": 11, "to": db.SCHEMA_VERSION}) in [
            (e.event, e.detail) for e in auditlog.entries(s.conn)]
        assert {r: ev.shared_reasons(s.conn, r) for r in before} == before
        assert ev.data_version(s.conn) == version            # nothing an evaluation reads changed: still current
        assert s.conn.execute("SELECT rid, plan_hash, findings_hash FROM evaluations").fetchall() == evaluations
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        s.evaluate(REQUEST, AS_OF)
        findings = dict(s.conn.execute("SELECT ref, findings FROM subject_results WHERE rid = ? AND ref LIKE 'R-%'",
                                       (rid,)).fetchall())
    boilerplate = "the same reason is given for 4 other taxpayers (boilerplate; limit 3)"
    assert [ref for ref, f in sorted(findings.items()) if boilerplate in f] == [f"R-{i}" for i in range(5)]
    assert not any("the same reason" in findings[f"R-{i}"] for i in range(5, 5 + len(TWICE) + len(OTHERS)))

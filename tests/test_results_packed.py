"""Result rows travel from a worker to the writing process packed (`subject_pass.pack_results`) and are stored by
SQLite taking the JSON apart (`store.evaluation.replace_packed_results`): every value reads back exactly as it
was, whatever it holds (quotes, backslashes, tabs and newlines, non-ASCII, values that look like numbers, none),
over rows stored before and beside rows left alone."""

from __future__ import annotations

import json
from pathlib import Path

from workstation.service import Session, Workstation
from workstation.service.subject_pass import pack_results
from workstation.store import db
from workstation.store import evaluation as ev

FINDINGS = '[["NAME","fail","Name is a \\"placeholder\\"\\nsecond line"],["HOLD","fail","é ü ß \\\\ \\t"]]'
ROWS = [
    (0, "S-1", "withheld", None, FINDINGS, "", "name:NAME", None),
    (1, '"quoted" \\ ref', "releasable", "212701234:SSN", "[]", "name,address", "", None),
    (2, "00042", "review", None, "[]", "", "name:MATCH,address:MATCH", "212701234:SSN;912701234:ITIN"),
    (3, "Ñandú\ttab\nline", "no-record", None, FINDINGS, "", "", None),
    (5, "S-5", "withheld", None, FINDINGS, "", "name:NAME", None),      # the same shape as the first
]


def _stored(s: Session, rid: int) -> list[tuple]:
    return s.conn.execute("SELECT seq, ref, status, matched, findings, released, withheld, candidates "
                          "FROM subject_results WHERE rid = ? ORDER BY seq", (rid,)).fetchall()


def test_packed_rows_read_back_exactly(tmp_path: Path) -> None:
    shapes, rows = pack_results(ROWS)
    assert len(json.loads(shapes)) == 4        # a shape travels once, whatever the rows that share it (first, last)
    with Workstation(tmp_path / "store").init("admin", "admin-passphrase-1", bind_device=False)[0] as s:
        rid = 7
        with db.transaction(s.conn):
            s.conn.execute("INSERT INTO subject_results (rid, seq, ref, status, findings, released, withheld) "
                           "VALUES (?, 4, 'kept', 'withheld', '[]', '', ''), (?, 1, 'old', 'withheld', '[]', '', '')",
                           (rid, rid))
            ev.replace_packed_results(s.conn, rid, shapes, rows)
        stored = _stored(s, rid)
        assert stored == sorted([*ROWS, (4, "kept", "withheld", None, "[]", "", "", None)])
        assert [type(row[0]) for row in stored] == [int] * 6 and isinstance(stored[2][1], str)
        with db.transaction(s.conn):
            ev.replace_packed_results(s.conn, rid, *pack_results([]))     # nothing changed: nothing written
        assert _stored(s, rid) == stored

"""SQL for the release gate: the subjects whose values a letter might show, and their records on file.

The gate hands the store what the letter's text holds (its TIN-like numbers, its words) so that a million
subjects are filtered here, in SQLite, and only the few that could be in the letter come back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from .db import Connection

FETCH = 10_000
RECORD_COLUMNS = ("name", "street", "phone", "bank_account", "employer", "agi", "total_tax", "refund", "wages",
                  "interest")
_JOIN = "FROM subject_results AS r LEFT JOIN subjects AS s ON s.rid = r.rid AND s.seq = r.seq WHERE r.rid = ?"
# The first word of a column as the gate's quick test reads it (lower case, up to the first space); a word
# that is not plain ASCII letters and digits is always returned, for the gate to read in full.
_FIRST = "lower(substr(trim({c}) || ' ', 1, instr(trim({c}) || ' ', ' ') - 1))"
_KEEP = "({f} IN (SELECT value FROM json_each(?)) OR {f} GLOB '*[^a-z0-9]*')"


def _batched(cur: object) -> Iterator[tuple]:
    while rows := cur.fetchmany(FETCH):      # type: ignore[attr-defined]
        yield from rows


def subject_count(conn: Connection, rid: int) -> int:
    return int(conn.execute("SELECT subject_count FROM requests WHERE rid = ?", (rid,)).fetchone()[0])


def with_withheld(conn: Connection, rid: int) -> int:
    """How many subjects have an element withheld or nothing released (by the release plan)."""
    return int(conn.execute("SELECT count(*) FROM subject_results WHERE rid = ? AND (released = '' OR "
                            "withheld != '')", (rid,)).fetchone()[0])


def tin_subjects(conn: Connection, rid: int, nines: Sequence[str]) -> Iterator[tuple]:
    """(seq, ref, released, matched, candidates, TIN sent) of the subjects whose TIN as matched or as sent, or
    one of whose candidates' TINs, is one of `nines`."""
    keys = json.dumps(list(nines))
    return _batched(conn.execute(
        f"SELECT r.seq, r.ref, r.released, r.matched, r.candidates, s.tin9 {_JOIN} AND ("
        "substr(r.matched, 1, 9) IN (SELECT value FROM json_each(?)) OR s.tin9 IN (SELECT value FROM json_each(?)) "
        "OR r.candidates IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(?) AS k WHERE instr(r.candidates, k.value)))"
        " ORDER BY r.seq", (rid, keys, keys, keys)))


def sent_by_unreleased(conn: Connection, rid: int, words: Sequence[str], *, everyone: bool) -> Iterator[tuple]:
    """(seq, ref, name, street) as sent, of the subjects released nothing (all of them: `everyone`) whose
    name or street begins with one of `words` (or with a word that is not plain ASCII)."""
    keys = json.dumps(list(words))
    keep = " OR ".join(_KEEP.format(f=_FIRST.format(c=c)) for c in ("s.name", "s.street"))
    if everyone:
        sql = f"SELECT s.seq, s.ref, s.name, s.street FROM subjects AS s WHERE s.rid = ? AND ({keep}) ORDER BY s.seq"
    else:
        sql = (f"SELECT s.seq, r.ref, s.name, s.street FROM subject_results AS r JOIN subjects AS s ON s.rid = r.rid "
               f"AND s.seq = r.seq WHERE r.rid = ? AND r.released = '' AND ({keep}) ORDER BY r.seq")
    return _batched(conn.execute(sql, (rid, keys, keys)))


def with_records(conn: Connection, rid: int, *, everyone: bool) -> Iterator[tuple]:
    """(seq, ref, released, withheld, matched, candidates, TIN sent) of the subjects whose records the gate
    reads: those released nothing or with an element withheld (all of them: `everyone`)."""
    scope = "" if everyone else "AND (r.released = '' OR r.withheld != '')"
    return _batched(conn.execute(f"SELECT r.seq, r.ref, r.released, r.withheld, r.matched, r.candidates, s.tin9 "
                                 f"{_JOIN} {scope} ORDER BY r.seq", (rid,)))


def records(conn: Connection, tins: Sequence[str]) -> list[tuple]:
    """(tin, tin_type, *RECORD_COLUMNS) of every record, any year, of these nine-digit TINs."""
    marks = ",".join("?" * len(tins))
    return conn.execute(f"SELECT tin, tin_type, {', '.join(RECORD_COLUMNS)} FROM taxpayer_records "
                        f"WHERE tin IN ({marks})", tuple(tins)).fetchall()

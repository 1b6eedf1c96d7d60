"""SQL for the release gate: the subjects whose values a letter might show, and their records on file.

The gate hands the store what the letter's text holds (its TIN-like numbers, its words) so that a million
subjects are filtered here, in SQLite, and only the few that could be in the letter come back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from .db import Connection, Row
from .records import line_values

FETCH = 10_000
RECORD_COLUMNS = ("name", "street", "phone", "bank_account", "employer", "agi", "total_tax", "refund", "wages",
                  "interest")
_JOIN = "FROM subject_results AS r LEFT JOIN subjects AS s ON s.rid = r.rid AND s.seq = r.seq WHERE r.rid = ?"
# Words of a column as the gate's quick test reads them (lower case, between spaces): the first, the second
# and the last. A value with anything but ASCII letters, digits and spaces is always returned, for the gate
# to read in full; so is every word list the same JSON parameter.
_FIRST = "lower(substr({t} || ' ', 1, instr({t} || ' ', ' ') - 1))"
_REST = "ltrim(substr({t} || ' ', instr({t} || ' ', ' ') + 1))"
_LAST = "lower(substr({t}, length(rtrim({t}, replace({t}, ' ', ''))) + 1))"
_IN = "IN (SELECT value FROM json_each(?))"


def _word_filter(column: str, other: str) -> tuple[str, int]:
    """SQL true when the first word of `column` and its second (`other` = "second"; none will do) or last
    word may be in the letter; and how many JSON parameters it takes."""
    t = f"trim({column})"
    if other == "second":
        second = _FIRST.format(t=_REST.format(t=t))
        both = f"({second} {_IN} OR {second} = '')"
    else:
        both = f"{_LAST.format(t=t)} {_IN}"
    return f"({column} GLOB '*[^A-Za-z0-9 ]*' OR {_FIRST.format(t=t)} {_IN} AND {both})", 2


def _batched(cur: object) -> Iterator[Row]:
    while rows := cur.fetchmany(FETCH):      # type: ignore[attr-defined]
        yield from rows


def subject_count(conn: Connection, rid: int) -> int:
    return int(conn.execute("SELECT subject_count FROM requests WHERE rid = ?", (rid,)).fetchone()[0])


def with_withheld(conn: Connection, rid: int) -> int:
    """How many subjects have an element withheld or nothing released (by the release plan)."""
    return int(conn.execute("SELECT count(*) FROM subject_results WHERE rid = ? AND (released = '' OR "
                            "withheld != '')", (rid,)).fetchone()[0])


def tin_subjects(conn: Connection, rid: int, nines: Sequence[str]) -> list[Row]:
    """(seq, ref, released, matched, candidates, TIN sent) of the subjects whose TIN as sent, as matched or
    of one of their candidates is one of `nines`. Matched and candidate TINs are on file: the subjects are
    read through only when one of `nines` is (the indexes answer the rest)."""
    keys = json.dumps(list(nines))
    cols = "r.seq, r.ref, r.released, r.matched, r.candidates, s.tin9"
    found = {row[0]: row for row in conn.execute(
        f"SELECT {cols} FROM subjects AS s JOIN subject_results AS r ON r.rid = s.rid AND r.seq = s.seq "
        f"WHERE s.rid = ? AND s.tin9 {_IN}", (rid, keys))}
    on_file = json.dumps([t for (t,) in conn.execute(f"SELECT DISTINCT tin FROM taxpayer_records WHERE tin {_IN}",
                                                     (keys,))])
    if on_file != "[]":
        found.update((row[0], row) for row in conn.execute(
            f"SELECT {cols} {_JOIN} AND (substr(r.matched, 1, 9) {_IN} OR r.candidates IS NOT NULL AND "
            "EXISTS (SELECT 1 FROM json_each(?) AS k WHERE instr(r.candidates, k.value)))", (rid, on_file, on_file)))
    return [found[seq] for seq in sorted(found)]


def sent_by_unreleased(conn: Connection, rid: int, words: Sequence[str], *, everyone: bool) -> Iterator[Row]:
    """(seq, ref, name, street) as sent, of the subjects released nothing (all of them: `everyone`) whose
    name may be in the letter (its first and last words are among `words`) or whose street may (its first
    two words are); a word that is not plain ASCII letters and digits always may."""
    keys = json.dumps(list(words))
    name, n1 = _word_filter("s.name", "last")
    street, n2 = _word_filter("s.street", "second")
    keep = f"({name} OR {street})"
    if everyone:
        sql = f"SELECT s.seq, s.ref, s.name, s.street FROM subjects AS s WHERE s.rid = ? AND {keep} ORDER BY s.seq"
    else:
        sql = (f"SELECT s.seq, r.ref, s.name, s.street FROM subject_results AS r JOIN subjects AS s ON s.rid = r.rid "
               f"AND s.seq = r.seq WHERE r.rid = ? AND r.released = '' AND {keep} ORDER BY r.seq")
    return _batched(conn.execute(sql, (rid, *[keys] * (n1 + n2))))


def with_records(conn: Connection, rid: int, *, everyone: bool) -> Iterator[Row]:
    """(seq, ref, released, withheld, matched, candidates, TIN sent) of the subjects whose records the gate
    reads: those released nothing or with an element withheld (all of them: `everyone`)."""
    scope = "" if everyone else "AND (r.released = '' OR r.withheld != '')"
    return _batched(conn.execute(f"SELECT r.seq, r.ref, r.released, r.withheld, r.matched, r.candidates, s.tin9 "
                                 f"{_JOIN} {scope} ORDER BY r.seq", (rid,)))


def records(conn: Connection, tins: Sequence[str]) -> list[Row]:
    """(tin, tin_type, *RECORD_COLUMNS) of every record, any year, of these nine-digit TINs (the values beside the
    name read from each record's CSV line, schema 11)."""
    marks = ",".join("?" * len(tins))
    rows = conn.execute("SELECT r.tin, r.tin_type, r.name, l.line FROM taxpayer_records AS r JOIN "
                        f"taxpayer_record_lines AS l ON l.id = r.rowid WHERE r.tin IN ({marks})",
                        tuple(tins)).fetchall()
    return [(tin, tin_type, name, *(data[c] for c in RECORD_COLUMNS[1:]))
            for (tin, tin_type, name, _line), data in zip(rows, line_values(r[3] for r in rows), strict=True)]

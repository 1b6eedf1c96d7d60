"""SQL for evaluations: subjects with their taxpayer records, stored results, overrides."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import cast

from ..results import EvaluationDoc
from .db import Connection, Row

# A range of a request's subjects in subject order: pages of the table read front to back, each decrypted once.
SUBJECTS_IN_RANGE = """
SELECT seq, ref, name, tin, street, city, state, zip, periods, case_no, reason, tin9
FROM subjects WHERE rid = ? AND seq >= ? AND seq < ? ORDER BY seq
"""
# The matching columns of every record of some TINs, from the covering index in TIN order (the caller sorts
# the TINs), so a connection with a large page cache decrypts each page of that index about once. The TIN comes
# last: the first five columns are the record row the subject checks read. The TINs are bound as one JSON array
# (one statement for a whole range, none prepared per batch, no IN list sorted again by SQLite).
_RECORDS_FOR_TINS = ("SELECT r.tax_year, r.tin_type, r.name_control, r.addr_key, r.hold, r.tin FROM json_each(?) AS t "
                     "JOIN taxpayer_records AS r INDEXED BY taxpayer_records_match ON r.tin = t.value")
_IN_BATCH = 999
_TIN = itemgetter(5)


def plan_line(ref: str, released: str, withheld: str) -> bytes:
    """One subject's line of the plan hash (refs, element names and codes never hold tabs or newlines). The lines
    of the findings hash are "ref TAB findings JSON NEWLINE" (`service.subject_pass` makes both)."""
    return f"{ref}\t{released}\t{withheld}\n".encode()


def stored_results(conn: Connection, rid: int, lo: int, hi: int) -> list[Row]:
    """(seq, ref, status, matched, findings, released, withheld, candidates) of the results stored for the
    subjects with lo <= seq < hi, in subject order (an evaluation compares them with its own)."""
    return conn.execute("SELECT seq, ref, status, matched, findings, released, withheld, candidates "
                        "FROM subject_results WHERE rid = ? AND seq >= ? AND seq < ? ORDER BY seq",
                        (rid, lo, hi)).fetchall()


def seq_bounds(conn: Connection, rid: int) -> tuple[int, int] | None:
    """(first, last) subject sequence number of a request, or None when it has no subjects."""
    ends = [conn.execute(f"SELECT seq FROM subjects WHERE rid = ? ORDER BY seq {way} LIMIT 1", (rid,)).fetchone()
            for way in ("ASC", "DESC")]                   # two seeks on the primary key
    return None if ends[0] is None else (ends[0][0], ends[1][0])


def subjects_in_range(conn: Connection, rid: int, lo: int, hi: int) -> list[Row]:
    """(seq, ref, name, tin, street, city, state, zip, periods, case_no, reason, tin9) of the subjects with
    lo <= seq < hi, in subject order."""
    return conn.execute(SUBJECTS_IN_RANGE, (rid, lo, hi)).fetchall()


def records_for_tins(conn: Connection, tins: list[str]) -> dict[str, list[Row]]:
    """tin -> [(tax_year, tin_type, name_control, addr_key, hold, tin)] for every record of `tins` (distinct,
    sorted)."""
    found: dict[str, list[Row]] = {}
    if not tins:
        return found
    for tin, rows in groupby(conn.execute(_RECORDS_FOR_TINS, (json.dumps(tins),)).fetchall(), _TIN):
        if tin in found:                # (the rows come in the order of `tins`: never, unless the plan changes)
            found[tin].extend(rows)
        else:
            found[tin] = list(rows)
    return found


def subjects_with_records(conn: Connection, rid: int, chunk: int = 25_000, records_conn: Connection | None = None
                          ) -> Iterator[tuple[Row, list[Row]]]:
    """Every subject of a request with the matching rows of its TIN's records, read the way the evaluation
    reads them (subjects in ranges of subject order, the records of their TINs in TIN order, on
    `records_conn` if given): (subject row, [record row])."""
    bounds = seq_bounds(conn, rid)
    if bounds is None:
        return
    for lo in range(bounds[0], bounds[1] + 1, chunk):
        subjects = subjects_in_range(conn, rid, lo, lo + chunk)
        on_file = records_for_tins(records_conn or conn,
                                   sorted({row[11] for row in subjects if row[11] is not None}))
        for row in subjects:
            yield row, on_file.get(row[11], [])


def shared_reasons(conn: Connection, rid: int) -> dict[str, int]:
    """reason_key -> subjects of the request giving it, for the reasons given by more than one (counted at import)."""
    return dict(conn.execute("SELECT reason, subjects FROM request_reasons WHERE rid = ?", (rid,)).fetchall())


def records_at_addresses(conn: Connection, keys: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
    """addr_key -> [(tin, tin_type, name)] for every record at one of `keys`, looked up in key order from the
    covering index `taxpayer_records_addr` (each distinct taxpayer and name once)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), 500):
        chunk = ordered[i:i + 500]
        sql = ("SELECT DISTINCT addr_key, tin, tin_type, name FROM taxpayer_records INDEXED BY taxpayer_records_addr "
               f"WHERE addr_key IN ({','.join('?' * len(chunk))})")
        for key, tin, tin_type, name in conn.execute(sql, chunk):
            found.setdefault(key, []).append((tin, tin_type, name))
    return found


def names_filed(conn: Connection, places: Iterable[tuple[str | None, str]]) -> dict[str, set[tuple[str, str]]]:
    """tin -> {(tin_type, name)} of the records of each (addr_key, tin) in `places` (addr_key None: the rows of
    that TIN without an address), from the covering index `taxpayer_records_addr`: the names a taxpayer has
    filed under, read at the addresses its rows (from `records_for_tins`) give, without reading the table."""
    found: dict[str, set[tuple[str, str]]] = {}
    keyed = sorted({p for p in places if p[0] is not None})
    for i in range(0, len(keyed), _IN_BATCH // 2):
        batch = keyed[i:i + _IN_BATCH // 2]
        sql = ("SELECT tin, tin_type, name FROM taxpayer_records INDEXED BY taxpayer_records_addr "
               f"WHERE (addr_key, tin) IN (VALUES {','.join(['(?, ?)'] * len(batch))})")
        for tin, tin_type, name in conn.execute(sql, [v for p in batch for v in p]):
            found.setdefault(tin, set()).add((tin_type, name))
    bare = sorted({tin for key, tin in places if key is None})
    for i in range(0, len(bare), _IN_BATCH):
        tins = bare[i:i + _IN_BATCH]
        sql = ("SELECT tin, tin_type, name FROM taxpayer_records INDEXED BY taxpayer_records_addr "
               f"WHERE addr_key IS NULL AND tin IN ({','.join('?' * len(tins))})")
        for tin, tin_type, name in conn.execute(sql, tins):
            found.setdefault(tin, set()).add((tin_type, name))
    return found


def rows_for_tin(conn: Connection, tin: str, tin_type: str) -> list[Row]:
    return conn.execute("SELECT tax_year, tin_type, name_control, addr_key, hold FROM taxpayer_records "
                        "WHERE tin = ? AND tin_type = ?", (tin, tin_type)).fetchall()


def subject_findings(conn: Connection, rid: int, seq: int) -> tuple[str, str, str | None] | None:
    """(ref, findings JSON, candidates 'tin:type;...' or None) of one evaluated subject."""
    row: tuple[str, str, str | None] | None = conn.execute(
        "SELECT ref, findings, candidates FROM subject_results WHERE rid = ? AND seq = ?", (rid, seq)).fetchone()
    return row


def years_on_file(conn: Connection, tin: str, tin_type: str) -> tuple[int, ...]:
    """The tax years on file for one taxpayer, newest first."""
    return tuple(r[0] for r in conn.execute("SELECT tax_year FROM taxpayer_records WHERE tin = ? AND tin_type = ? "
                                            "ORDER BY tax_year DESC", (tin, tin_type)))


def clear_results(conn: Connection, rid: int) -> None:
    conn.execute("DELETE FROM subject_results WHERE rid = ?", (rid,))


def insert_results(conn: Connection, rows: Iterable[Row]) -> None:
    """Result rows without candidates (rid, seq, ref, status, matched, findings, released, withheld)."""
    conn.executemany("INSERT INTO subject_results (rid, seq, ref, status, matched, findings, released, withheld) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


# A packed batch of result rows (`subject_pass.pack_results`): the shapes, a JSON array of [status, findings,
# released, withheld], go into a temporary table (memory only: temp_store), and the rows, a JSON array of
# [seq, ref, matched, candidates, shape], are taken apart by SQLite itself: two values bound for a batch.
_SHAPES_TABLE = ("CREATE TEMP TABLE IF NOT EXISTS result_shapes (id INTEGER PRIMARY KEY, status TEXT NOT NULL, "
                 "findings TEXT NOT NULL, released TEXT NOT NULL, withheld TEXT NOT NULL)")
_INSERT_SHAPES = ("INSERT INTO temp.result_shapes (id, status, findings, released, withheld) "
                  "SELECT key, value->>0, value->>1, value->>2, value->>3 FROM json_each(?)")
_REPLACE_PACKED = ("INSERT OR REPLACE INTO subject_results (rid, seq, ref, matched, candidates, status, findings, "
                   "released, withheld) SELECT ?, r.value->>0, r.value->>1, r.value->>2, r.value->>3, s.status, "
                   "s.findings, s.released, s.withheld FROM jsonb_each(?) AS r "
                   "JOIN temp.result_shapes AS s ON s.id = r.value->>4")


def replace_packed_results(conn: Connection, rid: int, shapes: str, rows: str) -> None:
    """Store a packed batch of result rows of request `rid` (see above) over its earlier ones. A request's
    subjects never change and every evaluation stores one row per subject, so the rows replaced are all there
    were: each page of the table is rewritten in place, instead of every row being deleted and the table built
    again."""
    conn.execute(_SHAPES_TABLE)
    conn.execute(_INSERT_SHAPES, (shapes,))
    try:
        conn.execute(_REPLACE_PACKED, (rid, rows))
    finally:
        conn.execute("DELETE FROM temp.result_shapes")


_RESULT_COLUMNS = "seq, ref, status, matched, findings, released, withheld"


def result_count(conn: Connection, rid: int, status: str | None = None) -> int:
    """How many subjects of the request have a stored result (with `status`: that status)."""
    sql = "SELECT count(*) FROM subject_results WHERE rid = ?" + (" AND status = ?" if status else "")
    return int(conn.execute(sql, (rid, status) if status else (rid,)).fetchone()[0])


def result_page(conn: Connection, rid: int, offset: int, limit: int, status: str | None = None) -> list[Row]:
    """(seq, ref, status, matched, findings, released, withheld) of one page of results in subject order; with
    `status`, of those subjects only."""
    if status:
        return conn.execute(f"SELECT {_RESULT_COLUMNS} FROM subject_results WHERE rid = ? AND status = ? "
                            "ORDER BY seq LIMIT ? OFFSET ?", (rid, status, limit, offset)).fetchall()
    # seq runs 0..n-1, so a page is a key range: as fast at the millionth row as at the first
    return conn.execute(f"SELECT {_RESULT_COLUMNS} FROM subject_results WHERE rid = ? AND seq >= ? AND seq < ? "
                        "ORDER BY seq", (rid, offset, offset + limit)).fetchall()


def matched_result(conn: Connection, rid: int, seq: int) -> tuple[str | None, str, str, str] | None:
    """(matched 'tin:type' or None, ref, released, withheld) of one evaluated subject."""
    row: tuple[str | None, str, str, str] | None = conn.execute(
        "SELECT matched, ref, released, withheld FROM subject_results WHERE rid = ? AND seq = ?",
        (rid, seq)).fetchone()
    return row


def plan_rows(conn: Connection, rid: int) -> Iterator[tuple[int, str, str, str]]:
    """(seq, ref, released, withheld) in subject order, for hashing and printing the plan."""
    yield from conn.execute("SELECT seq, ref, released, withheld FROM subject_results WHERE rid = ? ORDER BY seq",
                            (rid,))


def result_rows(conn: Connection, rid: int, *, non_pass_only: bool = False, candidates: bool = False
                ) -> Iterator[Row]:
    """(seq, ref, status, matched, findings, released, withheld[, candidates]) in subject order."""
    cols = "seq, ref, status, matched, findings, released, withheld" + (", candidates" if candidates else "")
    sql = f"SELECT {cols} FROM subject_results WHERE rid = ?"
    if non_pass_only:
        sql += " AND findings != '[]'"
    yield from conn.execute(sql + " ORDER BY seq", (rid,))


EVALUATION_COLUMNS = ("evaluated_at", "evaluated_by", "as_of", "data_version", "overrides_rev", "recommendation",
                      "needs_review", "counts", "request_findings", "code_counts", "plan_hash", "findings_hash",
                      "released_items")


def save_evaluation(conn: Connection, rid: int, doc: EvaluationDoc) -> None:
    cols = EVALUATION_COLUMNS
    values: dict[str, object] = dict(doc)
    data = [values[c] if not isinstance(values[c], dict | list) else json.dumps(values[c]) for c in cols]
    marks = ", ".join("?" * len(cols))
    conn.execute(f"INSERT OR REPLACE INTO evaluations (rid, {', '.join(cols)}) VALUES (?, {marks})", (rid, *data))


def load_evaluation(conn: Connection, rid: int) -> EvaluationDoc | None:
    row = conn.execute(f"SELECT {', '.join(EVALUATION_COLUMNS)} FROM evaluations WHERE rid = ?", (rid,)).fetchone()
    if row is None:
        return None
    doc = dict(zip(EVALUATION_COLUMNS, row, strict=True))
    for k in ("counts", "request_findings", "code_counts"):
        doc[k] = json.loads(doc[k])
    doc["needs_review"] = bool(doc["needs_review"])
    return cast(EvaluationDoc, doc)     # the columns are the document's keys; the JSON ones parsed back


def data_version(conn: Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()
    return int(row[0]) if row else 0


def bump_data_version(conn: Connection) -> None:
    """Called in the same transaction as any change that can alter an evaluation."""
    conn.execute("INSERT INTO meta (key, value) VALUES ('data_version', '1') "
                 "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def overrides(conn: Connection, rid: int) -> list[tuple[int, int | None, str, str, str, str]]:
    """Active overrides: (id, seq, item, action, reason, created_by), oldest first."""
    return conn.execute("SELECT id, seq, item, action, reason, created_by FROM overrides "
                        "WHERE rid = ? AND undone_at IS NULL ORDER BY id", (rid,)).fetchall()


def overrides_rev(conn: Connection, rid: int) -> int:
    row = conn.execute("SELECT count(*) + count(undone_at) FROM overrides WHERE rid = ?", (rid,)).fetchone()
    return int(row[0])


def add_override(conn: Connection, *, rid: int, seq: int | None, item: str, action: str, reason: str, at: str,
                 by: str | None) -> int:
    """A reviewer's override (seq None: every subject); its id."""
    cur = conn.execute("INSERT INTO overrides (rid, seq, item, action, reason, created_at, created_by) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", (rid, seq, item, action, reason, at, by))
    return int(cur.lastrowid or 0)


def override_undone(conn: Connection, rid: int, override_id: int) -> bool | None:
    """Was the request's override undone? None: the request has no such override."""
    row = conn.execute("SELECT undone_at FROM overrides WHERE id = ? AND rid = ?", (override_id, rid)).fetchone()
    return None if row is None else row[0] is not None


def undo_override(conn: Connection, override_id: int, *, at: str, by: str | None) -> None:
    conn.execute("UPDATE overrides SET undone_at = ?, undone_by = ? WHERE id = ?", (at, by, override_id))


def override_entries(conn: Connection, rid: int) -> list[tuple[int, str | None, str, str, str, str, str, str | None]]:
    """Every override of the request, active or undone, oldest first: (id, subject ref or None, item, action,
    reason, created_by, created_at, undone_at)."""
    rows: list[tuple[int, str | None, str, str, str, str, str, str | None]] = conn.execute(
        "SELECT o.id, s.ref, o.item, o.action, o.reason, o.created_by, o.created_at, o.undone_at "
        "FROM overrides o LEFT JOIN subjects s ON s.rid = o.rid AND s.seq = o.seq WHERE o.rid = ? ORDER BY o.id",
        (rid,)).fetchall()
    return rows


def all_overrides(conn: Connection) -> list[tuple[str, int, str | None, str, str, str, str, str, str | None,
                                                   str | None]]:
    """Every override of every request, active or undone, oldest first (the order they apply in): (request id,
    override id, subject ref or None, item, action, reason, created_by, created_at, undone_at, undone_by)."""
    rows: list[tuple[str, int, str | None, str, str, str, str, str, str | None, str | None]] = conn.execute(
        "SELECT r.request_id, o.id, s.ref, o.item, o.action, o.reason, o.created_by, o.created_at, o.undone_at, "
        "o.undone_by FROM overrides o JOIN requests r ON r.rid = o.rid "
        "LEFT JOIN subjects s ON s.rid = o.rid AND s.seq = o.seq ORDER BY o.id").fetchall()
    return rows


def set_status(conn: Connection, rid: int, status: str) -> None:
    conn.execute("UPDATE requests SET status = ? WHERE rid = ?", (status, rid))


def ref_to_seq(conn: Connection, rid: int, ref: str) -> int | None:
    row = conn.execute("SELECT seq FROM subjects WHERE rid = ? AND ref = ?", (rid, ref)).fetchone()
    return row[0] if row else None


def package(conn: Connection, request_id: str) -> tuple[int, str, int, str] | None:
    """(rid, package JSON, subject_count, package_hash)."""
    row: tuple[int, str, int, str] | None = conn.execute(
        "SELECT rid, package, subject_count, package_hash FROM requests WHERE request_id = ?", (request_id,)
    ).fetchone()
    return row

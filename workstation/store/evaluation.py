"""SQL for evaluations: the subject stream joined with taxpayer records, stored results, overrides."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from .db import Connection

# Subjects in TIN order (index subjects_tin9), each followed by its records' rows (index on records.tin):
# pages of both are read in key order, which is what keeps the encrypted page cache effective.
SUBJECTS_WITH_RECORDS = """
SELECT s.seq, s.ref, s.name, s.tin, s.street, s.city, s.state, s.zip, s.periods, s.case_no, s.reason,
       r.tax_year, r.tin_type, r.name_control, r.addr_key, r.hold
FROM subjects AS s INDEXED BY subjects_tin9
LEFT JOIN taxpayer_records AS r INDEXED BY taxpayer_records_match ON r.tin = s.tin9
WHERE s.rid = ? AND {where}
ORDER BY s.tin9, s.seq
"""


def plan_line(ref: str, released: str, withheld: str) -> bytes:
    """One subject's line of the plan hash (refs, element names and codes never hold tabs or newlines)."""
    return f"{ref}\t{released}\t{withheld}\n".encode()


def subjects_with_records(conn: Connection, rid: int, where: str = "1", args: tuple = ()) -> Iterator[tuple]:
    cur = conn.execute(SUBJECTS_WITH_RECORDS.format(where=where), (rid, *args))
    while True:
        rows = cur.fetchmany(10_000)
        if not rows:
            return
        yield from rows


def reasons(conn: Connection, rid: int) -> Iterator[str | None]:
    for (reason,) in conn.execute("SELECT reason FROM subjects WHERE rid = ?", (rid,)):
        yield reason


def unmatched_addresses(conn: Connection, rid: int, where: str = "1", args: tuple = ()
                        ) -> Iterator[tuple[str, str, str, str]]:
    """Addresses of the subjects whose TIN finds no record: they are matched by name and address."""
    yield from conn.execute(
        "SELECT s.street, s.city, s.state, s.zip FROM subjects AS s INDEXED BY subjects_tin9 WHERE s.rid = ? "
        f"AND {where} AND s.street IS NOT NULL AND s.street != '' "
        "AND NOT EXISTS (SELECT 1 FROM taxpayer_records AS r WHERE r.tin = s.tin9)", (rid, *args))


def records_at_addresses(conn: Connection, keys: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
    """addr_key -> [(tin, tin_type, name)] for every record at one of `keys`, looked up in key order."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    ordered = sorted(set(keys))
    for i in range(0, len(ordered), 500):
        chunk = ordered[i:i + 500]
        sql = ("SELECT DISTINCT addr_key, tin, tin_type, name FROM taxpayer_records "
               f"WHERE addr_key IN ({','.join('?' * len(chunk))})")
        for key, tin, tin_type, name in conn.execute(sql, chunk):
            found.setdefault(key, []).append((tin, tin_type, name))
    return found


def rows_for_tin(conn: Connection, tin: str, tin_type: str) -> list[tuple]:
    return conn.execute("SELECT tax_year, tin_type, name_control, addr_key, hold FROM taxpayer_records "
                        "WHERE tin = ? AND tin_type = ?", (tin, tin_type)).fetchall()


def clear_results(conn: Connection, rid: int) -> None:
    conn.execute("DELETE FROM subject_results WHERE rid = ?", (rid,))


def insert_results(conn: Connection, rows: Iterable[tuple]) -> None:
    conn.executemany("INSERT INTO subject_results (rid, seq, ref, status, matched, findings, released, withheld) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def plan_rows(conn: Connection, rid: int) -> Iterator[tuple[int, str, str, str]]:
    """(seq, ref, released, withheld) in subject order, for hashing and printing the plan."""
    yield from conn.execute("SELECT seq, ref, released, withheld FROM subject_results WHERE rid = ? ORDER BY seq",
                            (rid,))


def result_rows(conn: Connection, rid: int, *, non_pass_only: bool = False) -> Iterator[tuple]:
    sql = "SELECT seq, ref, status, matched, findings, released, withheld FROM subject_results WHERE rid = ?"
    if non_pass_only:
        sql += " AND findings != '[]'"
    yield from conn.execute(sql + " ORDER BY seq", (rid,))


EVALUATION_COLUMNS = ("evaluated_at", "evaluated_by", "as_of", "data_version", "overrides_rev", "recommendation",
                      "needs_review", "counts", "request_findings", "code_counts", "plan_hash", "findings_hash",
                      "released_items")


def save_evaluation(conn: Connection, rid: int, values: dict[str, Any]) -> None:
    cols = EVALUATION_COLUMNS
    data = [values[c] if not isinstance(values[c], dict | list) else json.dumps(values[c]) for c in cols]
    marks = ", ".join("?" * len(cols))
    conn.execute(f"INSERT OR REPLACE INTO evaluations (rid, {', '.join(cols)}) VALUES (?, {marks})", (rid, *data))


def load_evaluation(conn: Connection, rid: int) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT {', '.join(EVALUATION_COLUMNS)} FROM evaluations WHERE rid = ?", (rid,)).fetchone()
    if row is None:
        return None
    doc = dict(zip(EVALUATION_COLUMNS, row, strict=True))
    for k in ("counts", "request_findings", "code_counts"):
        doc[k] = json.loads(doc[k])
    doc["needs_review"] = bool(doc["needs_review"])
    return doc


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


def set_status(conn: Connection, rid: int, status: str) -> None:
    conn.execute("UPDATE requests SET status = ? WHERE rid = ?", (status, rid))


def ref_to_seq(conn: Connection, rid: int, ref: str) -> int | None:
    row = conn.execute("SELECT seq FROM subjects WHERE rid = ? AND ref = ?", (rid, ref)).fetchone()
    return row[0] if row else None


def package(conn: Connection, request_id: str) -> tuple[int, str, int, str] | None:
    """(rid, package JSON, subject_count, package_hash)."""
    return conn.execute("SELECT rid, package, subject_count, package_hash FROM requests WHERE request_id = ?",
                        (request_id,)).fetchone()

"""SQL for request packages and their subjects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .db import Connection

SUBJECT_COLUMNS = ("rid", "seq", "ref", "name", "tin", "street", "city", "state", "zip", "periods",
                   "case_no", "reason", "tin9")
# A packed batch (intake.subjects_pack): [ref, name, tin, street, city, state, zip, periods, case_no, reason, tin9]
_INSERT_PACKED = (f"INSERT INTO subjects ({', '.join(SUBJECT_COLUMNS)}) SELECT ?, ? + key, "
                  + ", ".join(f"value->>{i}" for i in range(11)) + " FROM jsonb_each(?)")


def find(conn: Connection, request_id: str) -> tuple[int, str, str] | None:
    """(rid, imported_at, imported_by) of a stored request."""
    row: tuple[int, str, str] | None = conn.execute(
        "SELECT rid, imported_at, imported_by FROM requests WHERE request_id = ?", (request_id,)).fetchone()
    return row


def request_id(conn: Connection, rid: int) -> str | None:
    row = conn.execute("SELECT request_id FROM requests WHERE rid = ?", (rid,)).fetchone()
    return str(row[0]) if row else None


def subject_periods(conn: Connection, rid: int, seq: int) -> str | None:
    """The periods (';'-separated) one subject names; None when it names none."""
    value: str | None = conn.execute("SELECT periods FROM subjects WHERE rid = ? AND seq = ?", (rid, seq)).fetchone()[0]
    return value


def insert(conn: Connection, *, request_id: str, received_on: str, authority: str, agency: str,
           agency_code: str | None, due_on: str | None, package: str, source: str, imported_at: str,
           imported_by: str) -> int:
    cur = conn.execute(
        "INSERT INTO requests (request_id, received_on, authority, agency, agency_code, due_on, subject_count, "
        "status, package, package_hash, source, imported_at, imported_by) "
        "VALUES (?, ?, ?, ?, ?, ?, 0, 'new', ?, '', ?, ?, ?)",
        (request_id, received_on, authority, agency, agency_code, due_on, package, source, imported_at,
         imported_by))
    rid = cur.lastrowid
    assert rid is not None
    return rid


def insert_packed_subjects(conn: Connection, rid: int, first_seq: int, packed: str) -> None:
    """Insert a packed batch of subjects, numbered from `first_seq` on in batch order."""
    conn.execute(_INSERT_PACKED, (rid, first_seq, packed))


def insert_shared_reasons(conn: Connection, rid: int, reasons: list[tuple[str, int]]) -> None:
    """The reasons (`reason_key`) given by more than one subject of the request, and by how many."""
    conn.executemany(f"INSERT INTO request_reasons (rid, reason, subjects) VALUES ({int(rid)}, ?, ?)", reasons)


def finish(conn: Connection, rid: int, subject_count: int, package_hash: str) -> None:
    conn.execute("UPDATE requests SET subject_count = ?, package_hash = ? WHERE rid = ?",
                 (subject_count, package_hash, rid))


def subjects_of_taxpayer(conn: Connection, tin9: str) -> list[tuple[str, str]]:
    """(request id, subject ref) of every subject that names this TIN or was matched to the taxpayer with it."""
    return conn.execute(
        "SELECT r.request_id, s.ref FROM subjects s JOIN requests r ON r.rid = s.rid WHERE s.tin9 = ? "
        "UNION SELECT r.request_id, sr.ref FROM subject_results sr JOIN requests r ON r.rid = sr.rid "
        "WHERE substr(sr.matched, 1, 10) = ? ORDER BY 1, 2", (tin9, tin9 + ":")).fetchall()


def find_subjects(conn: Connection, rid: int, ref: str, name_words: list[str], limit: int) -> list[int]:
    """The sequence numbers of the request's subjects whose reference is `ref` exactly, then of those whose
    name holds every word of `name_words` (case-insensitive), in package order, at most `limit`."""
    found = [r[0] for r in conn.execute("SELECT seq FROM subjects WHERE rid = ? AND ref = ? ORDER BY seq LIMIT ?",
                                        (rid, ref, limit))]
    if name_words and len(found) < limit:
        where = " AND ".join("instr(upper(name), ?) > 0" for _ in name_words)
        rows = conn.execute(f"SELECT seq FROM subjects WHERE rid = ? AND {where} ORDER BY seq LIMIT ?",
                            (rid, *(w.upper() for w in name_words), limit))
        found += [r[0] for r in rows if r[0] not in found][:limit - len(found)]
    return found


REQUEST_COLUMNS = ("rid", "request_id", "received_on", "authority", "agency", "agency_code", "due_on",
                   "subject_count", "status", "package", "package_hash", "source", "imported_at", "imported_by")
_PACKED_SUBJECTS = ("SELECT count(*), min(seq), max(seq), json_group_array(json_array(ref, name, tin, street, city, "
                    "state, zip, periods, case_no, reason, tin9)) FROM (SELECT * FROM subjects WHERE rid = ? AND "
                    "seq > ? ORDER BY seq LIMIT ?)")


def all_requests(conn: Connection) -> list[tuple[Any, ...]]:
    """Every request's row (REQUEST_COLUMNS), in import order."""
    return conn.execute(f"SELECT {', '.join(REQUEST_COLUMNS)} FROM requests ORDER BY rid").fetchall()


def subject_total(conn: Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM subjects").fetchone()[0])


def packed_subject_batches(conn: Connection, rid: int, size: int) -> Iterator[tuple[int, int, int, str]]:
    """A request's subjects in the packed shape they were stored from (`intake.subjects_pack`), `size` at a time
    in package order: (subjects in the batch, first seq, last seq, JSON of the rows)."""
    after = -1
    while True:
        n, first, last, rows = conn.execute(_PACKED_SUBJECTS, (rid, after, size)).fetchone()
        if not n:
            return
        yield int(n), int(first), int(last), str(rows)
        after = int(last)


def shared_reasons(conn: Connection, rid: int) -> dict[str, int]:
    """reason_key -> subjects giving it, of the reasons more than one subject of the request gives."""
    return {str(r): int(n) for r, n in conn.execute("SELECT reason, subjects FROM request_reasons WHERE rid = ?",
                                                   (rid,))}

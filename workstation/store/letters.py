"""SQL for issued letters, the subject streams a letter is made from, and the accounting of disclosures."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .db import Connection, Row

_COLS = "letter_id, decision_id, rid, kind, template_version, sha256, pages, issued_at, issued_by"
FETCH = 10_000


@dataclass(frozen=True, slots=True)
class LetterRow:
    letter_id: str
    decision_id: str
    rid: int
    kind: str
    template_version: str
    sha256: str
    pages: int
    issued_at: str
    issued_by: str


def for_decision(conn: Connection, decision_id: str) -> LetterRow | None:
    row = conn.execute(f"SELECT {_COLS} FROM letters WHERE decision_id = ?", (decision_id,)).fetchone()
    return LetterRow(*row) if row else None


def by_ids(conn: Connection, letter_ids: Iterable[str]) -> list[LetterRow]:
    ids = sorted(set(letter_ids))
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    return [LetterRow(*r) for r in conn.execute(f"SELECT {_COLS} FROM letters WHERE letter_id IN ({marks})", ids)]


def by_sha256(conn: Connection, sha256: str) -> LetterRow | None:
    row = conn.execute(f"SELECT {_COLS} FROM letters WHERE sha256 = ?", (sha256,)).fetchone()
    return LetterRow(*row) if row else None


def pdf(conn: Connection, letter_id: str) -> bytes:
    return bytes(conn.execute("SELECT pdf FROM letters WHERE letter_id = ?", (letter_id,)).fetchone()[0])


def insert(conn: Connection, row: LetterRow, data: bytes) -> None:
    conn.execute(f"INSERT INTO letters ({_COLS}, pdf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (row.letter_id, row.decision_id, row.rid, row.kind, row.template_version, row.sha256, row.pages,
                  row.issued_at, row.issued_by, data))


def _batched(cur: Any) -> Iterator[Row]:
    while rows := cur.fetchmany(FETCH):
        yield from rows


def released_subjects(conn: Connection, rid: int) -> Iterator[tuple[int, str, str, str, str | None]]:
    """(seq, ref, matched 'tin:type', released 'a,b', the subject's own periods) for every subject with
    something released, in request order."""
    return _batched(conn.execute(
        "SELECT r.seq, r.ref, r.matched, r.released, s.periods FROM subject_results AS r "
        "JOIN subjects AS s ON s.rid = r.rid AND s.seq = r.seq "
        "WHERE r.rid = ? AND r.released != '' AND r.matched IS NOT NULL ORDER BY r.seq", (rid,)))


def outcomes(conn: Connection, rid: int) -> Iterator[tuple[int, str, str, str, str]]:
    """(seq, ref, findings JSON, released, withheld) for every subject, in request order."""
    return _batched(conn.execute("SELECT seq, ref, findings, released, withheld FROM subject_results "
                                 "WHERE rid = ? ORDER BY seq", (rid,)))


def record_disclosures(conn: Connection, *, rid: int, request_id: str, letter_id: str, decision_id: str,
                       agency_code: str | None, agency: str, authority: str, purpose: str, at: str) -> int:
    """One accounting row per released subject, in one statement (a 47,000-subject schedule is one insert)."""
    cur = conn.execute(
        "INSERT INTO disclosures (rid, request_id, letter_id, decision_id, agency_code, agency, tin, tin_type, "
        "ref, items, authority, purpose, disclosed_at) "
        "SELECT rid, ?, ?, ?, ?, ?, substr(matched, 1, instr(matched, ':') - 1), "
        "substr(matched, instr(matched, ':') + 1), ref, replace(released, ',', ';'), ?, ?, ? "
        "FROM subject_results WHERE rid = ? AND released != '' AND matched IS NOT NULL ORDER BY seq",
        (request_id, letter_id, decision_id, agency_code, agency, authority, purpose, at, rid))
    return cur.rowcount


Bounds = tuple[str, str]      # [start, end) as UTC timestamps: a calendar year of the office's time zone


def disclosures(conn: Connection, year: Bounds) -> Iterator[Row]:
    """(disclosed_at, request_id, letter_id, decision_id, agency_code, agency, ref, tin, tin_type, items,
    authority, purpose) of a calendar year, in the order they were made."""
    return _batched(conn.execute(
        "SELECT disclosed_at, request_id, letter_id, decision_id, agency_code, agency, ref, tin, tin_type, items, "
        "authority, purpose FROM disclosures WHERE disclosed_at >= ? AND disclosed_at < ? ORDER BY id",
        year))


def totals(conn: Connection, year: Bounds) -> list[tuple[str | None, int, int, int]]:
    """(agency_code, requests, disclosures, taxpayers) per agency code (NULL: recipients without one)."""
    return conn.execute(
        "SELECT agency_code, count(DISTINCT rid), count(*), count(DISTINCT tin || ':' || tin_type) "
        "FROM disclosures WHERE disclosed_at >= ? AND disclosed_at < ? GROUP BY agency_code "
        "ORDER BY agency_code IS NULL, agency_code", year).fetchall()


def grand_total(conn: Connection, year: Bounds) -> tuple[int, int, int]:
    row = conn.execute("SELECT count(DISTINCT rid), count(*), count(DISTINCT tin || ':' || tin_type) "
                       "FROM disclosures WHERE disclosed_at >= ? AND disclosed_at < ?", year).fetchone()
    return int(row[0]), int(row[1]), int(row[2])

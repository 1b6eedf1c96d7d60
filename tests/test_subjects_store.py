"""A request's subjects as the store keeps them, imported in packed batches: every stored value and the package
hash are what the subject-by-subject import made of the same subjects (the rows it stored and the canonical
JSON it hashed), for a subjects CSV and for inline subjects, across chunk and batch boundaries; the reasons given
by more than one subject are counted as the evaluation counted them from the stored subjects; and a bad CSV is
refused with the same error, naming the same line, in chunks as record by record."""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from test_intake_request import HEADER, bulk, package, write

from workstation.canonical import canonical_json
from workstation.errors import InputError
from workstation.intake import read_request, subjects_csv
from workstation.normalize import reason_key, tin_digits
from workstation.service import Workstation

PW = "admin-passphrase-1"
TRICKY = [
    "1,Maria Example,212-70-1234,1200 Congress Ave,Austin,TX,78701,2023;2024,CR-1,Reason one",
    '2,"Example, ""Jo""",212701235,"12 Main St, Apt ""B""",Austin,TX,78701, 2023 ; ;2024 ,,"Two\r\nlines"',
    "3,Élodie Ñandú,12-3456789,,,,78701,2024,,Reason one",
    "4,No\u00a0Break Name,123 45 6789,,,,,,CR-4,",
    "5,,TIN 12,PO Box 4,,,,2024,,Reason one",
    "6,Back\\slash,,,,,,2025;2024,,Reason one",
    " 7 ,  Spaces  ,  212-70-1236  ,  1 Elm St ,  Dallas , tx , 75201-1234 ,2024,  C-7 ,  Spaced reason  ",
    "8,Empty Address,999-99-9999,,,,,2024,,",
]


def expected(path: Path) -> tuple[list[tuple[Any, ...]], str]:
    """The rows and the package hash the subject-by-subject import made (service.imports before issue 15)."""
    parsed = read_request(path)
    digest = hashlib.sha256(canonical_json(dataclasses.asdict(parsed.package)))
    rows = []
    for seq, subj in enumerate(parsed.subjects()):
        a = subj.address
        row = (seq, subj.ref, subj.name, subj.tin, a.street if a else None, a.city if a else None,
               a.state if a else None, a.zip if a else None, ";".join(subj.periods), subj.case_no, subj.reason,
               tin_digits(subj.tin) if subj.tin else None)
        digest.update(canonical_json(row[1:11]))
        rows.append(row)
    return rows, digest.hexdigest()


def stored(path: Path) -> tuple[list[tuple[Any, ...]], str]:
    with Workstation(path.parent / "store").init("admin", PW, bind_device=False)[0] as session:
        summary = session.import_request(path)
        rid, digest = session.conn.execute("SELECT rid, package_hash FROM requests WHERE request_id = ?",
                                           (summary.ident,)).fetchone()
        rows = session.conn.execute("SELECT seq, ref, name, tin, street, city, state, zip, periods, case_no, "
                                    "reason, tin9 FROM subjects WHERE rid = ? ORDER BY seq", (rid,)).fetchall()
        reasons = dict(session.conn.execute("SELECT reason, subjects FROM request_reasons WHERE rid = ?", (rid,)))
    assert reasons == shared_reasons(rows)
    return rows, digest


def shared_reasons(rows: list[tuple[Any, ...]]) -> dict[str, int]:
    """The reasons of the stored subjects folded for the REASON check, as the evaluation counted them before
    issue 15 (the empty ones left out), those given by more than one subject."""
    folded: Counter[str] = Counter()
    for reason, n in Counter(row[10] for row in rows).items():
        if reason and reason.strip():
            folded[reason_key(reason)] += n
    return {k: n for k, n in folded.items() if n > 1}


@pytest.mark.parametrize(("chunk", "workers"), [(1000, "1"), (3, "1"), (1000, "2")])
def test_a_subjects_csv_is_stored_and_hashed_as_subject_by_subject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   chunk: int, workers: str) -> None:
    monkeypatch.setattr(subjects_csv, "CHUNK", chunk)
    monkeypatch.setenv("DWS_IMPORT_WORKERS", workers)            # 2: read and packed in a worker process
    monkeypatch.setenv("DWS_IMPORT_PARALLEL_MIN_BYTES", "0")
    rows = TRICKY + [f"{i},Name {i},{100 + i:03d}-12-{i:04d},{i} Main St,Austin,TX,78701,2024,,{reason}"
                     for i in range(100, 140) for reason in [REASONS[i % len(REASONS)]]]
    path, _csv = bulk(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    want = expected(path)
    assert len(want[0]) == 48 and want[0][3][4:8] == (None, None, None, None)
    assert shared_reasons(want[0]) == {"reason one": 9, "spaced reason": 13, "case 12 a removal": 11,
                                       "another reason": 6}
    assert stored(path) == want


# Reasons written differently that the REASON check reads as one, and an empty one (TRICKY gives one once).
REASONS = ("Reason one", "Case 12-A: removal.", '"case 12 a, REMOVAL"', "Spaced reason", " ", "Another reason",
           "  spaced   REASON ")


def test_inline_subjects_are_stored_and_hashed_as_subject_by_subject(tmp_path: Path) -> None:
    path = write(tmp_path, package())
    want = expected(path)
    assert want[0]
    assert stored(path) == want


@pytest.mark.parametrize("rows", [
    ["1,A,,,,,,,,", "2,B,,,,,,,,", "3,C,,,,,,\x01,,", "1,D,,,,,,,,"],
    ["1,A,,,,,,,,", "2,B,,,,,,,,", "1,C,,,,,,\x01,,"],
    ["1,A,,,,,,,,", "2,B,,,,,,,,,", "1,C,,,,,,,,"],
    ["1,A,,,,,,,,", '2,"B,,,,,,,,', "1,C,,,,,,,,"],
    ["1,A,,,,,,,,", "2,B C,,,,,,,,Tab\tand\nline", "3,x" * 30 + ",,,,,,,,,"],
    ["1,A,,,,,,,,", "2,B,,,,,,2024;" + "2" * 17 + ",,", "3,C,,,,,,,,"],
    ["1,A,,,,,,,,", ",B,,,,,,,,"],
])
@pytest.mark.parametrize(("chunk", "workers"), [(1000, "1"), (2, "1"), (2, "2")])
def test_a_bad_csv_is_refused_alike_both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: list[str],
                                             chunk: int, workers: str) -> None:
    monkeypatch.setattr(subjects_csv, "CHUNK", chunk)
    monkeypatch.setenv("DWS_IMPORT_WORKERS", workers)
    monkeypatch.setenv("DWS_IMPORT_PARALLEL_MIN_BYTES", "0")
    path, _csv = bulk(tmp_path, "\n".join([HEADER, *rows]) + "\n")

    def outcome(read: Any) -> tuple[int, str | None, str] | int:
        parsed = read_request(path)
        count = 0
        try:
            for item in read(parsed):
                count += getattr(item, "count", 1)
        except InputError as err:
            return count, err.where, err.message
        return count

    chunked = outcome(lambda parsed: parsed.subject_batches(size=1))
    monkeypatch.setattr(subjects_csv, "CHUNK", 1)            # record by record, as the reader always read
    assert outcome(lambda parsed: parsed.subjects()) == chunked

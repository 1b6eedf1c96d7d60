"""The bulk subjects CSV of a request package: `ref,name,tin,street,city,state,zip,periods,case_no,reason`.

Columns in any order, each exactly once, no others. Streamed with `csv.reader` (memory stays flat but for
the set of refs seen); the physical line of each record is named in errors (header = line 1). Empty cells
are absent values; `periods` are separated by ";"; four empty address cells mean no address.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from workstation.errors import InputError
from workstation.intake import csvfile
from workstation.intake.jsonread import NAME_MAX, REF_MAX, TEXT_MAX
from workstation.model import Address, Subject

COLUMNS: tuple[str, ...] = ("ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no",
                            "reason")
_LIMITS = {"ref": REF_MAX, "name": NAME_MAX, "tin": 32, "street": NAME_MAX, "city": NAME_MAX,
           "state": REF_MAX, "zip": 32, "periods": 64 * 17, "case_no": REF_MAX, "reason": TEXT_MAX}
_PERIOD_MAX, _MAX_PERIODS = 16, 64
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWLINE = re.compile(r"[\r\n]")


def check_header(path: Path, source: str) -> None:
    """Open the file and check its header (so that a bad CSV is refused before anything is imported)."""
    with csvfile.open_text(path, source) as f:
        try:
            csvfile.read_header(csvfile.bounded_lines(f), COLUMNS, source)
        except UnicodeDecodeError:
            raise csvfile.decode_error(path, source) from None


def read_subjects(path: Path, source: str) -> Iterator[Subject]:
    with csvfile.open_text(path, source) as f:
        line = 1
        try:
            lines = csvfile.bounded_lines(f)
            index = csvfile.read_header(lines, COLUMNS, source)
            order = [index[name] for name in COLUMNS]
            reader = csv.reader(csvfile.checked_lines(lines, source), strict=True)
            seen: set[str] = set()
            while True:
                line = reader.line_num + 2          # the header was read before the reader started
                fields = next(reader, None)
                if fields is None:
                    return
                if not fields:
                    continue                        # a blank line
                subject = _subject(fields, order, source, line)
                if subject.ref in seen:
                    earlier = _first_line_of(path, subject.ref, index["ref"], line)
                    also = f" (first on line {earlier})" if earlier else ""
                    raise InputError(f"ref is used twice{also}", source=source,
                                     where=f"line {line}, column ref")
                seen.add(subject.ref)
                yield subject
        except InputError:
            raise
        except UnicodeDecodeError:
            raise csvfile.decode_error(path, source) from None
        except Exception as exc:
            raise csvfile.unexpected_error(exc, source, f"line {line}") from None


def _subject(fields: list[str], order: list[int], source: str, line: int) -> Subject:
    if len(fields) != len(COLUMNS):
        raise InputError(f"has {len(fields)} field{'s' * (len(fields) != 1)}; the header has {len(COLUMNS)}",
                         source=source,
                         where=f"line {line}")
    values: list[str] = []
    for name, pos in zip(COLUMNS, order, strict=True):
        value = fields[pos].strip()
        problem = None
        if len(value) > _LIMITS[name]:
            problem = f"{name} is longer than {_LIMITS[name]:,} characters"
        elif _CONTROL.search(value) or (name != "reason" and _NEWLINE.search(value)):
            problem = f"{name} contains a control character"
        if problem:
            raise InputError(problem, source=source, where=f"line {line}, column {name}")
        values.append(value)
    ref, name, tin, street, city, state, zip_code, periods, case_no, reason = values
    if not ref:
        raise InputError("ref is empty", source=source, where=f"line {line}, column ref")
    period_list = tuple(p.strip() for p in periods.split(";") if p.strip())
    if len(period_list) > _MAX_PERIODS or any(len(p) > _PERIOD_MAX for p in period_list):
        raise InputError(f"periods: at most {_MAX_PERIODS:,}, each at most {_PERIOD_MAX:,} characters",
                         source=source, where=f"line {line}, column periods")
    has_address = any((street, city, state, zip_code))
    return Subject(
        ref=ref, name=name, tin=tin or None,
        address=Address(street, city, state, zip_code) if has_address else None,
        periods=period_list, case_no=case_no or None, reason=reason or None,
    )


def _first_line_of(path: Path, ref: str, column: int, before: int) -> int | None:
    """Error path: reread the file for the first record with this ref."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            next(reader)
            start = 2
            for fields in reader:
                if start >= before:
                    return None
                if len(fields) > column and fields[column].strip() == ref:
                    return start
                start = reader.line_num + 1
    except Exception:
        return None
    return None

"""The bulk subjects CSV of a request package: `ref,name,tin,street,city,state,zip,periods,case_no,reason`.

Columns in any order, each exactly once, no others. Streamed with `csv.reader` in chunks of CHUNK records
(memory stays flat but for the set of refs seen); the physical line of each record is named in errors
(header = line 1). Empty cells are absent values; `periods` are separated by ";"; four empty address cells
mean no address.

A chunk is checked column by column (the longest value against the column's limit, one check over the whole
column for a character `textsafety` refuses — a control, a bidirectional or zero-width character; tab and line
ends are allowed in `reason` only —, each distinct `periods` once); only a chunk that fails goes record by record
(`_subject`) to name the first bad one exactly as the record-by-record reader always did. `read_subjects`
gives Subjects; `read_subject_chunks` the checked columns, which `subjects_pack` packs for the store.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from workstation import textsafety
from workstation.errors import InputError
from workstation.intake import csvfile
from workstation.intake.jsonread import NAME_MAX, REF_MAX, TEXT_MAX
from workstation.model import Address, Subject

COLUMNS: tuple[str, ...] = ("ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no",
                            "reason")
_LIMITS = {"ref": REF_MAX, "name": NAME_MAX, "tin": 32, "street": NAME_MAX, "city": NAME_MAX,
           "state": REF_MAX, "zip": 32, "periods": 64 * 17, "case_no": REF_MAX, "reason": TEXT_MAX}
_PERIOD_MAX, _MAX_PERIODS = 16, 64
CHUNK = 1000


@dataclass(slots=True)
class SubjectColumns:
    """A chunk of checked subjects, column by column: each value trimmed, "" when the cell is empty."""

    ref: list[str]
    name: list[str]
    tin: list[str]
    street: list[str]
    city: list[str]
    state: list[str]
    zip: list[str]
    periods: list[tuple[str, ...]]
    case_no: list[str]
    reason: list[str]


def check_header(path: Path, source: str) -> None:
    """Open the file and check its header (so that a bad CSV is refused before anything is imported)."""
    with csvfile.open_text(path, source) as f:
        try:
            csvfile.read_header(csvfile.bounded_lines(f), COLUMNS, source)
        except UnicodeDecodeError:
            raise csvfile.decode_error(path, source) from None


def read_subjects(path: Path, source: str) -> Iterator[Subject]:
    """Each subject, checked, in file order; InputError at the first bad one or repeated ref."""
    for chunk in read_subject_chunks(path, source):
        for pos in range(len(chunk.ref)):
            street, city, state, zip_code = chunk.street[pos], chunk.city[pos], chunk.state[pos], chunk.zip[pos]
            yield Subject(
                ref=chunk.ref[pos], name=chunk.name[pos], tin=chunk.tin[pos] or None,
                address=Address(street, city, state, zip_code) if street or city or state or zip_code else None,
                periods=chunk.periods[pos], case_no=chunk.case_no[pos] or None, reason=chunk.reason[pos] or None,
            )


def read_subject_chunks(path: Path, source: str) -> Iterator[SubjectColumns]:
    """The subjects in checked chunks; InputError at the first bad record or repeated ref, after the chunk of
    the good records before it. Records are pulled CHUNK at a time by the csv module itself; the line a record
    starts on is only worked out for an error (`_record_line` reads the file again)."""
    with csvfile.open_text(path, source) as f:
        done = 0                                    # records before the chunk
        try:
            lines = csvfile.bounded_lines(f)
            index = csvfile.read_header(lines, COLUMNS, source)
            order = [index[name] for name in COLUMNS]
            reader = csv.reader(csvfile.checked_lines(lines, source), strict=True)
            seen: set[str] = set()
            periods: dict[str, tuple[str, ...] | None] = {}     # a periods cell -> its periods (None: bad)
            while True:
                block: list[list[str]] = []
                pending: BaseException | None = None
                try:
                    block.extend(islice(reader, CHUNK))    # what was read stays when the reader raises
                except Exception as exc:                # after the good records before it
                    pending = exc
                records = [fields for fields in block if fields] if [] in block else block    # blank lines
                if records:
                    chunk, bad = _checked(records, order, source, periods)
                    repeat = _first_repeat(chunk.ref, seen)
                    if repeat is not None:
                        yield _cut(chunk, repeat)
                        line = _record_line(path, done + repeat)
                        earlier = _first_line_of(path, chunk.ref[repeat], index["ref"], line)
                        also = f" (first on line {earlier})" if earlier else ""
                        raise InputError(f"ref is used twice{also}", source=source, where=f"line {line}, column ref")
                    seen.update(chunk.ref)
                    yield chunk
                    if bad is not None:                 # the same error, now with the record's line
                        _subject(records[len(chunk.ref)], order, source, _record_line(path, done + len(chunk.ref)))
                    done += len(records)
                if pending is not None:
                    raise pending
                if len(block) < CHUNK:
                    return
        except InputError:
            raise
        except UnicodeDecodeError:
            raise csvfile.decode_error(path, source) from None
        except Exception as exc:
            raise csvfile.unexpected_error(exc, source, f"line {_record_line(path, done)}") from None


def _record_line(path: Path, index: int) -> int:
    """The line record `index` (blank lines not counted) starts on, or the record the reader fails on before it:
    the file read again as `read_subject_chunks` reads it, record by record (an error path)."""
    line = 2
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            lines = csvfile.bounded_lines(f)
            next(lines)
            reader = csv.reader(csvfile.checked_lines(lines, str(path)), strict=True)
            count = 0
            while True:
                line = reader.line_num + 2          # the header was read before the reader started
                fields = next(reader, None)
                if fields is None or (fields and count == index):
                    return line
                count += bool(fields)
    except Exception:
        return line


def _checked(records: list[list[str]], order: list[int], source: str,
             periods: dict[str, tuple[str, ...] | None]) -> tuple[SubjectColumns, int | None]:
    """Check a chunk column by column. A chunk that fails is checked record by record: the records before the
    first bad one, and its position."""
    if set(map(len, records)) == {len(COLUMNS)}:
        columns = list(zip(*records, strict=True))
        values = [list(map(str.strip, columns[pos])) for pos in order]
        if "" not in values[0] and _columns_fine(values):
            cells = values[7]
            missing = set(cells).difference(periods)
            periods.update(zip(missing, map(_periods, missing), strict=True))
            listed = [p for p in map(periods.__getitem__, cells) if p is not None]
            if len(listed) == len(cells):
                refs, names, tins, streets, cities, states, zips, _cells, case_nos, reasons = values
                return SubjectColumns(refs, names, tins, streets, cities, states, zips, listed, case_nos, reasons), None
    good = SubjectColumns(*([] for _ in SubjectColumns.__slots__))
    for pos, fields in enumerate(records):
        try:
            subject = _subject(fields, order, source, 0)
        except InputError:
            return good, pos
        address = subject.address or Address("", "", "", "")
        for name, value in zip(SubjectColumns.__slots__, (
                subject.ref, subject.name, subject.tin or "", address.street, address.city, address.state,
                address.zip, subject.periods, subject.case_no or "", subject.reason or ""), strict=True):
            getattr(good, name).append(value)
    return good, None


def _columns_fine(values: list[list[str]]) -> bool:
    for name, column in zip(COLUMNS, values, strict=True):
        if max(map(len, column)) > _LIMITS[name]:
            return False
        if name == "reason":                        # free text: tab and line ends allowed; each distinct once
            if any(map(textsafety.UNSAFE_MULTILINE.search, set(column))):
                return False
        elif not textsafety.clean("".join(column)):
            return False
    return True


def _periods(cell: str) -> tuple[str, ...] | None:
    period_list = tuple(p.strip() for p in cell.split(";") if p.strip())
    if len(period_list) > _MAX_PERIODS or any(len(p) > _PERIOD_MAX for p in period_list):
        return None
    return period_list


def _first_repeat(refs: list[str], seen: set[str]) -> int | None:
    """The position of the first ref that an earlier chunk or an earlier record of this chunk gave."""
    if len(set(refs)) == len(refs) and seen.isdisjoint(refs):
        return None
    earlier = set(seen)
    for pos, ref in enumerate(refs):
        if ref in earlier:
            return pos
        earlier.add(ref)
    return None                                         # pragma: no cover


def _cut(chunk: SubjectColumns, end: int) -> SubjectColumns:
    return SubjectColumns(*(getattr(chunk, name)[:end] for name in SubjectColumns.__slots__))


def _subject(fields: list[str], order: list[int], source: str, line: int) -> Subject:
    if len(fields) != len(COLUMNS):
        raise InputError(f"has {len(fields)} field{'s' * (len(fields) != 1)}; the header has {len(COLUMNS)}",
                         source=source,
                         where=f"line {line}")
    values: list[str] = []
    for name, pos in zip(COLUMNS, order, strict=True):
        value = fields[pos].strip()
        if len(value) > _LIMITS[name]:
            problem: str | None = f"{name} is longer than {_LIMITS[name]:,} characters"
        else:
            problem = textsafety.problem(name, value, multiline=name == "reason")
        if problem:
            raise InputError(problem, source=source, where=f"line {line}, column {name}")
        values.append(value)
    ref, name, tin, street, city, state, zip_code, periods, case_no, reason = values
    if not ref:
        raise InputError("ref is empty", source=source, where=f"line {line}, column ref")
    period_list = _periods(periods)
    if period_list is None:
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


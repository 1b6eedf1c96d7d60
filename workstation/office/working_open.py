"""Sealed office rows opened into the local store's packed shapes, a batch at a time, for an evaluation's working
copy (service/office_evaluation.py).

`open_records` gives a batch of record rows (store/office/records.COLUMNS) as the local records parser packs
them: each row as the import sealed it beside its line (office/records_seal.py), or for a row sealed as its line
alone, intake/records_csv.parse_lines over the line (the same rows the local import stores);
`open_subjects` a batch of subject rows (store/office/requests.SUBJECT_COLUMNS) as the local request import packs
them (`[ref, name, tin, street, city, state, zip, periods, case_no, reason, tin9]`: a row sealed in that shape
is stored as it opens), with the reasons they give, and, of the rows whose address index the importing desktop
did not make, whether one of them has a street but no five-digit ZIP and the blind indexes of their address keys
(as the MATCH check makes them: rules/subjects.street_parts; the office's candidate records are looked up by
them). A row that does not open raises TamperError (the row named, never a value).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring  # C-accelerated when available
from pathlib import Path
from typing import Any

from ..intake.records_csv import parse_lines
from ..intake.records_pack import STANDARD_ORDER, PackedRows
from ..normalize import reason_key, tin_digits, zip5
from ..rules.subjects import street_parts
from ..store.office.records import TABLE as RECORDS_TABLE
from .records_seal import open_record
from .request_seal import ADDRESSED, open_subject, subject_binding, subject_value
from .sealing import OfficeKeys, SealError

_SOURCE = Path("office records")


@dataclass(frozen=True)
class OpenedSubjects:
    count: int
    packed: str                 # the local store's packed subjects (store/requests.insert_packed_subjects)
    reasons: dict[str, int]     # reason_key -> subjects of the batch giving it
    unzipped: bool              # a subject with a street has no five-digit ZIP
    addresses: list[bytes]      # the address indexes of the batch's subjects with a street (distinct)


def open_records(keys: OfficeKeys, rows: Sequence[Sequence[Any]], with_lines: bool = True) -> PackedRows:
    """A batch of record rows opened (see the module's docstring); without `with_lines` its lines are "[]" (rows
    sealed beside their line: the line is not copied out) or whatever the parser gave (rows sealed as the line)."""
    null, given = b"\x00", b"\x01"
    try:        # row_binding of each row, made inline: a batch is 20,000 rows
        opened = keys.bound_batch_opener(RECORDS_TABLE)([
            (row_id, b"".join((year.to_bytes(2, "big"), key, tin_index, null if control is None else given + control,
                               null if both is None else given + both, null if five is None else given + five)),
             sealed) for row_id, year, key, tin_index, control, both, five, sealed in rows])
    except SealError:
        for row in rows:
            open_record(keys, RECORDS_TABLE, row)       # the TamperError of the first that does not open
        raise
    packed_rows: list[bytes] = []
    lines: list[bytes] = []
    bare: list[str] = []                # the lines of rows sealed as their line alone
    for value in opened:
        if value[:1] == null:
            packed_row, _, line = value[1:].partition(null)     # (records_seal.split_value)
            packed_rows.append(packed_row)
            if with_lines:
                lines.append(line)
        else:
            bare.append(value.decode("utf-8"))
    found = PackedRows(len(packed_rows), (b"[" + b",".join(packed_rows) + b"]").decode("utf-8"),
                       "[" + ",".join(map(encode_basestring, map(bytes.decode, lines))) + "]")
    if not bare:
        return found
    parsed = parse_lines(bare, STANDARD_ORDER, 2, _SOURCE, packed=True)
    assert isinstance(parsed, PackedRows)
    if not packed_rows:
        return parsed
    return PackedRows(found.count + parsed.count, f"{found.rows[:-1]},{parsed.rows[1:]}",
                      f"{found.lines[:-1]},{parsed.lines[1:]}" if with_lines else "[]")


def open_subjects(keys: OfficeKeys, rows: Sequence[Sequence[Any]], count_reasons: bool = True) -> OpenedSubjects:
    """A batch of subject rows opened (see the module's docstring). A row whose address index the importing
    desktop made (office/request_seal.ADDRESSED) is stored as it opens: the server joins its address index itself
    and knows whether it has a ZIP5, so only its reason is read, and that only with `count_reasons` (a request
    whose document does not carry its shared reasons). Other rows are read whole, as before."""
    from ..store.office.requests import SUBJECTS_TABLE, subject_row_id
    opener = keys.bound_opener(SUBJECTS_TABLE)
    packed: list[bytes] = []
    reasons: Counter[str] = Counter()
    unzipped = False
    addresses: set[str] = set()
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for row in rows:
        request, seq, tin, control, both, five, place, sealed = row
        try:
            opened = opener(subject_row_id(request, seq), subject_binding(tin, control, both, five, place), sealed)
        except SealError:
            open_subject(keys, row)                     # its TamperError, naming the subject
            raise
        if opened[:1] == ADDRESSED:
            packed.append(opened[1:])
            if count_reasons and (reason := json.loads(opened[1:])[9]) and reason.strip():
                reasons[reason_key(reason)] += 1
            continue
        values = subject_value(opened)
        _ref, _name, tin_text, street, city, state, zip_code, _periods, _case, reason = values[:10]
        if street:
            addresses.add(street_parts(street, city, state, zip_code)[1])
            if street.strip() and len(zip5(zip_code or "")) != 5:
                unzipped = True
        if count_reasons and reason and reason.strip():
            reasons[reason_key(reason)] += 1
        if len(values) == 10:                           # sealed by a desktop before the packed row
            values.append(tin_digits(tin_text) if tin_text else None)
        packed.append(dumps(values).encode("utf-8"))
    index = keys.indexer("address")
    return OpenedSubjects(len(packed), (b"[" + b",".join(packed) + b"]").decode("utf-8"), dict(reasons),
                          unzipped, [index(a) for a in addresses])

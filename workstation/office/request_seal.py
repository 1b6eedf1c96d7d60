"""A request's subjects and document sealed for the office store (issue 19), a packed batch at a time.

The request parser (intake/request_package.py, the one the local store imports through) yields packed batches
(intake/subjects_pack.py): a JSON array of rows `[ref, name, tin, street, city, state, zip, periods, case_no,
reason, tin9]`. Each becomes the office store's row (store/office/requests.SUBJECT_COLUMNS): its request and
place, the blind indexes of the records' kinds (TIN, name control, name and address, ZIP5: equal to
`OfficeKeys.tin_index` & co. of the same values, so a subject and a taxpayer's record join on them), and its ten
values as canonical JSON, sealed under the office data key with the table, `subject_row_id` and the row's four
indexes (`subject_binding`) as associated data: a subject whose index a server changed (to match it with another
taxpayer's records) does not open, and `open_subject` says it was tampered with. A reason's blind index (kind
"reason") is of its `reason_key`, as the REASON check compares reasons.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..canonical import canonical_json
from ..errors import TamperError
from ..intake.subjects_pack import PackedSubjects
from ..normalize import address_key, name_control, normalize_name, zip5
from ..store.office.requests import AGENCY_LABEL, SUBJECTS_TABLE, TABLE, subject_row_id
from .sealing import OfficeKeys, SealError


class _Memo(dict[Any, Any]):
    """value -> its index (None: no index), made by `make` the first time a value is seen."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value: Any) -> Any:
        found = self[value] = self.make(value)
        return found


class SubjectSealer:
    """Seals the subject batches of one request (its memos live as long as the import)."""

    MEMO_MAX = 200_000

    def __init__(self, keys: OfficeKeys, request: int) -> None:
        self.request = request
        self.seal = keys.bound_sealer(SUBJECTS_TABLE)
        tin, control = keys.indexer("tin"), keys.indexer("name_control")
        name_address, five, reason = keys.indexer("name_address"), keys.indexer("zip5"), keys.indexer("reason")
        self.reason = reason
        self.tins = _Memo(lambda digits: tin(digits) if digits else None)
        self.controls = _Memo(lambda name: control(c) if (c := name_control(name)) else None)
        self.zips = _Memo(lambda z: five(f) if len(f := zip5(z)) == 5 and f.isdigit() else None)
        self.names = _Memo(normalize_name)
        self.addresses = _Memo(lambda a: address_key(*a))
        self.name_address = _Memo(name_address)

    def rows(self, batch: PackedSubjects, first_seq: int) -> Iterator[tuple[Any, ...]]:
        """The office rows of `batch`, numbered from `first_seq` on."""
        if len(self.name_address) > self.MEMO_MAX:
            for memo in (self.tins, self.controls, self.zips, self.names, self.addresses, self.name_address):
                memo.clear()
        seal, request = self.seal, self.request
        tins, controls, zips, names, addresses, name_address = (
            self.tins, self.controls, self.zips, self.names, self.addresses, self.name_address)
        dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for seq, row in enumerate(json.loads(batch.json), first_seq):
            _ref, name, _tin, street, city, state, zip_code, _periods, _case, _reason, tin9 = row
            name = name or ""
            both = None
            if street and street.strip() and (normalized := names[name]):
                both = name_address[f"{normalized}\x1f{addresses[(street, city or '', state or '', zip_code or '')]}"]
            indexes = (tins[tin9], controls[name], both, zips[zip_code or ""])
            yield (request, seq, *indexes,
                   seal(subject_row_id(request, seq), subject_binding(*indexes), dumps(row[:10]).encode("utf-8")))

    def reason_indexes(self, reasons: dict[str, int]) -> list[tuple[bytes, int]]:
        """(blind index, subjects) of each reason (`reason_key`) more than one subject gives."""
        return sorted((self.reason(key), n) for key, n in reasons.items() if n > 1 and key)


def subject_binding(*indexes: bytes | None) -> bytes:
    """A subject row's indexes (tin, name control, name and address, ZIP5) bound into its sealed value's associated
    data: each 0x00 when NULL, else 0x01 and its 16 bytes."""
    return b"".join(b"\x00" if index is None else b"\x01" + index for index in indexes)


def open_subject(keys: OfficeKeys, row: Sequence[Any]) -> list[Any]:
    """A subject row's ten values ([ref, name, tin, street, city, state, zip, periods, case_no, reason]) from the
    row as the server gives it (store/office/requests.SUBJECT_COLUMNS order); TamperError when its request, place
    or any index is not what it was sealed with."""
    request, seq, *indexes, sealed = row
    try:
        opened = keys.bound_opener(SUBJECTS_TABLE)(subject_row_id(int(request), int(seq)), subject_binding(
            *(None if i is None else bytes(i) for i in indexes)), bytes(sealed))
    except SealError:
        raise TamperError(f"subject {int(seq) + 1} of a request (office row {request}) was tampered with on the office "
                          "server: its request, place or a blind index is not what it was sealed with (or its sealed "
                          "value was moved from another row, altered, or sealed under another office's key); restore "
                          "the office from a backup and ask who changed it") from None
    values: list[Any] = json.loads(opened)
    return values


def seal_document(keys: OfficeKeys, request: int, document: dict[str, Any]) -> bytes:
    """The request's document (its package as imported, the file's name, the package hash) sealed for its row."""
    return keys.seal(TABLE, request, canonical_json(document))


def open_document(keys: OfficeKeys, request: int, sealed: bytes) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(keys.open(TABLE, request, sealed))
    return found


def seal_agency(keys: OfficeKeys, request: int, agency: str) -> bytes:
    """The requester's name (requester.agency) sealed for its request's row."""
    return keys.seal_text(AGENCY_LABEL, request, agency)


def agency_opener(keys: OfficeKeys) -> Callable[[int, bytes], str]:
    """`open` of the requesters' names of many rows (the queue), the associated data's prefix made once."""
    opener = keys.opener(AGENCY_LABEL)
    return lambda request, sealed: opener(request, sealed).decode("utf-8")

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

The sealed value is the row as the local store keeps it (its eleven values, the packed row's JSON: an
evaluation's working copy stores it as it is, office/working_open.py) after one byte: 0x01 when the row's
address index (the blind index of the address key the MATCH check looks the subject's records up by; NULL
without a street) was made here and is bound into the associated data too (`subject_binding`), 0x00 when it was
not (an office made before the column: the evaluating desktop makes it from the opened row). A value that
begins with "[" is of a desktop before either: the ten values' canonical JSON, no address index.
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


SHARED_REASONS = "shared_reasons"   # in a request's document: [reason_key, subjects] of each reason several give
ADDRESSED = b"\x01"           # a sealed value's first byte: its address index made and bound (see the docstring)
UNADDRESSED = b"\x00"         # its address index not made (an office without the column)


class SubjectSealer:
    """Seals the subject batches of one request (its memos live as long as the import); `addressed`: the office's
    subjects table has the address index column (store/office/requests.has_address_index)."""

    MEMO_MAX = 200_000

    def __init__(self, keys: OfficeKeys, request: int, addressed: bool = True) -> None:
        self.request = request
        self.addressed = addressed
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
        self.places = _Memo(keys.indexer("address"))

    def rows(self, batch: PackedSubjects, first_seq: int) -> Iterator[tuple[Any, ...]]:
        """The office rows of `batch` (SUBJECT_COLUMNS), numbered from `first_seq` on."""
        if len(self.name_address) > self.MEMO_MAX:
            for memo in (self.tins, self.controls, self.zips, self.names, self.addresses, self.name_address,
                         self.places):
                memo.clear()
        seal, request, addressed = self.seal, self.request, self.addressed
        tins, controls, zips, names, addresses, name_address, places = (
            self.tins, self.controls, self.zips, self.names, self.addresses, self.name_address, self.places)
        for seq, row in enumerate(json.loads(batch.json), first_seq):
            _ref, name, _tin, street, city, state, zip_code, _periods, _case, _reason, tin9 = row
            name = name or ""
            both = place = None
            if street:
                key = addresses[(street, city or "", state or "", zip_code or "")]
                if addressed:
                    place = places[key]         # the MATCH check's look-up (rules/subjects.street_parts)
                if street.strip() and (normalized := names[name]):
                    both = name_address[f"{normalized}\x1f{key}"]
            indexes = (tins[tin9], controls[name], both, zips[zip_code or ""])
            yield (request, seq, *indexes, place, seal(subject_row_id(request, seq), subject_binding(*indexes, place),
                                                        sealed_subject(row, addressed)))

    def reason_indexes(self, reasons: dict[str, int]) -> list[tuple[bytes, int]]:
        """(blind index, subjects) of each reason (`reason_key`) more than one subject gives."""
        return sorted((self.reason(key), n) for key, n in reasons.items() if n > 1 and key)


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def sealed_subject(row: list[Any], addressed: bool) -> bytes:
    """What a subject row seals: its packed row (eleven values) after the byte saying whether its address index
    was made and bound (see the module's docstring)."""
    return (ADDRESSED if addressed else UNADDRESSED) + _DUMPS(row).encode("utf-8")


def subject_binding(tin: bytes | None, control: bytes | None, both: bytes | None, five: bytes | None,
                    place: bytes | None = None) -> bytes:
    """A subject row's indexes (tin, name control, name and address, ZIP5) bound into its sealed value's associated
    data: each 0x00 when NULL, else 0x01 and its 16 bytes; then its address index, when it has one, as 0x01 and
    its 16 bytes (nothing when NULL: a row sealed before the address index binds as it did)."""
    bound = b"".join(b"\x00" if index is None else b"\x01" + index for index in (tin, control, both, five))
    return bound if place is None else bound + b"\x01" + place


def open_subject(keys: OfficeKeys, row: Sequence[Any]) -> list[Any]:
    """A subject row's ten values ([ref, name, tin, street, city, state, zip, periods, case_no, reason]) from the
    row as the server gives it (store/office/requests.SUBJECT_COLUMNS order); TamperError when its request, place
    or any index is not what it was sealed with (`subject_value` of what opened)."""
    request, seq, *indexes, sealed = row
    try:
        opened = keys.bound_opener(SUBJECTS_TABLE)(subject_row_id(int(request), int(seq)), subject_binding(
            *(None if i is None else bytes(i) for i in indexes)), bytes(sealed))
    except SealError:
        raise TamperError(f"subject {int(seq) + 1} of a request (office row {request}) was tampered with on the office "
                          "server: its request, place or a blind index is not what it was sealed with (or its sealed "
                          "value was moved from another row, altered, or sealed under another office's key); restore "
                          "the office from a backup and ask who changed it") from None
    return subject_value(opened)[:10]


def subject_value(opened: bytes) -> list[Any]:
    """The values of an opened subject: eleven (the packed row), or ten when a desktop before the packed row
    sealed it (see the module's docstring)."""
    values: list[Any] = json.loads(opened if opened[:1] == b"[" else opened[1:])
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

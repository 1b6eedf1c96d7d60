"""Taxpayer records sealed for the office store, a parsed batch at a time (issue 19).

The records parser (intake/records_csv.py, the same one the local store imports through) yields packed batches:
a JSON array of rows `[tin, tin_type, tax_year, name, name_control, addr_key, hold]` and one of the rows' CSV
lines. Each row becomes the office store's row (store/office/records.py): its id, its tax year, the blind
indexes of its key, TIN, name control, name and address, ZIP5, and its CSV line sealed under the office data
key with the table, the id and the row's other columns (year, key and blind indexes: `row_binding`) as associated
data, so a row whose year, key or index a server changed (to point another taxpayer's index at this sealed
value) does not open: `open_record` says it was tampered with. The indexes equal `OfficeKeys.tin_index` & co.
of the same values. Last comes the index of its address key (`OfficeKeys.indexer("address")`; None without a
street), not bound: it only narrows an evaluation's candidates (store/office/records.py).

The sealed value (`sealed_value`) is 0x00, the row as the local store keeps it (`[tin, tin_type, tax_year, name,
name_control, addr_key, hold]`, JSON), 0x00, then the CSV line: an evaluation's working copy stores both as they
are instead of parsing the line again (office/working_open.py). A value that does not begin with 0x00 is the
line alone (as rows imported before were sealed: a record's line begins with its TIN, never 0x00). `open_record`
gives the line either way. A taxpayer's years
are consecutive rows and names, ZIPs and addresses repeat, so each index is computed once per distinct value of
a batch.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring  # C-accelerated when available
from typing import Any

from ..errors import TamperError
from ..intake.records_pack import CSV_COLUMNS, PackedRows
from ..normalize import normalize_name, tin_digits, zip5
from ..store.office.records import TABLE, binary_rows
from .sealing import OfficeKeys, SealError

_ZIP = CSV_COLUMNS.index("zip")
_TIN, _TYPE, _YEAR = (CSV_COLUMNS.index(c) for c in ("tin", "tin_type", "tax_year"))


class _Memo(dict[str, Any]):
    """value -> its index (None: no index), made by `make` the first time a value is seen."""

    def __init__(self, make: Callable[[str], Any]) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, value: str) -> Any:
        found = self[value] = self.make(value)
        return found


class RecordSealer:
    """Seals batches for one import (its memos live as long as the import)."""

    MEMO_MAX = 200_000

    def __init__(self, keys: OfficeKeys, table: str) -> None:
        self.keys = keys
        self.seal = keys.bound_sealer(table)
        tin, control = keys.indexer("tin"), keys.indexer("name_control")
        name_address, five = keys.indexer("name_address"), keys.indexer("zip5")
        record = keys.indexer("record")
        self.taxpayers = _Memo(record)          # "digits\x1ftype" -> the taxpayer's key
        self.tins = _Memo(tin)
        self.controls = _Memo(lambda c: control(c) if c else None)
        self.zips = _Memo(lambda z: five(z) if len(z) == 5 and z.isdigit() else None)
        self.names = _Memo(lambda n: normalize_name(n) or None)
        self.name_address = _Memo(name_address)
        self.addresses = _Memo(keys.indexer("address"))

    def rows(self, batch: PackedRows, ids: list[int]) -> Iterator[tuple[Any, ...]]:
        """The office rows of `batch` (store/office/records.ADDRESSED order: COLUMNS, then the address index, not
        bound), row i with id ids[i]."""
        values = json.loads(batch.rows)
        lines = json.loads(batch.lines)
        if len(values) != len(ids) or len(lines) != len(ids):
            raise ValueError("a batch and its ids differ in length")
        self._trim()
        seal, tins, controls, zips, names = self.seal, self.tins, self.controls, self.zips, self.names
        name_address, taxpayers, addresses = self.name_address, self.taxpayers, self.addresses
        for row_id, (tin, tin_type, year, name, control, addr_key, hold), line in zip(ids, values, lines,
                                                                                      strict=True):
            if addr_key is None:
                both = address_index = None
                zip_index = zips[zip5(_field(line, _ZIP))]
            else:
                normalized = names[name]
                both = name_address[f"{normalized}\x1f{addr_key}"] if normalized else None
                zip_index = zips[addr_key.rpartition("|")[2]]
                address_index = addresses[addr_key]
            key, tin_index, control_index = taxpayers[f"{tin}\x1f{tin_type}"], tins[tin], controls[control]
            yield (row_id, year, key, tin_index, control_index, both, zip_index,
                   seal(row_id, row_binding(year, key, tin_index, control_index, both, zip_index),
                        sealed_value(tin, tin_type, year, name, control, addr_key, hold, line)), address_index)

    def _trim(self) -> None:
        for memo in (self.taxpayers, self.tins, self.controls, self.zips, self.names, self.name_address,
                     self.addresses):
            if len(memo) > self.MEMO_MAX:
                memo.clear()


@dataclass(frozen=True)
class SealJob:
    """What a parse worker is handed with a block to seal its rows there (`sealed_block`): the office's two derived
    keys (through the pipe to the worker, as the block's taxpayer values are; never shown), whether the address
    index is loaded, and the row ids reserved for the block as (first, count) ranges, at least as many as it has
    rows."""

    data_key: bytes = field(repr=False)
    index_key: bytes = field(repr=False)
    addressed: bool
    ids: tuple[tuple[int, int], ...]


_worker_sealers: dict[tuple[bytes, bytes], RecordSealer] = {}   # in a parse worker: the import's sealer


def sealed_block(batch: PackedRows, job: SealJob) -> tuple[int, bytes]:
    """In a parse worker (intake/records_parallel.Then): (rows, the rows of `batch` sealed and laid out for the
    binary COPY: store/office/records.binary_rows). The worker keeps one sealer, so its memos last the import."""
    sealer = _worker_sealers.get((job.data_key, job.index_key))
    if sealer is None:
        _worker_sealers.clear()
        sealer = _worker_sealers[(job.data_key, job.index_key)] = RecordSealer(
            OfficeKeys.of(job.data_key, job.index_key), TABLE)
    ids = [i for first, count in job.ids for i in range(first, first + count)][:batch.count]
    return batch.count, binary_rows(sealer.rows(batch, ids), addressed=job.addressed)[0]


def row_binding(tax_year: int, record_key: bytes, tin_index: bytes, *optional: bytes | None) -> bytes:
    """A record row's columns bound into its sealed value's associated data: the year (2 bytes), the key and TIN
    indexes (16 bytes each), then each optional index (name control, name and address, ZIP5) as 0x00 when NULL,
    else 0x01 and its 16 bytes."""
    bound = tax_year.to_bytes(2, "big") + record_key + tin_index
    for index in optional:
        bound += b"\x00" if index is None else b"\x01" + index
    return bound


def sealed_value(tin: str, tin_type: str, year: int, name: str, control: str | None, addr_key: str | None,
                 hold: int, line: str) -> bytes:
    """What a record row seals (see the module's docstring): its packed row, then its line."""
    row = (f'["{tin}",{encode_basestring(tin_type)},{int(year)},{encode_basestring(name)},'
           f'{"null" if control is None else encode_basestring(control)},'
           f'{"null" if addr_key is None else encode_basestring(addr_key)},{int(hold)}]')
    return f"\x00{row}\x00{line}".encode()


def split_value(opened: bytes) -> tuple[str | None, str]:
    """(the packed row's JSON, or None for a value sealed as the line alone; the line) of an opened value."""
    if opened[:1] != b"\x00":
        return None, opened.decode("utf-8")
    end = opened.index(b"\x00", 1)
    return opened[1:end].decode("utf-8"), opened[end + 1:].decode("utf-8")


def open_record(keys: OfficeKeys, table: str, row: Sequence[Any]) -> str:
    """The CSV line of a record row as the server gives it (store/office/records.COLUMNS order: id, tax_year,
    record_key, tin_index, name_control_index, name_address_index, zip5_index, sealed); TamperError when the
    row's id, year, key or any index is not what it was sealed with."""
    row_id, year, key, tin_index, control, both, five, sealed = row
    try:
        return split_value(keys.bound_opener(table)(int(row_id), row_binding(
            int(year), bytes(key), bytes(tin_index), *(None if i is None else bytes(i) for i in (control, both, five))
        ), bytes(sealed)))[1]
    except SealError:
        raise TamperError(f"taxpayer record {row_id} was tampered with on the office server: its year, key or a "
                          "blind index is not what it was sealed with (or its sealed value was moved from another "
                          "row, altered, or sealed under another office's key); restore the office from a backup "
                          "and ask who changed it") from None


def _field(line: str, pos: int) -> str:
    if '"' not in line:
        return line.split(",")[pos].strip()
    return next(csv.reader([line]))[pos].strip()


def record_key_of(line: str) -> tuple[str, int, str]:
    """(TIN digits, tax year, TIN type) of an opened record's line: the key a duplicate is named by."""
    fields = next(csv.reader([line])) if '"' in line else line.split(",")
    return tin_digits(fields[_TIN]) or "", int(fields[_YEAR]), fields[_TYPE].strip()

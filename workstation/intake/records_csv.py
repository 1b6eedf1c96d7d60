"""Taxpayer records CSV (INTERCHANGE.md, "Taxpayer records") → batches of rows for the store.

Streaming and fast: lines are read in chunks of CHUNK, split with `str.split` (only lines holding a quote
go through the `csv` module), and each column is checked and converted as a whole (`records_checks`). Name
controls and address keys are computed once per distinct value of a chunk (a taxpayer's years are consecutive
rows). A row comes in one of two shapes:

- typed (`read_records`): a tuple in RECORD_COLUMNS order

    tin (9 digits)  tin_type  name  street  city  state  zip  address_as_of  tax_year (int)
    filing_status  agi  total_tax  refund  dependents (int|None)  phone  bank_account  wages  employer
    interest  hold (1|0)  name_control  addr_key (None when street is empty)

- packed (`read_packed`, what the import stores): a batch is one JSON text, an array of rows
  `[tin, tin_type, tax_year, name, name_control, addr_key, hold, line]` (`records_pack`), which SQLite takes
  apart itself (`store.records`): one value bound for a batch instead of 22 a row.

No field may hold a character `textsafety` refuses (a control — tab and a line end inside quotes included —, a
bidirectional control or mark, a zero-width character): one check over a chunk's text finds them, and only then
are its fields walked to name the first (`_refuse_unsafe`). A tax year after the current year of the product's
clock is refused. Empty text fields become None; surrounding spaces are trimmed. Money is whole dollars (`agi`
may be negative, the others not), at most 12 digits. A TIN, type and tax year seen twice in one file is an
error naming both lines (the store's key; an SSN and an EIN may share digits). Errors name the file, the line
(header = line 1) and the column, never a value.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Generator, Iterator
from itertools import chain, compress, count, islice, repeat
from operator import add, contains
from pathlib import Path
from typing import Any, cast

from workstation import clock as clocks
from workstation import textsafety
from workstation.errors import InputError
from workstation.intake import csvfile
from workstation.intake.records_checks import Bad, Checked, check_chunk, or_none
from workstation.intake.records_pack import (
    CSV_COLUMNS,
    WIDTH,
    PackedRows,
    Packer,
    chunk_tokens,
    data_lines,
    json_token,
    name_and_control,
)
from workstation.model import TIN_TYPES
from workstation.normalize import address_key, name_control, tin_digits
from workstation.processes import gc_paused

RECORD_COLUMNS: tuple[str, ...] = (*CSV_COLUMNS, "name_control", "addr_key")
_EMPTY_ROW = "," * (WIDTH - 1)

CHUNK = 500                     # lines converted together (their objects stay in the CPU cache)
CACHE_MAX = 50_000              # name-control and address-key memos are cleared when they grow past this
_TYPE_CODE = {name: str(code) for code, name in enumerate(TIN_TYPES)}


def read_records(path: Path, batch_size: int = 20_000, *, check_duplicates: bool = True
                 ) -> Iterator[list[tuple[Any, ...]]]:
    """Yield lists of up to `batch_size` typed rows; raise InputError at the first bad line.

    `check_duplicates=False` leaves out the check of a TIN and year given twice across batches (it holds a key
    a row): for a load into an empty table, whose unique index refuses them (see `duplicate_error`)."""
    yield from _read(path, batch_size, check_duplicates, packed=False)


def read_packed(path: Path, batch_size: int = 20_000, *, check_duplicates: bool = True
                ) -> Generator[PackedRows, None, None]:
    """`read_records`, each batch packed for the store."""
    yield from _read(path, batch_size, check_duplicates, packed=True)


def current_year() -> int:
    """The latest tax year a record may have: the year of the product's clock (`DWS_TODAY`), never the real date.
    Read in the importing process (a worker is handed it: `records_parallel`)."""
    return clocks.today().year


def _read(path: Path, batch_size: int, check_duplicates: bool, *, packed: bool) -> Iterator[Any]:
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    source = str(path)
    max_year = current_year()
    with csvfile.open_text(path, source) as f, csvfile.read_errors(path, source):
        lines = csvfile.bounded_lines(f)
        order = header_order(lines, source)
        yield from _Reader(lines, path, source, batch_size, order, max_year, check_duplicates=check_duplicates,
                           packed=packed).batches()


def header_order(lines: Iterator[str], source: str) -> list[int]:
    """Read and check the header line; the position of each of CSV_COLUMNS in a row."""
    index = csvfile.read_header(lines, CSV_COLUMNS, source)
    return [index[name] for name in CSV_COLUMNS]


def parse_lines(lines: list[str], order: list[int], first_line: int, path: Path, *, packed: bool = False,
                max_year: int | None = None) -> list[tuple[Any, ...]] | PackedRows:
    """The rows of whole records `lines` (physical lines from `first_line` on) of the file at `path`, duplicates
    among them refused: the work of one block when a large file is parsed in worker processes. Typed rows, or
    with `packed` the rows packed for the store. `max_year`: the latest tax year (default `current_year()`; a
    worker process has no clock of its own, so it is handed the importing process's)."""
    year = current_year() if max_year is None else max_year
    reader = _Reader(iter(lines), path, str(path), len(lines), order, year, last_line=first_line - 1, packed=packed)
    with gc_paused():
        batches = list(reader.batches())
    if packed:
        return batches[0] if batches else Packer().packed()
    return [row for batch in batches for row in batch]


def duplicate_error(path: Path, key: tuple[str, int, str]) -> InputError:
    """The error for a TIN, year and type (`key`) that a file gives twice, found after the fact (the unique index
    of the store refused it): reread the file for its first two lines."""
    source = str(path)
    tin, year, tin_type = key
    wanted = f"{tin}{year:04d}{_TYPE_CODE[tin_type]}"
    try:
        with csvfile.open_text(path, source) as f:
            reader = csv.reader(f)
            columns = [name.strip() for name in next(reader)]
            first = _first_line_with(reader, wanted, 2**62, columns)
            second = _first_line_with(reader, wanted, 2**62, columns) if first else None
    except Exception:
        first = second = None
    where = f"line {second}" if second else None
    also = f" as line {first}" if first and second else " as an earlier line"
    return InputError(f"same tin, tin_type and tax_year{also} (one row per taxpayer per year)", source=source,
                      where=where)


class _Reader:
    def __init__(self, lines: Iterator[str], path: Path, source: str, batch_size: int, order: list[int],
                 max_year: int, *, last_line: int = 1, check_duplicates: bool = True, packed: bool = False) -> None:
        self.path, self.source, self.batch_size = path, source, batch_size
        self.lines, self.order, self.max_year = lines, order, max_year
        self.file_columns = [CSV_COLUMNS[order.index(pos)] for pos in range(WIDTH)]   # by position in the file
        self.last_line = last_line              # physical lines consumed so far
        self.check_duplicates = check_duplicates
        self.packed = packed
        self.token: Callable[[str | None], str | None] = json_token if packed else _same
        self.control: Callable[[str], str] = name_and_control if packed else name_control
        self.seen: set[int] = set()             # keys of the rows so far (see _keys), as numbers (smaller)
        self.names: dict[str, str] = {}         # name -> name control (packed: "name","control" in JSON)
        self.addresses: dict[tuple[str, str, str, str], str | None] = {}

    def error(self, line: int, message: str, column: str | None = None) -> InputError:
        where = f"line {line}" + (f", column {column}" if column else "")
        return InputError(message, source=self.source, where=where)

    def batches(self) -> Iterator[Any]:
        """Batches of up to batch_size rows (lists of typed rows, or PackedRows), built CHUNK lines at a time: a
        chunk's objects stay in the CPU cache while its columns are converted one after the other (~1.7x faster
        than 20,000-line chunks)."""
        done = False
        while not done:
            rows = 0
            out: list[tuple[Any, ...]] = []
            packer = Packer()
            while rows < self.batch_size:
                with gc_paused():
                    chunk = self._next_batch(min(CHUNK, self.batch_size - rows))
                if chunk is None:
                    done = True
                    break
                size, converted = chunk
                rows += size
                if size and self.packed:
                    packer.add(*converted)
                elif size:
                    out.extend(converted)
            if rows:
                with gc_paused():
                    yield packer.packed() if self.packed else out

    def _next_batch(self, size: int) -> tuple[int, Any] | None:
        """(rows, their conversion) from the next `size` lines (no rows if they were blank), None at the end of
        the file."""
        lines = list(islice(self.lines, size))
        if not lines:
            return None
        first = self.last_line + 1
        self.last_line += len(lines)
        blob = "".join(lines)
        flat, numbers, rows, quoted = self._split(lines, blob, first)
        if not flat:
            return 0, None
        line_of = numbers.__getitem__ if numbers else first.__add__
        if not textsafety.clean(blob, line_ends=True) or (quoted and not self._quoted_clean(flat, quoted)):
            self._refuse_unsafe(flat, line_of)
        try:
            v = check_chunk([flat[i::WIDTH] for i in self.order], max_year=self.max_year, convert=not self.packed)
        except Bad as bad:
            raise self.error(line_of(bad.pos), bad.message, bad.column) from None
        keys = _keys(v)
        self._check_duplicates(keys, line_of)
        controls = self._name_controls(v.names)
        addresses = self._address_keys(v.street, v.city, v.state, v.zip)
        if self.packed:
            tokens = cast("list[str]", addresses)           # packed: json_token made each one a token
            return len(rows), (chunk_tokens(v, controls, tokens, data_lines(rows, flat, self.order, quoted)), keys)
        return len(rows), _typed_rows(v, controls, addresses)

    # -- lines to fields ---------------------------------------------------------------------------------

    def _split(self, lines: list[str], blob: str, first: int
               ) -> tuple[list[str], list[int] | None, list[str], set[int]]:
        """All fields of the batch (`lines`, `blob` their text), row after row (WIDTH per row); the line number of
        each row when it is not simply first + position (blank lines, records spanning lines); each row's line
        (without its end; that of a quoted record is not its text); the positions of the quoted records."""
        if max(map(len, lines)) > csvfile.MAX_LINE_CHARS:
            pos = next((i for i, line in enumerate(lines) if csvfile.line_too_long(line)), None)
            if pos is not None:                 # (a line of the limit and its end is not too long)
                raise self.error(first + pos, f"line is longer than {csvfile.MAX_LINE_CHARS} characters")
        if "\x00" in blob:
            pos = next(i for i, line in enumerate(lines) if "\x00" in line)
            raise self.error(first + pos, "contains a NUL character (not a text CSV file?)")
        if '"' not in blob and "\r" not in blob:     # the usual chunk: split as a whole
            text = blob[:-1] if blob.endswith("\n") else blob
            stripped = text.split("\n")
            if set(map(str.count, stripped, repeat(","))) == {WIDTH - 1}:
                return text.replace("\n", ",").split(","), None, stripped, set()
        stripped = list(map(str.rstrip, lines, repeat("\r\n")))
        quoted: dict[int, list[str]] = {}
        dead: set[int] = set()
        if '"' in blob:
            quoted, dead = self._quoted(lines, first)
            for pos in chain(quoted, dead):
                stripped[pos] = _EMPTY_ROW
        if dead or set(map(str.count, stripped, repeat(","))) != {WIDTH - 1} or any(
                len(fields) != WIDTH for fields in quoted.values()):
            for pos, line in enumerate(stripped):
                size = len(quoted[pos]) if pos in quoted else line.count(",") + 1
                if pos in dead or not line:
                    dead.add(pos)                   # a continuation line, or a blank line
                elif size != WIDTH:
                    raise self.error(first + pos, f"has {size} field(s); the header has {WIDTH}")
        numbers = None
        if dead:
            keep = [pos for pos in range(len(lines)) if pos not in dead]
            renumber = {old: new for new, old in enumerate(keep)}
            quoted = {renumber[old]: fields for old, fields in quoted.items()}
            stripped = [stripped[pos] for pos in keep]
            numbers = [first + pos for pos in keep]
        if not stripped:
            return [], numbers, [], set()
        flat = ",".join(stripped).split(",")
        for pos, fields in quoted.items():
            flat[pos * WIDTH:(pos + 1) * WIDTH] = fields
        return flat, numbers, stripped, set(quoted)

    def _quoted(self, lines: list[str], first: int) -> tuple[dict[int, list[str]], set[int]]:
        """Split the lines holding a quote with the csv module: position -> fields, and the positions of
        continuation lines of records that span lines (pulling lines past the batch when needed)."""
        where = list(compress(count(), map(contains, lines, repeat('"'))))
        quoted = [lines[pos] for pos in where]
        try:
            reader = csv.reader(quoted, strict=True)
            parsed = list(reader)
            if len(parsed) == len(quoted) and reader.line_num == len(quoted):
                return dict(zip(where, parsed, strict=True)), set()
        except csv.Error:
            pass
        records: dict[int, list[str]] = {}      # slow path: a record spans lines, or bad quoting
        dead: set[int] = set()
        for pos in where:
            if pos in dead:
                continue
            try:
                records[pos], used = csvfile.csv_record(lines[pos], chain(lines[pos + 1:], self.lines))
            except csv.Error:
                raise self.error(first + pos, "is not valid CSV (check the quoting)") from None
            dead.update(range(pos + 1, min(pos + used, len(lines))))
            self.last_line += max(0, pos + used - len(lines))
        return records, dead

    # -- characters refused in any field (textsafety) --------------------------------------------------------

    @staticmethod
    def _quoted_clean(flat: list[str], quoted: set[int]) -> bool:
        """The fields of the quoted records hold no refused character, line ends included (the chunk's text was
        looked at with its line ends allowed, and a quoted record may go on past the chunk's lines)."""
        return textsafety.clean("".join(chain.from_iterable(flat[pos * WIDTH:(pos + 1) * WIDTH] for pos in quoted)))

    def _refuse_unsafe(self, flat: list[str], line_of: Callable[[int], int]) -> None:
        """Error path: name the first field, row by row and left to right, that holds a character `textsafety`
        refuses (a field is looked at as the file gives it: the record's line is stored so)."""
        for start in range(0, len(flat), WIDTH):
            for column, value in zip(self.file_columns, flat[start:start + WIDTH], strict=True):
                message = textsafety.problem(column, value)
                if message:
                    raise self.error(line_of(start // WIDTH), message, column)

    # -- keys ----------------------------------------------------------------------------------------------

    def _name_controls(self, names: list[str]) -> list[str]:
        memo = self.names
        if len(memo) > CACHE_MAX:
            memo.clear()
        missing = set(names).difference(memo)
        memo.update(zip(missing, map(self.control, missing), strict=True))
        return list(map(memo.__getitem__, names))

    def _address_keys(self, *parts: list[str]) -> list[str | None]:
        memo = self.addresses
        if len(memo) > CACHE_MAX:
            memo.clear()
        quads = list(zip(*parts, strict=True))
        missing = set(quads).difference(memo)
        memo.update(zip(missing, map(self.token, map(_address_key, missing)), strict=True))
        return list(map(memo.__getitem__, quads))

    # -- duplicates --------------------------------------------------------------------------------------

    def _check_duplicates(self, keys: list[str], line_of: Callable[[int], int]) -> None:
        fresh = set(keys)
        if len(fresh) != len(keys):
            earlier: dict[str, int] = {}
            for pos, key in enumerate(keys):
                if key in earlier:
                    raise self._duplicate(line_of(pos), line_of(earlier[key]))
                earlier[key] = pos
        if not self.check_duplicates:
            return
        numbers = set(map(int, fresh))
        if not self.seen.isdisjoint(numbers):
            pos = next(pos for pos, key in enumerate(keys) if int(key) in self.seen)
            raise self._duplicate(line_of(pos), self._find_line(keys[pos], line_of(pos)))
        self.seen |= numbers

    def _duplicate(self, line: int, earlier: int | None) -> InputError:
        also = f" as line {earlier}" if earlier else " as an earlier line"
        return self.error(line, f"same tin, tin_type and tax_year{also} (one row per taxpayer per year)")

    def _find_line(self, key: str, before: int) -> int | None:
        """Error path: reread the file to find the first line with this tin and year."""
        try:
            with csvfile.open_text(self.path, self.source) as f:
                return _first_line_with(csv.reader(f), key, before)
        except Exception:
            return None


def _first_line_with(reader: Any, key: str, before: int, columns: list[str] | None = None) -> int | None:
    """The line of the next row with `key` before line `before` (the header is read first unless `columns`)."""
    header = columns if columns is not None else [name.strip() for name in next(reader)]
    i_tin, i_type, i_year = (header.index(name) for name in ("tin", "tin_type", "tax_year"))
    for fields in reader:
        if reader.line_num >= before:
            return None
        if len(fields) != len(header):
            continue
        digits, tin_type, year = tin_digits(fields[i_tin]), fields[i_type].strip(), fields[i_year].strip()
        if digits and tin_type in _TYPE_CODE and f"{digits}{year}{_TYPE_CODE[tin_type]}" == key:
            return int(reader.line_num)
    return None


def _keys(v: Checked) -> list[str]:
    """Each row's key: its TIN's nine digits, its year's four and a digit for its TIN type."""
    return list(map(add, map(add, v.tins, v.year_text), map(_TYPE_CODE.__getitem__, v.types)))


def _typed_rows(v: Checked, controls: list[Any], addresses: list[Any]) -> list[tuple[Any, ...]]:
    assert v.other is not None
    as_of, *other = v.other
    return list(zip(v.tins, v.types, v.names, *map(or_none, (v.street, v.city, v.state, v.zip)), as_of, v.years,
                    *other, v.hold, controls, addresses, strict=True))


def _same(value: str | None) -> str | None:
    return value


def _address_key(quad: tuple[str, str, str, str]) -> str | None:
    return address_key(*quad) if quad[0] else None

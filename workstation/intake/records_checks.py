"""The checks of the taxpayer records CSV's columns, a chunk of rows at a time (`records_csv` splits the lines).

Each check takes one column — the raw fields of that column for every row of the chunk — checks it as a whole
with C-level operations (`str.isdigit` over the joined column, set membership of the distinct values, ...),
and only when that fails walks it value by value to name the first bad row (`Bad`, a position in the chunk).
They return the values to store: trimmed, empty text as None, numbers as int. `check_chunk` runs them in one
fixed order (tin, tin_type, TIN validity, name, tax_year (not after the current year), address_as_of, agi,
total_tax, refund, dependents, wages, interest, hold), so the error named for a chunk with several bad values is
always the same one. (The characters `textsafety` refuses are looked for before, in the chunk's text as a whole:
`records_csv`.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import starmap
from typing import Any, TypeVar

from workstation.model import TIN_TYPES
from workstation.normalize import tin_digits, tin_valid

T = TypeVar("T")

MONEY_DIGITS = 12
MIN_YEAR = 1900
_NONE_IF_EMPTY = {"": None}
_ZERO_IF_EMPTY = {"": "0"}
_HOLD = {"1": 1, "0": 0, "": 0}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_DATE = r"(?!0000)[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"      # _is_date, but for days 29-31
_DATE_COLUMN = re.compile(f"{_DATE}(?:\x00{_DATE})*")
_LATE_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-(?:29|3[01])")
_MONEY = re.compile(r"-?\d+", re.ASCII)
_TYPES = frozenset(TIN_TYPES)
_TIN = r"(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{2}-[0-9]{7}|[0-9]{9})"     # what tin_digits reads without spaces
_TIN_COLUMN = re.compile(f"{_TIN}(?:\x00{_TIN})*")


class Bad(Exception):
    """A bad value at a position of the chunk, in a column."""

    def __init__(self, pos: int, column: str, message: str) -> None:
        super().__init__(message)
        self.pos, self.column, self.message = pos, column, message


@dataclass(slots=True)
class Checked:
    """The checked values of a chunk's rows: those the store keeps in columns or makes its keys from, and with
    `convert` the other columns converted too (`other`, RECORD order: address_as_of, filing_status, agi, ...)."""

    tins: list[str]
    types: list[str]
    names: list[str]
    street: list[str]                   # trimmed, "" when empty (the address key is made from these)
    city: list[str]
    state: list[str]
    zip: list[str]
    years: list[int]
    year_text: list[str]                # the same, as their four digits
    hold: list[int]
    other: list[list[Any]] | None       # address_as_of, filing_status, agi ... interest; None unless converted


# (column, position in CSV_COLUMNS, money: (negative allowed, digits) or None for text)
_OTHER = (("filing_status", 9, None), ("agi", 10, (True, MONEY_DIGITS)), ("total_tax", 11, (False, MONEY_DIGITS)),
          ("refund", 12, (False, MONEY_DIGITS)), ("dependents", 13, (False, 3)), ("phone", 14, None),
          ("bank_account", 15, None), ("wages", 16, (False, MONEY_DIGITS)), ("employer", 17, None),
          ("interest", 18, (False, MONEY_DIGITS)))


def check_chunk(c: list[list[str]], *, max_year: int, convert: bool = True) -> Checked:
    """Check the columns `c` (CSV_COLUMNS order) of a chunk's rows; raise Bad for the first bad value. A tax year
    after `max_year` (the current year) is refused. Without `convert` the columns kept only in the record's line
    are checked, not converted."""
    tins = _tins(c[0])
    types = _tin_types(c[1])
    if not all(starmap(tin_valid, set(zip(tins, types, strict=True)))):    # a TIN has rows for years
        pos = next(pos for pos, ok in enumerate(map(tin_valid, tins, types)) if not ok)
        raise Bad(pos, "tin", f"tin is not a valid {types[pos]}")
    names = list(map(str.strip, c[2]))
    if "" in names:
        raise Bad(names.index(""), "name", "name is empty")
    street, city, state, zip_code = (list(map(str.strip, c[i])) for i in (3, 4, 5, 6))
    years, year_text = _years(c[8], max_year)
    as_of = _dates(c[7], "address_as_of")
    other: list[list[Any]] | None = None
    if convert:
        other = [or_none(as_of)]
        for column, pos, money in _OTHER:
            other.append(_text(c[pos]) if money is None else _money(c[pos], column, negative=money[0],
                                                                    digits=money[1]))
    else:
        for column, pos, money in _OTHER:
            if money is not None:
                _check_money(c[pos], column, negative=money[0], digits=money[1])
    return Checked(tins, types, names, street, city, state, zip_code, years, year_text, _hold(c[19]), other)


def or_none(values: list[str]) -> list[str | None]:
    return [value or None for value in values]


def _first(values: Sequence[T], bad: Callable[[T], bool]) -> int:
    return next(pos for pos, value in enumerate(values) if bad(value))


def _tins(col: Sequence[str]) -> list[str]:
    """Nine ASCII digits; 123-45-6789 and 12-3456789 are accepted and lose their dashes."""
    joined = "\x00".join(col)
    if _TIN_COLUMN.fullmatch(joined):           # the usual column: one regex over it, no call a value
        return joined.replace("-", "").split("\x00")
    digits = [value if len(value) == 9 else tin_digits(value) for value in col]
    try:
        blob = "".join(digits)                  # type: ignore[arg-type]  # a None raises TypeError
        if blob.isdigit() and blob.isascii():
            return digits                       # type: ignore[return-value]
    except TypeError:
        pass
    pos = _first(digits, lambda value: value is None or not (value.isdigit() and value.isascii()))
    raise Bad(pos, "tin", "tin is empty" if not col[pos].strip() else "tin is not 9 digits")


def _tin_types(col: Sequence[str]) -> list[str]:
    values = list(col) if _TYPES.issuperset(col) else list(map(str.strip, col))
    if not _TYPES.issuperset(values):
        raise Bad(_first(values, lambda v: v not in _TYPES), "tin_type", "tin_type must be SSN, ITIN or EIN")
    return values


def _text(col: Sequence[str]) -> list[str | None]:
    return [value.strip() or None for value in col]


def _years(col: Sequence[str], max_year: int) -> tuple[list[int], list[str]]:
    """Four-digit years from MIN_YEAR to `max_year`: a record of a tax year after the current one cannot exist
    (RULES.md, PERIODS: the current year is not in the future)."""
    blob = "".join(col)
    if set(map(len, col)) == {4} and blob.isdigit() and blob.isascii():
        years = list(map(int, col))
        if min(years) >= MIN_YEAR and max(years) <= max_year:
            return years, list(col)
    out = []
    for pos, raw in enumerate(col):
        value = raw.strip()
        if not (len(value) == 4 and value.isascii() and value.isdigit()):
            raise Bad(pos, "tax_year", "tax_year is not a 4-digit year")
        if int(value) < MIN_YEAR:
            raise Bad(pos, "tax_year", f"tax_year is before {MIN_YEAR}")
        if int(value) > max_year:
            raise Bad(pos, "tax_year", f"tax_year is after the current year ({max_year})")
        out.append(int(value))
    return out, list(map(str, out))


def _money(col: Sequence[str], column: str, *, negative: bool = False, digits: int = MONEY_DIGITS
           ) -> list[int | None]:
    blob = "".join(col)
    if not blob:
        return [None] * len(col)
    plain = blob.replace("-", "") if negative else blob
    if plain.isdigit() and plain.isascii() and max(map(len, col)) <= digits:
        try:
            if "" not in col:
                return list(map(int, col))
            return list(map(_NONE_IF_EMPTY.get, col, map(int, map(_ZERO_IF_EMPTY.get, col, col))))
        except ValueError:
            pass                                # a misplaced minus: found below
    out: list[int | None] = []
    for pos, raw in enumerate(col):
        value = raw.strip()
        if not value:
            out.append(None)
            continue
        if not _MONEY.fullmatch(value) or len(value.lstrip("-")) > digits:
            raise Bad(pos, column, f"{column} is not a whole number (at most {digits} digits)")
        if value.startswith("-") and not negative:
            raise Bad(pos, column, f"{column} must not be negative")
        out.append(int(value))
    return out


def _check_money(col: Sequence[str], column: str, *, negative: bool, digits: int) -> None:
    """`_money` without the conversion: the fast check alone, else `_money` names the bad value."""
    blob = "".join(col)
    plain = blob.replace("-", "") if negative else blob
    if not blob or (plain.isdigit() and plain.isascii() and max(map(len, col)) <= digits and "-" not in blob):
        return
    if plain.isdigit() and plain.isascii() and max(map(len, col)) <= digits:
        joined = "," + ",".join(col) + ","
        if joined.count("-") == joined.count(",-") and ",-," not in joined:
            return                              # each minus starts a value that has digits after it
    _money(col, column, negative=negative, digits=digits)


def _dates(col: Sequence[str], column: str) -> list[str]:
    values = list(col)
    distinct = set(values)
    distinct.discard("")
    joined = "\x00".join(distinct)
    if _DATE_COLUMN.fullmatch(joined) and all(map(_is_date, _LATE_DAY.findall(joined))):
        return values                           # one regex, and the 29th-31st of a month looked at
    if not all(map(_is_date, distinct)):
        values = list(map(str.strip, col))
        if not all(map(_is_date, set(values).difference({""}))):
            pos = _first(values, lambda v: bool(v) and not _is_date(v))
            raise Bad(pos, column, f"{column} is not a date (YYYY-MM-DD)")
    return values


def _is_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _hold(col: Sequence[str]) -> list[int]:
    if not {"0", "1", ""}.issuperset(col):
        col = list(map(str.strip, col))
        if not {"0", "1", ""}.issuperset(col):
            raise Bad(_first(col, lambda v: v not in _HOLD), "hold", "hold must be 1, 0 or empty")
    return list(map(_HOLD.__getitem__, col))

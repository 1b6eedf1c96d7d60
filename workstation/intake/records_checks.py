"""The checks of the taxpayer records CSV's columns, a chunk of rows at a time (`records_csv` splits the lines).

Each check takes one column — the raw fields of that column for every row of the chunk — checks it as a whole
with C-level operations (`str.isdigit` over the joined column, set membership of the distinct values, ...),
and only when that fails walks it value by value to name the first bad row (`Bad`, a position in the chunk).
They return the values to store: trimmed, empty text as None, numbers as int. `check_chunk` runs them in one
fixed order (tin, tin_type, TIN validity, name, tax_year, address_as_of, agi, total_tax, refund, dependents,
wages, interest, hold), so the error named for a chunk with several bad values is always the same one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import starmap

from workstation.model import TIN_TYPES
from workstation.normalize import tin_digits, tin_valid

MONEY_DIGITS = 12
_NONE_IF_EMPTY = {"": None}
_ZERO_IF_EMPTY = {"": "0"}
_HOLD = {"1": 1, "0": 0, "": 0}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_MONEY = re.compile(r"-?\d+", re.ASCII)
_TYPES = frozenset(TIN_TYPES)


class Bad(Exception):
    """A bad value at a position of the chunk, in a column."""

    def __init__(self, pos: int, column: str, message: str) -> None:
        super().__init__(message)
        self.pos, self.column, self.message = pos, column, message


@dataclass(slots=True)
class Checked:
    """The checked values of a chunk's rows, column by column (the CSV columns, in the CSV's column order)."""

    tins: list[str]
    types: list[str]
    names: list[str]
    street: list[str]                   # trimmed, "" when empty (the address key is made from these)
    city: list[str]
    state: list[str]
    zip: list[str]
    address_as_of: list[str | None]
    years: list[int]
    year_text: list[str]                # the same, as their four digits
    filing_status: list[str | None]
    agi: list[int | None]
    total_tax: list[int | None]
    refund: list[int | None]
    dependents: list[int | None]
    phone: list[str | None]
    bank_account: list[str | None]
    wages: list[int | None]
    employer: list[str | None]
    interest: list[int | None]
    hold: list[int]


def check_chunk(c: list[list[str]]) -> Checked:
    """Check the columns `c` (CSV_COLUMNS order) of a chunk's rows; raise Bad for the first bad value."""
    tins = _tins(c[0])
    types = _tin_types(c[1])
    if not all(starmap(tin_valid, set(zip(tins, types, strict=True)))):    # a TIN has rows for years
        pos = next(pos for pos, ok in enumerate(map(tin_valid, tins, types)) if not ok)
        raise Bad(pos, "tin", f"tin is not a valid {types[pos]}")
    names = [value.strip() for value in c[2]]
    if "" in names:
        raise Bad(names.index(""), "name", "name is empty")
    street, city, state, zip_code = ([value.strip() for value in c[i]] for i in (3, 4, 5, 6))
    years, year_text = _years(c[8])
    return Checked(
        tins, types, names, street, city, state, zip_code, _dates(c[7], "address_as_of"), years, year_text,
        _text(c[9]),
        _money(c[10], "agi", negative=True), _money(c[11], "total_tax"), _money(c[12], "refund"),
        _money(c[13], "dependents", digits=3), _text(c[14]), _text(c[15]), _money(c[16], "wages"),
        _text(c[17]), _money(c[18], "interest"), _hold(c[19]),
    )


def or_none(values: list[str]) -> list[str | None]:
    return [value or None for value in values]


def _first(values: Sequence[str], bad: Callable[[str], bool]) -> int:
    return next(pos for pos, value in enumerate(values) if bad(value))


def _tins(col: Sequence[str]) -> list[str]:
    """Nine ASCII digits; 123-45-6789 and 12-3456789 are accepted and lose their dashes."""
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


def _years(col: Sequence[str]) -> tuple[list[int], list[str]]:
    blob = "".join(col)
    if set(map(len, col)) == {4} and blob.isdigit() and blob.isascii():
        years = list(map(int, col))
        if min(years) >= 1900 and max(years) <= 2100:
            return years, list(col)
    out = []
    for pos, raw in enumerate(col):
        value = raw.strip()
        if not (len(value) == 4 and value.isascii() and value.isdigit()):
            raise Bad(pos, "tax_year", "tax_year is not a 4-digit year")
        if not 1900 <= int(value) <= 2100:
            raise Bad(pos, "tax_year", "tax_year is outside 1900-2100")
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


def _dates(col: Sequence[str], column: str) -> list[str | None]:
    values = list(col)
    distinct = set(values)
    distinct.discard("")
    if not all(map(_is_date, distinct)):
        values = list(map(str.strip, col))
        if not all(map(_is_date, set(values).difference({""}))):
            pos = _first(values, lambda v: bool(v) and not _is_date(v))
            raise Bad(pos, column, f"{column} is not a date (YYYY-MM-DD)")
    return or_none(values)


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

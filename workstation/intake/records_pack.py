"""Rows of the taxpayer records CSV packed for the store (schema 11).

A packed batch is two JSON texts: an array of rows `[tin, tin_type, tax_year, name, name_control, addr_key,
hold]`, and an array of the rows' lines, each the record's CSV line in INTERCHANGE column order (as the file
gives it, or rebuilt when the file's columns are in another order or the record was quoted). SQLite takes the
batch apart itself (`store.records`), so the importing process binds two values a batch instead of 22 a row.
The JSON is made column by column with C-level operations — each column's values become JSON tokens
(`encode_basestring`, or the checked digits as they are), and one `str.join` over the batch lays them out row
after row — which costs a third of `json.dumps` of the rows.

A batch's rows are laid out in key order (TIN, year, type): the table is then a series of sorted runs, and
SQLite's sorts that build the two indexes in TIN order (the unique key, the match index) do about a third less
work. The order of the rows in the table changes nothing else (every read goes through an index or sorts).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from itertools import chain
from json.encoder import encode_basestring  # C-accelerated when available
from operator import itemgetter
from typing import Any

from workstation.intake.records_checks import Checked
from workstation.model import TIN_TYPES
from workstation.normalize import name_control

CSV_COLUMNS: tuple[str, ...] = (
    "tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
    "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account", "wages",
    "employer", "interest", "hold",
)
WIDTH = len(CSV_COLUMNS)
STANDARD_ORDER = list(range(WIDTH))
_TYPE_TOKEN = {name: encode_basestring(name) for name in TIN_TYPES}
_HOLD_TOKEN = ("0]", "1]")               # a row's last value: it closes the row


def json_token(value: str | None) -> str:
    """An address key as a JSON token (the readers memoize these per distinct value)."""
    return "null" if value is None else encode_basestring(value)


def name_and_control(name: str) -> str:
    """A name and its name control as two JSON tokens ("name","control"): a row's fourth and fifth values,
    memoized per distinct name."""
    return f"{encode_basestring(name)},{encode_basestring(name_control(name))}"


@dataclass(frozen=True, slots=True)
class PackedRows:
    """`count` rows in the packed shape: the JSON of the rows, and of their lines."""

    count: int
    rows: str
    lines: str


def chunk_tokens(v: Checked, names: list[str], addresses: list[str], lines: list[str]) -> list[list[str]]:
    """The JSON tokens of a checked chunk's rows, column by column: `names` the tokens of each row's name and
    name control (`name_and_control`), `addresses` of its address key, `lines` the rows' CSV lines
    (`data_lines`). A row's first token opens it, its hold closes it; the lines come last."""
    tins = ('["' + '"\x00["'.join(v.tins) + '"').split("\x00")      # nine digits: nothing to escape
    return [tins, list(map(_TYPE_TOKEN.__getitem__, v.types)), v.year_text, names, addresses,
            list(map(_HOLD_TOKEN.__getitem__, v.hold)), list(map(encode_basestring, lines))]


class Packer:
    """The rows of a batch, collected chunk by chunk (`add`), packed in key order (`packed`)."""

    def __init__(self) -> None:
        self.columns: list[list[str]] = [[] for _ in range(7)]
        self.keys: list[str] = []

    def add(self, tokens: list[list[str]], keys: list[str]) -> None:
        for column, more in zip(self.columns, tokens, strict=True):
            column += more
        self.keys += keys

    def packed(self) -> PackedRows:
        keys = self.keys
        columns: list[Any] = self.columns
        if len(keys) > 1:
            pick = itemgetter(*sorted(range(len(keys)), key=keys.__getitem__))
            columns = [pick(column) for column in columns]
        *values, lines = columns
        return PackedRows(len(keys), "[" + ",".join(chain.from_iterable(zip(*values, strict=True))) + "]",
                          "[" + ",".join(lines) + "]")


def data_lines(lines: list[str], flat: list[str], order: list[int], quoted: set[int]) -> list[str]:
    """Each row's CSV line in INTERCHANGE column order: its own line (the file's order is that one, the row was
    not quoted), or one rebuilt from its fields (`flat`: WIDTH a row, in the file's order)."""
    if order == STANDARD_ORDER and not quoted:
        return lines
    rebuild = range(len(lines)) if order != STANDARD_ORDER else sorted(quoted)
    out = list(lines)
    for pos in rebuild:
        fields = flat[pos * WIDTH:(pos + 1) * WIDTH]
        out[pos] = csv_line([fields[i] for i in order])
    return out


def csv_line(fields: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(fields)
    return buffer.getvalue()

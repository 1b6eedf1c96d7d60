"""A request's subjects packed for the store, with the bytes its package hash takes of them.

A packed batch is one JSON text, an array of rows `[ref, name, tin, street, city, state, zip, periods, case_no,
reason, tin9]` (absent values null, `periods` joined with ";", an address's four cells null when the subject
has none), which SQLite takes apart itself (`store.requests.insert_packed_subjects`): one value bound for a
batch instead of 13 a row. `hashed` is each row's canonical JSON of its first ten values, one after the other:
exactly what the package hash always took of a subject (`canonical_json` of those values).

The JSON is made column by column (`encode_basestring` per value, each distinct `periods` and `reason` once, the
TINs' digits from one regex over the column when they are all written the usual ways) and laid out row after
row by `str.join`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import chain, repeat
from json.encoder import encode_basestring  # C-accelerated when available
from operator import add
from typing import TypeVar

from workstation.intake.subjects_csv import SubjectColumns
from workstation.model import Subject
from workstation.normalize import reason_key, tin_digits

_V = TypeVar("_V")
_NULL_IF_EMPTY = {'""': "null"}
_TIN = r"(?:[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{2}-[0-9]{7}|[0-9]{9})?"      # tin_digits without spaces, or none
_TIN_COLUMN = re.compile(f"{_TIN}(?:\\x00{_TIN})*")


@dataclass(frozen=True, slots=True)
class PackedSubjects:
    count: int
    json: str               # the rows (see the module's docstring)
    hashed: bytes           # canonical JSON of each row's first ten values, one after the other
    reasons: dict[str, int]     # reason_key of each reason given (not empty) -> subjects of the batch giving it


def pack_columns(chunks: Iterable[SubjectColumns]) -> PackedSubjects:
    """The subjects of checked chunks (`subjects_csv.read_subject_chunks`) as one packed batch."""
    bodies: list[str] = []
    tin9s: list[str] = []
    reasons: Counter[str] = Counter()
    for chunk in chunks:
        tin9s += _tin9_tokens(chunk.tin)
        bodies += map(",".join, zip(*_tokens(chunk), strict=True))
        reasons.update(chunk.reason)
    hashed = ("[" + "][".join(bodies) + "]").encode("utf-8") if bodies else b""
    rows = chain.from_iterable(zip(map("[".__add__, bodies), map(add, tin9s, repeat("]")), strict=True))
    return PackedSubjects(len(bodies), "[" + ",".join(rows) + "]", hashed, reason_keys(reasons))


def reason_keys(given: Counter[str]) -> dict[str, int]:
    """Reasons as written (and how many subjects give each) -> reasons as the REASON check compares them
    (`reason_key`, each distinct text folded once), the empty ones left out."""
    keys: dict[str, int] = {}
    for reason, n in given.items():
        if reason and reason.strip():
            key = reason_key(reason)
            keys[key] = keys.get(key, 0) + n
    return keys


def pack_subjects(subjects: list[Subject]) -> PackedSubjects:
    """Subjects read one by one (inline in the request) as one packed batch."""
    empty = ("", "", "", "")
    addresses = [(s.address.street, s.address.city, s.address.state, s.address.zip) if s.address else empty
                 for s in subjects]
    street, city, state, zip_code = (list(column) for column in zip(*addresses, strict=True)) if subjects else (
        [], [], [], [])
    return pack_columns([SubjectColumns(
        [s.ref for s in subjects], [s.name for s in subjects], [s.tin or "" for s in subjects],
        street, city, state, zip_code, [s.periods for s in subjects], [s.case_no or "" for s in subjects],
        [s.reason or "" for s in subjects])])


def _tokens(chunk: SubjectColumns) -> list[list[str]]:
    """The JSON tokens of the chunk's ten hashed values, column by column."""
    address = [chunk.street, chunk.city, chunk.state, chunk.zip]
    has = list(map(any, zip(*address, strict=True)))
    tokens = [list(map(encode_basestring, chunk.ref)), list(map(encode_basestring, chunk.name)),
              _nullable(chunk.tin)]
    for column in address:
        values = list(map(encode_basestring, column))
        tokens.append(values if all(has) else [v if h else "null" for v, h in zip(values, has, strict=True)])
    tokens.append(_distinct(chunk.periods, lambda periods: encode_basestring(";".join(periods))))
    tokens.append(_nullable(chunk.case_no))
    tokens.append(_distinct(chunk.reason, lambda reason: encode_basestring(reason) if reason else "null"))
    return tokens


def _nullable(values: list[str]) -> list[str]:
    encoded = list(map(encode_basestring, values))
    return list(map(_NULL_IF_EMPTY.get, encoded, encoded))


def _distinct(values: list[_V], token: Callable[[_V], str]) -> list[str]:
    """`token` of each value, worked out once per distinct value (periods and reasons repeat)."""
    memo = {value: token(value) for value in set(values)}
    return list(map(memo.__getitem__, values))


def _tin9_tokens(tins: list[str]) -> list[str]:
    """Each subject's TIN as nine digits (`tin_digits`), a JSON token: null when it has none or another."""
    joined = "\x00".join(tins)
    if _TIN_COLUMN.fullmatch(joined):
        digits: Iterable[str | None] = joined.replace("-", "").split("\x00")
    else:
        digits = (tin_digits(tin) if tin else None for tin in tins)
    return ['"' + d + '"' if d else "null" for d in digits]

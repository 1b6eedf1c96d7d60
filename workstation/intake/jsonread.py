"""Reading untrusted JSON files: a size cap, clear "not JSON" errors, and typed field access by JSON path.

    data = load_json(path, source)
    top = Node(data, "$", source).object(("format", "name", ...))
    name = top.text("name", max_len=NAME_MAX)            # required, trimmed, may be ""
    when = top.iso_date("signed_on", required=False)     # absent or null -> None

Every error is an InputError naming the file, the JSON path (`$.subjects[3].address.zip`) and the
problem; none quotes the offending value. Duplicate keys in an object are refused, as are unknown keys.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from workstation import textsafety
from workstation.errors import InputError, plain_name, shown_name
from workstation.inputfiles import read_input_file
from workstation.intake.csvfile import unexpected_error

MAX_JSON_BYTES = 64 * 1024 * 1024
NAME_MAX = 200           # names, titles, agencies, courts, citations, address lines
REF_MAX = 64             # ids, refs, case numbers, codes
TEXT_MAX = 4000          # free text: statements, reasons, notes
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_MISSING = object()
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]", re.ASCII)      # a cheap test before walking the document
_SURROGATE = re.compile("[\ud800-\udfff]")
_LONE = "a \\ud800-\\udfff escape without its pair"
_T = TypeVar("_T")


def guarded(read: Callable[[Path], _T]) -> Callable[[Path], _T]:
    """Turn anything unforeseen while reading a file into one InputError naming the file."""
    @functools.wraps(read)
    def wrapper(path: Path) -> _T:
        try:
            return read(path)
        except InputError:
            raise
        except Exception as exc:
            raise unexpected_error(exc, str(path)) from None
    return wrapper


class _Object(dict[str, Any]):
    """A JSON object that remembers a key it saw twice (reported with its path when read)."""

    duplicate: str | None = None


def _pairs(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                obj.duplicate = key
                break
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def load_json(path: Path, source: str) -> Any:
    """Read and parse a JSON file (UTF-8, BOM allowed, at most MAX_JSON_BYTES)."""
    raw = read_input_file(path, MAX_JSON_BYTES, source=source, what="a JSON file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError("is not UTF-8 text (save the file as UTF-8)", source=source,
                         where=f"line {line}") from None
    try:
        doc = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON: {exc.msg}", source=source,
                         where=f"line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise InputError("is not valid JSON: nested too deeply", source=source) from None
    except ValueError:  # NaN/Infinity, or an integer too long to convert
        raise InputError("is not valid JSON: NaN, Infinity or a number of more than 4300 digits",
                         source=source) from None
    if _ESCAPED_SURROGATE.search(text):         # only then can a string hold one: walk the document
        check_unicode(doc, source)
    return doc


def check_unicode(doc: Any, source: str, path: str = "$") -> None:
    """Refuse a lone surrogate (a `\\ud800`-`\\udfff` escape without its pair) in any string, key or value: it
    is no character, and nothing can be written, logged or hashed with it. Walks without recursion (a document
    may nest as deep as the parser allows)."""
    stack: list[tuple[Any, str]] = [(doc, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise InputError(f"is not valid Unicode text: {_LONE}", source=source, where=where)
        elif isinstance(value, dict):
            for key in reversed(list(value)):
                if _SURROGATE.search(key):
                    raise InputError(f"has a key that is not valid Unicode text: {_LONE}", source=source,
                                     where=f"{where}[{shown_name(key)}]")
                stack.append((value[key], _key_path(where, key)))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]") for i, item in reversed(list(enumerate(value))))


def _key_path(path: str, key: str) -> str:
    """The path of `key` in the object at `path`; a key that is not a short plain name (a file may use anything, a
    taxpayer's name or TIN too) is shown by its length only: `$.purpose[<unrecognised key of 11 characters>]`."""
    return f"{path}.{key}" if plain_name(key) else f"{path}[{shown_name(key)}]"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


class Node:
    """A JSON value at a path, read with type checks."""

    def __init__(self, value: Any, path: str, source: str) -> None:
        self.value, self.path, self.source = value, path, source

    def error(self, message: str) -> InputError:
        return InputError(message, source=self.source, where=self.path)

    def object(self, allowed: Iterable[str]) -> Obj:
        if not isinstance(self.value, dict):
            raise self.error(f"must be an object, not {_kind(self.value)}")
        if isinstance(self.value, _Object) and self.value.duplicate is not None:
            raise InputError("key appears twice", source=self.source,
                             where=_key_path(self.path, self.value.duplicate))
        allowed = tuple(allowed)
        for key in self.value:
            if key not in allowed:
                raise InputError("unknown key (allowed: " + ", ".join(allowed) + ")", source=self.source,
                                 where=_key_path(self.path, key))
        return Obj(self.value, self.path, self.source)

    def text(self, max_len: int, *, multiline: bool = False, non_empty: bool = False) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"must be a string, not {_kind(self.value)}")
        value = self.value.strip()
        if len(value) > max_len:
            raise self.error(f"is longer than {max_len:,} characters")
        refused = textsafety.problem("", value, multiline=multiline)
        if refused:
            raise self.error(refused)
        if non_empty and not value:
            raise self.error("must not be empty")
        return value

    def items(self, max_items: int) -> list[Node]:
        if not isinstance(self.value, list):
            raise self.error(f"must be a list, not {_kind(self.value)}")
        if len(self.value) > max_items:
            raise self.error(f"has more than {max_items:,} entries")
        return [Node(item, f"{self.path}[{i}]", self.source) for i, item in enumerate(self.value)]


class Obj:
    """A checked JSON object. `required=True`: the key must be present and not null; `required=False`:
    absent or null gives None (or the default)."""

    def __init__(self, data: dict[str, Any], path: str, source: str) -> None:
        self.data, self.path, self.source = data, path, source

    def node(self, key: str, required: bool = True) -> Node | None:
        value = self.data.get(key, _MISSING)
        where = _key_path(self.path, key)
        if value is _MISSING or value is None:
            if required:
                message = "missing required field" if value is _MISSING else "must not be null"
                raise InputError(message, source=self.source, where=where)
            return None
        return Node(value, where, self.source)

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def text(self, key: str, max_len: int, *, required: bool = True, multiline: bool = False,
             non_empty: bool = False) -> str | None:
        node = self.node(key, required)
        return node.text(max_len, multiline=multiline, non_empty=non_empty) if node else None

    def flag(self, key: str, *, required: bool = True, default: bool = False) -> bool:
        node = self.node(key, required)
        if node is None:
            return default
        if not isinstance(node.value, bool):
            raise node.error(f"must be true or false, not {_kind(node.value)}")
        return node.value

    def integer(self, key: str, *, minimum: int = 0, maximum: int = 1_000_000,
                required: bool = True) -> int | None:
        node = self.node(key, required)
        if node is None:
            return None
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            raise node.error(f"must be a whole number, not {_kind(node.value)}")
        if not minimum <= node.value <= maximum:
            raise node.error(f"must be between {minimum:,} and {maximum:,}")
        return node.value

    def iso_date(self, key: str, *, required: bool = True) -> str | None:
        node = self.node(key, required)
        return check_date(node) if node else None

    def choice(self, key: str, choices: Iterable[str], *, required: bool = True) -> str | None:
        node = self.node(key, required)
        return check_choice(node, tuple(choices)) if node else None

    def texts(self, key: str, max_items: int, max_len: int, *, required: bool = True,
              choices: Iterable[str] | None = None) -> tuple[str, ...] | None:
        """A list of strings (each trimmed, at most max_len), or of names from `choices` (no repeats)."""
        node = self.node(key, required)
        if node is None:
            return None
        allowed = tuple(choices) if choices is not None else None
        out: list[str] = []
        for item in node.items(max_items):
            value = check_choice(item, allowed) if allowed else item.text(max_len)
            if allowed and value in out:
                raise item.error("is listed twice")
            out.append(value)
        return tuple(out)

    def child(self, key: str, allowed: Iterable[str], *, required: bool = True) -> Obj | None:
        node = self.node(key, required)
        return node.object(allowed) if node else None


def check_date(node: Node) -> str:
    if not isinstance(node.value, str):
        raise node.error(f"must be a date string YYYY-MM-DD, not {_kind(node.value)}")
    value = node.value.strip()
    if not _ISO_DATE.fullmatch(value):
        raise node.error("is not a date in the form YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise node.error("is not a valid calendar date (YYYY-MM-DD)") from None
    return value


def check_choice(node: Node, choices: tuple[str, ...]) -> str:
    if not isinstance(node.value, str):
        raise node.error(f"must be a string, not {_kind(node.value)}")
    value = node.value.strip()
    if value not in choices:
        raise node.error("must be one of: " + ", ".join(choices))
    return value


_KNOWN_FORMATS = {"dws.request/1": "a request package", "dws.court-order/1": "a court order",
                  "dws.agency/1": "an agency register entry"}


def check_format(top: Node, expected: str) -> None:
    """The top level is an object whose `format` is `expected` (checked before anything else)."""
    if not isinstance(top.value, dict):
        raise top.error(f"must be an object, not {_kind(top.value)}")
    if "format" not in top.value:
        raise InputError(f'missing required field (expected "format": "{expected}")', source=top.source,
                         where="$.format")
    value = top.value["format"]
    if value != expected:
        what = _KNOWN_FORMATS.get(value) if isinstance(value, str) else None
        hint = f"; this file is {what} ({value})" if what else ""
        raise InputError(f'must be "{expected}"{hint}', source=top.source, where="$.format")

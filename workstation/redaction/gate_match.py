"""Finding withheld values in a letter's text: the normalization and the index the release gate uses.

A value is looked for as a key of one of three kinds, whatever way it is printed:
- words (names, street lines, employers; any value with letters): the sequence of its words, compared word
  for word with the text's. Case, accents ("José" = "Jose"), apostrophes ("O'Brien" = "OBrien"), other
  punctuation and every run of spaces or line ends ("John\\nSmith", "SMITH, JOHN A." has the words smith
  john a) do not matter; USPS street words are compared in their standard form ("Avenue" = "Ave",
  "Apartment 4" = "Apt 4"). A name of three or more words is also looked for as first and last name, and
  every name of two or more words as "last, first"; a street line also without its unit ("Apt 4").
- digits (TINs, phone numbers, bank accounts): the digits in the groupings such a number is printed in,
  with single spaces, hyphens, dots, slashes or a line end between the groups: a TIN as 123456789,
  123-45-6789, 123 45 6789 or 12-3456789; any number bare or grouped as stored; a phone also as
  (202) 555-0100 and 202 555 0100. Not in any other grouping, and not inside a longer run of digits: a date
  (2026-10-20) or a reference list never spells a TIN by accident.
- money (AGI, tax, refund, wages, interest): the amount after a dollar sign, with or without thousands
  separators and cents ($54,321, $54321.00, $ 54,321). A bare number is not money: reference lists and
  counts are full of them.

What is too short or too common to tell a taxpayer by is not looked for at all (a hit would refuse letters
that disclose nothing): words of fewer than 6 letters and digits in all, or a single word of fewer than 9;
numbers of fewer than 7 digits; amounts of fewer than 3 significant digits ($5,000 is in the penalty
paragraph of every transmittal; $41,000 or $500 alone identify nobody).

The text side is indexed once per letter (`TextIndex`): its words, its digit groupings and its amounts. A
value is then tested in constant time for digits and money, and for words first against the text's
vocabulary (a value with a word the letter does not contain cannot be in it) and then, for the few that
pass, by one scan of the text's words. No value is ever searched for as a substring of the whole text.
"""

from __future__ import annotations

import re
import string
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from ..letters.text import pdf_safe
from ..usps import STREET_WORDS, UNIT_DESIGNATORS

MIN_WORD_CHARS = 6          # letters and digits of a value of two or more words
MIN_SINGLE_WORD = 9         # of a one-word value
MIN_DIGITS = 7              # a number (TIN, phone, account) is looked for from 7 digits
MAX_DIGITS = 19
MIN_SIGNIFICANT = 3         # an amount is looked for from 3 significant digits ($54,300 yes, $54,000 no)

WORD_MAP: dict[str, str] = {k.lower(): v.lower() for k, v in STREET_WORDS.items()}
_UNITS = frozenset({u.lower() for u in UNIT_DESIGNATORS} | {"#"})
_NAME_SUFFIXES = frozenset(("jr", "sr", "ii", "iii", "iv", "v", "esq", "md", "phd"))
_SPACES = bytes(32 if 0 < b < 128 and not chr(b).isalnum() else b for b in range(256))   # keeps the NUL
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_APOSTROPHES = ("'", "\u2019", "\u2018", "`")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_WORDS = str.maketrans({**{c: " " for c in string.punctuation}, "'": None, "`": None})
_CLUSTER = re.compile(r"(?=[\d \n./-]{7})\d+(?:(?:-\n|[ \n./-])\d+)*", re.ASCII)   # 7+ characters
_GROUP_SEP = re.compile(r"-\n|[ \n./-]", re.ASCII)
_PHONE = re.compile(r"\((\d{3})\) ?(\d{3})[ .-]?(\d{4})(?!\d)", re.ASCII)
_MONEY = re.compile(r"\$ ?(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d\d)?(?!\d)", re.ASCII)
_NOT_DIGIT = re.compile(r"\D", re.ASCII)
_DIGITS_ONLY = str.maketrans("", "", "".join(chr(c) for c in range(128) if not chr(c).isdigit()))
_SEPARATOR = "\x00"          # between parts and pieces: no phrase, no number runs from one into the next
_NUMBERS = frozenset(("phone", "bank_account", "tin"))
_CHUNK = 1 << 18

Key = tuple[Any, ...]        # ("words", tokens) | ("digits", digits, groupings) | ("money", amount)
TIN_GROUPINGS = ((9,), (3, 2, 4), (2, 7))


def fold(text: str) -> str:
    """Lower case, accents and apostrophes removed, any other character that is not a letter or a digit
    outside ASCII made a space: the form both a letter's text and a value are read in."""
    text = text.lower()
    if not text.isascii():
        for c in set(_NON_ASCII.findall(text)):
            text = text.replace(c, _fold_char(c))
    for a in ("'", "`"):
        if a in text:
            text = text.replace(a, "")
    return text


@cache
def _fold_char(c: str) -> str:
    if c in _APOSTROPHES:
        return ""
    f = _COMBINING.sub("", unicodedata.normalize("NFKD", c.casefold()))
    return "".join(x if x.isascii() or x.isalnum() else " " for x in f)


def tokens(folded: str) -> list[str]:
    """The words of folded text: runs of letters and digits."""
    return folded.encode().translate(_SPACES).decode().split()


def words(value: str) -> list[str]:
    """The words of a value as the index compares them (fold, split at anything not a letter or digit,
    USPS street words in their standard form)."""
    raw = value.lower().translate(_ASCII_WORDS).split() if value.isascii() else tokens(fold(value))
    return [WORD_MAP.get(w, w) for w in raw]


def _long_enough(tokens: Sequence[str]) -> bool:
    n = sum(map(len, tokens))
    return n >= MIN_SINGLE_WORD if len(tokens) == 1 else n >= MIN_WORD_CHARS


def word_keys(tokens: list[str], element: str) -> list[Key]:
    """The keys a value of words is looked for as (see the module docstring), the long enough ones."""
    out = [tuple(tokens)]
    if element == "name" and len(tokens) >= 2:
        core = tokens[:-1] if tokens[-1] in _NAME_SUFFIXES and len(tokens) > 2 else tokens
        out += [(core[0], core[-1]), (core[-1], core[0])]
    elif element == "address":
        unit = next((i for i, t in enumerate(tokens) if t in _UNITS and i >= 2), None)
        if unit is not None:
            out.append(tuple(tokens[:unit]))
    return [("words", t) for t in dict.fromkeys(out) if _long_enough(t)]


def digit_key(value: str, groupings: Iterable[tuple[int, ...]] = ()) -> Key | None:
    """A number (phone, account, TIN) as digits and the groupings it may be printed in: bare, as stored, and
    any given; None when it has too few digits or is not a number."""
    groups = [g for g in _GROUP_SEP.split(value.strip().replace("(", "").replace(")", " ")) if g]
    if not groups or not all(g.isdigit() and g.isascii() for g in groups):
        return None
    digits = "".join(groups)
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    found = {(len(digits),), tuple(map(len, groups)), *groupings}
    if len(digits) == 10:
        found |= {(3, 3, 4), (3, 7)}
    return ("digits", digits, tuple(sorted(g for g in found if sum(g) == len(digits))))


def tin_key(nine: str) -> Key:
    return ("digits", nine, TIN_GROUPINGS)


def money_key(amount: int) -> Key | None:
    n = abs(int(amount))
    return ("money", n) if len(str(n).rstrip("0")) >= MIN_SIGNIFICANT else None


def value_keys(element: str, value: object) -> list[Key]:
    """Every key a stored value of `element` is looked for as."""
    if value is None or value == "":
        return []
    if isinstance(value, int) and element in ("agi", "total_tax", "refund", "wages", "interest"):
        key = money_key(value)
        return [key] if key else []
    text = str(value)
    if element == "tin":
        digits = _NOT_DIGIT.sub("", text)
        return [tin_key(digits)] if len(digits) == 9 else []
    if element in ("phone", "bank_account"):
        key = digit_key(text)
        if key is not None:
            return [key]
        if not any(c.isalpha() for c in text):
            return []
    if element in ("name", "address", "employer", "phone", "bank_account"):
        keys = word_keys(words(text), element)
        if not text.isascii() and (printed := pdf_safe(text)) != text:    # as a letter prints it: "?ukasz"
            keys += [k for k in word_keys(words(printed), element) if k not in keys]
        return keys
    return []           # filing status, dependents: not distinctive


@dataclass(frozen=True, slots=True)
class Found:
    count: int
    where: tuple[str, ...]      # the parts it occurs in


class TextIndex:
    """The words, digit groupings and amounts of a letter's text parts: (where, text), or (where, texts) for a
    part made of separate pieces (no phrase runs from one piece into the next). Words are kept as read;
    `vocabulary` holds them in their compared (USPS) form."""

    def __init__(self, parts: Iterable[tuple[str, str | Sequence[str]]]) -> None:
        self._folded: list[tuple[str, str]] = []      # (where, folded text); words are split when counted
        self.digits: list[tuple[str, Counter[tuple[str, tuple[int, ...]]]]] = []
        self.money: list[tuple[str, Counter[int]]] = []
        read: set[str] = {_SEPARATOR}
        for where, texts in parts:
            if isinstance(texts, str):
                folded = fold(texts.replace(_SEPARATOR, " "))
            else:
                folded = fold("\n\x00\n".join(t.replace(_SEPARATOR, " ") for t in texts))
            for piece in _pieces(folded):                 # a million words never sit in a list at once
                read.update(tokens(piece))
            self._folded.append((where, folded))
            self.digits.append((where, _digit_groupings(folded)))
            self.money.append((where, Counter(int(m.replace(",", "")) for m in _MONEY.findall(folded))))
        self._read = frozenset(read)
        self._mapped = not WORD_MAP.keys().isdisjoint(self._read)      # some word is read in another form
        self.vocabulary = frozenset(WORD_MAP.get(t, t) for t in self._read)
        self.digit_strings = frozenset(d for _w, counter in self.digits for d, _g in counter)
        self.amounts = frozenset(a for _w, counter in self.money for a in counter)

    def words_read_as(self) -> list[str]:
        """Every word that reads as one of the vocabulary's, and the name suffixes a name may end with (for a
        store query that must not miss any)."""
        return sorted({w for w in self.vocabulary if WORD_MAP.get(w, w) in self.vocabulary}
                      | {k for k, v in WORD_MAP.items() if v in self.vocabulary} | _NAME_SUFFIXES)

    def nine_digit_numbers(self) -> list[str]:
        """The digits of every TIN-like number the text holds (grouped as a TIN may be printed)."""
        return sorted({d for _w, counter in self.digits for d, g in counter if g in TIN_GROUPINGS})

    def may_show(self, element: str, value: object) -> bool:
        """A quick test before a value's keys are made: False when none of them can be in the text (a word
        every key of the value includes is not; its digits are in no grouping; the amount is nowhere after a
        dollar sign)."""
        if isinstance(value, int):
            return abs(value) in self.amounts
        if not isinstance(value, str) or not value:
            return False
        if element in _NUMBERS:
            digits = value.translate(_DIGITS_ONLY)
            if len(digits) >= MIN_DIGITS and digits.isdigit() and value.lower() == value.upper():   # no letters
                return digits in self.digit_strings
        if not value.isascii():
            return True
        raw = value.lower().translate(_ASCII_WORDS).split()
        if not raw:
            return False
        # Every key of a name holds its first and last words (bar a suffix), of a street its first two words.
        voc = self.vocabulary
        if WORD_MAP.get(raw[0], raw[0]) not in voc:
            return False
        if element == "name" and len(raw) > 2 and raw[-1] in _NAME_SUFFIXES:
            return True
        other = raw[-1] if element == "name" else raw[1] if element == "address" and len(raw) > 1 else raw[0]
        return WORD_MAP.get(other, other) in voc

    def may_hold(self, key: Key) -> bool:
        """False when `key` is certainly not in the text (cheap); True for digits and money that are, and for
        words that all occur somewhere (`count` tells whether in sequence)."""
        if key[0] == "words":
            return self.vocabulary.issuperset(key[1])
        return self._count_simple(key).count > 0

    def _count_simple(self, key: Key) -> Found:
        n, where = 0, []
        if key[0] == "money":
            for w, counter in self.money:
                if counter[key[1]]:
                    n += counter[key[1]]
                    where.append(w)
        else:
            for w, grouped in self.digits:
                c = sum(grouped[(key[1], g)] for g in key[2])
                if c:
                    n += c
                    where.append(w)
        return Found(n, tuple(where))

    def count(self, keys: Iterable[Key]) -> dict[Key, Found]:
        """How often each key occurs, and where (keys that do not occur are left out)."""
        out: dict[Key, Found] = {}
        phrases: dict[str, dict[int, set[tuple[str, ...]]]] = {}
        for key in keys:
            if key[0] == "words":
                if self.vocabulary.issuperset(key[1]):
                    phrases.setdefault(key[1][0], {}).setdefault(len(key[1]), set()).add(key[1])
            else:
                found = self._count_simple(key)
                if found.count:
                    out[key] = found
        if not phrases:
            return out
        starts = {t for t in self._read if WORD_MAP.get(t, t) in phrases}
        longest = max(n for by_length in phrases.values() for n in by_length)
        hits: dict[tuple[str, ...], list[int]] = {}
        toks: list[str] = []
        ends: list[int] = []
        for _where, folded in self._folded:
            toks += tokens(folded)
            toks.append(_SEPARATOR)
            ends.append(len(toks))
        at = [i for i, t in enumerate(toks) if t in starts]
        each = self._mapped
        if each and len(at) * longest > len(toks):      # many: read every word in its compared form once
            toks, each = [WORD_MAP.get(t, t) for t in toks], False
        for i in at:
            window = toks[i:i + longest]
            if each:
                window = [WORD_MAP.get(t, t) for t in window]
            for n, wanted in phrases[window[0]].items():
                phrase = tuple(window[:n])
                if phrase in wanted:
                    hits.setdefault(phrase, []).append(i)
        for phrase, at in hits.items():
            where = dict.fromkeys(self._folded[bisect_right(ends, i)][0] for i in at)
            out[("words", phrase)] = Found(len(at), tuple(where))
        return out


def _pieces(text: str) -> Iterator[str]:
    """`text` in pieces of about _CHUNK characters, cut at spaces (so no word is cut)."""
    start = 0
    while start < len(text):
        end = text.find(" ", start + _CHUNK)
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end


def _digit_groupings(folded: str) -> Counter[tuple[str, tuple[int, ...]]]:
    """(digits, group lengths) of every run of 1 to MAX_DIGITS digits, 7 or more in all, that consecutive
    digit groups spell; and of each phone number written (202) 555-0100. Each distinct cluster of digit groups
    is taken apart once (a 47,000-subject schedule prints 54,000 of them, 7,400 distinct: its dates)."""
    out: Counter[tuple[str, tuple[int, ...]]] = Counter()
    clusters = Counter(c for c in _CLUSTER.findall(folded) if len(c) >= MIN_DIGITS)
    for cluster, times in clusters.items():
        for key in _cluster_groupings(cluster):
            out[key] += times
    for m in _PHONE.findall(folded):
        out[("".join(m), (3, 3, 4))] += 1
    return out


def _cluster_groupings(cluster: str) -> list[tuple[str, tuple[int, ...]]]:
    """The (digits, group lengths) a cluster of digit groups spells, once for each place it does."""
    if cluster.isdigit():
        return [(cluster, (len(cluster),))] if len(cluster) <= MAX_DIGITS else []
    out = []
    groups = _GROUP_SEP.split(cluster)
    lens = [len(g) for g in groups]
    left = sum(lens)
    for i in range(len(groups)):
        if left < MIN_DIGITS:
            break
        left -= lens[i]
        total = 0
        for j in range(i, len(groups)):
            total += lens[j]
            if total > MAX_DIGITS:
                break
            if total >= MIN_DIGITS:
                out.append(("".join(groups[i:j + 1]), tuple(lens[i:j + 1])))
    return out

"""Codes in words: what a letter prints for a coded value (domain/RULES.md, "Letters": the recipient reads
words, not the office's codes). The words are letter texts (resources/letters/common.json, "code_words")."""

from __future__ import annotations

import re
from functools import cache
from typing import Any


def filing_status(value: object, texts: dict[str, Any]) -> object:
    """A filing status code ("mfj") in words ("Married filing jointly"); any other value as it is."""
    words = texts["common"]["code_words"]["filing_status"]
    return words.get(value.strip().lower(), value) if isinstance(value, str) else value


@cache
def _codes_pattern(codes: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(codes, key=len, reverse=True))) + r")(?![\w-])")


def in_words(text: str, texts: dict[str, Any]) -> str:
    """`text` (a finding's message) with every role or purpose code it names in words: "The signer's role
    ('delegate') may not sign ...; allowed: doj-listed, head-of-agency" reads "allowed: listed Department of
    Justice official, head of a federal agency"."""
    words: dict[str, str] = texts["common"]["code_words"]["codes"]
    return _codes_pattern(tuple(words)).sub(lambda m: words[m.group(1)], text)

"""Find taxpayer identifiers in free text (reasons, remarks, justifications) before it reaches a letter.

`scan_free_text` returns (kind, start, end) for each SSN, ITIN, EIN, bank account and phone number;
`mask_free_text` replaces each with "[REDACTED SSN]", "[REDACTED BANK ACCOUNT]", .... The scanner errs on the
side of masking a number, but leaves alone what officers legitimately write: dates ("2024-11-02"), years,
case numbers ("CR-24-1187", "1:25-cv-00457"), ZIP codes, statute citations ("26 U.S.C. 6103(i)(2)").
"""

from __future__ import annotations

import re

from workstation.normalize import tin_valid

KINDS: tuple[str, ...] = ("SSN", "ITIN", "EIN", "BANK_ACCOUNT", "PHONE")

_START = r"(?<!\d)(?<!\d-)"            # not inside a longer number or hyphenated chain
_END = r"(?!\d)(?!-\d)"
# Formatted identifiers, tried in this order at each position.
_FORMATTED = re.compile(
    rf"(?P<PHONE>(?<![\d+])(?:\+?1[ .-]?)?(?:\(\d{{3}}\)[ .-]?|\d{{3}}[ .-])\d{{3}}[ .-]\d{{4}}{_END})"
    rf"|(?P<TIN>{_START}\d{{3}}([-. ])\d{{2}}\3\d{{4}}{_END})"
    rf"|(?P<EIN>{_START}\d{{2}}-\d{{7}}{_END})"
    rf"|(?P<RUN>(?<![\d.,/-])\d{{9,17}}(?!\d)(?![.,]\d)(?!-\d))",
    re.ASCII,
)
# A number of 8 to 17 digits (single spaces or hyphens allowed) shortly after an account word.
_ACCOUNT = re.compile(
    r"\b(?:bank\s+account|account|acct|a/c|routing|aba|iban|checking|savings|deposit)s?\b"
    r"[^\d\n]{0,30}?(?P<num>\d(?:[ -]?\d){7,20})(?!\d)",
    re.ASCII | re.IGNORECASE,
)
_ACCOUNT_HINTS = ("acc", "a/c", "rout", "aba", "iban", "check", "saving", "deposit")
_DATE = re.compile(
    r"(?:19|20)\d\d[- ]?(?:0[1-9]|1[0-2])[- ]?(?:0[1-9]|[12]\d|3[01])"
    r"|(?:0[1-9]|1[0-2])[- ]?(?:0[1-9]|[12]\d|3[01])[- ]?(?:19|20)\d\d",
    re.ASCII,
)
_NANP = re.compile(r"1?[2-9]\d\d[2-9]\d{6}", re.ASCII)
_DIGITS = b"0123456789"
_MIN_DIGITS = 8                        # nothing we look for has fewer digits
# Runs of digits and the separators they are written with; only those with 8+ digits are examined further.
_CLUSTER = re.compile(r"\d[\d ().+-]{7,}", re.ASCII)
_KEYWORD_REACH = 45                    # "routing and account number: " ...


def _tin_kind(digits: str) -> str:
    return "ITIN" if tin_valid(digits, "ITIN") else "SSN"


def _run_kind(digits: str) -> str:
    """A bare run of 9-17 digits with no account word before it."""
    if len(digits) == 9:
        return _tin_kind(digits)
    if len(digits) in (10, 11) and _NANP.fullmatch(digits):
        return "PHONE"
    return "BANK_ACCOUNT"


def _digit_count(text: str) -> int:
    raw = text.encode("utf-8", "surrogatepass")
    return len(raw) - len(raw.translate(None, _DIGITS))


def scan_free_text(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every SSN, ITIN, EIN, bank account or phone number in `text`, in order."""
    if _digit_count(text) < _MIN_DIGITS:
        return []
    # (priority, start, end, kind): formatted identifiers beat account-word numbers, which beat bare runs.
    found: list[tuple[int, int, int, str]] = []
    for cluster in _CLUSTER.finditer(text):
        if _digit_count(cluster.group()) < _MIN_DIGITS:
            continue                                       # "CR-24-1187 (", "2024 ", "6103(i)(2)"
        start, end = cluster.span()
        before = max(0, start - _KEYWORD_REACH)
        preceding = text[before:start].lower()
        if any(h in preceding for h in _ACCOUNT_HINTS):
            for m in _ACCOUNT.finditer(text, before, end):
                number = m.group("num")
                if _MIN_DIGITS <= _digit_count(number) <= 17 and not _DATE.fullmatch(number):
                    found.append((1, m.start("num"), m.end("num"), "BANK_ACCOUNT"))
        for m in _FORMATTED.finditer(text, max(0, start - 2), end):
            group = m.lastgroup
            if group == "RUN":
                found.append((2, m.start(), m.end(), _run_kind(m.group())))
            elif group == "TIN":
                digits = m.group()
                found.append((0, m.start(), m.end(), _tin_kind(digits[:3] + digits[4:6] + digits[7:])))
            else:
                found.append((0, m.start(), m.end(), group or ""))
    if len(found) > 1:
        found.sort()
        kept: list[tuple[int, int, int, str]] = []
        for hit in found:
            if all(hit[2] <= k[1] or hit[1] >= k[2] for k in kept):
                kept.append(hit)
        found = kept
    return [(kind, start, end) for _, start, end, kind in sorted(found, key=lambda h: h[1])]


def mask_free_text(text: str) -> str:
    """`text` with every identifier found by `scan_free_text` replaced by "[REDACTED <KIND>]"."""
    hits = scan_free_text(text)
    if not hits:
        return text
    parts: list[str] = []
    pos = 0
    for kind, start, end in hits:
        parts.append(text[pos:start])
        parts.append(f"[REDACTED {kind.replace('_', ' ')}]")
        pos = end
    parts.append(text[pos:])
    return "".join(parts)

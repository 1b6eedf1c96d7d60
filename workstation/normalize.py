"""Keys used for matching: TIN digits and validity, name control, normalized address key.

Computed once per taxpayer record at import and once per subject at evaluation, so they must be fast.
(Initial version; refined with USPS Publication 28 normalization.)
"""

from __future__ import annotations

import re

_NON_DIGIT = re.compile(r"[^0-9]")
_SUFFIXES = {"JR", "SR", "II", "III", "IV", "V"}


def tin_digits(text: str) -> str | None:
    """The nine digits of a TIN written with or without dashes/spaces, or None if it is not nine digits."""
    digits = _NON_DIGIT.sub("", text)
    if len(digits) != 9 or len(digits) != len(text.replace("-", "").replace(" ", "")):
        return None
    return digits


def tin_valid(digits: str, tin_type: str) -> bool:
    from stdnum.us import ein, itin, ssn

    mod = {"SSN": ssn, "ITIN": itin, "EIN": ein}.get(tin_type)
    return bool(mod and mod.is_valid(digits))


def name_control(name: str) -> str:
    """First four letters of the last name (IRS name control)."""
    text = name.upper()
    if "," in text:
        last = text.split(",", 1)[0]
    else:
        tokens = [t for t in re.split(r"\s+", text.strip()) if t.strip(".") not in _SUFFIXES]
        last = tokens[-1] if tokens else ""
    return re.sub(r"[^A-Z]", "", last)[:4]


def address_key(street: str, city: str, state: str, zip_code: str) -> str:
    """A normalized address key: equal keys mean the same address after normalization."""
    def norm(s: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"[^A-Z0-9 ]", " ", s.upper())).strip()

    return "|".join((norm(street), norm(city), state.strip().upper(), zip_code.strip()[:5]))

"""Store settings: thresholds the rules use, office details the letters use, workstation controls.

Every value here is data a counsel user or an admin may revise (and each change is logged), not a
constant buried in code. `DEFAULTS` gives each setting's type and default value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypedDict

from workstation import textsafety

SettingValue = bool | int | str | list[str]


class Settings(TypedDict):
    """Every setting with its type, as `Session.settings()` returns them (the keys of DEFAULTS: a test checks)."""

    officer_caseload_limit: int
    reason_duplicate_limit: int
    bulk_threshold: int
    consent_max_age_days: int
    request_stale_days: int
    civil_enforcement_words: list[str]
    agency_due_days: int
    foia_due_working_days: int
    idle_lock_minutes: int
    witness_folder: str
    office_name: str
    office_address_lines: list[str]
    office_phone: str
    office_signature_name: str
    office_signature_title: str
    foia_public_liaison: str
    foia_appeal_address_lines: list[str]


DEFAULTS: dict[str, SettingValue] = {
    # rules (domain/RULES.md)
    "officer_caseload_limit": 100,
    "reason_duplicate_limit": 3,
    "bulk_threshold": 100,
    "consent_max_age_days": 120,
    "request_stale_days": 365,
    "civil_enforcement_words": ["removal", "deportation", "deport", "civil enforcement", "immigration status",
                                "remove", "removable", "detention", "detain", "visa overstay", "overstay"],
    # time limits
    "agency_due_days": 30,
    "foia_due_working_days": 20,
    # workstation controls
    "idle_lock_minutes": 15,
    "witness_folder": "",       # where checkpoints of the audit log go on lock and exit ("": beside the store)
    # office (letters)
    "office_name": "Disclosure Office",
    "office_address_lines": ["1111 Constitution Ave NW", "Washington, DC 20224"],
    "office_phone": "(202) 555-0100",
    "office_signature_name": "J. Doe",              # the officer who signs letters, and their title (never the
    "office_signature_title": "Disclosure Manager",  # same text: the signature block prints both)
    "foia_public_liaison": "FOIA Public Liaison, Disclosure Office, 1111 Constitution Ave NW, Washington, DC 20224; "
                           "(202) 555-0101",
    "foia_appeal_address_lines": ["FOIA Appeals, Disclosure Office", "1111 Constitution Ave NW",
                                  "Washington, DC 20224"],
}

# Who may change which settings: rule thresholds belong to counsel, the rest to an admin (or counsel).
COUNSEL_SETTINGS = {"officer_caseload_limit", "reason_duplicate_limit", "bulk_threshold",
                    "consent_max_age_days", "request_stale_days", "civil_enforcement_words"}


# The largest whole number a setting takes (the Settings dialog's spin boxes stop here too): days and counts
# beyond it mean nothing, and a due date that many days out is past the calendar's end.
INT_MAX = 1_000_000_000
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def coerce(key: str, value: object) -> SettingValue:
    """Check `value` has the default's type; returns it (ints from strings are accepted). Text is one line of
    valid Unicode: no control characters, no invisible formatting characters (`textsafety`: office details are
    printed on letters), no lone surrogates (a JSON `\\ud800` or an undecodable argument)."""
    if key not in DEFAULTS:
        raise KeyError(key)
    default = DEFAULTS[key]
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ValueError("expected true or false")
    if isinstance(default, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) < 20:
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INT_MAX:
            return value
        raise ValueError(f"expected a whole number from 0 to {INT_MAX:,}")
    if isinstance(default, list):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            for v in value:
                _check_text(v)
            return value
        raise ValueError("expected a list of strings")
    if isinstance(value, str):
        _check_text(value)
        return value
    raise ValueError("expected text")


SIGNATURE_PAIR = ("office_signature_name", "office_signature_title")


def same_text(a: str, b: str) -> bool:
    """The same words, whatever the case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def pair_refusal(key: str, value: object, current: Mapping[str, object]) -> str | None:
    """Why `value` may not be stored for `key` given the other settings (`current`), or None: the signing
    officer's title may not be their name (a letter would print "Disclosure Manager, Disclosure Manager")."""
    if key not in SIGNATURE_PAIR or not isinstance(value, str):
        return None
    other = SIGNATURE_PAIR[1] if key == SIGNATURE_PAIR[0] else SIGNATURE_PAIR[0]
    if same_text(value, str(current.get(other, ""))):
        return ("the signing officer's name and title are the same text; give the officer's name in "
                "office_signature_name and their title in office_signature_title")
    return None


def _check_text(text: str) -> None:
    if _SURROGATE.search(text):
        raise ValueError("the text is not valid Unicode (a lone surrogate)")
    refused = textsafety.problem("the text", text)
    if refused:
        raise ValueError(refused)

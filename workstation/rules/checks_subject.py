"""Subject-level checks NAME and ADDRESS (RULES.md), as pure functions.

Each returns None when the check passes, or a short officer-readable message saying what is wrong. A
message never repeats the taxpayer's values (no name, TIN or address text): it goes into logs and letters.
Called once per subject on requests of a million names, so everything is precomputed tables and sets.
"""

from __future__ import annotations

import re
import unicodedata

from workstation.normalize import street_tokens, tin_digits
from workstation.usps import (
    DIRECTIONALS,
    STATE_CODES,
    UNIT_DESIGNATORS,
    UNITS_NEEDING_NUMBER,
)

NAME_MISSING = "Name is missing"
NAME_NO_LETTERS = "Name has no letters"
NAME_PLACEHOLDER = "Name is a placeholder, not a real name"
NAME_DIGITS = "Name contains digits"
NAME_NO_WORD = "Name has no word of two or more letters"

STREET_MISSING = "Street address is missing"
ADDRESS_PLACEHOLDER = "Address contains a placeholder instead of real address data"
STREET_IS_TIN = "Street line is a taxpayer identification number, not an address"
STREET_HAS_TIN = "Street line contains a taxpayer identification number"
STREET_IS_ZIP = "Street line is only a ZIP code, not an address"
NO_HOUSE_NUMBER = "Street has no house number"
NO_STREET_NAME = "Street has no street name"
PO_BOX_NO_NUMBER = "PO Box has no box number"
RURAL_INCOMPLETE = "Rural route or highway contract address needs a route number and a box number"
MILITARY_INCOMPLETE = "Military address needs a unit number and a box number"
UNIT_NO_NUMBER = "Apartment or unit designator has no unit number"
CITY_MISSING = "City is missing"
CITY_INVALID = "City is not a place name"
STATE_MISSING = "State is missing"
STATE_INVALID = "State is not a valid USPS state or territory code"
ZIP_MISSING = "ZIP code is missing"
ZIP_INVALID = "ZIP code is not 5 or 9 digits"
ZIP_ZEROS = "ZIP code is all zeros"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split("|"))


# Upper case, "." "'" "/" deleted ("N/A" -> NA, "DON'T" -> DONT), other punctuation -> space.
_LOOSE_BYTES = bytes(
    b if b >= 128 else ord(chr(b).upper()) if chr(b).isalnum() else 0x20 for b in range(256)
)
_LOOSE_DELETE = b".'`/"

# "XXX", "AAAA": three or more of one letter (but not the suffix "III").
_REPEATED = frozenset(ch * n for ch in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for n in range(3, 25)) - {"III"}
# A whole field equal to one of these is a placeholder.
_PLACEHOLDERS_COMMON = _words(
    "UNKNOWN|UNK|NA|NONE|NULL|NIL|TEST|TESTING|DONT CARE|DO NOT CARE|TBD|TBA|SAME|SAME AS ABOVE|VARIOUS|"
    "NOT APPLICABLE|NOT AVAILABLE|NOT PROVIDED|NOT KNOWN|NOT GIVEN|REDACTED|PLACEHOLDER|DUMMY|SAMPLE|"
    "ASDF|QWERTY|SEE ATTACHED|SEE ABOVE|SEE LIST|BLANK|EMPTY|DECLINED|REFUSED|ANY|ON FILE"
)
_NAME_PLACEHOLDERS = _PLACEHOLDERS_COMMON | _words(
    "JOHN DOE|JANE DOE|BABY DOE|JOHN ROE|JANE ROE|RICHARD ROE|TAXPAYER|THE TAXPAYER|NAME|NO NAME|ANONYMOUS|"
    "NOBODY|SOMEONE|SUBJECT|FIRST LAST|FIRST NAME LAST NAME|FIRSTNAME LASTNAME|LAST FIRST|FNU LNU|LNU FNU|"
    "TEST USER|TEST TEST|UNKNOWN UNKNOWN"
)
_ADDRESS_PLACEHOLDERS = _PLACEHOLDERS_COMMON | _words(
    "NO ADDRESS|NONE GIVEN|HOMELESS|NO FIXED ADDRESS|TRANSIENT|ADDRESS|STREET|CITY|ANYWHERE|NOWHERE|"
    "ADDRESS UNKNOWN|UNKNOWN ADDRESS|NO KNOWN ADDRESS"
)
# Words that make a name placeholder when every word is one ("FNU LNU", "UNKNOWN NMN").
_NAME_FILLER = _words("UNKNOWN|UNK|FNU|LNU|NFN|NLN|NMN|NA|NONE|NULL|NIL|TEST|TBD|TBA|REDACTED|DUMMY|NAME|X")
# Words that make a field placeholder wherever they occur.
_NAME_NEVER = _words("UNKNOWN|REDACTED|PLACEHOLDER|TBD|ASDF|QWERTY|DONTCARE|DUMMY") | _REPEATED
# Words that make a name placeholder as its first or its last name ("FNU Garrison", "Garrison, LNU"). "NA" too:
# "N/A" in any punctuation; that "N.A." may be two initials, or "Na" a family name, is the lesser risk.
_NAME_PART_PLACEHOLDERS = _words("FNU|LNU|NFN|NLN|NA|UNK|UNKNOWN|UNKNWN|NONE|NULL|NIL|TEST|TBD|TBA|REDACTED|DUMMY|"
                                 "PLACEHOLDER|NONAME") | _REPEATED
_NAME_SUFFIX_WORDS = _words("JR|SR|JNR|SNR|II|III|IV|V|2ND|3RD|4TH|ESQ|MD|PHD|DDS|DVM|CPA")
_ADDRESS_NEVER = _words(
    "UNKNOWN|REDACTED|PLACEHOLDER|TBD|TBA|ASDF|QWERTY|DONTCARE|DUMMY|VARIOUS|ANYTOWN|TEST|HOMELESS"
) | _REPEATED
_PHRASES = (
    " DONT CARE ", " DO NOT CARE ", " NOT APPLICABLE ", " NOT AVAILABLE ", " NOT PROVIDED ", " NOT KNOWN ",
    " SAME AS ", " NO ADDRESS ", " NO FIXED ADDRESS ",
)
_PHRASE_WORDS = frozenset(w for p in _PHRASES for w in p.split()[:1])
_N_SLASH_A = re.compile(r"\bN\s*/\s*A\b", re.IGNORECASE)
_ORDINAL = re.compile(r"\d+(?:ST|ND|RD|TH)", re.ASCII)

_HOUSE_NUMBER = re.compile(r"[NSEW]?\d{1,6}[A-Z]?|\d{1,3}-\d{1,4}[A-Z]?|[NSEW]\d{1,6}[NSEW]\d{1,6}", re.ASCII)
_ZIP = re.compile(r"\d{5}(?:-?\d{4})?", re.ASCII)
_TIN_INSIDE = re.compile(r"(?<![\d-])(?:\d{3}-\d{2}-\d{4}|\d{2}-\d{7}|\d{9})(?![\d-])", re.ASCII)
_FRACTION = re.compile(r"\d+/\d+", re.ASCII)
# Puerto Rico addresses put the urbanization or calle first ("URB LAS GLADIOLAS 150 CALLE A").
_PR_LEADS = _words("URB|URBANIZACION|COND|CONDOMINIO|RES|RESIDENCIAL|BO|BARRIO|PARC|PARCELAS|BDA|BARRIADA|"
                   "EXT|JARD|JARDINES|CALLE|SECTOR|CARR|CARRETERA|VILLA|VILLAS")
_MILITARY_LEADS = frozenset({"PSC", "CMR", "UNIT"})
# A street name of one word may be a suffix word ("1200 Mission"), not a generic one ("1200 St"), a directional
# or a unit designator.
# RULES.md ADDRESS: "a street's name may itself be a suffix word" -- any of them ("1200 Mission", "7 Court",
# "10 Circle"); a directional or a unit designator alone is not a name.
_NOT_A_NAME_ALONE = frozenset(DIRECTIONALS.values()) | UNIT_DESIGNATORS


def _loose_words(text: str) -> list[str]:
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.upper()).encode("ascii", "ignore").decode("ascii")
    return text.encode("ascii").translate(_LOOSE_BYTES, _LOOSE_DELETE).decode("ascii").split()


def _has_digit(word: str) -> bool:
    return not word.isalpha()          # words here are ASCII letters and digits only


def _is_placeholder(raw: str, words: list[str], whole: frozenset[str], never: frozenset[str]) -> bool:
    joined = " ".join(words)
    if joined in whole or not never.isdisjoint(words):
        return True
    if not _PHRASE_WORDS.isdisjoint(words):
        padded = f" {joined} "
        if any(p in padded for p in _PHRASES):
            return True
    return "/" in raw and _N_SLASH_A.search(raw) is not None


# ---------------------------------------------------------------------------------------------- NAME

def _last_word(words: list[str]) -> str:
    """The last word that is not a suffix ("Garrison Jr" -> GARRISON); with "LAST, FIRST" it is the first name,
    so the first and this word are the first and the last name in either order."""
    end = len(words)
    while end > 1 and words[end - 1] in _NAME_SUFFIX_WORDS:
        end -= 1
    return words[end - 1]


def _part_is_placeholder(words: list[str]) -> bool:
    """Whether the first or the last name is a placeholder, also spelt out in initials ("F. N. U. Garrison")."""
    if words[0] in _NAME_PART_PLACEHOLDERS or _last_word(words) in _NAME_PART_PLACEHOLDERS:
        return True
    if len(words[0]) == 1 or len(words[-1]) == 1:
        lead = next((i for i, w in enumerate(words) if len(w) > 1), len(words))
        trail = next((i for i, w in enumerate(reversed(words)) if len(w) > 1), len(words))
        return ("".join(words[:lead]) in _NAME_PART_PLACEHOLDERS
                or "".join(words[len(words) - trail:]) in _NAME_PART_PLACEHOLDERS)
    return False


def check_name(name: str | None) -> str | None:
    """NAME: a real name is given (not empty, not a placeholder, no placeholder for the first or the last
    name, has a word of two or more letters)."""
    if name is None or not name.strip():
        return NAME_MISSING
    words = _loose_words(name)
    letters = "".join(words)
    if not letters or letters.isdigit():
        return NAME_NO_LETTERS
    if _is_placeholder(name, words, _NAME_PLACEHOLDERS, _NAME_NEVER) or _NAME_FILLER.issuperset(words):
        return NAME_PLACEHOLDER
    if _part_is_placeholder(words):
        return NAME_PLACEHOLDER                                            # "FNU Garrison", "Garrison, LNU"
    if letters.isalpha():
        if len(letters) >= 2 and letters.count(letters[0]) == len(letters):
            return NAME_PLACEHOLDER                                        # "A A", "Xx"
        return NAME_NO_WORD if max(map(len, words)) < 2 else None         # (every word is letters only)
    if any(not w.isalpha() and not _ORDINAL.fullmatch(w) for w in words):
        return NAME_DIGITS
    if max(map(len, words)) < 2 or not any(len(w) >= 2 and w.isalpha() for w in words):
        return NAME_NO_WORD
    return None


# ------------------------------------------------------------------------------------------- ADDRESS

def _check_named_street(tokens: list[str]) -> str | None:
    """After the house number: a street name, then optionally a unit designator with its number."""
    n = len(tokens)
    start = 2 if n > 2 and "/" in tokens[1] and _FRACTION.fullmatch(tokens[1]) else 1   # "123 1/2 MAIN ST"
    end = n
    if not UNITS_NEEDING_NUMBER.isdisjoint(tokens):
        for i in range(start + 1, n):
            if tokens[i] in UNITS_NEEDING_NUMBER:
                end = i
                break
    name = tokens[start:end]
    if not name or "".join(name).isdigit() or (len(name) == 1 and name[0] in _NOT_A_NAME_ALONE):
        return NO_STREET_NAME
    if name[0] in UNITS_NEEDING_NUMBER and all(_has_digit(t) for t in name[1:]):       # "12 APT 4"
        return NO_STREET_NAME
    if end == n - 1:                                                                    # "... ST APT"
        return UNIT_NO_NUMBER
    return None


def _check_street_shape(tokens: list[str]) -> str | None:
    """The street line has a house number and a street name, or is a PO box / rural route / military box."""
    first = tokens[0]
    if first.isdigit():
        return _check_named_street(tokens) if len(first) <= 6 else NO_HOUSE_NUMBER
    if first == "PO" and len(tokens) > 1 and tokens[1] == "BOX":
        return None if len(tokens) > 2 and _has_digit(tokens[2]) else PO_BOX_NO_NUMBER
    box = tokens.index("BOX") if "BOX" in tokens else -1
    if first in ("RR", "HC"):
        ok = box >= 2 and _has_digit(tokens[1]) and box + 1 < len(tokens) and _has_digit(tokens[box + 1])
        return None if ok else RURAL_INCOMPLETE
    if first in _MILITARY_LEADS and box >= 0:
        ok = box == 2 and _has_digit(tokens[1]) and box + 1 < len(tokens) and _has_digit(tokens[box + 1])
        return None if ok else MILITARY_INCOMPLETE
    if first in _PR_LEADS:
        if not any(_has_digit(t) for t in tokens):
            return NO_HOUSE_NUMBER
        return None if sum(t.isalpha() and len(t) >= 2 for t in tokens) >= 2 else NO_STREET_NAME
    if not _HOUSE_NUMBER.fullmatch(first):
        return NO_HOUSE_NUMBER
    return _check_named_street(tokens)


def _check_street(street: str, tokens: list[str]) -> str | None:
    if len(street) <= 11 and street.replace("-", "").replace(" ", "").isdigit():    # nothing but a number
        if tin_digits(street) is not None:
            return STREET_IS_TIN
        if _ZIP.fullmatch(street):
            return STREET_IS_ZIP
    elif len(street) >= 9:
        raw = street.encode("utf-8", "surrogatepass")
        if len(raw) - len(raw.translate(None, b"0123456789")) >= 9 and _TIN_INSIDE.search(street):
            return STREET_HAS_TIN
    return _check_street_shape(tokens)


_CITY_VERDICTS: dict[str, str | None] = {}


def _check_city(city: str) -> str | None:
    """Cities repeat across a million subjects, so their verdicts are remembered."""
    try:
        return _CITY_VERDICTS[city]
    except KeyError:
        pass
    words = _loose_words(city)
    verdict = None
    if not words:
        verdict = CITY_MISSING
    elif _is_placeholder(city, words, _ADDRESS_PLACEHOLDERS, _ADDRESS_NEVER):
        verdict = ADDRESS_PLACEHOLDER
    elif not any(len(w) >= 2 and w.isalpha() for w in words):
        verdict = CITY_INVALID
    if len(_CITY_VERDICTS) < 100_000:
        _CITY_VERDICTS[city] = verdict
    return verdict


def check_address(
    street: str | None, city: str | None, state: str | None, zip_code: str | None,
    tokens: list[str] | None = None,
) -> str | None:
    """ADDRESS ((i)(2)): a complete address. Returns None, or the problems found joined by "; ".

    `tokens`: the street's `street_tokens` when the caller has them already (they make its address key too).
    """
    problems: list[str] = []
    street = (street or "").strip()
    if tokens is None:
        tokens = street_tokens(street) if street else []
    if not tokens:
        problems.append(STREET_MISSING)
    elif _is_placeholder(street, tokens, _ADDRESS_PLACEHOLDERS, _ADDRESS_NEVER):
        problems.append(ADDRESS_PLACEHOLDER)
    else:
        problem = _check_street(street, tokens)
        if problem:
            problems.append(problem)
    place = (city or "", state or "", zip_code or "")
    city_problem, state_problem, zip_problem = _PLACE_VERDICTS.get(place) or _check_place(*place)
    if city_problem and city_problem not in problems:
        problems.append(city_problem)
    if state_problem:
        problems.append(state_problem)
    if zip_problem:
        problems.append(zip_problem)
    return "; ".join(problems) if problems else None


_PLACE_VERDICTS: dict[tuple[str, str, str], tuple[str | None, str | None, str | None]] = {}


def _check_place(city: str, state: str, zip_code: str) -> tuple[str | None, str | None, str | None]:
    """(city problem, state problem, ZIP problem): the same trios recur across a million subjects, so their
    verdicts are remembered (`_PLACE_VERDICTS`)."""
    code = state.replace(".", "").strip().upper()
    state_problem = None if code in STATE_CODES else STATE_INVALID if code else STATE_MISSING
    zip_text = zip_code.strip()
    zip_problem = None
    if len(zip_text) == 5 and zip_text.isdigit() and zip_text.isascii() and zip_text != "00000":
        pass                                                                        # the usual case
    elif not zip_text:
        zip_problem = ZIP_MISSING
    elif not _ZIP.fullmatch(zip_text):
        zip_problem = ZIP_INVALID
    elif zip_text.startswith("00000"):
        zip_problem = ZIP_ZEROS
    verdicts = (_check_city(city), state_problem, zip_problem)
    if len(_PLACE_VERDICTS) >= 200_000:
        _PLACE_VERDICTS.clear()
    _PLACE_VERDICTS[city, state, zip_code] = verdicts
    return verdicts

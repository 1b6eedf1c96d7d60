"""Keys used for matching: TIN digits and validity, name control, normalized names and address keys.

Computed once per taxpayer record at import and once per subject at evaluation (millions of calls), so
every function here is pure and built on precomputed tables, `str.translate` and dict/set lookups.
Address normalization follows USPS Publication 28 (tables in `workstation.usps`).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from workstation.usps import CITY_WORDS, STATE_NAMES, STREET_WORDS, UNIT_DESIGNATORS


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# ---------------------------------------------------------------------------------------------- TINs

# The rules python-stdnum 2.x applies (stdnum.us.ssn / itin / ein); tests cross-check them against stdnum.
_SSN_AREAS = frozenset(f"{a:03d}" for a in range(1, 900) if a != 666)
_SSN_BLACKLIST = frozenset({"078051120", "457555462", "219099999"})
_ITIN_GROUPS = frozenset(str(g) for g in range(70, 100) if g not in (89, 93))
_EIN_PREFIXES = _words(
    "01 02 03 04 05 06 10 11 12 13 14 15 16 20 21 22 23 24 25 26 27 30 31 32 33 34 35 36 37 38 39 40 41 42 "
    "43 44 45 46 47 48 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 71 72 73 74 75 76 77 80 81 "
    "82 83 84 85 86 87 88 90 91 92 93 94 95 98 99"
)


def tin_digits(text: str) -> str | None:
    """The nine digits of a TIN written as 123456789, 123-45-6789, 123 45 6789 or 12-3456789; else None."""
    s = text.strip()
    n = len(s)
    if n == 9:
        return s if s.isdigit() and s.isascii() else None
    if n == 11:                                                # 123-45-6789, 123 45 6789
        sep = s[3]
        if (sep == "-" or sep == " ") and s[6] == sep and s.isascii():
            digits = s[:3] + s[4:6] + s[7:]
            return digits if digits.isdigit() else None
        return None
    if n == 10 and s[2] == "-" and s.isascii():                # 12-3456789
        digits = s[:2] + s[3:]
        return digits if digits.isdigit() else None
    return None


def tin_valid(digits: str, tin_type: str) -> bool:
    """Whether nine ASCII digits are a valid SSN, ITIN or EIN (same answer as python-stdnum's is_valid)."""
    if len(digits) != 9 or not digits.isdigit() or not digits.isascii():
        return False
    if tin_type == "SSN":
        return (digits[:3] in _SSN_AREAS and digits[3:5] != "00" and digits[5:] != "0000"
                and digits not in _SSN_BLACKLIST)
    if tin_type == "ITIN":
        return digits[0] == "9" and digits[3:5] in _ITIN_GROUPS
    if tin_type == "EIN":
        return digits[:2] in _EIN_PREFIXES
    return False


def tin_kind(digits: str) -> str | None:
    """"ITIN" or "SSN" when the digits are a valid one of those, else None (an EIN is known only by type)."""
    if tin_valid(digits, "ITIN"):
        return "ITIN"
    if tin_valid(digits, "SSN"):
        return "SSN"
    return None


# --------------------------------------------------------------------------------------------- names

def _fold(text: str) -> str:
    """Upper case ASCII: accents dropped ("NÚÑEZ" -> "NUNEZ"), "ß" -> "SS"."""
    return unicodedata.normalize("NFKD", text.upper()).encode("ascii", "ignore").decode("ascii")


def _byte_table(keep: str) -> bytes:
    """A bytes.translate table: ASCII letters upper-cased, digits and `keep` kept, other ASCII -> space."""
    def one(b: int) -> int:
        ch = chr(b)
        return b if b >= 128 else ord(ch.upper()) if ch.isalnum() or ch in keep else 0x20
    return bytes(one(b) for b in range(256))


# bytes.translate is several times faster than str.translate with a dict.
_NAME_BYTES = _byte_table("")           # normalize_name: "O'BRIEN" -> OBRIEN, "-" and "." -> space
_CONTROL_BYTES = _byte_table(",")       # name_control: also deletes "-" (hyphenated last names stay one word)
_APOSTROPHES = b"'`"
_DIGITS_DELETE = {ord(d): None for d in "0123456789"}
_NAME_SUFFIXES = _words("JR SR JNR SNR II III IV V 2ND 3RD 4TH ESQ MD PHD DDS DVM CPA")
# Words that belong to the last name when they precede it ("Juan de la Cruz" -> DELA, "Van Dyke" -> VAND).
_PARTICLES = _words("DE DEL DELA DELLA DELLE DER DEN DI DA DAS DOS DU LA LAS LOS VAN VANDER VON TEN TER "
                    "ST MC MAC")


def _strip_suffixes(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Split trailing generational/professional suffixes off a token list (keeping at least one word)."""
    end = len(tokens)
    while end > 1 and tokens[end - 1] in _NAME_SUFFIXES:
        end -= 1
    return tokens[:end], tokens[end:]


def _letters4(words: list[str]) -> str:
    joined = "".join(words)
    return (joined if joined.isalpha() else joined.translate(_DIGITS_DELETE))[:4]


def _name_words(text: str) -> list[str]:
    return text.encode("ascii").translate(_NAME_BYTES, _APOSTROPHES).decode("ascii").split()


def normalize_name(name: str) -> str:
    """Upper case, punctuation removed, whitespace folded; "LAST, FIRST" reordered to "FIRST LAST"."""
    if not name.isascii():
        name = _fold(name)
    if "," not in name:
        return " ".join(_name_words(name))
    last, rest = name.split(",", 1)
    last_tokens = _name_words(last)
    rest_tokens = _name_words(rest)
    if all(t in _NAME_SUFFIXES for t in rest_tokens):          # "JOHN SMITH, JR."
        return " ".join(last_tokens + rest_tokens)
    last_words, last_sfx = _strip_suffixes(last_tokens)         # "SMITH JR, JOHN"
    rest_words, rest_sfx = _strip_suffixes(rest_tokens)         # "SMITH, JOHN JR"
    return " ".join(rest_words + last_words + last_sfx + rest_sfx)


def name_control(name: str) -> str:
    """IRS name control: the first four letters of the last name ("Maria Example" and "EXAMPLE, MARIA" ->
    "EXAM"; "O'Brien" -> "OBRI"; "Garcia-Lopez" -> "GARC"; "Juan de la Cruz" -> "DELA"; suffixes ignored)."""
    if not name.isascii():
        name = _fold(name)
    text = name.encode("ascii").translate(_CONTROL_BYTES, b"'`-").decode("ascii")
    if "," in text:
        last, rest = text.split(",", 1)
        if not all(t in _NAME_SUFFIXES for t in rest.replace(",", " ").split()):
            return _letters4(_strip_suffixes(last.split())[0])
        text = last
    words = text.split()
    if words and words[-1] not in _NAME_SUFFIXES and (len(words) < 3 or words[-2] not in _PARTICLES):
        last = words[-1]                                       # the usual case: the last word alone
        return (last if last.isalpha() else last.translate(_DIGITS_DELETE))[:4]
    words = _strip_suffixes(words)[0]
    if not words:
        return ""
    start = len(words) - 1
    while start > 1 and words[start - 1] in _PARTICLES:    # keep the first word as the given name
        start -= 1
    return _letters4(words[start:])


# ------------------------------------------------------------------------------------------ addresses

# Street: "." and "'" are deleted ("P.O." -> PO, "N.W." -> NW, "O'BRIEN" -> OBRIEN), "#" is split off,
# "-" and "/" are kept for house numbers ("45-12", "123 1/2").
_STREET_BYTES = _byte_table("-/#")
_CITY_BYTES = _byte_table("")
_DELETED = b".'`"
_ZIP_TABLE = {code: (chr(code) if chr(code).isdigit() else None) for code in range(128)}
_STREET_SPECIAL = _words("# P POST POB POBOX BOX RURAL R RFD HIGHWAY STAR")
# Words after which a "#" only introduces the number ("APT # 4", "PO BOX #12", "RR #2").
_HASH_ABSORBERS = UNIT_DESIGNATORS | {"#", "BOX", "RR", "HC", "RTE", "HWY", "PSC", "CMR"}
_CITY_CACHE: dict[str, str] = {}
_CITY_CACHE_MAX = 200_000
_KEY_TAILS: dict[tuple[str, str, str], str] = {}


def _split_hyphens(tokens: list[str]) -> list[str]:
    """"45-12" (Queens) stays; "4-B" -> "4B", "I-35" -> "I35"; "WILKES-BARRE" -> "WILKES BARRE"."""
    out: list[str] = []
    for tok in tokens:
        if "-" not in tok:
            out.append(tok)
            continue
        parts = [p for p in tok.split("-") if p]
        if len(parts) > 1 and all(p.isdigit() for p in parts):
            out.append("-".join(parts))
        elif any(not p.isalpha() for p in parts):
            out.append("".join(parts))
        else:
            out.extend(parts)
    return out


def _street_phrases(tokens: list[str]) -> list[str]:
    """PO boxes, rural routes, highway contracts and "#" units written in their usual variants."""
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < n else ""
        if tok == "P" and nxt == "O":                                      # P O BOX
            out.append("PO")
            i += 2
            continue
        if tok == "POST" and nxt == "OFFICE" and i + 2 < n and tokens[i + 2] == "BOX":
            out += ["PO", "BOX"]
            i += 3
            continue
        if tok in ("POB", "POBOX") or (tok == "BOX" and not out):
            out += ["PO", "BOX"]
        elif (tok == "RURAL" and nxt in ("ROUTE", "RTE", "RT")) or (tok == "R" and nxt == "R"):
            out.append("RR")
            i += 2
            continue
        elif tok == "RFD":
            out.append("RR")
        elif (tok == "HIGHWAY" and nxt == "CONTRACT") or (tok == "STAR" and nxt in ("ROUTE", "RTE")):
            out.append("HC")
            i += 2
            continue
        elif tok == "#":
            # "#5" is a unit of unknown kind (USPS Pub 28 213): a designator of its own, so "# 5" and "APT 5"
            # are different addresses (RULES.md is silent; the reading that releases less).
            if i + 1 < n and not (out and STREET_WORDS.get(out[-1], out[-1]) in _HASH_ABSORBERS):
                out.append("#")
        else:
            out.append(tok)
        i += 1
    return out


def street_tokens(street: str) -> list[str]:
    """The words of a street line in USPS standard form: ["1200", "CONGRESS", "AVE", "APT", "4"]."""
    if not street.isascii():
        street = _fold(street)
    if "#" in street:
        street = street.replace("#", " # ")
    text = street.encode("ascii").translate(_STREET_BYTES, _DELETED).decode("ascii")
    tokens = text.split()
    if "-" in text:
        tokens = _split_hyphens(tokens)
    if not _STREET_SPECIAL.isdisjoint(tokens):
        tokens = _street_phrases(tokens)
    get = STREET_WORDS.get
    return list(map(get, tokens, tokens))


def normalize_city(city: str) -> str:
    """A city name upper-cased, punctuation removed, SAINT/FORT/MOUNT/directionals abbreviated."""
    key = _CITY_CACHE.get(city)
    if key is None:
        text = _fold(city) if not city.isascii() else city
        words = text.encode("ascii").translate(_CITY_BYTES, _DELETED).decode("ascii").split()
        key = " ".join(map(CITY_WORDS.get, words, words))
        if len(_CITY_CACHE) < _CITY_CACHE_MAX:
            _CITY_CACHE[city] = key
    return key


def normalize_state(state: str) -> str:
    """A state code or name as its USPS code ("tx", "Texas" -> "TX"); unknown text upper-cased."""
    if len(state) == 2 and state.isalpha():
        return state.upper()
    if not state.isascii():
        state = _fold(state)
    key = " ".join(state.encode("ascii").translate(_CITY_BYTES, _DELETED).decode("ascii").split())
    return STATE_NAMES.get(key, key)


def zip5(zip_code: str) -> str:
    """The five-digit ZIP, restoring leading zeros lost by spreadsheets ("2134" -> "02134")."""
    if len(zip_code) in (5, 10) and zip_code[:5].isdigit() and zip_code.isascii():
        return zip_code[:5]
    digits = zip_code.translate(_ZIP_TABLE)
    if not digits.isascii():
        digits = "".join(ch for ch in digits if "0" <= ch <= "9")
    n = len(digits)
    if n in (3, 4):
        digits = digits.zfill(5)
    elif n in (7, 8):
        digits = digits.zfill(9)
    return digits[:5]


def address_key(street: str, city: str, state: str, zip_code: str) -> str:
    """A normalized address key (USPS Pub 28 abbreviations, case, punctuation, ZIP5): equal keys mean the
    same address, e.g. "1200 Congress Avenue, Apt. 4" and "1200 CONGRESS AVE APT 4". A unit designator
    written differently ("# 4", "Apt 4", "Unit 4") is a different address; only spellings of one designator
    fold ("Apartment" = "Apt", "Suite" = "Ste"). Stored with every taxpayer record (schema 8 recomputed it)."""
    return address_key_of(street_tokens(street), city, state, zip_code)


def address_key_of(tokens: list[str], city: str, state: str, zip_code: str) -> str:
    """`address_key` from the street's `street_tokens` already computed (the ADDRESS check needs them too).
    Leading and trailing whitespace never changes the tokens, so `street_tokens(street.strip())` serves."""
    tail = _KEY_TAILS.get((city, state, zip_code))
    if tail is None:                   # city, state and ZIP repeat across a request: each trio normalized once
        tail = f"{normalize_city(city)}|{normalize_state(state)}|{zip5(zip_code)}"
        if len(_KEY_TAILS) >= _CITY_CACHE_MAX:
            _KEY_TAILS.clear()
        _KEY_TAILS[city, state, zip_code] = tail
    return f"{' '.join(tokens)}|{tail}"


# --------------------------------------------------------------------------------------------- reasons

_WORD_FOLD = {c: " " for c in range(128) if not chr(c).isalnum()}
_WORD_FOLD_BYTES = bytes(b if b >= 128 else ord(chr(b).lower()) if chr(b).isalnum() else 0x20 for b in range(256))


def fold_words(text: str) -> str:
    """Lower case, ASCII punctuation as spaces, spacing collapsed ("Case #12-A." -> "case 12 a")."""
    if text.isascii():                 # the same folding, several times faster on bytes
        return " ".join(text.encode("ascii").translate(_WORD_FOLD_BYTES).decode("ascii").split())
    return " ".join(text.lower().translate(_WORD_FOLD).split())


@lru_cache(maxsize=65_536)        # boilerplate reasons repeat: each is folded once
def reason_key(reason: str | None) -> str:
    """Reasons compared for boilerplate (the REASON check): case, punctuation and spacing folded."""
    return fold_words(reason or "")

"""A second, deliberately plain evaluator of the SUBJECT checks, written from `shared/domain/RULES.md` alone
(and `shared/spec/INTERCHANGE.md` for the record fields). It imports nothing from `workstation`: no SQL, no
caches, no batching. The only indexes are two dicts built once from the rows (by TIN, by normalized name and
address), which answer exactly what a scan of every row would.

Per subject it says: released or not, and every code that withholds it. "needs-review" is not released.

Readings chosen where RULES.md is silent (each the one that releases less, or that can only add candidates
to MATCH, never remove one, so that it can never release the wrong person):

 R1  Normalized names fold case, punctuation AND spacing away entirely, and diacritics too ("Núñez" = "NUNEZ",
     "O'Brien" = "OBRIEN", "Garcia-Lopez" = "GARCIA LOPEZ"): broader equality only adds MATCH candidates.
 R2  Name control: letters of the last name only (diacritics folded); the last name is what precedes a comma
     ("GARRISON, JOHN"), else the last word that is not a generational suffix (Jr, Sr, II, III, IV).
 R3  NAME: a name with a digit, a single word, or ANY word that is a placeholder (first, middle or last; "NA"
     and "X" included, although "Na" is also a surname) is not a real name.
 R4  REASON: "trivially short" is fewer than 25 characters; the case number is found with case, punctuation and
     spacing folded, as whole words; "the same text" is compared with case, punctuation and spacing folded.
 R5  ADDRESS: the street needs a house number first (digits, may carry a letter) and then at least one word
     with a letter that is not a directional or a unit designator (or what follows one); PO Box n and RR n
     count. States: the 50 states, DC and the five inhabited territories (no military codes).
 R6  Addresses are compared after case, punctuation (removed), spacing, USPS abbreviations (suffixes,
     directionals, unit designators, PO Box, Rural Route) and ZIP5, nothing else: a unit designator written
     differently ("Apt 4" vs "# 4" vs "Unit 4") is a different address; city names are not abbreviated.
 R7  The name-and-address way needs a street on both sides (a name with a city and ZIP is not an address).
 R8  A taxpayer is a TIN (nine digits); a correction replaces the rows of that TIN and year.
 R9  A subject's own periods outside the request's valid periods are withheld; if none is left, the subject
     is not released (PERIOD-RECORD).
 R10 FOIA first party: the subject's name equals the signer's (normalized), exactly one taxpayer is found, a
     row of that taxpayer carries the signer's name, the subject's TIN, if given, is that taxpayer's, AND the
     requester's own mailing address is an address on file for that taxpayer: a namesake (same name, own TIN
     on file for that name) is not the requester. Every other subject is a third party: no element is
     releasable about it (code ITEMS, the check that says what an authority may release). A
     first-party release is provisional (identity is confirmed by a person: the request needs review), so it
     counts as released here.
 R11 (c): the consent's taxpayer is its TIN when a row of that TIN has the name control of the consent's
     taxpayer name; a subject is covered only when its one taxpayer is that TIN (code CONSENT otherwise).
 R12 MATCH by name and address pairs them across rows: a taxpayer is a candidate when any of its rows is at the
     address and any of its rows (possibly another) carries the name (the reading that finds more candidates).
 R13 A bound authority (a consent, a first-party FOIA request) never makes the outcome depend on who else is on
     file: a subject the request itself shows is not the bound taxpayer (no valid TIN, another TIN or name
     control than the consent's, another name than the FOIA signer's) is CONSENT / ITEMS before any look-up,
     and one whose TIN the TIN way does not find is "no record" whoever the name and address find.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field


def _w(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------- USPS Publication 28 (C1, C2, directionals)
_SUFFIXES = """ALLEY ALY ANNEX ANX ARCADE ARC AVENUE AVE AV AVE AVEN AVE AVENU AVE AVN AVE AVNUE AVE BAYOU BYU
BEACH BCH BEND BND BLUFF BLF BLUFFS BLFS BOTTOM BTM BOULEVARD BLVD BOUL BLVD BOULV BLVD BRANCH BR BRIDGE BRG
BROOK BRK BROOKS BRKS BURG BG BURGS BGS BYPASS BYP CAMP CP CANYON CYN CAPE CPE CAUSEWAY CSWY CENTER CTR
CENTRE CTR CENTERS CTRS CIRCLE CIR CIRCLES CIRS CLIFF CLF CLIFFS CLFS CLUB CLB COMMON CMN COMMONS CMNS
CORNER COR CORNERS CORS COURSE CRSE COURT CT COURTS CTS COVE CV COVES CVS CREEK CRK CRESCENT CRES CREST CRST
CROSSING XING CROSSROAD XRD CROSSROADS XRDS CURVE CURV DALE DL DAM DM DIVIDE DV DRIVE DR DRIV DR DRV DR
DRIVES DRS ESTATE EST ESTATES ESTS EXPRESSWAY EXPY EXTENSION EXT EXTENSIONS EXTS FALLS FLS FERRY FRY FIELD FLD
FIELDS FLDS FLAT FLT FLATS FLTS FORD FRD FORDS FRDS FOREST FRST FORGE FRG FORGES FRGS FORK FRK FORKS FRKS
FORT FT FREEWAY FWY GARDEN GDN GARDENS GDNS GATEWAY GTWY GLEN GLN GLENS GLNS GREEN GRN GREENS GRNS GROVE GRV
GROVES GRVS HARBOR HBR HARBORS HBRS HAVEN HVN HEIGHTS HTS HIGHWAY HWY HILL HL HILLS HLS HOLLOW HOLW INLET INLT
ISLAND IS ISLANDS ISS JUNCTION JCT JUNCTIONS JCTS KEY KY KEYS KYS KNOLL KNL KNOLLS KNLS LAKE LK LAKES LKS
LANDING LNDG LANE LN LIGHT LGT LIGHTS LGTS LOAF LF LOCK LCK LOCKS LCKS LODGE LDG MANOR MNR MANORS MNRS MEADOW
MDW MEADOWS MDWS MILL ML MILLS MLS MISSION MSN MOTORWAY MTWY MOUNT MT MOUNTAIN MTN MOUNTAINS MTNS NECK NCK
ORCHARD ORCH OVERPASS OPAS PARKS PARK PARKWAY PKWY PARKWAYS PKWY PASSAGE PSGE PINE PNE PINES PNES PLACE PL
PLAIN PLN PLAINS PLNS PLAZA PLZ POINT PT POINTS PTS PORT PRT PORTS PRTS PRAIRIE PR RADIAL RADL RANCH RNCH
RAPID RPD RAPIDS RPDS REST RST RIDGE RDG RIDGES RDGS RIVER RIV ROAD RD ROADS RDS ROUTE RTE SHOAL SHL SHOALS
SHLS SHORE SHR SHORES SHRS SKYWAY SKWY SPRING SPG SPRINGS SPGS SQUARE SQ SQUARES SQS STATION STA STRAVENUE
STRA STREAM STRM STREET ST STR ST STRT ST STREETS STS SUMMIT SMT TERRACE TER THROUGHWAY TRWY TRACE TRCE
TRACK TRAK TRAFFICWAY TRFY TRAIL TRL TRAILER TRLR TUNNEL TUNL TURNPIKE TPKE UNDERPASS UPAS UNION UN UNIONS
UNS VALLEY VLY VALLEYS VLYS VIADUCT VIA VIEW VW VIEWS VWS VILLAGE VLG VILLAGES VLGS VILLE VL VISTA VIS
WALKS WALK WELL WL WELLS WLS"""
_DIRECTIONALS = "NORTH N SOUTH S EAST E WEST W NORTHEAST NE NORTHWEST NW SOUTHEAST SE SOUTHWEST SW"
_UNITS = """APARTMENT APT BUILDING BLDG FLOOR FL SUITE STE UNIT UNIT ROOM RM DEPARTMENT DEPT BASEMENT BSMT
FRONT FRNT HANGAR HNGR LOBBY LBBY LOT LOT LOWER LOWR OFFICE OFC PENTHOUSE PH PIER PIER REAR REAR SIDE SIDE
SLIP SLIP SPACE SPC STOP STOP UPPER UPPR"""


def _pairs(text: str) -> dict[str, str]:
    words = text.split()
    table = dict(zip(words[0::2], words[1::2], strict=True))
    return {**table, **{abbr: abbr for abbr in table.values()}}


USPS = {**_pairs(_SUFFIXES), **_pairs(_DIRECTIONALS), **_pairs(_UNITS)}
DIRECTIONAL_ABBRS = frozenset(_pairs(_DIRECTIONALS).values())
UNIT_ABBRS = frozenset(_pairs(_UNITS).values())
STATES = frozenset(_w("""AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ
NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP"""))
PLACEHOLDER_WORDS = frozenset(_w("""unknown unk fnu lnu nfn nln na none null test tbd xxx xx x anonymous anon
noname nobody dontcare notapplicable notavailable redacted same"""))
PLACEHOLDER_NAMES = frozenset({"johndoe", "janedoe", "dontcare", "notapplicable", "seeabove", "noname"})
GENERATIONAL = frozenset({"JR", "SR", "II", "III", "IV"})
MIN_REASON = 25


# ------------------------------------------------------------------------------------------- normalizing
def fold(text: str) -> str:
    """Upper case, diacritics dropped."""
    return unicodedata.normalize("NFKD", text.upper()).encode("ascii", "ignore").decode("ascii")


def words(text: str) -> list[str]:
    """Upper-case words: apostrophes, periods and slashes removed, every other non-alphanumeric splits."""
    return re.sub(r"[^A-Z0-9]+", " ", re.sub(r"['./`]", "", fold(text))).split()


def name_key(name: str) -> str:
    return "".join(words(name))                                   # R1


def last_name(name: str) -> str:
    """R2: before a comma, else the last word (split on spaces only: "Garcia-Lopez" is one last name)."""
    if "," in name:
        return fold(name.split(",", 1)[0])
    ws = fold(name).split()
    while len(ws) > 1 and re.sub(r"[^A-Z]", "", ws[-1]) in GENERATIONAL:
        ws.pop()
    return ws[-1] if ws else ""


def name_control(name: str) -> str:
    return re.sub(r"[^A-Z]", "", last_name(name))[:4]


def tin9(tin: str | None) -> str | None:
    digits = re.sub(r"[\s-]", "", tin or "")
    return digits if len(digits) == 9 and digits.isdigit() and digits.isascii() else None


def street_words(street: str) -> list[str]:
    ws = words(street)
    out: list[str] = []
    i = 0
    while i < len(ws):
        if ws[i:i + 3] == ["POST", "OFFICE", "BOX"] or ws[i:i + 3] == ["P", "O", "BOX"]:
            out += ["PO", "BOX"]
            i += 3
        elif ws[i:i + 2] == ["RURAL", "ROUTE"]:
            out.append("RR")
            i += 2
        else:
            out.append(USPS.get(ws[i], ws[i]))
            i += 1
    return out


def address_key(street: str | None, city: str | None, state: str | None, zip_code: str | None) -> str | None:
    if not (street or "").strip():
        return None                                               # R7
    zip5 = re.sub(r"\D", "", zip_code or "")[:5]
    return "|".join((" ".join(street_words(street or "")), " ".join(words(city or "")), fold(state or "").strip(),
                     zip5))


# ------------------------------------------------------------------------------------------------ checks
def name_ok(name: str | None) -> bool:
    text = (name or "").strip()
    if not text or any(ch.isdigit() for ch in text):
        return False
    ws = [w.lower() for w in words(text)]
    if len(ws) < 2 or "".join(ws) in PLACEHOLDER_NAMES or "".join(ws) in PLACEHOLDER_WORDS:
        return False
    return not any(w in PLACEHOLDER_WORDS or set(w) == {"x"} for w in ws)  # R3


def address_ok(street: str | None, city: str | None, state: str | None, zip_code: str | None) -> bool:
    ws = street_words(street or "")
    city_ws = [w.lower() for w in words(city or "")]
    every = [w.lower() for w in ws] + city_ws
    if not ws or not city_ws or (state or "").strip().upper() not in STATES:
        return False
    if not re.fullmatch(r"\d{5}(-?\d{4})?", (zip_code or "").strip()):
        return False
    if any(w in PLACEHOLDER_WORDS for w in every) or "dontcare" in "".join(every):
        return False
    if ws[:2] == ["PO", "BOX"]:
        return any(w.isdigit() for w in ws[2:])
    if ws[0] == "RR":
        return any(w.isdigit() for w in ws[1:])
    if not re.fullmatch(r"\d+[A-Z]?", ws[0]):
        return False
    for w in ws[1:]:                                              # R5: the name comes before any unit
        if w in UNIT_ABBRS:
            break
        if re.search(r"[A-Z]", w) and w not in DIRECTIONAL_ABBRS:
            return True
    return False


def reason_key(reason: str | None) -> str:
    return " ".join(words(reason or ""))


def reason_ok(reason: str | None, case_no: str | None, shared_with: int, limit: int) -> bool:
    text = (reason or "").strip()
    if len(text) < MIN_REASON:                                    # R4
        return False
    if case_no and f" {' '.join(words(case_no))} " not in f" {reason_key(text)} ":
        return False
    return shared_with <= limit


# ----------------------------------------------------------------------------------------------- records
@dataclass(frozen=True)
class Row:
    tin: str              # nine digits
    name: str
    street: str
    city: str
    state: str
    zip: str
    year: int
    hold: bool


class Records:
    """The rows on file after every import, in order (a TIN and year imported again replaces its row)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], Row] = {}
        self._by_tin: dict[str, list[Row]] | None = None
        self._by_address: dict[str, set[str]] | None = None
        self._names: dict[str, set[str]] = {}

    def load(self, rows: Iterable[Row]) -> None:
        for r in rows:
            self.rows[r.tin, r.year] = r                          # R8
        self._by_tin = self._by_address = None

    def of_tin(self, tin: str) -> list[Row]:
        if self._by_tin is None:
            self._by_tin = {}
            for r in self.rows.values():
                self._by_tin.setdefault(r.tin, []).append(r)
        return self._by_tin.get(tin, [])

    def at(self, name: str, akey: str) -> set[str]:
        """The taxpayers with a row at the address and a row under the name, the same row or another (R12)."""
        if self._by_address is None:
            self._by_address, self._names = {}, {}
            for r in self.rows.values():
                self._names.setdefault(r.tin, set()).add(name_key(r.name))
                k = address_key(r.street, r.city, r.state, r.zip)
                if k is not None:
                    self._by_address.setdefault(k, set()).add(r.tin)
        wanted = name_key(name)
        return {t for t in self._by_address.get(akey, ()) if wanted in self._names[t]}


# ---------------------------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class Subject:
    ref: str
    name: str
    tin: str | None = None
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    periods: tuple[str, ...] = ()
    case_no: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Request:
    authority: str                           # 6103(i)(2), 6103(i)(1), 6103(c), 6103(d)(1), foia
    periods: tuple[str, ...]
    as_of_year: int
    subjects: tuple[Subject, ...]
    signer_name: str = ""
    consent_name: str = ""
    consent_tin: str = ""
    requester_address: tuple[str, str, str, str] | None = None    # foia: street, city, state, ZIP
    reason_limit: int = 3


@dataclass
class Verdict:
    released: bool
    codes: set[str] = field(default_factory=set)
    candidates: frozenset[str] = frozenset()
    periods_released: tuple[str, ...] = ()
    periods_missing: tuple[str, ...] = ()     # requested (validly) but no record: "no record" for that period
    provisional: bool = False                # FOIA first party: identity confirmed by a person


def evaluate(request: Request, records: Records) -> dict[str, Verdict]:
    valid = [p for p in request.periods if re.fullmatch(r"\d{4}", p) and int(p) <= request.as_of_year]
    reasons = Counter(reason_key(s.reason) for s in request.subjects)
    return {s.ref: evaluate_subject(request, s, valid, reasons[reason_key(s.reason)] - 1, records)
            for s in request.subjects}


def evaluate_subject(req: Request, s: Subject, valid: list[str], shared: int, records: Records) -> Verdict:
    i2 = req.authority == "6103(i)(2)"
    codes: set[str] = set()
    if not name_ok(s.name):
        codes.add("NAME")
    if i2 and not address_ok(s.street, s.city, s.state, s.zip):
        codes.add("ADDRESS")
    if i2 and not reason_ok(s.reason, s.case_no, shared, req.reason_limit):
        codes.add("REASON")
    # MATCH: both ways, every row on file; the candidates are distinct TINs.
    candidates: set[str] = set()
    tin, nc, akey = tin9(s.tin), name_control(s.name), address_key(s.street, s.city, s.state, s.zip)
    if tin and nc and any(name_control(r.name) == nc for r in records.of_tin(tin)):
        candidates.add(tin)
    if akey is not None:
        candidates |= records.at(s.name, akey)
    if req.authority in ("6103(c)", "foia"):                                            # R13
        if req.authority == "6103(c)" and (tin is None or tin != tin9(req.consent_tin)
                                           or nc != name_control(req.consent_name)):
            return Verdict(False, codes | {"CONSENT"})
        if req.authority == "foia" and (tin is None or name_key(s.name) != name_key(req.signer_name)):
            return Verdict(False, codes | {"ITEMS"})
        if tin not in candidates:
            candidates = set()
    if len(candidates) != 1:
        codes.add("MATCH")                  # none: no record; more than one: needs-review
    if any(r.hold for t in candidates for r in records.of_tin(t)):
        codes.add("HOLD")
    periods: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    if len(candidates) == 1:
        (taxpayer,) = candidates
        rows = records.of_tin(taxpayer)
        if i2 and "ADDRESS" not in codes and akey not in {address_key(r.street, r.city, r.state, r.zip)
                                                          for r in rows}:
            codes.add("ADDRESS-MATCH")
        wanted = [p for p in s.periods if p in valid] if s.periods else valid           # R9
        periods = tuple(p for p in wanted if any(r.year == int(p) for r in rows))
        missing = tuple(p for p in wanted if p not in periods)
        if not periods:
            codes.add("PERIOD-RECORD")
        if req.authority == "6103(c)":                                                  # R11
            ctin = tin9(req.consent_tin)
            own = ctin == taxpayer and any(name_control(r.name) == name_control(req.consent_name) for r in rows)
            if not own:
                codes.add("CONSENT")
        if req.authority == "foia":                                                     # R10
            home = address_key(*req.requester_address) if req.requester_address else None
            first = (name_key(s.name) == name_key(req.signer_name) and (tin is None or tin == taxpayer)
                     and any(name_key(r.name) == name_key(req.signer_name) for r in rows)
                     and home in {address_key(r.street, r.city, r.state, r.zip) for r in rows})
            if not first:
                codes.add("ITEMS")
    elif req.authority == "foia":
        codes.add("ITEMS")
    released = not codes
    return Verdict(released, codes, frozenset(candidates), periods if released else (),
                   missing if released else (), provisional=released and req.authority == "foia")


__all__ = ["Records", "Request", "Row", "Subject", "Verdict", "address_key", "address_ok", "evaluate",
           "name_control", "name_key", "name_ok", "reason_ok"]

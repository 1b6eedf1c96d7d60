"""Records and requests for the differential test (product vs `reference_evaluator`), every subject labelled
with the class it plants and what RULES.md says about it (`expect`: "release" or the withholding code).

`generate(seed, subjects, records)` is a plain seeded generator (used at scale by bench/differential.py);
`worlds()` is a hypothesis strategy over it plus small hand-planted worlds. Nothing here imports the product:
the files written are the public formats of INTERCHANGE.md (records CSV, `dws.request/1` packages).

Classes (I2 = the bulk (i)(2) requests; "i1:" the (i)(1) request; (c) and foia requests have their own):
  decided by RULES.md — ordinary, no-tin-name-address, name-history, address-history, diacritics, apostrophe,
  hyphenated, po-box, zip4, unit-designator (long and short form), typo-outside-nc, suffix-word-street,
  former-name-other-year, older-address-former-name, reason-at-limit, correction-lifts-hold,
  period-partly-missing (release); household-member, same-name-same-address, household-name-changed (the name
  and the address on different rows of one taxpayer, the TIN of another), typo-in-nc, tin-not-on-file,
  tin-other-name (MATCH); held-other-name, hold-same-name, correction-adds-hold (HOLD); placeholder-name (NAME);
  placeholder-address, zip-only (ADDRESS); reason-over-limit, reason-wrong-case, reason-short (REASON);
  address-not-on-file (ADDRESS-MATCH); period-none (PERIOD-RECORD); consent-own, foia-first-party (release);
  consent-other-taxpayer, consent-household, consent-namesake (CONSENT); foia-third-party,
  foia-household (ITEMS: nothing is releasable about a third party under foia).
  left open by RULES.md, decided by a reading of the reference — unit-designator-differs (R6, ADDRESS-MATCH),
  foia-namesake (R10, ITEMS: another taxpayer of the requester's name, with that taxpayer's own TIN).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from differential_io import Outcome, load_into, product_outcomes, tin_type, write_records, write_request
from reference_evaluator import Records, Request, Row, Subject, _w, evaluate

AS_OF = date(2026, 11, 2)
PERIODS = ("2024", "2025")
YEARS = (2022, 2023, 2024, 2025)
BULK_MAX = 50_000              # subjects per (i)(2) request (OFFICERS: <= 100 subjects per officer, <= 1000 officers)
SMALL_REQUESTS_MAX = 200       # (c) and foia requests each, whatever the size
LOOSE = frozenset({"unit-designator-differs", "foia-namesake"})    # decided by a reading (R6, R10)

FIRST = _w("""Maria Jose Ana Luis Carmen Juan Rosa Pedro Elena Miguel Sofia Diego Laura Carlos Lucia Jorge Marta
Pablo Teresa Andres James Mary Robert Linda Michael Susan David Karen Daniel Nancy Thomas Lisa Joseph Betty
Samuel Grace Henry Alice Walter Ruth Nguyen Mei Wei Hana Kenji Amina Omar Fatima Tariq Leila""")
LAST = _w("""Garrison Holloway Pemberton Castellano Whitfield Okonkwo Delacroix Fairbanks Marchetti Lindqvist
Abernathy Vasquez Rutherford Kowalski Thornbury Albright Montoya Brannigan Escobedo Halvorsen Quintero Ashworth
Villanueva Sorensen Blackwood Carrington Dominguez Ellsworth Fitzgerald Gallagher Hargrove Iglesias Jablonski
Kingsley Lancaster Mcallister Northcott Oyelaran Prescott Ravenscroft Salazar Treadwell Underhill Valdivia
Westbrook Yamamoto Zielinski Beaumont Cardenas Dunleavy""")
ACCENTED = {"Nunez": "Núñez", "Pena": "Peña", "Muller": "Müller", "Ibanez": "Ibáñez", "Jose": "José",
            "Angel": "Ángel", "Lopez": "López", "Garcia": "García", "Francois": "François"}
APOSTROPHE = ("O'Brien", "O'Neill", "D'Angelo", "O'Connor", "D'Souza", "L'Heureux")
STREETS = _w("""Congress Maple Oak Cedar Pine Elm Guadalupe Lamar Washington Lincoln Jefferson Madison Franklin
Highland Sunset Riverside Lakeview Hillcrest Meadowbrook Willow Magnolia Chestnut Sycamore Dogwood Juniper""")
SUFFIXES = {"ST": "Street", "AVE": "Avenue", "BLVD": "Boulevard", "DR": "Drive", "LN": "Lane", "RD": "Road",
            "CT": "Court", "PL": "Place", "TER": "Terrace", "PKWY": "Parkway", "CIR": "Circle", "WAY": "Way"}
SUFFIX_WORD_STREETS = ("Mission", "Wells", "Park", "Heights", "Crossing", "Springs", "Ridge", "Meadows")
UNITS = {"APT": "Apartment", "STE": "Suite", "UNIT": "Unit", "RM": "Room", "FL": "Floor"}
CITIES = (("Austin", "TX", "78701"), ("San Antonio", "TX", "78205"), ("Chicago", "IL", "60601"),
          ("Denver", "CO", "80202"), ("Phoenix", "AZ", "85004"), ("Atlanta", "GA", "30303"),
          ("Boston", "MA", "02108"), ("Seattle", "WA", "98101"), ("Miami", "FL", "33130"),
          ("Portland", "OR", "97204"), ("Columbus", "OH", "43215"), ("Albuquerque", "NM", "87102"))
PLACEHOLDER_FIRSTS = ("FNU", "NFN", "Unknown", "XXX", "fnu", "N.F.N.", "UNK")
SSN_AREAS = tuple(a for a in range(100, 600) if a not in (219, 457))
ITIN_GROUPS = tuple(g for g in range(70, 100) if g not in (89, 93))


@dataclass(frozen=True)
class Addr:
    number: str
    street: str                   # the street name, as a person writes it ("Congress")
    suffix: str | None            # USPS abbreviation or None (a street named by a suffix word)
    unit: tuple[str, str] | None  # (designator abbreviation, number)
    city: str
    state: str
    zip5: str
    po_box: str | None = None

    def record(self) -> tuple[str, str, str, str]:
        """As the records file writes it: capitals, USPS abbreviations, ZIP5."""
        if self.po_box:
            street = f"PO BOX {self.po_box}"
        else:
            street = " ".join(p for p in (self.number, self.street.upper(), self.suffix) if p)
            if self.unit:
                street += f" {self.unit[0]} {self.unit[1]}"
        return street, self.city.upper(), self.state, self.zip5

    def written(self, style: str = "plain") -> tuple[str, str, str, str]:
        """As a requester writes it: mixed case; "long" spells suffix and unit out with punctuation;
        "hash" writes the unit as "# n"; "zip4" adds a ZIP+4."""
        zip_code = f"{self.zip5}-{1000 + int(self.number[-3:] or 0) % 9000:04d}" if style == "zip4" else self.zip5
        if self.po_box:
            return (f"P.O. Box {self.po_box}" if style == "long" else f"PO Box {self.po_box}"), self.city, \
                self.state, zip_code
        suffix = self.suffix and (SUFFIXES.get(self.suffix, self.suffix) if style == "long" else self.suffix.title())
        street = " ".join(p for p in (self.number, self.street, suffix) if p)
        if self.unit:
            if style == "long":
                street += f", {UNITS[self.unit[0]]} {self.unit[1]}"
            elif style == "hash":
                street += f" # {self.unit[1]}"
            else:
                street += f" {self.unit[0].title()} {self.unit[1]}"
        return street, self.city, self.state, zip_code


@dataclass
class GenSubject:
    subject: Subject
    cls: str
    expect: str                   # "release" or the code RULES.md withholds it on


@dataclass
class GenRequest:
    request_id: str
    authority: str
    subjects: list[GenSubject] = field(default_factory=list)
    signer_name: str = ""
    consent_name: str = ""
    consent_tin: str = ""
    requester_address: tuple[str, str, str, str] | None = None

    def reference(self) -> Request:
        return Request(self.authority, PERIODS, AS_OF.year, tuple(g.subject for g in self.subjects),
                       signer_name=self.signer_name, consent_name=self.consent_name, consent_tin=self.consent_tin,
                       requester_address=self.requester_address)

    def document(self, subjects_csv: str | None) -> dict:
        received = AS_OF - timedelta(days=10)
        n = len(self.subjects)
        officers = [{"name": f"Agent {k:04d} Example", "title": "Special Agent", "active_matters": 5}
                    for k in range(math.ceil(n / 100) + 1)]
        doc: dict = {"format": "dws.request/1", "request_id": self.request_id, "received_on": received.isoformat(),
                     "authority": self.authority, "in_writing": True, "statute": None,
                     "solely_for_use_certified": False, "officers": [], "items": ["name", "address", "agi"],
                     "periods": list(PERIODS), "subjects": None, "subjects_csv": subjects_csv,
                     "court_order": None, "consent": None}
        if self.authority == "6103(i)(2)":
            doc.update(requester={"agency": "Department of Justice", "component": "Federal Bureau of Investigation",
                                  "agency_code": "DOJ-FBI", "address_lines": ["935 Pennsylvania Ave NW",
                                                                              "Washington, DC 20535"]},
                       signer={"name": "K. Sample", "title": "Director, Federal Bureau of Investigation",
                               "role": "head-of-agency", "signature_present": True},
                       statute={"citation": "18 U.S.C. 1343", "class": "criminal"},
                       purpose={"category": "nontax-criminal", "statement": "Federal grand jury investigation of "
                                "a wire-fraud scheme; used solely in that investigation."},
                       solely_for_use_certified=True, officers=officers, items=["name", "address"])
        elif self.authority == "6103(i)(1)":
            doc.update(requester={"agency": "Department of Justice", "component": "U.S. Attorney's Office",
                                  "agency_code": "DOJ-USAO-WDTX", "address_lines": ["903 San Jacinto Blvd Ste 334",
                                                                                    "Austin, TX 78701"]},
                       signer={"name": "L. Exemplar", "title": "United States Attorney", "role": "doj-listed",
                               "signature_present": True},
                       statute={"citation": "18 U.S.C. 1956", "class": "criminal"},
                       purpose={"category": "nontax-criminal", "statement": "Prosecution of a money-laundering "
                                "conspiracy (18 U.S.C. 1956)."},
                       solely_for_use_certified=True, officers=officers, items=["name", "address", "agi", "wages"],
                       court_order={"court": "U.S. District Court for the Western District of Texas",
                                    "judge": "Hon. M. Example", "case_no": "1:26-mj-00417",
                                    "signed_on": (received - timedelta(days=6)).isoformat(),
                                    "items": ["name", "address", "agi", "wages", "employer"],
                                    "periods": list(PERIODS)})
        elif self.authority == "6103(c)":
            designee = "Example Community Credit Union"
            doc.update(requester={"agency": designee, "component": "Mortgage Underwriting", "agency_code": None,
                                  "address_lines": ["1000 Example Blvd Ste 200", "Austin, TX 78701"]},
                       signer={"name": self.consent_name, "title": None, "role": "taxpayer",
                               "signature_present": True},
                       purpose={"category": "consented", "statement": "Income verification for a mortgage."},
                       consent={"taxpayer_name": self.consent_name, "taxpayer_tin": self.consent_tin,
                                "designee": designee, "items": ["name", "address", "agi"], "periods": list(PERIODS),
                                "signed_on": (received - timedelta(days=30)).isoformat(), "signature_present": True})
        else:
            street, city, state, zip_code = self.requester_address or ("", "", "", "")
            doc.update(requester={"agency": self.signer_name, "component": None, "agency_code": None,
                                  "address_lines": [street, f"{city}, {state} {zip_code}"]},
                       signer={"name": self.signer_name, "title": None, "role": "taxpayer",
                               "signature_present": True},
                       purpose={"category": "foia", "statement": "Copy of my own return information."})
        if subjects_csv is None:
            doc["subjects"] = [_subject_json(g.subject) for g in self.subjects]
        return doc


def _subject_json(s: Subject) -> dict:
    address = None if not any((s.street, s.city, s.state, s.zip)) else \
        {"street": s.street or "", "city": s.city or "", "state": s.state or "", "zip": s.zip or ""}
    return {"ref": s.ref, "name": s.name, "tin": s.tin, "address": address, "periods": list(s.periods),
            "case_no": s.case_no, "reason": s.reason}


@dataclass
class World:
    base: list[Row]                          # the first records file
    corrections: list[Row]                   # a second file: rows for a TIN and year already present
    requests: list[GenRequest]

    def records(self) -> Records:
        recs = Records()
        recs.load(self.base)
        recs.load(self.corrections)
        return recs

    def subjects(self) -> Iterator[tuple[GenRequest, GenSubject]]:
        for req in self.requests:
            for g in req.subjects:
                yield req, g


# ------------------------------------------------------------------------------------------- the generator
def dashed(tin: str) -> str:
    return f"{tin[:3]}-{tin[3:5]}-{tin[5:]}"


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(f"dws-differential:{seed}")
        self.base: list[Row] = []
        self.fix: list[Row] = []
        self._tins = 0
        self._unused = 0
        self._cases = 0

    # -- people, TINs, addresses -----------------------------------------------------------------------------
    def tin(self, *, on_file: bool = True) -> str:
        if on_file:
            i = self._tins
            self._tins += 1
        else:
            i = 40_000_000 + self._unused
            self._unused += 1
        if i % 7 == 3:   # some ITINs
            return f"9{i % 100:02d}{ITIN_GROUPS[(i // 100) % len(ITIN_GROUPS)]}{1 + i // 2600 % 9999:04d}"
        return f"{SSN_AREAS[i % len(SSN_AREAS)]}{1 + (i // len(SSN_AREAS)) % 99:02d}{1 + i // 49302:04d}"

    def first(self) -> str:
        return self.r.choice(FIRST)

    def last(self) -> str:
        return self.r.choice(LAST)

    def relative(self, name: str, taken: set[str] | None = None) -> str:
        """Another first name, the same family name: a member of the same household (not one of `taken`)."""
        first, family = name.split(" ", 1)
        taken = taken if taken is not None else set()
        taken.add(first)
        other = self.first()
        while other in taken:
            other = self.first() if len(taken) < len(FIRST) else f"{self.first()} {self.first()}"
        taken.add(other)
        return f"{other} {family}"

    def address(self, *, suffix_word: bool = False, unit: bool | None = None, po_box: bool = False) -> Addr:
        r = self.r
        city, state, zip5 = r.choice(CITIES)
        number = str(r.randint(10, 9899))
        if po_box:
            return Addr(number, "", None, None, city, state, zip5, po_box=str(r.randint(1, 9999)))
        has_unit = r.random() < 0.25 if unit is None else unit
        u = (r.choice(tuple(UNITS)), str(r.randint(1, 40))) if has_unit else None
        if suffix_word:
            return Addr(number, r.choice(SUFFIX_WORD_STREETS), None, u, city, state, zip5)
        return Addr(number, r.choice(STREETS), r.choice(tuple(SUFFIXES)), u, city, state, zip5)

    def case(self) -> str:
        self._cases += 1
        return f"CR-26-{self._cases:06d}"

    def reason(self, case: str) -> str:
        return self.r.choice((
            f"Subject of grand jury investigation {case} into wire fraud; the address is needed to serve a "
            f"subpoena in {case}.",
            f"Identified in {case} as holder of accounts that received fraud proceeds; address needed to "
            "interview the subject.",
            f"Named as a co-conspirator in {case} (18 U.S.C. 1349); address needed for a warrant affidavit."))

    def file(self, tin: str, name: str, addr: Addr, years: tuple[int, ...] = YEARS, hold_years: tuple[int, ...] = (),
             into: list[Row] | None = None) -> None:
        street, city, state, zip5 = addr.record()
        for y in years:
            (self.base if into is None else into).append(
                Row(tin, name.upper(), street, city, state, zip5, y, y in hold_years))

    def taxpayer(self, name: str | None = None, addr: Addr | None = None, **kw) -> tuple[str, str, Addr]:
        name = name or f"{self.first()} {self.last()}"
        addr = addr or self.address()
        tin = self.tin()
        self.file(tin, name, addr, **kw)
        return tin, name, addr

    # -- subjects ---------------------------------------------------------------------------------------------
    def subject(self, name: str, tin: str | None, addr: Addr | None, style: str = "plain",
                periods: tuple[str, ...] = PERIODS, case: str | None = None, reason: str | None = None,
                street: str | None = None) -> Subject:
        case = case or self.case()
        written = addr.written(style) if addr else (None, None, None, None)
        if street is not None:
            written = (street, *written[1:])
        tin_text = None if tin is None else (dashed(tin) if self.r.random() < 0.5 else tin)
        return Subject("", name, tin_text, *written, periods=periods, case_no=case,
                       reason=self.reason(case) if reason is None else reason)


Builder = Callable[[Gen], list[GenSubject]]


def _one(cls: str, expect: str, make: Callable[[Gen], Subject]) -> Builder:
    return lambda g: [GenSubject(make(g), cls, expect)]


def _household(g: Gen) -> Subject:
    addr = g.address()
    _a, name_a, _ = g.taxpayer(addr=addr)
    tin_b, _b, _ = g.taxpayer(g.relative(name_a), addr)
    return g.subject(name_a, tin_b, addr)


def _household_name_changed(g: Gen) -> Subject:
    """A filed 2022-2023 under a former name at the shared address, 2024-2025 under a new one (the family
    name of B, who files at the shared address) far away; asked under A's new name, B's TIN and the shared
    address: A's rows give the address and the name on different rows, B's TIN the name control (MATCH)."""
    shared, far = g.address(), g.address()
    tin_b, name_b, _ = g.taxpayer(addr=shared)
    first, family = name_b.split(" ", 1)[0], name_b.split(" ", 1)[1]
    new = g.relative(name_b)
    old_last = g.last()
    while old_last[:4] == family[:4]:
        old_last = g.last()
    tin_a = g.tin()
    g.file(tin_a, f"{new.split(' ', 1)[0]} {old_last}", shared, (2022, 2023))
    g.file(tin_a, new, far, (2024, 2025))
    assert first != new.split(" ", 1)[0]
    return g.subject(new, tin_b, shared)


def _same_name(g: Gen) -> Subject:
    addr = g.address()
    tin_a, name, _ = g.taxpayer(addr=addr)
    g.taxpayer(name, addr)
    return g.subject(name, tin_a, addr)


def _history(g: Gen, *, hold_former: bool = False) -> tuple[str, str, str, Addr, Addr]:
    """A taxpayer who filed 2022-2023 under a former name at an old address, 2024-2025 under the new one."""
    first, old_last, new_last = g.first(), g.last(), g.last()
    while new_last[:4] == old_last[:4]:
        new_last = g.last()
    tin, old, new = g.tin(), g.address(), g.address()
    g.file(tin, f"{first} {old_last}", old, (2022, 2023), hold_years=(2023,) if hold_former else ())
    g.file(tin, f"{first} {new_last}", new, (2024, 2025))
    return tin, f"{first} {old_last}", f"{first} {new_last}", old, new


def _former_other_year(g: Gen) -> Subject:
    first, old_last, new_last = g.first(), g.last(), g.last()
    while new_last[:4] == old_last[:4]:
        new_last = g.last()
    tin, addr = g.tin(), g.address()
    g.file(tin, f"{first} {old_last}", addr, (2023, 2024))
    g.file(tin, f"{first} {new_last}", addr, (2025,))
    return g.subject(f"{first} {old_last}", tin, addr, periods=g.r.choice((PERIODS, ("2025",))))


def _held_other_name(g: Gen) -> Subject:
    tin, _old, new, _o, addr = _history(g, hold_former=True)
    return g.subject(new, tin, addr)


def _older_address_former_name(g: Gen) -> Subject:
    tin, _old, new, old_addr, _n = _history(g)
    return g.subject(new, tin, old_addr)


def _name_history(g: Gen) -> Subject:
    tin, _old, new, _o, addr = _history(g)
    return g.subject(new, tin, addr)


def _address_history(g: Gen) -> Subject:
    tin, name, old = g.tin(), f"{g.first()} {g.last()}", g.address()
    g.file(tin, name, old, (2022, 2023))
    g.file(tin, name, g.address(), (2024, 2025))
    return g.subject(name, tin, old)


def _ordinary(g: Gen) -> Subject:
    tin, name, addr = g.taxpayer()
    return g.subject(name.upper() if g.r.random() < 0.3 else name, tin, addr, g.r.choice(("plain", "long")))


def _no_tin(g: Gen) -> Subject:
    _tin, name, addr = g.taxpayer()
    return g.subject(name, None, addr)


def _diacritics(g: Gen) -> Subject:
    plain = g.r.choice(tuple(ACCENTED))
    tin, name, addr = g.taxpayer(f"{g.first()} {plain}")
    return g.subject(name.replace(plain, ACCENTED[plain]), tin, addr)


def _apostrophe(g: Gen) -> Subject:
    last = g.r.choice(APOSTROPHE)
    tin, name, addr = g.taxpayer(f"{g.first()} {last.replace(chr(39), '')}")
    return g.subject(name.replace(last.replace("'", ""), last), tin, addr)


def _hyphenated(g: Gen) -> Subject:
    tin, name, addr = g.taxpayer(f"{g.first()} {g.last()}-{g.last()}")
    return g.subject(name.title() if g.r.random() < 0.5 else name, tin, addr)


def _with_address(cls: str, expect: str = "release", written: str = "plain", **addr_kw: bool) -> Builder:
    def make(g: Gen) -> Subject:
        tin, name, addr = g.taxpayer(addr=g.address(**addr_kw))
        return g.subject(name, tin, addr, written)
    return _one(cls, expect, make)


def _typo(g: Gen, *, in_nc: bool) -> Subject:
    tin, name, addr = g.taxpayer()
    first, last = name.split(" ", 1)
    if in_nc:
        last = last[0] + ("X" if last[1] != "X" else "Q") + last[2:]
    else:
        first = first + "h"
    return g.subject(f"{first} {last}", tin, addr)


def _placeholder(g: Gen) -> Subject:
    tin, name, addr = g.taxpayer()
    return g.subject(f"{g.r.choice(PLACEHOLDER_FIRSTS)} {name.split(' ', 1)[1]}", tin, addr)


def _tin_other_name(g: Gen) -> Subject:
    tin, _name, _addr = g.taxpayer()
    other = g.last()
    while other[:4] == _name.split(" ", 1)[1][:4]:
        other = g.last()
    return g.subject(f"{g.first()} {other}", tin, g.address())


def _correction(g: Gen, *, adds: bool) -> Subject:
    tin, name, addr = g.taxpayer(hold_years=() if adds else (2023,))
    g.file(tin, name, addr, (2023,), hold_years=(2023,) if adds else (), into=g.fix)
    return g.subject(name, tin, addr)


def _reason_group(size: int, cls: str, expect: str) -> Builder:
    def make(g: Gen) -> list[GenSubject]:
        case = g.case()
        text = g.reason(case)
        out = []
        for _ in range(size):
            tin, name, addr = g.taxpayer()
            out.append(GenSubject(g.subject(name, tin, addr, case=case, reason=text), cls, expect))
        return out
    return make


def _simple(**kw: object) -> Callable[[Gen], Subject]:
    def make(g: Gen) -> Subject:
        years = kw.get("years", YEARS)
        tin, name, addr = g.taxpayer(years=years, hold_years=kw.get("hold_years", ()))
        if kw.get("zip_only"):
            case = g.case()
            return Subject("", name, dashed(tin), "", "", "", addr.zip5, PERIODS, case, g.reason(case))
        if kw.get("placeholder_address"):
            case = g.case()
            return Subject("", name, tin, "Don't Care 12345", "", "", "", PERIODS, case, g.reason(case))
        if kw.get("other_address"):
            return g.subject(name, tin, g.address())
        if kw.get("reason"):
            case = g.case()
            return g.subject(name, tin, addr, case=case, reason=kw["reason"](g, case))
        if kw.get("no_tin_on_file"):
            return g.subject(name, g.tin(on_file=False), g.address())
        return g.subject(name, tin, addr, kw.get("style", "plain"))
    return make


I2_CLASSES: dict[str, tuple[Builder, int]] = {
    # class: (builder, weight)
    "ordinary": (_one("ordinary", "release", _ordinary), 10),
    "no-tin-name-address": (_one("no-tin-name-address", "release", _no_tin), 2),
    "name-history": (_one("name-history", "release", _name_history), 2),
    "address-history": (_one("address-history", "release", _address_history), 2),
    "diacritics": (_one("diacritics", "release", _diacritics), 2),
    "apostrophe": (_one("apostrophe", "release", _apostrophe), 2),
    "hyphenated": (_one("hyphenated", "release", _hyphenated), 2),
    "po-box": (_with_address("po-box", po_box=True), 2),
    "zip4": (_one("zip4", "release", _simple(style="zip4")), 2),
    "unit-designator": (_with_address("unit-designator", written="long", unit=True), 2),
    "unit-designator-differs": (_with_address("unit-designator-differs", "ADDRESS-MATCH", "hash", unit=True), 1),
    "typo-outside-nc": (_one("typo-outside-nc", "release", lambda g: _typo(g, in_nc=False)), 2),
    "suffix-word-street": (_with_address("suffix-word-street", suffix_word=True), 2),
    "former-name-other-year": (_one("former-name-other-year", "release", _former_other_year), 2),
    "older-address-former-name": (_one("older-address-former-name", "release", _older_address_former_name), 2),
    "reason-at-limit": (_reason_group(4, "reason-at-limit", "release"), 1),
    "correction-lifts-hold": (_one("correction-lifts-hold", "release", lambda g: _correction(g, adds=False)), 2),
    "period-partly-missing": (_one("period-partly-missing", "release", _simple(years=(2023, 2025))), 2),
    "household-member": (_one("household-member", "MATCH", _household), 3),
    "same-name-same-address": (_one("same-name-same-address", "MATCH", _same_name), 3),
    "household-name-changed": (_one("household-name-changed", "MATCH", _household_name_changed), 2),
    "typo-in-nc": (_one("typo-in-nc", "MATCH", lambda g: _typo(g, in_nc=True)), 2),
    "tin-not-on-file": (_one("tin-not-on-file", "MATCH", _simple(no_tin_on_file=True)), 2),
    "tin-other-name": (_one("tin-other-name", "MATCH", _tin_other_name), 2),
    "held-other-name": (_one("held-other-name", "HOLD", _held_other_name), 3),
    "hold-same-name": (_one("hold-same-name", "HOLD", _simple(hold_years=(2022,))), 2),
    "correction-adds-hold": (_one("correction-adds-hold", "HOLD", lambda g: _correction(g, adds=True)), 2),
    "placeholder-name": (_one("placeholder-name", "NAME", _placeholder), 3),
    "placeholder-address": (_one("placeholder-address", "ADDRESS", _simple(placeholder_address=True)), 1),
    "zip-only": (_one("zip-only", "ADDRESS", _simple(zip_only=True)), 1),
    "reason-over-limit": (_reason_group(5, "reason-over-limit", "REASON"), 1),
    "reason-wrong-case": (_one("reason-wrong-case", "REASON", _simple(
        reason=lambda g, case: g.reason(g.case()))), 1),
    "reason-short": (_one("reason-short", "REASON", _simple(reason=lambda g, case: f"See {case}")), 1),
    "address-not-on-file": (_one("address-not-on-file", "ADDRESS-MATCH", _simple(other_address=True)), 2),
    "period-none": (_one("period-none", "PERIOD-RECORD", _simple(years=(2021, 2022, 2023))), 2),
}
I1_CLASSES: dict[str, tuple[Builder, int]] = {
    f"i1:{k}": (v[0], v[1]) for k, v in I2_CLASSES.items()
    if k in ("ordinary", "household-member", "same-name-same-address", "held-other-name", "placeholder-name",
             "former-name-other-year", "typo-in-nc", "correction-adds-hold", "period-none")}


def _relabel(builder: Builder, cls: str) -> Builder:
    def make(g: Gen) -> list[GenSubject]:
        return [GenSubject(s.subject, cls, s.expect) for s in builder(g)]
    return make


def _pick(g: Gen, classes: dict[str, tuple[Builder, int]]) -> list[GenSubject]:
    names = list(classes)
    cls = g.r.choices(names, weights=[classes[n][1] for n in names])[0]
    builder = classes[cls][0]
    return (_relabel(builder, cls) if cls.startswith("i1:") else builder)(g)


def _consent_request(g: Gen, rid: str, others: int) -> GenRequest:
    tin, name, addr = g.taxpayer()
    req = GenRequest(rid, "6103(c)", consent_name=name, consent_tin=dashed(tin))
    req.subjects.append(GenSubject(g.subject(name, tin, addr), "consent-own", "release"))
    household: set[str] = set()
    for k in range(others):
        kind = k % 3
        if kind == 0:
            t2, n2, a2 = g.taxpayer()
            req.subjects.append(GenSubject(g.subject(n2, t2, a2), "consent-other-taxpayer", "CONSENT"))
        elif kind == 1:
            t2, n2, _ = g.taxpayer(g.relative(name, household), addr)
            req.subjects.append(GenSubject(g.subject(n2, t2, addr), "consent-household", "CONSENT"))
        else:
            t2, n2, a2 = g.taxpayer(name)
            req.subjects.append(GenSubject(g.subject(n2, t2, a2), "consent-namesake", "CONSENT"))
    return req


def _foia_request(g: Gen, rid: str, others: int) -> GenRequest:
    tin, name, addr = g.taxpayer()
    req = GenRequest(rid, "foia", signer_name=name, requester_address=addr.written())
    req.subjects.append(GenSubject(g.subject(name, tin, addr), "foia-first-party", "release"))
    household: set[str] = set()
    for k in range(others):
        kind = k % 3
        if kind == 0:
            t2, n2, a2 = g.taxpayer()
            req.subjects.append(GenSubject(g.subject(n2, t2, a2), "foia-third-party", "ITEMS"))
        elif kind == 1:
            t2, n2, _ = g.taxpayer(g.relative(name, household), addr)
            req.subjects.append(GenSubject(g.subject(n2, t2, addr), "foia-household", "ITEMS"))
        else:
            t2, n2, a2 = g.taxpayer(name)
            req.subjects.append(GenSubject(g.subject(n2, t2, a2), "foia-namesake", "ITEMS"))
    return req


def generate(seed: int, subjects: int, records: int = 0) -> World:
    """About `subjects` subjects (a reason group is never split) over the classes; filler taxpayers (4 rows
    each, never named in a request) until the records reach `records` rows."""
    g = Gen(seed)
    n_small = max(3, min(SMALL_REQUESTS_MAX, subjects // 400))
    per_small = max(3, round(subjects * 0.03 / n_small))
    requests = [_consent_request(g, f"DIFF-C-{k:04d}", per_small - 1) for k in range(n_small)]
    requests += [_foia_request(g, f"DIFF-FOIA-{k:04d}", per_small - 1) for k in range(n_small)]
    i1 = GenRequest("DIFF-I1-0001", "6103(i)(1)")
    while len(i1.subjects) < max(20, subjects // 25):
        i1.subjects += _pick(g, I1_CLASSES)
    requests.append(i1)
    left = subjects - sum(len(r.subjects) for r in requests)
    bulk: list[GenSubject] = []
    while len(bulk) < left:
        bulk += _pick(g, I2_CLASSES)
    g.r.shuffle(bulk)     # the classes interleaved in subject order
    for k in range(0, max(1, len(bulk)), BULK_MAX):
        requests.append(GenRequest(f"DIFF-I2-{k // BULK_MAX + 1:04d}", "6103(i)(2)", bulk[k:k + BULK_MAX]))
    for req in requests:
        for n, gs in enumerate(req.subjects, 1):
            gs.subject = Subject(str(n), *[getattr(gs.subject, f) for f in Subject.__dataclass_fields__][1:])
    while len(g.base) + len(g.fix) < records:
        g.taxpayer()
    return World(g.base, g.fix, requests)


# --------------------------------------------------------------------------------------------- comparison
@dataclass
class Tally:
    subjects: int = 0
    released_but_withheld: int = 0     # the product releases, RULES.md (the reference) withholds
    withheld_but_releasable: int = 0   # the product withholds, the reference releases
    category: int = 0                  # both withhold, on a code the reference does not find
    periods: int = 0                   # both release, but one says "no record" for a period and the other not
    examples: list[str] = field(default_factory=list)


def compare(world: World, product: dict[str, dict[str, Outcome]], records: Records | None = None,
            examples: int = 3) -> dict[str, Tally]:
    """Per class: how the product's outcomes (by request id, then ref) differ from the reference's."""
    records = records or world.records()
    by_class: dict[str, Tally] = {}
    for req in world.requests:
        verdicts = _evaluate(req, records)
        mine = product[req.request_id]
        for g in req.subjects:
            s, v = g.subject, verdicts[g.subject.ref]
            p = mine.get(s.ref, Outcome(False, "(no result)", "(none)"))
            t = by_class.setdefault(g.cls, Tally())
            t.subjects += 1
            kind = None
            if p.released and not v.released:
                t.released_but_withheld += 1
                kind = "RELEASED, reference withholds on " + "/".join(sorted(v.codes))
            elif v.released and not p.released:
                t.withheld_but_releasable += 1
                kind = f"withheld on {p.code} ({p.status}), reference releases"
            elif not v.released and p.code not in v.codes:
                t.category += 1
                kind = f"withheld on {p.code}, reference on " + "/".join(sorted(v.codes))
            elif v.released and p.no_record_year != bool(v.periods_missing):
                t.periods += 1
                kind = ("no record for a period" if p.no_record_year else "every period released") + \
                    f", reference: released {'/'.join(v.periods_released)}, no record " + \
                    ("/".join(v.periods_missing) or "for none")
            if kind and len(t.examples) < examples:
                t.examples.append(f"{req.request_id} ref {s.ref}: {kind} [{s.name!r}, tin {s.tin}, "
                                  f"{s.street!r} {s.city!r} {s.state} {s.zip}]")
    return by_class


def _evaluate(req: GenRequest, records: Records) -> dict:
    return evaluate(req.reference(), records)


def table(by_class: dict[str, Tally], *, with_examples: bool = True) -> str:
    head = f"{'class':<28} {'subjects':>9} {'released-but-withheld':>22} {'withheld-but-releasable':>24} " \
           f"{'periods':>8} {'category':>9}"
    lines = [head, "-" * len(head)]
    total = Tally()
    for cls in sorted(by_class):
        t = by_class[cls]
        mark = " (loose: RULES.md open, reference reading)" if cls in LOOSE else ""
        lines.append(f"{cls:<28} {t.subjects:>9,} {t.released_but_withheld:>22,} {t.withheld_but_releasable:>24,} "
                     f"{t.periods:>8,} {t.category:>9,}{mark}")
        for k in ("subjects", "released_but_withheld", "withheld_but_releasable", "periods", "category"):
            setattr(total, k, getattr(total, k) + getattr(t, k))
    lines.append(f"{'TOTAL':<28} {total.subjects:>9,} {total.released_but_withheld:>22,} "
                 f"{total.withheld_but_releasable:>24,} {total.periods:>8,} {total.category:>9,}")
    if with_examples:
        for cls in sorted(by_class):
            for ex in by_class[cls].examples:
                lines.append(f"  {cls}: {ex}")
    return "\n".join(lines)


# The files and the product's side live in `differential_io`; re-exported for the callers of this module.
__all__ = ["AS_OF", "LOOSE", "Outcome", "Tally", "World", "compare", "generate", "load_into", "product_outcomes",
           "table", "tin_type", "write_records", "write_request"]

"""Synthetic taxpayers: deterministic per index, streamed to the taxpayer-records CSV.

Taxpayer ``i`` is generated from its own ``random.Random(seed * 1_000_003 + i)``, so any taxpayer can be
regenerated on its own (the request builders pick a few by index) without keeping millions in memory.
TINs come from a bijection index -> TIN per TIN type, so two taxpayers never share a TIN and an index at or
beyond the taxpayer count gives a valid TIN that is certainly *not* in the records.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from workstation.demo.data import (
    BUSINESS_FORMS,
    BUSINESS_KINDS,
    BUSINESS_WORDS,
    CITIES,
    DIRECTIONALS,
    EMPLOYERS,
    FIRST_NAMES,
    ITIN_FIRST_NAMES,
    LAST_NAMES,
    MIDDLE_INITIALS,
    STREET_NAMES,
    STREET_SUFFIXES,
    UNIT_KINDS,
)
from workstation.demo.parallel import default_workers, ordered_chunks

RECORDS_HEADER: tuple[str, ...] = (
    "tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
    "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account", "wages",
    "employer", "interest", "hold",
)
YEARS_IN_WINDOW = 5
HOLD_SHARE = 0.01
SEED_STRIDE = 1_000_003

AddressTuple = tuple[str, str, str, str]          # street, city, state, zip
_MASK64 = (1 << 64) - 1
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
_HOLD_LIMIT = int(HOLD_SHARE * (1 << 64))


def taxpayer_seed(seed: int, index: int) -> int:
    """The seed of taxpayer ``index``'s own random stream."""
    return seed * SEED_STRIDE + index


def year_window(today: date) -> tuple[int, ...]:
    """The five tax years up to the last one filed on ``today`` (2021-2025 on 2026-11-02).

    Returns for tax year Y are filed between late January and April 15 of Y+1, so Y counts as filed once
    April 15 of Y+1 has passed.
    """
    last = today.year - 1 if today >= date(today.year, 4, 16) else today.year - 2
    return tuple(range(last - YEARS_IN_WINDOW + 1, last + 1))


class TinSpace:
    """Bijections index -> valid TIN for each TIN type (affine permutations of the valid number space)."""

    _SSN_BLACKLISTED_AREAS = (78, 219, 457, 666)   # 078-05-1120, 219-09-9999, 457-55-5462 and area 666
    _ITIN_GROUPS = tuple(g for g in range(70, 100) if g not in (89, 93))
    _EIN_PREFIXES = (90, 91, 92, 93, 94, 95, 98, 99)   # IRS campus prefixes starting with 9: never an SSN
    _EIN_GROUPS = 70                                    # digits 4-5 below 70: never an ITIN group
    _MULTIPLIER = 2_654_435_761

    def __init__(self, seed: int) -> None:
        self._ssn_areas = tuple(a for a in range(1, 900) if a not in self._SSN_BLACKLISTED_AREAS)
        self.ssn_size = len(self._ssn_areas) * 99 * 9999
        self.itin_size = 100 * len(self._ITIN_GROUPS) * 10_000
        self.ein_size = len(self._EIN_PREFIXES) * 10 * self._EIN_GROUPS * 10_000
        self._ssn_area_text = tuple(f"{a:03d}-" for a in self._ssn_areas)
        self._perm: dict[str, tuple[int, int, int]] = {}
        for kind, size, salt in (("SSN", self.ssn_size, 1), ("ITIN", self.itin_size, 2),
                                 ("EIN", self.ein_size, 3)):
            mult = self._MULTIPLIER % size
            while math.gcd(mult, size) != 1:
                mult += 1
            offset = (seed * 7_919 + salt * 104_729) % size
            self._perm[kind] = (mult, offset, size)

    def _slot(self, kind: str, index: int) -> int:
        mult, offset, size = self._perm[kind]
        if not 0 <= index < size:
            raise ValueError(f"no {kind} left for index {index}")
        return (index * mult + offset) % size

    def ssn(self, index: int) -> str:
        area_i, rest = divmod(self._slot("SSN", index), 99 * 9999)
        group, serial = divmod(rest, 9999)
        return f"{self._ssn_area_text[area_i]}{_TWO_DIGITS[group + 1]}-{serial + 1:04d}"

    def itin(self, index: int) -> str:
        area, rest = divmod(self._slot("ITIN", index), len(self._ITIN_GROUPS) * 10_000)
        group_i, serial = divmod(rest, 10_000)
        return f"9{area:02d}-{self._ITIN_GROUPS[group_i]}-{serial:04d}"

    def ein(self, index: int) -> str:
        prefix_i, rest = divmod(self._slot("EIN", index), 10 * self._EIN_GROUPS * 10_000)
        digit3, rest = divmod(rest, self._EIN_GROUPS * 10_000)
        group, serial = divmod(rest, 10_000)
        return f"{self._EIN_PREFIXES[prefix_i]}-{digit3}{group:02d}{serial:04d}"

    def tin(self, kind: str, index: int) -> str:
        return {"SSN": self.ssn, "ITIN": self.itin, "EIN": self.ein}[kind](index)


@dataclass(frozen=True, slots=True)
class Taxpayer:
    """The identity part of one synthetic taxpayer, enough to build request subjects that match (or not)."""

    index: int
    tin: str
    tin_type: str
    name: str
    years: tuple[int, ...]
    addresses: tuple[AddressTuple, ...]   # the address on file for each year of ``years``
    hold: bool

    @property
    def individual(self) -> bool:
        return self.tin_type != "EIN"

    @property
    def last_known(self) -> AddressTuple:
        return self.addresses[-1]

    @property
    def moved(self) -> bool:
        return len(set(self.addresses)) > 1


def is_hold(seed: int, index: int) -> bool:
    """~1 % of taxpayers carry an internal hold: a golden-ratio Weyl sequence, evenly spread over indices."""
    return ((index * 0x9E3779B97F4A7C15 + seed * 0xBF58476D1CE4E5B9) & _MASK64) < _HOLD_LIMIT


def random_address(r: Callable[[], float]) -> tuple[str, str, str, str, str]:
    """A real-looking US address: (street, city, state, zip, phone area code)."""
    city, state, zip5, area = CITIES[int(r() * _N_CITIES)]
    u = r()
    if u < 0.02:
        street = f"PO Box {100 + int(r() * 29_900)}"
    else:
        number = 1 + int(r() * r() * 19_999)
        name = STREET_NAMES[int(r() * _N_STREETS)]
        suffix = STREET_SUFFIXES[int(r() * _N_SUFFIXES)]
        street = f"{number} {name} {suffix}"
        if u > 0.85:
            street = f"{number} {DIRECTIONALS[int(r() * 4)]} {name} {suffix}"
        if r() < 0.25:
            unit = UNIT_KINDS[int(r() * _N_UNITS)]
            letter = "" if r() < 0.7 else "ABCD"[int(r() * 4)]
            street = f"{street} {unit} {1 + int(r() * 40)}{letter}"
    if r() < 0.1:
        zip5 = f"{zip5}-{1 + int(r() * 9998):04d}"
    return street, city, state, zip5, area


class TaxpayerFactory:
    """Generates taxpayer ``i`` (its identity, and optionally its record rows) from its own seed."""

    def __init__(self, seed: int, today: date) -> None:
        self.seed = seed
        self.today = today
        self.years = year_window(today)
        self.tins = TinSpace(seed)
        self._rng = random.Random()
        # random.Random.seed(int) only hands the int to the C seeding of _random.Random: call that directly
        self._reseed = super(random.Random, self._rng).seed
        self._hold_salt = seed * 0xBF58476D1CE4E5B9        # is_hold(), inlined in lines()
        # filing dates (= address as-of dates) per tax year: Jan 20 .. Apr 15 of the next year
        self._as_of: dict[int, tuple[str, ...]] = {}
        for year in self.years:
            begin = date(year + 1, 1, 20)
            self._as_of[year] = tuple((begin + timedelta(days=d)).isoformat() for d in range(86))

    # The order of the random draws below is part of the output: change it and every generated file
    # changes. The identity is drawn first, so that a profile can stop before the money fields.
    def _identity(self, index: int) -> tuple[str, str, str, tuple[int, ...], tuple[AddressTuple, ...], str,
                                             Callable[[], float]]:
        self._reseed(taxpayer_seed(self.seed, index))
        r = self._rng.random
        u = r()
        tin_type = "EIN" if u < 0.01 else "ITIN" if u < 0.13 else "SSN"
        if tin_type == "ITIN" and index >= self.tins.itin_size:
            tin_type = "SSN"
        if tin_type == "SSN":
            tin = self.tins.ssn(index)
        elif tin_type == "ITIN":
            tin = self.tins.itin(index)
        else:
            tin = self.tins.ein(index)
        if tin_type == "EIN":
            name = (f"{BUSINESS_WORDS[int(r() * _N_BWORDS)]} {BUSINESS_KINDS[int(r() * _N_BKINDS)]} "
                    f"{BUSINESS_FORMS[int(r() * _N_BFORMS)]}")
        else:
            if tin_type == "ITIN" and r() < 0.7:
                first = ITIN_FIRST_NAMES[int(r() * _N_ITIN_FIRST)]
            else:
                first = FIRST_NAMES[int(r() * _N_FIRST)]
            last = LAST_NAMES[int(r() * _N_LAST)]
            name = f"{first} {MIDDLE_INITIALS[int(r() * _N_MIDDLE)]} {last}" if r() < 0.4 else f"{first} {last}"
        window = self.years
        count = min(len(window), 2 + int(r() * 3))
        begin = int(r() * (len(window) - count + 1))
        years = window[begin:begin + count]
        if count >= 3 and r() < 0.1:              # a gap year: filed, skipped a year, filed again
            gap = 1 + int(r() * (count - 2))
            years = years[:gap] + years[gap + 1:]
        street, city, state, zip5, area = random_address(r)
        current = (street, city, state, zip5)
        if len(years) >= 2 and r() < 0.22:       # moved: an earlier address for the first years
            move_at = 1 + int(r() * (len(years) - 1))
            old = random_address(r)
            earlier = (old[0], city, state, zip5) if r() < 0.6 else old[:4]   # 60 %: within the same city
            if earlier == current:
                earlier = (f"{earlier[0]} Apt 1", city, state, zip5)
            addresses = (earlier,) * move_at + (current,) * (len(years) - move_at)
        else:
            addresses = (current,) * len(years)
        return tin, tin_type, name, years, addresses, area, r

    def taxpayer(self, index: int) -> Taxpayer:
        """The identity of taxpayer ``index`` (as it appears in the records)."""
        tin, tin_type, name, years, addresses, _area, _r = self._identity(index)
        return Taxpayer(index, tin, tin_type, name, years, addresses, is_hold(self.seed, index))

    def lines(self, index: int, out: list[str]) -> None:
        """Append taxpayer ``index``'s record rows (one CSV line per tax year) to ``out``.

        The lines are exactly what ``csv.writer`` writes for these values: no generated field contains a
        comma, quote or line break (checked in ``_check_tables``), so none needs quoting.
        """
        tin, tin_type, name, years, addresses, area, r = self._identity(index)
        hold = "1" if ((index * 0x9E3779B97F4A7C15 + self._hold_salt) & _MASK64) < _HOLD_LIMIT else "0"
        phone = f"{area}-555-01{int(r() * 100):02d}" if r() < 0.85 else ""
        bank = str(1_000_000_000 + int(r() * 8_999_999_999)) if r() < 0.7 else ""
        as_of = self._as_of
        head = f"{tin},{tin_type},{name},"
        heads = [f"{head}{street},{city},{state},{zip5}," for street, city, state, zip5 in addresses]
        if tin_type == "EIN":
            tail = f",,{phone},{bank},,,"
            base = 2_000 + int(r() * r() * 90_000)
            for year, head in zip(years, heads, strict=True):
                tax = int(base * (0.8 + 0.4 * r()))
                refund = int(tax * 0.2 * r()) if r() < 0.3 else ""
                interest = int(r() * 4_000) if r() < 0.5 else ""
                out.append(f"{head}{as_of[year][int(r() * 86)]},{year},,,{tax},{refund}{tail}{interest},"
                           f"{hold}\n")
            return
        u = r()
        status = ("single" if u < 0.45 else "mfj" if u < 0.83 else "hoh" if u < 0.95
                  else "mfs" if u < 0.98 else "qw")
        if status == "hoh":
            dependents = 1 + int(r() * 3)
        elif status == "mfj":
            dependents = int(r() * 4)
        elif status == "qw":
            dependents = 1 + int(r() * 2)
        elif status == "mfs":
            dependents = int(r() * 2)
        else:
            dependents = 0
        employed = r() < 0.82
        wage0 = 15_000 + int(r() * r() * 180_000) if employed else 0
        employer = EMPLOYERS[int(r() * _N_EMPLOYERS)] if employed else ""
        interest0 = 1 + int(r() * r() * 3_000) if r() < 0.35 else 0
        other0 = int(r() * 40_000) if not employed else (int(r() * 8_000) if r() < 0.15 else 0)
        deduction = 27_700 if status in ("mfj", "qw") else 20_800 if status == "hoh" else 13_850
        rate = 0.08 + 0.12 * r()
        first = years[0]
        tail = f",{dependents},{phone},{bank},"
        employer_col = f",{employer},"
        for year, head in zip(years, heads, strict=True):
            growth = 1.0 + 0.03 * (year - first) + 0.06 * r() - 0.03
            wages = int(wage0 * growth) if employed else 0
            interest = int(interest0 * (0.5 + r())) if interest0 else 0
            agi = wages + interest + int(other0 * growth)
            tax = agi - deduction
            tax = int(tax * rate) if tax > 0 else 0
            refund = int(tax * 0.3 * r()) + int(r() * 1_500) if r() < 0.72 else ""
            out.append(f"{head}{as_of[year][int(r() * 86)]},{year},{status},{agi},{tax},{refund}{tail}"
                       f"{wages if employed else ''}{employer_col}{interest if interest0 else ''},{hold}\n")


def _check_tables() -> None:
    """Every word a generated field is built from is CSV-safe, so no record field ever needs quoting."""
    words = (*FIRST_NAMES, *ITIN_FIRST_NAMES, *LAST_NAMES, *STREET_NAMES, *STREET_SUFFIXES, *DIRECTIONALS,
             *UNIT_KINDS, *EMPLOYERS, *BUSINESS_WORDS, *BUSINESS_KINDS, *BUSINESS_FORMS,
             *(field for row in CITIES for field in row))
    bad = [w for w in words if any(c in w for c in ',"\r\n') or w != w.strip()]
    if bad:
        raise AssertionError(f"demo word lists hold CSV-unsafe words: {bad}")


_check_tables()
_N_CITIES = len(CITIES)
_N_STREETS = len(STREET_NAMES)
_N_SUFFIXES = len(STREET_SUFFIXES)
_N_UNITS = len(UNIT_KINDS)
_N_FIRST = len(FIRST_NAMES)
_N_ITIN_FIRST = len(ITIN_FIRST_NAMES)
_N_LAST = len(LAST_NAMES)
_N_MIDDLE = len(MIDDLE_INITIALS)
_N_BWORDS = len(BUSINESS_WORDS)
_N_BKINDS = len(BUSINESS_KINDS)
_N_BFORMS = len(BUSINESS_FORMS)
_N_EMPLOYERS = len(EMPLOYERS)


# Above this many taxpayers the records are generated by worker processes, each producing whole chunks that
# the caller writes in order: the bytes are the same either way.
PARALLEL_THRESHOLD = 200_000
TAXPAYERS_PER_TASK = 10_000


def records_job(config: dict[str, Any]) -> Callable[[int], tuple[bytes, dict[str, Any]]]:
    """The chunk function of the records job: task t -> UTF-8 CSV lines of taxpayers t*TAXPAYERS_PER_TASK..."""
    factory = TaxpayerFactory(config["seed"], date.fromisoformat(config["today"]))
    taxpayers: int = config["taxpayers"]
    lines = factory.lines

    def chunk(task: int) -> tuple[bytes, dict[str, Any]]:
        out: list[str] = []
        for index in range(task * TAXPAYERS_PER_TASK, min((task + 1) * TAXPAYERS_PER_TASK, taxpayers)):
            lines(index, out)
        return "".join(out).encode("utf-8"), {"rows": len(out)}

    return chunk


def write_records(path: Path, factory: TaxpayerFactory, taxpayers: int, *, workers: int | None = None) -> int:
    """Stream the records CSV of taxpayers 0 .. taxpayers-1 to ``path``; return the number of rows.

    ``workers`` > 1 generates in that many worker processes (default: by size and CPU count).
    """
    if workers is None:
        workers = default_workers(taxpayers, PARALLEL_THRESHOLD)
    config = {"seed": factory.seed, "today": factory.today.isoformat(), "taxpayers": taxpayers}
    tasks = (taxpayers + TAXPAYERS_PER_TASK - 1) // TAXPAYERS_PER_TASK
    count = 0
    with path.open("wb") as fh:
        fh.write((",".join(RECORDS_HEADER) + "\n").encode("utf-8"))
        for data, meta in ordered_chunks("records", config, tasks, workers=workers):
            fh.write(data)
            count += meta["rows"]
    return count

"""Benchmark the taxpayer-records CSV parser: rows per second and peak memory.

Generates a realistic records CSV (default 1,000,000 rows: one row per taxpayer per tax year, each
taxpayer's years consecutive, ~2% of rows with quoted fields) in a temporary directory, parses it with
`workstation.intake.read_records`, and prints the parse rate and the process's peak RSS.

    .venv/bin/python bench/parse_records.py [--rows N] [--keep FILE]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workstation.intake import read_records

HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,"
          "refund,dependents,phone,bank_account,wages,employer,interest,hold")
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Maria",
         "Jose", "Ana", "Luis", "Wei", "Mei", "Ahmed", "Fatima", "Olga", "Ivan", "Nguyen", "Aisha", "Kenji"]
_ONSETS = ["B", "C", "D", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "T", "V", "W", "Z", "Br",
           "Ch", "St", "Tr", "Mc", "O'", "De La ", "Van "]
_RIMES = ["ar", "en", "il", "on", "ust", "ell", "ian", "ez", "ov", "ami", "ord", "ing", "ae", "ock", "urt"]
_ENDS = ["", "son", "s", "ez", "er", "ski", "ton", "ley", "-Lopez", "berg", "an", "ini"]
LAST = [o + r + e for o in _ONSETS for r in _RIMES for e in _ENDS]          # 4,680 surnames
STREETS = [f"{w} {t}" for w in ("Main", "Oak", "Congress", "Maple", "Cedar", "Elm", "Washington", "Park",
                                "Lake Shore", "N 5th", "Sunset", "Pine", "Highland", "Mill", "River", "Ridge",
                                "Church", "W 34th", "Lincoln", "Jackson", "Spring", "Hill", "Walnut",
                                "Center")
           for t in ("St", "Ave", "Dr", "Ln", "Blvd", "Rd", "Ct", "Street", "Avenue", "Way")] + ["PO Box"]
PLACES = (("Austin", "TX", "787"), ("Houston", "TX", "770"), ("Chicago", "IL", "606"),
          ("New York", "NY", "100"), ("Los Angeles", "CA", "900"), ("Miami", "FL", "331"),
          ("Seattle", "WA", "981"), ("Denver", "CO", "802"), ("Boston", "MA", "021"),
          ("Phoenix", "AZ", "850"), ("Atlanta", "GA", "303"), ("Washington", "DC", "200"),
          ("Saint Louis", "MO", "631"), ("Fort Worth", "TX", "761"), ("San Juan", "PR", "009"))
EMPLOYERS = ["Acme Corp", "Globex", "Initech", "Umbrella Health", "City of Austin", "State University",
             "Big Box Stores", "County Schools", "Self", "Hooli", "Stark Industries", "Wayne Enterprises",
             "General Hospital", "US Postal Service", "Metro Transit", '"Smith, Jones & Co"', "Blue Sky LLC",
             "Riverside Farms", "Northwind Traders", '"Big Box, Inc."']
EIN_PREFIXES = ("01", "10", "12", "20", "27", "30", "33", "45", "46", "54", "60", "80", "94", "98")
STATUSES = ("single", "mfj", "mfs", "hoh", "qw")


def _tin(rnd: random.Random) -> tuple[str, str]:
    kind = rnd.random()
    if kind < 0.85:
        area = rnd.randint(1, 665) if rnd.random() < 0.75 else rnd.randint(667, 899)
        tin = f"{area:03d}{rnd.randint(1, 99):02d}{rnd.randint(1, 9999):04d}"
        return (tin if rnd.random() < 0.9 else f"{tin[:3]}-{tin[3:5]}-{tin[5:]}"), "SSN"
    if kind < 0.95:
        group = rnd.choice((70, 75, 78, 80, 88, 90, 92, 94, 99))
        return f"9{rnd.randint(0, 99):02d}{group}{rnd.randint(0, 9999):04d}", "ITIN"
    return f"{rnd.choice(EIN_PREFIXES)}{rnd.randint(0, 9999999):07d}", "EIN"


def generate(path: Path, rows: int, seed: int = 6103) -> None:
    rnd = random.Random(seed)
    seen: set[str] = set()
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        while written < rows:
            tin, tin_type = _tin(rnd)
            digits = tin.replace("-", "")
            if digits in seen:
                continue
            seen.add(digits)
            if tin_type == "EIN":
                name = f"{rnd.choice(LAST)} {rnd.choice(('LLC', 'Holdings', 'Trust'))}"
            elif rnd.random() < 0.05:
                name = f'"{rnd.choice(LAST)}, {rnd.choice(FIRST)}"'
            else:
                name = f"{rnd.choice(FIRST)} {chr(65 + rnd.randint(0, 25))} {rnd.choice(LAST)}"
            years = rnd.randint(1, 5)
            first_year = rnd.randint(2019, 2025 - years)
            street = city = state = zip_code = ""
            for year in range(first_year, first_year + years):
                if not street or rnd.random() < 0.1:
                    city, state, zip3 = rnd.choice(PLACES)
                    street = f"{rnd.randint(1, 9999)} {rnd.choice(STREETS)}"
                    if rnd.random() < 0.2:
                        street += f" Apt {rnd.randint(1, 40)}"
                    zip_code = f"{zip3}{rnd.randint(0, 99):02d}"
                    as_of = f"{year + 1}-0{rnd.randint(1, 9)}-{rnd.randint(10, 28)}"
                wages = rnd.randint(0, 250_000) if rnd.random() < 0.8 else ""
                agi = (wages or 0) + rnd.randint(-5_000, 20_000)
                tax = max(0, agi // 7)
                out.write(",".join((
                    tin, tin_type, name, street, city, state, zip_code, as_of, str(year),
                    rnd.choice(STATUSES), str(agi), str(tax), str(rnd.randint(0, 4_000)),
                    str(rnd.randint(0, 4)), f"512-555-{rnd.randint(0, 9999):04d}",
                    f"{rnd.randint(10**8, 10**10)}" if rnd.random() < 0.6 else "",
                    str(wages), rnd.choice(EMPLOYERS) if wages != "" else "",
                    str(rnd.randint(0, 900)) if rnd.random() < 0.5 else "",
                    "1" if rnd.random() < 0.01 else "0",
                )) + "\n")
                written += 1
                if written >= rows:
                    break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="generate into this file and keep it (reused if present)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "records.csv"
        if not path.exists():
            t0 = time.perf_counter()
            generate(path, args.rows)
            print(f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) "
                  f"in {time.perf_counter() - t0:.1f} s")
        before = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        count = 0
        for batch in read_records(path):
            count += len(batch)
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        print(f"parsed {count:,} rows in {elapsed:.2f} s wall, {cpu:.2f} s CPU: "
              f"{count / elapsed:,.0f} rows/s wall, {count / cpu:,.0f} rows/s CPU; peak RSS "
              f"{after.ru_maxrss / 1024:.0f} MiB (before parsing {before.ru_maxrss / 1024:.0f} MiB)")


if __name__ == "__main__":
    main()

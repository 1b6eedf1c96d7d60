"""Calls per second of the per-subject primitives over synthetic inputs (default 1,000,000 each).

    .venv/bin/python bench/normalize_speed.py [--n N]

Inputs are generated first (deterministic, seed 6103) so only the calls themselves are timed. Streets mix
spellings the way real data does: suffixes spelled out or abbreviated, units, PO boxes, rural routes.
`street_parts` is what the evaluation does per street (tokens and address key, tokenized once) and
`check_address+` the ADDRESS check given those tokens: together they replace address_key + check_address.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workstation.normalize import address_key, name_control, street_tokens, tin_digits, tin_valid
from workstation.redaction.scan import scan_free_text
from workstation.rules.checks_subject import check_address, check_name
from workstation.rules.subjects import street_parts


def words(text: str, sep: str = " ") -> list[str]:
    return text.split(sep)


FIRST = words("Maria James Ana Wei Fatima John Olga Luis Mary Ahmed Jose Linda")
LAST = words("Example|Smith|Garcia-Lopez|O'Brien|Nguyen|de la Cruz|Johnson|Lee|Van Dyke|Martinez", "|")
STREETS = words("Congress Main Oak Elm Pennsylvania Queens Maple Cedar Lincoln Washington Park 3rd")
SUFFIXES = words("Avenue Ave Street St. Boulevard Blvd Road Rd Drive Dr Lane Court Way Parkway")
UNITS = ["", "", "", " Apt 4", ", Apt. 12B", " Suite 200", " #5", " Unit 3", " Fl 2"]
CITIES = words("Austin|St. Louis|Saint Paul|New York|Fort Worth|San Juan|N Las Vegas|Winston-Salem", "|")
STATES = words("TX MO MN NY TX PR MA NV NC tx")
REASONS = [
    "Subject is a defendant in CR-24-{n} (wire fraud, 18 U.S.C. 1343); address needed to serve a subpoena.",
    "Target of grand jury investigation {n}, charged 2024-11-02 under 21 U.S.C. 841(a)(1).",
    "Witness in case {n}; contact by phone 512-555-0147 failed.",
]


def streets(rng: random.Random, n: int) -> list[tuple[str, str, str, str]]:
    out = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.08:
            street = f"P.O. Box {rng.randint(1, 9999)}"
        elif kind < 0.1:
            street = f"Rural Route {rng.randint(1, 9)} Box {rng.randint(1, 999)}"
        else:
            unit = rng.choice(UNITS)
            street = f"{rng.randint(1, 99999)} {rng.choice(STREETS)} {rng.choice(SUFFIXES)}{unit}"
        zip_code = f"{rng.randint(501, 99950):05d}"
        if rng.random() < 0.3:
            zip_code += f"-{rng.randint(0, 9999):04d}"
        out.append((street, rng.choice(CITIES), rng.choice(STATES), zip_code))
    return out


def rate(label: str, fn: Callable[..., object], args: Sequence[tuple[object, ...]]) -> None:
    """CPU time of this process, so other work on the machine does not distort the rate."""
    start = time.process_time()
    for a in args:
        fn(*a)
    elapsed = time.process_time() - start
    print(f"{label:<16} {len(args) / elapsed:>12,.0f} calls/s   ({elapsed / len(args) * 1e6:.2f} µs/call)")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    n = parser.parse_args(argv).n
    rng = random.Random(6103)
    addresses = streets(rng, n)
    names = [(f"{rng.choice(FIRST)} {rng.choice(LAST)}",) if rng.random() < 0.7
             else (f"{rng.choice(LAST).upper()}, {rng.choice(FIRST).upper()}",) for _ in range(n)]
    tins = [(f"{rng.randrange(10**9):09d}", rng.choice(("SSN", "ITIN", "EIN"))) for _ in range(n)]
    written = [(f"{d[:3]}-{d[3:5]}-{d[5:]}" if rng.random() < 0.7 else d,) for d, _type in tins]
    reasons = [(rng.choice(REASONS).format(n=rng.randint(100, 99999)),) for _ in range(n)]
    print(f"{n:,} synthetic inputs per function")
    rate("address_key", address_key, addresses)
    rate("tin_digits", tin_digits, written)
    rate("tin_valid", tin_valid, tins)
    rate("check_address", check_address, addresses)
    # What the evaluation does per subject with a street: tokenize once, for the address key and the check.
    rate("street_parts", street_parts, addresses)
    with_tokens = [(*a, street_tokens(a[0].strip())) for a in addresses]
    rate("check_address+", check_address, with_tokens)
    rate("name_control", name_control, names)
    rate("check_name", check_name, names)
    rate("scan_free_text", scan_free_text, reasons)


if __name__ == "__main__":
    main()

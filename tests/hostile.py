"""Hostile input for every reader (issue 13): seeds with planted canary values, byte and structure mutations,
and one `run` that feeds a file to a reader and sorts the outcome. Shared by tests/test_hostile_input.py (a
fixed hypothesis budget) and bench/fuzz.py (>= 100,000 inputs).

A reader either accepts the file or raises one DwsError whose message names the file, gives the line or JSON
path (whole-file problems excepted), and holds no canary value; anything else is a defect: a traceback (any
other exception), a slow input (over SLOW_S, of wall and of CPU time), or a canary in the message.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from workstation.canonical import canonical_json
from workstation.errors import DwsError, InputError
from workstation.intake import agency, court_order, records_csv, records_parallel, request_package, subjects_csv
from workstation.policy import Policy
from workstation.policy import load as load_policy

SLOW_S = 2.0            # a mutated seed (a few KB)
BLOWUP_SLOW_S = 6.0     # a blow-up (2-4 MB): linear time, bounded
# Values that must never appear in a message (each a taxpayer value as the file gives it).
CANARIES = ("Quentin Canarybird", "457-55-4329", "4242 Canary Lane", "Canaryville", "94-7654321",
            "Personal canary reason",
            # parts of them a file may use as a key or a column name (issue 18, item 16)
            "Canarybird", "CANARYBIRD", "457554329", "947654321")
REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "intake"

# Whole-file problems, which have no line or path to name.
WHOLE_FILE = ("is empty", "is larger than", "nested too deeply", "is not a regular file", "is a folder",
              "NaN, Infinity", "file not found", "is too large", "office policy", "could not be read (")


def _subjects() -> list[dict]:
    return [
        {"ref": "S-1", "name": "Quentin Canarybird", "tin": "457-55-4329",
         "address": {"street": "4242 Canary Lane", "city": "Canaryville", "state": "TX", "zip": "78701"},
         "periods": ["2023", "2024"], "case_no": "CASE-1", "reason": "Personal canary reason"},
        {"ref": "S-2", "name": "Bo Canary Trust", "tin": "94-7654321", "periods": ["2024"]},
    ]


def request_seed() -> dict:
    doc = json.loads((DATA / "request_example.json").read_text(encoding="utf-8"))
    doc.pop("subjects_csv", None)
    doc["subjects"] = _subjects()
    return doc


def subjects_csv_seed() -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(subjects_csv.COLUMNS)
    for s in _subjects():
        a = s.get("address") or {}
        w.writerow([s["ref"], s["name"], s["tin"], a.get("street", ""), a.get("city", ""), a.get("state", ""),
                    a.get("zip", ""), ";".join(s["periods"]), s.get("case_no", ""), s.get("reason", "")])
    w.writerow(["S-3", "Quoted, \"Canary\"", "", "", "", "", "", "", "", "line one\nline two"])
    return out.getvalue()


def records_csv_seed() -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(records_csv.CSV_COLUMNS)
    for year in (2022, 2023, 2024):
        w.writerow(["457-55-4329", "SSN", "Quentin Canarybird", "4242 Canary Lane", "Canaryville", "TX", "78701",
                    "2024-01-05", year, "single", 51234, 6000, 120, 2, "555-0100", "123456789", 50000,
                    "Canary Works, Inc.", 12, 0])
    w.writerow(["94-7654321", "EIN", "Bo Canary Trust", "", "", "", "", "", 2024, "", -5, "", "", "", "", "",
                "", "", "", 1])
    return out.getvalue()


def text_seed(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def policy_seed() -> str:
    return json.dumps({"_comment": "office", "idle_lock_minutes": 5, "office_name": "Disclosure Office, Ogden",
                       "bulk_threshold": 50})


SEEDS: dict[str, Callable[[], bytes]] = {
    "request": lambda: json.dumps(request_seed(), indent=1).encode(),
    "subjects": lambda: subjects_csv_seed().encode(),
    "records": lambda: records_csv_seed().encode(),
    "records_parallel": lambda: records_csv_seed().encode(),
    "court_order": lambda: text_seed("court_order_example.json").encode(),
    "agency": lambda: text_seed("agency_example.json").encode(),
    "policy": lambda: policy_seed().encode(),
}


# -- readers: consume the whole file ----------------------------------------------------------------------

def _request(path: Path) -> object:
    parsed = request_package.read_request(path)
    for _ in parsed.subjects():
        pass
    return parsed.package


def _subjects_reader(path: Path) -> None:
    subjects_csv.check_header(path, str(path))
    for _ in subjects_csv.read_subjects(path, str(path)):
        pass


def _records(path: Path) -> None:
    """Small files in batches of 7 rows (batch boundaries inside the seed), large ones as the product reads."""
    small = path.stat().st_size < 64 * 1024
    for _ in records_csv.read_records(path, **({"batch_size": 7} if small else {})):
        pass


def _records_parallel(path: Path) -> None:
    """The workers' code path (blocks of whole records read a few megabytes at a time, each split into its
    lines and parsed by parse_lines as a worker does), in this process."""
    source = str(path)
    with records_parallel.csvfile.open_text(path, source) as f, records_parallel.csvfile.read_errors(path, source):
        order = records_parallel.header_order(records_parallel.csvfile.bounded_lines(f), source)
        for first, block in records_parallel._text_blocks(f):
            lines = records_parallel._lines(block) if isinstance(block, str) else block
            records_csv.parse_lines(lines, order, first, path, packed=True)


READERS: dict[str, Callable[[Path], object]] = {
    "request": _request, "subjects": _subjects_reader, "records": _records, "records_parallel": _records_parallel,
    "court_order": court_order.read_court_order, "agency": agency.read_agency, "policy": load_policy,
}
SUFFIX = {"subjects": ".csv", "records": ".csv", "records_parallel": ".csv"}


@dataclass
class Outcome:
    kind: str                 # "ok", "refused", "traceback", "leak", "unplaced", "slow"
    seconds: float
    detail: str = ""


def _cpu_seconds() -> float:
    """CPU time of this process and of the children it has reaped (a parallel reader's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run(reader: str, data: bytes, folder: Path, slow: float = SLOW_S) -> Outcome:
    """Write `data` as the reader's file in `folder` and read it. Over `slow` seconds, both of wall time and of
    CPU time, it is a slow input: a reader that blows up spends both, while a busy machine (the suite's other
    pytest-xdist workers, other work) stretches only the wall time, and a parallel reader's CPU time adds up
    over its workers. `seconds` is the wall time."""
    path = folder / f"hostile-{reader}{SUFFIX.get(reader, '.json')}"
    path.write_bytes(data)
    cpu = _cpu_seconds()
    start = time.perf_counter()
    try:
        _storable(READERS[reader](path))
        kind, detail = "ok", ""
    except DwsError as exc:
        kind, detail = _judge(exc, path), str(exc)
    except Exception as exc:                # the defect being looked for
        kind, detail = "traceback", f"{type(exc).__name__}: {str(exc)[:200]}"
    seconds = time.perf_counter() - start
    if kind in ("ok", "refused") and min(seconds, _cpu_seconds() - cpu) > slow:
        kind = "slow"
    return Outcome(kind, seconds, detail)


def _storable(result: object) -> None:
    """What a reader accepted can be stored and logged: its canonical JSON encodes (a lone surrogate would not)."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        canonical_json(result.record() if isinstance(result, Policy) else dataclasses.asdict(result))


def _judge(exc: DwsError, path: Path) -> str:
    message = str(exc)
    if any(c in message for c in CANARIES) or len(message) > 600:
        return "leak"
    if str(path) not in message:
        return "unplaced"
    if isinstance(exc, InputError) and not exc.where and not any(w in message for w in WHOLE_FILE):
        return "unplaced"
    return "refused"


# -- mutations --------------------------------------------------------------------------------------------

TOKENS: tuple[bytes, ...] = (
    b"\x00", b"\xef\xbb\xbf", b"\r", b"\r\n", b"\n", b"\xff", b"\xc3", b"\xed\xa0\x80", b'"', b",", b";", b"{",
    b"}", b"[", b"]", b":", b"\\", b"\\u0000", b"\\ud800", "\u202e".encode(), "\u0301".encode() * 50,
    "\u200f\u05d0".encode(), b"1e999", b"-0", b"NaN", b"Infinity", b"9" * 30, b"null", b"true", b"[]", b"{}",
    b'""', b'"ref"', b'"format"', b"\t", b"\x7f", b"\x1b[31m", b"0x10", b"2024-02-30", b"-1",
)
HOSTILE_VALUES: tuple[object, ...] = (
    None, True, 0, -1, 2**53, 2**64, 1.5, -0.0, "", " ", "\x00", "\u202e\u0301" * 10, "a" * 5000, [], {}, [[]],
    {"": ""}, "2024-02-30", "9999-12-31", "0000-01-01", "Quentin Canarybird", "457-55-4329", ["*"], ["*", "x"],
)


def mutate_bytes(data: bytes, rnd: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rnd.choice((1, 1, 2, 3, 8))):
        op = rnd.randrange(8)
        pos = rnd.randrange(len(b) + 1)
        if op == 0 and b:
            b[min(pos, len(b) - 1)] ^= 1 << rnd.randrange(8)
        elif op == 1:
            b[pos:pos] = rnd.choice(TOKENS)
        elif op == 2:
            del b[pos:pos + rnd.randrange(1, 40)]
        elif op == 3:
            end = min(len(b), pos + rnd.randrange(1, 200))
            b[pos:pos] = b[pos:end] * rnd.randrange(1, 20)
        elif op == 4:
            del b[pos:]
        elif op == 5:
            b[pos:pos] = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 16)))
        elif op == 6:
            b = bytearray(b.replace(b"\n", rnd.choice((b"\r\n", b"\r", b"\n\n"))))
        else:
            b[pos:pos] = rnd.choice((b"\xef\xbb\xbf", b"\x00", "\u202e".encode()))
    return bytes(b)


def mutate_json(doc: object, rnd: random.Random) -> bytes:
    """Replace, delete, duplicate or add a value somewhere in the document; sometimes a repeated key."""
    doc = json.loads(json.dumps(doc))
    holders: list[tuple[object, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k in list(node):
                holders.append((node, k))
                walk(node[k])
        elif isinstance(node, list):
            for i in range(len(node)):
                holders.append((node, i))
                walk(node[i])

    walk(doc)
    if holders:
        for _ in range(rnd.choice((1, 1, 2, 4))):
            holder, key = rnd.choice(holders)
            op = rnd.randrange(4)
            try:
                if op == 0:
                    holder[key] = rnd.choice(HOSTILE_VALUES)          # type: ignore[index]
                elif op == 1 and isinstance(holder, dict):
                    del holder[key]
                elif op == 2 and isinstance(holder, dict):
                    holder[f"extra{rnd.randrange(3)}"] = rnd.choice(HOSTILE_VALUES)
                elif isinstance(holder, list):
                    holder.append(json.loads(json.dumps(holder[key])))  # type: ignore[index]
            except (KeyError, IndexError):
                pass
    text = json.dumps(doc, ensure_ascii=rnd.random() < 0.5)
    if rnd.random() < 0.15 and text.startswith("{") and len(text) > 2:
        text = '{"format": "x", ' + text[1:]           # a key given twice
    return text.encode()


def mutate(reader: str, seed: bytes, rnd: random.Random) -> bytes:
    if reader in ("request", "court_order", "agency", "policy") and rnd.random() < 0.5:
        try:
            data = mutate_json(json.loads(seed), rnd)
        except ValueError:
            data = seed
        return mutate_bytes(data, rnd) if rnd.random() < 0.3 else data
    return mutate_bytes(seed, rnd)


# -- the blow-ups: each must be refused or read within SLOW_S, without holding the input many times over ------

def blowups(reader: str, seed: bytes) -> dict[str, bytes]:
    json_reader = reader in ("request", "court_order", "agency", "policy")
    big = b"x" * (2 * 1024 * 1024)
    out = {"nul": seed[:40] + b"\x00" + seed[40:], "invalid-utf8": seed[:30] + b"\xff\xfe" + seed[30:],
           "bom": b"\xef\xbb\xbf" + seed, "crlf": seed.replace(b"\n", b"\r\n"), "lone-cr": seed.replace(b"\n", b"\r"),
           "rtl-combining": seed.replace(b"Canary", "\u202eCan\u0301\u0301ary\u200f".encode())}
    if json_reader:
        out["deep-nesting"] = b"[" * 1_000_000 + b"]" * 1_000_000
        out["deep-object"] = b'{"a":' * 200_000 + b"1" + b"}" * 200_000
        out["2mb-field"] = seed.replace(b'"', b'"' + big, 1) if b'"' in seed else big
        out["2mb-string-value"] = b'{"format": "' + big + b'"}'
        out["duplicate-keys"] = b'{"format": 1, "format": 2, ' + seed.lstrip()[1:]
        out["long-number"] = b'{"x": ' + b"9" * 100_000 + b"}"
        out["canary-key"] = b'{"Quentin Canarybird": 1, ' + seed.lstrip()[1:]
        out["canary-key-nested"] = seed.replace(b'"ref"', b'"4242 Canary Lane": 0, "ref"', 1)
        out["canary-plain-key"] = b'{"Canarybird": 1, ' + seed.lstrip()[1:]            # one word, a plain name
        out["canary-tin-key"] = seed.replace(b'"ref"', b'"tin_457554329": 0, "ref"', 1)
        out["canary-upper-key"] = b'{"QUENTIN_CANARYBIRD": 1, ' + seed.lstrip()[1:]
        text_key = next((k for k in (b'"statement": "', b'"note": "', b'"name": "', b'"office_name": "') if k in seed),
                        b'"')
        out["lone-surrogate"] = seed.replace(text_key, text_key + b"\\ud800", 1)          # in a free-text value
        out["lone-surrogate-key"] = seed.replace(b'"', b'"\\udc00', 1)
        out["many-keys"] = b"{" + b",".join(b'"k%d": 1' % i for i in range(200_000)) + b"}"
    else:
        header, _, rest = seed.partition(b"\n")
        out["2mb-field"] = header + b"\n" + b'"' + big + b'"' + rest
        out["quote-spans-file"] = header + b"\n" + b'"' + rest * 20_000              # never closed
        out["quoted-newlines"] = header + b"\n" + b'"' + b"\n" * 2_000_000 + b'"' + b"," * 19 + b"\n"
        out["long-line"] = header + b"\n" + b"a," * 1_000_000 + b"\n"
        out["many-blank-lines"] = header + b"\n" + b"\n" * 2_000_000
        out["canary-column"] = header.rstrip(b"\r") + b",Canarybird\n" + rest
        out["canary-tin-column"] = header.rstrip(b"\r") + b",457-55-4329\n" + rest
        out["canary-column-twice"] = header.rstrip(b"\r") + b",Canarybird,Canarybird\n" + rest
    return out

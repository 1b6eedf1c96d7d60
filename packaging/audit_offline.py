"""Check locked pins against a copy of an advisory database, with no network: ``make audit ADVISORIES=DIR``.

DIR holds advisories in the OSV format (https://ossf.github.io/osv-schema/), one JSON file each, in any
sub-folders: for instance OSV's PyPI export, https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip,
unzipped. An advisory hits a pin when one of its ``affected`` entries names the package in the PyPI ecosystem
and lists the version (``versions``) or holds it in an ECOSYSTEM range (``introduced`` <= version < ``fixed``,
or <= ``last_affected``). Withdrawn advisories are left out.

    python packaging/audit_offline.py DIR requirements.lock packaging/build.lock

Exit 0: every pin checked, none affected. Exit 1: advisories hit (each printed). Exit 2: nothing was checked
(an empty or unreadable folder, a file that is not an advisory, a lock without pins): one line says why.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


class AuditError(Exception):
    """Nothing could be checked: the message says why."""


@dataclass(frozen=True)
class Pin:
    lock: str
    name: str        # normalised (PEP 503)
    version: str


@dataclass(frozen=True)
class Hit:
    pin: Pin
    advisory: str
    aliases: tuple[str, ...]
    fixed: tuple[str, ...]
    summary: str


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(lock: Path) -> list[Pin]:
    """The ``name==version`` lines of a pip-compile lock."""
    try:
        lines = lock.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise AuditError(f"{lock}: cannot be read ({e.__class__.__name__})") from None
    pins = [Pin(lock.name, norm(m.group(1)), m.group(2)) for line in lines if (m := PIN.match(line))]
    if not pins:
        raise AuditError(f"{lock}: no name==version pins in it")
    return pins


def _version(text: object) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _in_range(version: Version, events: list[dict[str, str]]) -> bool:
    """OSV's ECOSYSTEM range: the events in order, each ``introduced`` opening and ``fixed``/``last_affected``
    closing an affected interval (``introduced: "0"``: from the first release)."""
    affected = False
    for event in sorted(events, key=lambda e: (_version(next(iter(e.values()), "0")) or Version("0"))):
        kind, value = next(iter(event.items()), ("", ""))
        bound = Version("0") if value == "0" else _version(value)
        if bound is None:
            continue
        if kind == "introduced" and version >= bound:
            affected = True
        elif (kind == "fixed" and version >= bound) or (kind == "last_affected" and version > bound):
            affected = False
    return affected


def _matches(pin: Pin, entry: dict[str, object]) -> bool:
    package = entry.get("package")
    if not isinstance(package, dict) or package.get("ecosystem") != "PyPI":
        return False
    if norm(str(package.get("name", ""))) != pin.name:
        return False
    version = _version(pin.version)
    if version is None:
        return False
    versions = entry.get("versions")
    if isinstance(versions, list) and any(_version(v) == version for v in versions):
        return True
    ranges = entry.get("ranges")
    return isinstance(ranges, list) and any(
        isinstance(r, dict) and r.get("type") == "ECOSYSTEM" and isinstance(r.get("events"), list)
        and _in_range(version, r["events"]) for r in ranges)


def _list(doc: dict[str, object], key: str) -> list[object]:
    value = doc.get(key)
    return value if isinstance(value, list) else []


def _fixed(entry: dict[str, object]) -> list[str]:
    return [str(e["fixed"]) for r in _list(entry, "ranges") if isinstance(r, dict) for e in _list(r, "events")
            if isinstance(e, dict) and "fixed" in e]


def load_advisories(folder: Path) -> list[tuple[Path, dict[str, object]]]:
    if not folder.is_dir():
        raise AuditError(f"{folder}: no such folder (the advisory database copy)")
    advisories: list[tuple[Path, dict[str, object]]] = []
    for path in sorted(folder.rglob("*.json")):
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise AuditError(f"{path}: not a readable JSON advisory ({e.__class__.__name__})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) \
                or not isinstance(doc.get("affected", []), list):
            raise AuditError(f"{path}: not an OSV advisory (it needs an 'id' and an 'affected' list)")
        if not doc.get("withdrawn"):
            advisories.append((path, doc))
    if not advisories:
        raise AuditError(f"{folder}: no advisories (*.json in the OSV format) in it")
    return advisories


def audit(folder: Path, locks: list[Path]) -> tuple[int, int, list[Hit]]:
    """(advisories read, pins checked, hits)."""
    advisories = load_advisories(folder)
    pins = [pin for lock in locks for pin in read_pins(lock)]
    hits: list[Hit] = []
    for pin in pins:
        for _path, doc in advisories:
            matching = [e for e in _list(doc, "affected") if isinstance(e, dict) and _matches(pin, e)]
            if matching:
                aliases = tuple(str(a) for a in _list(doc, "aliases"))
                fixed = tuple(f for e in matching for f in _fixed(e))
                hits.append(Hit(pin, str(doc["id"]), aliases, fixed, str(doc.get("summary", ""))[:100]))
    return len(advisories), len(pins), hits


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: audit_offline.py ADVISORY_FOLDER LOCK...", file=sys.stderr)
        return 2
    folder, locks = Path(argv[0]), [Path(a) for a in argv[1:]]
    try:
        n_advisories, n_pins, hits = audit(folder, locks)
    except AuditError as e:
        print(f"audit: NOT CHECKED: {e}; nothing was checked", file=sys.stderr)
        return 2
    for hit in hits:
        also = f" ({', '.join(hit.aliases)})" if hit.aliases else ""
        fix = f"; fixed in {', '.join(hit.fixed)}" if hit.fixed else "; no fixed version listed"
        print(f"{hit.pin.lock}: {hit.pin.name}=={hit.pin.version}: {hit.advisory}{also}{fix}. {hit.summary}")
    names = ", ".join(lock.name for lock in locks)
    if hits:
        noun = "vulnerability" if len(hits) == 1 else "vulnerabilities"
        print(f"audit: {len(hits)} known {noun} in {names} ({n_pins} pins checked against {n_advisories} "
              f"advisories in {folder})")
        return 1
    print(f"audit: no known vulnerabilities: {n_pins} pins of {names} checked against {n_advisories} "
          f"advisories in {folder} (as current as that copy)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

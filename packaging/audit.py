"""``make audit``: the pins of the locks checked for known vulnerabilities, by pip-audit, or offline.

    python packaging/audit.py [--service pypi|osv] [--advisories DIR] LOCK...

Online, pip-audit checks each lock as it is (``--disable-pip --require-hashes``: nothing is resolved or
installed) against its vulnerability service, PyPI's JSON API by default (``--service osv``: OSV's). pip-audit
itself prints "No known vulnerabilities found" and exits 0 when the service answered for no pin at all (each is
"skipped"), so this script reads its JSON report instead and counts: a pin the service did not answer for was
not checked, and then the audit says so in one line and exits 2, as it does when the service cannot be reached.
With ``--advisories DIR`` the pins are checked against a copy of an OSV advisory database instead, with no
network (packaging/audit_offline.py).

Exit 0: every pin checked, none affected. Exit 1: known vulnerabilities (each printed). Exit 2: not checked.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import audit_offline

SERVICES = {"pypi": "PyPI's JSON API (pypi.org/pypi/NAME/VERSION/json)", "osv": "OSV (api.osv.dev)"}
UNREACHABLE = ("ConnectionError", "ProxyError", "NameResolutionError", "Max retries exceeded", "timed out",
               "SSLError", "Failed to establish a new connection")


class NotChecked(Exception):
    """The service gave no verdict: the message says why."""


def run_pip_audit(lock: Path, service: str) -> dict[str, object]:
    cmd = [sys.executable, "-m", "pip_audit", "--disable-pip", "--require-hashes", "--requirement", str(lock),
           "--vulnerability-service", service, "--format", "json", "--progress-spinner", "off"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        report = None
    if isinstance(report, dict) and isinstance(report.get("dependencies"), list):
        return report
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    reason = lines[-1] if lines else f"pip-audit exited {proc.returncode} with no report"
    if any(mark in proc.stderr for mark in UNREACHABLE):
        raise NotChecked(f"the vulnerability service, {SERVICES[service]}, could not be reached "
                         f"({reason.split(':', 1)[0]})")
    raise NotChecked(f"pip-audit gave no report on {lock} ({reason[:200]})")


def audit_lock(lock: Path, service: str) -> list[str]:
    """The lines naming each vulnerability of the lock's pins; raises NotChecked when any pin went unchecked."""
    pins = audit_offline.read_pins(lock)
    raw = run_pip_audit(lock, service)["dependencies"]
    deps = [d for d in raw if isinstance(d, dict)] if isinstance(raw, list) else []
    answered = {audit_offline.norm(str(d.get("name"))) for d in deps if not d.get("skip_reason")}
    reasons = {audit_offline.norm(str(d.get("name"))): str(d["skip_reason"]) for d in deps if d.get("skip_reason")}
    unanswered = [pin for pin in pins if pin.name not in answered]
    if unanswered:
        first = unanswered[0]
        why = reasons.get(first.name, "missing from pip-audit's report").split(":")[0]
        raise NotChecked(
            f"the vulnerability service, {SERVICES[service]}, gave no answer for {len(unanswered)} of the "
            f"{len(pins)} pins of {lock} (first: {first.name}=={first.version}: {why}); "
            f"offline: make audit ADVISORIES=DIR")
    found = []
    for dep in deps:
        for vuln in dep.get("vulns", []) or []:
            fix = ", ".join(vuln.get("fix_versions", []) or []) or "no fixed version listed"
            aliases = ", ".join(vuln.get("aliases", []) or [])
            found.append(f"{lock.name}: {dep['name']}=={dep.get('version')}: {vuln.get('id')}"
                         f"{f' ({aliases})' if aliases else ''}; fixed in {fix}")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make audit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", choices=sorted(SERVICES), default="pypi")
    parser.add_argument("--advisories", type=Path, help="a folder of OSV advisories: check offline against it")
    parser.add_argument("locks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.advisories:
        return audit_offline.main([str(args.advisories), *map(str, args.locks)])
    found: list[str] = []
    try:
        for lock in args.locks:
            found += audit_lock(lock, args.service)
    except (NotChecked, audit_offline.AuditError) as e:
        print(f"audit: NOT CHECKED: {e}. No result, and no pass", file=sys.stderr)
        return 2
    names = ", ".join(lock.name for lock in args.locks)
    for line in found:
        print(line)
    if found:
        print(f"audit: {len(found)} known vulnerabilities in {names} ({SERVICES[args.service]})")
        return 1
    print(f"audit: no known vulnerabilities: every pin of {names} checked against {SERVICES[args.service]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

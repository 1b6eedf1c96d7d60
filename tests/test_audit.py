"""`make audit` (issue 23): the locks' pins checked for known vulnerabilities, never a pass without a check.

Offline against a folder of OSV advisories (tests/data/advisories: two made-up ones, one hitting a pinned
version, one not), and online with the vulnerability service out of reach (a proxy that refuses): the audit
says so in one line and exits 2, where pip-audit alone prints "No known vulnerabilities found" and exits 0."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_packaging import read_lock

ROOT = Path(__file__).resolve().parents[1]
AUDIT = ROOT / "packaging" / "audit.py"
ADVISORIES = Path(__file__).parent / "data" / "advisories"
LOCKS = [ROOT / "requirements.lock", ROOT / "packaging" / "build.lock"]


def audit(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, AUDIT, *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=120, check=False)


def test_offline_the_advisory_that_hits_a_pinned_version_is_found_and_the_other_is_not() -> None:
    stdnum = read_lock(LOCKS[0])["python-stdnum"][0]
    r = audit("--advisories", ADVISORIES, *LOCKS)
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"requirements.lock: python-stdnum=={stdnum}: DWS-TEST-0001 (CVE-0000-00001)" in r.stdout
    assert "DWS-TEST-0002" not in r.stdout          # old cryptography releases; and npm's python-stdnum
    pins = len(read_lock(LOCKS[0])) + len(read_lock(LOCKS[1]))
    assert f"audit: 1 known vulnerability in requirements.lock, build.lock ({pins} pins checked against 2 " \
           "advisories" in r.stdout


def test_offline_without_the_advisory_that_hits_the_audit_passes(tmp_path: Path) -> None:
    (tmp_path / "DWS-TEST-0002.json").write_bytes((ADVISORIES / "DWS-TEST-0002.json").read_bytes())
    r = audit("--advisories", tmp_path, *LOCKS)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "audit: no known vulnerabilities:" in r.stdout and "against 1 advisories" in r.stdout


def test_offline_an_empty_or_damaged_advisory_folder_is_no_pass(tmp_path: Path) -> None:
    r = audit("--advisories", tmp_path, *LOCKS)
    assert r.returncode == 2
    assert r.stderr.strip() == f"audit: NOT CHECKED: {tmp_path}: no advisories (*.json in the OSV format) in it; " \
                               "nothing was checked"
    (tmp_path / "broken.json").write_text('{"id": "X", "affected": [', "utf-8")
    r = audit("--advisories", tmp_path, *LOCKS)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "broken.json: not a readable JSON advisory" in r.stderr


def test_online_with_the_service_out_of_reach_the_audit_says_so_and_fails(tmp_path: Path) -> None:
    refused = "http://127.0.0.1:9"        # the discard port: nothing listens, the connection is refused at once
    env = {"HTTPS_PROXY": refused, "HTTP_PROXY": refused, "https_proxy": refused, "http_proxy": refused,
           "NO_PROXY": "", "no_proxy": "", "PIP_NO_CACHE_DIR": "1", "XDG_CACHE_HOME": str(tmp_path)}
    r = audit(LOCKS[1], env=env)                    # no answer cached from an earlier run
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stdout == "" and "No known vulnerabilities" not in r.stderr
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("audit: NOT CHECKED: the vulnerability service, PyPI's JSON API "
                               "(pypi.org/pypi/NAME/VERSION/json), could not be reached")
    assert r.stderr.rstrip().endswith("No result, and no pass")


def fake_pip_audit(folder: Path, report: dict[str, object]) -> dict[str, str]:
    """A stand-in `pip_audit` module printing REPORT: the service's two answers this machine cannot get."""
    (folder / "pip_audit").mkdir(parents=True)
    (folder / "pip_audit" / "__init__.py").write_text("", "utf-8")      # a regular package hides the real one
    (folder / "pip_audit" / "__main__.py").write_text(f"print({json.dumps(json.dumps(report))})\n", "utf-8")
    return {"PYTHONPATH": str(folder)}


def test_online_a_skipped_pin_is_no_pass_and_a_vulnerability_is_named(tmp_path: Path) -> None:
    pins = read_lock(LOCKS[1])
    answered = [{"name": name, "version": version, "vulns": []} for name, (version, _) in pins.items()]
    skipped = [*answered[1:], {"name": answered[0]["name"], "skip_reason": "Dependency not found on PyPI and "
                                                                          "could not be audited: x (1)"}]
    r = audit(LOCKS[1], env=fake_pip_audit(tmp_path / "a", {"dependencies": skipped}))
    assert r.returncode == 2 and r.stdout == ""
    assert f"gave no answer for 1 of the {len(pins)} pins of {LOCKS[1]} (first: {answered[0]['name']}==" \
           f"{answered[0]['version']}: Dependency not found on PyPI and could not be audited)" in r.stderr

    answered[0]["vulns"] = [{"id": "PYSEC-0000-1", "fix_versions": ["99.0"], "aliases": ["CVE-0000-1"]}]
    r = audit(LOCKS[1], env=fake_pip_audit(tmp_path / "b", {"dependencies": answered}))
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"build.lock: {answered[0]['name']}=={answered[0]['version']}: PYSEC-0000-1 (CVE-0000-1); fixed in 99.0" \
           in r.stdout

    answered[0]["vulns"] = []
    r = audit(LOCKS[1], env=fake_pip_audit(tmp_path / "c", {"dependencies": answered}))
    assert r.returncode == 0 and "audit: no known vulnerabilities: every pin of build.lock checked" in r.stdout

"""`dws crypto report` (issue 23, item 2): each primitive with its purpose, algorithm, standard and module; each
module with its version, OpenSSL build, providers and FIPS status (SQLCipher's PRAGMAs included); the self-tests;
the store's keyslots. No passphrase needed, nothing changed. And the office policy's `crypto` key: `standard`
(Argon2id keyslots), `fips` (refuses to start without the FIPS provider)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sqlcipher3
from clihelp import Cli, run_dws
from conftest import ADMIN_PW, REVIEWER_PW, needs_argon2
from cryptography.hazmat.backends.openssl import backend

from workstation import policy
from workstation.crypto import report as crypto_report

# `make fips-check` runs this file with OpenSSL's FIPS provider alone (packaging/fips_check.sh sets it).
UNDER_FIPS = os.environ.get("DWS_TEST_FIPS") == "1"
FIPS_STATE = "active" if UNDER_FIPS else "not active"

APPROVED_ALGORITHMS = {
    "PBKDF2-HMAC-SHA-512, >= 600,000 iterations and >= 0.5 s, 128-bit salt", "HKDF-SHA-256 (HMAC-SHA-256)",
    "AES-256-GCM, 96-bit random nonce", "AES-256-CBC with HMAC-SHA-512 per page (SQLCipher 4)",
    "ECDSA P-256 with SHA-256", "Ed25519", "SHA-256", "key generation in OpenSSL, from its DRBG",
    "the operating system's CSPRNG (getrandom)"}


@pytest.fixture
def cli(admin, store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    admin.close()
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    return Cli(store_dir, capsys, monkeypatch)


def office_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, doc: dict[str, object]) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(doc), "utf-8")
    path.chmod(0o444)
    monkeypatch.setenv("DWS_POLICY_FILE", str(path))
    return path


def sqlcipher_pragmas() -> dict[str, str]:
    conn = sqlcipher3.connect(":memory:")
    conn.execute(f"PRAGMA key = \"x'{'11' * 32}'\"")
    found = {name: str(conn.execute(f"PRAGMA {name}").fetchone()[0])
             for name in ("cipher_version", "cipher_provider", "cipher_provider_version", "cipher_fips_status")}
    conn.close()
    return found


def test_the_report_names_every_primitive_and_module_and_the_stores_keyslots(cli: Cli) -> None:
    r = cli("crypto", "report")                                    # no user, no passphrase
    assert r.code == 0 and r.err == "", r.err
    lines = r.out.splitlines()
    assert lines[0] == "Cryptography mode: approved (no office policy file)"
    assert lines[1].startswith("Self-tests: 10 known-answer tests passed in ") and "ECDSA P-256, Ed25519" in lines[1]
    assert "Primitives (every primitive approved):" in lines
    for algorithm in APPROVED_ALGORITHMS:
        assert any(line.startswith(algorithm + " ") for line in lines), algorithm
    assert "Argon2id" not in r.out
    module = {line.split()[0]: line for line in lines[lines.index("Modules:") + 2:] if line}
    assert backend.openssl_version_text() in module["cryptography"] and f" {FIPS_STATE} " in module["cryptography"]
    cipher = sqlcipher_pragmas()
    assert cipher["cipher_version"] in module["SQLCipher"] and cipher["cipher_provider_version"] in module["SQLCipher"]
    assert f"cipher_fips_status {cipher['cipher_fips_status']}" in module["SQLCipher"]
    assert f" {FIPS_STATE} " in module["SQLCipher"]
    assert "os.urandom" in module and "hashlib" not in module      # every digest through cryptography now
    [sha] = [line for line in lines if line.startswith("SHA-256 ")]
    assert sha.split()[3:5] == ["cryptography", "yes"] and "nothing of the product uses hashlib" in sha
    assert f"Keyslots of the store at {cli.store} (PBKDF2 iterations calibrated for it: 1,000):" in lines
    assert lines[-5:] == ["SLOT     KDF                                   STATE",
                          "admin    PBKDF2-HMAC-SHA-512, 1,000 iterations current",
                          "cora     PBKDF2-HMAC-SHA-512, 1,000 iterations current",
                          "rita     PBKDF2-HMAC-SHA-512, 1,000 iterations current",
                          "recovery PBKDF2-HMAC-SHA-512, 1,000 iterations current"]


def test_the_json_report_holds_the_same(cli: Cli) -> None:
    r = cli("--json", "crypto", "report")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["mode"] == "approved" and doc["all_approved"] is True and doc["policy_file"] is None
    assert {p["algorithm"] for p in doc["primitives"]} == APPROVED_ALGORITHMS
    assert all(p["purpose"] and p["standard"] and p["module"] for p in doc["primitives"])
    modules = {m["name"]: m for m in doc["modules"]}
    assert modules["cryptography"]["openssl"] == backend.openssl_version_text()
    assert any(p.startswith("default") for p in modules["cryptography"]["providers"])
    assert modules["SQLCipher"]["version"] == sqlcipher_pragmas()["cipher_version"]
    assert doc["selftest"]["failed"] is None and doc["selftest"]["ms"] >= 0
    assert doc["pbkdf2_iterations"] == 1000 and doc["store"] == str(cli.store)
    assert [(s["slot"], s["current"]) for s in doc["keyslots"]] == [("admin", True), ("cora", True), ("rita", True),
                                                                   ("recovery", True)]


def test_without_a_store_the_report_leaves_out_keyslots(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    r = Cli(tmp_path / "nothing-here", capsys, monkeypatch)("--json", "crypto", "report")
    doc = json.loads(r.out)
    assert r.code == 0 and doc["store"] is None and doc["keyslots"] == []
    assert not (tmp_path / "nothing-here").exists()


@needs_argon2
def test_crypto_standard_reports_argon2id_as_not_approved(cli: Cli, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = office_policy(tmp_path, monkeypatch, {"crypto": "standard"})
    doc = json.loads(cli("--json", "crypto", "report").out)
    assert doc["mode"] == "standard" and doc["policy_file"] == str(path) and doc["all_approved"] is False
    [kdf] = [p for p in doc["primitives"] if p["algorithm"].startswith("Argon2id")]
    assert kdf["approved"] is False and kdf["standard"] == "RFC 9106"
    assert "Argon2id" in doc["selftest"]["passed"]
    assert {s["current"] for s in doc["keyslots"]} == {False}      # PBKDF2 slots: Argon2id at their next unlock
    text = cli("crypto", "report").out
    assert "Primitives (NOT every primitive approved):" in text and "re-wrapped at its next unlock" in text


def test_crypto_fips_refuses_to_start_without_the_fips_provider(cli: Cli, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    if crypto_report.cryptography_module().fips == "active":
        pytest.skip("OpenSSL's FIPS provider is active here: strict mode starts")
    path = office_policy(tmp_path, monkeypatch, {"crypto": "fips"})
    r = cli("list", user="rita", passphrase=REVIEWER_PW)
    assert r.code == 1 and r.out == ""
    assert r.err.startswith(f"dws: the office policy in {path} says crypto = fips, but OpenSSL's FIPS provider is "
                            f"not active in the cryptography library ({backend.openssl_version_text()}; providers ")
    assert "SQLCipher" in r.err and "cipher_fips_status 0" in r.err and "'dws crypto report'" in r.err
    assert cli("init", "--admin", "admin", passphrase=ADMIN_PW,
               env={"DWS_STORE": str(tmp_path / "new")}).code == 1 and not (tmp_path / "new").exists()
    r = cli("crypto", "report")                                    # the report still says why
    assert r.code == 0 and r.out.startswith(f"Cryptography mode: fips (office policy {path})")
    r = cli("gui", env={"QT_QPA_PLATFORM": "offscreen"})           # no window opens: the same one message
    assert r.code == 1 and r.err.startswith(f"dws: the office policy in {path} says crypto = fips, but OpenSSL's FIPS")


def test_an_unknown_crypto_mode_stops_with_one_message(cli: Cli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    path = office_policy(tmp_path, monkeypatch, {"crypto": "fast"})
    r = cli("list", user="rita", passphrase=REVIEWER_PW)
    assert (r.code, r.err.strip()) == (1, f"dws: office policy {path}: 'crypto': expected one of 'approved', 'fips', "
                                          "'standard' (ask the administrator to correct it)")


def test_the_report_runs_as_its_own_process(admin, store_dir: Path) -> None:
    admin.close()
    r = run_dws(store_dir, "crypto", "report")
    assert r.code == 0 and "Self-tests: 10 known-answer tests passed" in r.out, r.err


def test_no_module_of_the_product_hashes_outside_cryptography() -> None:
    """The report says every digest and MAC goes through `cryptography`: Python's hashlib and hmac run on another
    OpenSSL (the system's), which the report would not name. Any import of them in workstation/ or ui/ fails here."""
    root = Path(__file__).resolve().parents[1]
    found = []
    for folder in ("workstation", "ui"):
        for path in sorted((root / folder).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                words = line.split()
                if words[:1] in (["import"], ["from"]) and len(words) > 1 and \
                        words[1].split(".")[0].rstrip(",") in ("hashlib", "hmac"):
                    found.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert found == []

"""OpenSSL's FIPS provider alone (issue 23 item 2): what `make fips-check` proves (packaging/fips_check.sh runs
this file, among the crypto and store tests, with DWS_TEST_FIPS=1 and an OpenSSL configuration that activates
the FIPS and base providers, not the default one, and fetches everything with fips=yes).

Outside that build the FIPS tests skip; the strict mode's refusal without the provider is
tests/test_crypto_report.py::test_crypto_fips_refuses_to_start_without_the_fips_provider, and the patch that
build applies to SQLCipher is tested here on every run.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import runpy
import shutil
from pathlib import Path

import pytest
import sqlcipher3
from clihelp import Cli
from conftest import REVIEWER_PW
from cryptography.exceptions import InternalError, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes

from workstation import policy
from workstation.crypto import digest, openssl_probe, selftest
from workstation.crypto import report as crypto_report
from workstation.errors import StoreError
from workstation.keys.kdf import ARGON2_UNAVAILABLE
from workstation.service import Workstation

UNDER_FIPS = os.environ.get("DWS_TEST_FIPS") == "1"
fips_only = pytest.mark.skipif(not UNDER_FIPS, reason="needs OpenSSL's FIPS provider alone: make fips-check")
PATCH = Path(__file__).resolve().parents[1] / "packaging" / "fips_patch_sqlcipher.py"


@pytest.fixture
def cli(admin, store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    admin.close()
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    return Cli(store_dir, capsys, monkeypatch)


@fips_only
def test_cryptography_runs_on_the_fips_provider_alone() -> None:
    module = crypto_report.cryptography_module()
    assert module.fips == "active" and module.providers[0] == "fips (every fetch)"
    assert digest.sha256(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises((UnsupportedAlgorithm, InternalError), match=r"unsupported|MD5"):   # no provider serves MD5
        h = hashes.Hash(hashes.MD5())
        h.update(b"abc")
        h.finalize()


@fips_only
def test_sqlcipher_runs_on_the_platforms_libcrypto_in_fips_mode() -> None:
    lib, where = openssl_probe.of_sqlcipher()
    assert lib is not None and lib.fips_active, lib
    assert where.startswith("the shared ") and "sqlcipher3" not in where
    # The default provider is in that OpenSSL only when cryptography runs on the same one (it loads it itself):
    # then, as every fetch asks fips=yes, nothing comes from it: no MD5 through SQLCipher's libcrypto either.
    assert "default" not in lib.providers or crypto_report.cryptography_module().openssl == lib.version
    libcrypto = ctypes.CDLL(str(importlib.import_module("sqlcipher3._sqlite3").__file__))
    libcrypto.EVP_MD_fetch.restype = ctypes.c_void_p
    libcrypto.EVP_MD_fetch.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    assert libcrypto.EVP_MD_fetch(None, b"MD5", None) is None
    sha256 = libcrypto.EVP_MD_fetch(None, b"SHA2-256", None)
    assert sha256 is not None
    libcrypto.EVP_MD_free.argtypes = [ctypes.c_void_p]
    libcrypto.EVP_MD_free(sha256)
    module = crypto_report.sqlcipher_module("4", "openssl", lib.version, "1")
    assert module.providers[0] == "fips" and all(p in ("fips", "base") or p.endswith("(loaded, unused)")
                                                  for p in module.providers)
    conn = sqlcipher3.connect(":memory:")
    conn.execute(f"PRAGMA key = \"x'{'11' * 32}'\"")
    assert conn.execute("PRAGMA cipher_fips_status").fetchone()[0] == "1"
    assert conn.execute("PRAGMA cipher_provider_version").fetchone()[0] == lib.version
    conn.close()


@fips_only
def test_strict_mode_starts_when_the_fips_provider_is_active(cli: Cli, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"crypto": "fips"}), "utf-8")
    path.chmod(0o444)
    monkeypatch.setenv("DWS_POLICY_FILE", str(path))
    r = cli("list", user="rita", passphrase=REVIEWER_PW)
    assert r.code == 0, r.err
    doc = json.loads(cli("--json", "crypto", "report").out)
    assert doc["mode"] == "fips" and doc["selftest"]["failed"] is None
    fips = {m["name"]: m["fips"] for m in doc["modules"]}
    assert fips["cryptography"] == fips["SQLCipher"] == "active"


@fips_only
def test_the_self_tests_pass_and_argon2id_is_named_unavailable() -> None:
    approved = selftest.run(argon2=False)
    assert approved.failed is None and "Ed25519" in approved.passed and "PBKDF2-HMAC-SHA-512" in approved.passed
    standard = selftest.run(argon2=True)
    assert (standard.failed, standard.unavailable) == ("Argon2id", True)
    message = str(selftest.SelfTestFailed("Argon2id", unavailable=True))
    assert message.startswith("Argon2id is not available from this installation's OpenSSL (with OpenSSL's FIPS")
    assert "crypto = approved" in message and "wrong answer" not in message


@fips_only
def test_a_store_with_argon2id_keyslots_gets_one_message_and_is_left_alone(tmp_path: Path) -> None:
    """A store made before PBKDF2 keyslots (the v1 fixture): its Argon2id slot cannot be opened here; one message
    says what to do, the files are as they were, and no failed attempt is counted against the user."""
    store = tmp_path / "v1"
    shutil.copytree(Path(__file__).parent / "data" / "stores" / "v1", store)
    before = {f.name: f.read_bytes() for f in store.iterdir() if f.is_file()}
    for _ in range(4):                                         # past the lockout's 3 failures
        with pytest.raises(StoreError) as caught:
            Workstation(store).unlock("admin", "fixture-admin-passphrase")
        assert str(caught.value) == ARGON2_UNAVAILABLE
    after = {f.name: f.read_bytes() for f in store.iterdir() if f.is_file() and f.name in before}
    assert after == before


def test_the_sqlcipher_patch_reports_openssls_fips_state(tmp_path: Path) -> None:
    """packaging/fips_patch_sqlcipher.py: the community edition's constant 0 becomes OpenSSL 3's own answer; a
    second run changes nothing; a file without that function is refused and left as it was."""
    patch = runpy.run_path(str(PATCH))
    amalgamation = tmp_path / "sqlite3.c"
    amalgamation.write_text("int a;\n" + patch["ORIGINAL"] + "int b;\n", encoding="latin-1")
    assert patch["main"](str(amalgamation)) == 0
    patched = amalgamation.read_text(encoding="latin-1")
    assert "return 0;" not in patched and "EVP_default_properties_is_fips_enabled(NULL)" in patched
    assert 'OSSL_PROVIDER_available(NULL, "fips")' in patched and patched.startswith("int a;\n")
    assert patch["main"](str(amalgamation)) == 0 and amalgamation.read_text(encoding="latin-1") == patched
    other = tmp_path / "other.c"
    other.write_text("static int sqlcipher_openssl_fips_status(void *ctx) { return 1; }\n", encoding="latin-1")
    assert patch["main"](str(other)) == 1
    assert other.read_text(encoding="latin-1").endswith("{ return 1; }\n")

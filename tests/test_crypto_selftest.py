"""Known-answer self-tests before a store opens (issue 23, item 1): every primitive the product uses gives the
published answer, or no store is created or opened, with one message; nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from clihelp import Cli
from conftest import ADMIN_PW, REVIEWER_PW, needs_argon2

from workstation.crypto import selftest
from workstation.service import Workstation
from workstation.store import auditlog

MESSAGE = ("dws: the cryptographic self-test failed (AES-256-GCM gave a wrong answer), so the store was not opened "
           "and nothing was changed. This installation's cryptography library is damaged or has been altered: "
           "reinstall the workstation, or ask your administrator")
# The published answer in each vector (selftest.VECTORS); ECDSA P-256 is a pairwise test and has none.
ANSWERS = {"AES-256-GCM": "sealed", "PBKDF2-HMAC-SHA-512": "derived", "HKDF-SHA-256": "okm", "HMAC-SHA-256": "mac",
           "SHA-256": "digest", "SHA-384": "digest", "SHA-256 (digest.py)": "digest", "Ed25519": "signature",
           "Argon2id": "tag"}


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process has not run the self-tests yet (they run once per process)."""
    monkeypatch.setattr(selftest, "_passed", {})


def wrong(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """One bit of one published answer flipped: the library's right answer no longer matches it."""
    key = ANSWERS[name]
    answer = bytearray.fromhex(selftest.VECTORS[name][key])
    answer[-1] ^= 1
    monkeypatch.setitem(selftest.VECTORS, name, {**selftest.VECTORS[name], key: answer.hex()})


@needs_argon2
def test_every_primitive_gives_the_published_answer() -> None:
    result = selftest.run(argon2=True)
    assert result.failed is None
    assert result.passed == ("AES-256-GCM", "PBKDF2-HMAC-SHA-512", "HKDF-SHA-256", "HMAC-SHA-256", "SHA-256",
                             "SHA-384", "SHA-256 (digest.py)", "ECDSA P-256", "Ed25519", "Argon2id", "random source")
    assert "Argon2id" not in selftest.run(argon2=False).passed       # only where the policy allows it


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_each_wrong_answer_is_caught(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong(monkeypatch, name)
    result = selftest.run(argon2=True)
    assert result.failed == name and name not in result.passed


def test_a_pairwise_test_that_breaks_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_vector: dict[str, str]) -> bool:
        raise ValueError("the library raised")

    monkeypatch.setitem(selftest.CHECKS, "ECDSA P-256", broken)
    assert selftest.run(argon2=False).failed == "ECDSA P-256"


def test_a_wrong_answer_refuses_to_open_the_store_with_one_message(
        admin, store_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        fresh: None) -> None:
    admin.close()
    with Workstation(store_dir).unlock("admin", ADMIN_PW) as s:
        before = list(auditlog.entries(s.conn))
    files = {p.name: p.read_bytes() for p in store_dir.iterdir() if p.is_file() and p.suffix != ".db-wal"}
    monkeypatch.setattr(selftest, "_passed", {})
    wrong(monkeypatch, "AES-256-GCM")
    cli = Cli(store_dir, capsys, monkeypatch)
    for args in (("list",), ("verify",)):
        r = cli(*args, user="rita", passphrase=REVIEWER_PW)
        assert (r.code, r.out, r.err.strip()) == (1, "", MESSAGE)
    r = cli("init", "--admin", "admin", passphrase=ADMIN_PW, env={"DWS_STORE": str(store_dir.parent / "new")})
    assert (r.code, r.err.strip()) == (1, MESSAGE) and not (store_dir.parent / "new").exists()
    assert {p.name: p.read_bytes() for p in store_dir.iterdir() if p.name in files} == files   # no failure counted
    monkeypatch.undo()
    with Workstation(store_dir).unlock("admin", ADMIN_PW) as s:
        assert [e.event for e in auditlog.entries(s.conn)][len(before):] == ["unlock"]


def test_the_self_tests_run_once_a_process(admin, fresh: None, monkeypatch: pytest.MonkeyPatch,
                                           store_dir: Path) -> None:
    admin.close()
    runs: list[bool] = []
    real = selftest.run
    monkeypatch.setattr(selftest, "run", lambda *, argon2: runs.append(argon2) or real(argon2=argon2))
    for _ in range(3):
        Workstation(store_dir).unlock("rita", REVIEWER_PW).close()
    assert runs == [False]

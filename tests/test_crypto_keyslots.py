"""Keyslots by approved algorithms (issue 23, item 1): PBKDF2-HMAC-SHA-512 (SP 800-132) with a count calibrated
at `dws init` and kept per slot; Argon2id only under the office policy's `crypto = standard`; a slot made
otherwise is re-wrapped at the user's next unlock (the same data key, the same signing and checkpoint keys), and
what was signed before still verifies. The suite runs with a test floor of 1,000 iterations (conftest.py), which
an installed program refuses."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from clihelp import Cli
from conftest import ADMIN_PW, REVIEWER_PW, TEST_PBKDF2_ITERATIONS, needs_argon2
from letterdata import ADMIN_PW as LETTERS_ADMIN_PW
from letterdata import passphrase

from workstation import policy
from workstation.errors import StoreError
from workstation.keys import kdf
from workstation.keys import primitives as p
from workstation.service import Workstation
from workstation.store import auditlog, opening
from workstation.store import users as users_sql

PBKDF2_TEST = {"algorithm": "pbkdf2-hmac-sha512", "iterations": TEST_PBKDF2_ITERATIONS}
ARGON2 = "Argon2id, 64 MiB, 3 passes, 4 lanes"
FIXTURE_V3 = Path(__file__).parent / "data" / "stores" / "v3"


def slots_file(store: Path) -> dict:
    return json.loads((store / "keyslots.json").read_text("utf-8"))


def events(store: Path, name: str) -> list[auditlog.LogEntry]:
    with Workstation(store).unlock("admin", ADMIN_PW) as s:
        return [e for e in auditlog.entries(s.conn) if e.event == name]


@pytest.fixture
def office_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write the office policy (`crypto` only); the files count as an administrator's (as in test_policy.py)."""
    monkeypatch.setattr(policy, "TRUSTED_OWNERS", frozenset({0, os.getuid()}))
    path = tmp_path / "policy" / "policy.json"
    path.parent.mkdir()
    monkeypatch.setenv("DWS_POLICY_FILE", str(path))

    def write(crypto: str | None) -> None:
        if path.exists():
            path.chmod(0o644)
        path.write_text(json.dumps({} if crypto is None else {"crypto": crypto}), "utf-8")
        path.chmod(0o444)

    write(None)
    return write


def test_a_new_store_derives_every_slot_with_pbkdf2_and_keeps_the_count(admin, store_dir: Path) -> None:
    doc = slots_file(store_dir)
    assert doc["pbkdf2_iterations"] == TEST_PBKDF2_ITERATIONS
    assert {name: slot["kdf"] for name, slot in doc["users"].items()} == {
        "admin": PBKDF2_TEST, "rita": PBKDF2_TEST, "cora": PBKDF2_TEST}
    assert doc["recovery"]["kdf"] == PBKDF2_TEST
    assert len({slot["salt"] for slot in doc["users"].values()}) == 3          # a fresh 128-bit salt each
    admin.close()
    created = events(store_dir, "store-created")[0]
    assert created.detail["keyslot_kdf"] == "PBKDF2-HMAC-SHA-512, 1,000 iterations"
    with Workstation(store_dir).unlock("rita", REVIEWER_PW):
        pass
    assert events(store_dir, "keyslot-rewrapped") == []


def test_the_count_is_calibrated_to_half_a_second_and_never_under_600000(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(kdf.TEST_ENV)
    assert kdf.floor() == kdf.MIN_ITERATIONS == 600_000
    assert kdf.calibrate(rate=100_000) == 600_000                  # a slow machine: the floor
    assert kdf.calibrate(rate=3_000_000) == 1_500_000              # 0.5 s at 3 million iterations a second
    assert kdf.calibrate(rate=2_345_678) == 1_180_000              # rounded up to a multiple of 10,000
    measured = kdf.calibrate()                                     # this machine (two runs of 50,000 timed)
    assert measured >= 600_000 and measured % 10_000 == 0
    assert kdf.outdated(kdf.Pbkdf2(599_999), "approved") and not kdf.outdated(kdf.Pbkdf2(600_000), "approved")
    assert kdf.outdated(kdf.Argon2(), "approved") and kdf.outdated(kdf.Pbkdf2(10**6), "standard")


def test_an_installed_program_refuses_the_test_floor(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cli = Cli(tmp_path / "store", capsys, monkeypatch)
    monkeypatch.setattr(kdf, "_source_checkout", lambda: False)
    r = cli("init", "--admin", "admin", passphrase=ADMIN_PW)
    assert r.code == 1 and r.out == ""
    assert r.err.strip() == ("dws: DWS_TEST_PBKDF2_ITERATIONS is set: it lowers the cost of passphrase key "
                             "derivation for the test suite only, and an installed workstation refuses it; nothing "
                             "was changed. Unset it, then try again")
    assert not (tmp_path / "store").exists()
    monkeypatch.undo()
    monkeypatch.setenv(kdf.TEST_ENV, "1e3")
    r = cli("init", "--admin", "admin", passphrase=ADMIN_PW)
    assert r.code == 1 and "must be a whole number" in r.err and "Traceback" not in r.err
    assert not (tmp_path / "store").exists()


def test_a_slot_under_the_floor_is_made_again_at_its_next_unlock(admin, store_dir: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    admin.close()
    monkeypatch.setenv(kdf.TEST_ENV, str(2 * TEST_PBKDF2_ITERATIONS))      # the floor rises above the slots'
    with Workstation(store_dir).unlock("rita", REVIEWER_PW) as s, s.signer(REVIEWER_PW) as signer:
        assert p.verify(signer.public_key, signer.sign(b"after"), b"after")
    doc = slots_file(store_dir)
    assert doc["users"]["rita"]["kdf"]["iterations"] == doc["pbkdf2_iterations"] == 2000
    assert doc["users"]["cora"]["kdf"]["iterations"] == 1000                    # until cora unlocks
    [entry] = events(store_dir, "keyslot-rewrapped")[:1]
    assert (entry.user, entry.object, entry.detail) == ("rita", "rita", {
        "from": "PBKDF2-HMAC-SHA-512, 1,000 iterations", "to": "PBKDF2-HMAC-SHA-512, 2,000 iterations"})


@needs_argon2
def test_crypto_standard_makes_argon2id_slots_and_approved_moves_them_to_pbkdf2(
        office_policy, workstation: Workstation, store_dir: Path) -> None:  # type: ignore[no-untyped-def]
    office_policy("standard")
    session, code, _notice = workstation.init("admin", ADMIN_PW)
    with session:
        session.add_user("rita", "reviewer", REVIEWER_PW)
    doc = slots_file(store_dir)
    assert doc["users"]["rita"]["kdf"] == {"algorithm": "argon2id", "memory_kib": 65536, "iterations": 3, "lanes": 4}
    assert doc["recovery"]["kdf"]["algorithm"] == "argon2id" and "pbkdf2_iterations" not in doc
    with workstation.unlock("rita", REVIEWER_PW) as s:
        key = users_sql.public_key(s.conn, "rita")
        verifier = s.checkpoint_verifier_key()
        with s.signer(REVIEWER_PW) as signer:
            public, signature = signer.public_key, signer.sign(b"signed under Argon2id")
    early = workstation.unlock("rita", REVIEWER_PW)      # a window left open across the change of policy

    office_policy("approved")
    with workstation.unlock("rita", REVIEWER_PW) as s:  # the first unlock under approved: re-wrapped
        assert users_sql.public_key(s.conn, "rita") == key                            # the same signing key
        assert s.checkpoint_verifier_key() == verifier                                 # the same checkpoint key
        s.checkpoint()
        with s.signer(REVIEWER_PW) as signer:
            assert signer.public_key == public and p.verify(public, signature, b"signed under Argon2id")
            assert p.verify(public, signer.sign(b"after"), b"after")
    with early.signer(REVIEWER_PW) as signer:          # the open window takes the slot in force
        assert signer.public_key == public
    early.close()
    doc = slots_file(store_dir)
    assert doc["users"]["rita"]["kdf"] == PBKDF2_TEST and doc["pbkdf2_iterations"] == TEST_PBKDF2_ITERATIONS
    assert doc["users"]["admin"]["kdf"]["algorithm"] == "argon2id"       # until admin unlocks
    assert doc["recovery"]["kdf"]["algorithm"] == "argon2id"             # only the recovery code can re-wrap it
    rewrapped = [(e.user, e.object, e.detail) for e in events(store_dir, "keyslot-rewrapped")]
    to = "PBKDF2-HMAC-SHA-512, 1,000 iterations"
    assert rewrapped == [("rita", "rita", {"from": ARGON2, "to": to}), ("admin", "admin", {"from": ARGON2, "to": to})]

    with workstation.unlock_recovery(code) as s:
        s.rebind("admin", ADMIN_PW)
    assert slots_file(store_dir)["recovery"]["kdf"] == PBKDF2_TEST
    assert [e.object for e in events(store_dir, "keyslot-rewrapped")][-1:] == ["recovery"]
    with workstation.unlock("admin", ADMIN_PW) as s:
        assert s.verify().ok


@needs_argon2
def test_a_slot_another_process_rewrapped_first_is_taken_as_it_is(
        office_policy, workstation: Workstation, store_dir: Path,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    office_policy("standard")
    session, _code, _notice = workstation.init("admin", ADMIN_PW)
    with session:
        session.add_user("rita", "reviewer", REVIEWER_PW)
    office_policy("approved")
    real = opening._plan_rewrap
    raced: list[bool] = []

    def first_the_other(*args, **kw):  # type: ignore[no-untyped-def]
        plan = real(*args, **kw)
        if not raced:                  # another process unlocks rita and re-wraps her slot before this one
            raced.append(True)
            Workstation(store_dir).unlock("rita", REVIEWER_PW).close()
        return plan

    monkeypatch.setattr(opening, "_plan_rewrap", first_the_other)
    with workstation.unlock("rita", REVIEWER_PW) as s, s.signer(REVIEWER_PW) as signer:
        assert p.verify(signer.public_key, signer.sign(b"x"), b"x")
    with workstation.unlock("rita", REVIEWER_PW) as s, s.signer(REVIEWER_PW):
        pass
    assert [e.object for e in events(store_dir, "keyslot-rewrapped")] == ["rita", "admin"]


@needs_argon2
def test_a_store_of_an_earlier_release_moves_to_pbkdf2_and_its_signatures_still_verify(tmp_path: Path) -> None:
    store = tmp_path / "v3"
    shutil.copytree(FIXTURE_V3, store)
    assert {slot["kdf"].get("algorithm", "argon2id") for slot in slots_file(store)["users"].values()} == {"argon2id"}
    for user in ("rita", "alex", "cora", "otto"):
        with Workstation(store).unlock(user, passphrase(user)):
            pass
    with Workstation(store).unlock("admin", LETTERS_ADMIN_PW) as s:
        report = s.verify()                 # the decisions signed and approved under the earlier release
        assert report.ok and report.signatures >= 3, report.problems
        moved = [e.object for e in auditlog.entries(s.conn) if e.event == "keyslot-rewrapped"]
    assert moved == ["rita", "alex", "cora", "otto", "admin"]
    assert {slot["kdf"]["algorithm"] for slot in slots_file(store)["users"].values()} == {"pbkdf2-hmac-sha512"}


def test_a_damaged_kdf_in_keyslots_json_is_a_damaged_store(admin, store_dir: Path) -> None:
    admin.close()
    doc = slots_file(store_dir)
    doc["users"]["rita"]["kdf"] = {"algorithm": "pbkdf2-hmac-sha512", "iterations": 10**12}
    (store_dir / "keyslots.json").write_text(json.dumps(doc), "utf-8")
    with pytest.raises(StoreError, match=r"keyslots\.json is damaged"):
        Workstation(store_dir).unlock("rita", REVIEWER_PW)

"""The encrypted store and its key hierarchy: init, unlock, lockout, recovery, damage, permissions."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from conftest import ADMIN_PW, PRODUCT_KDF, REVIEWER_PW, TEST_KDF

from workstation.errors import AuthError, LockedOutError, StoreError
from workstation.keys import device
from workstation.service import Workstation
from workstation.store import auditlog


def test_init_creates_private_encrypted_files(workstation: Workstation, store_dir: Path) -> None:
    session, code, notice = workstation.init("admin", ADMIN_PW)
    session.close()
    assert len(code.split("-")) == 8
    assert notice is not None and "no OS keyring" in notice
    for f in store_dir.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f.name
    assert stat.S_IMODE(store_dir.stat().st_mode) == 0o700
    raw = (store_dir / "store.db").read_bytes()
    assert not raw.startswith(b"SQLite format 3")          # encrypted from the first page
    assert b"CREATE TABLE" not in raw and b"admin" not in raw


def test_a_store_made_by_dws_derives_its_keys_at_the_products_cost(tmp_path: Path) -> None:
    """The suite makes its stores at a cheap Argon2id cost (tests/conftest.py); `dws` itself keeps the real one
    (RFC 9106's second recommendation, 64 MiB and 3 passes, or more) for every slot it makes, and the stores the
    suite makes open in a `dws` process at the cost their slots record."""
    import json

    from clihelp import run_dws

    assert PRODUCT_KDF.memory_kib >= 64 * 1024 and PRODUCT_KDF.iterations >= 3
    made = run_dws(tmp_path / "dws", "init", "--admin", "admin", env={"DWS_PASSPHRASE": ADMIN_PW})
    assert made.code == 0, made.err
    slots = json.loads((tmp_path / "dws" / "keyslots.json").read_text())
    assert slots["users"]["admin"]["kdf"] == slots["recovery"]["kdf"] == PRODUCT_KDF.as_dict()
    Workstation(tmp_path / "here").init("admin", ADMIN_PW)[0].close()
    slots = json.loads((tmp_path / "here" / "keyslots.json").read_text())
    assert slots["users"]["admin"]["kdf"] == slots["recovery"]["kdf"] == TEST_KDF.as_dict()
    listed = run_dws(tmp_path / "here", "user", "list", env={"DWS_USER": "admin", "DWS_PASSPHRASE": ADMIN_PW})
    assert listed.code == 0 and "admin" in listed.out, listed.err


def test_wrong_passphrase_is_refused_and_changes_nothing(admin, workstation: Workstation, store_dir: Path) -> None:
    admin.close()
    before = (store_dir / "store.db").read_bytes()
    with pytest.raises(AuthError, match="wrong passphrase"):
        workstation.unlock("admin", "not-the-passphrase")
    assert (store_dir / "store.db").read_bytes() == before


def test_unknown_user_gets_the_same_message(admin, workstation: Workstation) -> None:
    with pytest.raises(AuthError, match="unknown user or wrong passphrase"):
        workstation.unlock("mallory", ADMIN_PW)


def test_three_failures_lock_out_for_15_minutes_across_processes(admin, store_dir: Path) -> None:
    admin.close()
    now = [1_000_000.0]

    def clock() -> float:
        return now[0]

    for _ in range(3):
        with pytest.raises(AuthError):
            Workstation(store_dir, clock=clock).unlock("rita", "wrong-wrong-wrong")
        now[0] += 60
    # A new Workstation object (as a new process would) sees the lockout, even with the right passphrase.
    with pytest.raises(LockedOutError) as err:
        Workstation(store_dir, clock=clock).unlock("rita", REVIEWER_PW)
    assert "locked out for another 14 minute" in str(err.value)
    now[0] += 14 * 60
    Workstation(store_dir, clock=clock).unlock("rita", REVIEWER_PW).close()  # 15 minutes after the last try


def test_failed_unlocks_reach_the_audit_log(admin, workstation: Workstation) -> None:
    admin.close()
    with pytest.raises(AuthError):
        workstation.unlock("rita", "wrong-wrong-wrong")
    with workstation.unlock("admin", ADMIN_PW) as s:
        events = [(e.event, e.user) for e in auditlog.entries(s.conn)]
    assert ("unlock-failed", "rita") in events
    assert events[-1] == ("unlock", "admin")


def test_recovery_code_opens_the_store(workstation: Workstation) -> None:
    session, code, _ = workstation.init("admin", ADMIN_PW)
    session.close()
    with pytest.raises(AuthError, match="wrong recovery code"):
        workstation.unlock_recovery("AAAAA-" * 7 + "AAAAA")
    with workstation.unlock_recovery(code.lower().replace("-", " ")) as s:
        assert [u.name for u in s.users()] == ["admin"]


@pytest.mark.parametrize("damage", ["truncate", "flip-byte", "zero-header"])
def test_damaged_database_gives_a_clear_error(admin, workstation: Workstation, store_dir: Path,
                                              damage: str) -> None:
    admin.close()
    db = store_dir / "store.db"
    for extra in ("store.db-wal", "store.db-shm"):
        (store_dir / extra).unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2 + 100]
    elif damage == "flip-byte":
        data[100] ^= 0xFF
    else:
        data[:16] = b"\0" * 16
    db.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="damaged"):
        workstation.unlock("admin", ADMIN_PW)


def test_missing_store_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="dws init"):
        Workstation(tmp_path / "nowhere").unlock("admin", ADMIN_PW)


def test_init_refuses_an_existing_store(admin, workstation: Workstation) -> None:
    with pytest.raises(StoreError, match="already holds a store"):
        workstation.init("admin", ADMIN_PW)


def test_short_passphrase_is_refused(workstation: Workstation, store_dir: Path) -> None:
    from workstation.errors import InputError

    with pytest.raises(InputError, match="at least 12"):
        workstation.init("admin", "short")
    assert not store_dir.exists()


@pytest.mark.keyring
def test_device_secret_binds_the_store_to_this_machine(workstation: Workstation, store_dir: Path,
                                                       tmp_path: Path) -> None:
    session, code, notice = workstation.init("admin", ADMIN_PW)
    store_id = session.conn.execute("SELECT value FROM meta WHERE key='store_id'").fetchone()[0]
    session.close()
    assert notice is None
    assert device.load(store_id) is not None          # the secret lives in the real Secret Service
    workstation.unlock("admin", ADMIN_PW).close()
    # The folder copied to a machine whose keyring lacks the secret: the passphrase alone does not open it.
    copy = tmp_path / "copied"
    shutil.copytree(store_dir, copy)
    device.delete(store_id)
    with pytest.raises(StoreError, match="recovery code"):
        Workstation(copy).unlock("admin", ADMIN_PW)
    with Workstation(copy).unlock_recovery(code) as s:
        assert s.users()[0].name == "admin"


def test_files_created_under_umask_077(tmp_path: Path) -> None:
    from workstation.fsutil import atomic_write, private_umask

    old = os.umask(0o022)
    try:
        private_umask()
        atomic_write(tmp_path / "x" / "f.txt", b"hello")
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x" / "f.txt").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o600


def test_recover_rebinds_and_resets(tmp_path: Path, capsys, monkeypatch) -> None:
    from clihelp import Cli

    cli = Cli(tmp_path / "s", capsys, monkeypatch)
    import json as _json

    code = _json.loads(cli("init", "--admin", "admin", "--json", passphrase=ADMIN_PW).out)["recovery_code"]
    cli("user", "add", "rita", "--role", "reviewer", user="admin", passphrase=ADMIN_PW,
        env={"DWS_NEW_PASSPHRASE": REVIEWER_PW})
    r = cli("recover", "--admin", "admin", env={"DWS_RECOVERY_CODE": code, "DWS_NEW_PASSPHRASE": "brand-new-admin-pw"})
    assert r.code == 0, r.err
    assert "must be reset by an admin" in r.out and "rita" in r.out
    assert cli("list", user="admin", passphrase=ADMIN_PW).code == 1           # the old passphrase is void
    assert cli("list", user="admin", passphrase="brand-new-admin-pw").code == 0
    assert cli("list", user="rita", passphrase=REVIEWER_PW).code == 1
    r = cli("user", "reset", "rita", user="admin", passphrase="brand-new-admin-pw",
            env={"DWS_NEW_PASSPHRASE": "rita-new-passphrase"})
    assert r.code == 0, r.err
    assert cli("list", user="rita", passphrase="rita-new-passphrase").code == 0
    with Workstation(tmp_path / "s").unlock("admin", "brand-new-admin-pw") as s:
        events = [e.event for e in auditlog.entries(s.conn)]
        keys = s.conn.execute("SELECT count(*) FROM user_keys WHERE user = 'rita'").fetchone()[0]
    assert {"recovery-unlock", "store-rebound", "user-reset"} <= set(events)
    assert keys == 2                                                          # the old key still verifies
    r = cli("recover", "--admin", "admin", env={"DWS_RECOVERY_CODE": "WRONG-CODE", "DWS_NEW_PASSPHRASE": "x" * 12})
    assert r.code == 1 and "wrong recovery code" in r.err


def test_a_passphrase_replaced_by_a_committed_reset_no_longer_opens_a_stale_keyslots_file(
        admin, store_dir: Path) -> None:
    """A reset killed after its commit but before keyslots.json was written leaves the old slot in the file:
    the old passphrase must not open the store through it, and the new one must (the file catches up)."""
    stale = (store_dir / "keyslots.json").read_bytes()
    admin.reset_user("rita", "rita-new-passphrase-1")
    admin.close()
    (store_dir / "keyslots.json").write_bytes(stale)          # as if killed between the commit and the file
    with pytest.raises(AuthError):
        Workstation(store_dir).unlock("rita", REVIEWER_PW)
    assert (store_dir / "keyslots.json").read_bytes() != stale     # brought up to the committed keyslots
    Workstation(store_dir).unlock("rita", "rita-new-passphrase-1").close()
    with pytest.raises(AuthError):
        Workstation(store_dir).unlock("rita", REVIEWER_PW)

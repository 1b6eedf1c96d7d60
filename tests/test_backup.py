"""`dws backup` and `dws restore`: an encrypted, verified copy of the whole store, and a new store made from it."""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
from pathlib import Path

import pytest
from clihelp import Cli
from test_cli_store import ADMIN, RECORDS_HEADER, REQUEST, write_json

from workstation.errors import InputError, PermissionDenied, StoreError
from workstation.service import Workstation
from workstation.service.backup import restore
from workstation.store import auditlog, db

CANARY_NAME = "Zebulon Quuxworthy"
CANARY_STREET = "7781 Canarywharf Lane"


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    c = Cli(tmp_path / "store", capsys, monkeypatch)
    assert c("init", "--admin", "admin", passphrase=ADMIN["passphrase"]).code == 0
    csv = tmp_path / "r.csv"
    csv.write_text(RECORDS_HEADER + "\n" + f"912-70-1234,ITIN,{CANARY_NAME},{CANARY_STREET},Austin,TX,78701,"
                   "2024-04-15,2024,single,50000,4000,300,0,,,,,,0\n")
    assert c("import", "records", str(csv), **ADMIN).code == 0
    assert c("import", "request", str(write_json(tmp_path / "q.json", REQUEST)), **ADMIN).code == 0
    return c


def _entries(store: Path) -> list[tuple[int, str, str]]:
    with Workstation(store).unlock("admin", ADMIN["passphrase"]) as s:
        return [(e.seq, e.event, e.hash) for e in auditlog.entries(s.conn)]


def _members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]


def _write_tar(path: Path, members: dict[str, bytes]) -> None:
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_round_trip(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "b" / "store.dwsbak"
    r = cli("backup", "-o", str(out), "--json", **ADMIN)
    assert r.code == 0, r.err
    info = json.loads(r.out)
    assert info["size"] == out.stat().st_size and info["schema"] == db.SCHEMA_VERSION
    assert out.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in out.parent.iterdir()) == ["store.dwsbak"]     # no temp copy left
    manifest = json.loads(_members(out)["manifest.json"])
    assert manifest["format"] == "dws.backup/1" and manifest["log_size"] == info["log_size"]
    before = _entries(cli.store)
    logged = [e for e in before if e[1] == "store-backed-up"]
    assert len(logged) == 1 and logged[0][0] == info["log_size"] + 1

    new = tmp_path / "restored"
    r = cli("restore", str(out), "--store", str(new))
    assert r.code == 0, r.err
    assert "same passphrases" in r.out
    after = _entries(new)
    assert after[:info["log_size"]] == before[:info["log_size"]]
    assert after[info["log_size"]][1] == "unlock"              # the first unlock of the restored store
    restored = Cli(new, cli._capsys, cli._mp)
    assert json.loads(restored("list", "--json", **ADMIN).out) == json.loads(cli("list", "--json", **ADMIN).out)
    assert restored("verify", **ADMIN).code == 0


def test_no_plaintext_in_the_backup(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "b.tar"
    assert cli("backup", "-o", str(out), **ADMIN).code == 0
    data = out.read_bytes()
    for canary in (CANARY_NAME, CANARY_STREET, "912-70-1234", "912701234", "Maria Example", "SQLite format 3"):
        assert canary.encode() not in data


def test_backup_takes_a_consistent_snapshot_while_another_session_writes(cli: Cli, tmp_path: Path) -> None:
    """A write transaction open in another connection: the copy does not wait for it and does not hold it;
    only logging the backup waits (busy timeout) until the writer commits."""
    ws = Workstation(cli.store)
    started, failures = threading.Event(), []

    def writer() -> None:
        try:
            with ws.unlock("admin", ADMIN["passphrase"]) as w:
                w.conn.execute("BEGIN IMMEDIATE")
                auditlog.append(w.conn, "uncommitted-write", user="admin")
                started.set()
                time.sleep(1.5)
                w.conn.execute("COMMIT")
        except BaseException as exc:     # reported below
            failures.append(exc)
            started.set()

    with ws.unlock("admin", ADMIN["passphrase"]) as s:
        committed = auditlog.head(s.conn)[0]
        thread = threading.Thread(target=writer)
        thread.start()
        assert started.wait(30)
        info = s.backup(tmp_path / "b.tar")
        thread.join()
    assert not failures
    assert info.log_size == committed + 1          # the writer's own unlock, not its uncommitted write
    live = [e[1] for e in _entries(cli.store)]
    assert live[committed + 1: committed + 3] == ["uncommitted-write", "store-backed-up"]
    restore(tmp_path / "b.tar", tmp_path / "r")
    events = [e[1] for e in _entries(tmp_path / "r")]
    assert "uncommitted-write" not in events and len(events) == info.log_size + 1


@pytest.mark.parametrize("damage", ["flip", "truncate", "drop-keyslots", "foreign", "newer-schema"])
def test_a_damaged_backup_is_refused_and_nothing_is_created(cli: Cli, tmp_path: Path, damage: str) -> None:
    out = tmp_path / "b.tar"
    assert cli("backup", "-o", str(out), **ADMIN).code == 0
    data = bytearray(out.read_bytes())
    members = _members(out)
    if damage == "flip":
        at = data.index(members["store.db"][4096:4160])          # a byte inside the database's second page
        data[at + 7] ^= 0x01
        out.write_bytes(bytes(data))
    elif damage == "truncate":
        out.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "drop-keyslots":
        _write_tar(out, {k: v for k, v in members.items() if k != "keyslots.json"})
    elif damage == "foreign":
        _write_tar(out, {**members, "manifest.json": b'{"format": "something/1"}'})
    else:
        manifest = json.loads(members["manifest.json"])
        manifest["schema"] = db.SCHEMA_VERSION + 1
        _write_tar(out, {**members, "manifest.json": json.dumps(manifest).encode()})
    new = tmp_path / "restored"
    r = cli("restore", str(out), "--store", str(new))
    assert r.code == 1
    if damage == "newer-schema":
        assert "newer than this program" in r.err
    else:
        assert f"{out} is not an intact backup" in r.err
    assert "Traceback" not in r.err and r.err.count("\n") == 1
    assert not new.exists() and sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_restore_onto_an_existing_store_is_refused(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "b.tar"
    assert cli("backup", "-o", str(out), **ADMIN).code == 0
    before = _entries(cli.store)
    r = cli("restore", str(out), "--store", str(cli.store))
    assert r.code == 1 and "already holds a store" in r.err
    assert _entries(cli.store)[: len(before)] == before
    with pytest.raises(StoreError, match="not an empty folder"):
        (tmp_path / "full").mkdir()
        (tmp_path / "full" / "x").write_text("x")
        restore(out, tmp_path / "full")
    empty = tmp_path / "empty"
    empty.mkdir()
    restore(out, empty)                                          # an empty folder is a new store's place
    assert (empty / "store.db").exists()


def test_exit_codes_and_roles(cli: Cli, tmp_path: Path) -> None:
    assert cli("user", "add", "rita", "--role", "auditor", env={"DWS_NEW_PASSPHRASE": "auditor-passphrase"},
               **ADMIN).code == 0
    r = cli("backup", "-o", str(tmp_path / "b.tar"), user="rita", passphrase="auditor-passphrase")
    assert r.code == 1 and "only an admin user may back up the store" in r.err
    assert not (tmp_path / "b.tar").exists()
    r = cli("backup", "-o", str(cli.store / "b.tar"), **ADMIN)
    assert r.code == 1 and "inside the store folder" in r.err
    r = cli("restore", str(tmp_path / "missing.tar"), "--store", str(tmp_path / "r"))
    assert r.code == 1 and "no such backup file" in r.err and not (tmp_path / "r").exists()
    with Workstation(cli.store).unlock("rita", "auditor-passphrase") as s, pytest.raises(PermissionDenied):
        s.backup(tmp_path / "c.tar")
    with pytest.raises(InputError, match="not an intact backup"):
        (tmp_path / "junk").write_bytes(b"\0" * 10)
        restore(tmp_path / "junk", tmp_path / "r")

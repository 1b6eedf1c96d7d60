"""Inclusion proofs written by `dws log prove`, checked by the stand-alone docs/auditor/verify_log_proof.py
(standard library + openssl, run as a subprocess); and the tree that migration 0009 builds for old stores."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from clihelp import Cli
from conftest import needs_argon2

from workstation import checkpoint as cp
from workstation import merkle
from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Workstation
from workstation.store import auditlog, db, logtree

VERIFIER = Path(__file__).resolve().parent.parent / "docs" / "auditor" / "verify_log_proof.py"
FIXTURES = Path(__file__).parent / "data" / "stores"
REQUEST = "DEMO-I2-PARTIAL"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("proofs") / "store"
    os.environ["DWS_NO_KEYRING"] = "1"
    create_demo_store(path, taxpayers=1000, bulk_subjects=120, seed=5)
    with Workstation(path).unlock("rita", demo_passphrase("rita")) as s:
        s.preview(REQUEST, 0)
        s.show_original(REQUEST, 0, "checking the address on file")
        s.preview(REQUEST, 1)
    return path


@pytest.fixture
def cli(demo: Path, tmp_path: Path, capsys, monkeypatch) -> Cli:
    store = tmp_path / "store"
    shutil.copytree(demo, store)
    return Cli(store, capsys, monkeypatch)


def auditor(proof: Path, key: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(VERIFIER), str(proof), key], capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def otto(cli: Cli, *args: str):
    return cli(*args, user="otto", passphrase=demo_passphrase("otto"))


def test_an_entry_proof_is_the_interchange_format_and_the_auditor_tool_checks_it(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "proof.json"
    assert otto(cli, "log", "prove", "--entry", "3", "-o", str(out)).code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert list(doc) == ["format", "checkpoint", "leaf_index", "leaf_hash", "path"]
    assert doc["format"] == "dws.inclusion/1" and doc["leaf_index"] == 2
    c = cp.parse(doc["checkpoint"])
    signer = c.signatures[0].name.split("@")[0]
    key = otto(cli, "log", "key", signer).out.strip()
    run = auditor(out, key)
    assert run.returncode == 0 and "OK: leaf 2 (log entry 3)" in run.stdout, run.stdout + run.stderr
    assert merkle.verify_inclusion(bytes.fromhex(doc["leaf_hash"]), 2, c.size,
                                   [bytes.fromhex(h) for h in doc["path"]], c.root)
    def flip(h: str) -> str:        # another first byte (a hash may begin with 00: "00" would change nothing)
        return f"{int(h[:2], 16) ^ 0xFF:02x}" + h[2:]

    for field, change in (("leaf_hash", lambda d: d.update(leaf_hash=flip(d["leaf_hash"]))),
                          ("path", lambda d: d["path"].__setitem__(0, flip(d["path"][0]))),
                          ("checkpoint", lambda d: d.update(checkpoint=d["checkpoint"].replace(f"\n{c.size}\n",
                                                                                                f"\n{c.size + 1}\n")))):
        bad = json.loads(out.read_text(encoding="utf-8"))
        change(bad)
        (tmp_path / f"bad-{field}.json").write_text(json.dumps(bad), encoding="utf-8")
        run = auditor(tmp_path / f"bad-{field}.json", key)
        assert run.returncode == 1 and "FAIL" in run.stdout, field
    other = otto(cli, "log", "key", "admin").out.strip()
    assert auditor(out, other).returncode == 1                        # another user's key


def test_a_requests_entries_and_a_taxpayers_views_come_with_proofs(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "request.json"
    assert otto(cli, "log", "prove", "--request", REQUEST, "-o", str(out)).code == 0
    items = json.loads(out.read_text(encoding="utf-8"))
    events = [json.loads(i["entry"])["event"] for i in items]
    assert {"request-imported", "preview-viewed", "unredacted-viewed"} <= set(events)
    key = otto(cli, "log", "key", cp.parse(items[0]["proof"]["checkpoint"]).signatures[0].name.split("@")[0])
    assert auditor(out, key.out.strip()).returncode == 0
    with Workstation(cli.store).unlock("admin", demo_passphrase("admin")) as s:
        tin = s.conn.execute("SELECT s.tin9 FROM subjects s JOIN requests r ON r.rid = s.rid "
                             "WHERE r.request_id = ? AND s.seq = 0", (REQUEST,)).fetchone()[0]
    tin_file = tmp_path / "tin.txt"
    tin_file.write_text(f"{tin[:3]}-{tin[3:5]}-{tin[5:]}\n", encoding="utf-8")
    r = otto(cli, "log", "prove", "--tin-file", str(tin_file))
    assert r.code == 0 and tin not in r.out and tin not in r.err
    views = json.loads(r.out)
    assert [json.loads(v["entry"])["event"] for v in views] == ["preview-viewed", "unredacted-viewed"]
    assert all(json.loads(json.loads(v["entry"])["detail"])["ref"] == "1" for v in views)
    with Workstation(cli.store).unlock("admin", demo_passphrase("admin")) as s:
        logged = [e for e in auditlog.entries(s.conn) if e.event == "log-proofs-exported"]
        assert [e.detail for e in logged][-1] == {"by": "taxpayer", "entries": 2}
        assert all(tin not in json.dumps(e.detail) for e in logged)
    assert otto(cli, "log", "prove", "--entry", "999999").code == 1
    assert otto(cli, "log", "prove", "--request", "NO-SUCH").code == 1


@needs_argon2
def test_the_tree_for_an_old_store_is_built_by_migration_0009(tmp_path: Path) -> None:
    for version, user, pw in ((1, "admin", "fixture-admin-passphrase"), (4, "admin", None)):
        path = tmp_path / f"v{version}"
        shutil.copytree(FIXTURES / f"v{version}", path)
        if pw is None:
            from letterdata import ADMIN_PW
            pw = ADMIN_PW
        with Workstation(path).unlock(user, pw) as s:
            assert db.schema_version(s.conn) == db.SCHEMA_VERSION >= 9
            entries = [e.event for e in auditlog.entries(s.conn)]
            assert entries[-4:] == ["checkpoint-key-enrolled",        # enrolled at the first unlock
                                    "office-ca-created", "signing-key-replaced", "certificate-issued"]  # schema 10
            n = logtree.size(s.conn)
            assert n == len(entries) == auditlog.head(s.conn)[0]
            recomputed = auditlog.walk(s.conn, frozenset(), roots_at={n}).roots[n]
            assert logtree.root(s.conn, n) == recomputed
            info = s.checkpoint()
            assert s.verify().ok
        with Workstation(path).unlock(user, pw) as s:              # no second enrolment
            assert [e.event for e in auditlog.entries(s.conn)][-1] == "unlock"
        witness = tmp_path / f"w{version}.checkpoint"
        witness.write_text(info.note, encoding="utf-8")
        with Workstation(path).unlock(user, pw) as s:
            report = s.verify([witness])
            assert report.ok and report.witnesses[0].ok, report.problems

"""Signed decisions and two-person approval, driven through `dws` on a demo store. On both engines (issue 19 item 1,
tests/enginebuilt.py: the demo's files imported into a local store and an office once, copied for each test) but
for what only a local store can be made to do (an admin's new user, a session's role changed)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelp import Cli
from enginebuilt import EngineTemplate, demo_on, engine_from
from engines import ENGINES, Engine, EngineCli

from workstation import clock as clocks
from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Workstation

DEMO = {"taxpayers": 1000, "bulk_subjects": 150, "seed": 3}


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "store"
    os.environ["DWS_NO_KEYRING"] = "1"
    create_demo_store(path, **DEMO)
    return path


@pytest.fixture(scope="module", params=ENGINES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> EngineTemplate:
    root = tmp_path_factory.mktemp(f"decisions-{request.param}")
    return EngineTemplate.build(request.param, request, root,
                                lambda engine: demo_on(engine, root / "files", clocks.today(), **DEMO))


@pytest.fixture
def engine(built: EngineTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from engine_from(built, tmp_path, monkeypatch)


@pytest.fixture
def both(engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> EngineCli:
    """`dws` on either engine (the engines' users, each with their passphrase)."""
    return engine.cli(capsys, monkeypatch)


@pytest.fixture
def cli(demo_template: Path, tmp_path: Path, capsys, monkeypatch) -> Cli:
    store = tmp_path / "store"
    shutil.copytree(demo_template, store)
    return Cli(store, capsys, monkeypatch)


def as_user(name: str) -> dict[str, str]:
    return {"user": name, "passphrase": demo_passphrase(name)}


def test_decide_approve_export_and_openssl_verifies(engine: Engine, both: EngineCli, tmp_path: Path) -> None:
    r = both("decide", "DEMO-I2-PARTIAL", "--outcome", "partial", "--json", user="rita")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["status"] == "signed" and d["needs_approval"] and not d["final"]
    r = both("approve", "DEMO-I2-PARTIAL", "--json", user="alex")
    assert r.code == 0, r.err
    assert json.loads(r.out)["status"] == "approved"
    out = tmp_path / "export"
    assert both("export", "decision", "DEMO-I2-PARTIAL", "-o", str(out), user="otto").code == 0
    doc = json.loads((out / "decision.json").read_bytes())
    assert doc["outcome"] == "partial" and doc["preparer"]["name"] == "rita" and len(doc["plan_hash"]) == 64
    assert (out / "decision.json").read_bytes() == json.dumps(doc, sort_keys=True, separators=(",", ":"),
                                                             ensure_ascii=False).encode()
    # The commands the export's README.txt gives, run as written (ECDSA P-256 keys: with -digest sha256).
    commands = [line.split() for line in (out / "README.txt").read_text().splitlines()
                if line.strip().startswith("openssl ")]
    assert len(commands) == 2 and all("-digest" in c for c in commands)
    for command in commands:
        proc = subprocess.run(command, cwd=out, capture_output=True, text=True)
        assert proc.returncode == 0 and "Signature Verified Successfully" in proc.stdout
    # A changed byte no longer verifies with OpenSSL.
    (out / "decision.json").write_bytes((out / "decision.json").read_bytes().replace(b"partial", b"grant", 1))
    proc = subprocess.run(commands[0], cwd=out, capture_output=True)
    assert proc.returncode != 0
    kinds = [e for e, _o, _d in engine.events()]
    assert "decision-signed" in kinds and "decision-approved" in kinds and "decision-exported" in kinds


@pytest.mark.parametrize(("user", "args", "message"), [
    ("cora", ("decide", "DEMO-I2-VALID", "--outcome", "grant"), "only a reviewer may decide"),
    ("otto", ("decide", "DEMO-I2-VALID", "--outcome", "grant"), "only a reviewer may decide"),
    ("rita", ("decide", "DEMO-I2-COURT-ORDER", "--outcome", "grant"), "can only be denied"),
    ("rita", ("decide", "DEMO-I2-VALID", "--outcome", "deny"), "needs a written justification"),
    ("rita", ("decide", "DEMO-I2-PARTIAL", "--outcome", "grant"), "the outcome is partial, not grant"),
    ("rita", ("decide", "DEMO-I2-MATCH", "--outcome", "partial", "--justification",
              "The officer believes the records are correct."), "releases nothing"),
    ("rita", ("decide", "DEMO-I2-VALID", "--outcome", "deny", "--justification",
              "Call 512-555-0147 about 123-45-6789 first"), "looks like"),
    ("alex", ("approve", "DEMO-I2-VALID"), "has no decision to approve"),
    ("rita", ("approve", "DEMO-I2-VALID"), "only an approver may approve"),
])
def test_refusals_are_clear_and_change_nothing(engine: Engine, both: EngineCli, user: str, args: tuple[str, ...],
                                               message: str) -> None:
    before = engine.events()
    r = both(*args, user=user)
    assert r.code == 1 and message in r.err, r.err
    assert engine.events() == before


def test_the_preparer_cannot_approve_their_own_decision(cli: Cli, monkeypatch) -> None:
    with Workstation(cli.store).unlock("admin", demo_passphrase("admin")) as s:
        s.add_user("rex", "approver", "rex-passphrase-12")
    assert cli("decide", "DEMO-I2-VALID", "--outcome", "grant", **as_user("rita")).code == 0
    # The same person cannot hold both signatures, whichever account: approval by the preparer is refused.
    with Workstation(cli.store).unlock("rita", demo_passphrase("rita")) as s:
        from workstation.errors import PermissionDenied

        s.role = "approver"   # even if an admin gave the preparer the approver role
        with pytest.raises(PermissionDenied, match="different person"):
            s.approve("DEMO-I2-VALID", demo_passphrase("rita"))
    assert cli("approve", "DEMO-I2-VALID", user="rex", passphrase="rex-passphrase-12").code == 0


# A wrong passphrase at signing: tests/test_engine_decisions.py, on both engines.


def test_dws_decide_makes_the_document_once_and_signs_it_as_made(both: EngineCli, monkeypatch, tmp_path: Path) -> None:
    """Nothing is shown between preparing and signing on the command line, so the document is not made a second
    time to compare; what is signed is byte for byte the document `prepare` makes (the Decision tab's path,
    which does compare, is tests/test_gui_signing.py's). An office's desktop runs the same `prepare` on the
    request's working copy (office_decisions.py)."""
    from workstation.service import decisions

    made: list[bytes] = []
    real = decisions.prepare

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        summary = real(*args, **kwargs)
        made.append(summary.document)
        return summary

    monkeypatch.setattr(decisions, "prepare", counted)
    r = both("decide", "DEMO-I2-PARTIAL", "--outcome", "partial", "--json", user="rita")
    assert r.code == 0, r.err
    out = tmp_path / "export"
    assert both("export", "decision", "DEMO-I2-PARTIAL", "-o", str(out), user="otto").code == 0
    assert made == [(out / "decision.json").read_bytes()]
    assert hashlib.sha256(made[0]).hexdigest() == json.loads(r.out)["doc_hash"]


def test_a_changed_evaluation_voids_the_pending_approval(both: EngineCli) -> None:
    assert both("decide", "DEMO-I2-VALID", "--outcome", "grant", user="rita").code == 0
    assert both("override", "DEMO-I2-VALID", "address", "--withhold", "--reason", "Address disputed by counsel",
                user="rita").code == 0
    r = both("approve", "DEMO-I2-VALID", user="alex")
    assert r.code == 1 and "must decide again" in r.err


def test_bulk_denial_still_needs_an_approver(both: EngineCli) -> None:
    r = both("decide", "DEMO-I2-BULK", "--outcome", "deny", "--json", user="rita")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["needs_approval"] and not d["final"]


# Deciding against the recommendation, and no new decision once its letter was issued:
# tests/test_engine_decisions.py, on both engines.

"""The log and its checkpoints on both engines (issue 19 item 1; tests/engines.py): each operation a user does
(import, evaluate, decide, approve, letter) adds exactly its entries, a view of taxpayer data is recorded with who
viewed which request, reading the queue or the log adds nothing, and every checkpoint taken on the way is extended
by the log (`verify --against`, through the service and through `dws log checkpoint -o` / `dws verify --against`,
moved here from tests/test_log_witness.py); a checkpoint of another store is exit 3. Where the office differs on
purpose, the test says so (engine.py): its records entry names no file, its request entry carries no package hash,
its letters' signing CA is made at the first letter, not with the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from engines import Engine, passphrase
from letterdata import AS_OF, COURT_ORDER, REQUESTS, write_records

from workstation import checkpoint as cp
from workstation.service import Workstation

Entry = tuple[str, str | None, dict[str, Any]]


class Log:
    """The engine's log as the test goes: `added()` the entries since the last call."""

    def __init__(self, engine: Engine) -> None:
        engine.made()
        self.engine = engine
        self.seen = engine.events()

    def added(self) -> list[Entry]:
        now = self.engine.events()
        assert now[:len(self.seen)] == self.seen            # nothing before changed
        new, self.seen = now[len(self.seen):], now
        return new


def events(entries: list[Entry]) -> list[tuple[str, str | None]]:
    return [(e, o) for e, o, _d in entries]


def test_each_operation_adds_its_entries_and_every_checkpoint_is_extended(engine: Engine, tmp_path: Path) -> None:
    log = Log(engine)
    office = engine.kind == "office"
    folder = tmp_path / "in"
    folder.mkdir()
    write_records(folder / "records.csv")
    (folder / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    (folder / "LTR-PARTIAL.json").write_text(json.dumps(REQUESTS["LTR-PARTIAL"]), encoding="utf-8")
    with engine.open("otto") as otto:
        checkpoints = [otto.checkpoint()]
    assert log.added() == []                                # a checkpoint is no log entry

    with engine.open("cora") as cora:
        cora.import_order(folder / "order.json")
    assert events(log.added()) == [("court-order-imported", "1:25-cv-00457")]
    with engine.open("rita") as rita:
        rita.import_records(folder / "records.csv")
        [(event, obj, detail)] = log.added()
        assert (event, obj, detail) == ("records-imported", None if office else "records.csv",
                                        {"rows": 10, "inserted": 10, "replaced": 0})
        rita.import_request(folder / "LTR-PARTIAL.json")
        [(event, obj, detail)] = log.added()
        assert (event, obj, detail["authority"], detail["subjects"]) == (
            "request-imported", "LTR-PARTIAL", "6103(i)(2)", 6)
        assert ("package_hash" in detail) != office         # the server holds no hash of the package in clear
        checkpoints.append(rita.checkpoint())
        rita.queue()
        assert log.added() == []

        doc = rita.evaluate("LTR-PARTIAL", AS_OF)
        [(event, obj, detail)] = log.added()
        assert (event, obj) == ("request-evaluated", "LTR-PARTIAL")
        assert {k: detail[k] for k in ("recommendation", "needs_review", "counts", "as_of")} == {
            "recommendation": "partial", "needs_review": False, "counts": doc["counts"], "as_of": AS_OF.isoformat()}
        assert detail.get("claimed") is (True if office else None)     # an office's first preparer claims it
        rita.evaluate("LTR-PARTIAL", AS_OF)
        assert log.added() == []                            # the evaluation is current: nothing recorded again

        signed = rita.decide("LTR-PARTIAL", "partial", None, passphrase("rita"), AS_OF)
        [(event, obj, detail)] = log.added()
        assert (event, obj, detail["decision_id"], detail["outcome"], detail["needs_approval"]) == (
            "decision-signed", "LTR-PARTIAL", signed.decision_id, "partial", True)
        checkpoints.append(rita.checkpoint())
    with engine.open("alex") as alex:
        alex.approve("LTR-PARTIAL", passphrase("alex"), AS_OF)
        [(event, obj, detail)] = log.added()
        assert (event, obj, detail["decision_id"]) == ("decision-approved", "LTR-PARTIAL", signed.decision_id)
        letter = alex.letter("LTR-PARTIAL", passphrase("alex"))
        added = log.added()
        # an office makes its letters' signing CA at its first letter (a local store when it is made)
        assert events(added) == ([("office-ca-created", added[0][1]), ("certificate-issued", "alex")] if office
                                 else []) + [("letter-issued", "LTR-PARTIAL")]
        assert {k: added[-1][2][k] for k in ("letter_id", "decision_id", "kind", "disclosures")} == {
            "letter_id": letter.letter_id, "decision_id": signed.decision_id, "kind": "transmittal",
            "disclosures": 2}
        alex.letter("LTR-PARTIAL", passphrase("alex"))
        assert log.added() == []                            # the letter kept, not issued again

    with engine.open("otto") as otto:
        otto.preview("LTR-PARTIAL", 0)                      # a view of taxpayer data, recorded as otto's
        assert log.added() == [("preview-viewed", "LTR-PARTIAL", {"ref": "1", "released": ["name", "address"]})]
        otto.queue()
        otto.court_orders()
        report = otto.verify(checkpoints and [_write(tmp_path / f"{n}.checkpoint", c.note)
                                              for n, c in enumerate(checkpoints)])
        assert log.added() == []
    assert report.ok, report.problems
    assert [(w.ok, w.size) for w in report.witnesses] == [(True, c.size) for c in checkpoints]
    assert checkpoints[0].size < checkpoints[1].size < checkpoints[2].size <= report.entries
    viewed = [(e, d) for e, o, d in engine.events() if e == "preview-viewed"]
    assert len(viewed) == 1
    if office:                                              # the server records who appended each entry
        with engine.superuser() as conn:                    # type: ignore[attr-defined]
            who = conn.execute("SELECT user_name, appended_by, event FROM dws.office_log ORDER BY seq").fetchall()
        assert [(u, str(by)) for u, by, e in who if e in ("preview-viewed", "decision-approved", "decision-signed")
                ] == [("rita", "rita"), ("alex", "alex"), ("otto", "otto")]         # and the server agrees
    else:
        from workstation.store import auditlog

        with Workstation(engine.store).unlock("ada", passphrase("ada")) as s:
            who = [(e.user, e.event) for e in auditlog.entries(s.conn)]
        assert [w for w, e in who if e in ("preview-viewed", "decision-approved", "decision-signed")] == [
            "rita", "alex", "otto"]


def _write(path: Path, note: str) -> Path:
    path.write_text(note, encoding="utf-8")
    return path


def test_an_unchanged_log_extends_every_checkpoint(engine: Engine, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`dws log checkpoint -o FILE` by two users, entries added between them, then `dws verify --against` both
    (moved here from tests/test_log_witness.py). An office's checkpoints are signed by the office's one checkpoint
    key (engine.py), whoever asks for one."""
    cli = engine.cli(capsys, monkeypatch)
    (tmp_path / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    assert cli("import", "order", str(tmp_path / "order.json"), user="cora").code == 0
    first = _checkpoint(cli, tmp_path / "a.checkpoint", "rita")
    assert first > 0
    for _ in range(3):
        assert cli("import", "order", str(tmp_path / "order.json"), user="cora").code == 0
    second = _checkpoint(cli, tmp_path / "b.checkpoint", "ada")
    # a local store also logs each unlock: cora's three and ada's before her checkpoint
    assert second == first + 3 + (0 if engine.kind == "office" else 4)
    r = cli("verify", "--json", "--against", str(tmp_path / "a.checkpoint"), str(tmp_path / "b.checkpoint"),
            user="otto")
    report = json.loads(r.out)
    assert r.code == 0 and report["ok"], report["problems"]
    assert [(w["ok"], w["size"]) for w in report["witnesses"]] == [(True, first), (True, second)]
    signers = {w["signer"] for w in report["witnesses"]}
    if engine.kind == "office":                     # the key's name: <user>@<office log id>
        assert {s.split("@")[0] for s in signers} == {"rita", "ada"}, signers
    else:
        assert signers == {"rita", "ada"}
    r = cli("verify", "--against", str(tmp_path / "a.checkpoint"), user="otto")
    assert r.code == 0, r.err
    assert ("OK: the office log's chain is whole and extends every checkpoint given." if engine.kind == "office"
            else "The log extends the checkpoint given.") in r.out


def _checkpoint(cli: Any, target: Path, user: str) -> int:
    r = cli("log", "checkpoint", "-o", str(target), user=user)
    assert r.code == 0, r.err
    return cp.parse(target.read_text(encoding="utf-8")).size


def test_a_checkpoint_from_another_store_is_exit_3(engine: Engine, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """(moved here from tests/test_log_witness.py) Another local store's checkpoint, on either engine."""
    from clihelp import Cli

    other = tmp_path / "other"
    Workstation(other).init("admin", "other-admin-passphrase")[0].close()
    target = tmp_path / "other.checkpoint"
    made = Cli(other, capsys, monkeypatch)("log", "checkpoint", "-o", str(target), user="admin",
                                           passphrase="other-admin-passphrase")
    assert made.code == 0, made.err
    r = engine.cli(capsys, monkeypatch)("verify", "--json", "--against", str(target), user="otto")
    report = json.loads(r.out)
    assert r.code == 3 and "is from another store" in report["witnesses"][0]["problem"], report

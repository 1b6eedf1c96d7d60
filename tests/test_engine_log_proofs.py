"""Inclusion proofs on both engines (issue 19 item 1, i19proof; issue 12's `dws log prove`): `dws log prove --entry
SEQ` and `--request ID` write `dws.inclusion/1` proofs that the stand-alone docs/auditor/verify_log_proof.py
(standard library + openssl, run as a subprocess, as an auditor would) accepts with the signer's verifier key from
`dws log key`, on a local store and on an office; a changed proof fails; an unknown entry or request is one clear
message. On an office (no stored tree, no stored checkpoints: service/office_proofs.py) a superuser who rewrites an
entry with every later hash recomputed is caught by a checkpoint kept before: the proof the office gives now does
not lead to its root."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from engines import Engine, EngineCli, OfficeEngine, OfficeServer
from letterdata import AS_OF, request, subject
from test_engine_decisions import load

from workstation import checkpoint as cp
from workstation.errors import InputError, TamperError
from workstation.model import InclusionProof
from workstation.store.auditlog import entry_hash
from workstation.store.office import log as office_log

VERIFIER = Path(__file__).resolve().parent.parent / "docs" / "auditor" / "verify_log_proof.py"
RID = "LTR-PARTIAL"


def auditor(proof: Path, key: str) -> subprocess.CompletedProcess[str]:
    """The stand-alone verifier as an auditor runs it: another process, none of the product's code."""
    return subprocess.run([sys.executable, str(VERIFIER), str(proof), key], capture_output=True, text=True,
                          timeout=60, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def key_of(engine: Engine, cli: EngineCli, proof: dict[str, Any]) -> str:
    """The verifier key of the proof's checkpoint signer, from `dws log key USER` (the user who signed, on both
    engines)."""
    signer = cp.parse(proof["checkpoint"]).signatures[0].name.split("@")[0]
    done = cli("log", "key", signer, user="otto")
    assert done.code == 0, done.err
    return done.out.strip()


def flip(h: str) -> str:
    """Another first byte (a hash may begin with 00: "00" would change nothing)."""
    return f"{int(h[:2], 16) ^ 0xFF:02x}" + h[2:]


def test_an_entrys_proof_is_checked_by_the_auditors_tool_and_a_changed_one_fails(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    load(engine, tmp_path / "in", RID)
    with engine.open("otto") as otto:
        seq = next(p.seq for p in otto.prove_request(RID) if json.loads(p.entry)["event"] == "request-imported")
    cli = engine.cli(capsys, monkeypatch)
    out = tmp_path / "proof.json"
    done = cli("log", "prove", "--entry", str(seq), "-o", str(out), user="otto")
    assert (done.code, done.out, done.err) == (0, "", f"1 inclusion proof written to {out}\n")
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert list(doc) == ["format", "checkpoint", "leaf_index", "leaf_hash", "path"]
    assert doc["format"] == "dws.inclusion/1" and doc["leaf_index"] == seq - 1
    key = key_of(engine, cli, doc)
    assert key.startswith("otto@")                  # the user's own checkpoint key, on both engines
    run = auditor(out, key)
    assert run.returncode == 0 and f"OK: leaf {seq - 1} (log entry {seq}) is in the log" in run.stdout, run.stdout

    for name, change in (("leaf_hash", lambda d: d.update(leaf_hash=flip(d["leaf_hash"]))),
                         ("path", lambda d: d["path"].__setitem__(0, flip(d["path"][0]))),
                         ("index", lambda d: d.update(leaf_index=d["leaf_index"] + 1))):
        bad = json.loads(out.read_text(encoding="utf-8"))
        change(bad)
        (tmp_path / f"bad-{name}.json").write_text(json.dumps(bad), encoding="utf-8")
        run = auditor(tmp_path / f"bad-{name}.json", key)
        assert run.returncode == 1 and run.stdout.startswith("FAIL: "), (name, run.stdout)
    with engine.open("rita") as rita:                   # another key: rita's own locally, another office's none
        other = rita.checkpoint_verifier_key() if engine.kind == "local" else None
    if other is not None:
        assert auditor(out, other).returncode == 1


def test_a_requests_entries_come_with_proofs_and_an_unknown_one_is_one_message(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    load(engine, tmp_path / "in", RID, "LTR-BLOCKED")
    with engine.open("rita") as rita:
        rita.evaluate(RID)
    cli = engine.cli(capsys, monkeypatch)
    out = tmp_path / "request.json"
    done = cli("log", "prove", "--request", RID, "-o", str(out), user="otto")
    assert done.code == 0, done.err
    items = json.loads(out.read_text(encoding="utf-8"))
    entries = [json.loads(i["entry"]) for i in items]
    assert done.err.endswith(f"\n{len(items)} inclusion proofs written to {out}\n" if engine.kind == "local" else
                             f"{len(items)} inclusion proofs written to {out}\n")   # local: the witness folder's note
    assert {e["object"] for e in entries} == {RID}                            # none of LTR-BLOCKED's
    assert {"request-imported", "request-evaluated"} <= {e["event"] for e in entries}
    assert [i["seq"] for i in items] == [e["seq"] for e in entries] == sorted(i["seq"] for i in items)
    assert len({i["proof"]["checkpoint"] for i in items}) == 1                # one checkpoint for them all
    key = key_of(engine, cli, items[0]["proof"])
    run = auditor(out, key)
    assert run.returncode == 0 and run.stdout.count("OK: ") == len(items), run.stdout
    items[0]["entry"] = items[0]["entry"].replace("request-imported", "request-deleted")
    (tmp_path / "bad.json").write_text(json.dumps(items), encoding="utf-8")
    run = auditor(tmp_path / "bad.json", key)
    assert run.returncode == 1 and "the entry's bytes do not hash to the leaf hash" in run.stdout

    done = cli("log", "prove", "--entry", "999", user="otto")
    assert (done.code, done.out) == (1, "") and done.err.startswith("dws: no log entry 999 (the log has ")
    assert len(done.err.splitlines()) == 1
    done = cli("log", "prove", "--request", "NO-SUCH", user="otto")
    assert (done.code, done.out, done.err) == (1, "", "dws: no request 'NO-SUCH' in the store (see 'dws list')\n")
    with engine.open("otto") as otto:
        entries = otto.verify().entries
        with pytest.raises(InputError, match="a log entry number"):
            otto.prove_entry(0)
        with pytest.raises(InputError, match=r"^no request 'NO-SUCH'"):
            otto.prove_request("NO-SUCH")
        assert otto.verify().entries == entries                              # the refusals logged nothing


@pytest.fixture
def office(engine_server: OfficeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OfficeEngine]:
    from workstation.service.office_evaluation import SCRATCH_ENV

    monkeypatch.setenv(SCRATCH_ENV, str(tmp_path / "cache"))
    made = engine_server.fresh_office()
    try:
        yield made
    finally:
        made.close()


def as_superuser(office: OfficeEngine, statements: list[str]) -> None:
    """What an insider with the server's superuser can do: the log's triggers off, rows changed, triggers on."""
    with office.superuser() as conn, conn.transaction():
        conn.execute("ALTER TABLE dws.office_log DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement.encode())
        conn.execute("ALTER TABLE dws.office_log ENABLE TRIGGER USER")


def rewrite(office: OfficeEngine, seq: int, old: str, new: str, *, rehash: bool = True) -> None:
    """Entry `seq`'s detail with `old` replaced by `new`; with `rehash`, its hash and every later entry's prev_hash
    and hash recomputed (the chain whole again)."""
    with office.superuser() as conn:
        rows = office_log.entries(conn)
    prev = str(rows[seq - 2][7]) if seq > 1 else office_log.GENESIS
    statements = []
    for s, ts, user, event, obj, detail, _prev, hash_, _by in rows[seq - 1:]:
        text = str(detail).replace(old, new) if s == seq else str(detail)
        assert s != seq or text != detail
        h = (entry_hash(prev, int(str(s)), str(ts), user and str(user), str(event), obj and str(obj), text)
             if rehash else str(hash_))
        statements.append(f"UPDATE dws.office_log SET detail = '{text}', prev_hash = '{prev}', hash = '{h}' "
                          f"WHERE seq = {s}")
        prev = h
        if not rehash:
            break
    as_superuser(office, statements)


def write(path: Path, proof: InclusionProof, checkpoint: str | None = None) -> Path:
    doc = proof.as_dict()
    if checkpoint is not None:
        doc["checkpoint"] = checkpoint
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_superusers_rewrite_makes_the_proofs_fail_against_a_checkpoint_kept_before(
        office: OfficeEngine, tmp_path: Path) -> None:
    load(office, tmp_path / "in", RID)
    events = [e for e, _o, _d in office.events()]
    target = events.index("records-imported") + 1
    with office.open("otto") as otto:
        key = otto.checkpoint_verifier_key()
        witness = otto.checkpoint()                     # an auditor's witness, kept off the server
        n = witness.size
        assert n == len(events)
        before = {seq: otto.prove_entry(seq) for seq in (1, target, n)}
    for seq, proof in before.items():
        assert cp.parse(proof.checkpoint).size == n
        assert auditor(write(tmp_path / f"before-{seq}.json", proof, witness.note), key).returncode == 0

    rewrite(office, target, '"rows":', '"rows":1')      # another count of rows, the chain whole again
    with office.open("otto") as otto:
        assert otto.verify().ok                         # the chain alone cannot tell
        after = {seq: otto.prove_entry(seq) for seq in before}
        (tmp_path / "witness.checkpoint").write_text(witness.note, encoding="utf-8")
        report = otto.verify([tmp_path / "witness.checkpoint"])
    assert after[target].leaf_hash != before[target].leaf_hash and after[target].entry != before[target].entry
    for seq, proof in after.items():
        # the office signs what it holds now (a proof alone cannot show an earlier rewrite) ...
        assert auditor(write(tmp_path / f"now-{seq}.json", proof), key).returncode == 0
        # ... but against the checkpoint kept before, every entry's proof fails, the rewritten one's and the others'
        run = auditor(write(tmp_path / f"kept-{seq}.json", proof, witness.note), key)
        assert run.returncode == 1 and "the audit path does not lead to the checkpoint's root" in run.stdout, seq
    [kept] = report.witnesses                           # `dws verify --against` the kept checkpoint: caught
    assert not kept.ok and kept.first_bad_entry is not None and kept.last_bad_entry is not None
    assert kept.first_bad_entry <= target <= kept.last_bad_entry and "no longer extends it" in str(kept.problem)

    rewrite(office, n, "{", "{ ", rehash=False)         # the last entry changed, its hash not recomputed
    with office.open("otto") as otto, pytest.raises(TamperError, match=f"office log: entry {n} was altered.*no "
                                                      "checkpoint was signed"):
        otto.prove_entry(1)                             # a broken chain: no proof vouches for it


VIEWS = "LTR-VIEWS"


def views_request() -> dict[str, Any]:
    """Subject 1 names no TIN (matched to Maria Example, 212-45-1001, by name and address), subject 2 names
    James Sample's (212-45-1002)."""
    one = subject("1", "released-1")
    one["tin"] = None
    return request(VIEWS, subjects=[one, subject("2", "released-2")])


def prove_views(cli: EngineCli, tmp_path: Path, tin: str) -> tuple[Any, list[dict[str, Any]]]:
    (tmp_path / "tin.txt").write_text(f"{tin}\n", encoding="utf-8")
    out = tmp_path / f"views-{tin[-4:]}.json"
    done = cli("log", "prove", "--tin-file", str(tmp_path / "tin.txt"), "-o", str(out), user="otto")
    assert done.code == 0, done.err
    assert tin not in done.err and tin.replace("-", "") not in done.err
    return done, json.loads(out.read_text(encoding="utf-8"))


def test_a_taxpayers_views_are_proved_whether_matched_by_name_and_address_or_named_by_tin(
        engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    load(engine, tmp_path / "in", RID)
    (tmp_path / "in" / "views.json").write_text(json.dumps(views_request()), encoding="utf-8")
    with engine.open("rita") as rita:
        rita.import_request(tmp_path / "in" / "views.json")
        rita.evaluate(VIEWS, AS_OF)
        rita.preview(VIEWS, 0)
        rita.preview(VIEWS, 1)
        rita.evaluate(RID, AS_OF)                       # names 212-45-1001 too: evaluated, nobody viewed it there
    cli = engine.cli(capsys, monkeypatch)
    for tin, ref in (("212-45-1001", "1"), ("212-45-1002", "2")):
        done, items = prove_views(cli, tmp_path, tin)
        assert done.err.endswith(f"1 inclusion proof written to {tmp_path / f'views-{tin[-4:]}.json'}\n")
        entries = [json.loads(i["entry"]) for i in items]
        assert [(e["event"], e["object"], json.loads(e["detail"])["ref"]) for e in entries] == [
            ("preview-viewed", VIEWS, ref)], tin
        key = key_of(engine, cli, items[0]["proof"])
        run = auditor(tmp_path / f"views-{tin[-4:]}.json", key)
        assert run.returncode == 0 and run.stdout.count("OK: ") == 1, run.stdout
        items[0]["proof"]["leaf_hash"] = flip(items[0]["proof"]["leaf_hash"])
        (tmp_path / "bad.json").write_text(json.dumps(items), encoding="utf-8")
        assert auditor(tmp_path / "bad.json", key).returncode == 1
    _done, none = prove_views(cli, tmp_path, "212-45-1004")      # on hold, in RID, nobody viewed it
    assert none == []
    exported = [(o, d) for e, o, d in engine.events() if e == "log-proofs-exported"]
    assert exported[-3:] == [(None, {"by": "taxpayer", "entries": 1}), (None, {"by": "taxpayer", "entries": 1}),
                             (None, {"by": "taxpayer", "entries": 0})]
    done = cli("log", "prove", "--request", VIEWS, user="otto")
    assert done.code == 0 and engine.events()[-1] == ("log-proofs-exported", VIEWS,
                                                      {"by": "request", "entries": len(json.loads(done.out))})


def test_a_subject_matched_again_to_another_taxpayer_is_found_under_both(office: OfficeEngine, tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str],
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Subject 1 (no TIN) is matched to Maria Example (212-45-1001) and viewed; her records are then filed under
    another name and a new taxpayer (212-45-1077) files as Maria Example at that address: evaluated again, the
    subject matches the new one and is viewed again. The office keeps every evaluation's matches, so each taxpayer's
    proofs hold the subject's views (a view is listed for every taxpayer the subject was matched to: never left
    out)."""
    load(office, tmp_path / "in", RID)
    (tmp_path / "in" / "views.json").write_text(json.dumps(views_request()), encoding="utf-8")
    with office.open("rita") as rita:
        rita.import_request(tmp_path / "in" / "views.json")
        rita.evaluate(VIEWS, AS_OF)
        rita.preview(VIEWS, 0)
    lines = (tmp_path / "in" / "records.csv").read_text(encoding="utf-8").splitlines()
    maria = [line for line in lines if line.startswith("212451001,")]
    moved = [line.replace("Maria Example", "Maria Otherwise") for line in maria]
    newcomer = [line.replace("212451001,", "212451077,") for line in maria]
    (tmp_path / "in" / "again.csv").write_text("\n".join([lines[0], *moved, *newcomer]) + "\n", encoding="utf-8")
    with office.open("rita") as rita:
        rita.import_records(tmp_path / "in" / "again.csv")
        rita.evaluate(VIEWS, AS_OF)
    with office.open("rita") as rita:
        rita.preview(VIEWS, 0)
    with office.superuser() as conn:        # the same findings: evaluated again because the match changed
        assert conn.execute("SELECT count(DISTINCT tin_index), count(DISTINCT evaluation) FROM dws.subject_matches "
                            "WHERE seq = 0").fetchone() == (2, 2)
    cli = office.cli(capsys, monkeypatch)
    assert [e for e, _o, _d in office.events()].count("preview-viewed") == 2
    for tin in ("212-45-1001", "212-45-1077"):
        _done, items = prove_views(cli, tmp_path, tin)
        assert [(json.loads(i["entry"])["event"], json.loads(json.loads(i["entry"])["detail"])["ref"])
                for i in items] == [("preview-viewed", "1")] * 2, tin

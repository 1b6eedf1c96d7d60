"""Evaluation, decisions, approvals, letters and the log on both engines (issue 19 item 1: one test, a local store
and an office on a real TLS server; tests/engines.py), through the service's StoreEngine: the same requests
(tests/letterdata.py) give the same recommendation, the same refusals, a letter that verifies, a log that verifies
and extends an earlier checkpoint. Where the office differs on purpose, the test says so: the preparer's role is
`preparer` in an office (`reviewer` locally), and the office's `verify` counts no signatures (engine.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from engines import Engine, passphrase
from letterdata import AS_OF, COURT_ORDER, JUSTIFICATION, REQUESTS, write_records

from workstation.errors import AuthError, DwsError, PermissionDenied
from workstation.service.engine import StoreEngine


def load(engine: Engine, folder: Path, *request_ids: str) -> None:
    """The letter tests' records, court order and requests, imported as counsel and the preparer."""
    folder.mkdir(exist_ok=True)
    write_records(folder / "records.csv")
    (folder / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    with engine.open("cora") as cora:
        cora.import_order(folder / "order.json")
    with engine.open("rita") as rita:
        rita.import_records(folder / "records.csv")
        for rid in request_ids:
            (folder / f"{rid}.json").write_text(json.dumps(REQUESTS[rid]), encoding="utf-8")
            rita.import_request(folder / f"{rid}.json")


def status(s: StoreEngine, request_id: str) -> str:
    return next(r.status for r in s.queue() if r.request_id == request_id)


def test_evaluate_decide_approve_export_letter_and_verify(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "in", "LTR-PARTIAL")
    with engine.open("rita") as rita:
        before = rita.checkpoint()
        doc = rita.evaluate("LTR-PARTIAL", AS_OF)
        assert (doc["recommendation"], doc["as_of"], doc["evaluated_by"]) == ("partial", AS_OF.isoformat(), "rita")
        assert status(rita, "LTR-PARTIAL") == "evaluated"
        signed = rita.decide("LTR-PARTIAL", "partial", None, passphrase("rita"), AS_OF)
        assert (signed.outcome, signed.recommendation, signed.status, signed.needs_approval, signed.preparer) == (
            "partial", "partial", "signed", True, "rita")
        assert status(rita, "LTR-PARTIAL") == "approval-pending"
    with engine.open("alex") as alex:
        approved = alex.approve("LTR-PARTIAL", passphrase("alex"), AS_OF)
        assert (approved.decision_id, approved.status, approved.approver) == (signed.decision_id, "approved", "alex")
        exported = alex.export_decision("LTR-PARTIAL")
        assert exported.decision_id == signed.decision_id
        assert sorted(exported.files) == ["approver.pem", "approver.sig", "decision.json", "preparer.pem",
                                          "preparer.sig"]
        # the signed document names the evaluation it was made from, on either engine (moved here from
        # tests/test_office_decisions_pg.py, which compared the office's with a local store's made beside it)
        document = json.loads(exported.files["decision.json"])
        assert {k: document[k] for k in ("format", "request_id", "authority", "as_of", "recommendation",
                                         "needs_review", "outcome", "justification", "counts", "plan_hash",
                                         "needs_approval")} == {
            "format": "dws.decision/1", "request_id": "LTR-PARTIAL", "authority": "6103(i)(2)",
            "as_of": AS_OF.isoformat(), "recommendation": "partial", "needs_review": doc["needs_review"],
            "outcome": "partial", "justification": None, "counts": doc["counts"], "plan_hash": doc["plan_hash"],
            "needs_approval": True}
        assert document["findings"]["subjects_hash"] == doc["findings_hash"]
        assert (document["decision_id"], document["preparer"]["name"]) == (signed.decision_id, "rita")
    with engine.open("rita") as rita:
        letter = rita.letter("LTR-PARTIAL", passphrase("rita"))
        assert (letter.decision_id, letter.request_id, letter.new, letter.issued_by) == (
            signed.decision_id, "LTR-PARTIAL", True, "rita")
        again = rita.letter("LTR-PARTIAL", passphrase("rita"))
        assert (again.letter_id, again.sha256, again.new) == (letter.letter_id, letter.sha256, False)
    with engine.open("otto") as otto:
        check = otto.verify_letter(letter.pdf, "letter.pdf")
        assert check.ok, check.problems
        assert (check.letter_id, check.decision_id) == (letter.letter_id, signed.decision_id)
        assert [(c.role, c.name, c.ok) for c in check.signatures] == [("preparer", "rita", True),
                                                                     ("approver", "alex", True)]
        changed = bytearray(letter.pdf)
        changed[len(changed) // 2] ^= 1
        assert not otto.verify_letter(bytes(changed), "changed.pdf").ok
        witness = tmp_path / "before.checkpoint"
        witness.write_text(before.note, encoding="utf-8")
        report = otto.verify([witness])
        assert report.ok, report.problems
        assert [(w.ok, w.size) for w in report.witnesses] == [(True, before.size)]
        assert report.entries > before.size
        # a local store checks every decision's signatures; the office's verify is its log's (engine.py)
        assert (report.decisions, report.signatures) == ((1, 2) if engine.kind == "local" else (0, 0))
        after = otto.checkpoint()
        assert after.size == report.entries
    events = [e for e, o, _d in engine.events() if o == "LTR-PARTIAL"]
    for event in ("request-imported", "request-evaluated", "decision-signed", "decision-approved", "letter-issued"):
        assert event in events, (event, events)


def test_a_wrong_passphrase_at_signing_is_refused(engine: Engine, tmp_path: Path) -> None:
    """(moved here from tests/test_decisions.py)"""
    load(engine, tmp_path / "in", "LTR-PARTIAL")
    with engine.open("rita") as rita:
        rita.evaluate("LTR-PARTIAL", AS_OF)
        with pytest.raises(AuthError, match="wrong passphrase"):
            rita.decide("LTR-PARTIAL", "partial", None, "not-ritas-passphrase", AS_OF)
        assert status(rita, "LTR-PARTIAL") == "evaluated"
    assert "decision-signed" not in [e for e, _o, _d in engine.events()]


def refusal(engine: Engine, user: str, call: str, *args: object) -> str:
    before = engine.events()
    with engine.open(user) as s, pytest.raises(DwsError) as refused:
        getattr(s, call)(*args)
    assert engine.events() == before            # a refusal writes nothing
    return str(refused.value)


def test_each_refusal_is_the_same_on_both(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "in", "LTR-DENY-STATUTE", "LTR-WITHDRAWN")
    with engine.open("rita") as rita:
        rita.evaluate("LTR-DENY-STATUTE", AS_OF)
        rita.evaluate("LTR-WITHDRAWN", AS_OF)
    preparer = engine.role("rita")              # 'reviewer' in a local store, 'preparer' in an office
    assert refusal(engine, "alex", "decide", "LTR-DENY-STATUTE", "deny", None, passphrase("alex"), AS_OF) == (
        "only a reviewer may decide a request (you are approver); counsel and auditors never decide")
    assert refusal(engine, "alex", "approve", "LTR-DENY-STATUTE", passphrase("alex"), AS_OF) == (
        "request LTR-DENY-STATUTE has no decision to approve; a reviewer decides first")
    assert refusal(engine, "rita", "decide", "LTR-DENY-STATUTE", "grant", None, passphrase("rita"), AS_OF).startswith(
        "the release plan releases nothing")
    assert "looks like" in refusal(engine, "rita", "decide", "LTR-WITHDRAWN", "deny",
                                   "Call 512-555-0147 about 123-45-6789 first", passphrase("rita"), AS_OF)
    with engine.open("rita") as rita:
        rita.decide("LTR-DENY-STATUTE", "deny", None, passphrase("rita"), AS_OF)
    assert refusal(engine, "rita", "approve", "LTR-DENY-STATUTE", passphrase("rita"), AS_OF) == (
        f"only an approver may approve a decision (you are {preparer})")
    assert refusal(engine, "otto", "export_decision", "LTR-WITHDRAWN").startswith("request LTR-WITHDRAWN")


def test_an_auditor_and_counsel_may_not_sign(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "in", "LTR-PARTIAL")
    with engine.open("otto") as otto:
        doc = otto.evaluate("LTR-PARTIAL", AS_OF)     # every role may; an office records nothing of an auditor's
        assert doc["recommendation"] == "partial"
    for user in ("otto", "cora"):
        with engine.open(user) as s, pytest.raises(PermissionDenied):
            s.decide("LTR-PARTIAL", "partial", None, passphrase(user), AS_OF)


@pytest.mark.parametrize("content, message", [
    (b"%PDF-1.7\n%%EOF\n", "carries no audit-log checkpoint"),
    (b"hello\n", "not a checkpoint: no empty line"),
    (b"\xff\xfe", "not UTF-8 text"),
])
def test_a_file_that_is_no_checkpoint_is_exit_1_naming_it(engine: Engine, tmp_path: Path, content: bytes,
                                                          message: str, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`dws verify --against` (moved here from tests/test_log_witness.py)."""
    cli = engine.cli(capsys, monkeypatch)
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    r = cli("verify", "--against", str(bad), user="otto")
    assert r.code == 1 and str(bad) in r.err and message in r.err
    empty = tmp_path / "empty"
    empty.mkdir()
    r = cli("verify", "--against", str(empty), user="otto")
    assert r.code == 1 and "holds no checkpoint files" in r.err
    with engine.open("otto") as otto, pytest.raises(DwsError, match="holds no checkpoint files"):
        otto.verify([empty])


def test_deciding_against_the_recommendation_is_recorded_and_its_letter_ends_it(engine: Engine,
                                                                               tmp_path: Path) -> None:
    """(moved here from tests/test_decisions.py) A denial against a recommended grant, with its justification,
    needs no approver; once its letter is issued no new decision is taken."""
    load(engine, tmp_path / "in", "LTR-WITHDRAWN")
    with engine.open("rita") as rita:
        assert rita.evaluate("LTR-WITHDRAWN", AS_OF)["recommendation"] == "grant"
        with pytest.raises(DwsError, match="needs a written justification"):
            rita.decide("LTR-WITHDRAWN", "deny", None, passphrase("rita"), AS_OF)
        info = rita.decide("LTR-WITHDRAWN", "deny", JUSTIFICATION, passphrase("rita"), AS_OF)
        assert (info.outcome, info.recommendation, info.needs_approval, info.final) == ("deny", "grant", False, True)
        rita.letter("LTR-WITHDRAWN", passphrase("rita"))
        with pytest.raises(DwsError, match="was already issued; the decision stands"):
            rita.decide("LTR-WITHDRAWN", "grant", None, passphrase("rita"), AS_OF)
    [signed] = [d for e, o, d in engine.events() if (e, o) == ("decision-signed", "LTR-WITHDRAWN")]
    assert signed["recommendation"] == "grant" and signed["outcome"] == "deny"
    if engine.kind == "local":
        assert signed["justification"] == JUSTIFICATION
    else:                       # the server would read the text in clear: that there is one is logged
        assert signed["justified"] is True and JUSTIFICATION not in json.dumps(signed)


EVALUATED = """LTR-PARTIAL: recommendation PARTIAL
  subjects 6: releasable 2, withheld 3, no record 1
  fail         ITEMS         Withheld for every subject, not releasable under 6103(i)(2): agi, total_tax, refund, \
phone, bank_account (taxpayer return information).  [26 U.S.C. 6103(i)(2)(A); 6103(b)(3)]
  fail 1                     ADDRESS (subjects)
  fail 1                     ADDRESS-MATCH (subjects)
  fail 1                     HOLD (subjects)
  fail 1                     MATCH (subjects)
"""


def test_dws_evaluate_prints_the_same_on_both_and_an_office_names_the_claim(engine: Engine, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`dws evaluate ID [--json] [--summary]` (moved here from tests/test_office_evaluate_pg.py, which made a local
    store beside a TLS office to compare the two outputs): the same output on both engines; in an office the first
    preparer's evaluation claims the request, a second preparer is told so in one line on stderr and `dws list`
    names the claim (a local store has no claims)."""
    load(engine, tmp_path / "in", "LTR-PARTIAL")
    cli = engine.cli(capsys, monkeypatch)
    as_of = ("--as-of", AS_OF.isoformat())
    text = cli("evaluate", "LTR-PARTIAL", *as_of, user="rita")
    assert (text.code, text.out) == (0, EVALUATED), text.err
    summary = json.loads(cli("evaluate", "LTR-PARTIAL", *as_of, "--json", "--summary", user="rita").out)
    full = json.loads(cli("evaluate", "LTR-PARTIAL", *as_of, "--json", user="rita").out)
    with engine.open("otto") as otto:
        doc = otto.evaluate("LTR-PARTIAL", AS_OF)
    assert {k: summary[k] for k in ("request_id", "recommendation", "needs_review", "counts", "as_of", "plan_hash")} \
        == {"request_id": "LTR-PARTIAL", "recommendation": "partial", "needs_review": False,
            "counts": {"subjects": 6, "releasable": 2, "withheld": 3, "no_record": 1}, "as_of": AS_OF.isoformat(),
            "plan_hash": doc["plan_hash"]}
    assert summary["findings_by_code"]["MATCH"] == {"fail": 1} and "release" not in summary
    assert [(r["ref"], r["released"]) for r in full["release"]] == [
        ("1", ["name", "address"]), ("2", ["name", "address"]), ("3", []), ("4", []), ("5", []), ("6", [])]
    same = ("request_id", "recommendation", "needs_review", "counts", "as_of", "plan_hash")
    assert {k: full[k] for k in same} == {k: summary[k] for k in same}
    assert full["findings"][:1] == summary["findings"]              # the request's, then each subject's
    assert {(f["ref"], f["code"]) for f in full["findings"][1:] if f["outcome"] == "fail"} == {
        ("3", "ADDRESS"), ("4", "HOLD"), ("5", "MATCH"), ("6", "ADDRESS-MATCH")}
    other = cli("evaluate", "LTR-PARTIAL", *as_of, user="pia")
    assert (other.code, other.out) == (0, EVALUATED)
    listed = cli("list", user="pia").out
    if engine.kind == "office":
        assert other.err == "LTR-PARTIAL is claimed by rita: your evaluation is recorded, the claim stays theirs\n"
        assert re.search(r"^LTR-PARTIAL .* evaluated .* rita\s*$", listed, re.M), listed
    else:
        assert "claimed" not in other.err and "CLAIMED BY" not in listed


def test_evaluating_an_unchanged_request_again_gives_the_recorded_evaluation(engine: Engine, tmp_path: Path) -> None:
    """Another preparer (or an auditor) evaluating a request nobody changed gets the evaluation as it was recorded,
    who and when, and nothing new is logged: a local store returns its stored evaluation; an office's desktop
    evaluates again on its working copy and, finding the office's record the same, shows that record
    (service/office_open.py)."""
    load(engine, tmp_path / "in", "LTR-PARTIAL")
    with engine.open("rita") as rita:
        first = rita.evaluate("LTR-PARTIAL", AS_OF)
    before = engine.events()
    for user in ("pia", "otto"):
        with engine.open(user) as s:
            again = s.evaluate("LTR-PARTIAL", AS_OF)
        assert (again["evaluated_by"], again["evaluated_at"]) == ("rita", first["evaluated_at"]), user
        assert again == first, user
    assert engine.events() == before

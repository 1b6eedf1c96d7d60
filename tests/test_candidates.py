"""MATCH's candidates named to the officer, never in a letter (RULES.md MATCH, issue 21): a subject for which
MATCH finds more than one taxpayer needs review, nothing of it is released (`matched` stays NULL), and the
taxpayers found are stored with it. The officer reviewing the subject sees each by its masked TIN, type and the
years on file (the service's subject findings, the GUI's findings view, `dws evaluate --json`); the view is
logged; no letter carries a candidate's TIN or its last four digits. A (c) letter names a subject the consent
does not cover with the subject-level CONSENT text."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from engines import Engine
from test_match_taxpayer import REQUESTS, write_records

from workstation.model import MatchCandidate
from workstation.rules.subjects import SubjectPolicy, evaluate_subject
from workstation.service import Workstation
from workstation.service.engine import StoreEngine
from workstation.store import evaluation as ev

AS_OF = date(2026, 11, 2)
ADMIN_PW, RITA_PW, ALEX_PW = "cand-admin-passphrase", "cand-rita-passphrase", "cand-alex-passphrase"
HOUSEHOLD = ("212452001", "212452002")          # Alice and Bob Garrison, 10 Shared Ln
MASKED = ("***-**-2001", "***-**-2002")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("candidates")
    path = root / "store"
    ws = Workstation(path)
    admin, _code, _notice = ws.init("admin", ADMIN_PW)
    with admin:
        admin.add_user("rita", "reviewer", RITA_PW)
        admin.add_user("alex", "approver", ALEX_PW)
    write_records(root / "records.csv")
    with ws.unlock("rita", RITA_PW) as rita:
        rita.import_records(root / "records.csv")
        for rid in ("M-I2", "M-CONSENT"):
            (root / f"{rid}.json").write_text(json.dumps(REQUESTS[rid]), encoding="utf-8")
            rita.import_request(root / f"{rid}.json")
            rita.evaluate(rid, AS_OF)
    return path


def _rid_seq(s, request_id: str, ref: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    rid = s.conn.execute("SELECT rid FROM requests WHERE request_id = ?", (request_id,)).fetchone()[0]
    return rid, ev.ref_to_seq(s.conn, rid, ref)


def test_the_checker_names_the_distinct_taxpayers_found() -> None:
    policy = SubjectPolicy(is_i2=False, periods=("2024",), reason_counts={}, reason_limit=10)
    rows = [(2024, "SSN", "GARR", "10 SHARED LN|AUSTIN|TX|78701", 0)]
    at = {"10 SHARED LN|AUSTIN|TX|78701": [("212452001", "SSN", "Alice Garrison"),
                                           ("212452002", "SSN", "Bob Garrison")]}
    res = evaluate_subject(policy, name="Alice Garrison", tin="212-45-2002", street="10 Shared Ln", city="Austin",
                           state="TX", zip_code="78701", periods=None, case_no=None, reason=None, rows=rows,
                           by_address=lambda k: at.get(k, []), rows_for_tin=lambda t, tt: rows)
    assert res.status == "review" and res.matched is None
    assert res.candidates == ("212452001:SSN", "212452002:SSN")
    one = evaluate_subject(policy, name="Bob Garrison", tin="212-45-2002", street="10 Shared Ln", city="Austin",
                           state="TX", zip_code="78701", periods=None, case_no=None, reason=None, rows=rows,
                           by_address=lambda k: at.get(k, []), rows_for_tin=lambda t, tt: rows)
    assert one.matched == "212452002:SSN" and one.candidates == ()


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "workers"])
def test_candidates_are_stored_for_the_subjects_that_need_review_only(store: Path, workers: int,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DWS_EVAL_WORKERS", str(workers))
    monkeypatch.setenv("DWS_EVAL_PARALLEL_MIN", "1")
    with Workstation(store).unlock("rita", RITA_PW) as s:
        from workstation.store import db

        with db.transaction(s.conn):
            ev.bump_data_version(s.conn)
        s.evaluate("M-I2", AS_OF)
        rid, _seq = _rid_seq(s, "M-I2", "1")
        stored = {ref: (matched, cands) for ref, matched, cands in s.conn.execute(
            "SELECT ref, matched, candidates FROM subject_results WHERE rid = ?", (rid,))}
    assert stored["1"] == (None, ";".join(f"{t}:SSN" for t in HOUSEHOLD))
    assert stored["2"] == (None, "212452003:SSN;212452004:SSN")
    assert stored["3"] == (None, "212452007:SSN;212452008:SSN")        # held: withheld, still named
    assert stored["9"] == ("212452009:SSN", None)
    assert all(c is None for ref, (_m, c) in stored.items() if ref not in ("1", "2", "3"))


def loaded(engine: Engine, folder: Path) -> Engine:
    """M-I2's records and request in a store of `engine`, evaluated as of AS_OF by rita."""
    folder.mkdir(exist_ok=True)
    write_records(folder / "records.csv")
    (folder / "M-I2.json").write_text(json.dumps(REQUESTS["M-I2"]), encoding="utf-8")
    with engine.open("rita") as rita:
        rita.import_records(folder / "records.csv")
        rita.import_request(folder / "M-I2.json")
        rita.evaluate("M-I2", AS_OF)
    return engine


def seq_of(s: StoreEngine, request_id: str, ref: str) -> int:
    return next(r.seq for r in s.subject_rows(request_id, 0, 1000) if r.ref == ref)


def test_the_officer_sees_the_candidates_masked_and_the_view_is_logged(engine: Engine, tmp_path: Path) -> None:
    """On both engines (tests/engines.py): an office's desktop reads them on its working copy, and logs the view
    in the office log."""
    loaded(engine, tmp_path / "in")
    with engine.open("rita") as s:
        findings = s.subject_findings("M-I2", seq_of(s, "M-I2", "1"))
        match = next(f for f in findings if f.code == "MATCH")
        assert match.outcome == "needs-review"
        assert match.candidates == tuple(MatchCandidate(m, "SSN", (2025, 2024)) for m in MASKED)
        assert all(not f.candidates for f in findings if f is not match)
        assert not any(t in repr(findings) for t in HOUSEHOLD)
        entries = engine.events()
        assert entries[-1] == ("candidates-viewed", "M-I2", {"ref": "1", "candidates": 2})
        s.subject_findings("M-I2", seq_of(s, "M-I2", "9"))
        assert engine.events() == entries                       # nothing viewed, nothing logged


def test_evaluate_json_carries_the_masked_candidates(engine: Engine, tmp_path: Path) -> None:
    loaded(engine, tmp_path / "in")
    with engine.open("rita") as s:
        doc = s.evaluate("M-I2", AS_OF)
        out = s.evaluation_document("M-I2", doc, summary=False)
        summary = s.evaluation_document("M-I2", doc, summary=True)
    entries = [(e, d) for e, _o, d in engine.events()]
    match = {f["ref"]: f for f in out["findings"] if f.get("code") == "MATCH" and f.get("scope") == "subject"}
    assert match["1"]["candidates"] == list(MASKED)
    assert match["2"]["candidates"] == ["***-**-2003", "***-**-2004"]
    assert "candidates" not in match["7"]                                  # no record: nobody to name
    assert not any(t in json.dumps(out) for t in HOUSEHOLD)
    assert entries[-1] == ("candidates-viewed", {"refs": ["1", "2", "3"]})
    assert (summary["recommendation"], summary["plan_hash"]) == (doc["recommendation"], doc["plan_hash"])
    assert "release" not in summary and summary["findings_by_code"] == doc["code_counts"]


def _issue(store: Path, request_id: str) -> str:
    from letterdata import pdftotext

    ws = Workstation(store)
    with ws.unlock("rita", RITA_PW) as rita:
        rita.decide(request_id, "partial", None, RITA_PW, AS_OF)
    with ws.unlock("alex", ALEX_PW) as alex:
        alex.approve(request_id, ALEX_PW, AS_OF)
        pdf = store.parent / f"{request_id}.pdf"
        pdf.write_bytes(alex.issue_letter(request_id, ALEX_PW))
    return pdftotext(pdf)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_no_letter_names_a_candidate(store: Path) -> None:
    text = _issue(store, "M-I2")
    # listed like an unmatched subject: nothing tells the requester that records exist for the TIN it gave
    assert "No taxpayer record could be identified" in text and "More than one" not in text
    # The signers' key fingerprints are random hex in groups of four ("key f96a:2001:..."): one group in
    # ~2,000 letters reads like a candidate's last four digits. They are no taxpayer's digits: left out.
    fingerprints = re.findall(r"key (?:[0-9a-f]{4}:){7}[0-9a-f]{4}", text)
    assert len(fingerprints) == 2, fingerprints
    for fingerprint in fingerprints:
        text = text.replace(fingerprint, "key <fingerprint>")
    for tin in HOUSEHOLD:
        assert tin not in text and f"{tin[:3]}-{tin[3:5]}-{tin[5:]}" not in text
        assert re.search(rf"(?<![0-9A-Za-z]){tin[-4:]}(?![0-9])", text) is None, tin[-4:]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_a_consent_letter_says_the_consent_does_not_cover_the_subject(store: Path) -> None:
    from workstation.letters.templates import template_version, texts

    common = texts("transmittal", template_version())["common"]
    subject_text = common["reasons"]["CONSENT"]
    assert subject_text != common["request_codes"]["CONSENT"]
    text = _issue(store, "M-CONSENT")
    assert subject_text in text
    assert common["request_codes"]["CONSENT"] not in text


class _SyncDb:
    """What the tab asks of the database client, answered at once on one session."""

    def __init__(self, session) -> None:  # type: ignore[no-untyped-def]
        self.session = session

    def call(self, fn, done=None, failed=None, *, label=None, owner=None) -> int:  # type: ignore[no-untyped-def]
        result = fn(self.session)
        if done is not None:
            done(result)
        return 0


def test_the_checks_tab_names_the_candidates_of_the_selected_subject(qtbot, store: Path) -> None:  # type: ignore[no-untyped-def]
    from ui.checks_tab import ChecksTab

    with Workstation(store).unlock("rita", RITA_PW) as s:
        tab = ChecksTab(_SyncDb(s))  # type: ignore[arg-type]
        qtbot.addWidget(tab)
        tab._request_id = "M-I2"
        _rid, seq = _rid_seq(s, "M-I2", "1")
        tab.on_subject_selected(seq, "1")
        assert not tab.candidates.isHidden()
        text = tab.candidates.text()
        assert all(m in text for m in MASKED) and "2025, 2024" in text
        assert not any(t in text for t in HOUSEHOLD)
        _rid, ordinary = _rid_seq(s, "M-I2", "9")
        tab.on_subject_selected(ordinary, "9")
        assert tab.candidates.isHidden() and tab.candidates.text() == ""

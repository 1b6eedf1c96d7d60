"""Two-step signing, the letter kept and the accounting of disclosures on both engines (issue 19 item 1;
tests/engines.py): the document shown before the passphrase is exactly the one signed and the one the approver
is shown, or nothing is signed; what each user may do next; the letter read back, its outputs logged; the year's
accounting counted the same. (The GUI's signing dialog over these calls: tests/test_gui_signing.py.)"""

from __future__ import annotations

import csv
import json
from datetime import timedelta
from pathlib import Path

import pytest
from engines import Engine, passphrase
from letterdata import AS_OF, write_records
from test_engine_decisions import load, status

from workstation import clock as clocks
from workstation.errors import DwsError, InputError, PermissionDenied

RID = "LTR-PARTIAL"


def test_the_document_shown_is_the_one_signed_or_nothing_is(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "in", RID)
    with engine.open("rita") as rita:
        rita.evaluate(RID, AS_OF)
        actions = rita.request_actions(RID, AS_OF)
        assert actions.decide.allowed and not actions.approve.allowed and not actions.issue_letter.allowed
        draft = rita.prepare_decision(RID, "partial", None, AS_OF)
        assert (draft.request_id, draft.outcome, draft.recommendation, draft.as_of) == (
            RID, "partial", "partial", AS_OF.isoformat())
        assert rita.decision(RID) is None and status(rita, RID) == "evaluated"     # preparing stores nothing
        # reading the decision and the actions evaluates nothing again (an office reads them on the open request)
        assert [e for e, o, _d in engine.events() if o == RID].count("request-evaluated") == 1
    moved = tmp_path / "moved.csv"                     # the plan changes: subject 2's address on file is another
    write_records(moved)
    moved.write_text(moved.read_text(encoding="utf-8").replace("415 Oak Street", "9 Elsewhere Rd"), encoding="utf-8")
    with engine.open("rita") as rita:
        rita.import_records(moved)
    with engine.open("rita") as rita:
        rita.evaluate(RID, AS_OF)
        with pytest.raises(InputError, match="changed since its decision was prepared"):
            rita.sign_decision(draft, passphrase("rita"))
        assert rita.decision(RID) is None
        again = rita.prepare_decision(RID, "partial", None, AS_OF)
        assert again.doc_hash != draft.doc_hash
        with pytest.raises(DwsError, match="wrong passphrase"):
            rita.sign_decision(again, "not-ritas-passphrase")
        signed = rita.sign_decision(again, passphrase("rita"))
        assert (signed.doc_hash, signed.decision_id, signed.status) == (again.doc_hash, again.decision_id, "signed")
        current = rita.decision(RID)
        assert current is not None and (current.decision_id, current.approver) == (signed.decision_id, None)
        assert not rita.request_actions(RID, AS_OF).approve.allowed            # not one's own
    with engine.open("alex") as alex:
        assert alex.request_actions(RID, AS_OF).approve.allowed
        shown = alex.approval_summary(RID, AS_OF)
        assert (shown.doc_hash, shown.decision_id) == (signed.doc_hash, signed.decision_id)
        with pytest.raises(InputError, match="changed since it was shown"):
            alex.approve(RID, passphrase("alex"), AS_OF, expected_hash="0" * 64)
        approved = alex.approve(RID, passphrase("alex"), AS_OF, expected_hash=shown.doc_hash)
        assert approved.status == "approved"
        decided = alex.decision(RID)
        assert decided is not None and (decided.approver, decided.status) == ("alex", "approved")
        assert alex.request_actions(RID, AS_OF).issue_letter.allowed
    with engine.open("otto") as otto, pytest.raises(PermissionDenied):
        otto.approval_summary(RID, AS_OF)
    events = [e for e, o, _d in engine.events() if o == RID]
    assert events.count("decision-signed") == 1 and events.count("decision-approved") == 1


def test_the_letter_is_kept_read_back_and_each_output_logged(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "in", RID)
    with engine.open("rita") as rita:
        rita.evaluate(RID, AS_OF)
        rita.decide(RID, "partial", None, passphrase("rita"), AS_OF)
    with engine.open("alex") as alex:
        alex.approve(RID, passphrase("alex"), AS_OF)
        assert alex.letter_bytes(RID) is None and alex.letter_text(RID) is None
        with pytest.raises(InputError, match="no letter has been issued"):
            alex.record_letter_output(RID, "printed", "Office printer")
        pdf = alex.issue_letter(RID, passphrase("alex"))
        assert pdf.startswith(b"%PDF-")
    with engine.open("rita") as rita:
        assert rita.letter_bytes(RID) == pdf
        assert rita.issue_letter(RID, passphrase("rita")) == pdf                # the stored one, not a new one
        text = rita.letter_text(RID)
        assert text is not None and "Maria Example" in text and RID in text
        assert not rita.request_actions(RID, AS_OF).issue_letter.allowed
        before = engine.events()
        with pytest.raises(InputError, match="a letter output is one of"):
            rita.record_letter_output(RID, "faxed", "a fax machine")
        assert engine.events() == before
        rita.record_letter_output(RID, "printed", "Office printer")
        rita.record_letter_output(RID, "letter-saved", str(tmp_path / "letter.pdf"))
    outputs = [(e, d["target"]) for e, o, d in engine.events() if o == RID and e.startswith("letter-")
               and e != "letter-issued"]
    assert outputs == [("letter-printed", "Office printer"), ("letter-saved", str(tmp_path / "letter.pdf"))]


def lettered(engine: Engine, folder: Path) -> None:
    """LTR-PARTIAL granted in part (two subjects released) and LTR-DENY-STATUTE denied, each letter issued."""
    load(engine, folder, RID, "LTR-DENY-STATUTE")
    with engine.open("rita") as rita:
        for rid in (RID, "LTR-DENY-STATUTE"):
            rita.evaluate(rid, AS_OF)
        rita.decide(RID, "partial", None, passphrase("rita"), AS_OF)
        rita.decide("LTR-DENY-STATUTE", "deny", None, passphrase("rita"), AS_OF)
    with engine.open("alex") as alex:
        alex.approve(RID, passphrase("alex"), AS_OF)
    with engine.open("rita") as rita:
        for rid in (RID, "LTR-DENY-STATUTE"):
            rita.letter(rid, passphrase("rita"))


def test_the_accounting_counts_the_letters_disclosures(engine: Engine, tmp_path: Path) -> None:
    lettered(engine, tmp_path / "in")
    year = clocks.today().year                       # the letters' day: the accounting's year
    for user in ("rita", "alex", "cora", "otto"):
        with engine.open(user) as s:
            totals = s.accounting(year)
            assert [(a.agency_code, a.requests, a.disclosures, a.taxpayers) for a in totals.agencies] == [
                ("DOJ-FBI", 1, 2, 2)], user
            assert (totals.total.requests, totals.total.disclosures, totals.total.taxpayers) == (1, 2, 2)
            assert s.accounting(year - 1).total.disclosures == 0
    with engine.open("ada") as ada, pytest.raises(PermissionDenied, match="accounting of disclosures"):
        ada.accounting(year)
    with engine.open("otto") as otto:
        with pytest.raises(InputError, match="the year is four digits, not 26"):
            otto.accounting(26)
        out = tmp_path / "accounting.csv"
        otto.export_accounting(year, out)
    assert (out.stat().st_mode & 0o777) == 0o600
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    disclosed = [(r[2], r[5], r[7], r[8], r[10]) for r in rows if r[0] == "disclosure"]
    assert disclosed == [(RID, "DOJ-FBI", "1", "212-45-1001", "name;address"),
                         (RID, "DOJ-FBI", "2", "212-45-1002", "name;address")]
    assert [r[13:] for r in rows if r[0] == "total"] == [["1", "2", "2"]]
    exported = [d for e, _o, d in engine.events() if e == "accounting-exported"]
    assert exported == [{"year": year, "disclosures": 2, "target": str(out)}]


def test_reading_a_decision_evaluates_nothing_again(engine: Engine, tmp_path: Path) -> None:
    """The request evaluated on another day than today: its decision, what the user may do and its subjects are
    read as evaluated (an office read them on a request opened again as of today, and recorded that evaluation)."""
    load(engine, tmp_path / "in", RID)
    day = AS_OF + timedelta(days=1)
    with engine.open("rita") as rita:
        assert rita.evaluate(RID, day)["as_of"] == day.isoformat()
        assert rita.decision(RID) is None
        assert rita.request_actions(RID).decide.allowed
        assert rita.subject_count(RID) == 6
    with engine.open("alex") as alex:
        assert alex.decision(RID) is None and alex.subject_count(RID) == 6
    evaluated = [d["as_of"] for e, o, d in engine.events() if o == RID and e == "request-evaluated"]
    assert evaluated == [day.isoformat()]


def test_dws_accounting_prints_and_writes_the_same_on_both(engine: Engine, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """`dws accounting` (moved here from tests/test_office_accounting_pg.py, which compared an office's CSV with a
    local store's made beside it)."""
    lettered(engine, tmp_path / "in")
    cli = engine.cli(capsys, monkeypatch)
    year = clocks.today().year
    printed = (f"Accounting of disclosures, {year} (26 U.S.C. 6103(p)(3))\n"
               "  agency                requests  disclosures  taxpayers\n"
               "  DOJ-FBI                      1            2          2\n"
               "  all agencies                 1            2          2\n")
    for user in ("rita", "alex", "cora", "otto"):
        done = cli("accounting", "--year", str(year), user=user)
        assert (done.code, done.out) == (0, printed), (user, done.err)
    out = tmp_path / "accounting.csv"
    done = cli("accounting", "--year", str(year), "-o", str(out), user="rita")
    assert (done.code, done.out) == (0, printed + f"Every disclosure (with TINs) and these totals written to {out}\n")
    with out.open(encoding="utf-8", newline="") as fh:
        made = list(csv.reader(fh))
    issued = {d["letter_id"] for e, o, d in engine.events() if (e, o) == ("letter-issued", RID)}
    assert {r[3] for r in made if r[0] == "disclosure"} == issued and len(issued) == 1
    rows = [[("" if i in (1, 3, 4) and r[0] == "disclosure" else c) for i, c in enumerate(r)]
            for r in made]                              # disclosed_at, letter_id, decision_id: each store's own
    agency, ref = "Department of Justice, Federal Bureau of Investigation", "6103(i)(2)"
    purpose = "nontax-criminal: Investigation of a wire-fraud scheme."
    assert rows == [
        ["record", "disclosed_at", "request_id", "letter_id", "decision_id", "agency_code", "agency", "ref", "tin",
         "tin_type", "items", "authority", "purpose", "requests", "disclosures", "taxpayers"],
        ["disclosure", "", RID, "", "", "DOJ-FBI", agency, "1", "212-45-1001", "SSN", "name;address", ref, purpose,
         "", "", ""],
        ["disclosure", "", RID, "", "", "DOJ-FBI", agency, "2", "212-45-1002", "SSN", "name;address", ref, purpose,
         "", "", ""],
        ["agency-total", "", "", "", "", "DOJ-FBI", "", "", "", "", "", "", "", "1", "2", "2"],
        ["total", "", "", "", "", "", "", "", "", "", "", "", "", "1", "2", "2"]]
    empty = cli("accounting", "--year", str(year - 1), "--json", user="otto")
    assert json.loads(empty.out)["total"] == {"agency_code": "*", "requests": 0, "disclosures": 0, "taxpayers": 0}
    admin = cli("accounting", "--year", str(year), user="ada")
    assert admin.code == 1 and admin.err.strip() == (      # the preparer's role is each engine's (tests/engines.py)
        f"dws: only an approver or auditor or counsel or {engine.role('rita')} user may read the accounting of "
        "disclosures (you are admin)"), admin.err
    bad = cli("accounting", "--year", "26", user="rita")
    assert bad.code == 1 and bad.err.strip() == "dws: the year is four digits, not 26"

"""Decisions and approvals on an office through the CLI (issue 19 items 3 and 4, i19d), against a real TLS
PostgreSQL server: the preparer decides on one desktop profile, the approver approves on another, each desktop
evaluating the request in its own working copy; the signed document exported and checked with OpenSSL alone (that
it names the evaluation it was made from, on both engines: tests/test_engine_decisions.py); each refusal in one
line (the wrong role, the preparer approving, another preparer's claim, a request whose evaluation changed after the
preparer signed, a request already approved); two approvers racing in two processes leave one approval; the
server's dump holds no canary."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from clihelp import Result, run_dws
from letterdata import AS_OF, COURT_ORDER, JUSTIFICATION, REQUESTS, TAXPAYERS, canary_strings, request, write_records
from officehelp import Office
from officesigned import leaks, passphrase, signed_office

from workstation.clock import ENV_TODAY
from workstation.service import Workstation
from workstation.service import office_evaluation as oe
from workstation.store.office import log as office_log

IDS = ("LTR-PARTIAL", "LTR-DENY-STATUTE", "LTR-P2", "LTR-P3", "LTR-P4", "LTR-RACE")
APPROVALS = ("SELECT count(*) FROM dws.approvals a JOIN dws.decisions d USING (decision_id) "
             "JOIN dws.requests r ON r.id = d.request WHERE r.request_id = %s")


@dataclass
class Desks:
    office: Office
    one: Path           # pat's desktop profile (the preparers')
    two: Path           # abe's desktop profile (the approvers')
    files: Path
    env: dict[str, str]

    def dws(self, profile: Path, user: str, *args: str) -> Result:
        return run_dws(profile, *args, env={**self.env, "DWS_USER": user, "DWS_PASSPHRASE": passphrase(user)})


@pytest.fixture(scope="module")
def desks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desks]:
    root = tmp_path_factory.mktemp("decisions")
    office, one = signed_office(root)
    two = office.desktop(root / "desk2", "desk-2")
    files = root / "files"
    files.mkdir()
    env = {"DWS_NO_KEYRING": "1", oe.SCRATCH_ENV: str(root / "cache"), ENV_TODAY: AS_OF.isoformat()}
    d = Desks(office, one.path, two.path, files, env)
    write_records(files / "records.csv")
    (files / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    assert d.dws(d.one, "pat", "import", "records", str(files / "records.csv")).code == 0
    assert d.dws(d.one, "cal", "import", "order", str(files / "order.json")).code == 0
    for rid in IDS:
        doc = REQUESTS.get(rid) or request(rid)
        (files / f"{rid}.json").write_text(json.dumps(doc), encoding="utf-8")
        done = d.dws(d.one, "pat", "import", "request", str(files / f"{rid}.json"))
        assert done.code == 0, done.err
    yield d
    office.server.stop()


def decided(out: str) -> str:
    found = re.match(r"Decision (D-[0-9A-F]{12}) on ", out)
    assert found, out
    return found.group(1)


def test_the_preparer_decides_on_one_desktop_and_the_approver_approves_on_another(desks: Desks,
                                                                                  tmp_path: Path) -> None:
    done = desks.dws(desks.one, "pat", "decide", "LTR-PARTIAL", "--outcome", "partial")
    assert done.code == 0, done.err
    decision_id = decided(done.out)
    assert done.out.splitlines()[0].startswith(f"Decision {decision_id} on LTR-PARTIAL: PARTIAL (recommended partial), "
                                               "signed by pat [")
    assert done.out.splitlines()[1] == "  awaiting approval by an approver other than the preparer ('dws approve')"
    # the approver's evaluation on their own desktop is recorded, and does not move the request back
    assert desks.dws(desks.two, "abe", "evaluate", "LTR-PARTIAL", "--summary").code == 0
    listed = json.loads(desks.dws(desks.two, "aud", "list", "--json").out)
    assert {r["request_id"]: r["status"] for r in listed}["LTR-PARTIAL"] == "approval-pending"
    approved = desks.dws(desks.two, "abe", "approve", "LTR-PARTIAL")
    assert approved.code == 0, approved.err
    assert approved.out.splitlines()[1].startswith("  approved by abe [")
    listed = json.loads(desks.dws(desks.two, "aud", "list", "--json").out)
    assert {r["request_id"]: r["status"] for r in listed}["LTR-PARTIAL"] == "approved"
    # the signed document, exported as on a local store
    out = tmp_path / "export"
    exported = desks.dws(desks.two, "abe", "export", "decision", "LTR-PARTIAL", "-o", str(out))
    assert exported.code == 0, exported.err
    audited = desks.dws(desks.two, "aud", "export", "decision", "LTR-PARTIAL", "-o", str(tmp_path / "aud"))
    assert audited.code == 0, audited.err                   # as on a local store; the auditor's export is logged
    assert (tmp_path / "aud" / "decision.json").read_bytes() == (out / "decision.json").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["README.txt", "approver.pem", "approver.sig", "decision.json",
                                                    "preparer.pem", "preparer.sig"]
    ours = json.loads((out / "decision.json").read_bytes())      # its fields on both engines: test_engine_decisions
    assert ours["decision_id"] == decision_id and ours["preparer"]["name"] == "pat"
    with desks.office.superuser() as conn:
        head = next(e for e in office_log.entries(conn) if e[3] == "decision-signed")[0]
    assert ours["log_head"]["seq"] == int(str(head)) - 1            # the office log's head when it was signed
    for who in ("preparer", "approver"):                            # OpenSSL alone, as the README says
        check = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", f"{who}.pem", "-rawin",
                                "-digest", "sha256", "-in", "decision.json", "-sigfile", f"{who}.sig"],
                               cwd=out, capture_output=True, text=True)
        assert "Signature Verified Successfully" in check.stdout, check.stderr
    # the log names the decision and the approval, by whom the server says
    with desks.office.superuser() as conn:
        entries = [(e[2], e[3], e[4], e[8]) for e in office_log.entries(conn) if e[4] == "LTR-PARTIAL"]
    assert ("pat", "decision-signed", "LTR-PARTIAL", "pat") in entries
    assert ("abe", "decision-approved", "LTR-PARTIAL", "abe") in entries
    again = desks.dws(desks.one, "pat", "decide", "LTR-PARTIAL", "--outcome", "deny", "--justification", JUSTIFICATION)
    assert (again.code, again.err.strip()) == (
        1, f"dws: request LTR-PARTIAL is already decided and approved ({decision_id})")


def test_each_refusal_in_one_line(desks: Desks) -> None:
    def refused(profile: Path, user: str, *args: str) -> str:
        done = desks.dws(profile, user, *args)
        assert done.code != 0 and done.out == "" and len(done.err.strip().splitlines()) == 1, (done.out, done.err)
        return done.err.strip().removeprefix("dws: ")

    assert refused(desks.two, "abe", "decide", "LTR-DENY-STATUTE", "--outcome", "deny") == (
        "only a reviewer may decide a request (you are approver); counsel and auditors never decide")
    assert refused(desks.one, "abe", "approve", "LTR-DENY-STATUTE") == (
        "request LTR-DENY-STATUTE has no decision to approve; a reviewer decides first")
    assert refused(desks.one, "pat", "decide", "LTR-DENY-STATUTE", "--outcome", "grant").startswith(
        "the release plan releases nothing")                                     # the local store's checks
    # pat's evaluation claims LTR-P2: another preparer may not decide it
    assert desks.dws(desks.one, "pat", "evaluate", "LTR-P2").code == 0
    assert refused(desks.one, "pam", "decide", "LTR-P2", "--outcome", "partial") == (
        "request LTR-P2 is claimed by pat: only they may decide it; nothing was signed")
    done = desks.dws(desks.one, "pat", "decide", "LTR-P2", "--outcome", "partial")
    assert done.code == 0, done.err
    assert refused(desks.one, "pat", "approve", "LTR-P2") == (
        "only an approver may approve a decision (you are preparer)")


def test_an_approval_refuses_when_the_evaluation_changed_after_the_preparer_signed(desks: Desks) -> None:
    done = desks.dws(desks.one, "pat", "decide", "LTR-P3", "--outcome", "partial")
    assert done.code == 0, done.err
    # a record corrected after the preparer signed: released-1's address on file is now another
    corrected = desks.files / "corrected.csv"
    lines = (desks.files / "records.csv").read_text(encoding="utf-8").splitlines()
    tin = TAXPAYERS[0].tin.replace("-", "")
    corrected.write_text("\n".join([lines[0], *(line.replace(TAXPAYERS[0].street_on_file, "9 Elsewhere Rd")
                                                for line in lines[1:] if line.startswith(tin))]) + "\n")
    assert desks.dws(desks.one, "pat", "import", "records", str(corrected)).code == 0
    refused = desks.dws(desks.two, "abe", "approve", "LTR-P3")
    assert refused.code == 1 and refused.err.strip() == (
        "dws: the evaluation changed since the decision was signed (records, court orders, settings or overrides); "
        "the reviewer must decide again")
    with desks.office.superuser() as conn:
        assert conn.execute(APPROVALS, ("LTR-P3",)).fetchone() == (0,)
    (desks.files / "records-back.csv").write_text("\n".join([lines[0], *(line for line in lines[1:]
                                                                          if line.startswith(tin))]) + "\n")
    assert desks.dws(desks.one, "pat", "import", "records", str(desks.files / "records-back.csv")).code == 0


RACE = """
import os, sys
from pathlib import Path
from workstation.cli.main import main
os.environ.update(DWS_USER=sys.argv[2], DWS_PASSPHRASE=sys.argv[3])
sys.stdin.close()
open(sys.argv[4], "w").close()
while not Path(sys.argv[5]).exists():
    pass
sys.exit(main(["--store", sys.argv[1], "approve", "LTR-RACE"]))
"""


def test_two_approvers_racing_leave_one_approval(desks: Desks, tmp_path: Path) -> None:
    done = desks.dws(desks.one, "pat", "decide", "LTR-RACE", "--outcome", "partial")
    assert done.code == 0, done.err
    go = tmp_path / "go"
    procs = []
    for user, profile in (("abe", desks.two), ("amy", desks.one)):
        procs.append(subprocess.Popen([sys.executable, "-c", RACE, str(profile), user, passphrase(user),
                                       str(tmp_path / f"ready-{user}"), str(go)], env={**os.environ, **desks.env},
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    while not all((tmp_path / f"ready-{u}").exists() for u in ("abe", "amy")):
        pass
    go.touch()
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        results.append((proc.returncode, out, err))
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 1], results
    winner = next(out for code, out, _err in results if code == 0)
    who = re.search(r"approved by (\w+) \[", winner)
    assert who, winner
    loser_err = next(err for code, _out, err in results if code == 1)
    assert re.search(rf"already approved by {who.group(1)}", loser_err), loser_err
    with desks.office.superuser() as conn:
        assert conn.execute(APPROVALS, ("LTR-RACE",)).fetchone() == (1,)
        logged = [e for e in office_log.entries(conn) if e[3] == "decision-approved" and e[4] == "LTR-RACE"]
        assert len(logged) == 1 and logged[0][8] == who.group(1)
    verify = desks.dws(desks.one, "aud", "verify")
    assert verify.code == 0 and "chain is whole" in verify.out


def normalized(text: str) -> str:
    """A letter's text without what differs between two stores by design: ids, hashes, keys, dates, times."""
    text = re.sub(r"\b[LD]-[0-9A-F]{12}\b", "ID", text)
    text = re.sub(r"[0-9a-f]{16,}|[A-Za-z0-9+/]{40,}={0,2}", "HEX", text)
    text = re.sub(r"\d{4}-\d{2}-\d{2}(T[0-9:.]+Z)?|[A-Z][a-z]+ \d{1,2}, \d{4}", "DATE", text)
    text = re.sub(r"[0-9a-f]{4}(:[0-9a-f]{4}){7}", "KEY", text)
    # who signed the printed checkpoint: a user, or on an office before its users' own checkpoint keys the office's
    # key (office_letters.py)
    text = text.replace("signed by the office's checkpoint key.", "signed by rita.")
    text = re.sub(r"\b(rita|alex|pat|abe)\b", "NAME", text)                 # the two stores' users
    # the printed checkpoint: its size, and its signer (the office's one checkpoint key, a local store's user's)
    text = re.sub(r"disclosure-HEX \d+|\b\w+@HEX", "CHECKPOINT", text)
    return re.sub(r"disclosure-workstation/\S+|checkpoint of \d+ \S+|\d+ entries", "LOG", text)


def test_the_letter_is_the_local_stores_and_verifies_against_the_office(desks: Desks, tmp_path: Path) -> None:
    from letterdata import build_store, decide, pdftotext

    assert desks.dws(desks.one, "pat", "decide", "LTR-P4", "--outcome", "partial").code == 0
    early = desks.dws(desks.one, "pat", "letter", "LTR-P4", "-o", str(tmp_path / "early.pdf"))
    assert early.code == 1 and "awaits approval: grants and partial grants need the approval" in early.err
    assert not (tmp_path / "early.pdf").exists()
    target = tmp_path / "letter.pdf"
    done = desks.dws(desks.one, "pat", "letter", "LTR-PARTIAL", "-o", str(target))
    assert done.code == 0, done.err
    assert re.match(r"Letter L-[0-9A-F]{12} \(transmittal, \d+ pages?\) for decision D-[0-9A-F]{12}, issued now: ",
                    done.out), done.out
    again = desks.dws(desks.two, "abe", "letter", "LTR-PARTIAL", "-o", str(tmp_path / "again.pdf"))
    assert again.code == 0 and "issued 20" in again.out and "by pat" in again.out, again.err
    assert (tmp_path / "again.pdf").read_bytes() == target.read_bytes()
    checked = desks.dws(desks.two, "abe", "verify-letter", str(target))
    assert checked.code == 0, checked.out + checked.err
    assert "PDF signature: " in checked.out and "valid (intact, whole file, office CA)" in checked.out
    assert "preparer: pat" in checked.out and "approver: abe" in checked.out
    assert desks.dws(desks.two, "aud", "verify-letter", str(target)).code == 0      # the auditor checks too
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(target.read_bytes() + b"\n%% appended\n")
    tampered = desks.dws(desks.two, "abe", "verify-letter", str(changed))
    assert tampered.code == 3 and "TAMPERING" in tampered.out
    # the local store's letter for the same files and decision reads the same
    store = tmp_path / "local"
    build_store(store, tmp_path / "work", ("LTR-PARTIAL",))
    decide(store, "LTR-PARTIAL", "partial", approve=True)
    from letterdata import passphrase as local_pw
    with Workstation(store).unlock("rita", local_pw("rita")) as rita:
        local_pdf = rita.letter("LTR-PARTIAL", local_pw("rita")).pdf
    (tmp_path / "local.pdf").write_bytes(local_pdf)
    assert normalized(pdftotext(target)) == normalized(pdftotext(tmp_path / "local.pdf"))
    with desks.office.superuser() as conn:
        logged = [e[3] for e in office_log.entries(conn) if e[4] in ("LTR-PARTIAL", "pat")]
    assert logged.count("letter-issued") == 1 and "certificate-issued" in logged and "letter-written" in logged


def test_no_canary_in_the_dump_after_decisions(desks: Desks) -> None:
    secret = "against it: Quenbyrthwaite asked on 2026-10-29 to withdraw"
    done = desks.dws(desks.one, "pat", "decide", "LTR-DENY-STATUTE", "--outcome", "deny", "--justification", secret)
    assert done.code == 0, done.err
    names = [tp.name_on_file for tp in TAXPAYERS] + [tp.street_on_file for tp in TAXPAYERS]
    assert leaks(desks.office, [*canary_strings(), *names, secret, "Quenbyrthwaite", COURT_ORDER["caption"]]) == []

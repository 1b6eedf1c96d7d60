"""Many desktops at once (issue 19 item 4): 8 `dws` processes at a time, as 8 different enrolled users of one
office (four preparers, two approvers, counsel, the auditor), each on a desktop profile of its own, work the office
for a bounded time (DWS_OFFICE_WRITERS_SECONDS, 15 s by default; the full minute is
`DWS_OFFICE_WRITERS_SECONDS=60`, bench/README.md):
- each preparer imports a request of its own, evaluates it (which claims it), decides it (a grant, which awaits
  approval, or a denial with a justification, whose letter it issues at once), now and then imports records, and
  tries to decide another preparer's claimed request (refused);
- each approver lists the queue, approves a request awaiting approval (the two race for the same ones) and issues
  its letter;
- counsel updates the court order and the agency register and lists the queue; the auditor verifies the log,
  reads the accounting and lists the queue.
Afterwards the log has one order (seq 1..n, each entry chained to the one before), `dws verify` passes, every entry
is in the name of the login that appended it; each decide and approve that said OK is in the office exactly once
and nothing else is (a refused one is absent); every approval's decision is the latest for its request; each
letter said issued is there once; and whoever lists the queue sees each claimed request as claimed by its preparer.
Prints the operations per second with -s."""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from clihelp import Result, run_dws
from letterdata import AS_OF, COURT_ORDER, JUSTIFICATION, request, subject, write_records
from officehelp import Office
from officesigned import passphrase, signed_office

from workstation.clock import ENV_TODAY
from workstation.service import office_evaluation as oe
from workstation.store.office import log

SECONDS = float(os.environ.get("DWS_OFFICE_WRITERS_SECONDS", "15"))
PREPARERS = ("pat", "pam", "pia", "pete")
APPROVERS = ("abe", "amy")
USERS = (*PREPARERS, *APPROVERS, "cal", "aud")
HEADER = ("tin,tin_type,name,street,city,state,zip,address_as_of,tax_year,filing_status,agi,total_tax,refund,"
          "dependents,phone,bank_account,wages,employer,interest,hold\n")
AGENCY = {"format": "dws.agency/1", "agency_code": "FBI", "name": "Federal Bureau of Investigation",
          "safeguards_current": True, "open_findings": 0, "corrective_plan": False, "last_review": "2026-01-15"}
# what a desktop is told when another desktop got there first: a refusal, not a fault
REFUSALS = ("is claimed by", "already approved by", "already decided and approved", "has no decision to approve",
            "the evaluation changed since the decision was signed", "awaits approval", "kept changing")


@dataclass
class Desk:
    user: str
    profile: Path
    ops: int = 0
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


@dataclass
class Shared:
    files: Path
    env: dict[str, str]
    deadline: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    claims: dict[str, str] = field(default_factory=dict)            # request id -> the preparer who claimed it
    decided: list[str] = field(default_factory=list)                # decision ids each decide said OK
    approved: list[str] = field(default_factory=list)               # decision ids each approve said OK
    letters: set[str] = field(default_factory=set)                  # letter ids said issued (or issued before)
    claim_views: int = 0                                            # lists that showed every known claim

    def dws(self, desk: Desk, *args: str) -> Result | None:
        """Run one command as the desk's user: its result if it succeeded, None after a refusal (kept) or a fault
        (kept as a failure)."""
        done = run_dws(desk.profile, *args, env={**self.env, "DWS_USER": desk.user,
                                                 "DWS_PASSPHRASE": passphrase(desk.user)})
        if done.code == 0:
            desk.ops += 1
            return done
        # (the first command on a desk that finds the office log grown also tells where its checkpoints now go)
        message = "\n".join(line for line in done.err.strip().splitlines() if not line.startswith("dws: note: "))
        if done.code == 1 and len(message.splitlines()) == 1 and any(r in message for r in REFUSALS):
            desk.ops += 1
            desk.refused.append(message)
        else:
            desk.failed.append(f"{' '.join(args)}: exit {done.code}: {done.err}")
        return None

    def letter(self, desk: Desk, rid: str) -> None:
        done = self.dws(desk, "letter", rid, "-o", str(self.files / f"{desk.user}-{rid}.pdf"))
        if done is not None:
            found = re.match(r"Letter (L-[0-9A-F]{12}) ", done.out)
            assert found, done.out
            with self.lock:
                self.letters.add(found.group(1))

    def check_claims(self, desk: Desk) -> list[dict[str, object]]:
        with self.lock:
            known = dict(self.claims)
        done = self.dws(desk, "list", "--json")
        if done is None:
            return []
        rows: list[dict[str, object]] = json.loads(done.out)
        shown = {str(r["request_id"]): r.get("claimed_by") for r in rows}
        wrong = {rid: (owner, shown.get(rid)) for rid, owner in known.items() if shown.get(rid) != owner}
        if wrong:
            desk.failed.append(f"{desk.user} sees claims {wrong}")
        else:
            with self.lock:
                self.claim_views += 1
        return rows


def decided_id(out: str) -> str:
    found = re.match(r"Decision (D-[0-9A-F]{12}) on ", out)
    assert found, out
    return found.group(1)


def preparer(sh: Shared, desk: Desk, index: int) -> None:
    n = 0
    while time.monotonic() < sh.deadline:
        rid = f"W-{desk.user.upper()}-{n}"
        path = sh.files / f"{rid}.json"
        path.write_text(json.dumps(request(rid, subjects=[subject("1", "released-1"), subject("2", "released-2")],
                                           items=["name", "address"])), encoding="utf-8")
        if sh.dws(desk, "import", "request", str(path)) is None or sh.dws(desk, "evaluate", rid, "--summary") is None:
            n += 1
            continue
        with sh.lock:
            sh.claims[rid] = desk.user
        grant = (n + index) % 2 == 0                 # two preparers deny (and issue its letter) first
        outcome = ("--outcome", "grant") if grant else ("--outcome", "deny", "--justification", JUSTIFICATION)
        done = sh.dws(desk, "decide", rid, *outcome)
        if done is not None:
            with sh.lock:
                sh.decided.append(decided_id(done.out))
            if not grant:
                sh.letter(desk, rid)
        if n % 3 == 2:                              # records nobody's request names (their own TINs and ZIP)
            records = sh.files / f"{desk.user}-{n}.csv"
            first = 601_010_000 + 10_000 * index + 2 * n + 1
            records.write_text(HEADER + "".join(f"{first + i},SSN,Pat Example,1 Main St,Anchorage,AK,99501,,2023,"
                                                "single,50000,1000,0,0,,,,,,0\n" for i in range(2)))
            sh.dws(desk, "import", "records", str(records))
        with sh.lock:
            theirs = [r for r, owner in sh.claims.items() if owner != desk.user]
        if theirs:                                  # another's claimed request: refused, never signed
            done = sh.dws(desk, "decide", random.choice(theirs), "--outcome", "deny", "--justification",
                          JUSTIFICATION)
            if done is not None:
                desk.failed.append(f"{desk.user} decided another preparer's request: {done.out}")
        n += 1


def approver(sh: Shared, desk: Desk) -> None:
    while time.monotonic() < sh.deadline:
        rows = sh.check_claims(desk)
        pending = [str(r["request_id"]) for r in rows if r["status"] == "approval-pending"]
        if not pending:
            time.sleep(0.3)
            continue
        rid = random.choice(pending)
        done = sh.dws(desk, "approve", rid)
        if done is not None:
            with sh.lock:
                sh.approved.append(decided_id(done.out))
            sh.letter(desk, rid)


def counsel(sh: Shared, desk: Desk) -> None:
    while time.monotonic() < sh.deadline:
        sh.dws(desk, "import", "order", str(sh.files / "order.json"))
        sh.dws(desk, "import", "agency", str(sh.files / "agency.json"))
        sh.check_claims(desk)


def auditor(sh: Shared, desk: Desk) -> None:
    while time.monotonic() < sh.deadline:
        sh.dws(desk, "verify")
        sh.dws(desk, "accounting", "--year", str(date.today().year))
        sh.check_claims(desk)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Office, dict[str, Path], Path]]:
    started, first = signed_office(tmp_path)
    for login in ("pia", "pete"):
        started.enrol(login, "preparer", passphrase(login))
    desks = {user: started.desktop(tmp_path / f"desk-{user}", f"desk-{user}").path for user in USERS}
    files = tmp_path / "files"
    files.mkdir()
    write_records(files / "records.csv")
    (files / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    (files / "agency.json").write_text(json.dumps(AGENCY), encoding="utf-8")
    env = {"DWS_NO_KEYRING": "1", oe.SCRATCH_ENV: str(tmp_path / "cache"), ENV_TODAY: AS_OF.isoformat()}
    for user, args in (("pat", ("import", "records", str(files / "records.csv"))),
                       ("cal", ("import", "order", str(files / "order.json")))):
        done = run_dws(first.path, *args, env={**env, "DWS_USER": user, "DWS_PASSPHRASE": passphrase(user)})
        assert done.code == 0, done.err
    yield started, desks, files
    started.server.stop()


def test_eight_desktops_work_one_office_and_nothing_is_lost_or_doubled(
        office: tuple[Office, dict[str, Path], Path], tmp_path: Path) -> None:
    server, profiles, files = office
    env = {"DWS_NO_KEYRING": "1", oe.SCRATCH_ENV: str(tmp_path / "cache"), ENV_TODAY: AS_OF.isoformat()}
    with server.superuser() as conn:
        before = len(log.entries(conn))
    desks = {user: Desk(user, profiles[user]) for user in USERS}
    started = time.monotonic()
    sh = Shared(files, env, started + SECONDS)
    threads = [threading.Thread(target=preparer, args=(sh, desks[u], i)) for i, u in enumerate(PREPARERS)]
    threads += [threading.Thread(target=approver, args=(sh, desks[u])) for u in APPROVERS]
    threads += [threading.Thread(target=counsel, args=(sh, desks["cal"])),
                threading.Thread(target=auditor, args=(sh, desks["aud"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - started
    ops = sum(d.ops for d in desks.values())
    print(f"\n{SECONDS:g} s ({took:.1f} s to the last command's end): {ops} dws commands, {ops / took:.2f}/s; "
          f"per desktop {({u: d.ops for u, d in desks.items()})}; decided {len(sh.decided)}, approved "
          f"{len(sh.approved)}, letters {len(sh.letters)}, refused {sum(len(d.refused) for d in desks.values())}, "
          f"lists that showed every claim {sh.claim_views}")
    assert {u: d.failed for u, d in desks.items()} == {u: [] for u in USERS}
    assert all(d.ops for d in desks.values()), {u: d.ops for u, d in desks.items()}      # every desktop got turns
    assert sh.decided and sh.claim_views and sh.letters

    with server.superuser() as conn:
        rows = log.entries(conn)
        decisions = [r[0] for r in conn.execute("SELECT decision_id FROM dws.decisions")]
        approvals = [r[0] for r in conn.execute("SELECT decision_id FROM dws.approvals")]
        stale = conn.execute("SELECT a.decision_id FROM dws.approvals a JOIN dws.decisions d USING (decision_id) "
                             "WHERE d.seq <> (SELECT max(e.seq) FROM dws.decisions e WHERE e.request = d.request)"
                             ).fetchall()
        letters = [r[0] for r in conn.execute("SELECT letter_id FROM dws.letters")]
        claims = dict(conn.execute("SELECT request_id, claimed_by::text FROM dws.requests WHERE claimed_by IS NOT NULL"
                                   ).fetchall())
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))                 # one order, no gap
    assert [r[6] for r in rows] == [log.GENESIS, *(r[7] for r in rows[:-1])]    # each chained to the one before
    appended = rows[before:]
    assert all(r[8] == r[2] for r in appended)          # the server's appended_by: the user each desktop said
    # every decide and approve that said OK is there exactly once, and nothing else
    assert sorted(decisions) == sorted(sh.decided) and len(set(decisions)) == len(decisions)
    assert sorted(approvals) == sorted(sh.approved) and len(set(approvals)) == len(approvals)
    assert stale == []                                  # every approval's decision is the latest of its request
    assert sorted(letters) == sorted(sh.letters)
    events = [str(r[3]) for r in appended]
    assert (events.count("decision-signed"), events.count("decision-approved"), events.count("letter-issued")) == (
        len(sh.decided), len(sh.approved), len(sh.letters))
    assert claims == sh.claims                          # each claim is its preparer's, as every desktop was shown
    checked = sh.dws(desks["aud"], "verify")
    assert checked is not None and checked.out == (f"Office log: {len(rows):,} entries\nOK: the office log's chain "
                                                   "is whole.\n")

"""Faults during the signed work on an office (issue 19 item 5, i19x), through the real `dws` command (a
subprocess) against a real TLS PostgreSQL server: the server stopped, or the desktop's session ended by the server
(pg_terminate_backend), during `evaluate`, `decide`, `approve` and `letter`, at the worst moment: inside the
office transaction, right after its first row was written and before its log entry. The child is the real CLI
with that one store function wrapped to wait there (FAULT_CHILD). Each gives one clear message and no traceback;
after the server is back nothing is half-written (evaluations, decisions, approvals, letters, the log and the
queue's statuses and claims exactly as before), the log verifies, and the same command, run again, connects and
succeeds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from clihelp import Result, run_dws
from letterdata import AS_OF, COURT_ORDER, JUSTIFICATION, request, subject, write_records
from officehelp import DBNAME, Office
from officesigned import passphrase, signed_office

from workstation.clock import ENV_TODAY
from workstation.service import office_decisions
from workstation.service import office_evaluation as oe

# the real CLI, with one function wrapped (its first argument a connection or an OfficeCtx): after its first call,
# say so (the backend's pid in the file `ready`) and wait for the file `go` before going on
FAULT_CHILD = """
import importlib, sys, time
from pathlib import Path
module, name, ready, go = sys.argv[1:5]
mod = importlib.import_module(module)
original = getattr(mod, name)
calls = []
def paused(conn, *args, **kwargs):
    done = original(conn, *args, **kwargs)
    calls.append(1)
    if len(calls) == 1:                 # the first call only
        Path(ready).write_text(str(getattr(conn, "conn", conn).info.backend_pid))
        while not Path(go).exists():
            time.sleep(0.01)
    return done
setattr(mod, name, paused)
sys.stdin.close()
from workstation.cli.main import main
sys.exit(main(sys.argv[5:]))
"""
DECISIONS = "workstation.store.office.decisions"
EVALUATIONS = "workstation.store.office.evaluations"
LETTER_LOST = ("office server unreachable: the connection ended before the letter was kept in the office; nothing "
               "was issued (try again when the server is back)")
CASES = {   # command -> (user, the wrapped function, its arguments, the one message)
    "evaluate": ("pat", (EVALUATIONS, "record"), ("evaluate", "{rid}", "--summary"), oe.UNREACHABLE),
    "decide": ("pat", (DECISIONS, "insert_decision"), ("decide", "{rid}", "--outcome", "grant"),
               office_decisions.UNREACHABLE.format(what="decision")),
    "approve": ("abe", (DECISIONS, "insert_approval"), ("approve", "{rid}"),
                office_decisions.UNREACHABLE.format(what="approval")),
    "letter": ("pat", (DECISIONS, "insert_letter"), ("letter", "{rid}", "-o", "{out}"), LETTER_LOST),
}
FAULTS = ("S", "H")      # the request of each command's "session ended" and "server stopped" case
TABLES = ("evaluations", "decisions", "approvals", "letters", "office_log", "office_letter_ca",
          "office_user_certificates", "requests")


@dataclass
class Desk:
    office: Office
    profile: Path
    files: Path
    env: dict[str, str]

    def dws(self, user: str, *args: str) -> Result:
        return run_dws(self.profile, *args, env={**self.env, "DWS_USER": user, "DWS_PASSPHRASE": passphrase(user)})

    def state(self) -> tuple[dict[str, int], list[tuple[object, ...]]]:
        """Each table's rows, and every request's status, claim and latest evaluation."""
        with self.office.superuser() as conn:
            counts = {t: int(conn.execute(f"SELECT count(*) FROM dws.{t}").fetchone()[0])  # type: ignore[index]
                      for t in TABLES}
            queue = conn.execute("SELECT request_id, status, claimed_by::text, (SELECT max(e.id) FROM dws.evaluations "
                                 "e WHERE e.request = r.id) FROM dws.requests r ORDER BY request_id").fetchall()
        return counts, queue


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    root = tmp_path_factory.mktemp("faults")
    office, profile = signed_office(root)
    files = root / "files"
    files.mkdir()
    d = Desk(office, profile.path, files, {"DWS_NO_KEYRING": "1", oe.SCRATCH_ENV: str(root / "cache"),
                                           ENV_TODAY: AS_OF.isoformat()})
    write_records(files / "records.csv")
    (files / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    assert d.dws("pat", "import", "records", str(files / "records.csv")).code == 0
    assert d.dws("cal", "import", "order", str(files / "order.json")).code == 0
    ids = [f"F-{c.upper()}-{f}" for c in CASES for f in FAULTS]
    for rid in (*ids, "F-FIRST", "F-RETRY"):
        path = files / f"{rid}.json"
        path.write_text(json.dumps(request(rid, subjects=[subject("1", "released-1"), subject("2", "released-2")],
                                           items=["name", "address"])), encoding="utf-8")
        assert d.dws("pat", "import", "request", str(path)).code == 0
    # F-APPROVE awaits approval; F-LETTER is decided (a denial, final); pat's certificate is issued by a first letter
    deny = ("deny", "--justification", JUSTIFICATION)
    for rid, outcome in [*((f"F-APPROVE-{f}", ("grant",)) for f in FAULTS),
                         *((f"F-LETTER-{f}", deny) for f in FAULTS), ("F-FIRST", deny), ("F-RETRY", ("grant",))]:
        done = d.dws("pat", "decide", rid, "--outcome", *outcome)
        assert done.code == 0, done.err
    assert d.dws("pat", "letter", "F-FIRST", "-o", str(files / "first.pdf")).code == 0
    assert d.dws("abe", "approve", "F-RETRY").code == 0         # a grant: its letter records disclosures
    yield d
    office.server.stop()


def child(d: Desk, user: str, wrapped: tuple[str, str], args: tuple[str, ...], folder: Path
          ) -> subprocess.Popen[str]:
    env = {**os.environ, **d.env, "DWS_USER": user, "DWS_PASSPHRASE": passphrase(user)}
    return subprocess.Popen([sys.executable, "-c", FAULT_CHILD, *wrapped, str(folder / "ready"), str(folder / "go"),
                             "--store", str(d.profile), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, stdin=subprocess.DEVNULL, env=env)


def wait_ready(proc: subprocess.Popen[str], ready: Path) -> int:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ready.exists() and ready.read_text():
            return int(ready.read_text())
        assert proc.poll() is None, f"the command ended before its row was written: {proc.communicate()}"
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"the command wrote no row within 120 s: {proc.communicate()}")


@pytest.mark.parametrize("fault", ["session ended", "server stopped"])
@pytest.mark.parametrize("command", list(CASES))
def test_a_fault_inside_the_office_transaction_leaves_nothing_half_written(desk: Desk, tmp_path: Path,
                                                                           command: str, fault: str) -> None:
    user, wrapped, template, message = CASES[command]
    rid = f"F-{command.upper()}-{'S' if fault == 'session ended' else 'H'}"
    args = tuple(a.format(out=tmp_path / "letter.pdf", rid=rid) for a in template)
    before = desk.state()
    proc = child(desk, user, wrapped, args, tmp_path)
    pid = wait_ready(proc, tmp_path / "ready")
    halted = False
    try:
        if fault == "session ended":
            with psycopg.connect(desk.office.server.conninfo(DBNAME), autocommit=True) as su:
                assert su.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
        else:
            desk.office.server.halt("fast")
            halted = True
        (tmp_path / "go").touch()
        out, err = proc.communicate(timeout=120)
        assert (proc.returncode, out, err) == (1, "", f"dws: {message}\n")
        if halted:
            down = desk.dws(user, "list")
            assert down.code == 1 and down.err.startswith("dws: office server unreachable: 127.0.0.1:"), down.err
    finally:
        if halted:
            desk.office.server.resume()
    assert desk.state() == before                       # nothing half-written
    assert not (tmp_path / "letter.pdf").exists()
    verified = desk.dws("aud", "verify")
    assert verified.code == 0 and verified.out.endswith("OK: the office log's chain is whole.\n"), verified.err
    # the next command connects; the same one succeeds (and, for a decision, does what it said it would)
    again = desk.dws(user, *args)
    assert again.code == 0, again.err
    counts, _queue = desk.state()
    grew = {t: counts[t] - before[0][t] for t in TABLES if counts[t] != before[0][t]}
    assert grew == {"evaluate": {"evaluations": 1, "office_log": 1},
                    "decide": {"decisions": 1, "office_log": 1},
                    "approve": {"approvals": 1, "office_log": 1},
                    "letter": {"letters": 1, "office_log": 2}}[command], grew


def test_a_letter_made_again_after_another_desktop_wrote_to_the_log(desk: Desk, tmp_path: Path) -> None:
    """The letter's checkpoint went stale (another desktop logged something while the letter was being made): the
    letter is made again and kept once, its disclosures once (its first attempt's letter and accounting rows in
    the working copy once tripped it: "database error 19")."""
    before, _queue = desk.state()
    target = tmp_path / "retry.pdf"
    proc = child(desk, "pat", ("workstation.service.office_witness", "sign_checkpoint"),
                 ("letter", "F-RETRY", "-o", str(target)), tmp_path)
    wait_ready(proc, tmp_path / "ready")
    other = desk.dws("cal", "import", "order", str(desk.files / "order.json"))     # another desktop's log entry
    assert other.code == 0, other.err
    (tmp_path / "go").touch()
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, err) == (0, ""), err
    assert out.startswith("Letter L-") and target.exists()
    counts, _queue = desk.state()
    assert {t: counts[t] - before[t] for t in TABLES if counts[t] != before[t]} == {"letters": 1, "office_log": 3}
    checked = desk.dws("aud", "verify-letter", str(target))
    assert checked.code == 0, checked.out + checked.err
    totals = json.loads(desk.dws("aud", "accounting", "--year", str(AS_OF.year), "--json").out)   # DWS_TODAY's
    assert totals["total"]["disclosures"] == 2                   # released-1 and released-2, once each

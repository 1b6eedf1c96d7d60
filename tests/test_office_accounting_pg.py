"""`dws accounting` on an office (issue 19, i19x), through the CLI against a real TLS PostgreSQL server: the same
totals and the same CSV the local store writes for the same disclosures (the letters' rows are in their sealed
records; only the ids and times the two stores make differ), the export logged in the office log, an auditor's
totals without the export, an admin refused as the local store refuses it."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from clihelp import Result, run_dws
from letterdata import AS_OF, COURT_ORDER, REQUESTS, build_store, decide, write_records
from letterdata import passphrase as local_passphrase
from officehelp import ADMIN, Office
from officesigned import passphrase, signed_office

from workstation import clock as clocks
from workstation.clock import ENV_TODAY
from workstation.service import office_evaluation as oe
from workstation.store.office import log as office_log

IDS = ("LTR-PARTIAL", "LTR-DENY-STATUTE")
VARY = (1, 3, 4)        # disclosed_at, letter_id, decision_id: made by each store


class Flow:
    def __init__(self, office: Office, profile: Path, env: dict[str, str]) -> None:
        self.office, self.profile, self.env = office, profile, env

    def dws(self, user: str, *args: str) -> Result:
        return run_dws(self.profile, *args, env={**self.env, "DWS_USER": user, "DWS_PASSPHRASE": passphrase(user)})


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    root = tmp_path_factory.mktemp("accounting")
    office, desk = signed_office(root)
    f = Flow(office, desk.path, {"DWS_NO_KEYRING": "1", oe.SCRATCH_ENV: str(root / "cache"),
                                 ENV_TODAY: AS_OF.isoformat()})
    files = root / "files"
    files.mkdir()
    write_records(files / "records.csv")
    (files / "order.json").write_text(json.dumps(COURT_ORDER), encoding="utf-8")
    assert f.dws("pat", "import", "records", str(files / "records.csv")).code == 0
    assert f.dws("cal", "import", "order", str(files / "order.json")).code == 0
    for rid, outcome in zip(IDS, ("partial", "deny"), strict=True):
        (files / f"{rid}.json").write_text(json.dumps(REQUESTS[rid]), encoding="utf-8")
        assert f.dws("pat", "import", "request", str(files / f"{rid}.json")).code == 0
        assert f.dws("pat", "decide", rid, "--outcome", outcome).code == 0
        if outcome == "partial":
            assert f.dws("abe", "approve", rid).code == 0
        done = f.dws("pat", "letter", rid, "-o", str(root / f"{rid}.pdf"))
        assert done.code == 0, done.err
    yield f
    office.server.stop()


def local_export(tmp_path: Path, year: int) -> tuple[list[list[str]], str]:
    """The local store's accounting CSV (and its printed totals) for the same files, decisions and letters."""
    from workstation.service import Workstation

    store = tmp_path / "local"
    with clocks.use(clocks.ShiftedClock(AS_OF)):        # the office's desktops run on AS_OF's day too (Flow)
        build_store(store, tmp_path / "work", IDS)
        decide(store, "LTR-PARTIAL", "partial", approve=True)
        decide(store, "LTR-DENY-STATUTE", "deny", approve=False)
        with Workstation(store).unlock("rita", local_passphrase("rita")) as rita:
            for rid in IDS:
                rita.letter(rid, local_passphrase("rita"))
            rita.export_accounting(year, tmp_path / "local.csv")
    done = run_dws(store, "accounting", "--year", str(year), env={"DWS_USER": "rita",
                                                                  "DWS_PASSPHRASE": local_passphrase("rita")})
    assert done.code == 0, done.err
    return rows(tmp_path / "local.csv"), done.out


def rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [[("" if i in VARY and r[0] == "disclosure" else c) for i, c in enumerate(r)] for r in csv.reader(fh)]


def test_the_office_writes_the_local_stores_accounting(flow: Flow, tmp_path: Path) -> None:
    year = AS_OF.year                   # both stores' letters are issued on AS_OF's day (DWS_TODAY moves the clock)
    ours = tmp_path / "office.csv"
    done = flow.dws("pat", "accounting", "--year", str(year), "-o", str(ours))
    assert done.code == 0, done.err
    theirs, printed = local_export(tmp_path, year)
    got = rows(ours)
    assert got == theirs
    assert [r[0] for r in got].count("disclosure") == 2         # LTR-PARTIAL's two released subjects
    assert done.out == printed + f"Every disclosure (with TINs) and these totals written to {ours}\n"
    assert (ours.stat().st_mode & 0o777) == 0o600
    with open(ours, encoding="utf-8") as fh:
        letter_ids = {r[3] for r in csv.reader(fh) if r[0] == "disclosure"}
    with flow.office.superuser() as conn:
        exported = [json.loads(str(e[5])) for e in office_log.entries(conn) if e[3] == "accounting-exported"]
        issued = {json.loads(str(e[5]))["letter_id"] for e in office_log.entries(conn) if e[3] == "letter-issued"}
    assert exported == [{"year": year, "disclosures": 2, "target": str(ours)}]
    assert letter_ids <= issued
    # the totals alone, printed as the local store prints them, for the auditor too
    for user in ("pat", "abe", "cal", "aud"):
        totals = flow.dws(user, "accounting", "--year", str(year))
        assert (totals.code, totals.out) == (0, printed), (user, totals.err)
    empty = flow.dws("pat", "accounting", "--year", str(year - 1), "--json")
    assert json.loads(empty.out)["total"] == {"agency_code": "*", "requests": 0, "disclosures": 0, "taxpayers": 0}


def test_who_may_not_export_is_told_in_one_line(flow: Flow, tmp_path: Path) -> None:
    target = tmp_path / "aud.csv"                   # the auditor exports as on a local store, and it is logged
    audited = flow.dws("aud", "accounting", "--year", "2026", "-o", str(target))
    assert audited.code == 0 and target.exists(), audited.err
    with flow.office.superuser() as conn:
        entry = [e for e in office_log.entries(conn) if e[3] == "accounting-exported"][-1]
    assert (entry[2], json.loads(str(entry[5]))["target"]) == ("aud", str(target))
    admin = run_dws(flow.profile, "accounting", "--year", "2026", env={**flow.env, "DWS_USER": ADMIN,
                                                                       "DWS_PASSPHRASE": passphrase(ADMIN)})
    assert admin.code == 1 and admin.err.strip() == (
        "dws: only an approver or auditor or counsel or preparer user may read the accounting of disclosures "
        "(you are admin)"), admin.err
    bad = flow.dws("pat", "accounting", "--year", "26")
    assert bad.code == 1 and bad.err.strip() == "dws: the year is four digits, not 26"

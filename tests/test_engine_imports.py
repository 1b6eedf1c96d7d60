"""Imports and the queue on both engines (issue 19 item 1: one test, a local store and an office on a real TLS
server; tests/engines.py). Through `dws --store STORE` (the contract of spec/INTERCHANGE.md, moved here from
tests/test_cli_store.py) and through the service's StoreEngine (a refused import changes nothing, moved here from
tests/test_hostile_input.py). Where the office differs on purpose, the test says so."""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta
from pathlib import Path

import hostile
import pytest
from engines import Engine, EngineCli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_cli_queue import LONG_AGENCY, REQUEST_STATUSES
from test_cli_store import RECORDS_HEADER, REQUEST, write_json

from workstation import clock as clocks
from workstation.errors import DwsError, InputError, PermissionDenied

RECORD = ("912-70-1234,ITIN,Maria Example,1200 Congress Ave Apt 4,Austin,TX,78701,2024-04-15,2024,single,"
          "50000,4000,300,0,,,,,,0")
ORDER = {"format": "dws.court-order/1", "court": "U.S. District Court for the District of Columbia",
         "case_no": "1:25-cv-00457", "caption": "Center for Taxpayer Rights v. IRS", "signed_on": "2025-11-21",
         "effective_from": "2025-11-21", "effective_to": None, "status": "active",
         "enjoined_recipients": ["DHS-ICE"], "enjoined_purposes": ["*"], "enjoined_items": ["address"],
         "note": "Stay"}


@pytest.fixture
def cli(engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> EngineCli:
    return engine.cli(capsys, monkeypatch)


def test_import_request_and_list(engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    path = write_json(tmp_path / "req.json", REQUEST)
    r = cli("import", "request", str(path), user="rita")
    assert r.code == 0, r.err
    assert "DOJ-2026-00001" in r.out and "1 subject from" in r.out
    rows = json.loads(cli("list", "--json", user="otto").out)
    left = (date(2026, 12, 2) - clocks.today()).days          # from the one clock: the day the tests run on
    row = {"request_id": "DOJ-2026-00001", "agency": "Department of Justice", "agency_code": "DOJ-FBI",
           "authority": "6103(i)(2)", "received_on": "2026-11-02", "due_on": "2026-12-02",
           "subjects": 1, "status": "new", "recommendation": None, "days_left": left, "overdue": left < 0}
    if engine.kind == "office":
        row["claimed_by"] = None          # the office's queue names the preparer whose evaluation claimed it
    assert rows == [row]
    table = cli("list", user="otto").out
    assert "DOJ-2026-00001" in table and "DOJ-FBI" in table
    assert ("CLAIMED BY" in table) == (engine.kind == "office")


def test_same_request_twice_is_refused(engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    """(the office's side moved here from tests/test_office_requests_pg.py)"""
    path = write_json(tmp_path / "req.json", REQUEST)
    assert cli("import", "request", str(path), user="rita").code == 0
    before = engine.counts(), engine.events()
    r = cli("import", "request", str(path), user="ada")
    assert r.code == 1 and "request DOJ-2026-00001 is already in the store (imported " in r.err
    assert " by rita)" in r.err                     # who imported it first
    assert len(json.loads(cli("list", "--json", user="rita").out)) == 1
    assert (engine.counts(), engine.events()) == before


def test_foia_due_date_counts_working_days(cli: EngineCli, tmp_path: Path) -> None:
    doc = dict(REQUEST, request_id="FOIA-1", authority="foia", received_on="2026-11-20")
    assert cli("import", "request", str(write_json(tmp_path / "f.json", doc)), user="rita").code == 0
    row = json.loads(cli("list", "--json", user="rita").out)[0]
    # 20 working days after Fri 2026-11-20, skipping Thanksgiving (11-26) and Christmas (12-25).
    assert row["due_on"] == "2026-12-21"


def test_records_import_replaces_and_logs(engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(RECORDS_HEADER + "\n" + RECORD + "\n")
    r = cli("import", "records", str(csv), "--json", user="rita")
    assert r.code == 0, r.err
    assert json.loads(r.out)["inserted"] == 1
    r = cli("import", "records", str(csv), user="ada")
    assert "0 new, 1 replaced" in r.out
    events = [d for e, _o, d in engine.events() if e == "records-imported"]
    assert [d["replaced"] for d in events] == [0, 1]
    assert engine.counts()["records"] == 1


def test_court_order_needs_counsel(engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    path = write_json(tmp_path / "order.json", ORDER)
    r = cli("import", "order", str(path), user="ada")
    assert r.code == 1 and "only a counsel user may import or change court orders" in r.err
    r = cli("import", "order", str(path), user="cora")
    assert r.code == 0 and "Imported court order 1:25-cv-00457" in r.out
    r = cli("import", "order", str(path), user="cora")
    assert "Updated court order" in r.out
    assert [(e, o) for e, o, _d in engine.events() if e.startswith("court-order")] == [
        ("court-order-imported", "1:25-cv-00457"), ("court-order-updated", "1:25-cv-00457")]


def test_bad_request_file_names_file_and_path_and_changes_nothing(engine: Engine, cli: EngineCli,
                                                                  tmp_path: Path) -> None:
    doc = json.loads(json.dumps(REQUEST))
    doc["subjects"][0]["address"]["zipcode"] = "78701"
    path = write_json(tmp_path / "bad.json", doc)
    engine.made()
    before = engine.events()
    r = cli("import", "request", str(path), user="rita")
    assert r.code == 1
    assert "bad.json" in r.err and "$.subjects[0].address" in r.err and "zipcode" in r.err
    assert json.loads(cli("list", "--json", user="rita").out) == []
    assert engine.events() == before


def test_a_failed_bulk_load_leaves_the_records_empty(engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(RECORDS_HEADER + "\n" + RECORD + "\n" + RECORD.replace("50000", "5O000") + "\n")
    r = cli("import", "records", str(csv), user="rita")
    assert r.code == 1 and "line 3" in r.err and "agi" in r.err
    assert engine.counts()["records"] == 0
    if engine.kind == "local":          # the indexes a failed first load keeps (the office's: test_office_records_pg)
        from workstation.service import Workstation

        with Workstation(engine.store).unlock("ada", "ada-engine-passphrase") as s:
            names = {n for (n,) in s.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"taxpayer_records_tin", "taxpayer_records_addr"} <= names


# -- the service: the queue's filter, who may import, and a refusal that changes nothing ----------------------

def test_the_queue_filters_by_status_and_every_role_reads_it(engine: Engine, tmp_path: Path) -> None:
    with engine.open("rita") as rita:
        summary = rita.import_request(write_json(tmp_path / "req.json", REQUEST))
        assert (summary.kind, summary.ident, summary.rows) == ("request", "DOJ-2026-00001", 1)
        assert rita.role == engine.role("rita")
    for user in ("ada", "alex", "cora", "otto"):
        with engine.open(user) as s:
            assert [r.request_id for r in s.queue()] == ["DOJ-2026-00001"]
            assert [r.request_id for r in s.queue("new")] == ["DOJ-2026-00001"]
            assert s.queue("approved") == []


@pytest.mark.parametrize(("user", "method", "file"), [
    ("otto", "import_records", "records"), ("alex", "import_request", "request"), ("rita", "import_order", "order"),
    ("otto", "import_agency", "agency"),
])
def test_a_role_that_may_not_import_is_refused_and_nothing_changes(engine: Engine, tmp_path: Path, user: str,
                                                                   method: str, file: str) -> None:
    files = {"records": tmp_path / "r.csv", "request": write_json(tmp_path / "req.json", REQUEST),
             "order": write_json(tmp_path / "o.json", ORDER),
             "agency": write_json(tmp_path / "a.json", json.loads(hostile.SEEDS["agency"]()))}
    files["records"].write_text(RECORDS_HEADER + "\n" + RECORD + "\n")
    engine.made()
    before = engine.counts(), engine.events()
    with engine.open(user) as s, pytest.raises(PermissionDenied):
        getattr(s, method)(files[file])
    assert (engine.counts(), engine.events()) == before


IMPORTS = {"request": "import_request", "records": "import_records", "court_order": "import_order",
           "agency": "import_agency"}
BUDGET = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("reader", sorted(IMPORTS))
def test_a_refused_import_leaves_the_store_unchanged(engine: Engine, reader: str, tmp_path: Path) -> None:
    """Mutated files (tests/hostile.py's seeds): accepted, or refused with a message that shows no canary and
    the store exactly as it was (moved from tests/test_hostile_input.py)."""
    role = "cora" if reader == "court_order" else "ada" if reader == "agency" else "rita"
    path = tmp_path / f"import-{reader}{hostile.SUFFIX.get(reader, '.json')}"
    s = engine.open(role)
    state = engine.counts, engine.events

    @BUDGET
    @given(seed=st.integers(0, 2**32))
    def run(seed: int) -> None:
        path.write_bytes(hostile.mutate(reader, hostile.SEEDS[reader](), random.Random(seed)))
        before = state[0](), state[1]()
        try:
            getattr(s, IMPORTS[reader])(path)
        except DwsError as exc:
            assert not any(c in str(exc) for c in hostile.CANARIES)
            assert (state[0](), state[1]()) == before
            assert isinstance(exc, InputError), exc

    run()


def test_the_court_order_register_reads_back_alike_for_every_role(engine: Engine, tmp_path: Path) -> None:
    path = write_json(tmp_path / "order.json", ORDER)
    with engine.open("cora") as cora:
        first = cora.import_order(path)
        assert (first.kind, first.ident, first.inserted, first.replaced) == ("order", "1:25-cv-00457", 1, 0)
        assert cora.import_order(path).replaced == 1
        register = cora.court_orders()
    assert [(o.case_no, o.status, o.enjoined_recipients) for o in register] == [
        ("1:25-cv-00457", "active", ("DHS-ICE",))]
    for user in ("ada", "rita", "alex", "otto"):
        with engine.open(user) as s:
            assert s.court_orders() == register
    agency = json.loads(hostile.SEEDS["agency"]())
    with engine.open("ada") as ada:
        summary = ada.import_agency(write_json(tmp_path / "agency.json", agency))
    assert (summary.kind, summary.ident, summary.inserted) == ("agency", agency["agency_code"], 1)
    assert engine.counts()["agencies"] == 1 and engine.counts()["orders"] == 1


# -- `dws list`: a status it does not know, days left, overdue, cut cells (moved from tests/test_cli_queue.py) ----

def three_due(engine: Engine, folder: Path) -> None:
    """Three requests on the agency's 30 days: due ten days ago, due today, due in 30 days."""
    today = clocks.today()
    with engine.open("rita") as rita:
        for request_id, received in (("OVERDUE-1", today - timedelta(days=40)), ("TODAY-1", today - timedelta(30)),
                                     ("FRESH-1", today)):
            requester = dict(REQUEST["requester"], agency=LONG_AGENCY, agency_code=None)
            doc = dict(REQUEST, request_id=request_id, received_on=received.isoformat(), requester=requester)
            rita.import_request(write_json(folder / f"{request_id}.json", doc))


def test_list_refuses_a_status_it_does_not_know_and_lists_the_valid_ones(engine: Engine, cli: EngineCli,
                                                                         tmp_path: Path) -> None:
    three_due(engine, tmp_path)
    r = cli("list", "--status", "bogus", user="ada")
    assert r.code == 2 and r.out == ""
    assert "--status" in r.err and "bogus" in r.err and all(s in r.err for s in REQUEST_STATUSES), r.err
    r = cli("list", "--status", "new", "--json", user="ada")
    assert r.code == 0 and {row["request_id"] for row in json.loads(r.out)} == {"OVERDUE-1", "TODAY-1", "FRESH-1"}


def test_list_shows_days_left_and_overdue_and_cuts_with_an_ellipsis(engine: Engine, cli: EngineCli,
                                                                   tmp_path: Path) -> None:
    three_due(engine, tmp_path)
    r = cli("list", user="ada")
    assert r.code == 0, r.err
    header, *rows = r.out.splitlines()
    assert "LEFT" in header.split()
    by_id = {row.split()[0]: row for row in rows}
    assert "OVERDUE 10 days" in by_id["OVERDUE-1"]
    assert "due today" in by_id["TODAY-1"]
    assert "30 days" in by_id["FRESH-1"] and "OVERDUE" not in by_id["FRESH-1"]
    assert LONG_AGENCY not in r.out                                   # cut, and marked as cut:
    cells = re.findall(r"Treasury[^…\n]*…", r.out)
    assert len(cells) == 3 and LONG_AGENCY.startswith(cells[0][:-1])
    widths = {len(line.rstrip()) for line in rows}
    assert len({line.index("6103(i)(2)") for line in rows}) == 1, widths   # the columns line up


def test_list_json_has_days_left_and_overdue(engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    three_due(engine, tmp_path)
    rows = {row["request_id"]: row for row in json.loads(cli("list", "--json", user="ada").out)}
    assert (rows["OVERDUE-1"]["days_left"], rows["OVERDUE-1"]["overdue"]) == (-10, True)
    assert (rows["TODAY-1"]["days_left"], rows["TODAY-1"]["overdue"]) == (0, False)
    assert (rows["FRESH-1"]["days_left"], rows["FRESH-1"]["overdue"]) == (30, False)
    assert rows["FRESH-1"]["agency"] == LONG_AGENCY                   # JSON is never cut

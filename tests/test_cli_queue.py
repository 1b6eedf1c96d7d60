"""`dws list` and the other options with a fixed set of values (issue 18, items 5 and 6): a value outside the set
is a usage error (exit 2) that lists the valid ones; the queue shows the days left or overdue (one rule with the
GUI's queue, from the one clock), and a value cut to fit its column ends in an ellipsis."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from clihelp import Cli
from test_cli_store import ADMIN, REQUEST, write_json

from workstation import clock as clocks
from workstation.service import Workstation

REQUEST_STATUSES = ("new", "evaluated", "approval-pending", "decided", "approved")
LONG_AGENCY = "Treasury Inspector General for Tax Administration"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three requests on the agency's 30 days: due ten days ago, due today, due in 30 days."""
    import os

    os.environ["DWS_NO_KEYRING"] = "1"
    folder = tmp_path_factory.mktemp("queue")
    today = clocks.today()
    session, _code, _notice = Workstation(folder / "store").init("admin", ADMIN["passphrase"])
    with session:
        session.add_user("rita", "reviewer", "reviewer-passphrase-1")
        for request_id, received in (("OVERDUE-1", today - timedelta(days=40)), ("TODAY-1", today - timedelta(30)),
                                     ("FRESH-1", today)):
            requester = dict(REQUEST["requester"], agency=LONG_AGENCY, agency_code=None)
            doc = dict(REQUEST, request_id=request_id, received_on=received.isoformat(), requester=requester)
            session.import_request(write_json(folder / f"{request_id}.json", doc))
    return folder / "store"


# `dws list`'s status refusal, days left, overdue and cut cells: tests/test_engine_imports.py, on both engines.


@pytest.fixture
def cli(store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(store, capsys, monkeypatch)


@pytest.mark.parametrize(("args", "option"), [
    (("override", "OVERDUE-1", "shoe_size", "--withhold", "--reason", "not asked for at all"), "ITEM"),
    (("settings", "get", "no_such_setting"), "KEY"),
    (("decide", "OVERDUE-1", "--outcome", "maybe"), "--outcome"),
    (("user", "add", "eve", "--role", "overlord"), "--role"),
], ids=lambda v: v if isinstance(v, str) else v[0])
def test_every_option_with_a_fixed_set_of_values_refuses_others_with_exit_2(cli: Cli, args: tuple[str, ...],
                                                                             option: str) -> None:
    r = cli(*args, user="rita", passphrase="reviewer-passphrase-1")
    assert r.code == 2 and option in r.err and "invalid choice" in r.err and "choose from" in r.err, r.err


@pytest.mark.parametrize("args", [("log", "prove", "--entry", "99999999999999999999999"),
                                  ("override", "OVERDUE-1", "--undo", "99999999999999999999999"),
                                  ("log", "prove", "--entry", "0"), ("override", "OVERDUE-1", "--undo", "two")],
                         ids=["huge-seq", "huge-id", "zero-seq", "word-id"])
def test_an_id_or_sequence_number_the_store_cannot_hold_is_a_usage_error(cli: Cli, args: tuple[str, ...]) -> None:
    r = cli(*args, user="rita", passphrase="reviewer-passphrase-1")
    assert r.code == 2 and "internal error" not in r.err and args[-2] in r.err, r.err


def test_override_list_with_none_prints_a_header_and_says_so(cli: Cli) -> None:
    r = cli("override", "FRESH-1", "--list", user="rita", passphrase="reviewer-passphrase-1")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0].split()[:4] == ["ID", "ACTION", "ITEM", "SUBJECT"] and lines[1:] == ["no overrides"]
    r = cli("override", "FRESH-1", "--list", "--json", user="rita", passphrase="reviewer-passphrase-1")
    assert r.code == 0 and json.loads(r.out) == []


def test_the_cli_and_the_gui_queue_agree_on_overdue(cli: Cli, store: Path, qapp) -> None:
    from PySide6.QtCore import Qt

    from ui.queue_model import QueueModel

    with Workstation(store).unlock("admin", ADMIN["passphrase"]) as s:
        rows = s.queue()
    model = QueueModel(rows)
    column = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index("Overdue")
    gui = {rows[r].request_id for r in range(len(rows)) if model.index(r, column).data() == "Overdue"}
    cli_rows = json.loads(cli("list", "--json", **ADMIN).out)
    assert gui == {row["request_id"] for row in cli_rows if row["overdue"]} == {"OVERDUE-1"}

"""Court orders in an evaluation, on both engines (issue 19 item 1; tests/engines.py): the COURT-ORDER check finds
the order counsel imported (an office's working copy reads the office's register), and counsel changing the order
in the register is what lifts the block; only counsel may write the register, every other role refused in the
local store's words naming the role each engine gives (moved here from tests/test_office_orders_pg.py, which keeps
the server's own refusal). Importing, updating and listing the register: tests/test_engine_imports.py; a bad
order file: tests/test_engine_bad_files.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engines import Engine
from letterdata import AS_OF, COURT_ORDER
from test_engine_decisions import load

from workstation.results import EvaluationDoc

CASE = COURT_ORDER["case_no"]


def court_order_finding(doc: EvaluationDoc) -> dict[str, object]:
    [found] = [f for f in doc["request_findings"] if f["code"] == "COURT-ORDER"]
    return dict(found)


def test_the_court_order_check_finds_the_order_and_counsel_lifts_it(engine: Engine, tmp_path: Path) -> None:
    load(engine, tmp_path / "in", "LTR-BLOCKED", "LTR-PARTIAL")       # the order enjoins addresses to DHS-ICE
    with engine.open("rita") as rita:
        blocked = rita.evaluate("LTR-BLOCKED", AS_OF)
        other = rita.evaluate("LTR-PARTIAL", AS_OF)                # another agency: the order does not reach it
    assert blocked["recommendation"] == "blocked"
    finding = court_order_finding(blocked)
    assert finding["outcome"] == "block"
    assert f"in {CASE}, Center for Taxpayer Rights v. IRS, signed 2025-11-21" in str(finding["message"])
    assert finding["citation"] == f"Order of U.S. District Court for the District of Columbia, {CASE} (2025-11-21)"
    assert court_order_finding(other)["outcome"] == "pass" and other["recommendation"] == "partial"
    vacated = tmp_path / "vacated.json"
    vacated.write_text(json.dumps({**COURT_ORDER, "status": "vacated"}), encoding="utf-8")
    with engine.open("cora") as cora:
        assert cora.import_order(vacated).replaced == 1
    with engine.open("rita") as rita:
        lifted = rita.evaluate("LTR-BLOCKED", AS_OF)
    assert lifted["recommendation"] != "blocked" and court_order_finding(lifted)["outcome"] == "pass"
    assert [(e, o) for e, o, _d in engine.events()][-1] == ("request-evaluated", "LTR-BLOCKED")


def test_an_order_that_ended_before_the_evaluation_day_blocks_nothing(engine: Engine, tmp_path: Path) -> None:
    """The order's window is judged on the evaluation's day (`--as-of`), from the register's dates."""
    ended = tmp_path / "ended.json"
    ended.write_text(json.dumps({**COURT_ORDER, "effective_to": "2026-10-01"}), encoding="utf-8")
    load(engine, tmp_path / "in", "LTR-BLOCKED")
    with engine.open("cora") as cora:
        cora.import_order(ended)
    with engine.open("rita") as rita:
        assert court_order_finding(rita.evaluate("LTR-BLOCKED", AS_OF))["outcome"] == "pass"
        assert court_order_finding(rita.evaluate("LTR-BLOCKED", AS_OF.replace(month=9)))["outcome"] == "block"


@pytest.mark.parametrize("user", ["ada", "rita", "alex", "otto"])
def test_only_counsel_may_write_the_register_in_the_local_stores_words(engine: Engine, tmp_path: Path, user: str,
                                                                      capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    order = tmp_path / "order.json"
    order.write_text(json.dumps({**COURT_ORDER, "case_no": "1:26-cv-00999"}), encoding="utf-8")
    cli = engine.cli(capsys, monkeypatch)
    before = engine.counts(), engine.events()
    done = cli("import", "order", str(order), user=user)
    assert (done.code, done.out) == (1, "")
    assert done.err == f"dws: only a counsel user may import or change court orders (you are {engine.role(user)})\n"
    assert (engine.counts(), engine.events()) == before

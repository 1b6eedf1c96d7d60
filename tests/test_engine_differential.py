"""The held-out-style suite on both engines (issue 19 item 2: "the held-out-style suite of evaluations gives
identical findings on both engines"; tests/engines.py). A bounded differential world (`differential_gen`: every
class the reference evaluator of tests/test_differential.py plants, in (i)(2) bulk requests, an (i)(1) request,
(c) consents and first-party FOIA requests, with a corrections file) is imported from the same files into a local
store and into an office through the product's StoreEngine, and every request is evaluated on each as the
preparer: on each engine the release plan agrees with the reference (RULES.md) on every subject it decides, and
the two engines give the same recommendation, counts, code counts, findings hash and plan hash, the same subject
rows (status, released and withheld items, codes) and the same `dws evaluate --json` document (every subject's
findings). So does the demo (`workstation.demo`: every request-level check, court orders and the agency register
among them, as tests/test_evaluate_golden.py's demo store has it), its files imported into each engine. One store
per engine for each (engines.module_engine): the tests only read what it evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from differential_gen import AS_OF, LOOSE, World, compare, generate, load_into, product_outcomes, table
from differential_io import Outcome
from enginebuilt import demo_on, module_engine
from engines import ENGINES, Kind

from workstation.model import SubjectRow

SEED = 23
SUBJECTS = 900
DEMO_DAY, DEMO_AS_OF = date(2026, 11, 2), date(2026, 11, 10)        # as tests/test_evaluate_golden.py's demo
DEMO_ARGS = {"taxpayers": 1000, "bulk_subjects": 150, "seed": 15}
SUMMARY = ("recommendation", "needs_review", "counts", "code_counts", "request_findings", "released_items",
           "findings_hash", "plan_hash", "as_of")


@dataclass
class Run:
    kind: Kind
    summaries: dict[str, dict[str, Any]]            # request id -> SUMMARY of its evaluation
    documents: dict[str, dict[str, Any]]            # request id -> the `dws evaluate --json` document
    rows: dict[str, list[SubjectRow]]               # request id -> every subject row
    product: dict[str, dict[str, Outcome]]          # request id -> ref -> the release plan's outcome


@pytest.fixture(scope="module")
def world() -> World:
    return generate(SEED, SUBJECTS)


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest, world: World, tmp_path_factory: pytest.TempPathFactory) -> dict[Kind, Run]:
    """The world evaluated on each engine, one after the other (an office's evaluation on one process)."""
    done: dict[Kind, Run] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_EVAL_WORKERS", "1")
        for kind in ENGINES:
            root = tmp_path_factory.mktemp(f"differential-{kind}")
            with module_engine(kind, request, root) as engine, engine.open("rita") as s:
                load_into(s, world, root / "files")
                run = Run(kind, {}, {}, {}, {})
                for req in world.requests:
                    doc = s.evaluate(req.request_id, AS_OF)
                    run.summaries[req.request_id] = {k: doc[k] for k in SUMMARY}
                    run.documents[req.request_id] = s.evaluation_document(req.request_id, doc, summary=False)
                    run.rows[req.request_id] = s.subject_rows(req.request_id, 0, len(req.subjects) + 1)
                    run.product[req.request_id] = product_outcomes(s, req)
                done[kind] = run
    return done


def test_the_sample_plants_every_class_in_each_kind_of_request(world: World) -> None:
    classes = {g.cls for _req, g in world.subjects()}
    assert sum(1 for _ in world.subjects()) >= 850
    assert len(classes) >= 45, sorted(classes)
    assert {r.authority for r in world.requests} == {"6103(i)(2)", "6103(i)(1)", "6103(c)", "foia"}
    assert world.corrections


@pytest.mark.parametrize("kind", ENGINES)
def test_product_and_reference_agree_on_every_subject_rules_md_decides(runs: dict[Kind, Run], world: World,
                                                                      kind: Kind) -> None:
    by_class = compare(world, runs[kind].product)
    assert sum(t.subjects for t in by_class.values()) == sum(len(r.subjects) for r in world.requests)
    wrong = sum(t.released_but_withheld + t.withheld_but_releasable + t.periods
                for c, t in by_class.items() if c not in LOOSE)
    assert wrong == 0, f"\n{kind}: product vs reference (RULES.md), by class:\n" + table(by_class)
    loose = sum(t.released_but_withheld for c, t in by_class.items() if c in LOOSE)
    assert loose == 0, f"\n{kind}: product vs reference (readings that release less):\n" + table(
        {c: t for c, t in by_class.items() if c in LOOSE})


def test_both_engines_give_identical_findings(runs: dict[Kind, Run], world: World) -> None:
    local, office = runs["local"], runs["office"]
    for req in world.requests:
        rid = req.request_id
        assert office.summaries[rid] == local.summaries[rid], rid
        assert len(local.rows[rid]) == len(req.subjects)
        assert office.rows[rid] == local.rows[rid], rid
        assert office.documents[rid] == local.documents[rid], rid
    codes = {code for s in local.summaries.values() for code in s["code_counts"]}      # what was compared
    assert len(codes) >= 15, sorted(codes)
    assert all(s["counts"]["releasable"] and s["counts"]["withheld"] for s in local.summaries.values())



@pytest.fixture(scope="module")
def demo_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> dict[Kind, dict[str, tuple[dict[str, Any], dict[str, Any]]]]:
    """The demo's files imported into each engine (agencies by the admin, court orders by counsel, records and
    requests by the preparer), every request evaluated: kind -> request id -> (SUMMARY, --json document)."""
    done: dict[Kind, dict[str, tuple[dict[str, Any], dict[str, Any]]]] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_EVAL_WORKERS", "1")
        for kind in ENGINES:
            root = tmp_path_factory.mktemp(f"demo-{kind}")
            with module_engine(kind, request, root) as engine:
                ids = demo_on(engine, root / "files", DEMO_DAY, DEMO_AS_OF, **DEMO_ARGS)
                found = done.setdefault(kind, {})
                with engine.open("rita") as rita:
                    for rid in ids:
                        doc = rita.evaluate(rid, DEMO_AS_OF)          # the evaluation made, read back
                        found[rid] = ({k: doc[k] for k in SUMMARY},
                                      rita.evaluation_document(rid, doc, summary=False))
    return done


def test_the_demo_evaluates_identically_on_both_engines(demo_runs: dict[Kind, dict[str, tuple[dict[str, Any],
                                                                                              dict[str, Any]]]]
                                                        ) -> None:
    local, office = demo_runs["local"], demo_runs["office"]
    assert sorted(office) == sorted(local) and len(local) >= 20
    for rid in local:
        assert office[rid][0] == local[rid][0], rid
        assert office[rid][1] == local[rid][1], rid
    # what was compared: every recommendation, and the request-level checks that read the registers
    assert {summary["recommendation"] for summary, _doc in local.values()} >= {"grant", "partial", "deny", "blocked"}
    outcomes = {(f["code"], f["outcome"]) for summary, _doc in local.values() for f in summary["request_findings"]}
    assert {("COURT-ORDER", "block"), ("SAFEGUARDS", "needs-review"), ("BULK", "needs-review"),
            ("CONSENT", "fail")} <= outcomes, sorted(outcomes)

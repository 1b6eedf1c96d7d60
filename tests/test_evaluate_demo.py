"""`dws evaluate` over the whole demo store, driven by the demo manifest's `expect` for each request.

One demo store for the module on each engine (issue 19 item 1, tests/enginebuilt.py: the demo's files imported
into a local store and into an office, evaluated once, as of 2026-11-10); tests that change inputs or run `dws`
work on a copy.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from enginebuilt import EngineTemplate, demo_on, engine_from
from engines import ENGINES, Engine, EngineCli

from workstation.rules.findings import REQUEST_CODES, SUBJECT_CODES

DEMO_DAY = date(2026, 11, 2)
AS_OF = date(2026, 11, 10)
DEMO_ARGS: dict[str, Any] = {"taxpayers": 2000, "bulk_subjects": 3000, "seed": 1}
GRANTED = ("DEMO-I2-VALID", "DEMO-I1-VALID", "DEMO-C-VALID", "DEMO-D1-VALID")
CONTRACT_KEYS = {"request_id", "recommendation", "needs_review", "counts", "findings", "release"}
FINDING_KEYS = {"code", "scope", "ref", "outcome", "message", "citation"}
OPTIONAL_KEYS = {"partial", "candidates"}       # "prints at least": a partial withholding, MATCH's candidates


@dataclass
class Demo:
    template: EngineTemplate                     # the evaluated demo store on one engine, copied for a test
    files: Path                                  # the demo files it was made from
    manifest: dict[str, Any]                     # manifest.json, by request id
    docs: dict[str, dict[str, Any]]              # the stored evaluation summary, by request id
    full: dict[str, dict[str, Any]]              # the `dws evaluate --json` document, by request id

    def expect(self, *codes: str) -> list[str]:
        return [rid for rid, m in self.manifest.items() if m["expect"] in codes]


@pytest.fixture(scope="module", params=ENGINES)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Demo:
    tmp = tmp_path_factory.mktemp(f"demo-{request.param}")
    docs: dict[str, dict[str, Any]] = {}
    full: dict[str, dict[str, Any]] = {}

    def fill(engine: Engine) -> None:
        demo_on(engine, tmp / "files", DEMO_DAY, AS_OF, **DEMO_ARGS)
        with engine.open("rita") as s:
            for entry in json.loads((tmp / "files" / "manifest.json").read_text(encoding="utf-8"))["requests"]:
                rid = entry["request_id"]
                doc = s.evaluate(rid, AS_OF)            # the evaluation demo_on made, read back
                docs[rid], full[rid] = dict(doc), s.evaluation_document(rid, doc, summary=False)

    template = EngineTemplate.build(request.param, request, tmp, fill)
    entries = json.loads((tmp / "files" / "manifest.json").read_text(encoding="utf-8"))["requests"]
    return Demo(template, tmp / "files", {e["request_id"]: e for e in entries}, docs, full)


@pytest.fixture
def engine(demo: Demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A copy of the evaluated demo store (for a test that runs `dws` or changes an input)."""
    yield from engine_from(demo.template, tmp_path, monkeypatch)


def problems(doc: dict[str, Any], scope: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["scope"] == scope and f["outcome"] != "pass"]


# --------------------------------------------------------------------------------- what each request shows

def test_the_manifest_covers_every_check_code(demo: Demo) -> None:
    expects = {m["expect"] for m in demo.manifest.values()}
    assert expects == {"valid", *REQUEST_CODES, *SUBJECT_CODES}


def test_request_level_defects_fail_exactly_their_code(demo: Demo) -> None:
    wrong = {}
    for rid in demo.expect(*(c for c in REQUEST_CODES if c != "BULK")):
        code, doc = demo.manifest[rid]["expect"], demo.full[rid]
        found = {f["code"] for f in problems(doc, "request")}
        if found != {code} or problems(doc, "subject"):
            wrong[rid] = (found, {f["code"] for f in problems(doc, "subject")})
    assert wrong == {}
    assert demo.docs["DEMO-I2-WRITING"]["recommendation"] == "deny"
    assert demo.docs["DEMO-I2-ITEMS"]["recommendation"] == "partial"
    assert demo.docs["DEMO-I2-SAFEGUARDS"]["needs_review"] is True


def test_subject_level_defects_fail_every_subject_on_their_code(demo: Demo) -> None:
    rids = demo.expect(*SUBJECT_CODES)
    assert len(rids) == len(SUBJECT_CODES)
    wrong = {}
    for rid in rids:
        code, doc = demo.manifest[rid]["expect"], demo.full[rid]
        refs = {e["ref"] for e in doc["release"]}
        failing = {f["ref"] for f in problems(doc, "subject") if f["code"] == code and f["outcome"] == "fail"}
        if failing != refs or doc["recommendation"] != "deny" or problems(doc, "request"):
            wrong[rid] = (sorted(refs - failing), doc["recommendation"])
        assert all(e["released"] == [] for e in doc["release"]), rid
    assert wrong == {}


def test_valid_requests(demo: Demo) -> None:
    for rid in GRANTED:
        doc = demo.full[rid]
        assert (rid, doc["recommendation"], doc["needs_review"]) == (rid, "grant", False)
        assert [f for f in doc["findings"] if f["outcome"] != "pass"] == []
        assert doc["counts"]["releasable"] == doc["counts"]["subjects"]
        assert all(e["withheld"] == [] for e in doc["release"])
    foia = demo.full["DEMO-FOIA-THIRD-PARTY"]
    assert foia["recommendation"] == "deny"
    assert {f["code"] for f in problems(foia, "request")} == {"ITEMS"}
    assert foia["release"][0]["released"] == []


def test_the_partial_request_withholds_each_subject_for_its_own_reason(demo: Demo) -> None:
    doc = demo.full["DEMO-I2-PARTIAL"]
    assert doc["recommendation"] == "partial"
    plan = {e["ref"]: (e["released"], {w["item"]: w["code"] for w in e["withheld"]}) for e in doc["release"]}
    assert plan == {"1": (["name", "address"], {"agi": "ITEMS"}), "2": (["name", "address"], {"agi": "ITEMS"}),
                    "3": ([], dict.fromkeys(("name", "address", "agi"), "ADDRESS")),
                    "4": ([], dict.fromkeys(("name", "address", "agi"), "MATCH")),
                    "5": ([], dict.fromkeys(("name", "address", "agi"), "HOLD"))}
    assert doc["counts"] == {"subjects": 5, "releasable": 2, "withheld": 2, "no_record": 1}


def test_court_order_and_bulk_requests_are_blocked(demo: Demo) -> None:
    for rid in demo.expect("COURT-ORDER", "BULK"):
        doc = demo.full[rid]
        assert doc["recommendation"] == "blocked", rid
        assert doc["counts"]["releasable"] == 0
        assert all(e["released"] == [] for e in doc["release"])
        [block] = [f for f in doc["findings"] if f["code"] == "COURT-ORDER"]
        assert block["outcome"] == "block" and "1:25-cv-00457" in block["message"]
    bulk = demo.full["DEMO-I2-BULK"]
    # RULES.md "Outcomes": a blocked request is never provisional (nothing can be released, nothing waits).
    assert bulk["needs_review"] is False and bulk["counts"]["subjects"] == 3000
    assert {f["code"]: f["outcome"] for f in problems(bulk, "request")}["BULK"] == "needs-review"


def test_recommendations_agree_with_the_manifest(demo: Demo) -> None:
    wrong = {rid: (m["recommendation"], m["needs_review"], demo.docs[rid]["recommendation"],
                   demo.docs[rid]["needs_review"]) for rid, m in demo.manifest.items()
             if (m["recommendation"], m["needs_review"]) != (demo.docs[rid]["recommendation"],
                                                             demo.docs[rid]["needs_review"])}
    assert wrong == {}
    review = {rid for rid, doc in demo.docs.items() if doc["needs_review"]}
    assert review == {"DEMO-I2-SAFEGUARDS", "DEMO-I2-RECEIVED", "DEMO-FOIA-FIRST-PARTY"}
    [identity] = problems(demo.full["DEMO-FOIA-FIRST-PARTY"], "request")
    assert (identity["code"], identity["outcome"]) == ("ITEMS", "needs-review") and "verified" in identity["message"]


# ------------------------------------------------------------------------------------ the CLI contract

@pytest.fixture
def cli(engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> EngineCli:
    return engine.cli(capsys, monkeypatch)


def rita_evaluates(cli: EngineCli, *args: str) -> Any:
    r = cli("evaluate", *args, "--as-of", AS_OF.isoformat(), user="rita")
    assert r.code == 0, r.err
    return json.loads(r.out) if "--json" in args else r.out


def test_evaluate_json_has_the_contract_keys(demo: Demo, cli: EngineCli) -> None:
    doc = rita_evaluates(cli, "DEMO-I2-PARTIAL", "--json")
    assert set(doc) >= CONTRACT_KEYS          # INTERCHANGE.md: "prints at least"
    assert doc["request_id"] == "DEMO-I2-PARTIAL" and isinstance(doc["needs_review"], bool)
    assert set(doc["counts"]) == {"subjects", "releasable", "withheld", "no_record"}
    assert doc["findings"] and all(FINDING_KEYS <= set(f) <= FINDING_KEYS | OPTIONAL_KEYS and f["citation"]
                                   for f in doc["findings"])
    assert {f["scope"] for f in doc["findings"]} == {"request", "subject"}
    assert all(f["ref"] is None for f in doc["findings"] if f["scope"] == "request")
    assert all(set(e) == {"ref", "released", "withheld"} for e in doc["release"])
    assert all(set(w) == {"item", "code"} for e in doc["release"] for w in e["withheld"])
    assert doc == {**demo.full["DEMO-I2-PARTIAL"]}


def test_summary_gives_counts_per_code(demo: Demo, cli: EngineCli) -> None:
    doc = rita_evaluates(cli, "DEMO-I2-BULK", "--json", "--summary")
    assert "release" not in doc and all(f["scope"] == "request" for f in doc["findings"])
    by_code = doc["findings_by_code"]
    assert by_code["REASON"] == {"fail": 3000}
    assert by_code["COURT-ORDER"] == {"block": 1} and by_code["BULK"] == {"needs-review": 1}
    subject_fails = sum(n for code in SUBJECT_CODES for n in by_code.get(code, {}).values())
    assert subject_fails == sum(1 for f in problems(demo.full["DEMO-I2-BULK"], "subject"))
    text = rita_evaluates(cli, "DEMO-I2-BULK", "--summary")
    assert "recommendation BLOCKED\n" in text and "provisional" not in text
    assert "fail 3,000" in text and "REASON (subjects)" in text


def test_missing_request_is_exit_1(cli: EngineCli) -> None:
    r = cli("evaluate", "NO-SUCH-REQUEST", user="rita")
    assert r.code == 1 and "no request 'NO-SUCH-REQUEST' in the store" in r.err and r.out == ""


# ------------------------------------------------------------------------------ stored result, recompute

def test_a_second_evaluate_reuses_the_stored_result(demo: Demo, engine: Engine) -> None:
    before = engine.events()
    with engine.open("rita") as s:
        again = s.evaluate("DEMO-I2-VALID", AS_OF)
    assert engine.events() == before                    # nothing recorded again
    assert again == demo.docs["DEMO-I2-VALID"]


def hold_on_first_subject(demo: Demo, copy: Engine, folder: Path) -> None:
    """Re-import the first subject's 2025 record with an internal hold (a correction replaces the row)."""
    request = json.loads((demo.files / demo.manifest["DEMO-I2-VALID"]["path"]).read_text(encoding="utf-8"))
    tin = request["subjects"][0]["tin"]
    with (demo.files / "records.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        row = next(r for r in reader if r["tin"] == tin and r["tax_year"] == "2025")
        header = reader.fieldnames
    assert header is not None
    with (folder / "hold.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerow({**row, "hold": "1"})
    with copy.open("rita") as s:
        assert s.import_records(folder / "hold.csv").replaced == 1


def vacate_the_order(demo: Demo, copy: Engine, folder: Path) -> None:
    order = json.loads(next((demo.files / "orders").glob("*00457-active.json")).read_text(encoding="utf-8"))
    (folder / "vacated.json").write_text(json.dumps({**order, "status": "vacated"}), encoding="utf-8")
    with copy.open("cora") as s:
        assert s.import_order(folder / "vacated.json").replaced == 1


def lower_bulk_threshold(demo: Demo, copy: Engine, folder: Path) -> None:
    with copy.open("cora") as s:
        s.change_setting("bulk_threshold", 3)


def withhold_an_address(demo: Demo, copy: Engine, folder: Path) -> None:
    with copy.open("rita") as s:
        s.add_override("DEMO-I2-VALID", "1", "address", "withhold", "Address is under a protective order",
                       as_of=AS_OF)


def withheld_codes(doc: dict[str, Any]) -> set[str]:
    return {w["code"] for e in doc["release"] for w in e["withheld"]}


class Change(NamedTuple):
    apply: Callable[[Demo, Engine, Path], None]
    request_id: str                              # the request watched
    before: str                                  # its recommendation before the change
    seen: Callable[[dict[str, Any]], bool]       # what the officer sees after it


CHANGES = {
    "records re-imported": Change(hold_on_first_subject, "DEMO-I2-VALID", "grant",
                                  lambda d: d["recommendation"] == "partial" and withheld_codes(d) == {"HOLD"}),
    "court order vacated by counsel": Change(vacate_the_order, "DEMO-I2-COURT-ORDER", "blocked",
                                             lambda d: d["recommendation"] == "grant" and withheld_codes(d) == set()),
    "bulk threshold lowered": Change(lower_bulk_threshold, "DEMO-I2-VALID", "grant",
                                     lambda d: d["needs_review"] and {f["code"] for f in problems(d, "request")}
                                     == {"BULK"}),
    "reviewer override": Change(withhold_an_address, "DEMO-I2-VALID", "grant",
                                lambda d: d["recommendation"] == "partial" and withheld_codes(d) == {"OVERRIDE"}),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_a_changed_input_makes_it_recompute(demo: Demo, engine: Engine, tmp_path: Path, change: Change) -> None:
    rid = change.request_id
    assert demo.docs[rid]["recommendation"] == change.before
    change.apply(demo, engine, tmp_path)
    changed = len(engine.events())
    with engine.open("rita") as s:
        after = s.evaluate(rid, AS_OF)
        assert [(e, o) for e, o, _d in engine.events()[changed:]] == [("request-evaluated", rid)]   # and recorded
        full = s.evaluation_document(rid, after, summary=False)
        again = s.evaluate(rid, AS_OF)
    assert after["evaluated_at"] != demo.docs[rid]["evaluated_at"]
    assert change.seen(full), full
    assert again["evaluated_at"] == after["evaluated_at"]

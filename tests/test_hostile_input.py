"""Hostile input (issue 13): property tests for every reader — request JSON, subjects CSV, records CSV (both the
streaming and the worker path), court order, agency register, office policy — and `dws verify-letter` on
arbitrary PDFs. Each input is accepted or refused with one message naming the file and the line or JSON path,
without a traceback, a canary value, or unbounded time and memory; a refusal leaves the store unchanged.

The budget is fixed (max_examples per property, no shrinking deadline) so that CI spends about a minute here;
bench/fuzz.py runs the same harness on 100,000 inputs and more."""

from __future__ import annotations

import json
import os
import random
import shutil
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import hostile
import pytest
from clihelp import Cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from letterdata import ADMIN_PW, DECIDED_ID, decided_letter_store, passphrase

from workstation.errors import DwsError, TamperError
from workstation.service import Session, Workstation

BUDGET = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
READERS = sorted(hostile.READERS)
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=20)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def assert_fine(outcome: hostile.Outcome) -> None:
    assert outcome.kind in ("ok", "refused"), f"{outcome.kind}: {outcome.detail}"


# -- every reader, mutated seeds and inputs from scratch ----------------------------------------------------

@pytest.mark.parametrize("reader", READERS)
def test_each_seed_is_read(reader: str, folder: Path) -> None:
    assert hostile.run(reader, hostile.SEEDS[reader](), folder).kind == "ok"


@pytest.mark.parametrize("reader", READERS)
@BUDGET
@given(seed=st.integers(0, 2**32))
def test_mutated_files_are_read_or_refused_cleanly(reader: str, folder: Path, seed: int) -> None:
    data = hostile.mutate(reader, hostile.SEEDS[reader](), random.Random(seed))
    assert_fine(hostile.run(reader, data, folder))


@pytest.mark.parametrize("reader", READERS)
@settings(BUDGET, max_examples=60)
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes_are_refused_cleanly(reader: str, folder: Path, data: bytes) -> None:
    assert_fine(hostile.run(reader, data, folder))


@pytest.mark.parametrize("reader", ["request", "court_order", "agency", "policy"])
@settings(BUDGET, max_examples=60)
@given(value=JSON_VALUES)
def test_arbitrary_json_is_refused_cleanly(reader: str, folder: Path, value: object) -> None:
    assert_fine(hostile.run(reader, json.dumps(value).encode(), folder))


@pytest.mark.parametrize("reader", ["subjects", "records"])
@settings(BUDGET, max_examples=60)
@given(rows=st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=22), max_size=6))
def test_arbitrary_csv_rows_are_refused_cleanly(reader: str, folder: Path, rows: list[list[str]]) -> None:
    import csv
    import io

    header = hostile.SEEDS[reader]().split(b"\n", 1)[0].decode()
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    assert_fine(hostile.run(reader, (header + "\n" + out.getvalue()).encode(), folder))


# -- the blow-ups: bounded time and memory ----------------------------------------------------------------

BLOWUPS = [(r, name) for r in READERS for name in hostile.blowups(r, hostile.SEEDS[r]())
           if r != "records_parallel"]


@pytest.mark.parametrize(("reader", "name"), BLOWUPS, ids=[f"{r}-{n}" for r, n in BLOWUPS])
def test_blowups_are_bounded(reader: str, name: str, folder: Path) -> None:
    data = hostile.blowups(reader, hostile.SEEDS[reader]())[name]
    tracemalloc.start()
    try:
        outcome = hostile.run(reader, data, folder, slow=hostile.BLOWUP_SLOW_S * 2)   # tracemalloc's cost
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert_fine(outcome)
    assert peak < 40 * len(data) + 64 * 1024 * 1024, f"{peak:,} bytes for a {len(data):,}-byte input"


# -- the store: mutated letters; the CLI gives one message and exit 0 or 1 -----------------------------------

@pytest.fixture(scope="module")
def letter_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("hostile-store")
    return decided_letter_store(root)


@pytest.fixture(scope="module")
def sessions(letter_store: tuple[Path, bytes]) -> Iterator[dict[str, Session]]:
    """One open session per role (an unlock costs a key derivation: not one per example)."""
    store, _pdf = letter_store
    opened = {name: Workstation(store).unlock(name, passphrase(name)) for name in ("rita", "cora", "otto")}
    opened["admin"] = Workstation(store).unlock("admin", ADMIN_PW)
    yield opened
    for s in opened.values():
        s.close()


# A refused import leaves the store unchanged: tests/test_engine_imports.py, on both engines.


@settings(BUDGET, max_examples=80)
@given(seed=st.integers(0, 2**32))
def test_verify_letter_on_mutated_letters(letter_store: tuple[Path, bytes], sessions: dict[str, Session],
                                          seed: int) -> None:
    _store, pdf = letter_store
    data = hostile.mutate_bytes(pdf, random.Random(seed)) if seed % 5 else random.Random(seed).randbytes(300)
    try:
        check = sessions["otto"].verify_letter(data, "mutated.pdf")
    except TamperError as exc:
        raise AssertionError(f"verify_letter raises instead of reporting: {exc}") from None
    except DwsError as exc:
        assert str(exc).startswith("mutated.pdf: ")
        return
    assert data == pdf or not check.ok


def test_the_cli_gives_one_message_and_exit_0_or_1(letter_store: tuple[Path, bytes], folder: Path,
                                                    tmp_path: Path, capsys, monkeypatch) -> None:
    store, pdf = letter_store
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    cli = Cli(copy, capsys, monkeypatch)
    rnd = random.Random(13)
    cases: list[tuple[str, ...]] = []
    for reader, command in (("request", "request"), ("records", "records"), ("court_order", "order"),
                            ("agency", "agency")):
        for i, data in enumerate([hostile.mutate(reader, hostile.SEEDS[reader](), rnd) for _ in range(3)]
                                 + list(hostile.blowups(reader, hostile.SEEDS[reader]()).values())[:4]):
            path = folder / f"cli-{reader}-{i}{hostile.SUFFIX.get(reader, '.json')}"
            path.write_bytes(data)
            cases.append(("import", command, str(path)))
    for i, data in enumerate((b"", b"%PDF-1.7\n%%EOF", hostile.mutate_bytes(pdf, rnd), rnd.randbytes(500))):
        (folder / f"cli-{i}.pdf").write_bytes(data)
        cases.append(("verify-letter", str(folder / f"cli-{i}.pdf")))
    for args in cases:
        user = "cora" if "order" in args else "admin" if "agency" in args else "rita"
        r = cli(*args, user=user, passphrase=passphrase(user))
        if args[0] == "verify-letter" and r.code == TamperError.exit_code:     # ours, but changed: a report
            assert "Traceback" not in r.err and r.out
            continue
        assert r.code in (0, 1), (args, r.code, r.err)
        assert "Traceback" not in r.err and "internal error" not in r.err, (args, r.err)
        if r.code:
            lines = r.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("dws: ") and Path(args[-1]).name in lines[0], r.err
            assert not any(c in r.err for c in hostile.CANARIES)
    r = cli("verify", user="otto", passphrase=passphrase("otto"))
    assert r.code == 0, r.err


def test_the_letter_store_fixture_letter_verifies(letter_store: tuple[Path, bytes]) -> None:
    store, pdf = letter_store
    with Workstation(store).unlock("otto", passphrase("otto")) as s:
        assert s.verify_letter(pdf, "issued.pdf").ok
    assert DECIDED_ID

"""Bulk requests: subject references compacted into ranges, a bounded listing per defect, and the 2025
pattern (the demo's blocked bulk request) declined in a few pages."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from letterdata import norm, pdftotext

from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.letters.ranges import Runs
from workstation.service import Workstation

BULK = 3000


def test_runs_compact_consecutive_subjects() -> None:
    runs = Runs(limit=10)
    for seq in [*range(0, 40), 41, 43, 44, *range(50, 60)]:
        runs.add(seq, f"R{seq + 1}")
    assert runs.text() == "R1\u2013R40, R42, R44, R45, R51\u2013R60"
    assert (runs.count, runs.more) == (53, 0)


def test_runs_keep_a_bounded_listing_and_count_the_rest() -> None:
    runs = Runs(limit=3)
    for seq in range(0, 100, 2):          # every other subject: no two consecutive
        runs.add(seq, str(seq + 1))
    assert runs.text() == "1, 3, 5"
    assert (runs.count, runs.more) == (50, 47)


@pytest.fixture(scope="module")
def bulk_letter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("bulk")
    create_demo_store(root / "store", taxpayers=BULK, bulk_subjects=BULK, seed=5)
    ws = Workstation(root / "store")
    with ws.unlock("rita", demo_passphrase("rita")) as s:
        s.decide("DEMO-I2-BULK", "deny", None, demo_passphrase("rita"))
    with ws.unlock("alex", demo_passphrase("alex")) as s:
        s.approve("DEMO-I2-BULK", demo_passphrase("alex"))
        path = root / "bulk.pdf"
        path.write_bytes(s.issue_letter("DEMO-I2-BULK", demo_passphrase("alex")))
    return path


@pytest.mark.slow
def test_bulk_declination_is_a_few_pages_of_ranges(bulk_letter: Path) -> None:
    text = norm(pdftotext(bulk_letter))
    pages = text.count("Page ")
    assert pages <= 6, pages
    # One boilerplate reason for (nearly) every subject: a few long ranges.
    reason = re.search(r"Applies to ([0-9,]+) taxpayers: ([^A-Z]*)", text.split("(REASON;")[1])
    assert reason is not None and int(reason.group(1).replace(",", "")) > BULK * 0.9
    assert reason.group(2).startswith("1\u2013") and reason.group(2).count(",") < 20
    # Scattered placeholder and ZIP-only addresses: a bounded listing, the rest counted.
    assert "No complete address was given" in text and "more. The complete list of references is available" in text
    assert "Disclosure to your agency of the information you asked for is barred by the order" in text
    # Blocked: nothing about what the records hold, and not marked as carrying taxpayer data.
    for absent in ("MATCH;", "ADDRESS-MATCH", "Cannot be disclosed", "FEDERAL TAX INFORMATION"):
        assert absent not in text

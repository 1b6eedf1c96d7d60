"""Time: one clock for the product, a demo dated from the day it is made, and the places a date or a clock
change could break (New Year, leap days, time zones, a clock set back)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import faketime_days
import pytest

from workstation import clock as clocks
from workstation.demo import generate
from workstation.duedates import add_working_days, due_date
from workstation.keys.lockout import LOCKOUT_S, Lockout

ROOT = Path(__file__).resolve().parents[1]


def test_the_default_clock_is_the_real_date() -> None:
    """The one test that reads the real date: outside tests and without DWS_TODAY, today is today."""
    assert clocks.SYSTEM.today() == date.today()
    assert abs(clocks.SYSTEM.now() - datetime.now(UTC)) < timedelta(seconds=5)
    assert clocks.from_environment({}) is clocks.SYSTEM


def test_dws_today_sets_the_office_date_and_time_runs_on() -> None:
    shifted = clocks.from_environment({"DWS_TODAY": "2031-02-28"})
    assert shifted.today() == date(2031, 2, 28)
    first = shifted.now()
    assert shifted.now() >= first
    with pytest.raises(ValueError, match="DWS_TODAY: '2031-02-30' is not a date"):
        clocks.from_environment({"DWS_TODAY": "2031-02-30"})


def test_the_cli_refuses_a_malformed_dws_today(tmp_path: Path) -> None:
    env = {**os.environ, "DWS_TODAY": "tomorrow", "DWS_STORE": str(tmp_path / "s")}
    out = subprocess.run([sys.executable, "-m", "workstation.cli.main", "user", "list"], env=env,
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 2
    assert out.stderr.strip() == "dws: DWS_TODAY: 'tomorrow' is not a date (YYYY-MM-DD)"


def test_the_replays_on_other_days_cover_every_test_file_once_and_the_dated_ones_on_each_day() -> None:
    """`make test-dates` deals the test files out over its three days (tests/faketime_days.py): together the three
    shares run every file, the files about dates on every day, and the next day's run moves each other file on."""
    names = {p.name for p in (ROOT / "tests").glob("test_*.py")}
    assert names >= faketime_days.EVERY_DAY, "EVERY_DAY names a test file that is not there"
    for seed in (739_956, 739_957):
        shares = [faketime_days.Share(i, 3, seed).files(names) for i in range(3)]
        assert set.union(*shares) == names
        for a in range(3):
            assert shares[a] & shares[a - 1] == faketime_days.EVERY_DAY         # only the dated ones twice
        sizes = [len(share - faketime_days.EVERY_DAY) for share in shares]
        assert max(sizes) - min(sizes) <= 1
    moved = [faketime_days.Share(0, 3, seed).files(names) for seed in (739_956, 739_957)]
    assert moved[0] != moved[1]


def test_a_share_deselects_the_other_files_of_the_run(tmp_path: Path) -> None:
    """The share as pytest applies it (conftest's collection hook): a dated file always runs, the others by turn."""
    files = ["tests/test_time.py", "tests/test_merkle.py", "tests/test_layering.py", "tests/test_wording.py"]
    ran: list[set[str]] = []
    for index in range(3):
        env = {**os.environ, faketime_days.SHARE_ENV: f"{index}/3/1"}
        out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                              *files], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr
        ran.append({line.split("::")[0].removeprefix("tests/") for line in out.stdout.splitlines() if "::" in line})
    assert all("test_time.py" in r for r in ran)
    assert set.union(*ran) == {f.removeprefix("tests/") for f in files}
    assert sum(len(r) for r in ran) == 3 + 3                # test_time.py three times, each other file once


def test_the_tests_run_on_their_own_day() -> None:
    """conftest puts TEST_DAY in force (DWS_TEST_TODAY moves it; .ci/run does under faketime)."""
    assert clocks.today() == date.fromisoformat(os.environ["DWS_TODAY"])


@pytest.mark.parametrize(("stamp", "zone", "day"), [
    ("2027-01-01T00:30:00.000Z", "America/New_York", "2026-12-31"),     # 7:30 p.m. on New Year's Eve
    ("2027-01-01T00:30:00.000Z", "UTC", "2027-01-01"),
    ("2028-02-29T23:59:59.999Z", "Pacific/Honolulu", "2028-02-29"),
    ("2028-03-01T09:00:00.000Z", "Pacific/Honolulu", "2028-02-29"),     # a leap day in Hawaii
    ("2027-03-14T06:59:00.000Z", "America/Los_Angeles", "2027-03-13"),  # the night clocks go forward
])
def test_letters_and_accounting_use_the_offices_calendar(monkeypatch: pytest.MonkeyPatch, stamp: str, zone: str,
                                                         day: str) -> None:
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        assert clocks.local_date(stamp).isoformat() == day
        year = int(day[:4])
        start, end = clocks.year_bounds(year)
        assert start <= stamp < end          # the disclosure counts in the office's year, not UTC's
    finally:
        monkeypatch.undo()
        time.tzset()


def test_new_years_eve_in_washington_belongs_to_the_old_year(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert clocks.year_bounds(2026) == ("2026-01-01T05:00:00.000Z", "2027-01-01T05:00:00.000Z")
    finally:
        monkeypatch.undo()
        time.tzset()


def test_foia_working_days_cross_new_year() -> None:
    # Received Friday 2027-12-17: Dec 24 (Christmas observed, Friday) and Dec 31 (New Year's Day 2028 falls on
    # a Saturday, observed Friday Dec 31) are not working days; MLK day 2028 is Monday Jan 17.
    assert add_working_days(date(2027, 12, 17), 20) == date(2028, 1, 19)
    assert due_date("foia", date(2027, 12, 17), agency_days=30, foia_days=20) == date(2028, 1, 19)
    assert due_date("6103(i)(2)", date(2028, 2, 10), agency_days=30, foia_days=20) == date(2028, 3, 11)


def test_a_clock_set_back_neither_lifts_nor_stretches_a_lockout(tmp_path: Path) -> None:
    now = [2_000_000_000.0]
    lockout = Lockout(tmp_path, clock=lambda: now[0])
    for _ in range(3):
        lockout.record_failure("rita")
    assert lockout.seconds_left("rita") == LOCKOUT_S
    now[0] -= 86_400                         # the clock is set back a day
    assert lockout.seconds_left("rita") == LOCKOUT_S      # still locked, and for 15 minutes, not a day
    now[0] += LOCKOUT_S - 1
    assert lockout.seconds_left("rita") == 1
    now[0] += 1
    assert lockout.seconds_left("rita") == 0


# --- the demo, dated from the day it is made -----------------------------------------------------------------

def _story(folder: Path, day: date) -> dict[str, object]:
    """What the demo says relative to its day: no more, no less."""
    generate(folder, taxpayers=1000, bulk_subjects=101, seed=2, today=day)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    received: dict[str, int] = {}
    consents: dict[str, int] = {}
    for entry in manifest["requests"]:
        doc = json.loads((folder / entry["path"]).read_text(encoding="utf-8"))
        got = date.fromisoformat(doc["received_on"])
        received[doc["request_id"]] = (day - got).days
        if doc.get("consent"):
            consents[doc["request_id"]] = (got - date.fromisoformat(doc["consent"]["signed_on"])).days
    orders = {}
    for rel in manifest["orders"]:
        order = json.loads((folder / rel).read_text(encoding="utf-8"))
        in_force = (order["status"] == "active" and date.fromisoformat(order["effective_from"]) <= day
                    and (order["effective_to"] is None or date.fromisoformat(order["effective_to"]) >= day))
        orders[order["case_no"]] = (order["status"], in_force)
    years = [int(y) for y in manifest["tax_years"]]
    last_filed = day.year - 1 if day >= date(day.year, 4, 16) else day.year - 2
    return {"received": received, "consents": consents, "orders": orders, "years_behind": last_filed - years[-1],
            "years": len(years), "today": manifest["generator"]["today"] == day.isoformat()}


def test_a_demo_made_in_another_year_tells_the_same_story(tmp_path: Path) -> None:
    reference = _story(tmp_path / "ref", date(2026, 11, 25))
    for day in (date(2027, 12, 4), date(2028, 2, 29), date(2031, 12, 31)):
        assert _story(tmp_path / day.isoformat(), day) == reference, day
    assert reference["today"] and reference["years"] == 5
    received = reference["received"]
    assert isinstance(received, dict) and min(received.values()) >= 0   # nothing arrives after the demo's day
    orders = reference["orders"]
    assert isinstance(orders, dict) and ("active", True) in orders.values()   # a court order in force


def test_the_demo_is_dated_from_the_clocks_today_by_default(tmp_path: Path) -> None:
    with clocks.use(clocks.ShiftedClock(date(2030, 7, 4))):
        generate(tmp_path / "a", taxpayers=1000, bulk_subjects=101, seed=2)
    generate(tmp_path / "b", taxpayers=1000, bulk_subjects=101, seed=2, today=date(2030, 7, 4))
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files)

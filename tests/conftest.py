"""Shared fixtures. Every test runs on real objects: a real SQLCipher store in a temporary folder."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from workstation import clock as clocks

# Keep the user's real data and log folders out of the tests (platformdirs reads these).
_HOME = tempfile.mkdtemp(prefix="dws-test-home-")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ["XDG_STATE_HOME"] = os.path.join(_HOME, "state")
os.environ["XDG_CONFIG_DIRS"] = os.path.join(_HOME, "site-config")   # no office policy from /etc/xdg
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for _var in ("DWS_STORE", "DWS_USER", "DWS_PASSPHRASE", "DWS_NEW_PASSPHRASE", "DWS_POLICY_FILE", "DWS_TODAY"):
    os.environ.pop(_var, None)

# One day for the whole run: no test reads the real date (tests/test_clock.py checks the default is the
# real one). DWS_TEST_TODAY moves it: .ci/run runs the suite again under faketime with the day it fakes, so a
# test or a product path that holds only on some dates fails there.
TEST_DAY = date.fromisoformat(os.environ.get("DWS_TEST_TODAY") or "2026-11-02")
os.environ["DWS_TODAY"] = TEST_DAY.isoformat()        # for the `dws` and GUI processes the tests start

ADMIN_PW = "admin-passphrase-1"
REVIEWER_PW = "reviewer-passphrase-1"
COUNSEL_PW = "counsel-passphrase-1"


def keyring_available() -> bool:
    from workstation.keys import device

    saved = os.environ.pop("DWS_NO_KEYRING", None)
    try:
        return device.backend_name() is not None
    finally:
        if saved is not None:
            os.environ["DWS_NO_KEYRING"] = saved


@pytest.fixture(autouse=True, scope="session")
def _test_day() -> Iterator[date]:
    """The clock in force in this process: the office's date is TEST_DAY, time runs from there."""
    with clocks.use(clocks.ShiftedClock(TEST_DAY)):
        yield TEST_DAY


@pytest.fixture(autouse=True)
def _no_keyring_unless_asked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores made by ordinary tests are not device-bound; tests marked `keyring` use the real one.
    In CI (CI=true, a D-Bus session with gnome-keyring) a missing keyring fails those tests."""
    if request.node.get_closest_marker("keyring"):
        monkeypatch.delenv("DWS_NO_KEYRING", raising=False)
        if not keyring_available():
            if os.environ.get("CI") == "true":
                pytest.fail("CI must provide a Secret Service (run under dbus-run-session with gnome-keyring)")
            pytest.skip("no OS keyring (Secret Service) on this machine; .ci/run provides one")
    else:
        monkeypatch.setenv("DWS_NO_KEYRING", "1")


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def workstation(store_dir: Path):
    from workstation.service import Workstation

    return Workstation(store_dir)


@pytest.fixture
def admin(workstation) -> Iterator:
    """A new store, unlocked as its admin, with a reviewer and a counsel user enrolled."""
    session, _code, _notice = workstation.init("admin", ADMIN_PW)
    session.add_user("rita", "reviewer", REVIEWER_PW)
    session.add_user("cora", "counsel", COUNSEL_PW)
    yield session
    session.close()

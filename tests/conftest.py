"""Shared fixtures. Every test runs on real objects: a real SQLCipher store in a temporary folder."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import faketime_days
import pytest
from hypothesis import settings as hypothesis_settings

from workstation import clock as clocks

# Property tests judge results, not speed (speed is measured under bench/): Hypothesis's 200 ms deadline per
# example failed a Merkle property test at 267 ms on a loaded 2-core machine running the suite in parallel.
hypothesis_settings.register_profile("dws", deadline=None)
hypothesis_settings.load_profile("dws")

# `make test` runs the suite in pytest-xdist workers (one per core, a whole file to a worker): each worker is a
# process of its own that imports this file, so the folders below, the clock, the SoftHSM2 tokens and every
# session fixture (the demo templates) are its own. What processes share must be picked per test or per
# worker, never fixed: a display (Xvfb -displayfd), a bus, a port, a keyring entry (keyed by the store's id).

if TYPE_CHECKING:
    from workstation.service import Session, Workstation

# Keep the user's real data and log folders out of the tests (platformdirs reads these).
_HOME = tempfile.mkdtemp(prefix="dws-test-home-")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ["XDG_STATE_HOME"] = os.path.join(_HOME, "state")
os.environ["XDG_CONFIG_DIRS"] = os.path.join(_HOME, "site-config")   # no office policy from /etc/xdg
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Office evaluations build their working copies beside DWS_SCRATCH_DIR (service/office_evaluation.scratch_target),
# else under the user's cache folder: never there from the tests. This process's default, for session fixtures;
# each test gets a folder of its own (_scratch_per_test), which the `dws` processes it starts inherit.
SCRATCH_ENV = "DWS_SCRATCH_DIR"
os.environ[SCRATCH_ENV] = os.path.join(_HOME, "scratch")
for _var in ("DWS_STORE", "DWS_USER", "DWS_PASSPHRASE", "DWS_NEW_PASSPHRASE", "DWS_PIN", "DWS_POLICY_FILE",
             "DWS_TODAY", "SOFTHSM2_CONF"):
    os.environ.pop(_var, None)

# One day for the whole run: no test reads the real date (tests/test_clock.py checks the default is the
# real one). DWS_TEST_TODAY moves it: .ci/run runs the suite again under faketime with the day it fakes, so a
# test or a product path that holds only on some dates fails there.
TEST_DAY = date.fromisoformat(os.environ.get("DWS_TEST_TODAY") or "2026-11-02")
os.environ["DWS_TODAY"] = TEST_DAY.isoformat()        # for the `dws` and GUI processes the tests start

# Keyslots made by the tests use 1,000 PBKDF2 iterations, not the 600,000+ (0.5 s) of a real store: an unlock
# costs a millisecond. Only a source checkout honours this (workstation/keys/kdf.py); tests that need the real
# floor unset it (tests/test_crypto_keyslots.py). Against an installed workstation (`make package-test` runs
# test_compiled.py and test_evaluate_golden.py against the installed wheelhouse), which refuses it, the real cost.
TEST_PBKDF2_ITERATIONS = 1000
if (Path(clocks.__file__).resolve().parents[1] / "tests" / "conftest.py").is_file():   # as kdf.py tells
    os.environ["DWS_TEST_PBKDF2_ITERATIONS"] = str(TEST_PBKDF2_ITERATIONS)

# `make fips-check` (packaging/fips_check.sh) runs the crypto and store tests with OpenSSL's FIPS provider alone.
# It has no Argon2id: the tests of Argon2id keyslots (stores made before PBKDF2 keyslots, crypto = standard) skip
# there, and tests/test_fips_mode.py checks the one message such a store gets instead.
UNDER_FIPS = os.environ.get("DWS_TEST_FIPS") == "1"
needs_argon2 = pytest.mark.skipif(UNDER_FIPS, reason="Argon2id keyslots: OpenSSL's FIPS provider has no Argon2id "
                                                     "(tests/test_fips_mode.py checks the refusal instead)")

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


def _keyring_diagnosis() -> str:
    """Why the keyring answers no (for the failure message): the bus, the daemon, the backend's error."""
    import subprocess

    daemon = subprocess.run(["pgrep", "-a", "gnome-keyring"], capture_output=True, text=True).stdout.strip()
    try:
        import keyring

        backend = keyring.get_keyring()
        keyring.get_password("disclosure-workstation", "__probe__")
        error = f"backend {type(backend).__name__} answered"
    except Exception as exc:        # reported, not handled
        error = f"{type(exc).__name__}: {exc}"
    bus = "set" if os.environ.get("DBUS_SESSION_BUS_ADDRESS") else "not set"
    return f"DBUS_SESSION_BUS_ADDRESS {bus}; daemon: {daemon or 'not running'}; {error}"


@pytest.fixture(autouse=True, scope="session")
def _test_day() -> Iterator[date]:
    """The clock in force in this process: the office's date is TEST_DAY, time runs from there."""
    with clocks.use(clocks.ShiftedClock(TEST_DAY)):
        yield TEST_DAY


@pytest.fixture(autouse=True)
def _scratch_per_test(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's office working copies in a temporary folder of its own (not in its tmp_path, whose contents
    some tests list); a test that sets DWS_SCRATCH_DIR itself (to look in it) overrides this."""
    monkeypatch.setenv(SCRATCH_ENV, str(tmp_path_factory.mktemp("scratch")))


@pytest.fixture(autouse=True)
def _no_keyring_unless_asked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stores made by ordinary tests are not device-bound; tests marked `keyring` use the real one.
    In CI (CI=true, a D-Bus session with gnome-keyring) a missing keyring fails those tests."""
    if request.node.get_closest_marker("keyring"):
        monkeypatch.delenv("DWS_NO_KEYRING", raising=False)
        if not keyring_available():
            if os.environ.get("CI") == "true":
                import keyring.core

                for _ in range(10):         # a busy Secret Service may be slow to answer: ask again first
                    time.sleep(1)
                    keyring.core.init_backend()     # `keyring` keeps the backend it found at its first use
                    if keyring_available():
                        return
                pytest.fail("CI must provide a Secret Service (run under dbus-run-session with gnome-keyring); "
                            f"{_keyring_diagnosis()}")
            pytest.skip("no OS keyring (Secret Service) on this machine; .ci/run provides one")
    else:
        monkeypatch.setenv("DWS_NO_KEYRING", "1")


@contextlib.contextmanager
def no_keyring() -> Iterator[None]:
    """What `_no_keyring_unless_asked` does for a test, for set-up that runs before it (a module- or
    session-scoped fixture): stores made inside are not device-bound; the environment is restored after."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        yield


def staffed(workstation: Workstation) -> Session:
    """A new store, unlocked as its admin, with a reviewer (rita) and a counsel user (cora) enrolled."""
    session, _code, _notice = workstation.init("admin", ADMIN_PW)
    session.add_user("rita", "reviewer", REVIEWER_PW)
    session.add_user("cora", "counsel", COUNSEL_PW)
    return session


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def workstation(store_dir: Path):
    from workstation.service import Workstation

    return Workstation(store_dir)


@pytest.fixture
def admin(workstation) -> Iterator:
    """A new store, unlocked as its admin, with a reviewer and a counsel user enrolled (`staffed`)."""
    session = staffed(workstation)
    yield session
    session.close()


# PKCS#11 tokens (SoftHSM2) shared by the test session. The PINs are canaries: no output, log or crash report
# may ever show one (tests/test_pkcs11*.py look for them).
CARD_PIN = "card-pin-canary-731904"
SPARE_PIN = "spare-pin-canary-58213"
TOKENS = {"card": ("dws-card", CARD_PIN, ("ec:sign", "ed:sign-checkpoint", "ed:other",
                                          "ec-always:sign-always")),
          "plain": ("dws-plain", CARD_PIN, ("ec:sign",)),
          "spare": ("dws-spare", SPARE_PIN, ("ec:sign", "ed:sign-checkpoint")),
          "both": ("dws-both", SPARE_PIN, ("ec:sign", "ed:sign-checkpoint"))}


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory):
    """SoftHSM2 with the session's tokens: 'dws-card' (a P-256 key 'sign' and an Ed25519 'sign-checkpoint'),
    'dws-plain' (a P-256 key only: checkpoints stay in software), 'dws-spare' (one test pulls it out) and 'dws-both'
    (as 'dws-card', for a user of tests/test_engine_cards.py whose checkpoint key is on the card).
    SOFTHSM2_CONF points at them for this process and the `dws` processes it starts."""
    from tokens import Token, make_tokens, softhsm_module

    module = softhsm_module()
    if module is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must install SoftHSM2 (.ci/run installs the Debian package softhsm2)")
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2; .ci/run installs it)")
    made = make_tokens(tmp_path_factory.mktemp("softhsm"), module,
                       [Token(label, pin, keys) for label, pin, keys in TOKENS.values()])
    os.environ["SOFTHSM2_CONF"] = str(made.conf)
    return made


def stop_migrations_at(mp: pytest.MonkeyPatch, version: int) -> None:
    """Within `mp`, a store is migrated only up to schema `version`: the store as that release left it (the
    tests of a later migration open their fixture this way first)."""
    from workstation.store import db

    upto = [m for m in db.migrations() if m[0] <= version]
    mp.setattr(db, "migrations", lambda: upto)
    mp.setattr(db, "SCHEMA_VERSION", version)


# A real PostgreSQL server (issue 19, the office store): tests/pgserver.py. One per test process (so one per
# xdist worker), started by the first test that asks for it, stopped when the session ends. In CI (CI=true;
# .ci/run installs Debian's `postgresql`) a server that does not start fails the tests that need it.
_PG_FAILED: list[str] = []


@pytest.fixture(scope="session")
def pg_server() -> Iterator:
    from pgserver import PgUnavailable, start

    if _PG_FAILED:
        reason = _PG_FAILED[0]
    else:
        try:
            server = start()
        except PgUnavailable as exc:
            reason = str(exc)
            _PG_FAILED.append(reason)
        else:
            yield server
            server.stop()
            return
    pg_unavailable(reason)


def pg_unavailable(reason: str) -> None:
    """No PostgreSQL server here: in CI (CI=true) the test fails, elsewhere it is skipped, with the reason."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must start a PostgreSQL server: {reason}")
    pytest.skip(f"no PostgreSQL server: {reason}")


@pytest.fixture
def pg_database(pg_server, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database on the session's server for one test (dropped after); its name."""
    import re

    name = "t_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40] + "_" + os.urandom(3).hex()
    pg_server.create_database(name)
    yield name
    pg_server.drop_database(name)


# The `engine` fixture (tests/engines.py): each test that takes it runs on a local store and on an office.
pytest_plugins = ("engines",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test-dates` replays each test file on one of its days (DWS_DATES_SHARE; tests/faketime_days.py says
    which): the others are deselected. Under libfaketime (`make test-dates` sets FAKETIME) a timed wait between
    threads (Event.wait, Condition.wait with a timeout: the office queue watch's retry, Qt's waits on it) never
    ends: the tests marked `realtime`, which no date decides, are skipped there and run in `make test`."""
    share = faketime_days.Share.from_env()
    if share is not None:
        runs = share.files(item.path.name for item in items)
        dropped = [item for item in items if item.path.name not in runs]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item.path.name in runs]
    if os.environ.get("FAKETIME"):
        skip = pytest.mark.skip(reason="a thread's timed wait never ends under libfaketime; runs in make test")
        for item in items:
            if item.get_closest_marker("realtime") is not None:
                item.add_marker(skip)

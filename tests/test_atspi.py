"""Issue 22, item 4: the application read and driven as a screen-reader user does — one end-to-end run under a
private X server (Xvfb) and D-Bus session with the AT-SPI bus, the desktop application started as a user starts
it, and tests/atspi_reader.py (the system Python with Debian's python3-pyatspi, as Orca reads) typing the keys:
unlock (a wrong passphrase first) → open a request from the queue → every tab → the signing dialog → the
letter → lock. Everything on screen has a name, the texts are there, the focus lands where the keys send it,
and what changes is announced.

CI installs what it needs (.ci/run: xvfb, at-spi2-core, python3-pyatspi, Qt's xcb libraries); there it must run.
Elsewhere it is skipped when one of them is missing."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from guihelp import DemoTemplate, demo_template_fixture  # noqa: F401

from workstation.demo_store import demo_passphrase

ROOT = Path(__file__).resolve().parents[1]
READER = ROOT / "tests" / "atspi_reader.py"
SYSTEM_PYTHON = "/usr/bin/python3"
BUS_LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")
USER, REQUEST = "rita", "DEMO-I2-WRITING"        # recommended deny: rita's signature makes it final
STARTUP_S = 30


def _missing() -> list[str]:
    missing = [tool for tool in ("Xvfb", "dbus-daemon", "evilwm") if shutil.which(tool) is None]
    if not BUS_LAUNCHER.exists():
        missing.append("at-spi2-core")
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run(
            [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('Atspi', '2.0'); import pyatspi"],
            capture_output=True, check=False).returncode != 0:
        missing.append("python3-pyatspi")
    return missing


def _read_line(stream: int, seconds: float) -> str:
    """One line a starting daemon prints on `stream` (its display number, its bus address)."""
    data = b""
    while not data.endswith(b"\n"):
        ready, _w, _x = select.select([stream], [], [], seconds)
        if not ready:
            raise TimeoutError("no answer from the daemon")
        chunk = os.read(stream, 256)
        if not chunk:
            break
        data += chunk
    return data.decode().strip()


def _kill_session(runtime: Path) -> None:
    """Every process still running in the test's session — each inherited its XDG_RUNTIME_DIR (the AT-SPI bus
    launcher leaves its own dbus-daemon behind when the session bus goes)."""
    marker = f"XDG_RUNTIME_DIR={runtime}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    os.kill(int(entry.name), signal.SIGKILL)
            except (OSError, ValueError):
                pass                            # gone already, or not ours to read


def _stop(process: subprocess.Popen[bytes], group: bool = False) -> None:
    if process.poll() is None:
        if group:
            os.killpg(process.pid, signal.SIGTERM)
        else:
            process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
            process.wait(10)


@pytest.fixture(name="desktop_session")
def desktop_session_fixture(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An X server and a D-Bus session of the test's own (the AT-SPI bus starts in it on demand): the
    environment to start programs in. Everything started in it is stopped afterwards."""
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must provide {', '.join(missing)} (.ci/run installs them)")
        pytest.skip(f"needs {', '.join(missing)}")
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    try:
        display = ":" + _read_line(read, STARTUP_S)
        # the test's own session: no Qt, D-Bus or AT-SPI settings of the suite's, no faked clock for the daemons
        # (make test-dates; the application still runs on the tests' day: DWS_TODAY)
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("QT_", "DBUS_", "AT_SPI", "FAKETIME")) and key != "LD_PRELOAD"}
        env.update(DISPLAY=display, XDG_RUNTIME_DIR=str(runtime), DWS_NO_KEYRING="1")
        # a window manager, as every desktop has: it gives the focus back to the window a dialog came from
        manager = subprocess.Popen(["evilwm", "--fn", "cursor"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"], env=env,
                               stdout=subprocess.PIPE, start_new_session=True)
        try:
            assert bus.stdout is not None
            env["DBUS_SESSION_BUS_ADDRESS"] = _read_line(bus.stdout.fileno(), STARTUP_S)
            yield env
        finally:
            _stop(bus, group=True)             # the bus and what it started: the AT-SPI bus and its registry
            if bus.stdout is not None:
                bus.stdout.close()
            _stop(manager)
            _kill_session(runtime)
    finally:
        os.close(read)
        _stop(xvfb)


def _run(env: dict[str, str], store: Path, log: Path) -> dict[str, Any]:
    """Start the application as a user does (with AT-SPI on, as when Orca runs), let the reader drive it."""
    app_env = {**env, "QT_QPA_PLATFORM": "xcb", "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1"}
    with log.open("wb") as output:
        app = subprocess.Popen([sys.executable, "-m", "ui.app", "--store", str(store)], cwd=ROOT, env=app_env,
                               stdout=output, stderr=subprocess.STDOUT)
        try:
            reader = subprocess.run([SYSTEM_PYTHON, str(READER), USER, demo_passphrase(USER), REQUEST], env=env,
                                    capture_output=True, text=True, timeout=600, check=False)
        finally:
            _stop(app)
    assert reader.returncode == 0, reader.stderr[-3000:]
    found: dict[str, Any] = json.loads(reader.stdout)
    found["app_output"] = log.read_text(errors="replace")
    return found


def _unnamed(window: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in window["objects"] if o["focusable"] and not o["name"].strip()]


def _step(found: dict[str, Any], start: str) -> dict[str, Any]:
    return next(s for s in found["steps"] if s["step"].startswith(start))


def test_a_screen_reader_user_unlocks_decides_issues_the_letter_and_locks(
        desktop_session: dict[str, str], demo_template: DemoTemplate, tmp_path: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(demo_template.path, store)
    found = _run(desktop_session, store, tmp_path / "app.log")
    assert found["error"] is None, (found["error"], found["steps"][-3:], found["app_output"][-2000:])

    unlock = found["unlock"]                         # the unlock dialog, read whole
    assert unlock["role"] == "dialog" and unlock["title"] == "Disclosure Workstation — Unlock"
    assert any(o["role"] == "label" and "Federal Tax Information" in o["name"] for o in unlock["objects"])
    assert {"text", "password text"} <= {o["role"] for o in unlock["objects"]}
    assert _unnamed(unlock) == []
    wrong = _step(found, "a wrong passphrase")
    assert any(h.startswith("Unlock status: ") for h in wrong["heard"])
    assert wrong["focus"]["name"] == "Passphrase" and wrong["focus"]["description"]

    main = found["main"]                             # the main window: the status bar and the queue are text
    assert main["role"] == "frame" and main["title"] == f"Disclosure Workstation — {USER} (reviewer)"
    names = [o["name"] for o in main["objects"]]
    assert f"User: {USER} (reviewer)" in names
    assert any(n.startswith("Locks in ") for n in names) and any(n.startswith("Log: ") for n in names)
    assert any(n.startswith("Requests shown: ") for n in names)
    assert _unnamed(main) == []
    assert found["queue_headers"][:4] == ["Request", "Agency", "Authority", "Received"]    # read with each cell

    opened = _step(found, "Enter: the request opens")
    assert opened["focus"]["name"] == f"Request: {REQUEST}"
    assert any(h.startswith(f"Request {REQUEST} open. Recommendation: deny") for h in opened["heard"])
    tabs = [s for s in found["steps"] if s["step"].startswith("Ctrl+PageDown")]
    assert [next(h for h in s["heard"] if h.endswith(" tab")) for s in tabs] == \
        ["Checks tab", "Subjects tab", "Redaction preview tab", "Decision tab", "Letter tab"]
    assert all(s["focus"]["name"] and s["focus"]["focusable"] for s in tabs)

    signing = found["signing"]                       # what the signature covers, read before the passphrase
    assert signing["role"] == "dialog" and signing["title"] == "Sign the decision"
    assert any(o["name"] == f"Request: {REQUEST}" for o in signing["objects"])
    assert any(o["name"].startswith("Decision hash (SHA-256): ") for o in signing["objects"])
    passphrase = _step(found, "Ctrl+Shift+D")["focus"]
    assert passphrase["name"] == "Passphrase" and "signs the decision" in passphrase["description"]
    assert _unnamed(signing) == []
    assert any(h.startswith("Decision: Decision ") for h in _step(found, "Enter: signed")["heard"])

    assert f"Your request {REQUEST}" in found["letter_text"] or REQUEST in found["letter_text"]
    assert "Dear" in found["letter_text"]

    locked = found["locked"]                         # a window with its title, not a "filler"
    assert locked["role"] == "frame" and locked["title"] == "Disclosure Workstation — Locked"
    assert _step(found, "Ctrl+L")["focus"]["name"] == "Passphrase"
    assert _unnamed(locked) == []

"""Read and drive the running Disclosure Workstation over the AT-SPI bus, as Orca does, with keys alone.

    /usr/bin/python3 tests/atspi_reader.py USER PASSPHRASE REQUEST

Run by tests/test_atspi.py with the system Python (Debian's python3-pyatspi; it imports nothing of the project)
inside the test's own X server and D-Bus session. It types on the keyboard through AT-SPI's key synthesis (XTest),
reads each window's accessible tree (role, name, description, text), notes what has the focus after each key
(what Orca speaks) and every announcement the application makes, and prints one JSON document of it all:

    unlock, main, signing, locked        each window read whole: {"title", "role", "objects": [...]}
    steps                                each step: {"step", "focus": {...}, "heard": [...]}
    letter_text                          the Letter tab's text view, as its text interface gives it
    queue_headers                        the queue table's column headers (its table interface)
    error                                why it stopped early (a step that timed out), or null
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import gi

gi.require_version("Atspi", "2.0")
import pyatspi  # noqa: E402
from gi.repository import Atspi, GLib  # noqa: E402

APP = "Disclosure Workstation"
WAIT = 60.0
SHIFT, CONTROL = 1, 4                  # X11 modifier masks
TAB, RETURN, SPACE, DOWN, PAGE_DOWN = 0xFF09, 0xFF0D, 0x20, 0xFF54, 0xFF56
heard: list[str] = []


class Stop(Exception):
    pass


def on_event(event: Any) -> None:
    if event.type.startswith("object:announcement"):
        heard.append(str(event.any_data))


def pump(seconds: float = 0.05) -> None:
    end = time.monotonic() + seconds
    context = GLib.MainContext.default()
    while True:
        while context.iteration(False):
            pass
        if time.monotonic() >= end:
            return
        time.sleep(0.02)


def wait_for(what: str, probe: Any, seconds: float = WAIT) -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            found = probe()
        except Exception:              # an object that went away while it was read: read again
            found = None
        if found:
            return found
        pump(0.1)
    raise Stop(f"timed out waiting for {what}")


def key(keysym: int, modifiers: int = 0) -> None:
    if modifiers:
        Atspi.generate_keyboard_event(modifiers, None, Atspi.KeySynthType.LOCKMODIFIERS)
    Atspi.generate_keyboard_event(keysym, None, Atspi.KeySynthType.SYM)
    if modifiers:
        Atspi.generate_keyboard_event(modifiers, None, Atspi.KeySynthType.UNLOCKMODIFIERS)
    pump(0.3)


def type_text(text: str) -> None:
    Atspi.generate_keyboard_event(0, text, Atspi.KeySynthType.STRING)
    pump(0.3)


def states(acc: Any) -> set[str]:
    return {pyatspi.stateToString(s) for s in acc.getState().getStates()}


def describe(acc: Any) -> dict[str, Any]:
    has = states(acc)
    found = {"role": acc.getRoleName(), "name": acc.name or "", "description": acc.description or "",
             "focusable": "focusable" in has, "enabled": "enabled" in has}
    if found["role"] in ("text", "password text", "paragraph"):
        try:
            text = acc.queryText()
            found["text"] = "" if found["role"] == "password text" else text.getText(0, min(text.characterCount,
                                                                                             4000))
        except NotImplementedError:
            pass
    return found


def objects(acc: Any, out: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Every object on screen under `acc` (branches not showing are skipped, as Orca skips them)."""
    out = [] if out is None else out
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is None or "showing" not in states(child):
            continue
        out.append(describe(child))
        objects(child, out)
    return out


def headers(table: Any) -> list[str]:
    """A table's column headers, as Orca reads them with a cell (the table interface)."""
    try:
        grid = table.queryTable()
    except NotImplementedError:
        return []
    return [(grid.getColumnHeader(c).name if grid.getColumnHeader(c) is not None else "")
            for c in range(grid.nColumns)]


def application() -> Any:
    desktop = pyatspi.Registry.getDesktop(0)
    return wait_for("the application on the AT-SPI bus",
                    lambda: next((a for a in desktop if a is not None and a.name == APP), None))


def window(app: Any, title_part: str) -> Any:
    return wait_for(f"a window titled '…{title_part}…'",
                    lambda: next((w for w in app if w is not None and title_part in (w.name or "")
                                  and "showing" in states(w)), None))


def read_window(acc: Any) -> dict[str, Any]:
    return {"title": acc.name, "role": acc.getRoleName(), "objects": objects(acc)}


def focused(acc: Any) -> Any:
    if "focused" in states(acc):
        return acc
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None and "showing" in states(child):
            found = focused(child)
            if found is not None:
                return found
    return None


def focus_in(app: Any) -> Any:
    for win in app:
        if win is not None and "active" in states(win):
            return focused(win)
    return None


class Session:
    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        self.windows: dict[str, Any] = {}
        self.letter_text = ""
        self.queue_headers: list[str] = []
        self.app: Any = None

    def note(self, step: str, focus_test: Any = None) -> dict[str, Any]:
        """What Orca says after a step: the object that has the focus (once `focus_test` holds for it), and the
        announcements made since the step before."""
        def probe() -> Any:
            acc = focus_in(self.app)
            return acc if acc is not None and (focus_test is None or focus_test(describe(acc))) else None

        acc = wait_for(f"the focus after '{step}'", probe)
        pump(0.3)
        entry = {"step": step, "focus": describe(acc), "heard": heard[:]}
        heard.clear()
        self.steps.append(entry)
        return entry

    def run(self, user: str, passphrase: str, request: str) -> None:
        self.app = app = application()
        unlock = window(app, "Unlock")
        self.windows["unlock"] = read_window(unlock)
        self.note("the unlock dialog opens", lambda f: f["role"] == "check box")
        key(SPACE)
        self.note("Space: the notice accepted", lambda f: f["name"] == "User name")
        type_text(user)
        key(TAB)
        type_text("not-" + passphrase)
        key(RETURN)
        wait_for("the wrong passphrase announced", lambda: any("Unlock status" in h for h in heard))
        self.note("a wrong passphrase", lambda f: f["role"] == "password text" and f["description"])
        type_text(passphrase)
        key(RETURN)
        main = window(app, f"{APP} — {user}")
        wait_for("the queue", lambda: any(o["name"].startswith("Requests shown: ") and " of " in o["name"]
                                          for o in objects(main)))
        self.windows["main"] = read_window(main)
        key(ord("f"), CONTROL)
        self.note("Ctrl+F: the queue's search", lambda f: f["name"] == "Search the queue")
        type_text(request)
        key(ord("0"), CONTROL)
        self.note("Ctrl+0: the queue", lambda f: f["name"] == "Review queue")
        self.queue_headers = headers(focus_in(app))
        key(DOWN)
        key(RETURN)
        self.note("Enter: the request opens", lambda f: f["name"].startswith("Request: "))
        for _ in range(5):
            before = describe(focus_in(app))
            key(PAGE_DOWN, CONTROL)
            self.note("Ctrl+PageDown: the next tab", lambda f, b=before: f != b)
        key(ord("d"), CONTROL | SHIFT)
        signing = window(app, "Sign the decision")
        self.windows["signing"] = read_window(signing)
        self.note("Ctrl+Shift+D: the signing dialog", lambda f: f["role"] == "password text")
        type_text(passphrase)
        key(RETURN)
        wait_for("the decision signed", lambda: any(h.startswith("Decision: Decision ") for h in heard))
        self.note("Enter: signed")
        wait_for("Issue letter enabled", lambda: any(o["name"] == "Issue letter" and o["enabled"]
                                                     for o in objects(main)))
        key(ord("i"), CONTROL | SHIFT)
        self.note("Ctrl+Shift+I: the letter's passphrase", lambda f: f["role"] == "password text")
        type_text(passphrase)
        key(RETURN)
        text = wait_for("the letter's text", lambda: next(
            (o for o in objects(main) if o["name"] == "Letter text" and o.get("text")), None))
        self.letter_text = text["text"]
        self.note("Enter: the letter issued")
        key(ord("l"), CONTROL)
        locked = window(app, "Locked")
        self.windows["locked"] = read_window(locked)
        self.note("Ctrl+L: locked", lambda f: f["role"] == "password text")


def main() -> int:
    user, passphrase, request = sys.argv[1:4]
    listener = Atspi.EventListener.new(on_event)
    listener.register("object:announcement")
    session = Session()
    error = None
    try:
        session.run(user, passphrase, request)
    except Stop as exc:
        seen = [f"{w.getRoleName()} {w.name!r} {sorted(states(w) & {'active', 'showing'})}"
                for w in (session.app or []) if w is not None]
        error = f"{exc} (windows: {'; '.join(seen)}; heard since the last step: {heard})"
    json.dump({**session.windows, "steps": session.steps, "letter_text": session.letter_text,
               "queue_headers": session.queue_headers, "error": error},
              sys.stdout, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

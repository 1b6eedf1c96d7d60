"""The system libraries Qt's platform plugin needs, found before the desktop application starts.

Standard library only: it runs before Qt is loaded, which is what it checks (it lives in ``ui`` because the
core never names the Qt bindings).

PySide6's wheels ship Qt, but not the X11 libraries its xcb platform plugin links to (libxcb-icccm4,
libxcb-keysyms1, libxcb-cursor0, libxkbcommon-x11-0, ...). A desktop Debian often lacks some of them, and Qt
then aborts with "Could not load the Qt platform plugin". `make run` runs ``python -m ui.qt_runtime
--install`` first: it reads ``ldd`` of the plugin Qt will load (xcb with an X display, wayland with only a
Wayland one, or $QT_QPA_PLATFORM's), maps each missing library to its Debian (apt) and Fedora (dnf) package and
installs them where it may (as root, or with ``sudo -n``); else it stops with one message naming the exact
``sudo apt-get install ...`` and ``sudo dnf install ...`` lines. `dws gui` runs the same check without
installing. With no display there is nothing to check (`dws gui` says so).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# soname -> Debian package(s) (the first the system knows is taken: some were renamed in Debian 13 / Ubuntu 24.04)
DEBIAN: dict[str, tuple[str, ...]] = {
    "libxcb-icccm.so.4": ("libxcb-icccm4",), "libxcb-keysyms.so.1": ("libxcb-keysyms1",),
    "libxcb-cursor.so.0": ("libxcb-cursor0",), "libxcb-image.so.0": ("libxcb-image0",),
    "libxcb-render-util.so.0": ("libxcb-render-util0",), "libxcb-util.so.1": ("libxcb-util1",),
    "libxcb-randr.so.0": ("libxcb-randr0",), "libxcb-shape.so.0": ("libxcb-shape0",),
    "libxcb-shm.so.0": ("libxcb-shm0",), "libxcb-sync.so.1": ("libxcb-sync1",),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0",), "libxcb-xkb.so.1": ("libxcb-xkb1",),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0",), "libxcb-xinput.so.0": ("libxcb-xinput0",),
    "libxcb-render.so.0": ("libxcb-render0",), "libxcb-glx.so.0": ("libxcb-glx0",), "libxcb.so.1": ("libxcb1",),
    "libX11-xcb.so.1": ("libx11-xcb1",), "libX11.so.6": ("libx11-6",),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0",), "libxkbcommon.so.0": ("libxkbcommon0",),
    "libSM.so.6": ("libsm6",), "libICE.so.6": ("libice6",),
    "libEGL.so.1": ("libegl1",), "libGL.so.1": ("libgl1",), "libOpenGL.so.0": ("libopengl0",),
    "libfontconfig.so.1": ("libfontconfig1",), "libfreetype.so.6": ("libfreetype6",),
    "libdbus-1.so.3": ("libdbus-1-3",),
    "libglib-2.0.so.0": ("libglib2.0-0t64", "libglib2.0-0"),
    "libgthread-2.0.so.0": ("libglib2.0-0t64", "libglib2.0-0"),
    "libwayland-client.so.0": ("libwayland-client0",), "libwayland-cursor.so.0": ("libwayland-cursor0",),
    "libwayland-egl.so.1": ("libwayland-egl1",),
}
_XCB_CORE = ("randr", "shape", "shm", "sync", "xfixes", "xkb", "xinerama", "xinput", "render", "glx")
# soname -> Fedora package; a soname not listed is asked for by what it provides: 'libfoo.so.1()(64bit)'
FEDORA: dict[str, str] = {
    "libxcb-icccm.so.4": "xcb-util-wm", "libxcb-keysyms.so.1": "xcb-util-keysyms",
    "libxcb-cursor.so.0": "xcb-util-cursor", "libxcb-image.so.0": "xcb-util-image",
    "libxcb-render-util.so.0": "xcb-util-renderutil", "libxcb-util.so.1": "xcb-util", "libxcb.so.1": "libxcb",
    **{soname: "libxcb" for soname in DEBIAN if soname.startswith(tuple(f"libxcb-{x}.so" for x in _XCB_CORE))},
    "libX11-xcb.so.1": "libX11-xcb", "libX11.so.6": "libX11", "libxkbcommon-x11.so.0": "libxkbcommon-x11",
    "libxkbcommon.so.0": "libxkbcommon", "libSM.so.6": "libSM", "libICE.so.6": "libICE",
    "libEGL.so.1": "libglvnd-egl", "libGL.so.1": "libglvnd-glx", "libOpenGL.so.0": "libglvnd-opengl",
    "libfontconfig.so.1": "fontconfig", "libfreetype.so.6": "freetype", "libdbus-1.so.3": "dbus-libs",
    "libglib-2.0.so.0": "glib2", "libgthread-2.0.so.0": "glib2", "libwayland-client.so.0": "libwayland-client",
    "libwayland-cursor.so.0": "libwayland-cursor", "libwayland-egl.so.1": "libwayland-egl",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found\s*$")

Known = Callable[[str], bool]       # does the system's package manager know this Debian package name?


@dataclass(frozen=True)
class Missing:
    """The libraries the platform plugin `plugin` (xcb, wayland, ...) lacks on this machine."""

    plugin: str
    sonames: tuple[str, ...]

    def apt_packages(self, known: Known | None = None) -> list[str]:
        out: list[str] = []
        for soname in self.sonames:
            names = DEBIAN.get(soname)
            if names is None:
                continue
            name = next((n for n in names if known is None or known(n)), names[-1])
            if name not in out:
                out.append(name)
        return out

    def unmapped(self) -> list[str]:
        return [s for s in self.sonames if s not in DEBIAN]

    def dnf_packages(self) -> list[str]:
        out: list[str] = []
        for soname in self.sonames:
            name = FEDORA.get(soname) or f"'{soname}()(64bit)'"
            if name not in out:
                out.append(name)
        return out

    def apt_command(self, known: Known | None = None) -> str:
        return "sudo apt-get install " + " ".join(self.apt_packages(known))

    def dnf_command(self) -> str:
        return "sudo dnf install " + " ".join(self.dnf_packages())

    def message(self, known: Known | None = None) -> str:
        """The one message shown when the libraries cannot be installed here."""
        what = ", ".join(self.sonames)
        lines = [f"the desktop application cannot start: Qt's {self.plugin} platform plugin needs system "
                 f"libraries this machine lacks ({what}). Install them, then start it again ('make run'):"]
        if self.apt_packages(known):
            lines.append(f"    {self.apt_command(known)}        (Debian, Ubuntu)")
        lines.append(f"    {self.dnf_command()}        (Fedora)")
        if self.unmapped():
            lines.append(f"  and on Debian the packages that provide {', '.join(self.unmapped())} "
                         "('apt-file search NAME' finds them)")
        return "\n".join(lines)


def missing_from_ldd(text: str) -> list[str]:
    """The sonames ``ldd`` reports as "not found", each once, in its order."""
    found: list[str] = []
    for line in text.splitlines():
        match = _NOT_FOUND.match(line)
        if match and match.group(1) not in found:
            found.append(match.group(1))
    return found


def plugin_name(env: Mapping[str, str]) -> str | None:
    """The platform plugin Qt will load: $QT_QPA_PLATFORM's first, else xcb with an X display, else wayland with
    only a Wayland display; None with no display at all."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if env.get("DISPLAY"):
        return "xcb"
    if env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return None


def plugin_file(name: str) -> Path | None:
    """PySide6's own platform plugin `name`, found without importing PySide6 (or Qt)."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "Qt" / "plugins" / "platforms" / f"libq{name}.so"
        if candidate.is_file():
            return candidate
    return None


def ldd(path: Path) -> str:
    proc = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=60, check=False)
    return proc.stdout


def check(env: Mapping[str, str] | None = None, read_ldd: Callable[[Path], str] = ldd) -> Missing | None:
    """What the plugin Qt will load lacks here; None when nothing is missing, or nothing can be checked (no
    display, not Linux, no ldd, PySide6 not where a wheel puts it)."""
    env = os.environ if env is None else env
    name = plugin_name(env)
    if name is None or not sys.platform.startswith("linux") or shutil.which("ldd") is None:
        return None
    plugin = plugin_file(name)
    if plugin is None:
        return None
    missing = missing_from_ldd(read_ldd(plugin))
    return Missing(name, tuple(missing)) if missing else None


def apt_knows(name: str) -> bool:
    if shutil.which("apt-cache") is None:
        return True
    proc = subprocess.run(["apt-cache", "policy", name], capture_output=True, text=True, timeout=60, check=False)
    return "Candidate:" in proc.stdout and "Candidate: (none)" not in proc.stdout


Runner = Callable[[Sequence[str]], int]


def _run(argv: Sequence[str]) -> int:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(list(argv), env=env, stdin=subprocess.DEVNULL, check=False).returncode


def install_commands(missing: Missing, *, root: bool, sudo: bool, apt: bool, dnf: bool,
                     known: Known | None = None) -> list[list[str]]:
    """The commands that install what is missing, run in order (the later ones only if an earlier fails: the
    package lists refreshed, then the install again); [] when this user may not install system packages."""
    prefix = [] if root else (["sudo", "-n"] if sudo else None)
    if prefix is None:
        return []
    if apt and missing.apt_packages(known):
        install = [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends",
                   *missing.apt_packages(known)]
        return [install, [*prefix, "apt-get", "update", "-q"], install]
    if dnf:
        return [[*prefix, "dnf", "install", "-y", *(p.strip("'") for p in missing.dnf_packages())]]
    return []


def install(missing: Missing, run: Runner = _run, known: Known | None = None) -> bool:
    """Install what is missing with the system's package manager, where this user may; True if it ran."""
    root = hasattr(os, "geteuid") and os.geteuid() == 0
    sudo = not root and shutil.which("sudo") is not None and run(["sudo", "-n", "true"]) == 0
    commands = install_commands(missing, root=root, sudo=sudo, apt=shutil.which("apt-get") is not None,
                                dnf=shutil.which("dnf") is not None, known=known)
    if not commands:
        return False
    print(f"Installing the system libraries Qt's {missing.plugin} platform plugin needs: {' '.join(commands[0])}",
          file=sys.stderr)
    first, *retry = commands
    if run(first) == 0:
        return True
    return bool(retry) and all(run(cmd) == 0 for cmd in retry)


def known_packages() -> Known | None:
    """How to tell which Debian package names this system knows (None: not an apt system)."""
    return apt_knows if shutil.which("apt-cache") else None


def problem() -> str | None:
    """The one message for `dws gui` when the platform plugin lacks libraries here; None when it does not."""
    missing = check()
    return None if missing is None else missing.message(known_packages())


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ui.qt_runtime [--install]``: exit 0 when the platform plugin has what it needs (or
    there is no display to check), else install it (--install) or print the one message and exit 1."""
    args = list(sys.argv[1:] if argv is None else argv)
    missing = check()
    if missing is None:
        return 0
    known = known_packages()
    if "--install" in args and install(missing, known=known) and check() is None:
        return 0
    print(f"dws: {(check() or missing).message(known)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

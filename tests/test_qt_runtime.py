"""Issue 18.1: before the desktop application starts, the system libraries Qt's platform plugin lacks are found
(ldd of PySide6's plugin), named by their Debian and Fedora packages, and installed where this user may; else
one message gives the exact install lines. Nothing is installed by these tests (the runner is a fake)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ui import qt_runtime
from ui.qt_runtime import Missing, check, install, install_commands

ROOT = Path(__file__).resolve().parent.parent
# ldd of libqxcb.so on a desktop Debian 12 without four of the xcb libraries (abridged)
FAKE_LDD = """\
\tlinux-vdso.so.1 (0x00007ffd4b7f2000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x00007f0c1a000000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb-randr.so.0 => /lib/x86_64-linux-gnu/libxcb-randr.so.0 (0x00007f0c19f00000)
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0c19c00000)
"""


def test_the_missing_libraries_become_the_exact_apt_and_dnf_lines() -> None:
    missing = check({"DISPLAY": ":0"}, read_ldd=lambda plugin: FAKE_LDD)
    assert missing is not None and missing.plugin == "xcb"
    assert missing.sonames == ("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0",
                               "libxkbcommon-x11.so.0")
    assert missing.apt_command() == "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 " \
                                    "libxkbcommon-x11-0"
    assert missing.dnf_command() == "sudo dnf install xcb-util-wm xcb-util-keysyms xcb-util-cursor libxkbcommon-x11"
    text = missing.message()
    assert text.count("\n") == 2 and "dws" not in text        # one message: the problem, then the two lines
    assert "    sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0" in text
    assert "    sudo dnf install xcb-util-wm xcb-util-keysyms xcb-util-cursor libxkbcommon-x11" in text


def test_every_xcb_library_of_the_plugin_has_its_packages() -> None:
    for soname in ("libxcb-image.so.0", "libxcb-render-util.so.0", "libxcb-randr.so.0", "libxcb-shape.so.0",
                   "libxcb-xinerama.so.0", "libxcb-xkb.so.1", "libxcb-util.so.1", "libxcb-shm.so.0",
                   "libxcb-sync.so.1", "libxcb-xfixes.so.0", "libxcb-render.so.0", "libX11-xcb.so.1"):
        missing = Missing("xcb", (soname,))
        assert missing.apt_packages() and missing.unmapped() == []
        assert not missing.dnf_packages()[0].startswith("'"), soname


def test_a_renamed_debian_package_is_the_one_the_system_knows_and_an_unknown_library_is_named() -> None:
    missing = Missing("xcb", ("libglib-2.0.so.0", "libfrobnicate.so.3"))
    assert missing.apt_packages(known=lambda name: name == "libglib2.0-0") == ["libglib2.0-0"]
    assert missing.apt_packages(known=lambda name: True) == ["libglib2.0-0t64"]
    assert missing.dnf_command() == "sudo dnf install glib2 'libfrobnicate.so.3()(64bit)'"
    assert "packages that provide libfrobnicate.so.3 ('apt-file search NAME'" in missing.message()


def test_the_plugin_checked_is_the_one_qt_will_load() -> None:
    assert qt_runtime.plugin_name({}) is None                              # no display: nothing to check
    assert qt_runtime.plugin_name({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}) == "xcb"
    assert qt_runtime.plugin_name({"WAYLAND_DISPLAY": "wayland-0"}) == "wayland"
    assert qt_runtime.plugin_name({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert qt_runtime.plugin_name({"QT_QPA_PLATFORM": "vnc:size=800x600"}) == "vnc"
    assert check({}, read_ldd=lambda plugin: FAKE_LDD) is None


def test_installing_uses_the_package_manager_as_root_or_with_sudo_and_never_otherwise() -> None:
    missing = Missing("xcb", ("libxcb-icccm.so.4", "libxcb-keysyms.so.1"))
    apt = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "libxcb-icccm4", "libxcb-keysyms1"]
    assert install_commands(missing, root=True, sudo=False, apt=True, dnf=False) == [
        apt, ["apt-get", "update", "-q"], apt]
    assert install_commands(missing, root=False, sudo=True, apt=True, dnf=False)[0] == ["sudo", "-n", *apt]
    assert install_commands(missing, root=False, sudo=True, apt=False, dnf=True) == [
        ["sudo", "-n", "dnf", "install", "-y", "xcb-util-wm", "xcb-util-keysyms"]]
    assert install_commands(missing, root=False, sudo=False, apt=True, dnf=True) == []


def test_install_runs_the_commands_it_may_through_the_runner() -> None:
    ran: list[list[str]] = []

    def fake(argv) -> int:
        ran.append(list(argv))
        return 0

    done = install(Missing("xcb", ("libxcb-icccm.so.4",)), run=fake)
    installs = [cmd for cmd in ran if "install" in cmd]
    if installs:                       # root, or sudo -n (the fake says yes): one install, nothing else
        assert done and len(installs) == 1 and installs[0][-1] in ("libxcb-icccm4", "xcb-util-wm")
    else:                              # neither apt-get nor dnf here
        assert not done


def _ldd_not_found(plugin: Path) -> set[str]:
    out = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"^\s*(\S+) => not found", out, re.M))


def test_the_real_check_on_this_machine_agrees_with_ldd() -> None:
    plugin = qt_runtime.plugin_file("xcb")
    assert plugin is not None and plugin.name == "libqxcb.so"
    missing = check({"DISPLAY": ":0"})
    assert set(missing.sonames if missing else ()) == _ldd_not_found(plugin)
    if missing:                        # this machine lacks some: each has its Debian and Fedora package
        assert missing.unmapped() == [] and len(missing.apt_packages()) == len(missing.sonames)


def _dws(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_with_no_display_there_is_nothing_to_check_and_dws_gui_says_so_in_one_line() -> None:
    proc = _dws("-m", "ui.qt_runtime", "--install", env={})
    assert proc.returncode == 0 and proc.stdout == proc.stderr == ""
    proc = _dws("-m", "workstation.cli.main", "gui", env={})
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "no display" in proc.stderr


def test_dws_gui_on_this_machine_gives_the_one_message_instead_of_qts_abort(tmp_path: Path) -> None:
    plugin = qt_runtime.plugin_file("xcb")
    assert plugin is not None
    lacking = _ldd_not_found(plugin)
    if not lacking:
        pytest.skip("this machine has every library Qt's xcb plugin needs")
    proc = _dws("-m", "workstation.cli.main", "--store", str(tmp_path / "s"), "gui", env={"DISPLAY": ":99"})
    assert proc.returncode == 1
    assert "qt.qpa" not in proc.stderr and "Aborted" not in proc.stderr
    first, *lines = proc.stderr.splitlines()
    assert first.startswith("dws: the desktop application cannot start: Qt's xcb platform plugin needs system "
                            "libraries this machine lacks (")
    assert all(soname in first for soname in lacking)
    assert lines[0].startswith("    sudo apt-get install ") and lines[1].startswith("    sudo dnf install ")
    proc = _dws("-m", "ui.qt_runtime", env={"DISPLAY": ":99"})    # make run's step, without --install
    assert proc.returncode == 1 and proc.stderr.splitlines()[0] == first


def test_make_run_checks_the_platform_plugin_before_anything_else() -> None:
    recipe = (ROOT / "Makefile").read_text().split("\nrun: $(STAMP)\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert recipe[0].strip() == "@$(BIN)/python -m ui.qt_runtime --install"
    assert recipe[-1].strip().endswith("workstation.cli.main gui")

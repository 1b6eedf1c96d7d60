"""A `dws` process imports what its command runs, not every command's services (cli/main.py, "Start-up"): the
parser is built from the commands' argument definitions alone. `dws --help` and `dws --version` load no
cryptography, no database driver, no PDF or Qt library; a command on a local store does not load the office's
PostgreSQL driver, the letters' PDF libraries or the smart-card library. Each is a real process, its imports as
`python -X importtime` lists them (bench/cli_startup.py measures what that saves)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import ADMIN_PW

if TYPE_CHECKING:
    from workstation.service import Session

ROOT = Path(__file__).resolve().parents[1]
# what only some commands need: Qt (dws gui), the office's driver, the letters' PDF and font libraries, the
# smart-card library
HEAVY = ("PySide6", "shiboken6", "psycopg", "psycopg_binary", "reportlab", "pyhanko", "fontTools", "pkcs11")
# what every command that opens a store needs, and no command that opens none
STORE = ("sqlcipher3", "cryptography", "keyring", "workstation.service.session", "workstation.store.db")


def dws_imports(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """`dws ARGS` in a process of its own, and every module it imported (top-level packages and full names)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "workstation.cli.main", *args],
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})))
    names = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines()
             if line.startswith("import time:") and "[us]" not in line}        # not the header line
    return proc, names | {name.split(".", 1)[0] for name in names}


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_and_version_load_no_service(option: str) -> None:
    proc, names = dws_imports(option)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: dws" if option == "--help" else "dws ")
    assert "workstation.cli.commands_office_enrol" in names     # every command's parser is built all the same
    assert sorted(names & {*HEAVY, *STORE}) == []


def test_a_bad_option_is_told_without_loading_a_service() -> None:
    proc, names = dws_imports("list", "--status", "nonsense")
    assert proc.returncode == 2 and "invalid choice: 'nonsense'" in proc.stderr
    assert sorted(names & {*HEAVY, *STORE}) == []


@pytest.mark.parametrize("command", [["list"], ["settings", "list"], ["verify"], ["user", "list"]])
def test_a_command_on_a_local_store_loads_only_the_local_store(admin: Session, store_dir: Path,
                                                                command: list[str]) -> None:
    """`settings` and `user list` run on either engine: asking which one `--store` names loads no office code."""
    admin.close()
    proc, names = dws_imports(*command, env={"DWS_STORE": str(store_dir), "DWS_USER": "admin",
                                             "DWS_PASSPHRASE": ADMIN_PW})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert {"sqlcipher3", "workstation.service.session"} <= names      # it did open the store
    assert sorted(names & set(HEAVY)) == []


def test_the_application_on_a_local_store_opens_without_the_office(admin: Session, store_dir: Path) -> None:
    """The desktop application (ui/app.main, offscreen, quitting by itself with its unlock dialog shown) on a local
    store loads none of the office's modules: only a --store that names an office profile loads them."""
    admin.close()
    code = ("import sys, ui.app\n"
            f"code = ui.app.main(['--store', {str(store_dir)!r}, '--quit-after', '0.3'])\n"
            "print(code, sorted(m for m in sys.modules if m.split('.')[0] in ('psycopg', 'psycopg_binary')\n"
            "                   or m.startswith(('workstation.service.office_', 'ui.office_'))))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=120, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT),
                                                          QT_QPA_PLATFORM="offscreen"))
    assert proc.stdout.splitlines()[-1:] == ["0 ['workstation.service.office_profile']"], proc.stderr[-2000:]

"""Drive `dws` in-process (fast) or as a real subprocess (exit codes, signals)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str


class Cli:
    def __init__(self, store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.store = store
        self._capsys = capsys
        self._mp = monkeypatch

    def __call__(self, *args: str, user: str | None = None, passphrase: str | None = None,
                 env: dict[str, str] | None = None) -> Result:
        from workstation.cli.main import main

        with self._mp.context() as mp:
            mp.setenv("DWS_STORE", str(self.store))
            if user:
                mp.setenv("DWS_USER", user)
            if passphrase:
                mp.setenv("DWS_PASSPHRASE", passphrase)
            for k, v in (env or {}).items():
                mp.setenv(k, v)
            self._capsys.readouterr()
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse usage errors
                code = int(exc.code or 0)
            cap = self._capsys.readouterr()
        return Result(code, cap.out, cap.err)


def run_dws(store: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> Result:
    full_env = dict(os.environ, DWS_STORE=str(store), **(env or {}))
    proc = subprocess.run([sys.executable, "-m", "workstation.cli.main", *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)
    return Result(proc.returncode, proc.stdout, proc.stderr)

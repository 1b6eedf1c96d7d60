"""Fixtures for the smart-card tests: a small demo store made once per test session, copied for each test."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from clihelp import Cli

from workstation.demo_store import create_demo_store


@pytest.fixture(scope="session", name="demo_template")
def card_demo_template_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "store"
    os.environ["DWS_NO_KEYRING"] = "1"
    create_demo_store(path, taxpayers=1000, bulk_subjects=150, seed=3)
    return path


@pytest.fixture(name="cli")
def card_cli_fixture(demo_template: Path, tmp_path: Path, capsys, monkeypatch, softhsm) -> Cli:  # type: ignore[no-untyped-def]
    store = tmp_path / "store"
    shutil.copytree(demo_template, store)
    return Cli(store, capsys, monkeypatch)

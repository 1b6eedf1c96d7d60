"""The tests keep office working copies out of the user's cache folder (tests/conftest.py): each test's go to a
temporary folder of its own, and so do those of the `dws` processes it starts."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from conftest import _HOME
from platformdirs import user_cache_path

from workstation.service.office_evaluation import SCRATCH_ENV, scratch_target

SEEN: list[Path] = []


def _check() -> Path:
    target = scratch_target()
    assert not target.is_relative_to(user_cache_path())
    assert not target.is_relative_to(Path.home() / ".cache")
    assert target.is_relative_to(Path(tempfile.gettempdir()).resolve()) or target.is_relative_to(tempfile.gettempdir())
    assert Path(os.environ[SCRATCH_ENV]).is_dir()
    SEEN.append(target)
    return target


def test_working_copies_go_to_a_temporary_folder() -> None:
    _check()


def test_each_test_has_its_own() -> None:
    target = _check()
    assert SEEN.count(target) == 1                  # not the other test's (whichever ran first)
    assert target.parent != Path(_HOME) / "scratch"     # not the process's default: this test's own folder

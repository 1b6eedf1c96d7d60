"""Where the store lives: --store, else DWS_STORE, else the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path

APP = "disclosure-workstation"


def default_store() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False) / "store"


def resolve_store(arg: str | None) -> Path:
    if arg:
        return Path(arg).expanduser()
    env = os.environ.get("DWS_STORE")
    if env:
        return Path(env).expanduser()
    return default_store()


def default_office_demo() -> Path:
    """Where `make office-demo` keeps its office (`dws office demo DIR`): beside the default store."""
    return default_store().parent / "office-demo"

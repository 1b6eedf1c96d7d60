"""Versioned letter texts shipped in resources/letters; the version used is recorded in each decision."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources


@cache
def manifest() -> dict:
    return json.loads(resources.files("resources").joinpath("letters", "manifest.json").read_text("utf-8"))


def template_version() -> str:
    return str(manifest()["version"])


def letter_kind(outcome: str, authority: str) -> str:
    """Which letter a decision produces."""
    if authority == "foia":
        return "foia-response"
    return "transmittal" if outcome in ("grant", "partial") else "declination"

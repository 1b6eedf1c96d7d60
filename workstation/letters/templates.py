"""Versioned letter texts shipped in resources/letters; the version used is recorded in each decision."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def manifest() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(resources.files("resources").joinpath("letters", "manifest.json")
                                     .read_text("utf-8"))
    return doc


def template_version() -> str:
    return str(manifest()["version"])


def letter_kind(outcome: str, authority: str) -> str:
    """Which letter a decision produces."""
    if authority == "foia":
        return "foia-response"
    return "transmittal" if outcome in ("grant", "partial") else "declination"


def texts(kind: str, version: str) -> dict[str, Any]:
    """The texts of one letter kind (the shared ones under "common"), as shipped in `version`. A decision
    signed with letter texts this program no longer ships cannot get its letter here (say so clearly)."""
    if version != template_version():
        from ..errors import InputError

        raise InputError(f"the decision was signed with letter texts version {version}, but this program ships "
                         f"version {template_version()}; issue the letter with the program that has those texts, "
                         "or decide the request again")
    files = manifest()["letters"]
    out = dict(_load(files[kind]))
    out["common"] = _load(files["common"])
    return out


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("resources").joinpath("letters", name).read_text("utf-8"))
    if str(data.get("version")) != template_version():
        raise ValueError(f"resources/letters/{name}: version {data.get('version')} is not the manifest's "
                         f"{template_version()}")
    return data

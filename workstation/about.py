"""What Help › About says: the version and build, and every component the program ships with its licence
(read from the installed distributions' metadata, so the list is what is really installed)."""

from __future__ import annotations

import platform
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

DISTRIBUTION = "disclosure-workstation"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")
# Distributions whose metadata states no licence: what their own licence files say.
KNOWN = {"sqlcipher3": "Zlib (the module); BSD-3-Clause (SQLCipher, built in)"}
LGPL_NOTICE = (
    "Qt, Qt for Python (PySide) and shiboken6 are used under the GNU Lesser General Public License version 3, and "
    "python-stdnum under the LGPL version 2.1 or later. They are shipped as separate shared libraries and "
    "Python files that you may replace with versions of your own; their licence texts are in the program's "
    "resources/licenses folder (LGPL-3.0.txt, GPL-3.0.txt, LGPL-2.1.txt). The source code of these components "
    "is available from their projects (qt.io, the Qt for Python project, "
    "github.com/arthurdejong/python-stdnum) and, on request, from the office that distributed this program, "
    "for at least three years.")


@dataclass(frozen=True, slots=True)
class Component:
    name: str
    version: str
    licence: str


def build() -> str:
    """The bundle's BUILD-INFO.txt first line when frozen, else that this runs from a source checkout."""
    if getattr(sys, "frozen", False):
        info = Path(sys.executable).resolve().parent / "BUILD-INFO.txt"
        try:
            return info.read_text("utf-8").splitlines()[0]
        except (OSError, IndexError):
            return "frozen bundle (BUILD-INFO.txt missing)"
    return f"source checkout, Python {platform.python_version()}"


def _field(meta: metadata.PackageMetadata, name: str) -> str:
    """A metadata field's first value, "" when absent."""
    values = meta.get_all(name) or []
    return str(values[0]) if values else ""


def _licence(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    if meta["Name"].lower() in KNOWN:
        return KNOWN[meta["Name"].lower()]
    expression = _field(meta, "License-Expression")
    if expression:
        return expression
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    if classifiers:
        return "; ".join(dict.fromkeys(classifiers))
    text = _field(meta, "License").strip()
    return text.splitlines()[0][:80] if text else "see the package"


def components() -> list[Component]:
    """Every distribution the program needs at run time (its requirements, transitively, without extras). A
    requirement whose environment marker excludes this machine is not installed, so it is not listed."""
    seen: dict[str, Component] = {}
    todo = [DISTRIBUTION]
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = Component(dist.metadata["Name"], dist.version, _licence(dist))
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            found = _NAME.match(requirement.strip())
            if found:
                todo.append(found.group(0))
    seen.pop(DISTRIBUTION, None)
    return sorted(seen.values(), key=lambda c: c.name.lower())


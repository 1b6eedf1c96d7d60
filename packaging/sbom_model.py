"""The SBOM's component and the licences' spelling, for packaging/sbom.py and packaging/sbom_native.py: one
shipped part (a wheel, a library inside a wheel, a Debian package, the build's CPython) as CycloneDX 1.6 writes
it, an SPDX expression in SPDX's own spelling, and the standard licence texts Debian carries."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from license_expression import Licensing

# SPDX id -> Debian's copy of the standard text (base-files), for parts that ship no licence file.
COMMON = {"LGPL-3.0-only": "LGPL-3", "LGPL-3.0-or-later": "LGPL-3", "GPL-2.0-only": "GPL-2",
          "GPL-2.0-or-later": "GPL-2", "GPL-3.0-only": "GPL-3", "GPL-3.0-or-later": "GPL-3",
          "LGPL-2.1-only": "LGPL-2.1", "LGPL-2.1-or-later": "LGPL-2.1", "Apache-2.0": "Apache-2.0",
          "MPL-2.0": "MPL-2.0"}


def is_lgpl(licence: str) -> bool:
    return "LGPL" in licence


@dataclass
class Component:
    """One shipped part: a wheel, a native library inside a wheel, a Debian package, or the CPython the bundle
    was frozen from. A wheel's native libraries are its `children` (CycloneDX nests them inside it)."""

    ref: str                                    # bom-ref: the package URL, or the wheel's URL and a path in it
    name: str
    version: str                                # "" where the shipped file does not tell (a property says why)
    licence: str                                # SPDX expression (LicenseRef-... where SPDX has no id)
    origin: str                                 # one line: where it comes from
    texts: list[tuple[str, str]] = field(default_factory=list)   # (where the text was read, text)
    hashes: list[str] = field(default_factory=list)              # sha256 of the shipped file
    files: list[tuple[str, str]] = field(default_factory=list)   # (path in the folder, sha256)
    properties: list[tuple[str, str]] = field(default_factory=list)
    kind: str = "library"
    purl: str = ""                              # when it differs from ref (a library inside a wheel)
    description: str = ""
    children: list[Component] = field(default_factory=list)

    def to_cyclonedx(self) -> dict[str, object]:
        out: dict[str, object] = {"type": self.kind, "bom-ref": self.ref, "name": self.name}
        if self.version:
            out["version"] = self.version
        if self.description:
            out["description"] = self.description
        if self.hashes:
            out["hashes"] = [{"alg": "SHA-256", "content": h} for h in self.hashes]
        out |= {"licenses": [licence_entry(self.licence)], "purl": self.purl or self.ref}
        props = [("dws:origin", self.origin), *self.properties,
                 *(("dws:file", f"{path} sha256:{digest}") for path, digest in sorted(self.files))]
        out["properties"] = [{"name": n, "value": v} for n, v in props]
        if self.children:
            out["components"] = [c.to_cyclonedx() for c in sorted(self.children, key=lambda c: c.ref)]
        return out

    def walk(self) -> list[Component]:
        """This component and every one nested inside it."""
        return [self, *(d for c in sorted(self.children, key=lambda c: c.ref) for d in c.walk())]


def licence_entry(expression: str) -> dict[str, object]:
    """One CycloneDX licence choice: an SPDX id alone as `license.id`, anything else as an expression."""
    if re.fullmatch(r"[A-Za-z0-9.+-]+", expression) and not expression.startswith("LicenseRef-"):
        return {"license": {"id": expression}}
    return {"expression": expression}


@functools.cache
def _licensing() -> Licensing:
    from license_expression import get_spdx_licensing

    return get_spdx_licensing()


@functools.cache
def spdx(expression: str) -> str | None:
    """EXPRESSION in SPDX's own spelling ("bsd-3-clause" -> "BSD-3-Clause"), or None when SPDX does not know
    every licence in it (license-expression, cyclonedx-python-lib's own dependency, holds the SPDX list)."""
    licensing = _licensing()
    try:
        info = licensing.validate(expression, strict=True)
        if info.errors or info.invalid_symbols:
            return None
        return str(licensing.parse(expression, strict=True))
    except Exception:
        return None


def standard_texts(expression: str, common: Path) -> list[tuple[str, str]]:
    texts = []
    for ident in sorted(set(re.findall(r"[A-Za-z0-9.+-]+", expression)) - {"OR", "AND", "WITH"}):
        if ident in COMMON and (common / COMMON[ident]).is_file():
            source = common / COMMON[ident]
            texts.append((f"{ident}: the standard text ({source}; the package ships none)",
                          source.read_text("utf-8", "replace")))
    return texts

"""``make sbom``: a CycloneDX 1.6 SBOM and the licence texts of what the wheelhouse and the bundle ship.

For each folder (``dist/wheelhouse``, ``dist/disclosure-workstation``) it writes, inside it:

    sbom.cdx.json          CycloneDX 1.6 (JSON): one component per shipped part, with its version, licence
                           (SPDX), package URL, origin and hashes; the application is the BOM's subject
    THIRD-PARTY-NOTICES    every component's licence text, under a header naming the component's bom-ref

What the components are, found from the files themselves:

- **Python packages**: each wheel in the wheelhouse (sha256 of the wheel, checked against the lock's hashes;
  licence from its metadata, texts from its ``.dist-info`` licence files, or the standard text from
  ``/usr/share/common-licenses`` where the wheel carries none, as PySide6's and shiboken6's do not). In the bundle,
  a wheel counts when one of its files (RECORD) is in the folder or one of its modules is in the frozen archive
  (read from the executable with PyInstaller's own reader).
- **Native libraries inside wheels** (packaging/sbom_native.py): auditwheel's grafted ``<package>.libs/``
  files, other projects' shared libraries in a package tree (ICU and FFmpeg beside Qt) and the libraries
  linked into an extension module (OpenSSL in cryptography, SQLCipher in sqlcipher3, ...): each a component
  nested inside its wheel's (and in ``dependencies``), with its version, the sha256 of its file and its
  licence texts.
- **Native libraries** in the bundle that no wheel brought: each ELF file is traced to its source path on the
  build machine (PyInstaller's COLLECT table of contents, or the same file name in the library folders), then
  to the Debian package owning it (the dpkg database, as ``dpkg -S`` reads it: ``info/*.list`` and ``status``),
  whose ``/usr/share/doc/PACKAGE/copyright`` is its licence text; or to the Python the bundle was frozen from
  (CPython, its ``LICENSE.txt``). A native file with no known origin stops the build: nothing ships
  unaccounted for.

Reproducible: the BOM's timestamp is SOURCE_DATE_EPOCH and its serial number a UUID derived from its content,
so two builds of one commit write the same bytes. Validated against CycloneDX's own 1.6 JSON schema (the copy
inside cyclonedx-python-lib, no network) before it is written.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import release
from release import sha256_file  # one file digest for the signed sums, the SBOM and the wheelhouse
from sbom_model import Component, is_lgpl, licence_entry, spdx, standard_texts
from sbom_native import native_components
from sbom_sources import (
    Dpkg,
    Python,
    Wheel,
    collect_sources,
    frozen_modules,
    is_elf,
    norm,
    os_release_id,
    read_lock_hashes,
    read_wheel,
)

__all__ = ["Component", "Dpkg", "Python", "frozen_modules", "is_elf", "is_lgpl", "licence_entry", "norm",
           "os_release_id", "read_wheel", "sha256_file", "spdx"]

ROOT = Path(__file__).resolve().parents[1]
SBOM_NAME = "sbom.cdx.json"
NOTICES_NAME = "THIRD-PARTY-NOTICES"
RULE = "=" * 100
SUBRULE = "-" * 100
NO_VERSION = "(version not recorded)"
SAME_TEXT = "(the same text as printed in full under"

# Wheels whose metadata gives no SPDX licence: read from their licence files (December 2026).
LICENCE_OVERRIDES = {
    "reportlab": "BSD-3-Clause",          # "BSD license (see license.txt for details)": 3 clauses
    "sqlcipher3": "Zlib",                 # pysqlite's licence text (Gerhard Häring), no metadata field
    "python-stdnum": "LGPL-2.1-or-later",  # "LGPL" and the classifier "LGPLv2+"; COPYING is the LGPL 2.1
}
CLASSIFIERS = {
    "MIT License": "MIT", "Apache Software License": "Apache-2.0", "Python Software Foundation License": "PSF-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0", "ISC License (ISCL)": "ISC",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.1-or-later",
}
# Where the source of an LGPL Python part is when PyPI has no sdist of it (PySide6 and shiboken6 are wheels
# only): the LGPL's written offer names the exact upstream tag.
SOURCE_ELSEWHERE = {
    "pyside6-essentials": "https://code.qt.io/cgit/pyside/pyside-setup.git/tag/?h=v{v} (PySide6) and "
                          "https://code.qt.io/cgit/qt/qt5.git/tag/?h=v{v} (the Qt {v} libraries it carries)",
    "pyside6-addons": "https://code.qt.io/cgit/pyside/pyside-setup.git/tag/?h=v{v} (PySide6) and "
                      "https://code.qt.io/cgit/qt/qt5.git/tag/?h=v{v} (the Qt {v} libraries it carries)",
    "shiboken6": "https://code.qt.io/cgit/pyside/pyside-setup.git/tag/?h=v{v} (sources/shiboken6)",
    # psycopg's C implementation, built with libpq and the libraries libpq needs (the wheel's own sboms/ names
    # them); the same C source is PyPI's sdist psycopg-c {v}.
    "psycopg-binary": "https://github.com/psycopg/psycopg/tree/{v}/psycopg_c (psycopg's C implementation, also "
                      "PyPI's source distribution psycopg-c {v}); the libraries it carries are listed in its "
                      "dist-info/sboms/",
}




# --- licences and wheels ----------------------------------------------------------------------------------------

def wheel_licence(wheel: Wheel) -> str:
    if wheel.name in LICENCE_OVERRIDES:
        return LICENCE_OVERRIDES[wheel.name]
    for candidate in (wheel.meta.get("License-Expression"), wheel.meta.get("License")):
        if candidate and "\n" not in candidate.strip() and (canonical := spdx(candidate.strip())):
            return canonical
    found = [CLASSIFIERS[c.split("::")[-1].strip()] for c in wheel.meta.get_all("Classifier") or []
             if c.startswith("License ::") and c.split("::")[-1].strip() in CLASSIFIERS]
    if found:
        return " OR ".join(sorted(set(found)))
    raise SystemExit(f"sbom: {wheel.path.name} names no SPDX licence: add it to LICENCE_OVERRIDES in "
                     "packaging/sbom.py after reading its licence file")


def wheel_component(wheel: Wheel, common: Path, lock_hashes: dict[str, set[str]] | None) -> Component:
    digest = sha256_file(wheel.path)
    if lock_hashes is not None and digest not in lock_hashes.get(wheel.name, set()):
        raise SystemExit(f"sbom: {wheel.path.name} (sha256 {digest}) is not a file requirements.lock pins")
    licence = wheel_licence(wheel)
    texts = sorted(wheel.licence_files.items()) or standard_texts(licence, common)
    if not texts:
        raise SystemExit(f"sbom: {wheel.path.name} ships no licence text and {licence} has no standard text "
                         f"in {common}")
    props = [("dws:wheel", wheel.path.name)]
    if is_lgpl(licence):
        props.append(("dws:replaceable", "yes: LGPL, shipped as separate files a user can replace"))
    ref = f"pkg:pypi/{wheel.name}@{wheel.version}"
    return Component(ref=ref, name=wheel.name, version=wheel.version, licence=licence,
                     origin=f"PyPI wheel {wheel.path.name}", texts=texts, hashes=[digest], properties=props,
                     children=native_components(wheel, ref, common))


# --- the two folders -------------------------------------------------------------------------------------------

def wheelhouse_components(wheelhouse: Path, common: Path) -> list[Component]:
    lock = read_lock_hashes(wheelhouse / "requirements.lock")
    parts = []
    for path in sorted(wheelhouse.glob("*.whl")):
        wheel = read_wheel(path)
        if wheel.name == "disclosure-workstation":
            continue
        part = wheel_component(wheel, common, lock)
        if is_lgpl(part.licence):
            part.properties.append(("dws:source", lgpl_source(wheelhouse, wheel)))
        parts.append(part)
    return parts


def lgpl_source(wheelhouse: Path, wheel: Wheel) -> str:
    sdists = sorted((wheelhouse / "source").glob(f"{wheel.name.replace('-', '?')}-{wheel.version}.*"), key=str) \
        + sorted((wheelhouse / "source").glob(f"{wheel.meta['Name'].replace('-', '_')}-{wheel.version}.*"), key=str)
    if sdists:
        return f"source/{sdists[0].name} in the wheelhouse (sha256 {sha256_file(sdists[0])})"
    if wheel.name in SOURCE_ELSEWHERE:
        return "PyPI has no source distribution of it; its source: " + SOURCE_ELSEWHERE[wheel.name].format(
            v=wheel.version)
    raise SystemExit(f"sbom: {wheel.name} {wheel.version} is LGPL and the wheelhouse carries no source of it "
                     f"(source/): run make wheelhouse")


def bundle_components(bundle: Path, wheelhouse: Path, dpkg: Dpkg, python: Python, common: Path,
                      toc: Path | None = None) -> list[Component]:
    internal = bundle / "_internal"
    sources = collect_sources(toc)
    modules = frozen_modules(bundle / "dws")
    wheels = [read_wheel(p) for p in sorted(wheelhouse.glob("*.whl"))]
    by_path: dict[str, Wheel] = {path: w for w in wheels for path in w.record}
    lock = read_lock_hashes(wheelhouse / "requirements.lock")
    shipped: dict[str, Component] = {}
    unknown: list[str] = []
    debian: dict[str, Component] = {}
    cpython: Component | None = None
    compiled: Component | None = None
    distro = os_release_id()

    for wheel in wheels:
        if wheel.name != "disclosure-workstation" and wheel.modules & modules:
            shipped[wheel.name] = wheel_component(wheel, common, lock)
    for path in sorted(p for p in internal.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(internal).as_posix()
        wheel = by_path.get(rel)
        if wheel is not None:
            if wheel.name == "disclosure-workstation":
                if is_elf(path):                        # its evaluation compiled by mypyc, with mypyc's runtime
                    compiled = compiled or mypyc_component(wheel)
                    compiled.files.append((rel, sha256_file(path)))
                continue
            if wheel.name not in shipped:
                shipped[wheel.name] = wheel_component(wheel, common, lock)
            if is_elf(path):
                part = shipped[wheel.name]
                child = next((c for c in part.children if c.ref == f"{part.ref}#{rel}"), part)
                child.files.append((rel, sha256_file(path)))
            continue
        if not is_elf(path):
            continue
        source = sources.get(rel)
        if python.owns(source, path.name) and (source is not None or dpkg.owner_by_name(path.name) is None):
            cpython = cpython or cpython_component(python)
            cpython.files.append((rel, sha256_file(path)))
            continue
        found = dpkg.owner([source, os.path.realpath(source)]) if source else dpkg.owner_by_name(path.name)
        if found is None:
            unknown.append(f"{rel} (from {source or 'an unknown place'})")
            continue
        package, listed = found
        if package not in debian:
            debian[package] = debian_component(dpkg, package, distro)
        debian[package].files.append((rel, sha256_file(path)))
        debian[package].properties.append(("dws:copied-from", f"{listed} -> {rel}"))
    if unknown:
        raise SystemExit("sbom: native files in the bundle with no known origin (no wheel, no Debian package, not "
                         "the build's Python): " + ", ".join(unknown))
    if modules and cpython is None:
        cpython = cpython_component(python)            # the standard library is in the frozen archive in any case
    for part in shipped.values():                       # its native libraries that the bundle carries
        part.children = [c for c in part.children if c.files or any(
            n == "dws:linked-into" and (internal / v.split(" sha256:")[0]).is_file() for n, v in c.properties)]
        if is_lgpl(part.licence):                       # the LGPL's source offer holds for the bundle too
            wheel = next(w for w in wheels if w.name == part.name)
            part.properties.append(("dws:source", lgpl_source(wheelhouse, wheel).replace(
                "in the wheelhouse", "in the wheelhouse built with this bundle")))
    parts = list(shipped.values()) + list(debian.values()) + [c for c in (cpython, compiled) if c is not None]
    return sorted(parts, key=lambda c: c.ref)


def mypyc_component(wheel: Wheel) -> Component:
    """The application's modules compiled by mypyc (setup.py, DWS_MYPYC=1): mypyc's C runtime (lib-rt, from the
    mypy of this build venv, packaging/build.lock) is compiled into them, under mypy's licence."""
    from importlib import metadata

    mypy = metadata.distribution("mypy")
    texts = [(f"mypy {mypy.version} {f}", (Path(str(mypy.locate_file(f)))).read_text("utf-8"))
             for f in mypy.files or () if f.name == "LICENSE" and f.parent.name == "licenses"]
    if not texts:
        raise SystemExit("sbom: the bundle holds modules compiled by mypyc, and this venv's mypy ships no LICENSE")
    return Component(ref=f"pkg:pypi/mypy@{mypy.version}#mypyc/lib-rt", name="mypyc runtime (lib-rt)",
                     version=mypy.version, licence="MIT AND PSF-2.0",
                     origin=f"compiled by mypyc {mypy.version} into the application's evaluation modules "
                            f"({wheel.path.name})", texts=texts,
                     properties=[("dws:compiled-by", f"mypyc {mypy.version} (setup.py, DWS_MYPYC=1)")])


def cpython_component(python: Python) -> Component:
    licence_file = python.stdlib / "LICENSE.txt"
    if not licence_file.is_file():
        raise SystemExit(f"sbom: the bundle carries CPython {python.version}, but {licence_file} is missing")
    return Component(ref=f"pkg:generic/cpython@{python.version}", name="cpython", version=python.version,
                     licence="PSF-2.0", origin=f"the Python the bundle was frozen from ({python.prefix})",
                     texts=[(str(licence_file), licence_file.read_text("utf-8", "replace"))])


def debian_component(dpkg: Dpkg, package: str, distro: str) -> Component:
    fields = dpkg.status(package)
    version = fields.get("Version", "")
    if not version:
        raise SystemExit(f"sbom: the dpkg database lists files of {package} but no installed version of it")
    copyright_file = dpkg.docdir / package / "copyright"
    if not copyright_file.is_file():
        raise SystemExit(f"sbom: {package} {version} is in the bundle but {copyright_file} is missing")
    text = copyright_file.read_text("utf-8", "replace")
    arch = fields.get("Architecture", "")
    source = fields.get("Source", package).split(" ")[0]
    props = [("dws:debian-source-package", source)]
    return Component(ref=f"pkg:deb/{distro}/{package}@{version}" + (f"?arch={arch}" if arch else ""),
                     name=package, version=version, licence=debian_licence(text),
                     origin=f"Debian package {package} {version} ({arch or 'all'}), source package {source}",
                     texts=[(str(copyright_file), text)], properties=props)


def debian_licence(copyright_text: str) -> str:
    """The licences a machine-readable debian/copyright names (DEP-5 `License:` fields), as an SPDX AND of those
    SPDX knows; LicenseRef-debian-copyright when it names none SPDX knows (the text is in the notices either way)."""
    names = {re.split(r"\s", m.strip())[0] for m in re.findall(r"^License: *(\S.*)$", copyright_text, re.M)}
    known = sorted({canonical for n in names if n and (canonical := spdx(n))})
    if not known:
        return "LicenseRef-debian-copyright"
    return known[0] if len(known) == 1 else " AND ".join(known)


# --- the documents ---------------------------------------------------------------------------------------------

def project_version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]


def sbom_document(parts: list[Component], subject: str, version: str, epoch: int) -> dict[str, object]:
    components = [c.to_cyclonedx() for c in sorted(parts, key=lambda c: c.ref)]
    app_ref = f"pkg:generic/disclosure-workstation@{version}"
    body = {
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {
            "timestamp": dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": {"components": [{"type": "application", "name": "packaging/sbom.py",
                                      "description": "Disclosure Workstation: make sbom"}]},
            "component": {"type": "application", "bom-ref": app_ref, "name": "disclosure-workstation",
                          "version": version, "description": subject,
                          "licenses": [{"expression": "LicenseRef-Proprietary"}]},
        },
        "components": components,
        "dependencies": [{"ref": app_ref, "dependsOn": [c.ref for c in sorted(parts, key=lambda c: c.ref)]}]
        + [{"ref": c.ref, "dependsOn": [d.ref for d in sorted(c.children, key=lambda d: d.ref)]}
           for c in sorted(parts, key=lambda c: c.ref) if c.children],
    }
    serial = uuid.uuid5(uuid.NAMESPACE_URL, "dws-sbom:" + json.dumps(body, sort_keys=True))
    return {"$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json", "bomFormat": "CycloneDX",
            "specVersion": "1.6", "serialNumber": serial.urn, **body}


def validate(document: dict[str, object]) -> None:
    """CycloneDX's JSON schema for 1.6 (strict: no field it does not define), as cyclonedx-python-lib ships it."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    if error is not None:
        raise SystemExit(f"sbom: the SBOM does not validate against CycloneDX 1.6: {error}")


def notices_text(parts: list[Component], subject: str, version: str) -> str:
    out = [f"THIRD-PARTY NOTICES: Disclosure Workstation {version}, {subject}", "",
           f"Every component listed in {SBOM_NAME} (the same bom-ref in brackets), with its licence and the",
           "complete licence texts it comes with. Components under the LGPL stay replaceable: they are shipped as",
           "separate files (shared libraries beside the executable, Python files outside the frozen archive) that",
           "a user may replace with a modified version; where the source is not in the wheelhouse, the notice",
           "names where it is. On request the office gives a copy of that source for three years.", ""]
    printed: dict[str, str] = {}                        # a text -> the bom-ref under which it is printed in full
    for part in (c for top in sorted(parts, key=lambda c: c.ref) for c in top.walk()):
        out += [RULE, f"{part.name} {part.version or NO_VERSION}  [{part.ref}]", f"Licence: {part.licence}",
                f"Origin: {part.origin}" + (f"; {part.description}" if part.description else "")]
        out += [f"{name.removeprefix('dws:').capitalize()}: {value}" for name, value in part.properties
                if name in ("dws:replaceable", "dws:source")]
        out += [f"Version: not recorded: {value}" for name, value in part.properties if name == "dws:version-unknown"]
        for label, text in part.texts:
            body = text.rstrip("\n")
            if body in printed:
                body = f"{SAME_TEXT} [{printed[body]}] above)"
            else:
                printed[body] = part.ref
            out += [SUBRULE, f"[{label}]", "", body, ""]
    return "\n".join(out) + "\n"


def write(folder: Path, parts: list[Component], subject: str, epoch: int) -> dict[str, object]:
    version = project_version()
    document = sbom_document(parts, subject, version, epoch)
    validate(document)
    (folder / SBOM_NAME).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (folder / NOTICES_NAME).write_text(notices_text(parts, subject, version), "utf-8")
    inside = sum(len(c.walk()) - 1 for c in parts)
    print(f"sbom: {folder / SBOM_NAME}: {len(parts)} components and {inside} native libraries inside them; "
          f"{folder / NOTICES_NAME}")
    return document


def source_epoch() -> int:
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    if not value.isdigit():
        raise SystemExit("sbom: SOURCE_DATE_EPOCH is not set (the Makefile sets it to the last commit's time)")
    return int(value)


def for_wheelhouse(wheelhouse: Path, common: Path = Path("/usr/share/common-licenses")) -> dict[str, object]:
    return write(wheelhouse, wheelhouse_components(wheelhouse, common), "the offline installer (wheelhouse)",
                 source_epoch())


def for_bundle(bundle: Path, wheelhouse: Path, toc: Path | None = None,
               common: Path = Path("/usr/share/common-licenses")) -> dict[str, object]:
    parts = bundle_components(bundle, wheelhouse, Dpkg(), Python.current(), common, toc)
    return write(bundle, parts, "the frozen application (bundle)", source_epoch())


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="make sbom: the SBOM and notices of the wheelhouse and bundle")
    parser.add_argument("--wheelhouse", type=Path, default=ROOT / "dist" / "wheelhouse")
    parser.add_argument("--bundle", type=Path, default=None, help="also the bundle in this folder")
    parser.add_argument("--toc", type=Path, default=ROOT / "build/packaging/pyinstaller/dws/COLLECT-00.toc")
    parser.add_argument("--seal", action="store_true", help="then write and sign SHA256SUMS again")
    args = parser.parse_args()
    if not (args.wheelhouse / "requirements.lock").is_file():
        raise SystemExit(f"sbom: no wheelhouse in {args.wheelhouse}: run make wheelhouse (or make bundle) first")
    if args.bundle is not None and not (args.bundle / "dws").is_file():
        raise SystemExit(f"sbom: no bundle in {args.bundle}: run make bundle first")
    folders = [args.wheelhouse.resolve()] + ([args.bundle.resolve()] if args.bundle is not None else [])
    for_wheelhouse(folders[0])
    if args.bundle is not None:
        for_bundle(folders[1], folders[0], args.toc)
    if args.seal:
        for folder in folders:
            release.seal(folder)

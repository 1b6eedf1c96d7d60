"""The SBOM and the licence texts (packaging/sbom.py, issue 23 item 4).

Fast, in `make test`: the builder on a small made-up wheelhouse and bundle (two wheels, a Debian package in a
dpkg database of its own, a Python prefix), checked against CycloneDX's 1.6 schema and against the notices.
With DWS_PACKAGING_TESTS=1 (`make package-test`), the same checks on the real dist/wheelhouse and
dist/disclosure-workstation, and what keeps the LGPL parts replaceable."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))
import sbom  # noqa: E402

ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 57


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_wheel(folder: Path, name: str, version: str, headers: str, files: dict[str, bytes],
               licences: dict[str, str]) -> bytes:
    info = f"{name}-{version}.dist-info"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, data in files.items():
            z.writestr(path, data)
        z.writestr(f"{info}/METADATA", f"Metadata-Version: 2.4\nName: {name}\nVersion: {version}\n{headers}\n")
        for path, text in licences.items():
            z.writestr(f"{info}/{path}", text)
        z.writestr(f"{info}/RECORD", "".join(f"{p},,\n" for p in [*files, f"{info}/METADATA"]))
    data = buf.getvalue()
    (folder / f"{name}-{version}-py3-none-any.whl").write_bytes(data)
    return data


def check_notices(document: dict, notices: str) -> None:
    """Every component of the SBOM has a section in THIRD-PARTY-NOTICES, under its bom-ref, with its licence
    and at least one licence text of some length."""
    sections = notices.split(sbom.RULE + "\n")[1:]
    by_ref = {}
    for section in sections:
        m = re.match(r"^(\S+) (\S+)  \[(\S+)\]\nLicence: (.+)\n", section)
        assert m, section[:200]
        by_ref[m.group(3)] = (m.group(4), section)
    for component in document["components"]:
        ref = component["bom-ref"]
        assert ref in by_ref, f"{ref} has no section in THIRD-PARTY-NOTICES"
        licence, section = by_ref[ref]
        listed = component["licenses"][0]
        assert licence == listed.get("expression", listed.get("license", {}).get("id")), ref
        texts = section.split(sbom.SUBRULE + "\n")[1:]
        assert texts and all(len(t.split("\n", 2)[2].strip()) > 40 for t in texts), f"{ref}: no licence text"
    assert len(by_ref) == len(document["components"])


def check_cyclonedx(document: dict) -> None:
    sbom.validate(document)                          # CycloneDX's own 1.6 JSON schema, strict
    assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == "1.6"
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", document["serialNumber"])
    assert document["metadata"]["component"]["name"] == "disclosure-workstation"
    refs = [c["bom-ref"] for c in document["components"]]
    assert len(refs) == len(set(refs))
    for c in document["components"]:
        assert c["name"] and c["version"] and c["purl"] == c["bom-ref"] and c["licenses"], c
    assert set(document["dependencies"][0]["dependsOn"]) == set(refs)


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    wheelhouse, bundle, common = tmp_path / "wheelhouse", tmp_path / "bundle", tmp_path / "common-licenses"
    for folder in (wheelhouse / "source", bundle / "_internal/alpha", bundle / "_internal/lgplpkg", common):
        folder.mkdir(parents=True)
    (common / "LGPL-3").write_text("GNU LESSER GENERAL PUBLIC LICENSE Version 3 ... (the standard text) " * 3)
    alpha = make_wheel(wheelhouse, "alpha", "1.0", "License-Expression: mit",
                       {"alpha/__init__.py": b"", "alpha/_speed.so": ELF + b"alpha"},
                       {"licenses/LICENSE": "Copyright (c) Alpha authors. Permission is hereby granted ... " * 2})
    lgpl = make_wheel(wheelhouse, "lgplpkg", "2.0", "License: LGPL-3.0-only", {"lgplpkg/__init__.py": b"x = 1\n"}, {})
    make_wheel(wheelhouse, "disclosure_workstation", "0.1.0", "License-Expression: LicenseRef-Proprietary",
               {"workstation/__init__.py": b""}, {})
    (wheelhouse / "source/lgplpkg-2.0.tar.gz").write_bytes(b"source of lgplpkg")
    (wheelhouse / "requirements.lock").write_text(
        f"alpha==1.0 \\\n    --hash=sha256:{sha(alpha)}\nlgplpkg==2.0 \\\n    --hash=sha256:{sha(lgpl)}\n")

    (bundle / "dws").write_bytes(ELF + b"not a PyInstaller executable")
    (bundle / "_internal/alpha/_speed.so").write_bytes(ELF + b"alpha")
    (bundle / "_internal/lgplpkg/__init__.py").write_bytes(b"x = 1\n")      # plain files: replaceable
    (bundle / "_internal/libfoo.so.1").write_bytes(ELF + b"foo")
    (bundle / "_internal/libpython3.11.so.1.0").write_bytes(ELF + b"python")
    (bundle / "_internal/notes.txt").write_text("not a library")

    admin, doc = tmp_path / "dpkg", tmp_path / "doc"
    (admin / "info").mkdir(parents=True)
    (admin / "info/libfoo1:amd64.list").write_text("/usr/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu/libfoo.so.1\n")
    (admin / "status").write_text("Package: libfoo1\nStatus: install ok installed\nArchitecture: amd64\n"
                                  "Source: foo (1.2-3)\nVersion: 1.2-3\n\nPackage: other\nVersion: 9\n")
    (doc / "libfoo1").mkdir(parents=True)
    (doc / "libfoo1/copyright").write_text("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
                                           "\n\nFiles: *\nCopyright: 2020 Foo\nLicense: BSD-3-Clause\n Redistribution "
                                           "and use in source and binary forms ... are permitted.\n")
    prefix = tmp_path / "python"
    (prefix / "lib/python3.11").mkdir(parents=True)
    (prefix / "lib/libpython3.11.so.1.0").write_bytes(ELF + b"python")
    (prefix / "lib/python3.11/LICENSE.txt").write_text("PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2 ... " * 3)
    return {"wheelhouse": wheelhouse, "bundle": bundle, "common": common, "admin": admin, "doc": doc,
            "prefix": prefix}


def bundle_parts(tree: dict[str, Path]) -> list[sbom.Component]:
    python = sbom.Python(tree["prefix"], "3.11.7", tree["prefix"] / "lib/python3.11")
    return sbom.bundle_components(tree["bundle"], tree["wheelhouse"], sbom.Dpkg(tree["admin"], tree["doc"]),
                                  python, tree["common"])


def test_the_wheelhouse_sbom_lists_each_wheel_with_its_hash_licence_and_source(tree: dict[str, Path]) -> None:
    parts = sbom.wheelhouse_components(tree["wheelhouse"], tree["common"])
    assert {p.ref for p in parts} == {"pkg:pypi/alpha@1.0", "pkg:pypi/lgplpkg@2.0"}   # not the application
    alpha, lgpl = sorted(parts, key=lambda p: p.ref)
    assert alpha.licence == "MIT"                                   # SPDX's own spelling of "mit"
    assert alpha.hashes == [sha((tree["wheelhouse"] / "alpha-1.0-py3-none-any.whl").read_bytes())]
    assert "Alpha authors" in alpha.texts[0][1]
    assert lgpl.licence == "LGPL-3.0-only" and "the standard text" in lgpl.texts[0][0]   # it ships no text
    assert ("dws:source", f"source/lgplpkg-2.0.tar.gz in the wheelhouse (sha256 {sha(b'source of lgplpkg')})") \
        in lgpl.properties
    document = sbom.sbom_document(parts, "wheelhouse", "0.1.0", 1796468726)
    check_cyclonedx(document)
    check_notices(document, sbom.notices_text(parts, "wheelhouse", "0.1.0"))
    assert document["metadata"]["timestamp"] == "2026-12-05T11:05:26Z"


def test_the_bundle_sbom_traces_native_files_to_debian_packages_and_python(tree: dict[str, Path]) -> None:
    parts = {p.ref: p for p in bundle_parts(tree)}
    assert set(parts) == {"pkg:pypi/alpha@1.0", "pkg:pypi/lgplpkg@2.0", "pkg:generic/cpython@3.11.7",
                          f"pkg:deb/{sbom.os_release_id()}/libfoo1@1.2-3?arch=amd64"}
    foo = parts[f"pkg:deb/{sbom.os_release_id()}/libfoo1@1.2-3?arch=amd64"]
    assert foo.licence == "BSD-3-Clause" and foo.files == [("libfoo.so.1", sha(ELF + b"foo"))]
    assert ("dws:debian-source-package", "foo") in foo.properties
    assert parts["pkg:pypi/alpha@1.0"].files == [("alpha/_speed.so", sha(ELF + b"alpha"))]
    assert ("dws:source", "source/lgplpkg-2.0.tar.gz in the wheelhouse built with this bundle (sha256 "
                          f"{sha(b'source of lgplpkg')})") in parts["pkg:pypi/lgplpkg@2.0"].properties
    assert parts["pkg:generic/cpython@3.11.7"].files == [("libpython3.11.so.1.0", sha(ELF + b"python"))]
    document = sbom.sbom_document(list(parts.values()), "bundle", "0.1.0", 1796468726)
    check_cyclonedx(document)
    check_notices(document, sbom.notices_text(list(parts.values()), "bundle", "0.1.0"))


def test_the_sbom_is_the_same_bytes_for_the_same_contents(tree: dict[str, Path], monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796468726")
    first = sbom.write(tree["bundle"], bundle_parts(tree), "bundle", 1796468726)
    data = (tree["bundle"] / sbom.SBOM_NAME).read_bytes()
    assert sbom.write(tree["bundle"], bundle_parts(tree), "bundle", 1796468726) == first
    assert (tree["bundle"] / sbom.SBOM_NAME).read_bytes() == data
    (tree["bundle"] / "_internal/libfoo.so.1").write_bytes(ELF + b"foo, changed")
    assert sbom.write(tree["bundle"], bundle_parts(tree), "bundle", 1796468726)["serialNumber"] != \
        first["serialNumber"]


def test_a_native_file_of_no_known_origin_stops_the_build(tree: dict[str, Path]) -> None:
    (tree["bundle"] / "_internal/libmystery.so.2").write_bytes(ELF + b"?")
    with pytest.raises(SystemExit, match=r"no known origin.*libmystery\.so\.2"):
        bundle_parts(tree)


def test_a_wheel_the_lock_does_not_pin_is_refused(tree: dict[str, Path]) -> None:
    wheel = tree["wheelhouse"] / "alpha-1.0-py3-none-any.whl"
    wheel.write_bytes(wheel.read_bytes() + b"\0")
    with pytest.raises(SystemExit, match=r"alpha-1\.0-py3-none-any\.whl .* is not a file requirements\.lock pins"):
        sbom.wheelhouse_components(tree["wheelhouse"], tree["common"])


def test_an_lgpl_wheel_without_its_source_is_refused(tree: dict[str, Path]) -> None:
    (tree["wheelhouse"] / "source/lgplpkg-2.0.tar.gz").unlink()
    with pytest.raises(SystemExit, match=r"lgplpkg 2\.0 is LGPL and the wheelhouse carries no source"):
        sbom.wheelhouse_components(tree["wheelhouse"], tree["common"])


def test_a_licence_that_is_not_spdx_must_be_named() -> None:
    assert sbom.spdx("Apache 2.0") is None and sbom.spdx("BSD-3-clause") == "BSD-3-Clause"
    assert sbom.debian_licence("License: GPL-2+\n\nLicense: Zlib\n") == "Zlib"
    assert sbom.debian_licence("License: Expat-like\n") == "LicenseRef-debian-copyright"


# --- the real builds (make package-test) -----------------------------------------------------------------------

DIST = ROOT / "dist"
real = pytest.mark.skipif(os.environ.get("DWS_PACKAGING_TESTS") != "1",
                          reason="checks dist/ as make package-test builds it (DWS_PACKAGING_TESTS=1)")


@real
@pytest.mark.parametrize("folder", ["wheelhouse", "disclosure-workstation"])
def test_the_shipped_sbom_validates_and_every_component_has_its_licence_text(folder: str) -> None:
    document = json.loads((DIST / folder / sbom.SBOM_NAME).read_text("utf-8"))
    check_cyclonedx(document)
    check_notices(document, (DIST / folder / sbom.NOTICES_NAME).read_text("utf-8"))
    names = {c["name"] for c in document["components"]}
    assert {"pyside6-essentials", "shiboken6", "cryptography", "sqlcipher3", "reportlab"} <= names
    if folder == "wheelhouse":
        assert "python-stdnum" in names
        assert {c["name"] for c in document["components"]} == {
            sbom.read_wheel(p).name for p in (DIST / folder).glob("*.whl")} - {"disclosure-workstation"}
    else:
        assert {"cpython", "libssl3", "libfreetype6"} <= names
    record = {f"sbom_components_{'wheelhouse' if folder == 'wheelhouse' else 'bundle'}": len(names)}
    figures = DIST / "package-test-figures.json"
    data = json.loads(figures.read_text("utf-8")) if figures.exists() else {}
    figures.write_text(json.dumps(data | record, indent=2, sort_keys=True) + "\n", "utf-8")


@real
def test_every_native_file_of_the_bundle_is_in_the_sbom() -> None:
    bundle = DIST / "disclosure-workstation"
    document = json.loads((bundle / sbom.SBOM_NAME).read_text("utf-8"))
    listed = {p["value"].split(" sha256:")[0]: p["value"].split(" sha256:")[1] for c in document["components"]
              for p in c["properties"] if p["name"] == "dws:file"}
    internal = bundle / "_internal"
    native = {p.relative_to(internal).as_posix(): p for p in internal.rglob("*")
              if p.is_file() and not p.is_symlink() and sbom.is_elf(p)}
    assert len(native) > 100
    assert set(native) == set(listed)
    assert all(sbom.sha256_file(native[name]) == digest for name, digest in listed.items())


@real
def test_the_lgpl_parts_stay_replaceable() -> None:
    bundle = DIST / "disclosure-workstation"
    internal = bundle / "_internal"
    # Qt and PySide6: shared libraries beside the executable, loaded at run time, not linked into it
    for lib in ("PySide6/Qt/lib/libQt6Core.so.6", "PySide6/Qt/lib/libQt6Widgets.so.6", "libpyside6.abi3.so.6.11",
                "libshiboken6.abi3.so.6.11", "PySide6/QtCore.abi3.so"):
        assert (internal / lib).is_file(), lib
    assert b"libQt6Core.so.6" not in (bundle / "dws").read_bytes()
    # python-stdnum: never inside the frozen archive; as plain .py files if the bundle holds it at all
    read = ("import json, sys; from pathlib import Path; sys.path.insert(0, 'packaging'); import sbom; "
            f"print(json.dumps(sorted(sbom.frozen_modules(Path({str(bundle / 'dws')!r})))))")
    done = subprocess.run([str(ROOT / "build/packaging/venv/bin/python"), "-c", read], cwd=ROOT, capture_output=True,
                          text=True, check=True, timeout=120)           # PyInstaller's reader: the packaging venv
    modules = set(json.loads(done.stdout))
    assert len(modules) > 500 and not {m for m in modules if m.split(".")[0] == "stdnum"}
    if (internal / "stdnum").exists():
        assert (internal / "stdnum/__init__.py").is_file()
    # the wheelhouse: the source of the LGPL Python parts, or where it is
    wheelhouse = json.loads((DIST / "wheelhouse" / sbom.SBOM_NAME).read_text("utf-8"))
    sources = {c["name"]: p["value"] for c in wheelhouse["components"] for p in c["properties"]
               if p["name"] == "dws:source"}
    assert set(sources) == {"python-stdnum", "psycopg", "psycopg-binary", "pyside6-essentials", "pyside6-addons",
                            "shiboken6"}                        # psycopg (LGPL): issue 19's office store
    frozen = json.loads((bundle / sbom.SBOM_NAME).read_text("utf-8"))
    assert {c["name"] for c in frozen["components"] for p in c["properties"] if p["name"] == "dws:source"} == \
        {"pyside6-essentials", "pyside6-addons", "shiboken6"}                 # python-stdnum is not in the bundle
    assert sources["python-stdnum"].startswith("source/python_stdnum-")
    assert list((DIST / "wheelhouse/source").glob("python_stdnum-*.tar.gz"))
    assert sources["psycopg"].startswith("source/psycopg-")
    assert list((DIST / "wheelhouse/source").glob("psycopg-*.tar.gz"))
    assert "code.qt.io" in sources["pyside6-essentials"]

"""The SBOM and the licence texts (packaging/sbom.py, issue 23 item 4).

Fast, in `make test`: the builder on a small made-up wheelhouse and bundle (two wheels, a Debian package in a
dpkg database of its own, a Python prefix), checked against CycloneDX's 1.6 schema and against the notices.
With DWS_PACKAGING_TESTS=1 (`make package-test`), the same checks on the real dist/wheelhouse and
dist/disclosure-workstation, and what keeps the LGPL parts replaceable."""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import re
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "packaging"))
import sbom  # noqa: E402
import sbom_native  # noqa: E402

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


def every_component(document: dict) -> list[dict]:
    """The SBOM's components and those nested inside them (a wheel's native libraries)."""
    out = []
    todo = list(document["components"])
    while todo:
        c = todo.pop(0)
        out.append(c)
        todo += c.get("components", [])
    return out


def check_notices(document: dict, notices: str) -> None:
    """Every component of the SBOM, nested ones included, has a section in THIRD-PARTY-NOTICES, under its
    bom-ref, with its licence and at least one licence text of some length (or a pointer to the same text
    printed in full under another component's section, which must be there)."""
    sections = notices.split(sbom.RULE + "\n")[1:]
    by_ref = {}
    for section in sections:
        m = re.match(r"^(.+?)  \[(\S+)\]\nLicence: (.+)\n", section)
        assert m, section[:200]
        by_ref[m.group(2)] = (m.group(3), section)
    components = every_component(document)
    for component in components:
        ref = component["bom-ref"]
        assert ref in by_ref, f"{ref} has no section in THIRD-PARTY-NOTICES"
        licence, section = by_ref[ref]
        listed = component["licenses"][0]
        assert licence == listed.get("expression", listed.get("license", {}).get("id")), ref
        texts = [t.split("\n", 2)[2].strip() for t in section.split(sbom.SUBRULE + "\n")[1:]]
        assert texts and all(len(t) > 40 for t in texts), f"{ref}: no licence text"
        for text in texts:
            if text.startswith(sbom.SAME_TEXT):
                elsewhere = re.match(r".*\[(\S+)\] above\)$", text)
                assert elsewhere and elsewhere.group(1) in by_ref, f"{ref}: {text}"
                other = by_ref[elsewhere.group(1)][1].split(sbom.SUBRULE + "\n")[1:]
                full = [t.split("\n", 2)[2].strip() for t in other]
                assert any(not t.startswith(sbom.SAME_TEXT) for t in full), f"{ref}: points at no text"
    assert len(by_ref) == len(components)


def check_cyclonedx(document: dict) -> None:
    sbom.validate(document)                          # CycloneDX's own 1.6 JSON schema, strict
    assert document["bomFormat"] == "CycloneDX" and document["specVersion"] == "1.6"
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", document["serialNumber"])
    assert document["metadata"]["component"]["name"] == "disclosure-workstation"
    refs = [c["bom-ref"] for c in document["components"]]
    everything = every_component(document)
    assert len({c["bom-ref"] for c in everything}) == len(everything)
    for c in document["components"]:
        assert c["name"] and c["version"] and c["purl"] == c["bom-ref"] and c["licenses"], c
    for c in everything[len(refs):]:                  # a wheel's native libraries: a version, or why none
        props = {p["name"] for p in c["properties"]}
        assert c["name"] and c["licenses"] and c["purl"].startswith("pkg:generic/"), c
        assert ("version" in c) == ("dws:version-from" in props) != ("dws:version-unknown" in props), c
    assert set(document["dependencies"][0]["dependsOn"]) == set(refs)
    nested = {c["bom-ref"]: {k["bom-ref"] for k in c["components"]} for c in everything if c.get("components")}
    assert {d["ref"]: set(d["dependsOn"]) for d in document["dependencies"][1:]} == nested


def elf_with(code: bytes, number: int) -> bytes:
    """A minimal ELF64 shared object exporting PQlibVersion (a function: CODE) and _libiconv_version (NUMBER)."""
    names = b"\0PQlibVersion\0_libiconv_version\0"
    text, rodata, strings = 0x40, 0x50, 0x58
    symbols = strings + len(names) + (-(strings + len(names)) % 8)
    headers = symbols + 3 * 24
    out = bytearray(headers + 6 * 64)
    out[:0x40] = ELF + b"\0" * (0x40 - len(ELF))
    struct.pack_into("<Q", out, 0x28, headers)
    struct.pack_into("<HH", out, 0x3A, 64, 6)
    out[text:text + len(code)] = code
    struct.pack_into("<I", out, rodata, number)
    out[strings:strings + len(names)] = names
    struct.pack_into("<IBBHQQ", out, symbols + 24, 1, 0x12, 0, 1, 0x1040, len(code))     # in .text
    struct.pack_into("<IBBHQQ", out, symbols + 48, 14, 0x11, 0, 2, 0x2050, 4)           # in .rodata
    for i, (kind, addr, offset, size, link) in enumerate([(1, 0x1040, text, 16, 0), (1, 0x2050, rodata, 4, 0),
                                                          (11, 0, symbols, 72, 4), (3, 0, strings, len(names), 0)]):
        struct.pack_into("<IIQQQQIIQQ", out, headers + (i + 1) * 64, 0, kind, 0, addr, offset, size, link, 0, 0, 0)
    return bytes(out)


# auditwheel's grafted libraries in the made-up wheel "alpha": versions from the soname (brotli), from the
# library's own version string (libpng), and from the constant its PQlibVersion() returns (libpq: 18.6)
PNG = "alpha.libs/libpng16-0a0b0c0d.so.16.58.0"
PQ = "alpha.libs/libpq-0d0e0f0a.so.5.18"
ALPHA_LIBS = {"alpha.libs/libbrotlicommon-1a2b3c4d.so.1.2.0": ELF + b"brotli common",
              "alpha.libs/libbrotlidec-5e6f7a8b.so.1.2.0": ELF + b"brotli decoder",
              PNG: ELF + b"\0libpng version 1.6.58 - 2026\0",
              PQ: elf_with(b"\xf3\x0f\x1e\xfa\xb8" + struct.pack("<I", 180006) + b"\xc3", 0)}


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    wheelhouse, bundle, common = tmp_path / "wheelhouse", tmp_path / "bundle", tmp_path / "common-licenses"
    for folder in (wheelhouse / "source", bundle / "_internal/alpha", bundle / "_internal/lgplpkg", common):
        folder.mkdir(parents=True)
    (common / "LGPL-3").write_text("GNU LESSER GENERAL PUBLIC LICENSE Version 3 ... (the standard text) " * 3)
    alpha = make_wheel(wheelhouse, "alpha", "1.0", "License-Expression: mit",
                       {"alpha/__init__.py": b"", "alpha/_speed.so": ELF + b"alpha", **ALPHA_LIBS},
                       {"licenses/LICENSE": "Copyright (c) Alpha authors. Permission is hereby granted ... " * 2
                        + "\n----\n\nBROTLI\n\n" + "Copyright (c) the Brotli authors. Permission is granted ... " * 2
                        + "\n----\n\nLIBPNG\n\n" + "PNG Reference Library License version 2 ... permitted ... " * 2})
    lgpl = make_wheel(wheelhouse, "lgplpkg", "2.0", "License: LGPL-3.0-only", {"lgplpkg/__init__.py": b"x = 1\n"}, {})
    make_wheel(wheelhouse, "disclosure_workstation", "0.1.0", "License-Expression: LicenseRef-Proprietary",
               {"workstation/__init__.py": b""}, {})
    (wheelhouse / "source/lgplpkg-2.0.tar.gz").write_bytes(b"source of lgplpkg")
    (wheelhouse / "requirements.lock").write_text(
        f"alpha==1.0 \\\n    --hash=sha256:{sha(alpha)}\nlgplpkg==2.0 \\\n    --hash=sha256:{sha(lgpl)}\n")

    (bundle / "dws").write_bytes(ELF + b"not a PyInstaller executable")
    (bundle / "_internal/alpha/_speed.so").write_bytes(ELF + b"alpha")
    (bundle / "_internal/alpha.libs").mkdir()                           # PyInstaller copies libpng, not brotli
    (bundle / "_internal" / PNG).write_bytes(ALPHA_LIBS[PNG])
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
    [png] = parts["pkg:pypi/alpha@1.0"].children                      # the brotli files are not in the bundle
    assert (png.name, png.version, png.files) == ("libpng", "1.6.58", [(PNG, sha(ALPHA_LIBS[PNG]))])
    assert ("dws:source", "source/lgplpkg-2.0.tar.gz in the wheelhouse built with this bundle (sha256 "
                          f"{sha(b'source of lgplpkg')})") in parts["pkg:pypi/lgplpkg@2.0"].properties
    assert parts["pkg:generic/cpython@3.11.7"].files == [("libpython3.11.so.1.0", sha(ELF + b"python"))]
    document = sbom.sbom_document(list(parts.values()), "bundle", "0.1.0", 1796468726)
    check_cyclonedx(document)
    check_notices(document, sbom.notices_text(list(parts.values()), "bundle", "0.1.0"))


def add_wheel(tree: dict[str, Path], name: str, version: str, files: dict[str, bytes], licences: dict[str, str]
              ) -> None:
    data = make_wheel(tree["wheelhouse"], name, version, "License-Expression: Apache-2.0", files, licences)
    with (tree["wheelhouse"] / "requirements.lock").open("a") as lock:
        lock.write(f"{name}=={version} \\\n    --hash=sha256:{sha(data)}\n")


def test_the_native_libraries_inside_a_wheel_are_components_with_version_hash_and_licence_text(
        tree: dict[str, Path]) -> None:
    rust = "cryptography/hazmat/bindings/_rust.abi3.so"                # OpenSSL linked into it, as the real one
    module = ELF + b"\0OpenSSL 4.0.3 29 Sep 2026\0"
    add_wheel(tree, "cryptography", "50.0.2", {rust: module},
              {"licenses/LICENSE.APACHE": "Apache License, Version 2.0 ... the cryptography authors ... " * 2})
    (tree["common"] / "Apache-2.0").write_text("Apache License Version 2.0, January 2004 (the standard text) " * 3)
    parts = {p.ref: p for p in sbom.wheelhouse_components(tree["wheelhouse"], tree["common"])}
    alpha = {c.ref.split("#")[1]: c for c in parts["pkg:pypi/alpha@1.0"].children}
    assert set(alpha) == set(ALPHA_LIBS)
    for path, part in alpha.items():
        assert part.hashes == [sha(ALPHA_LIBS[path])] and part.origin.startswith("inside PyPI wheel alpha-1.0")
    png, brotli = alpha[PNG], alpha["alpha.libs/libbrotlidec-5e6f7a8b.so.1.2.0"]
    assert (png.name, png.version, png.licence, png.purl) == ("libpng", "1.6.58", "libpng-2.0",
                                                              "pkg:generic/libpng@1.6.58")
    assert (brotli.name, brotli.version, brotli.licence) == ("brotli", "1.2.0", "MIT")
    assert (alpha[PQ].name, alpha[PQ].version, alpha[PQ].purl) == ("postgresql", "18.6", "pkg:generic/postgresql@18.6")
    assert "PostgreSQL Global Development Group" in alpha[PQ].texts[0][1]     # packaging/licenses/postgresql.txt
    assert png.texts[0][0] == "LIBPNG: its section of alpha-1.0.dist-info/licenses/LICENSE in the wheel"
    assert png.texts[0][1].startswith("LIBPNG\n\nPNG Reference Library") and "Brotli" not in png.texts[0][1]
    [openssl] = parts["pkg:pypi/cryptography@50.0.2"].children
    assert (openssl.name, openssl.version, openssl.licence, openssl.hashes) == ("openssl", "4.0.3", "Apache-2.0", [])
    assert openssl.ref == f"pkg:pypi/cryptography@50.0.2#{rust}!openssl"
    assert ("dws:linked-into", f"{rust} sha256:{sha(module)}") in openssl.properties
    assert "the standard text" in openssl.texts[0][0]
    document = sbom.sbom_document(list(parts.values()), "wheelhouse", "0.1.0", 1796468726)
    check_cyclonedx(document)
    notices = sbom.notices_text(list(parts.values()), "wheelhouse", "0.1.0")
    check_notices(document, notices)
    assert notices.count("Copyright (c) the Brotli authors") == 2 + 2    # in alpha's own text, then its section once
    assert f"{sbom.SAME_TEXT} [pkg:pypi/alpha@1.0#alpha.libs/libbrotlicommon-1a2b3c4d.so.1.2.0] above)" in notices


def test_a_version_kept_as_a_number_is_read_from_the_elf_file_without_running_it() -> None:
    returns = b"\xb8" + struct.pack("<I", 150004) + b"\xc3"                 # mov eax, 150004; ret
    assert sbom_native.elf_constant(elf_with(returns, 0x0112), "PQlibVersion", code=True) == 150004
    assert sbom_native.elf_constant(elf_with(returns, 0x0112), "_libiconv_version", code=False) == 0x0112
    assert sbom_native.NUMBERS["byte-pair"](0x0112) == "1.18" and sbom_native.NUMBERS["postgres"](150004) == "15.4"
    computes = b"\x55\x48\x89\xe5\xb8" + struct.pack("<I", 1) + b"\xc3"    # push rbp first: not a constant
    assert sbom_native.elf_constant(elf_with(computes, 0), "PQlibVersion", code=True) is None
    assert sbom_native.elf_constant(elf_with(returns, 0), "PQconnectdb", code=True) is None
    assert sbom_native.elf_constant(b"not an ELF file at all", "PQlibVersion", code=True) is None


def test_a_grafted_library_of_no_known_project_stops_the_build(tree: dict[str, Path]) -> None:
    add_wheel(tree, "beta", "1.0", {"beta/.libs/libmystery-0badf00d.so.2.0": ELF}, {"LICENSE": "x" * 50})  # old layout
    with pytest.raises(SystemExit, match=r"beta-1\.0.* native libraries sbom_native\.GRAFTED does not know: "
                                         r"beta/\.libs/libmystery-0badf00d\.so\.2\.0"):
        sbom.wheelhouse_components(tree["wheelhouse"], tree["common"])


def test_a_library_whose_version_cannot_be_read_stops_the_build(tree: dict[str, Path]) -> None:
    add_wheel(tree, "cryptography", "50.0.2", {"cryptography/hazmat/bindings/_rust.abi3.so": ELF + b"no version"},
              {"LICENSE": "x" * 50})
    with pytest.raises(SystemExit, match=r"no version of openssl in cryptography/hazmat/bindings/_rust\.abi3\.so"):
        sbom.wheelhouse_components(tree["wheelhouse"], tree["common"])


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
    key = f"sbom_components_{'wheelhouse' if folder == 'wheelhouse' else 'bundle'}"
    record = {key: len(names), f"{key}_with_native_inside": len(every_component(document))}
    figures = DIST / "package-test-figures.json"
    data = json.loads(figures.read_text("utf-8")) if figures.exists() else {}
    figures.write_text(json.dumps(data | record, indent=2, sort_keys=True) + "\n", "utf-8")


@real
def test_every_native_file_of_the_bundle_is_in_the_sbom() -> None:
    bundle = DIST / "disclosure-workstation"
    document = json.loads((bundle / sbom.SBOM_NAME).read_text("utf-8"))
    listed = {p["value"].split(" sha256:")[0]: p["value"].split(" sha256:")[1] for c in every_component(document)
              for p in c["properties"] if p["name"] == "dws:file"}
    internal = bundle / "_internal"
    native = {p.relative_to(internal).as_posix(): p for p in internal.rglob("*")
              if p.is_file() and not p.is_symlink() and sbom.is_elf(p)}
    assert len(native) > 100
    assert set(native) == set(listed)
    assert all(sbom.sha256_file(native[name]) == digest for name, digest in listed.items())


@real
def test_the_wheelhouse_sbom_lists_the_openssl_inside_cryptography_and_every_grafted_library() -> None:
    wheelhouse = DIST / "wheelhouse"
    document = json.loads((wheelhouse / sbom.SBOM_NAME).read_text("utf-8"))
    by_ref = {c["bom-ref"]: c for c in every_component(document)}
    [crypto] = [c for c in document["components"] if c["name"] == "cryptography"]
    [openssl] = [c for c in crypto["components"] if c["name"] == "openssl"]
    assert re.fullmatch(r"\d+\.\d+\.\d+[a-z]?", openssl["version"])
    [wheel] = wheelhouse.glob(f"cryptography-{crypto['version']}-*.whl")
    with zipfile.ZipFile(wheel) as z:
        rust = z.read("cryptography/hazmat/bindings/_rust.abi3.so")
    assert f"OpenSSL {openssl['version']} ".encode() in rust              # the library's own version string
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    if cryptography.__version__ == crypto["version"]:                  # the lock's, as the tests install it
        assert backend.openssl_version_text().startswith(f"OpenSSL {openssl['version']} ")
    [cipher] = [c for c in document["components"] if c["name"] == "sqlcipher3"]
    inside = {c["name"]: c.get("version") for c in cipher["components"]}
    assert set(inside) == {"sqlcipher", "sqlite", "openssl"} and all(inside.values()), inside
    if importlib.metadata.version("sqlcipher3") == cipher["version"]:       # what `dws crypto report` asks
        import sqlcipher3

        db = sqlcipher3.connect(":memory:")
        assert db.execute("PRAGMA cipher_version").fetchone()[0].split()[0] == inside["sqlcipher"]
        assert db.execute("SELECT sqlite_version()").fetchone()[0] == inside["sqlite"]
        db.close()
    [binary] = [c for c in document["components"] if c["name"] == "psycopg-binary"]
    [libpq] = [c for c in binary["components"] if c["name"] == "postgresql"]
    assert re.fullmatch(r"\d+\.\d+", libpq["version"])                 # PQlibVersion(), read from the file
    if importlib.metadata.version("psycopg-binary") == binary["version"]:
        from psycopg import pq

        assert pq.__impl__ == "binary" and f"{pq.version() // 10000}.{pq.version() % 10000}" == libpq["version"]
    grafted = 0
    for path in sorted(wheelhouse.glob("*.whl")):
        ref = f"pkg:pypi/{sbom.read_wheel(path).name}@{sbom.read_wheel(path).version}"
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if re.fullmatch(r"([^/]+\.libs|.+/\.libs)/[^/]+\.so[.0-9]*", name):      # auditwheel's folders
                    grafted += 1
                    part = by_ref.get(f"{ref}#{name}")
                    assert part is not None, f"{path.name}: {name} is not in the SBOM"
                    assert part["hashes"] == [{"alg": "SHA-256", "content": sha(z.read(name))}], name
                    assert part in by_ref[ref]["components"]                  # nested in the wheel it comes in
    assert grafted >= 30                                                # pillow's 18, psycopg-binary's 14


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
    assert len(modules) > 500
    assert not {m for m in modules if m.split(".")[0] in ("stdnum", "psycopg", "psycopg_binary")}
    if (internal / "stdnum").exists():
        assert (internal / "stdnum/__init__.py").is_file()
    # psycopg (LGPL-3.0, the office store): its modules as files a user can swap, its C speedups beside them
    assert (internal / "psycopg/__init__.py").is_file() and (internal / "psycopg/connection.py").is_file()
    assert list((internal / "psycopg_binary").glob("_psycopg*.so"))
    # the wheelhouse: the source of the LGPL Python parts, or where it is
    wheelhouse = json.loads((DIST / "wheelhouse" / sbom.SBOM_NAME).read_text("utf-8"))
    sources = {c["name"]: p["value"] for c in wheelhouse["components"] for p in c["properties"]
               if p["name"] == "dws:source"}
    assert set(sources) == {"python-stdnum", "psycopg", "psycopg-binary", "pyside6-essentials", "pyside6-addons",
                            "shiboken6"}                        # psycopg (LGPL): issue 19's office store
    frozen = json.loads((bundle / sbom.SBOM_NAME).read_text("utf-8"))
    assert {c["name"] for c in frozen["components"] for p in c["properties"] if p["name"] == "dws:source"} == \
        {"pyside6-essentials", "pyside6-addons", "shiboken6", "psycopg", "psycopg-binary"}   # no python-stdnum
    assert sources["python-stdnum"].startswith("source/python_stdnum-")
    assert list((DIST / "wheelhouse/source").glob("python_stdnum-*.tar.gz"))
    # an LGPL library linked into a wheel's own extension modules (libiconv in lxml): replaceable by rebuilding
    # that wheel from its source distribution, which the wheelhouse carries
    def nested(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for c in components:
            yield c
            yield from nested(c.get("components", []))
    replaceable = {c["name"]: p["value"] for c in nested(wheelhouse["components"]) for p in c.get("properties", [])
                   if p["name"] == "dws:replaceable"}
    assert replaceable and not {n: v for n, v in replaceable.items() if v.startswith("no")}, replaceable
    assert replaceable["libiconv"].startswith("by relinking: LGPL, linked into etree.")
    assert list((DIST / "wheelhouse/source").glob("lxml-*.tar.gz"))
    assert sources["psycopg"].startswith("source/psycopg-")
    assert list((DIST / "wheelhouse/source").glob("psycopg-*.tar.gz"))
    assert "code.qt.io" in sources["pyside6-essentials"]

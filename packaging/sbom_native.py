"""The native libraries that ship inside wheels, each a component of its own (issue 23 item 4), for
packaging/sbom.py. Three kinds, all found from the wheel's own files:

- **grafted**: the shared libraries auditwheel copied into ``<package>.libs/`` under hashed names
  (``libjpeg-6dc8d115.so.62.4.0``): every one must be in GRAFTED, or the build stops;
- **vendored**: shared libraries of another project shipped inside the package tree (ICU and FFmpeg in
  PySide6's ``Qt/lib``), by file name (VENDORED);
- **static**: libraries linked into a wheel's extension module (OpenSSL in cryptography's ``_rust.abi3.so``,
  SQLCipher, SQLite and OpenSSL in sqlcipher3's, libxml2 and friends in lxml's), by wheel and path (STATIC).

Each one's version is read, in the order its Project lists, from the library's own version string in the
shipped file (``bytes:``), from the wheel's own SBOM in ``.dist-info/sboms/`` (``sbom:``), or from its
soname (``soname:``); where none of them can tell, ``unversioned`` says why (the component then has no
version and a property saying so). Its licence text comes from a section of the wheel's own licence file
(``section:``, pillow's LICENSE lists each library it carries), a file the wheel ships (``wheelfile:``), a
text carried in packaging/licenses/ (``file:``) or the standard text in /usr/share/common-licenses
(``common``)."""

from __future__ import annotations

import json
import re
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sbom_model import Component, is_lgpl, standard_texts
from sbom_sources import Wheel, sha256_bytes

LICENSES = Path(__file__).resolve().parent / "licenses"
OPENSSL_TEXT = rb"OpenSSL (\d+\.\d+\.\d+[a-z]?) \d+ [A-Z][a-z]{2} \d{4}"


# Wheels that link an LGPL library into their own extension modules (found below as "static"): their source
# distribution goes into the wheelhouse's source/ (build_wheelhouse.lgpl_sources), so that a user can rebuild
# them against another copy of that library and swap it in (LGPL-2.1 section 6a). tests/test_sbom.py checks that
# every LGPL library linked into a shipped wheel is named here.
RELINK_SOURCES = {"lxml": "libiconv"}

@dataclass(frozen=True)
class Project:
    name: str                                   # the upstream project: the component's name and purl name
    licence: str                                # SPDX expression
    texts: tuple[str, ...]                      # where its licence texts are (see the module's doc)
    versions: tuple[str, ...] = ()              # where its version is, tried in order
    unversioned: str = ""                       # why no version can be read ({n}: the soname's numbers)
    source: str = ""                            # LGPL: where its source is ({v}: its version)


P = Project
PROJECTS = {
    # pillow.libs (the texts: pillow's own LICENSE, one section per library it carries)
    "brotli": P("brotli", "MIT", ("section:BROTLI",), ("soname:{n[0]}.{n[1]}.{n[2]}",)),
    "freetype": P("freetype", "FTL AND bzip2-1.0.6", ("section:FREETYPE2", "section:BZIP2"),
                  ("sbom:FreeType",)),                                  # bzip2 is linked into it
    "harfbuzz": P("harfbuzz", "MIT", ("section:HARFBUZZ",), ("sbom:HarfBuzz",)),
    "libjpeg-turbo": P("libjpeg-turbo", "IJG AND BSD-3-Clause AND Zlib", ("section:LIBJPEG",),
                       (r"bytes:libjpeg-turbo version (\d+\.\d+\.\d+)", "sbom:libjpeg / libjpeg-turbo")),
    "lcms2": P("lcms2", "MIT", ("section:LCMS2",), ("sbom:Little CMS 2",)),
    "libavif": P("libavif", "BSD-2-Clause AND BSD-3-Clause",                 # AOM, dav1d, libyuv linked in
                 ("section:LIBAVIF", "section:AOM", "section:DAV1D", "section:LIBYUV"), ("sbom:libavif",)),
    "xz": P("xz", "0BSD", ("section:LIBLZMA",), ("soname:{n[0]}.{n[1]}.{n[2]}",)),
    "openjpeg": P("openjpeg", "BSD-2-Clause", ("section:OPENJPEG",),
                  (r"bytes:openjpeg-(\d+\.\d+\.\d+)/", "sbom:OpenJPEG")),
    "libpng": P("libpng", "libpng-2.0", ("section:LIBPNG",), (r"bytes:libpng version (\d+\.\d+\.\d+)",)),
    "libtiff": P("libtiff", "libtiff", ("section:LIBTIFF",), (r"bytes:LIBTIFF, Version (\d+\.\d+\.\d+)",)),
    "libwebp": P("libwebp", "BSD-3-Clause", ("section:LIBWEBP",), ("sbom:libwebp",)),
    "libxau": P("libxau", "MIT-open-group", ("section:XAU",), (r"bytes:libXau\.so\.[\d.]+-(\d+\.\d+\.\d+)-",)),
    "libxcb": P("libxcb", "X11", ("section:XCB",), ("sbom:libxcb",)),
    "zstd": P("zstd", "BSD-3-Clause OR GPL-2.0-only", ("section:ZSTD",), ("soname:{n[0]}.{n[1]}.{n[2]}",)),
    # psycopg_binary.libs: libpq and what it needs (the wheel's licence is psycopg's own LGPL only)
    "openssl": P("openssl", "Apache-2.0", ("common",), ("bytes:" + OPENSSL_TEXT.decode(), "sbom:openssl")),
    "postgresql": P("postgresql", "PostgreSQL", ("file:postgresql.txt",), ("code:PQlibVersion:postgres",),
                    unversioned="libpq.so.5.{n[1]}: the libpq of PostgreSQL {n[1]}; the file does not record "
                                "the minor release"),
    "krb5": P("krb5", "LicenseRef-MIT-Kerberos", ("file:krb5.txt",),
              (r"bytes:krb5-(\d+\.\d+(?:\.\d+)?)-final",)),
    "e2fsprogs": P("e2fsprogs", "LicenseRef-e2fsprogs-com_err", ("file:com_err.txt",), ("sbom:libcom_err",)),
    "keyutils": P("keyutils", "LGPL-2.1-or-later", ("file:keyutils.txt", "common"),
                  (r"bytes:keyutils-(\d+\.\d+(?:\.\d+)?)",),
                  source="https://people.redhat.com/~dhowells/keyutils/keyutils-{v}.tar.bz2"),
    "openldap": P("openldap", "OLDAP-2.8", ("file:openldap.txt",),
                  unversioned="liblber and libldap .so.2.0.{n[2]}: OpenLDAP 2.6's libtool version (2:{n[2]}), "
                              "the same for every 2.6 release; the files do not record which"),
    "cyrus-sasl": P("cyrus-sasl", "BSD-Attribution-HPND-disclaimer", ("file:cyrus-sasl.txt",),
                    (r"bytes:\x00(2\.1\.\d+)\x00", "sbom:cyrus-sasl-lib")),
    "libxcrypt": P("libxcrypt", "LGPL-2.1-or-later", ("file:libxcrypt.txt", "common"),
                   unversioned="libcrypt.so.1 (libxcrypt with glibc's symbol versions); the file does not "
                               "record its release",
                   source="https://github.com/besser82/libxcrypt (the release the manylinux2014 image built; "
                          "the file does not record which)"),
    # PySide6's Qt/lib: not Qt, shipped beside it
    "icu": P("icu", "Unicode-DFS-2016", ("file:icu.txt",), (r"bytes:\x00({major}\.\d+(?:\.\d+)?)\x00",)),
    "ffmpeg": P("ffmpeg", "LGPL-2.1-or-later", ("common",), (r"bytes:FFmpeg version (\d+\.\d+(?:\.\d+)?)",),
                source="https://ffmpeg.org/releases/ffmpeg-{v}.tar.xz (Qt's build; its configuration is "
                       "recorded in libavutil)"),
    # linked into extension modules
    "sqlcipher": P("sqlcipher", "BSD-3-Clause", ("file:sqlcipher.txt",),
                   (r"bytes:\x00community\x00(\d+\.\d+\.\d+)\x00",)),
    "sqlite": P("sqlite", "blessing", ("file:sqlite.txt",), (r"bytes:[^\w.](3\.[3-9]\d\.\d+)\x00",)),
    "libxml2": P("libxml2", "MIT", ("file:libxml2.txt",), (r"bytes:\x00(2)(1\d)(\d\d)\x00",)),
    "libxslt": P("libxslt", "X11", ("file:libxslt.txt",), (r"bytes:\x00(1)(0\d)(\d\d)\x00",)),
    "zlib": P("zlib", "Zlib", ("file:zlib.txt",), (r"bytes: inflate (\d+\.\d+(?:\.\d+)?) Copyright",)),
    "libiconv": P("libiconv", "LGPL-2.1-or-later", ("common",), ("data:_libiconv_version:byte-pair",),
                  unversioned="linked into lxml's extension modules; libiconv's version is a number in its "
                              "code, not a string",
                  source="https://ftp.gnu.org/pub/gnu/libiconv/ (the release lxml's build script names)"),
    "libffi": P("libffi", "MIT", ("file:libffi.txt",),
                unversioned="linked into cffi's _cffi_backend; libffi records no version string"),
    "llhttp": P("llhttp", "MIT", ("wheelfile:licenses/vendor/llhttp/LICENSE",),
                unversioned="compiled into aiohttp's _http_parser from aiohttp's vendored copy; it records no "
                            "version string"),
}

# How a version number a library keeps as an integer is written (code: and data: probes).
NUMBERS: dict[str, Callable[[int], str]] = {
    "postgres": lambda v: f"{v // 10000}.{v % 10000}",           # PQlibVersion(): 180006 is 18.6
    "byte-pair": lambda v: f"{v >> 8}.{v & 0xFF}",                # _libiconv_version: 0x0112 is 1.18
}

# auditwheel's grafted libraries: the soname's stem (lib<stem>-<hash>.so.<n>) -> project; "<stem>.<n0>" first.
GRAFTED = {
    "Xau": "libxau", "avif": "libavif", "brotlicommon": "brotli", "brotlidec": "brotli", "brotlienc": "brotli",
    "freetype": "freetype", "harfbuzz": "harfbuzz", "jpeg": "libjpeg-turbo", "lcms2": "lcms2", "lzma": "xz",
    "openjp2": "openjpeg", "png16": "libpng", "sharpyuv": "libwebp", "tiff": "libtiff", "webp": "libwebp",
    "webpdemux": "libwebp", "webpmux": "libwebp", "xcb": "libxcb", "zstd": "zstd",
    "crypto": "openssl", "ssl": "openssl", "pq": "postgresql", "gssapi_krb5": "krb5", "k5crypto": "krb5",
    "krb5": "krb5", "krb5support": "krb5", "com_err.3": "krb5", "com_err.2": "e2fsprogs", "keyutils": "keyutils",
    "lber": "openldap", "ldap": "openldap", "sasl2": "cyrus-sasl", "crypt": "libxcrypt",
}
GRAFTED_FOLDER = re.compile(r"[^/]+\.libs|.+/\.libs")            # pillow.libs/; older auditwheel: PIL/.libs/
GRAFTED_NAME = re.compile(r"^lib(?P<stem>.+?)-[0-9a-f]{8}\.so(?:\.(?P<n>\d+(?:\.\d+)*))?$")
# Another project's shared libraries inside a package tree, by file name.
VENDORED = {
    re.compile(r"^libicu(?:data|uc|i18n)\.so\.(?P<n>\d+(?:\.\d+)*)$"): "icu",
    re.compile(r"^lib(?:avcodec|avformat|avutil|swresample|swscale)\.so(?:\.(?P<n>\d+(?:\.\d+)*))?$"): "ffmpeg",
}
# Libraries linked into an extension module: wheel -> [(path in the wheel, projects)].
STATIC: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "cryptography": [(r"cryptography/hazmat/bindings/_rust\.abi3\.so", ("openssl",))],
    "sqlcipher3": [(r"sqlcipher3/_sqlite3\.[^/]*\.so", ("sqlcipher", "sqlite", "openssl"))],
    "lxml": [(r"lxml/etree\.[^/]*\.so", ("libxml2", "libxslt", "zlib", "libiconv"))],
    "cffi": [(r"_cffi_backend\.[^/]*\.so", ("libffi",))],
    "aiohttp": [(r"aiohttp/_http_parser\.[^/]*\.so", ("llhttp",))],
}


@dataclass
class Found:
    """One native library in a wheel: a file of its own, or linked into FILE (static)."""

    project: Project
    path: str                                   # its path in the wheel (static: the module it is linked into)
    data: bytes
    numbers: list[str]                          # the soname's version numbers
    kind: str                                   # grafted, vendored, static
    stem: str = ""


def find(wheel: Wheel) -> list[Found]:
    """Every native library inside WHEEL that another project made."""
    found: list[Found] = []
    unknown = []
    with zipfile.ZipFile(wheel.path) as z:
        for path in sorted(n for n in z.namelist() if not n.endswith("/")):
            folder, _, name = path.rpartition("/")
            if GRAFTED_FOLDER.fullmatch(folder):
                m = GRAFTED_NAME.match(name)
                numbers = (m.group("n") or "").split(".") if m else []
                key = next((k for k in (f"{m.group('stem')}.{numbers[0]}", m.group("stem")) if k in GRAFTED),
                           None) if m else None
                if m is None or key is None:
                    unknown.append(path)
                    continue
                found.append(Found(PROJECTS[GRAFTED[key]], path, z.read(path), numbers, "grafted",
                                   m.group("stem")))
                continue
            for pattern, project in VENDORED.items():
                if v := pattern.match(name):
                    found.append(Found(PROJECTS[project], path, z.read(path), (v.group("n") or "").split("."),
                                       "vendored"))
            for module, projects in STATIC.get(wheel.name, []):
                if re.fullmatch(module, path):
                    data = z.read(path)
                    found += [Found(PROJECTS[p], path, data, [], "static") for p in projects]
    if unknown:
        raise SystemExit(f"sbom: {wheel.path.name} carries native libraries sbom_native.GRAFTED does not know: "
                         + ", ".join(unknown) + " (add each, with its project, licence text and version source)")
    missing = {p for _module, projects in STATIC.get(wheel.name, []) for p in projects} - {
        f.project.name for f in found if f.kind == "static"}
    if missing:
        raise SystemExit(f"sbom: {wheel.path.name} no longer has the module sbom_native.STATIC names for "
                         f"{', '.join(sorted(missing))}")
    return found


def wheel_sbom_versions(wheel: Wheel) -> dict[str, str]:
    """name (lower case) -> version, from the SBOMs the wheel carries in .dist-info/sboms/ (its builder's and
    auditwheel's); an RPM's release suffix (1.0.9-3.el8) dropped."""
    versions: dict[str, str] = {}
    with zipfile.ZipFile(wheel.path) as z:
        for name in sorted(n for n in z.namelist() if re.search(r"\.dist-info/sboms/[^/]+\.json$", n)):
            for c in json.loads(z.read(name)).get("components", []):
                if (m := re.match(r"\d+(?:\.\d+)*[a-z]?", str(c.get("version", "")))) and c.get("name"):
                    versions.setdefault(str(c["name"]).lower(), m.group())
    return versions


def version_of(project: Project, files: list[Found], sboms: dict[str, str]) -> tuple[str, str]:
    """(version, where it was read) of PROJECT from its FILES in one wheel; ("", why) where none tells."""
    for probe in project.versions:
        kind, _, arg = probe.partition(":")
        for f in sorted(files, key=lambda f: f.path):
            if kind == "bytes":
                pattern = arg.replace("{major}", re.escape(f.numbers[0]) if f.numbers and f.numbers[0] else "")
                if m := re.search(pattern.encode("latin-1"), f.data):
                    groups = [g.decode() for g in m.groups()]
                    version = groups[0] if len(groups) == 1 else ".".join(str(int(g)) for g in groups)
                    return version, f"the version string in {f.path}"
            elif kind in ("code", "data"):
                symbol, _, written = arg.partition(":")
                if (number := elf_constant(f.data, symbol, code=kind == "code")) is not None:
                    return NUMBERS[written](number), f"{symbol} in {f.path} (read, not run)"
            elif kind == "soname" and len(f.numbers) >= 3:
                return arg.format(n=f.numbers), f"the soname of {f.path}"
            elif kind == "sbom" and arg.lower() in sboms:
                return sboms[arg.lower()], f"the wheel's own SBOM (.dist-info/sboms/), component {arg!r}"
    if project.unversioned:
        first = min(files, key=lambda f: f.path)
        return "", project.unversioned.format(n=[*first.numbers, "", "", ""], stem=first.stem)
    raise SystemExit(f"sbom: no version of {project.name} in {', '.join(sorted({f.path for f in files}))}: "
                     "its version string or soname changed; update sbom_native.PROJECTS")


def elf_constant(data: bytes, symbol: str, code: bool) -> int | None:
    """The integer SYMBOL holds in an ELF64 little-endian file, read without running it: a 4-byte constant
    (data), or what a function returns that only loads a constant (code: x86-64 `mov eax, imm32; ret`, after an
    optional `endbr64`). None where the file has no such symbol or the function does more."""
    if data[:6] != b"\x7fELF\x02\x01":
        return None
    shoff, = struct.unpack_from("<Q", data, 0x28)
    entsize, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * entsize) for i in range(count)]
    for _name, kind, _flags, _addr, offset, size, link, *_ in sections:
        if kind != 11:                                           # SHT_DYNSYM: the exported symbols
            continue
        strings = sections[link][4]
        for i in range(size // 24):
            name, _info, _other, index, value, _size = struct.unpack_from("<IBBHQQ", data, offset + i * 24)
            if index and index < len(sections) and data[strings + name:data.index(b"\0", strings + name)] == \
                    symbol.encode():
                at = value - sections[index][3] + sections[index][4]
                if not code:
                    return int(struct.unpack_from("<I", data, at)[0])
                m = re.match(rb"(?:\xf3\x0f\x1e\xfa)?\xb8(.{4})\xc3", data[at:at + 16], re.S)
                return int(struct.unpack("<I", m.group(1))[0]) if m else None
    return None


def licence_texts(project: Project, wheel: Wheel, common: Path) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for spec in project.texts:
        kind, _, arg = spec.partition(":")
        if kind == "section":
            texts += [(f"{arg}: its section of {name} in the wheel", text) for name, body in
                      sorted(wheel.licence_files.items()) if (text := licence_section(body, arg))]
        elif kind == "wheelfile":
            texts += [(f"{name} in the wheel", body) for name, body in sorted(wheel.licence_files.items())
                      if name.endswith("/" + arg)]
        elif kind == "file":
            texts.append((f"packaging/licenses/{arg}", (LICENSES / arg).read_text("utf-8")))
        elif kind == "common":
            texts += standard_texts(project.licence, common)
    if len(texts) < len(project.texts):
        raise SystemExit(f"sbom: {wheel.path.name}: a licence text of {project.name} is missing (looked for "
                         f"{', '.join(project.texts)})")
    return texts


def licence_section(text: str, heading: str) -> str:
    """The section under HEADING of a licence file made of sections "----\\n\\nHEADING\\n..." (pillow's: a line
    of exactly four dashes between them; the longer rules are inside a section)."""
    for section in re.split(r"^----$", text, flags=re.M):
        if section.strip().split("\n", 1)[0].strip() == heading:
            return section.strip() + "\n"
    return ""


def native_components(wheel: Wheel, wheel_ref: str, common: Path) -> list[Component]:
    """WHEEL's native libraries, each a component (ref: the wheel's ref # its path), with the wheel's own."""
    found = find(wheel)
    sboms = wheel_sbom_versions(wheel)
    parts = []
    for f in found:
        version, how = version_of(f.project, [g for g in found if g.project is f.project and
                                              (g.kind == "static") == (f.kind == "static")], sboms)
        digest = sha256_bytes(f.data)
        name = f.path.rsplit("/", 1)[-1]
        props = [("dws:wheel", wheel.path.name), ("dws:version-from" if version else "dws:version-unknown", how)]
        if f.kind == "static":
            ref = f"{wheel_ref}#{f.path}!{f.project.name}"
            description = f"linked into {name} of the {wheel.name} {wheel.version} wheel"
            props.append(("dws:linked-into", f"{f.path} sha256:{digest}"))
        else:
            ref = f"{wheel_ref}#{f.path}"
            description = (f"{name}, grafted into the {wheel.name} {wheel.version} wheel by auditwheel"
                           if f.kind == "grafted" else f"{name}, shipped inside the {wheel.name} {wheel.version} wheel")
            props.append(("dws:wheel-file", f"{f.path} sha256:{digest}"))
        if is_lgpl(f.project.licence):
            props.append(("dws:replaceable", "yes: LGPL, a shared library of its own a user can replace"
                          if f.kind != "static" else
                          f"by relinking: LGPL, linked into {name}; rebuild {wheel.name} {wheel.version} from its "
                          "source distribution in the wheelhouse's source/ against another copy"
                          if wheel.name in RELINK_SOURCES else f"no: LGPL, linked into {name} (as the wheel ships it)"))
            if f.project.source:
                props.append(("dws:source", f.project.source.format(v=version or "(its release)")))
        parts.append(Component(
            ref=ref, name=f.project.name, version=version, licence=f.project.licence,
            origin=f"inside PyPI wheel {wheel.path.name}", texts=licence_texts(f.project, wheel, common),
            hashes=[] if f.kind == "static" else [digest], properties=props,
            purl=f"pkg:generic/{f.project.name}" + (f"@{version}" if version else ""), description=description))
    return parts

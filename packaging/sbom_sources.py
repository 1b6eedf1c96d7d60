"""Where the shipped files come from, for packaging/sbom.py: the wheels (their metadata, licence files and
RECORD), the lock's hashes, the Debian package database (as `dpkg -S` and `dpkg -s` read it), the CPython a
bundle is frozen from, and the bundle's own executable (its frozen archive, read with PyInstaller's reader)
and PyInstaller's table of contents (which file each bundled file was copied from)."""

from __future__ import annotations

import ast
import email.message
import email.parser
import hashlib
import os
import re
import sys
import sysconfig
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.I)


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()




# --- wheels and the lock -------------------------------------------------------------------------------------

@dataclass
class Wheel:
    path: Path
    name: str                                   # normalised distribution name
    version: str
    meta: email.message.Message
    record: list[str]                           # every path the wheel installs (site-packages relative)
    licence_files: dict[str, str]               # path in the wheel -> text

    @property
    def modules(self) -> set[str]:
        found = set()
        for path in self.record:
            if path.endswith(".py"):
                parts = path[:-3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if parts and all(p.isidentifier() for p in parts):
                    found.add(".".join(parts))
        return found


def read_wheel(path: Path) -> Wheel:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        info = next(n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")
                    and n.endswith("/METADATA"))
        meta = email.parser.Parser().parsestr(z.read(f"{info}/METADATA").decode("utf-8"))
        texts = {n: z.read(n).decode("utf-8", "replace") for n in names
                 if n.startswith(f"{info}/") and not n.endswith("/")
                 and (n.startswith(f"{info}/licenses/") or LICENCE_FILE.search(n.rsplit("/", 1)[-1]))}
    return Wheel(path, norm(meta["Name"]), meta["Version"], meta, names, texts)


def read_lock_hashes(lock: Path) -> dict[str, set[str]]:
    pins: dict[str, set[str]] = {}
    current = ""
    for line in lock.read_text("utf-8").splitlines():
        if m := re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", line):
            current = norm(m.group(1))
            pins[current] = set()
        pins.setdefault(current, set()).update(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
    return pins


# --- the Debian package database and the build's Python -------------------------------------------------------

class Dpkg:
    """The package database `dpkg -S` and `dpkg -s` read (ADMINDIR/info/*.list, ADMINDIR/status), read once."""

    def __init__(self, admindir: Path = Path("/var/lib/dpkg"), docdir: Path = Path("/usr/share/doc")) -> None:
        self.admindir, self.docdir = admindir, docdir
        self._owners: dict[str, str] | None = None
        self._status: dict[str, dict[str, str]] | None = None

    def owners(self) -> dict[str, str]:
        if self._owners is None:
            self._owners = {}
            for listing in sorted((self.admindir / "info").glob("*.list")):
                package = listing.name[:-len(".list")].split(":")[0]
                for path in listing.read_text("utf-8", "replace").splitlines():
                    self._owners.setdefault(path, package)
        return self._owners

    def status(self, package: str) -> dict[str, str]:
        if self._status is None:
            self._status = {}
            stanza = (self.admindir / "status").read_text("utf-8", "replace").split("\n\n")
            for block in stanza:
                fields = dict(re.findall(r"^([A-Za-z-]+): ?(.*)$", block, re.M))
                if "Package" in fields and "installed" in fields.get("Status", "installed"):
                    self._status.setdefault(fields["Package"], fields)
        return self._status.get(package, {})

    def owner(self, paths: Iterable[str]) -> tuple[str, str] | None:
        """(package, path as dpkg lists it) for the first of PATHS (each also with and without /usr) owned."""
        owners = self.owners()
        for path in paths:
            for variant in (path, path.removeprefix("/usr") if path.startswith("/usr/") else f"/usr{path}"):
                if variant in owners:
                    return owners[variant], variant
        return None

    def owner_by_name(self, name: str) -> tuple[str, str] | None:
        hits = sorted(p for p in self.owners() if p.rsplit("/", 1)[-1] == name
                      and re.match(r"^(/usr)?/lib(64)?/", p))
        preferred = [p for p in hits if "/x86_64-linux-gnu/" in p or "/aarch64-linux-gnu/" in p] or hits
        return (self.owners()[preferred[0]], preferred[0]) if preferred else None


def os_release_id() -> str:
    try:
        text = Path("/etc/os-release").read_text("utf-8")
    except OSError:
        return "debian"
    m = re.search(r'^ID="?([a-z0-9._-]+)', text, re.M)
    return m.group(1) if m else "debian"


@dataclass
class Python:
    """The CPython a bundle is frozen from, when no Debian package owns it (pyenv, python.org builds)."""

    prefix: Path
    version: str
    stdlib: Path

    @classmethod
    def current(cls) -> Python:
        return cls(Path(sys.base_prefix), ".".join(map(str, sys.version_info[:3])),
                   Path(sysconfig.get_paths()["stdlib"]).resolve())

    def owns(self, source: str | None, name: str) -> bool:
        if source is not None:
            return Path(source).resolve().is_relative_to(self.prefix.resolve())
        return any((d / name).exists() for d in (self.prefix / "lib", self.stdlib / "lib-dynload"))


def is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def collect_sources(toc: Path | None) -> dict[str, str]:
    """PyInstaller's COLLECT table of contents: path in the bundle -> the file it was copied from."""
    if toc is None or not toc.is_file():
        return {}
    entries = ast.literal_eval(toc.read_text("utf-8"))[0]
    return {dest.replace(os.sep, "/"): src for dest, src, _kind in entries}


def frozen_modules(executable: Path) -> set[str]:
    """Module names in the bundle's frozen archive (PYZ), read from the executable with PyInstaller's reader;
    none when the file is no PyInstaller executable (its archive cookie, MEI\\014\\013\\012\\013\\016, is absent)."""
    if b"MEI\014\013\012\013\016" not in executable.read_bytes():
        return set()
    try:
        from PyInstaller.archive.readers import CArchiveReader

        archive = CArchiveReader(str(executable))
        return set(archive.open_embedded_archive("PYZ.pyz").toc)
    except Exception as e:
        raise SystemExit(f"sbom: cannot read the frozen archive of {executable} ({e}); run this with the "
                         "packaging venv's Python (make sbom), where PyInstaller is") from e

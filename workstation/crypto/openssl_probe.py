"""What each OpenSSL library loaded into this process says about itself, asked directly (ctypes), for `dws crypto
report`: its version, which providers are available, and whether it fetches every algorithm with fips=yes.

`cryptography` links its OpenSSL statically with hidden symbols, so it cannot be asked this way (report.py asks
it through its own API). SQLCipher can: the `sqlcipher3` wheel links its OpenSSL statically but exports its
symbols, and a build from source (`make fips-check`) loads the platform's shared libcrypto. Shared libcrypto
files are found in /proc/self/maps (Linux; elsewhere none are listed).
"""

from __future__ import annotations

import ctypes
import importlib
from dataclasses import dataclass
from pathlib import Path

PROVIDERS = ("fips", "base", "default", "legacy")


@dataclass(frozen=True, slots=True)
class Libcrypto:
    path: str
    version: str                    # OpenSSL_version(OPENSSL_VERSION), e.g. "OpenSSL 3.0.19 27 Jan 2026"
    providers: tuple[str, ...]      # those of PROVIDERS available (loaded and activated) in its default context
    fips_properties: bool           # EVP_default_properties_is_fips_enabled: every fetch asks for fips=yes

    @property
    def fips_active(self) -> bool:
        return self.fips_properties and "fips" in self.providers


def loaded_paths() -> list[str]:
    """The libcrypto files mapped into this process, in the order they appear."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    seen: list[str] = []
    for line in maps.splitlines():
        path = line.split(maxsplit=5)[-1] if line.count(" ") >= 5 else ""
        if "libcrypto" in Path(path).name and path not in seen:
            seen.append(path)
    return seen


def probe(path: str) -> Libcrypto | None:
    """Ask the library at `path` (already loaded: dlopen hands back the same image) about itself; None when it
    is not an OpenSSL 3 libcrypto."""
    try:
        lib = ctypes.CDLL(path)
        version_fn = lib.OpenSSL_version
        available = lib.OSSL_PROVIDER_available
        fips_enabled = lib.EVP_default_properties_is_fips_enabled
    except (OSError, AttributeError):
        return None
    version_fn.restype, version_fn.argtypes = ctypes.c_char_p, [ctypes.c_int]
    available.restype, available.argtypes = ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]
    fips_enabled.restype, fips_enabled.argtypes = ctypes.c_int, [ctypes.c_void_p]
    version = (version_fn(0) or b"").decode("ascii", "replace")
    providers = tuple(name for name in PROVIDERS if available(None, name.encode("ascii")) == 1)
    return Libcrypto(path, version, providers, fips_enabled(None) == 1)


def loaded() -> list[Libcrypto]:
    return [found for found in map(probe, loaded_paths()) if found is not None]


def of_sqlcipher() -> tuple[Libcrypto | None, str]:
    """The libcrypto SQLCipher runs on, and where it lives: asked through the `sqlcipher3` extension module
    itself (the symbols resolve to the OpenSSL it was linked with, inside it or a shared library it loads)."""
    found = probe(str(importlib.import_module("sqlcipher3._sqlite3").__file__))
    if found is None:
        return None, "its OpenSSL"
    shared = [lib for lib in loaded() if lib.version == found.version]
    if shared:
        return found, f"the shared {shared[0].path}"
    return found, "OpenSSL linked into the sqlcipher3 extension"

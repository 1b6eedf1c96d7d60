"""The office profile, `"format": "dws.office/1"` (INTERCHANGE.md): which office server a desktop connects to
and with which credentials, never a secret in clear.

    {"format": "dws.office/1", "office": "<name>", "host": "...", "port": 5432, "dbname": "...",
     "ca": "office-ca.pem", "cert": "desktop.pem", "key": "desktop.key", "witness": "<folder>"}

Relative paths are relative to the profile file. The key is a file only its owner may read (0600), or a key on
a PIV card (`"key": "pkcs11:..."`). Connections are TLS with `sslmode=verify-full`, always: the profile has no
way to ask for less. An unknown key is refused (a misspelt one would otherwise be ignored in silence).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, shown_name

FORMAT = "dws.office/1"
_TEXTS = ("office", "host", "dbname")
_FILES = ("ca", "cert")
_KEYS = frozenset({"format", *_TEXTS, "port", *_FILES, "key", "witness"})
MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class OfficeProfile:
    path: Path                  # the profile file itself
    office: str
    host: str
    port: int
    dbname: str
    ca: Path                    # the office CA's certificate (PEM): the server's certificate must chain to it
    cert: Path                  # this desktop's certificate (PEM), issued by the office CA
    key: Path | str             # its private key: a 0600 file, or a "pkcs11:" URI (a PIV card)
    witness: Path | None        # the folder that witnesses the office log's checkpoints

    @property
    def key_on_card(self) -> bool:
        return isinstance(self.key, str)

    def connection_params(self, user: str) -> dict[str, str]:
        """libpq's keywords for `user`'s connection: TLS, the server's name and certificate checked against
        the office CA (verify-full), this desktop's certificate as the client's."""
        if isinstance(self.key, str):
            raise InputError("a desktop key on a PIV card (pkcs11:) cannot yet open an office connection; "
                             "use a key file", source=self.path.name)
        return {"host": self.host, "port": str(self.port), "dbname": self.dbname, "user": user,
                "sslmode": "verify-full", "sslrootcert": str(self.ca), "sslcert": str(self.cert),
                "sslkey": str(self.key)}


def is_profile(path: Path) -> bool:
    """Whether `--store PATH` names an office profile (a file) rather than a store (a folder)."""
    return path.is_file()


def load(path: Path) -> OfficeProfile:
    """The profile at `path`, its files checked; InputError naming the file and the first problem."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read the office profile: {exc.strerror}", source=str(path)) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"an office profile is at most {MAX_BYTES // 1024} KiB", source=path.name)
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InputError("not a JSON document", source=path.name) from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f'not an office profile (it needs "format": "{FORMAT}")', source=path.name)
    return _parse(path, doc)


def _parse(path: Path, doc: dict[str, Any]) -> OfficeProfile:
    def fail(message: str, key: str) -> InputError:
        return InputError(message, source=path.name, where=shown_name(key))

    unknown = sorted(set(doc) - _KEYS)
    if unknown:
        raise fail("unknown key in an office profile", unknown[0])
    for name in (*_TEXTS, "port", *_FILES, "key"):
        if name not in doc:
            raise fail("missing", name)
    for name in (*_TEXTS, *_FILES, "key"):
        if not isinstance(doc[name], str) or not doc[name].strip():
            raise fail("must be a non-empty text", name)
    port = doc["port"]
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise fail("must be a port number, 1 to 65535", "port")
    base = path.parent
    ca = _file(base, doc["ca"], lambda m: fail(m, "ca"))
    cert = _file(base, doc["cert"], lambda m: fail(m, "cert"))
    key_text: str = doc["key"]
    key: Path | str = key_text
    if not key_text.startswith("pkcs11:"):
        key = _file(base, key_text, lambda m: fail(m, "key"))
        mode = key.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise fail(f"the key file may be readable by its owner only (chmod 600; it is {mode & 0o777:o})",
                       "key")
    witness = doc.get("witness")
    if witness is not None and (not isinstance(witness, str) or not witness.strip()):
        raise fail("must be a folder's path", "witness")
    return OfficeProfile(path, doc["office"], doc["host"], port, doc["dbname"], ca, cert, key,
                         base / witness if witness else None)


def _file(base: Path, name: str, fail: Callable[[str], InputError]) -> Path:
    found = base / name
    if not found.is_file():
        raise fail("names no file (relative paths are relative to the profile)")
    return found

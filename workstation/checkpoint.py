"""Checkpoints of the audit log: C2SP tlog-checkpoint text signed as a C2SP signed note (Ed25519).

    disclosure-workstation/<store id>
    <tree size>
    <root hash, standard base64>
    <empty line>
    — <user>@<store id> <base64(4-byte key id || 64-byte Ed25519 signature)>

The signature covers the note text: the three lines, each ending in a newline. The key id is the first
4 bytes of SHA-256(key name || 0x0A || 0x01 || public key), so Go's golang.org/x/mod/sumdb/note accepts a
checkpoint given the verifier key `<name>+<key id hex>+<base64(0x01 || public key)>` (INTERCHANGE.md).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Protocol

from .crypto import digest
from .keys import primitives as p

ORIGIN_PREFIX = "disclosure-workstation/"
DASH = "\u2014"                  # '—', the signed-note signature line marker
ALG_ED25519 = b"\x01"


class CheckpointFormatError(ValueError):
    """The text is not a checkpoint (the message says what is wrong, never quotes the text)."""


def origin(store_id: str) -> str:
    return ORIGIN_PREFIX + store_id


def key_name(user: str, store_id: str) -> str:
    return f"{user}@{store_id}"


def key_id(name: str, public: bytes) -> bytes:
    return digest.sha256(name.encode("utf-8") + b"\n" + ALG_ED25519 + public)[:4]


def verifier_key(name: str, public: bytes) -> str:
    """The signed-note verifier key: <name>+<key id hex>+<base64(0x01 || public key)>."""
    return f"{name}+{key_id(name, public).hex()}+{base64.b64encode(ALG_ED25519 + public).decode('ascii')}"


def parse_verifier_key(vkey: str) -> tuple[str, bytes]:
    """(name, 32-byte Ed25519 public key) of a verifier key; ValueError when it is malformed."""
    name, _, rest = vkey.strip().partition("+")
    hash16, _, key64 = rest.partition("+")
    try:
        key = base64.b64decode(key64, validate=True)
    except binascii.Error:
        raise ValueError("the verifier key's key part is not base64") from None
    if not name or len(hash16) != 8 or len(key) != 33 or key[:1] != ALG_ED25519:
        raise ValueError("not an Ed25519 signed-note verifier key (<name>+<8 hex>+<base64>)")
    if key_id(name, key[1:]).hex() != hash16.lower():
        raise ValueError("the verifier key's id does not match its name and key")
    return name, key[1:]


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    text: str                         # the signed note text (the checkpoint body, ending in a newline)
    signatures: tuple[Signature, ...]

    @property
    def note(self) -> str:
        """The whole signed note, as written to files and printed on letters."""
        return self.text + "\n" + "".join(
            f"{DASH} {s.name} {base64.b64encode(s.key_id + s.signature).decode('ascii')}\n"
            for s in self.signatures)

    @property
    def store_id(self) -> str | None:
        return self.origin[len(ORIGIN_PREFIX):] if self.origin.startswith(ORIGIN_PREFIX) else None

    def verify(self, name: str, public: bytes) -> bool:
        """Does a signature by the key `name`/`public` cover this checkpoint's text?"""
        kid = key_id(name, public)
        return any(s.name == name and s.key_id == kid and p.verify(public, s.signature, self.text.encode("utf-8"))
                   for s in self.signatures)


def body(origin_line: str, size: int, root_hash: bytes) -> str:
    return f"{origin_line}\n{size}\n{base64.b64encode(root_hash).decode('ascii')}\n"


class NoteSigner(Protocol):
    """An Ed25519 key that signs notes: a private key in memory, or one on a PKCS#11 token (CKM_EDDSA)."""

    @property
    def public_key(self) -> bytes: ...          # raw 32 bytes

    def sign(self, message: bytes) -> bytes: ...


def sign(text: str, name: str, private: bytes) -> Signature:
    public = p.public_from_private(private)
    return Signature(name, key_id(name, public), p.sign(private, text.encode("utf-8")))


def sign_with(text: str, name: str, signer: NoteSigner) -> Signature:
    """The same signature line, by a key that may live outside this process (a token's Ed25519 key)."""
    return Signature(name, key_id(name, signer.public_key), signer.sign(text.encode("utf-8")))


def make(origin_line: str, size: int, root_hash: bytes, name: str, private: bytes) -> Checkpoint:
    text = body(origin_line, size, root_hash)
    return Checkpoint(origin_line, size, root_hash, text, (sign(text, name, private),))


def make_with(origin_line: str, size: int, root_hash: bytes, name: str, signer: NoteSigner) -> Checkpoint:
    text = body(origin_line, size, root_hash)
    return Checkpoint(origin_line, size, root_hash, text, (sign_with(text, name, signer),))


def parse(note: str) -> Checkpoint:
    """A signed checkpoint from its text (CRLF line ends tolerated, as a file copied through Windows may
    have them). Raises CheckpointFormatError naming what is wrong."""
    note = note.replace("\r\n", "\n")
    text, sep, sigs = note.partition("\n\n")
    if not sep:
        raise CheckpointFormatError("no empty line between the checkpoint and its signatures")
    text += "\n"
    lines = text.split("\n")[:-1]
    if len(lines) < 3:
        raise CheckpointFormatError("a checkpoint has at least three lines (origin, size, root hash)")
    origin_line, size_line, root_line = lines[:3]
    if not origin_line or any(c.isspace() and c != " " for c in origin_line):
        raise CheckpointFormatError("the first line (origin) is empty or malformed")
    if not size_line.isascii() or not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
        raise CheckpointFormatError("the second line is not a tree size in decimal")
    try:
        root_hash = base64.b64decode(root_line, validate=True)
    except binascii.Error:
        root_hash = b""
    if len(root_hash) != 32:
        raise CheckpointFormatError("the third line is not a base64 SHA-256 root hash")
    signatures = []
    for line in sigs.split("\n"):
        if not line:
            continue
        dash, _, rest = line.partition(" ")
        name, _, b64 = rest.partition(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raw = b""
        if dash != DASH or not name or " " in b64 or len(raw) < 5:
            raise CheckpointFormatError("a signature line is not '— <name> <base64 signature>'")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if not signatures:
        raise CheckpointFormatError("the checkpoint carries no signature")
    return Checkpoint(origin_line, int(size_line), root_hash, text, tuple(signatures))

"""Sealed values and blind indexes: what an office's PostgreSQL server holds instead of taxpayer values
(DESIGN.md, "The office store").

From the office key (32 random bytes, wrapped per user in keyslots) HKDF-SHA-256 derives two keys with distinct
labels: the data key seals each taxpayer value on the desktop (AES-256-GCM, a random 96-bit nonce, the row's
table and id in the associated data, so a value copied to another row or table does not open), and the index
key makes the blind indexes the matching joins on (HMAC-SHA-256 of a value normalized as the checks normalize
it, the kind of value as domain separation, truncated to 16 bytes). The server sees ciphertext and keyed hashes.

A sealed value (envelope, version 1): 0x01 || nonce (12 bytes) || AES-256-GCM ciphertext and tag (16 bytes).
Associated data: b"dws.office/1 seal" 0x00, the version byte, the table's UTF-8 length (2 bytes, big-endian)
and bytes, then the row id: b"i" and 8 bytes (signed, big-endian) for a number, b"s" and UTF-8 for a text. A
value bound to its row's other columns (`bound_sealer`: a record's key, year and blind indexes, so a server that
moves an index to another row's sealed value is caught when the row is opened) has a numeric id followed by b"b",
the binding's length (2 bytes, big-endian) and the binding.
A blind index: the first 16 bytes of HMAC-SHA-256(index key, b"dws.office/1 index" 0x00 kind 0x00 value).

No message here ever holds a value, a key or an index.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..normalize import address_key, name_control, normalize_name, tin_digits, zip5

OFFICE_KEY_BYTES = 32
DATA_KEY_INFO = b"dws.office/1 data key: AES-256-GCM"
INDEX_KEY_INFO = b"dws.office/1 index key: HMAC-SHA-256"
VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
INDEX_BYTES = 16
_SEAL_LABEL = b"dws.office/1 seal\x00"
_INDEX_LABEL = b"dws.office/1 index\x00"

# "reason": a request's reason as the REASON check compares it (normalize.reason_key), so the server counts the
# subjects that share one without reading it; "address": an address key (normalize.address_key), the one the
# MATCH check looks taxpayers up by, which narrows an evaluation's candidate records (store/office/evaluations.py)
IndexKind = Literal["tin", "name_control", "name_address", "zip5", "record", "reason", "address"]
INDEX_KINDS: tuple[IndexKind, ...] = ("tin", "name_control", "name_address", "zip5", "record", "reason", "address")


class SealError(ValueError):
    """A sealed value that does not open here, or a value that cannot be sealed or indexed (never the value)."""


def _hkdf(office_key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(office_key)


def _associated(table: str, row_id: int | str) -> bytes:
    if not table:
        raise SealError("a sealed value needs the table it belongs to")
    name = table.encode("utf-8")
    if len(name) > 0xFFFF:
        raise SealError("table name too long to seal under")
    if isinstance(row_id, bool) or not isinstance(row_id, int | str):
        raise SealError(f"a row id is a number or a text, not {type(row_id).__name__}")
    if isinstance(row_id, int):
        if not -(2**63) <= row_id < 2**63:
            raise SealError("a numeric row id must fit in 64 bits")
        row = b"i" + row_id.to_bytes(8, "big", signed=True)
    else:
        row = b"s" + row_id.encode("utf-8")
    return _SEAL_LABEL + bytes([VERSION]) + len(name).to_bytes(2, "big") + name + row


def _bound(binding: bytes) -> bytes:
    if len(binding) > 0xFFFF:
        raise SealError("a row's binding is too long to seal under")
    return b"b" + len(binding).to_bytes(2, "big") + binding


@dataclass(frozen=True)
class OfficeKeys:
    """The two keys derived from one office key. Its repr shows no key."""

    data_key: bytes = field(repr=False)
    index_key: bytes = field(repr=False)
    _aead: AESGCM = field(repr=False, compare=False)

    @classmethod
    def derive(cls, office_key: bytes) -> OfficeKeys:
        if len(office_key) != OFFICE_KEY_BYTES:
            raise SealError(f"an office key is {OFFICE_KEY_BYTES} bytes, not {len(office_key)}")
        data_key = _hkdf(office_key, DATA_KEY_INFO)
        return cls(data_key, _hkdf(office_key, INDEX_KEY_INFO), AESGCM(data_key))

    @classmethod
    def of(cls, data_key: bytes, index_key: bytes) -> OfficeKeys:
        """The keys `derive` made, given again (a parse worker is handed them: office/records_seal.SealJob)."""
        return cls(data_key, index_key, AESGCM(data_key))

    # ------------------------------------------------------------------------------------------ sealing

    def seal(self, table: str, row_id: int | str, plaintext: bytes) -> bytes:
        """The envelope of `plaintext` for row `row_id` of `table` (a new random nonce each time)."""
        nonce = os.urandom(NONCE_BYTES)
        return bytes([VERSION]) + nonce + self._aead.encrypt(nonce, plaintext, _associated(table, row_id))

    def open(self, table: str, row_id: int | str, envelope: bytes) -> bytes:
        """The plaintext of an envelope sealed for this row of this table under this office key; SealError for
        any other (moved to another row or table, another office's, altered, truncated)."""
        if len(envelope) < 1 + NONCE_BYTES + TAG_BYTES:
            raise SealError("a sealed value is too short: it was cut or is not one")
        if envelope[0] != VERSION:
            raise SealError(f"a sealed value of envelope version {envelope[0]}, which this program does not read")
        nonce = envelope[1:1 + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, envelope[1 + NONCE_BYTES:], _associated(table, row_id))
        except InvalidTag:
            raise SealError(f"a sealed value in {table} does not open for this row: it belongs to another row or "
                            "table, another office's key sealed it, or it was altered") from None

    def seal_text(self, table: str, row_id: int | str, text: str) -> bytes:
        return self.seal(table, row_id, text.encode("utf-8"))

    def open_text(self, table: str, row_id: int | str, envelope: bytes) -> str:
        return self.open(table, row_id, envelope).decode("utf-8")

    # ----------------------------------------------------------------------------------- blind indexes

    def blind_index(self, kind: IndexKind, normalized_value: str) -> bytes:
        """The 16-byte blind index of a value already normalized (the helpers below normalize)."""
        if kind not in INDEX_KINDS:
            raise SealError(f"no blind index of kind {kind!r}")
        if not normalized_value:
            raise SealError(f"an empty {kind} has no blind index")
        message = _INDEX_LABEL + kind.encode("ascii") + b"\x00" + normalized_value.encode("utf-8")
        mac = hmac.HMAC(self.index_key, hashes.SHA256())      # through cryptography, as every primitive is
        mac.update(message)
        return mac.finalize()[:INDEX_BYTES]

    def tin_index(self, tin: str) -> bytes | None:
        """The index of a TIN's nine digits (any spelling: 123-45-6789, 123456789, 12-3456789); None when it is
        not nine digits (the checks match no such TIN)."""
        digits = tin_digits(tin)
        return self.blind_index("tin", digits) if digits else None

    def name_control_index(self, name: str) -> bytes | None:
        control = name_control(name)
        return self.blind_index("name_control", control) if control else None

    def name_address_index(self, name: str, street: str, city: str, state: str, zip_code: str) -> bytes | None:
        """The index of the exact normalized name at the normalized address (the MATCH check's second way); None
        without a street (no address key) or without a name."""
        normalized = normalize_name(name)
        if not street.strip() or not normalized:
            return None
        return self.blind_index("name_address", f"{normalized}\x1f{address_key(street, city, state, zip_code)}")

    def record_key(self, tin_digits_: str, tin_type: str) -> bytes:
        """The taxpayer's key (TIN digits and TIN type; an SSN and an EIN may share digits): with the tax year,
        the key of a taxpayer record as the office store keeps it (one row per taxpayer per year)."""
        return self.blind_index("record", f"{tin_digits_}\x1f{tin_type}")

    def indexer(self, kind: IndexKind) -> Callable[[str], bytes]:
        """`blind_index` of one kind as a function of the normalized value, its key and label absorbed once
        (a bulk import indexes millions of values)."""
        if kind not in INDEX_KINDS:
            raise SealError(f"no blind index of kind {kind!r}")
        keyed = hmac.HMAC(self.index_key, hashes.SHA256())
        keyed.update(_INDEX_LABEL + kind.encode("ascii") + b"\x00")

        def index(normalized_value: str) -> bytes:
            if not normalized_value:
                raise SealError(f"an empty {kind} has no blind index")
            mac = keyed.copy()
            mac.update(normalized_value.encode("utf-8"))
            return mac.finalize()[:INDEX_BYTES]
        return index

    def sealer(self, table: str) -> Callable[[int, bytes], bytes]:
        """`seal` for rows of one table with numeric ids, its associated data's prefix made once."""
        prefix = _associated(table, 0)[:-8]
        encrypt, urandom = self._aead.encrypt, os.urandom
        head = bytes([VERSION])

        def seal(row_id: int, plaintext: bytes) -> bytes:
            nonce = urandom(NONCE_BYTES)
            return head + nonce + encrypt(nonce, plaintext, prefix + row_id.to_bytes(8, "big", signed=True))
        return seal

    def opener(self, table: str) -> Callable[[int, bytes], bytes]:
        """`open` for rows of one table with numeric ids, its associated data's prefix made once (a queue opens
        thousands of small values)."""
        prefix = _associated(table, 0)[:-8]
        decrypt = self._aead.decrypt

        def open_(row_id: int, envelope: bytes) -> bytes:
            if len(envelope) < 1 + NONCE_BYTES + TAG_BYTES or envelope[0] != VERSION:
                return self.open(table, row_id, envelope)           # its message
            try:
                return decrypt(envelope[1:1 + NONCE_BYTES], envelope[1 + NONCE_BYTES:],
                               prefix + row_id.to_bytes(8, "big", signed=True))
            except InvalidTag:
                return self.open(table, row_id, envelope)           # its message
        return open_

    def bound_sealer(self, table: str) -> Callable[[int, bytes, bytes], bytes]:
        """`seal(row_id, binding, plaintext)` for rows of one table with numeric ids whose other columns (`binding`,
        their bytes as the table's module lays them out) are bound into the associated data too."""
        prefix = _associated(table, 0)[:-8]
        encrypt, urandom = self._aead.encrypt, os.urandom
        head = bytes([VERSION])

        def seal(row_id: int, binding: bytes, plaintext: bytes) -> bytes:
            nonce = urandom(NONCE_BYTES)
            return head + nonce + encrypt(nonce, plaintext, prefix + row_id.to_bytes(8, "big", signed=True)
                                          + _bound(binding))
        return seal

    def bound_opener(self, table: str) -> Callable[[int, bytes, bytes], bytes]:
        """`open(row_id, binding, envelope)` of what `bound_sealer` sealed; SealError when the row's id or any of
        its bound columns is not what it was sealed with (or the value was altered, or is another office's)."""
        prefix = _associated(table, 0)[:-8]
        decrypt = self._aead.decrypt

        def open_(row_id: int, binding: bytes, envelope: bytes) -> bytes:
            if len(envelope) < 1 + NONCE_BYTES + TAG_BYTES:
                raise SealError("a sealed value is too short: it was cut or is not one")
            if envelope[0] != VERSION:
                raise SealError(f"a sealed value of envelope version {envelope[0]}, which this program does not read")
            try:
                return decrypt(envelope[1:1 + NONCE_BYTES], envelope[1 + NONCE_BYTES:],
                               prefix + row_id.to_bytes(8, "big", signed=True) + _bound(binding))
            except InvalidTag:
                raise SealError(f"a sealed value in {table} does not open with its row: the row's id, key or blind "
                                "indexes were changed, it belongs to another row, another office's key sealed it, or "
                                "it was altered") from None
        return open_

    def bound_batch_opener(self, table: str) -> Callable[[Iterable[tuple[int, bytes, bytes]]], list[bytes]]:
        """`open_all(items)`: the plaintexts of many (row_id, binding, envelope) as `bound_opener` opens each, in one
        loop (an evaluation opens millions); SealError at the first that does not open (the caller names it with
        `bound_opener`)."""
        prefix = _associated(table, 0)[:-8]
        decrypt = self._aead.decrypt
        shortest = 1 + NONCE_BYTES + TAG_BYTES
        body = 1 + NONCE_BYTES

        def open_all(items: Iterable[tuple[int, bytes, bytes]]) -> list[bytes]:
            opened: list[bytes] = []
            append = opened.append
            try:
                for row_id, binding, envelope in items:
                    if len(envelope) < shortest or envelope[0] != VERSION:
                        raise InvalidTag
                    append(decrypt(envelope[1:body], envelope[body:], b"".join((
                        prefix, row_id.to_bytes(8, "big", signed=True), b"b", len(binding).to_bytes(2, "big"),
                        binding))))
            except (InvalidTag, OverflowError):
                raise SealError(f"a sealed value in {table} does not open with its row") from None
            return opened
        return open_all

    def zip5_index(self, zip_code: str) -> bytes | None:
        five = zip5(zip_code)
        return self.blind_index("zip5", five) if len(five) == 5 else None

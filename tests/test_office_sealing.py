"""Sealed values and blind indexes (workstation/office/sealing.py, issue 19): the keys derived as RFC 5869
says, a sealed value that opens only in its own row of its own table, and neither a sealed value nor an index
holding a canary in any spelling; equal indexes exactly where the checks' normalization sees equal values."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from workstation.normalize import address_key, name_control, normalize_name
from workstation.office.sealing import DATA_KEY_INFO, INDEX_KEY_INFO, OfficeKeys, SealError

OFFICE_KEY = bytes(range(32))
KEYS = OfficeKeys.derive(OFFICE_KEY)


def rfc5869(ikm: bytes, info: bytes, length: int = 32, salt: bytes = b"") -> bytes:
    """HKDF-SHA-256 written out from RFC 5869 (the standard library's HMAC only)."""
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm, counter = okm + block, counter + 1
    return okm[:length]


# --- known answers ------------------------------------------------------------------------------------

def test_the_reference_hkdf_gives_rfc_5869_test_case_1() -> None:
    okm = rfc5869(bytes.fromhex("0b" * 22), bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"), 42,
                  salt=bytes.fromhex("000102030405060708090a0b0c"))
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865")


def test_the_two_keys_are_hkdf_of_the_office_key_with_their_labels() -> None:
    assert KEYS.data_key == rfc5869(OFFICE_KEY, DATA_KEY_INFO)
    assert KEYS.index_key == rfc5869(OFFICE_KEY, INDEX_KEY_INFO)
    assert KEYS.data_key.hex() == "9db952c7989b29133a132435b225d9c6526cd2028f3fc18f6905e16632bdf7cc"
    assert KEYS.index_key.hex() == "da609e160037f95d2b86c4ef46b2c613b9600e24399a403a236ace15a16f2966"
    assert KEYS.data_key != KEYS.index_key


def test_a_blind_index_is_the_truncated_hmac_of_label_kind_and_value() -> None:
    expected = hmac.new(KEYS.index_key, b"dws.office/1 index\x00tin\x00123456789", hashlib.sha256).digest()[:16]
    assert KEYS.blind_index("tin", "123456789") == expected
    assert expected.hex() == "60a51aaa6df56da66ab496c645606735"
    assert KEYS.blind_index("name_control", "EXAM").hex() == "16d7b71fe9b79577106491def0e9523d"


def test_an_envelope_sealed_by_an_earlier_build_still_opens() -> None:
    envelope = bytes.fromhex("01947b3b53d4e8d43e89ff3435500d158af6dcc1098616225b93d119c5b62c75c13b03268ac928b6da48")
    assert KEYS.open_text("taxpayer_records", 7, envelope) == "Maria Example"


def test_keys_and_repr() -> None:
    with pytest.raises(SealError, match="32 bytes, not 16"):
        OfficeKeys.derive(bytes(16))
    assert KEYS.data_key.hex() not in repr(KEYS) and KEYS.index_key.hex() not in repr(KEYS)
    assert repr(KEYS) == "OfficeKeys()"


# --- a sealed value opens only where it was sealed ------------------------------------------------------

def test_a_value_opens_in_its_row_and_nowhere_else() -> None:
    a = KEYS.seal_text("taxpayer_records", 1, "Maria Example")
    b = KEYS.seal_text("taxpayer_records", 2, "John Other")
    assert KEYS.open_text("taxpayer_records", 1, a) == "Maria Example"
    assert KEYS.open_text("taxpayer_records", 2, b) == "John Other"
    refused = [("taxpayer_records", 2, a), ("taxpayer_records", 1, b),     # rows swapped
               ("subjects", 1, a),                                          # another table, same id
               ("taxpayer_records", "1", a),                                # the id as a text is another id
               ("taxpayer_record", 1, a)]
    for table, row_id, envelope in refused:
        with pytest.raises(SealError, match="does not open for this row") as caught:
            KEYS.open(table, row_id, envelope)
        assert "Maria" not in str(caught.value) and "John" not in str(caught.value)


def test_altered_cut_foreign_and_future_envelopes_are_refused() -> None:
    envelope = KEYS.seal("requests", "R-2026-0001", b"request document")
    flipped = bytearray(envelope)
    flipped[20] ^= 1
    other_office = OfficeKeys.derive(bytes(31) + b"\x01")
    with pytest.raises(SealError, match="does not open"):
        KEYS.open("requests", "R-2026-0001", bytes(flipped))
    with pytest.raises(SealError, match="does not open"):
        other_office.open("requests", "R-2026-0001", envelope)
    with pytest.raises(SealError, match="too short"):
        KEYS.open("requests", "R-2026-0001", envelope[:28])
    with pytest.raises(SealError, match="envelope version 2"):
        KEYS.open("requests", "R-2026-0001", b"\x02" + envelope[1:])
    with pytest.raises(SealError, match="the table"):
        KEYS.seal("", 1, b"x")


def test_the_same_value_seals_differently_each_time() -> None:
    one, two = (KEYS.seal_text("taxpayer_records", 1, "123-45-6789") for _ in range(2))
    assert one != two and one[1:13] != two[1:13]          # a new nonce each time: equal values do not show
    assert len(one) == 1 + 12 + len("123-45-6789") + 16


# --- canaries ----------------------------------------------------------------------------------------

CANARIES = {
    "tin": "123-45-6789", "name": "Maria Canarywood", "street": "1200 Congress Avenue, Apt. 4",
    "city": "Austin", "zip": "78701", "agi": "84213", "phone": "512-555-0199", "bank_account": "000837461952",
}


def spellings(value: str) -> set[str]:
    bare = value.replace("-", "").replace(" ", "").replace(",", "").replace(".", "")
    forms = {value, bare, value.upper(), value.lower(), bare.upper(), bare.lower(), normalize_name(value)}
    if value == CANARIES["name"]:
        forms |= {name_control(value), "CANARYWOOD, MARIA", "Canarywood"}
    return {f for f in forms if len(f) >= 4}


def encodings(text: str) -> set[bytes]:
    return {text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be"), text.encode().hex().encode()}


def test_no_canary_in_any_spelling_in_sealed_values_or_indexes() -> None:
    c = CANARIES
    stored = [KEYS.seal_text("taxpayer_records", n, v) for n, v in enumerate(c.values())]
    stored.append(KEYS.seal_text("taxpayer_records", 99, ",".join(c.values())))
    indexes = [KEYS.tin_index(c["tin"]), KEYS.name_control_index(c["name"]), KEYS.zip5_index(c["zip"]),
               KEYS.name_address_index(c["name"], c["street"], c["city"], "TX", c["zip"])]
    stored += [i for i in indexes if i is not None]
    assert len(stored) == len(c) + 1 + 4
    blob = b"".join(stored)
    hexed = blob.hex().encode()                   # as pg_dump prints a bytea
    found = [(name, form) for name, value in c.items() for form in spellings(value) for raw in encodings(form)
             if raw in blob or raw.hex().encode() in hexed]
    assert found == []


# --- equal indexes where the checks see equal values --------------------------------------------------

def test_indexes_are_equal_exactly_where_the_checks_normalize_to_equal() -> None:
    k = KEYS
    assert k.tin_index("123-45-6789") == k.tin_index("123456789") == k.tin_index("123 45 6789")
    assert k.tin_index("123-45-6789") != k.tin_index("123-45-6780")
    assert k.tin_index("12345678") is None and k.tin_index("") is None
    assert k.name_control_index("Maria Example") == k.name_control_index("EXAMPLE, MARIA") \
        == k.name_control_index("Mary Examplar")          # EXAM: the name control is four letters
    assert k.name_control_index("Maria Example") != k.name_control_index("Maria Exxample")
    home = ("1200 Congress Avenue, Apt. 4", "Austin", "Texas", "78701-1234")
    assert k.name_address_index("Maria Example", *home) == k.name_address_index(
        "EXAMPLE, MARIA", "1200 CONGRESS AVE APT 4", "AUSTIN", "TX", "78701")
    assert address_key("1200 Congress Ave # 4", "Austin", "TX", "78701") != address_key(*home)
    assert k.name_address_index("Maria Example", "1200 Congress Ave # 4", "Austin", "TX", "78701") \
        != k.name_address_index("Maria Example", *home)   # "# 4" is not "Apt 4" to the checks either
    assert k.name_address_index("Maria Example", "", "Austin", "TX", "78701") is None
    assert k.zip5_index("2134") == k.zip5_index("02134-0001") and k.zip5_index("abc") is None


def test_kinds_separate_their_domains() -> None:
    assert KEYS.blind_index("tin", "78701") != KEYS.blind_index("zip5", "78701")
    assert KEYS.blind_index("tin", "123456789") != OfficeKeys.derive(bytes(32)).blind_index("tin", "123456789")
    with pytest.raises(SealError, match="no blind index of kind 'phone'"):
        KEYS.blind_index("phone", "5125550199")           # type: ignore[arg-type]
    with pytest.raises(SealError, match="empty tin"):
        KEYS.blind_index("tin", "")

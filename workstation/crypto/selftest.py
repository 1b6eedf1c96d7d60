"""Known-answer self-tests of every primitive the product uses, run once per process before a store is created
or opened (store/opening.py: the CLI and the GUI both come through there). One wrong answer and the store is
not opened: the message names the primitive and says what to do.

The vectors are published ones (VECTORS names the source of each), so a library that computes them right
agrees with the standard, not merely with itself. ECDSA P-256 signatures are randomised: that test is a
pairwise consistency test (a fresh key signs, its public key verifies, an altered message does not verify).
Argon2id is tested only where the office policy allows it (`crypto = standard`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from ..errors import StoreError
from . import argon2id, digest, rng

Vector = dict[str, str]          # hex strings, or text where the key says so (*_text)

# Each primitive's vector, by the name the report and the messages use.
VECTORS: dict[str, Vector] = {
    # The GCM specification's test case 16 (McGrew and Viega; NIST's GCM validation suite): AES-256, 96-bit IV,
    # associated data, a partial final block. `sealed` is the ciphertext followed by the 128-bit tag.
    "AES-256-GCM": {
        "key": "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "nonce": "cafebabefacedbaddecaf888",
        "aad": "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        "plaintext": "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6"
                     "b525b16aedf5aa0de657ba637b39",
        "sealed": "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838"
                  "c5f61e6393ba7a0abcc9f66276fc6ece0f4e1768cddf8853bb2d551b"},
    # PBKDF2-HMAC-SHA-512 on RFC 6070's fifth input (P = "passwordPASSWORDpassword", S =
    # "saltSALTsaltSALTsaltSALTsaltSALTsalt", c = 4096, dkLen = 40), the SHA-512 column as cryptsetup and others
    # publish it. Not the c = 2 case: OpenSSL's FIPS provider refuses a salt under 128 bits and fewer than 1,000
    # iterations (SP 800-132), as it should.
    "PBKDF2-HMAC-SHA-512": {
        "password_text": "passwordPASSWORDpassword", "salt_text": "saltSALTsaltSALTsaltSALTsaltSALTsalt",
        "iterations": "4096",
        "derived": "8c0511f4c6e597c6ac6315d8f0362e225f3c501495ba23b868c005174dc4ee71115b59f9e60cd953"},
    # RFC 5869 appendix A.1.
    "HKDF-SHA-256": {
        "ikm": "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "salt": "000102030405060708090a0b0c",
        "info": "f0f1f2f3f4f5f6f7f8f9",
        "okm": "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
    # RFC 4231 test case 2.
    "HMAC-SHA-256": {
        "key_text": "Jefe", "data_text": "what do ya want for nothing?",
        "mac": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    # FIPS 180-4's examples ("abc"), through `cryptography` directly and through the product's digest module
    # (crypto/digest.py: the audit chain, the log's Merkle tree, file digests), one-shot and incremental.
    "SHA-256": {"data_text": "abc", "digest": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    "SHA-384": {"data_text": "abc", "digest": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086"
                                              "072ba1e7cc2358baeca134c825a7"},
    "SHA-256 (digest.py)": {"data_text": "abc",
                            "digest": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    # Pairwise consistency: a fresh key signs this message and verifies; no published answer (randomised).
    "ECDSA P-256": {"message_text": "dws self-test"},
    # RFC 8032 section 7.1, TEST 1 (the empty message): signing is deterministic, so both directions.
    "Ed25519": {
        "private": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "public": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "message": "",
        "signature": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b4"
                     "6bd25bf5f0595bbe24655141438e7a100b"},
    # RFC 9106 section 5.3 (Argon2id, t = 3, m = 32 KiB, p = 4, with a secret and associated data).
    "Argon2id": {
        "password": "01" * 32, "salt": "02" * 16, "secret": "03" * 8, "ad": "04" * 12,
        "tag": "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"},
}


def _hex(v: Vector, key: str) -> bytes:
    return bytes.fromhex(v[key])


def _text(v: Vector, key: str) -> bytes:
    return v[key + "_text"].encode("utf-8")


def _aes_gcm(v: Vector) -> bool:
    aead, nonce, aad, sealed = AESGCM(_hex(v, "key")), _hex(v, "nonce"), _hex(v, "aad"), _hex(v, "sealed")
    if aead.encrypt(nonce, _hex(v, "plaintext"), aad) != sealed:
        return False
    if aead.decrypt(nonce, sealed, aad) != _hex(v, "plaintext"):
        return False
    try:                                        # one altered bit must be refused
        aead.decrypt(nonce, bytes([sealed[0] ^ 1]) + sealed[1:], aad)
    except InvalidTag:
        return True
    return False


def _pbkdf2(v: Vector) -> bool:
    expected = _hex(v, "derived")
    kdf = PBKDF2HMAC(hashes.SHA512(), len(expected), _text(v, "salt"), int(v["iterations"]))
    return kdf.derive(_text(v, "password")) == expected


def _hkdf(v: Vector) -> bool:
    expected = _hex(v, "okm")
    kdf = HKDF(hashes.SHA256(), len(expected), _hex(v, "salt"), _hex(v, "info"))
    return kdf.derive(_hex(v, "ikm")) == expected


def _hmac(v: Vector) -> bool:
    mac = hmac.HMAC(_text(v, "key"), hashes.SHA256())
    mac.update(_text(v, "data"))
    return mac.finalize() == _hex(v, "mac")


def _digest(algorithm: hashes.HashAlgorithm) -> Callable[[Vector], bool]:
    def check(v: Vector) -> bool:
        h = hashes.Hash(algorithm)
        h.update(_text(v, "data"))
        return h.finalize() == _hex(v, "digest")

    return check


def _product_sha256(v: Vector) -> bool:
    data, expected = _text(v, "data"), _hex(v, "digest")
    incremental = digest.Hasher(data[:1])
    incremental.update(data[1:])
    return (digest.sha256(data) == expected and digest.sha256_hex(data) == expected.hex()
            and incremental.digest() == expected and incremental.hexdigest() == expected.hex())


def _ecdsa_pairwise(v: Vector) -> bool:
    key = ec.generate_private_key(ec.SECP256R1())
    message = _text(v, "message")
    signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    try:
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    try:
        public.verify(signature, message + b".", ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return True
    return False


def _ed25519(v: Vector) -> bool:
    private = Ed25519PrivateKey.from_private_bytes(_hex(v, "private"))
    public_raw = private.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    message, signature = _hex(v, "message"), _hex(v, "signature")
    if public_raw != _hex(v, "public") or private.sign(message) != signature:
        return False
    public = Ed25519PublicKey.from_public_bytes(_hex(v, "public"))
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    try:
        public.verify(signature, message + b"x")
    except InvalidSignature:
        return True
    return False


def _argon2id(v: Vector) -> bool:
    expected = _hex(v, "tag")
    kdf = argon2id(salt=_hex(v, "salt"), length=len(expected), iterations=3, lanes=4, memory_cost=32,
                   ad=_hex(v, "ad"), secret=_hex(v, "secret"))
    return kdf.derive(_hex(v, "password")) == expected


def _random_source() -> bool:
    """A continuous test of the random source: two draws differ and neither is all zeros."""
    a, b = rng.random_bytes(32), rng.random_bytes(32)
    return a != b and any(a) and any(b)


CHECKS: dict[str, Callable[[Vector], bool]] = {
    "AES-256-GCM": _aes_gcm, "PBKDF2-HMAC-SHA-512": _pbkdf2, "HKDF-SHA-256": _hkdf, "HMAC-SHA-256": _hmac,
    "SHA-256": _digest(hashes.SHA256()), "SHA-384": _digest(hashes.SHA384()), "SHA-256 (digest.py)": _product_sha256,
    "ECDSA P-256": _ecdsa_pairwise, "Ed25519": _ed25519, "Argon2id": _argon2id,
}
RANDOM = "random source"


@dataclass(frozen=True, slots=True)
class SelfTestResult:
    passed: tuple[str, ...]          # the primitives that gave the right answers, in the order tested
    failed: str | None               # the first one that did not (None: all passed)
    ms: float                        # how long the tests took, in milliseconds
    unavailable: bool = False        # `failed` is not offered by this OpenSSL at all (e.g. under the FIPS provider)


def run(*, argon2: bool) -> SelfTestResult:
    """Every test, stopping at the first failure (an exception counts as a failure)."""
    start = time.perf_counter()
    passed: list[str] = []
    names = [n for n in CHECKS if argon2 or n != "Argon2id"]
    for name in [*names, RANDOM]:
        unavailable = False
        try:
            ok = _random_source() if name == RANDOM else CHECKS[name](VECTORS[name])
        except UnsupportedAlgorithm:
            ok, unavailable = False, True
        except Exception:           # a library that raises on a known answer is as broken as a wrong answer
            ok = False
        if not ok:
            return SelfTestResult(tuple(passed), name, (time.perf_counter() - start) * 1000, unavailable)
        passed.append(name)
    return SelfTestResult(tuple(passed), None, (time.perf_counter() - start) * 1000)


class SelfTestFailed(StoreError):
    """A known-answer self-test gave a wrong answer: no store is opened in this process."""

    def __init__(self, primitive: str, *, unavailable: bool = False) -> None:
        self.primitive = primitive
        if unavailable:
            why = (" The office policy's crypto = standard needs it: ask your administrator for crypto = approved"
                   if primitive == "Argon2id" else " Ask your administrator")
            super().__init__(f"{primitive} is not available from this installation's OpenSSL (with OpenSSL's FIPS "
                             "provider alone, only approved algorithms are), so the store was not opened and nothing "
                             f"was changed.{why} (README, \"Security and compliance\")")
            return
        super().__init__(f"the cryptographic self-test failed ({primitive} gave a wrong answer), so the store was "
                         "not opened and nothing was changed. This installation's cryptography library is damaged "
                         "or has been altered: reinstall the workstation, or ask your administrator")


_passed: dict[bool, SelfTestResult] = {}


def ensure(*, argon2: bool) -> SelfTestResult:
    """Run the self-tests once per process (again with Argon2id when a mode first needs it); raises
    SelfTestFailed on a wrong answer, every time it is asked until the process ends."""
    done = _passed.get(argon2)
    if done is not None:
        return done
    result = run(argon2=argon2)
    if result.failed is not None:
        raise SelfTestFailed(result.failed, unavailable=result.unavailable)
    _passed[argon2] = result
    return result

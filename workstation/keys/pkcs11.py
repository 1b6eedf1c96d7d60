"""Signing keys on a PKCS#11 token: a PIV card through OpenSC's `opensc-pkcs11.so`, or SoftHSM2 for trials.

The private key never leaves the token. A `Card` is one session on the token logged in with the card's PIN
(C_OpenSession + C_Login); `close()` logs out and closes it, on every path. A `TokenSigner` (the `Signer` of
signer.py) signs with the user's ECDSA P-256 key: CKM_ECDSA over a SHA-256 digest computed here (every token
that does P-256 offers CKM_ECDSA; CKM_ECDSA_SHA256 is missing from SoftHSM 2.6 and from many cards), the raw
r||s the token returns re-encoded as DER, as `primitives.verify` and OpenSSL expect. A key marked
CKA_ALWAYS_AUTHENTICATE (PIV's digital-signature key, slot 9C) needs the PIN again for every signature
(context-specific login): only such a signer keeps the PIN, and only until it is closed.

The PIN is never stored, logged or put in a message; every error from the module becomes one of the clear
messages below, raised `from None` so that no module text or value travels with it.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ..crypto.digest import sha256
from ..errors import AuthError, DwsError, InputError
from . import primitives as p

P256_PARAMS = bytes.fromhex("06082a8648ce3d030107")          # DER OID 1.2.840.10045.3.1.7 (prime256v1)
CHECKPOINT_SUFFIX = "-checkpoint"


class WrongPin(AuthError):
    """The card refused the PIN (counted towards the store's lockout, like a wrong passphrase)."""


class TokenAbsent(AuthError):
    """The token is not in its reader (or was removed while in use)."""


@dataclass(frozen=True, slots=True)
class TokenRef:
    """Where a user's key lives (`users.token`): the module, the token's label, the key's CKA_LABEL, and the
    label of the Ed25519 key that signs their checkpoints when that one is on the token too."""

    module: str
    token_label: str
    key_label: str
    checkpoint_key_label: str | None = None

    def to_json(self) -> str:
        doc = {k: v for k, v in asdict(self).items() if v is not None}
        return json.dumps(doc, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TokenRef:
        doc = json.loads(text)
        return cls(str(doc["module"]), str(doc["token_label"]), str(doc["key_label"]),
                   doc.get("checkpoint_key_label"))

    @property
    def where(self) -> str:
        return f"token {self.token_label!r}"


def module_path(text: str) -> str:
    """The module as stored: an absolute path when a path was given, a bare file name left to the loader."""
    if not text.strip():
        raise InputError("name the PKCS#11 module (--pkcs11-module PATH, e.g. /usr/lib/x86_64-linux-gnu/"
                         "opensc-pkcs11.so)")
    return str(Path(text).expanduser().absolute()) if "/" in text else text


# --- errors ------------------------------------------------------------------------------------------

def _pkcs11() -> Any:
    import pkcs11

    return pkcs11


def translate(exc: BaseException, ref: TokenRef, *, key: str | None = None) -> DwsError:
    """One clear message for an error from the PKCS#11 module (never its text, never the PIN)."""
    e = _pkcs11().exceptions
    if isinstance(exc, e.PinLocked):
        return AuthError(f"the PIN of {ref.where} is locked after too many wrong PINs; unblock it with the "
                         "card's PUK (or ask the card's administrator); nothing was changed")
    if isinstance(exc, e.PinExpired):
        return AuthError(f"the PIN of {ref.where} has expired; change it with the card's own tool, then try again")
    if isinstance(exc, (e.PinIncorrect, e.PinInvalid, e.PinLenRange)):
        return WrongPin(f"wrong card PIN for {ref.where}")
    if isinstance(exc, (e.NoSuchToken, e.TokenNotPresent, e.TokenNotRecognised, e.SlotIDInvalid)):
        return TokenAbsent(f"{ref.where} is not present: insert the card (check the reader), then try again; "
                           "nothing was changed")
    if isinstance(exc, (e.DeviceRemoved, e.SessionClosed, e.SessionHandleInvalid, e.ObjectHandleInvalid,
                        e.KeyHandleInvalid, e.DeviceError, e.GeneralError, e.FunctionFailed)):
        return TokenAbsent(f"{ref.where} was removed or stopped answering: insert the card, then try again; "
                           "nothing was changed")
    if isinstance(exc, (e.UserAlreadyLoggedIn, e.AnotherUserAlreadyLoggedIn)):
        return AuthError(f"{ref.where} is in use by another session of this program; close it (or lock it), "
                         "then try again; nothing was changed")
    if isinstance(exc, e.NoSuchKey):
        return InputError(f"{ref.where} holds no private key labelled {key or ref.key_label!r}")
    if isinstance(exc, e.MultipleObjectsReturned):
        return InputError(f"{ref.where} holds more than one private key labelled {key or ref.key_label!r}; "
                          "give the label of exactly one key")
    if isinstance(exc, e.MechanismInvalid):
        return InputError(f"{ref.where} cannot sign with key {key or ref.key_label!r} by ECDSA (CKM_ECDSA)")
    return AuthError(f"{ref.where} refused the operation ({type(exc).__name__}); nothing was changed")


def _load(ref: TokenRef) -> Any:
    pk = _pkcs11()
    try:
        return pk.lib(ref.module)
    except pk.exceptions.PKCS11Error as exc:
        if "exception while loading" in str(exc):         # dlopen failed: no such file, not a library
            raise InputError("the PKCS#11 module cannot be loaded: the file is missing or is not a PKCS#11 "
                             "library (for a PIV card, OpenSC's opensc-pkcs11.so)", source=ref.module) from None
        raise InputError(f"the PKCS#11 module was loaded but did not start ({type(exc).__name__}): check its "
                         "configuration (SoftHSM2: the file SOFTHSM2_CONF names)", source=ref.module) from None


# --- the card ----------------------------------------------------------------------------------------

class Card:
    """One session on the token, logged in with the user's PIN. Use it as a context manager."""

    def __init__(self, ref: TokenRef, pin: str) -> None:
        self.ref = ref
        if not pin:
            raise WrongPin(f"no card PIN given for {ref.where}")
        self._lib = _load(ref)
        pk = _pkcs11()
        try:
            token = self._token()
            if token is None:
                raise pk.exceptions.NoSuchToken()
            if token.flags & pk.TokenFlag.USER_PIN_LOCKED:
                raise pk.exceptions.PinLocked()
            self._session: Any = token.open(user_pin=pin)
        except pk.exceptions.PKCS11Error as exc:
            raise translate(exc, ref) from None

    def _token(self) -> Any:
        """The token with our label, slot by slot: a slot whose token cannot be read (pulled out halfway, a
        broken card) is passed over rather than failing the search."""
        for slot in self._lib.get_slots(token_present=True):
            try:
                token = slot.get_token()
            except _pkcs11().exceptions.PKCS11Error:
                continue
            if token.label == self.ref.token_label:
                return token
        return None

    def present(self) -> bool:
        """Is the token still in its reader?"""
        try:
            return self._token() is not None
        except _pkcs11().exceptions.PKCS11Error:
            return False

    @property
    def is_open(self) -> bool:
        return self._session is not None

    def _key(self, label: str, *, missing_ok: bool = False) -> Any:
        if self._session is None:
            raise AuthError(f"the session on {self.ref.where} was closed")
        pk = _pkcs11()
        try:
            return self._session.get_key(object_class=pk.ObjectClass.PRIVATE_KEY, label=label)
        except pk.exceptions.NoSuchKey:
            if not self.present():             # a pulled-out token finds nothing: say so, not "no such key"
                raise translate(pk.exceptions.DeviceRemoved(), self.ref) from None
            if missing_ok:
                return None
            raise InputError(f"{self.ref.where} holds no private key labelled {label!r}") from None
        except pk.exceptions.PKCS11Error as exc:
            raise translate(exc, self.ref, key=label) from None

    def always_authenticate(self, key: Any, label: str) -> bool:
        """Does the key ask for the PIN before every signature (CKA_ALWAYS_AUTHENTICATE, PIV slot 9C)?"""
        pk = _pkcs11()
        try:
            return bool(key[pk.Attribute.ALWAYS_AUTHENTICATE])
        except pk.exceptions.AttributeTypeInvalid:
            return False
        except pk.exceptions.PKCS11Error as exc:
            raise translate(exc, self.ref, key=label) from None

    def _public_point(self, key: Any, label: str) -> bytes:
        """The key's public point (CKA_EC_POINT of the public-key object with the same CKA_ID or label, or
        the certificate's SubjectPublicKeyInfo), unwrapped from its DER OCTET STRING when it is wrapped."""
        pk = _pkcs11()
        attr, cls = pk.Attribute, pk.ObjectClass
        try:
            key_id = key[attr.ID]
        except pk.exceptions.PKCS11Error:
            key_id = None
        for template in ({attr.CLASS: cls.PUBLIC_KEY, attr.ID: key_id} if key_id else None,
                         {attr.CLASS: cls.PUBLIC_KEY, attr.LABEL: label}):
            if template is None:
                continue
            for obj in self._session.get_objects(template):
                return _octets(obj[attr.EC_POINT])
        raise InputError(f"{self.ref.where} holds no public key for {label!r} (a public-key object with the "
                         "same CKA_ID or label)")

    def ecdsa_public(self, label: str) -> tuple[Any, bytes]:
        """(private-key handle, SubjectPublicKeyInfo DER) of the ECDSA P-256 key labelled `label`."""
        pk = _pkcs11()
        key = self._key(label)
        try:
            if key.key_type != pk.KeyType.EC or key[pk.Attribute.EC_PARAMS] != P256_PARAMS:
                raise InputError(f"the key {label!r} on {self.ref.where} is not an ECDSA P-256 key (the workstation "
                                 "signs with P-256, as PIV cards and PDF readers do)")
            point = self._public_point(key, label)
        except pk.exceptions.PKCS11Error as exc:
            raise translate(exc, self.ref, key=label) from None
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError:
            raise InputError(f"the public key of {label!r} on {self.ref.where} is not a P-256 point") from None
        return key, public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def ed25519(self, label: str) -> CardEd25519 | None:
        """The Ed25519 key labelled `label` (for checkpoints), or None when the token holds none."""
        pk = _pkcs11()
        key = self._key(label, missing_ok=True)
        if key is None:
            return None
        try:
            if key.key_type != pk.KeyType.EC_EDWARDS:
                raise InputError(f"the key {label!r} on {self.ref.where} is not an Ed25519 key (a checkpoint "
                                 "key signs C2SP signed notes, which are Ed25519)")
            public = self._public_point(key, label)
        except pk.exceptions.PKCS11Error as exc:
            raise translate(exc, self.ref, key=label) from None
        if len(public) != 32:
            raise InputError(f"the key {label!r} on {self.ref.where} is not an Ed25519 key (its public key is "
                             f"{len(public)} bytes, not 32)")
        return CardEd25519(self, key, label, public)

    def sign_raw(self, key: Any, label: str, data: bytes, mechanism: Any, pin: str | None = None) -> bytes:
        try:
            return bytes(key.sign(data, mechanism=mechanism, pin=pin))
        except _pkcs11().exceptions.PKCS11Error as exc:
            raise translate(exc, self.ref, key=label) from None

    def close(self) -> None:
        """Log out and close the session; a token already gone is closed all the same."""
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Exception):     # a removed token's session is gone with it
                session.close()

    def __enter__(self) -> Card:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _octets(value: bytes) -> bytes:
    """CKA_EC_POINT is a DER OCTET STRING on most tokens and the bare point on a few: the bare point."""
    value = bytes(value)
    if len(value) >= 2 and value[0] == 0x04:
        length = value[1]
        if length < 0x80 and len(value) == 2 + length and length in (32, 65):
            return value[2:]
        if length == 0x81 and len(value) >= 3 and len(value) == 3 + value[2]:
            return value[3:]
    return value


class CardEd25519:
    """An Ed25519 key on the card (CKK_EC_EDWARDS, CKM_EDDSA): signs checkpoints while the card is open."""

    def __init__(self, card: Card, key: Any, label: str, public: bytes) -> None:
        self._card, self._key, self.label, self.public_key = card, key, label, public

    def sign(self, message: bytes) -> bytes:
        signature = self._card.sign_raw(self._key, self.label, message, _pkcs11().Mechanism.EDDSA)
        if not p.verify(self.public_key, signature, message):
            raise InputError(f"the key {self.label!r} on {self._card.ref.where} made an Ed25519 signature that "
                             "does not verify with its public key")
        return signature


# --- the signer -----------------------------------------------------------------------------------------

class TokenSigner:
    """The user's ECDSA P-256 key on the token, as a `Signer`. `owns_card`: closing the signer closes the
    card (logs out); otherwise the card stays open for whoever lent it (the session's checkpoints)."""

    def __init__(self, card: Card, *, pin: str, owns_card: bool = True) -> None:
        self._card: Card | None = card
        self._owns = owns_card
        label = card.ref.key_label
        try:
            self._key, self._public = card.ecdsa_public(label)
            always = card.always_authenticate(self._key, label)
        except BaseException:
            self.close()
            raise
        self._pin: str | None = pin if always else None       # kept only for a key that needs it each time

    @classmethod
    def open(cls, ref: TokenRef, pin: str) -> TokenSigner:
        return cls(Card(ref, pin), pin=pin)

    @property
    def algorithm(self) -> str:
        return p.ECDSA_P256

    @property
    def public_key(self) -> bytes:
        return self._public

    def sign(self, message: bytes) -> bytes:
        if self._card is None:
            raise RuntimeError("this signer was closed")
        digest = sha256(message)
        raw = self._card.sign_raw(self._key, self._card.ref.key_label, digest, _pkcs11().Mechanism.ECDSA,
                                  self._pin)
        if len(raw) != 64:
            raise InputError(f"{self._card.ref.where} returned a signature of {len(raw)} bytes, not a P-256 "
                             "r||s pair")
        return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))

    def close(self) -> None:
        card, self._card, self._pin = self._card, None, None
        if card is not None and self._owns:
            card.close()

    def __enter__(self) -> TokenSigner:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

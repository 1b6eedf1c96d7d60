"""A user's signing key in the office (issue 19, i19d): the local store's kind of key (ECDSA P-256, what
decisions, approvals and letters are signed with there: store/users.py), its private half wrapped on the desktop
under a key derived from the user's secret, the one their keyslot holds (credential.py), so the same unlock that
opens the office opens it, and nobody else's does: not the office key, which every user holds.

Wrapping: AES-256-GCM (keys/primitives.wrap) under HKDF-SHA-256(user secret, info WRAP_INFO|user:<login>),
the login in the associated data, so a wrapped key copied onto another user's row does not open.

A user enrolled with a card (schema step 9: `dws office enrol --user NAME --pkcs11-module ...`) has no private key
in the office at all: the office holds the card's public key and where it is (keys/pkcs11.TokenRef), and `signer`
opens the card with the PIN given for this signature (never kept: the card is logged out when the signer closes).

No SQL here (store/office/signing_keys.py) and no message holds a secret (a PIN, a passphrase).
"""

from __future__ import annotations

from typing import Any

from ..errors import AuthError, InputError, PermissionDenied
from ..keys import primitives as p
from ..keys.pkcs11 import Card, TokenRef, TokenSigner
from ..keys.signer import SoftwareSigner
from ..store.office import signing_keys
from . import credential

WRAP_INFO = "dws.office/1 signing key"
AAD_LABEL = "dws.office/1 signing key"


def _aad(login: str) -> bytes:
    return f"{AAD_LABEL}|user:{login}".encode()


def new_wrapped(login: str, user_secret: bytes) -> tuple[bytes, bytes, bytes]:
    """A new key pair for `login`: (public key, nonce, wrapped private key)."""
    private, public = p.new_ecdsa_key()
    nonce, wrapped = p.wrap(private, credential.user_key(user_secret, WRAP_INFO, login), _aad(login))
    return public, nonce, wrapped


def store_new(conn: Any, login: str, user_secret: bytes) -> bytes | None:
    """Make `login`'s signing key and store it (in the caller's transaction); its public key. None when the
    office was made before signing keys (it has no table for them)."""
    if not signing_keys.exists(conn):
        return None
    public, nonce, wrapped = new_wrapped(login, user_secret)
    signing_keys.put(conn, login, public, nonce, wrapped)
    return public


def unwrap(login: str, user_secret: bytes, nonce: bytes, wrapped: bytes) -> bytes | None:
    """The private key, or None when it does not open for this user (another's, or altered)."""
    return p.unwrap(nonce, wrapped, credential.user_key(user_secret, WRAP_INFO, login), _aad(login))


def card_of(conn: Any, login: str) -> TokenRef | None:
    """Where `login`'s signing key is when it is on a card, else None (a key in the office, or none)."""
    text = signing_keys.token(conn, login)
    return TokenRef.from_json(text) if text else None


def store_card(conn: Any, login: str, public_key: bytes, ref: TokenRef) -> None:
    """Register `login`'s key on a card (its public key, where it is; in the caller's transaction). InputError
    when the office was made before keys on cards (its administrator upgrades it) or the key is someone's already."""
    if not signing_keys.exists(conn) or not signing_keys.has_cards(conn):
        raise InputError("this office was made before keys on smart cards; the server's administrator brings it up to "
                         "date with 'dws --user DBADMIN office init --profile FILE' (schema step 9); nothing was "
                         "enrolled")
    holder = signing_keys.user_with_key(conn, public_key)
    if holder is not None:
        raise InputError(f"the key {ref.key_label!r} on {ref.where} is already enrolled for user {holder!r}; one key "
                         "signs for one person; nothing was enrolled")
    signing_keys.put_card(conn, login, public_key, ref.to_json())


def card_signer(conn: Any, login: str, ref: TokenRef, pin: str | None, card: Card | None = None) -> TokenSigner:
    """The card's signer, opened with `pin` (AuthError for a wrong PIN, a card not in its reader, or a card that
    does not hold the key registered for `login`; nothing is signed then). With `card`, that card, opened already
    with `pin` and held for the session's checkpoints, is borrowed (closing the signer leaves it open)."""
    if not pin:
        raise AuthError(f"{login!r} signs with the key on {ref.where}: enter the card's PIN")
    token_signer = TokenSigner(card, pin=pin, owns_card=False) if card is not None else TokenSigner.open(ref, pin)
    if token_signer.public_key != signing_keys.public_key(conn, login):
        token_signer.close()
        raise AuthError(f"the key {ref.key_label!r} on {ref.where} is not the key enrolled for {login} (another "
                        "card?); nothing was signed")
    return token_signer


def signer(conn: Any, login: str, user_secret: bytes | None, pin: str | None = None,
           card: Card | None = None) -> SoftwareSigner | TokenSigner:
    """The connected user's signer; PermissionDenied when they have no signing key in the office, AuthError when
    theirs does not open with their unlock (use it as a context manager: the key is dropped at its end). A key on
    a card is opened with `pin` (card_signer; `card`: the card already open)."""
    ref = card_of(conn, login)
    if ref is not None:
        return card_signer(conn, login, ref, pin, card)
    found = signing_keys.mine(conn) if signing_keys.exists(conn) else None
    if found is None or user_secret is None:
        raise PermissionDenied(f"{login!r} has no signing key in this office (enrolled before offices kept them, or a "
                               "recovery-code session); ask the office administrator to enrol the user again")
    public, nonce, wrapped = found
    private = unwrap(login, user_secret, nonce, wrapped)
    if private is None or p.public_from_private(private) != public:
        raise AuthError(f"the signing key of {login!r} in the office does not open with this unlock (it was altered "
                        "on the server); nothing was signed")
    return SoftwareSigner(private)

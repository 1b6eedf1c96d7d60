"""Users whose signing key is on a PKCS#11 token (a PIV card; SoftHSM2 for trials).

Such a user still unlocks the store with their passphrase (it opens their keyslot, which holds the data key),
but signs with the card: decisions, approvals and letters take the card's PIN instead of the passphrase. The
PIN is never stored or logged; a wrong one counts towards the user's lockout like a wrong passphrase (the card
keeps its own count too, and locks itself).

Checkpoints: a signed note is Ed25519 (INTERCHANGE.md), which PIV cards do not offer but SoftHSM2 and newer
tokens do. When the token holds an Ed25519 key labelled `<key label>-checkpoint` (or the label given at
enrolment), that key is the user's checkpoint key and checkpoints are signed on the card; otherwise their
checkpoint key is a software key wrapped under their passphrase, as for every user. A checkpoint key on the
card signs without a prompt only while the card is open in this session: the PIN given for a signature (or
for `dws log checkpoint`) opens it, and it stays logged in until the session ends or the screen locks. Until
then the automatic checkpoints (witness folder) are skipped with a note; the next one covers the whole log.
"""

from __future__ import annotations

import dataclasses

from ..crypto import rng
from ..errors import AuthError, InputError
from ..keys import primitives as p
from ..keys.lockout import Lockout
from ..keys.pkcs11 import CHECKPOINT_SUFFIX, Card, CardEd25519, TokenRef, TokenSigner, WrongPin, module_path
from ..keys.signer import SoftwareSigner
from ..model import UserInfo
from ..store import auditlog, db, logtree
from ..store import users as users_sql
from .context import Ctx
from .users import CardCheckpointKey, check_new_user, enrol


def token_ref(s: Ctx, user: str | None = None) -> TokenRef | None:
    """Where the user's key lives (default: the signed-in user): a TokenRef, or None for a keyslot key."""
    name = user or s.user
    text = users_sql.token(s.conn, name) if name else None
    return TokenRef.from_json(text) if text else None


def _prove(signer: SoftwareSigner | TokenSigner | CardEd25519, what: str, ref: TokenRef, name: str) -> None:
    """The key signs a fresh challenge and the signature verifies with the public key read from the token."""
    challenge = b"dws/enrol|" + name.encode() + b"|" + rng.random_bytes(32)
    if not p.verify(signer.public_key, signer.sign(challenge), challenge):
        raise InputError(f"the {what} on {ref.where} signed a challenge that does not verify with its public key; "
                         "it was not enrolled")


def add_token_user(s: Ctx, name: str, role: str, passphrase: str, ref: TokenRef, pin: str) -> UserInfo:
    """(admin) Enrol `name` with the token's P-256 key `ref.key_label` as their signing key, after the PIN
    opens the card and the key signs a challenge. Their checkpoint key is the token's Ed25519 key
    `ref.checkpoint_key_label` (default `<key label>-checkpoint`) when the token holds one, else a software
    key wrapped under their passphrase."""
    check_new_user(s, name, role, passphrase)
    for field, value in (("token label", ref.token_label), ("key label", ref.key_label)):
        if not value.strip():
            raise InputError(f"give the {field} of the user's key on the token")
    ref = dataclasses.replace(ref, module=module_path(ref.module))
    explicit = ref.checkpoint_key_label is not None
    label = ref.checkpoint_key_label or ref.key_label + CHECKPOINT_SUFFIX
    with Card(ref, pin) as card:
        signer = TokenSigner(card, pin=pin, owns_card=False)
        _prove(signer, f"key {ref.key_label!r}", ref, name)
        public = signer.public_key
        checkpoint = card.ed25519(label)
        if checkpoint is None and explicit:
            raise InputError(f"{ref.where} holds no Ed25519 key labelled {label!r} for checkpoints")
        if checkpoint is not None:
            _prove(checkpoint, f"checkpoint key {label!r}", ref, name)
        signer.close()
    holder = users_sql.user_with_key(s.conn, public)
    if holder is not None:
        raise InputError(f"the key {ref.key_label!r} on {ref.where} is already enrolled for user {holder!r}; one "
                         "key signs for one person")
    ref = dataclasses.replace(ref, checkpoint_key_label=label if checkpoint is not None else None)

    def record(stretched: bytes) -> bytes:
        users_sql.insert_token_user(s.conn, name, role, public, ref.to_json(), created_by=s.user)
        s.log("user-added", name, {"role": role, "fingerprint": p.fingerprint(public), "key": "pkcs11",
                                   "module": ref.module, "token_label": ref.token_label, "key_label": ref.key_label})
        return public

    on_card = CardCheckpointKey(checkpoint.public_key, label) if checkpoint is not None else None
    return enrol(s, name, passphrase, record, on_card)


# --- the card in a session ----------------------------------------------------------------------------------

def _open(s: Ctx, ref: TokenRef, pin: str) -> Card:
    """Open the card with the PIN: a wrong PIN counts towards the lockout and is logged (at the next success)
    like a wrong passphrase; a user locked out cannot try PINs either."""
    assert s.user is not None
    lockout = Lockout(s.path)
    lockout.check(s.user)
    close_card(s)                     # a held card is logged out: the PIN is checked afresh every time
    try:
        card = Card(ref, pin)
    except WrongPin:
        lockout.record_failure(s.user, "pin-failed")
        raise
    for ev in lockout.record_success(s.user):
        with db.transaction(s.conn):
            auditlog.append(s.conn, ev["event"], user=ev["user"])
    return card


def checkpoint_on_card(s: Ctx) -> bool:
    """Is the signed-in user's checkpoint key on their token (so checkpoints need the card open)?"""
    if s.user is None:
        return False
    active = logtree.active_checkpoint_key(s.conn, s.user)
    return active is not None and active[1]


def open_card(s: Ctx, pin: str) -> None:
    """Open the card for this session's checkpoints (until the session ends, the screen locks or
    `close_card`). Nothing to do for a user whose checkpoint key is not on their card."""
    ref = token_ref(s)
    if ref is None or not checkpoint_on_card(s):
        return
    card = _open(s, ref, pin)
    try:
        _card_checkpoint_key(s, card, ref)
    except BaseException:
        card.close()
        raise
    s.card = card


def close_card(s: Ctx) -> None:
    card, s.card = s.card, None
    if card is not None:
        card.close()


def _card_checkpoint_key(s: Ctx, card: Card, ref: TokenRef) -> CardEd25519:
    assert s.user is not None and ref.checkpoint_key_label is not None
    key = card.ed25519(ref.checkpoint_key_label)
    active = logtree.active_checkpoint_key(s.conn, s.user)
    if key is None or active is None or key.public_key != active[0]:
        raise AuthError(f"{ref.where} does not hold the checkpoint key {ref.checkpoint_key_label!r} enrolled for "
                        f"{s.user} (another card?); nothing was signed")
    return key


def signer(s: Ctx, pin: str) -> TokenSigner:
    """The token user's signer, after the card's PIN opens the card. The card stays open for the session's
    checkpoints when their checkpoint key is on it; else closing the signer logs out."""
    ref = token_ref(s)
    assert ref is not None and s.user is not None
    card = _open(s, ref, pin)
    keep = checkpoint_on_card(s)
    try:
        token_signer = TokenSigner(card, pin=pin, owns_card=not keep)
        if token_signer.public_key != users_sql.public_key(s.conn, s.user):
            token_signer.close()
            raise AuthError(f"the key {ref.key_label!r} on {ref.where} is not the key enrolled for {s.user} "
                            "(another card?); nothing was signed")
        if keep:
            _card_checkpoint_key(s, card, ref)
            s.card = card
    except BaseException:
        card.close()
        raise
    return token_signer


def checkpoint_signer(s: Ctx) -> SoftwareSigner | CardEd25519 | None:
    """What signs this session's checkpoints now: the checkpoint key unwrapped at unlock, the card's Ed25519
    key while the card is open, or None (a recovery-code session; a card not opened yet)."""
    if s.user is None:
        return None
    if s.store.checkpoint_key is not None:
        return SoftwareSigner(s.store.checkpoint_key)
    ref = token_ref(s)
    if s.card is None or ref is None or ref.checkpoint_key_label is None:
        return None
    return _card_checkpoint_key(s, s.card, ref)


CARD_CLOSED = ("your checkpoint key is on your card, which is not open in this session: no checkpoint was "
               "signed; the next command that asks for the card's PIN (or 'dws log checkpoint') signs one, "
               "covering the whole log")

"""An office user's checkpoint key on their smart card (schema step 10; the local store's service/tokens.py for the
office): enrolled with `dws office enrol --user NAME --pkcs11-module ... --checkpoint-key-label C`, the office holds
its public key only (office/log_key.store_card_user_key), so their checkpoints are signed on the card, and only
while it is open in this session.

The card is opened for the session's checkpoints by `open_card` (the PIN: `dws log checkpoint`, the desktop's
prompt) or by a signature that takes the card's PIN (`signer`: decide, approve, letter), and stays logged in until
the session ends, the screen locks or `close_card`; while it is closed a checkpoint is not signed: the witness
folder gets none (tokens.CARD_CLOSED, a notice, never a failed command) and `dws log checkpoint` or a proof asks
for the PIN (AuthError). As locally, the PIN is never kept (only the card's own login is), logged or shown.
"""

from __future__ import annotations

from ..errors import AuthError
from ..keys.pkcs11 import Card, CardEd25519, TokenRef, TokenSigner
from ..keys.signer import SoftwareSigner
from ..office import signing_key
from .office_records import OfficeCtx

CARD_NEEDED = "your checkpoint key is on your card: give the card's PIN to sign a checkpoint"


def checkpoint_on_card(o: OfficeCtx) -> bool:
    """Is the user's checkpoint key on their card (checkpoints need the card open)?"""
    return o.card_checkpoint_key is not None


def _ref(o: OfficeCtx) -> TokenRef | None:
    ref = signing_key.card_of(o.conn, o.user or "") if checkpoint_on_card(o) else None
    return ref if ref is not None and ref.checkpoint_key_label is not None else None


def _key(o: OfficeCtx, card: Card, ref: TokenRef) -> CardEd25519:
    assert ref.checkpoint_key_label is not None
    key = card.ed25519(ref.checkpoint_key_label)
    if key is None or key.public_key != o.card_checkpoint_key:
        raise AuthError(f"{ref.where} does not hold the checkpoint key {ref.checkpoint_key_label!r} enrolled for "
                        f"{o.user} (another card?); nothing was signed")
    return key


def open_card(o: OfficeCtx, pin: str) -> None:
    """Open the card with `pin` for this session's checkpoints (a card held already is logged out first: the PIN is
    checked afresh). Nothing to do for a user whose checkpoint key is not on a card."""
    ref = _ref(o)
    if ref is None:
        return
    o.held.close()
    card = Card(ref, pin)
    try:
        _key(o, card, ref)
    except BaseException:
        card.close()
        raise
    o.held.card = card


def close_card(o: OfficeCtx) -> None:
    o.held.close()


def checkpoint_signer(o: OfficeCtx) -> SoftwareSigner | CardEd25519 | None:
    """What signs the user's checkpoints now: their checkpoint key opened at the unlock, the card's key while the
    card is open, or None (the card is closed; or the user has no key of their own: the office key signs)."""
    if o.user_checkpoint_key is not None:
        return SoftwareSigner(o.user_checkpoint_key)
    ref = _ref(o)
    if ref is None or o.held.card is None:
        return None
    return _key(o, o.held.card, ref)


def signer(o: OfficeCtx, login: str) -> SoftwareSigner | TokenSigner:
    """The user's signer for a decision, an approval or a letter (office/signing_key.signer); for a user whose
    checkpoint key is on the same card, the PIN given for it opens the card for the session's checkpoints too, as
    locally (tokens.signer), and the signer borrows that card."""
    if checkpoint_on_card(o) and o.card_pin:
        open_card(o, o.card_pin)
        return signing_key.signer(o.conn, login, o.user_secret, o.card_pin, card=o.held.card)
    return signing_key.signer(o.conn, login, o.user_secret, o.card_pin)

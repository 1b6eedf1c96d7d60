"""A user's office keyslot and database password (workstation/office/credential.py), without a server: what
opens a slot, what does not, and that the password comes from the user's own secret."""

from __future__ import annotations

import pytest

from workstation.crypto import STANDARD
from workstation.keys import kdf
from workstation.office import credential

OFFICE_KEY = bytes(range(32))
CHEAP = kdf.Pbkdf2(1000)


def test_the_passphrase_opens_the_office_key_and_the_users_password() -> None:
    slot, made = credential.new_slot("pat", "pat's passphrase", OFFICE_KEY, CHEAP)
    opened = credential.open_slot(slot, "pat's passphrase")
    assert opened == made and opened.office_key == OFFICE_KEY
    assert opened.password == made.password and len(opened.password) == 43
    assert OFFICE_KEY.hex() not in repr(opened) and opened.password not in repr(opened)
    assert credential.open_slot(slot, "pat's passphrasE") is None


def test_a_slot_does_not_open_for_another_login_or_altered() -> None:
    slot, _ = credential.new_slot("pat", "pw", OFFICE_KEY, CHEAP)
    moved = credential.Slot("cy", slot.kdf, slot.salt, slot.nonce, slot.wrapped)
    assert credential.open_slot(moved, "pw") is None
    flipped = credential.Slot("pat", slot.kdf, slot.salt, slot.nonce, bytes([slot.wrapped[0] ^ 1]) + slot.wrapped[1:])
    assert credential.open_slot(flipped, "pw") is None


def test_each_user_has_their_own_password_and_a_new_passphrase_keeps_it() -> None:
    _, pat = credential.new_slot("pat", "pw", OFFICE_KEY, CHEAP)
    _, cy = credential.new_slot("cy", "pw", OFFICE_KEY, CHEAP)
    assert pat.password != cy.password                     # the same office key, the same passphrase
    assert pat.password != credential.database_password("pat", OFFICE_KEY)
    again, _ = credential.new_slot("pat", "a new passphrase", OFFICE_KEY, CHEAP, pat.user_secret)
    reopened = credential.open_slot(again, "a new passphrase")
    assert reopened is not None and reopened.password == pat.password


def test_slots_under_argon2_and_as_the_server_returns_them() -> None:
    slot, made = credential.new_slot("pat", "pw", OFFICE_KEY, credential.slot_kdf(STANDARD))
    assert slot.kdf["algorithm"] == "argon2id"
    row = credential.slot_from_row("pat", slot.kdf_json(), slot.salt, slot.nonce, slot.wrapped)
    assert credential.open_slot(row, "pw") == made
    with pytest.raises(ValueError, match="damaged"):
        credential.slot_from_row("pat", '{"algorithm": "md5"}', slot.salt, slot.nonce, slot.wrapped)
    with pytest.raises(ValueError):
        credential.new_slot("pat", "pw", OFFICE_KEY[:16], CHEAP)

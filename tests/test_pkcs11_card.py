"""The card inside one session, with real SoftHSM2 tokens: pulled out while open, a locked or expired PIN (swapped
for another card with the same labels, and a crash while signing that must not carry the PIN: on both engines,
tests/test_engine_cards.py)."""

from __future__ import annotations

from pathlib import Path

import pkcs11
import pytest
from cardhelp import card_cli_fixture, card_demo_template_fixture  # noqa: F401
from clihelp import Cli
from conftest import CARD_PIN, SPARE_PIN

from workstation.errors import AuthError
from workstation.keys.pkcs11 import TokenRef, translate
from workstation.service import Workstation
from workstation.store import auditlog

PW = "card-user-passphrase"


def enrol(store: Path, softhsm, name: str, token: str, pin: str, key: str = "sign") -> None:
    from workstation.demo_store import demo_passphrase

    with Workstation(store).unlock("admin", demo_passphrase("admin")) as admin:
        admin.add_token_user(name, "reviewer", PW, TokenRef(softhsm.module, token, key), pin)


def test_a_card_pulled_out_while_open_stops_signing_with_a_clear_message_and_loses_nothing(cli: Cli,
                                                                                         softhsm) -> None:
    enrol(cli.store, softhsm, "sam", "dws-spare", SPARE_PIN)
    with Workstation(cli.store).unlock("sam", PW) as s:
        s.decide("DEMO-I2-VALID", "grant", None, SPARE_PIN)            # the card stays open for checkpoints
        assert s.checkpoint().signer == "sam"
        softhsm.delete("dws-spare")                                     # pulled out of the reader
        decisions = s.conn.execute("SELECT count(*) FROM decisions").fetchone()[0]
        head = auditlog.head(s.conn)
        with pytest.raises(AuthError, match="token 'dws-spare' was removed or stopped answering: insert the card"):
            s.checkpoint()
        outcome = s.append_witness()                                    # the lock's checkpoint: a warning only
        assert outcome.skipped and "token 'dws-spare' was removed" in (outcome.warning or "")
        with pytest.raises(AuthError, match=r"token 'dws-spare' (is not present|was removed)"):
            s.decide("DEMO-I2-PARTIAL", "partial", None, SPARE_PIN)
        assert s.conn.execute("SELECT count(*) FROM decisions").fetchone()[0] == decisions
        assert auditlog.head(s.conn) == head


def test_one_key_signs_for_one_person(cli: Cli, softhsm) -> None:
    enrol(cli.store, softhsm, "tara", "dws-card", CARD_PIN)
    with pytest.raises(Exception, match="is already enrolled for user 'tara'"):
        enrol(cli.store, softhsm, "tom", "dws-card", CARD_PIN)


@pytest.mark.parametrize(("error", "message"), [
    (pkcs11.exceptions.PinLocked, "the PIN of token 'L' is locked after too many wrong PINs; unblock it with the "
                                  "card's PUK"),
    (pkcs11.exceptions.PinExpired, "the PIN of token 'L' has expired"),
    (pkcs11.exceptions.PinIncorrect, "wrong card PIN for token 'L'"),
    (pkcs11.exceptions.DeviceRemoved, "token 'L' was removed or stopped answering"),
    (pkcs11.exceptions.TokenNotPresent, "token 'L' is not present: insert the card"),
    (pkcs11.exceptions.MechanismInvalid, "token 'L' cannot sign with key 'K' by ECDSA"),
])
def test_each_token_error_reads_plainly(error: type[Exception], message: str) -> None:
    """Errors SoftHSM2 cannot be made to give (it never locks a PIN): the same translation a card's gets."""
    assert str(translate(error(), TokenRef("/m.so", "L", "K"))).startswith(message)


def test_a_reset_gives_a_card_user_a_new_passphrase_and_keeps_the_key_on_the_card(cli: Cli, softhsm) -> None:
    enrol(cli.store, softhsm, "tara", "dws-card", CARD_PIN)
    with Workstation(cli.store).unlock("admin", "demo-admin-passphrase") as admin:
        before = next(u for u in admin.users() if u.name == "tara")
        after = admin.reset_user("tara", "tara-second-passphrase")
    assert after.fingerprint == before.fingerprint and after.token == "dws-card"
    with Workstation(cli.store).unlock("tara", "tara-second-passphrase") as s:
        assert s.checkpoint_on_card()                                   # the checkpoint key stays on the card
        s.decide("DEMO-I2-VALID", "grant", None, CARD_PIN)
        assert s.checkpoint().signer == "tara"

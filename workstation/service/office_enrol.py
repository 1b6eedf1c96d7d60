"""`dws office enrol` as the service offers it (INTERCHANGE.md): an office admin, unlocked with their passphrase
through their desktop's profile, issues a new desktop's certificate and folder, or enrols a user with an office
role (their login role and keyslot). The office server itself refuses both to anyone but the admin group.

These take an office profile, not a local store's Ctx: an office has no local store (workstation/office/).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from .. import clock as clocks
from ..crypto import DEFAULT_MODE, Mode, rng
from ..errors import InputError
from ..keys import primitives as p
from ..keys.pkcs11 import Card, CardEd25519, TokenRef, TokenSigner, module_path
from ..office import enrol
from ..office.profile import load
from ..office.unlock import open_office
from ..store.office import log as office_log
from ..store.office.roles import OFFICE_ROLES


@dataclass(frozen=True)
class EnrolledDesktop:
    desktop: str
    folder: Path
    profile: Path
    files: tuple[str, ...]


def enrol_desktop(profile_file: Path, admin: str, passphrase: str, desktop: str, out: Path) -> EnrolledDesktop:
    """A new desktop's certificate from the office CA, in the folder `out` with its key (0600), the office CA and
    a profile for the same server (profile_file's). Nothing is written unless all of it is. A name the office log
    records for a desktop already (revoked or not) is refused: a name is one desktop, so `office revoke --desktop
    NAME` revokes that desktop alone, and the log's entries naming it stay unambiguous."""
    profile = load(profile_file)
    with open_office(profile, admin, passphrase) as session:
        ca_private, ca_certificate = enrol.office_ca(session.conn, session.keys)
        enrol.refuse_taken_desktop(session.conn, desktop)
        written = enrol.write_desktop(out, profile, ca_private, ca_certificate, desktop, clocks.current().now())
        try:
            with session.conn.transaction():
                office_log.lock(session.conn)           # one name, one desktop: checked again in the log's order
                enrol.refuse_taken_desktop(session.conn, desktop)
                enrol.log_event(session.conn, admin, "office-desktop-enrolled", desktop,
                                enrol.certificate_detail(out / "desktop.pem"))
        except BaseException:
            enrol.remove_desktop(out)       # not logged, not enrolled: its key goes, and the certificate with it
            raise
    return EnrolledDesktop(desktop, out, written, enrol.DESKTOP_FILES)


def enrol_user(profile_file: Path, admin: str, passphrase: str, login: str, role: str, new_passphrase: str,
               mode: Mode = DEFAULT_MODE, token: TokenRef | None = None, pin: str | None = None) -> None:
    """Enrol `login` with an office role: their database login role and keyslot, opened by `new_passphrase`. With
    `token`, their signing key is that key on a smart card (`dws user add --pkcs11-module ...`'s): the PIN opens
    the card on this desktop, the key signs a challenge, and only its public key goes to the office (the user
    unlocks with their passphrase and signs with the card's PIN). With the token's `checkpoint_key_label` too, the
    card's Ed25519 key of that label is their checkpoint key (it signs a challenge first; schema step 10), as a local
    store's card user's. Nothing is enrolled unless all of it is."""
    profile = load(profile_file)
    card, checkpoint = _card_key(login, token, pin or "") if token is not None else (None, None)
    with open_office(profile, admin, passphrase, mode=mode) as session:
        enrol.enrol_user(session.conn, profile, session.office_key, login, role, new_passphrase, mode, by=admin,
                         card=card, card_checkpoint=checkpoint)


def _card_key(login: str, token: TokenRef, pin: str) -> tuple[tuple[bytes, TokenRef], bytes | None]:
    """((the card's P-256 public key, the reference with the module's full path), the public key of its Ed25519
    checkpoint key `token.checkpoint_key_label`, or None when none is named), after the PIN opens the card and each
    key signs a fresh challenge that verifies (the local enrolment's checks: tokens.add_token_user)."""
    for field, value in (("token label", token.token_label), ("key label", token.key_label)):
        if not value.strip():
            raise InputError(f"give the {field} of the user's key on the token")
    label = token.checkpoint_key_label
    if label is not None and not label.strip():
        raise InputError("give the label of the Ed25519 checkpoint key on the token", source="--checkpoint-key-label")
    if not pin:
        raise InputError("enter the card's PIN")
    ref = dataclasses.replace(token, module=module_path(token.module))
    with Card(ref, pin) as card:
        signer = TokenSigner(card, pin=pin, owns_card=False)
        _prove(login, signer, f"key {ref.key_label!r}", ref.where)
        checkpoint = None
        if label is not None:
            key = card.ed25519(label)
            if key is None:
                raise InputError(f"{ref.where} holds no Ed25519 key labelled {label!r} for checkpoints; nothing was "
                                 "enrolled", source="--checkpoint-key-label")
            _prove(login, key, f"checkpoint key {label!r}", ref.where)
            checkpoint = key.public_key
        public = signer.public_key
        signer.close()
    return (public, ref), checkpoint


def _prove(login: str, key: TokenSigner | CardEd25519, what: str, where: str) -> None:
    challenge = b"dws.office/enrol|" + login.encode() + b"|" + rng.random_bytes(32)
    if not p.verify(key.public_key, key.sign(challenge), challenge):
        raise InputError(f"the {what} on {where} signed a challenge that does not verify with its public key; it "
                         "was not enrolled")


ROLES = OFFICE_ROLES

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
from ..keys.pkcs11 import TokenRef, TokenSigner, module_path
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
    unlocks with their passphrase and signs with the card's PIN). Nothing is enrolled unless all of it is."""
    profile = load(profile_file)
    card = _card_key(login, token, pin or "") if token is not None else None
    with open_office(profile, admin, passphrase, mode=mode) as session:
        enrol.enrol_user(session.conn, profile, session.office_key, login, role, new_passphrase, mode, by=admin,
                         card=card)


def _card_key(login: str, token: TokenRef, pin: str) -> tuple[bytes, TokenRef]:
    """The card's P-256 public key, after the PIN opens the card and the key signs a fresh challenge that verifies
    (the local enrolment's checks: tokens.add_token_user), and the reference with the module's full path."""
    for field, value in (("token label", token.token_label), ("key label", token.key_label)):
        if not value.strip():
            raise InputError(f"give the {field} of the user's key on the token")
    if token.checkpoint_key_label is not None:
        raise InputError("an office's checkpoints are signed with the office's checkpoint key, not a user's: give no "
                         "--checkpoint-key-label for an office user", source="--checkpoint-key-label")
    if not pin:
        raise InputError("enter the card's PIN")
    ref = dataclasses.replace(token, module=module_path(token.module))
    with TokenSigner.open(ref, pin) as signer:
        challenge = b"dws.office/enrol|" + login.encode() + b"|" + rng.random_bytes(32)
        if not p.verify(signer.public_key, signer.sign(challenge), challenge):
            raise InputError(f"the key {ref.key_label!r} on {ref.where} signed a challenge that does not verify with "
                             "its public key; it was not enrolled")
        return signer.public_key, ref


ROLES = OFFICE_ROLES

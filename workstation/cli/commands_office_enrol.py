"""`dws office enrol` (INTERCHANGE.md): register_enrol adds it to the `office` group's subparsers.

    dws --user ADMIN office enrol --profile FILE --desktop NAME -o DIR
    dws --user ADMIN office enrol --profile FILE --user NAME --role ROLE
        [--pkcs11-module PATH --token-label LABEL --key-label LABEL]

The acting admin is the global `--user` (before `office`) or $DWS_USER, unlocked with their passphrase from its
usual sources; `--user` after `enrol` names the user enrolled, whose passphrase comes from a prompt,
`--new-passphrase-file FILE` or $DWS_NEW_PASSPHRASE. With the token options (`dws user add`'s) the user's signing
key is that key on a smart card: the card's PIN comes from `--pin-file FILE`, $DWS_PIN or a prompt, opens the card
on this desktop to read and prove the key, and is never stored; only the public key reaches the office.
"""

from __future__ import annotations

import argparse
import copy
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..model import OFFICE_ROLES
from . import common

if TYPE_CHECKING:
    from ..keys.pkcs11 import TokenRef


def register_enrol(office_sub: argparse._SubParsersAction[argparse.ArgumentParser],
                   parent: argparse.ArgumentParser) -> None:
    p = office_sub.add_parser(
        "enrol", parents=[_without_user(parent)],
        help="(admin) issue a desktop's TLS certificate from the office CA into a folder, or enrol a user with an "
             "office role (database login and keyslot)")
    p.add_argument("--profile", required=True, type=Path, metavar="FILE", help="the admin's office profile")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--desktop", metavar="NAME", help="the desktop to enrol (its certificate's name)")
    what.add_argument("--user", dest="enrol_user", metavar="NAME",
                      help="the user to enrol (the acting admin is the global --user, before 'office', or "
                           "$DWS_USER)")
    p.add_argument("-o", "--output", type=Path, metavar="DIR", help="with --desktop: the new desktop's folder")
    p.add_argument("--role", choices=OFFICE_ROLES, help="with --user: the user's office role")
    p.add_argument("--new-passphrase-file", metavar="FILE", help="with --user: the new user's passphrase "
                   "(else $DWS_NEW_PASSPHRASE, else a prompt)")
    common.add_token_options(
        p, "with --user, a signing key on a smart card (PKCS#11): the user still unlocks the office with their "
           "passphrase, and signs with the card's PIN",
        checkpoint_help="the Ed25519 key on the token that signs the user's checkpoints of the office log (else a "
                        "key the office keeps wrapped under their passphrase); signed on the card while it is open")
    p.set_defaults(func=cmd_enrol)


def _token(args: argparse.Namespace) -> TokenRef | None:
    """The card's key given with --pkcs11-module, --token-label and --key-label (all three, or none)."""
    if args.checkpoint_key_label is not None and not (args.pkcs11_module or args.token_label or args.key_label):
        raise UsageError("--checkpoint-key-label names a key on a token: give --pkcs11-module, --token-label and "
                         "--key-label too")
    return common.token_ref(args)


def _without_user(parent: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The global options but --user, which `enrol` spends on the user it enrols. Copies of the actions: the
    parent's own are shared by every subcommand and must not change."""
    options = argparse.ArgumentParser(add_help=False)
    for action in parent._actions:
        if action.option_strings and "--user" not in action.option_strings and "-h" not in action.option_strings:
            options._add_action(copy.copy(action))
    return options


def _admin(args: argparse.Namespace) -> str:
    name = args.user or os.environ.get("DWS_USER")
    if not name:
        raise UsageError("no admin: give the global --user NAME (before 'office') or set DWS_USER")
    return str(name)


def cmd_enrol(args: argparse.Namespace) -> int:
    from ..service import office_enrol

    desktop: str | None = args.desktop
    out: Path | None = args.output
    role: str | None = args.role
    if desktop is not None and (out is None or role is not None):
        raise UsageError("dws office enrol --desktop NAME takes -o DIR (and no --role)")
    if desktop is None and (role is None or out is not None):
        raise UsageError("dws office enrol --user NAME takes --role ROLE (and no -o)")
    token = _token(args)
    if token is not None and desktop is not None:
        raise UsageError("dws office enrol --desktop NAME takes no token options (a user's key is on a card)")
    admin = _admin(args)
    secret = common.passphrase(args)
    if desktop is not None and out is not None:
        done = office_enrol.enrol_desktop(args.profile, admin, secret, desktop, out)
        if args.json:
            common.emit_json({"desktop": done.desktop, "folder": str(done.folder), "profile": str(done.profile),
                              "files": list(done.files)})
        else:
            print(f"Enrolled desktop {done.desktop!r}: {', '.join(done.files)} in {done.folder} "
                  f"(its profile: {done.profile})")
        return 0
    assert role is not None
    new = common.read_secret(args, file_attr="new_passphrase_file", env="DWS_NEW_PASSPHRASE",
                             prompt=f"New passphrase for {args.enrol_user}: ", what="new passphrase", confirm=True)
    pin = common.pin(args) if token is not None else None       # opens the card to read and prove the key
    office_enrol.enrol_user(args.profile, admin, secret, args.enrol_user, role, new, token=token, pin=pin)
    if args.json:
        common.emit_json({"user": args.enrol_user, "role": role, "key": "keyslot" if token is None else "pkcs11",
                          "checkpoint_key_on_token": bool(token and token.checkpoint_key_label)})
    else:
        print(f"Enrolled {args.enrol_user!r} as {role} of the office")
        if token is not None:
            print(f"  the signing key is on {token.where} ({token.key_label!r}): {args.enrol_user} signs with the "
                  "card's PIN; the office holds its public key only")
            if token.checkpoint_key_label:
                print(f"  the checkpoint key is on the token too ({token.checkpoint_key_label!r}): {args.enrol_user}'s "
                      "checkpoints are signed on the card while it is open")
    return 0

"""Shared CLI plumbing: passphrase sources, unlocking, output.

Every `dws` imports this module to build its parser (`record_number`, `add_token_options`): the service is
imported by the functions that open a store, not here (main.py, "Start-up")."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..inputfiles import MAX_SECRET_BYTES, read_input_file
from ..paths import resolve_store
from ..service.office_profile import is_office_store

if TYPE_CHECKING:
    from ..keys.pkcs11 import TokenRef
    from ..model import WitnessOutcome
    from ..service import Session, Workstation
    from ..service.engine import StoreEngine


def read_secret(args: argparse.Namespace, *, file_attr: str, env: str, prompt: str, what: str,
                confirm: bool = False) -> str:
    """A secret from its file option, else its environment variable, else a prompt on a terminal.
    Never from a command-line argument."""
    path = getattr(args, file_attr, None)
    if path:
        try:
            text = read_input_file(path, MAX_SECRET_BYTES, what=f"a {what} file").decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"the {what} file is not UTF-8 text", source=path) from None
        value = text.rstrip("\r\n")
        if not value:
            raise InputError(f"the {what} file is empty", source=path)
        return value
    given = os.environ.get(env)
    if given:
        return given
    if sys.stdin is not None and sys.stdin.isatty():
        typed = getpass.getpass(prompt)
        if confirm and getpass.getpass("Again: ") != typed:
            raise InputError(f"the two {what}s differ")
        return typed
    flag = "--" + file_attr.replace("_", "-")
    raise UsageError(f"no {what}: type it at the prompt (on a terminal), or give {flag} FILE, or set {env}")


def passphrase(args: argparse.Namespace) -> str:
    return read_secret(args, file_attr="passphrase_file", env="DWS_PASSPHRASE", prompt="Passphrase: ",
                       what="passphrase")


def pin(args: argparse.Namespace) -> str:
    """The card's PIN, for a user whose signing key is on a PKCS#11 token: `--pin-file FILE`, `DWS_PIN` or a
    prompt, never an argument; never stored, logged or printed."""
    return read_secret(args, file_attr="pin_file", env="DWS_PIN", prompt="Card PIN: ", what="card PIN")


def signing_secret(args: argparse.Namespace, session: Session) -> str:
    """What signing asks for again right before it signs: the card's PIN for a key on a token, else the
    passphrase (same sources as for unlocking)."""
    return pin(args) if session.key_on_card() else passphrase(args)


def open_card_for_checkpoints(args: argparse.Namespace, session: Session) -> None:
    """A user whose checkpoint key is on their card: the PIN opens it before a checkpoint is signed."""
    if session.checkpoint_on_card():
        session.open_card(pin(args))


def workstation(args: argparse.Namespace) -> Workstation:
    from ..service import Workstation

    return Workstation(resolve_store(args.store))


def user_name(args: argparse.Namespace) -> str:
    name = args.user or os.environ.get("DWS_USER")
    if not name:
        raise UsageError("no user: give --user NAME or set DWS_USER")
    return name


def open_session(args: argparse.Namespace, secret: str | None = None) -> Session:
    """The user's session (unlocked with `secret`, else the passphrase from its usual sources); when it closes
    after writing to the log, a checkpoint goes to the witness folder."""
    session = workstation(args).unlock(user_name(args), secret if secret is not None else passphrase(args))
    changes = getattr(args, "changes", None)
    if changes is not None:         # main's record of what the command saved, for an error's last words
        changes.watch(session)
    session.before_close(lambda: append_witness(session))
    return session


def office_profile(args: argparse.Namespace) -> Path | None:
    """The office profile `--store` (or $DWS_STORE) names, or None for a store folder."""
    given = getattr(args, "store", None) or os.environ.get("DWS_STORE")
    path = Path(given).expanduser() if given else None
    return path if path is not None and is_office_store(path) else None


@contextmanager
def open_engine(args: argparse.Namespace) -> Iterator[StoreEngine]:
    """The user's store, whichever engine `--store` names (service/engine.py): a local store as `open_session`
    opens it, or an office profile's office session (the commands both engines run alike: `override`,
    `settings`, `user list`)."""
    profile = office_profile(args)
    if profile is None:
        with open_session(args) as session:
            yield session
        return
    from ..service.office_desktop import OfficeWorkstation

    with OfficeWorkstation(profile).unlock(user_name(args), passphrase(args)) as office:
        try:
            yield office
        finally:                    # as a local session's before_close: the office log's checkpoint
            append_witness(office)


def append_witness(session: StoreEngine, *, always: bool = False) -> None:
    """A checkpoint to the witness folder if the command wrote to the log (or `always`). A folder that is
    missing or cannot be written is a warning on stderr: the command's work stands, the next one catches up."""
    if not (always or session.wrote_to_log()):
        return
    tell_witness(session.append_witness())


def tell_witness(outcome: WitnessOutcome | None) -> None:
    """The witness folder's notice and warning, if any, on stderr."""
    if outcome is None:
        return
    if outcome.notice:
        print(f"dws: note: {outcome.notice}", file=sys.stderr)
    if outcome.warning:
        print(f"dws: warning: {outcome.warning}", file=sys.stderr)


ID_MAX = 2**63 - 1          # the largest id or sequence number the store holds


def record_number(text: str) -> int:
    """An argparse type for an id or sequence number (`--entry SEQ`, `--undo ID`): a whole number the store can
    hold, else a usage error (exit 2) instead of an overflow deep in the store."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= ID_MAX:
        raise argparse.ArgumentTypeError(f"must be from 1 to {ID_MAX:,}")
    return value


def add_token_options(parser: argparse.ArgumentParser, title: str, checkpoint_help: str) -> None:
    """The options that name a user's signing key on a smart card (PKCS#11), in a group of their own under
    `title`: `dws user add` and `dws office enrol --user` (`token_ref` reads them). `checkpoint_help`: what
    --checkpoint-key-label does on that command (a local store and an office keep the checkpoint key apart)."""
    t = parser.add_argument_group(title)
    t.add_argument("--pkcs11-module", metavar="PATH", help="the token's PKCS#11 module (a PIV card: OpenSC's "
                   "opensc-pkcs11.so; trials: SoftHSM2's libsofthsm2.so)")
    t.add_argument("--token-label", metavar="LABEL", help="the token's label")
    t.add_argument("--key-label", metavar="LABEL", help="the CKA_LABEL of the user's ECDSA P-256 private key")
    t.add_argument("--checkpoint-key-label", metavar="LABEL", help=checkpoint_help)


def token_ref(args: argparse.Namespace) -> TokenRef | None:
    """The card's key given with `add_token_options`' options: --pkcs11-module, --token-label and --key-label
    (all three, or none of them and no --checkpoint-key-label either)."""
    given = {"--pkcs11-module": args.pkcs11_module, "--token-label": args.token_label,
             "--key-label": args.key_label}
    if not any(given.values()) and args.checkpoint_key_label is None:
        return None
    missing = [flag for flag, value in given.items() if not value]
    if missing:
        raise UsageError(f"a key on a token needs --pkcs11-module, --token-label and --key-label (missing: "
                         f"{', '.join(missing)})")
    from ..keys.pkcs11 import TokenRef

    return TokenRef(args.pkcs11_module, args.token_label, args.key_label, args.checkpoint_key_label)


def emit_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


class TerminalProgress:
    """'\r 1,234,567 rows' on a terminal every 100,000 rows; silent otherwise."""

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.enabled = sys.stderr.isatty()
        self._next = 100_000

    def __call__(self, done: int, total: int | None) -> None:
        if self.enabled and done >= self._next:
            self._next = done + 100_000
            sys.stderr.write(f"\r  {done:,} {self.unit}")
            sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled and self._next > 100_000:
            sys.stderr.write("\r" + " " * 40 + "\r")

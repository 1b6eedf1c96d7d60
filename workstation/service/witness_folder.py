"""The witness folder: a checkpoint of the audit log appended outside the store on every lock and exit of
the desktop application and after every `dws` command that wrote to the log.

Where: the setting `witness_folder` (an office fixes it in the policy file, e.g. a removable drive or a share
the users can only add to); empty, a folder beside the store, `<store>-witness`, made on first use with a
notice that it should be moved. Writing never loses or blocks the user's work: a missing or unwritable
folder gives a warning (status bar, stderr) and nothing else, and the next write catches up, since every
checkpoint covers the whole log. A recovery-code session cannot sign one: it is skipped without a word.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from .. import clock as clocks
from ..errors import AuthError, DwsError
from ..model import WitnessOutcome
from ..store import logtree
from . import tokens
from .context import Ctx
from .witness import CHECKPOINT_SUFFIX, write_witness

SETTING = "witness_folder"
DEFAULT_SUFFIX = "-witness"


def default_folder(store: Path) -> Path:
    """`<store>-witness` beside the store folder (outside it: a copy of the store does not carry it)."""
    store = store.absolute()
    return store.parent / (store.name + DEFAULT_SUFFIX)


def folder(s: Ctx) -> tuple[Path, bool]:
    """(the witness folder, whether it is the default beside the store)."""
    value = str(s.setting(SETTING) or "").strip()
    if value:
        return Path(value).expanduser(), False
    return default_folder(s.path), True


def notice(where: Path, beside: str = "the store",
           how: str = "a setting, or the office policy's key") -> str:
    return (f"checkpoints of the audit log now go to {where}, beside {beside}; move them off this computer: "
            f"set '{SETTING}' ({how}) to a removable drive or a share the users cannot rewrite")


def unavailable(where: Path, why: str) -> str:
    return (f"the witness folder {where} is unavailable ({why}); no checkpoint was written there, the work is "
            "safe, and the next lock, exit or command catches up")


def append(s: Ctx) -> WitnessOutcome:
    """Sign a checkpoint now and write it to the witness folder. Never raises for the folder or the
    checkpoint: a problem is the outcome's warning."""
    if s.user is None:
        return WitnessOutcome(None)
    try:
        if tokens.checkpoint_signer(s) is None:
            return WitnessOutcome(None, notice=tokens.CARD_CLOSED)
    except DwsError as exc:              # the card was removed meanwhile: the work stands
        return WitnessOutcome(None, warning=f"no checkpoint was signed: {exc}")
    where, is_default = folder(s)
    told = None
    if is_default and not where.exists():
        try:
            where.mkdir(mode=0o700)
            told = notice(where)
        except OSError as exc:
            return WitnessOutcome(str(where), warning=unavailable(where, exc.strerror or type(exc).__name__))
    try:
        written = write_witness(s, where)
    except AuthError as exc:             # the card, not the folder
        return WitnessOutcome(None, warning=f"no checkpoint was signed: {exc}")
    except DwsError as exc:
        why = "missing or not a folder" if not where.is_dir() else getattr(exc, "message", str(exc))
        return WitnessOutcome(str(where), warning=unavailable(where, why))
    return WitnessOutcome(str(where), written.path, written.size, clocks.utc_stamp(), notice=told,
                          beside_store=is_default)


def status(s: Ctx) -> WitnessOutcome:
    """When the witness folder last received a checkpoint of this store (its newest file), or a warning
    when the folder cannot be read now."""
    if s.user is None:
        return WitnessOutcome(None)
    where, is_default = folder(s)
    return newest_in(where, is_default, f"dws-{logtree.store_id(s.conn)[:8]}-")


def newest_in(where: Path, is_default: bool, prefix: str) -> WitnessOutcome:
    """The newest checkpoint file named `prefix...` in the witness folder `where` (a local store's or an
    office's: office_witness_folder.py), as a status."""
    try:
        files = [(f.stat().st_mtime, f) for f in where.iterdir()
                 if f.name.startswith(prefix) and f.name.endswith(CHECKPOINT_SUFFIX)]
    except FileNotFoundError:       # the default folder is made at the first write
        return WitnessOutcome(str(where), warning=None if is_default else unavailable(where, "missing"))
    except OSError as exc:
        return WitnessOutcome(str(where), warning=unavailable(where, exc.strerror or type(exc).__name__))
    if not files:
        return WitnessOutcome(str(where))
    mtime, newest = max(files)
    size = newest.name[len(prefix):].split("-", 1)[0]
    stamp = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return WitnessOutcome(str(where), str(newest), int(size) if size.isdigit() else None, stamp,
                          beside_store=is_default)

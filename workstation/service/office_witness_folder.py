"""The witness folder of an office desktop (issue 12's witness folder, for the office log): a checkpoint of the
office log written outside the server on every lock and exit of the desktop application and after every `dws`
command that wrote to the office log, as a local store's (witness_folder.py) is of its own log.

Where: the `witness_folder` setting, which on an office only a desktop's office policy file sets (the office's own
value is read-only: office_settings.NOT_OFFICE_WIDE; `dws office migrate` does not move a local store's); else
the office profile's "witness" folder; else `<profile>-witness` beside the profile file (`office.json` ->
`office-witness`), made on first use with the local store's notice that it should be moved. Its files are named
by the office log's id (`dws-<id>-<size>-<user>.checkpoint`), so one folder can witness a local store and offices.

A user whose checkpoint key is on their card (office_card.py) gets no checkpoint while the card is closed, only the
local store's notice (tokens.CARD_CLOSED). As locally, writing never loses or blocks the user's work: a missing or
unwritable folder, or a server that is away, gives a warning and nothing else, and the next write catches up (every
checkpoint covers the whole log).
"""

from __future__ import annotations

from pathlib import Path

from .. import clock as clocks
from ..errors import DwsError, InputError
from ..model import WitnessOutcome, WitnessWrite
from ..office.profile import OfficeProfile
from ..store.office import log as office_log
from . import office_card, office_errors, office_settings, office_witness
from .office_records import OfficeCtx
from .tokens import CARD_CLOSED
from .witness import write_file
from .witness_folder import DEFAULT_SUFFIX, SETTING, newest_in, notice, unavailable


def default_folder(profile: Path) -> Path:
    """`<profile>-witness` beside the office profile file (its name without the extension)."""
    profile = profile.absolute()
    return profile.parent / (profile.stem + DEFAULT_SUFFIX)


def folder(o: OfficeCtx, profile: OfficeProfile) -> tuple[Path, bool]:
    """(the witness folder, whether it is the default beside the profile)."""
    value = str(office_settings.setting(o, SETTING) or "").strip()
    if value:
        return Path(value).expanduser(), False
    if profile.witness is not None:
        return profile.witness, False
    return default_folder(profile.path), True


def head(o: OfficeCtx) -> int:
    """The office log's last entry's seq (0 for an empty log): `wrote_to_log` compares it with the one at open."""
    with office_errors.mapped(lost="office server unreachable: the connection ended while the office log was read; "
                                   "try again when the server is back"):
        return office_log.head(o.conn)[0]


def write(o: OfficeCtx, where: Path) -> WitnessWrite:
    """Sign a checkpoint of the office log now and write it into the witness folder `where`, which must exist
    (InputError otherwise, as witness.write_witness)."""
    if not where.is_dir():
        raise InputError("the witness folder is missing or not a folder; the checkpoint was not written",
                         source=str(where))
    return write_file(where, office_witness.log_id(o), office_witness.sign_checkpoint(o))


def append(o: OfficeCtx, profile: OfficeProfile) -> WitnessOutcome:
    """A checkpoint of the office log to the witness folder now. Never raises for the folder, the checkpoint or
    the server: a problem is the outcome's warning."""
    if o.user is None or o.checkpoint_key is None:
        return WitnessOutcome(None)
    try:
        if office_card.checkpoint_on_card(o) and office_card.checkpoint_signer(o) is None:
            return WitnessOutcome(None, notice=CARD_CLOSED)
    except DwsError as exc:              # the card was removed meanwhile: the work stands
        return WitnessOutcome(None, warning=f"no checkpoint was signed: {exc}")
    try:
        where, is_default = folder(o, profile)
    except DwsError as exc:              # the server is away: the work stands, the next write catches up
        return WitnessOutcome(None, warning=f"no checkpoint was written to the witness folder: {exc}")
    told = None
    if is_default and not where.exists():
        try:
            where.mkdir(mode=0o700)
            told = notice(where, "the office profile", "the office policy's key, or the profile's \"witness\"")
        except OSError as exc:
            return WitnessOutcome(str(where), warning=unavailable(where, exc.strerror or type(exc).__name__))
    if not where.is_dir():
        return WitnessOutcome(str(where), warning=unavailable(where, "missing or not a folder"))
    try:
        written = write(o, where)
    except InputError as exc:            # the folder, not the checkpoint
        why = "missing or not a folder" if not where.is_dir() else exc.message
        return WitnessOutcome(str(where), warning=unavailable(where, why))
    except DwsError as exc:
        return WitnessOutcome(str(where), warning=f"no checkpoint was written to the witness folder {where}: {exc}")
    return WitnessOutcome(str(where), written.path, written.size, clocks.utc_stamp(), notice=told,
                          beside_store=is_default)


def status(o: OfficeCtx, profile: OfficeProfile) -> WitnessOutcome:
    """When the witness folder last received a checkpoint of this office's log, or a warning when the folder
    cannot be read now."""
    if o.user is None or o.checkpoint_key is None:
        return WitnessOutcome(None)
    where, is_default = folder(o, profile)
    return newest_in(where, is_default, f"dws-{office_witness.log_id(o)[:8]}-")


def after_command(o: OfficeCtx, profile: OfficeProfile, head_before: int) -> WitnessOutcome | None:
    """`dws`'s checkpoint after a command on an office: to the witness folder when the office log grew since
    `head_before` (the command wrote to it), else None. None too when the log cannot be read now (a lost server:
    the command has said so already, and the next command catches up)."""
    if o.conn.closed:
        return None
    try:
        if head(o) <= head_before:
            return None
    except DwsError:
        return None
    return append(o, profile)

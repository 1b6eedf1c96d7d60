"""`dws office revoke` and `dws office recover` as the service offers them (issue 19; additional admin commands,
not in INTERCHANGE.md's table): revoking a desktop's certificate (office/revoke.py) and setting a user's new
passphrase with the office's recovery code (office/recovery.py).

These take an office profile, not a local store's Ctx, as office_enrol.py's do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import clock as clocks
from ..crypto import DEFAULT_MODE, Mode
from ..errors import os_error
from ..fsutil import atomic_write
from ..office import recovery, revoke
from ..office.profile import load
from ..office.unlock import open_office
from . import office_demo
from .office_profile import CRL_FILE

SERVER_CRL = "root.crl"             # where the server's postgresql.conf says it is (ssl_crl_file, data directory)


@dataclass(frozen=True)
class RevokedDesktop:
    desktop: str
    revoked: tuple[str, ...]        # serials revoked now
    before: tuple[str, ...]         # serials of this desktop revoked earlier
    listed: int                     # certificates on the list
    crl_file: Path
    installed: bool                 # the demo cluster on this machine reads the list now
    sessions_ended: int | None      # the desktop's open sessions ended (None: an office made before this could be)


def revoke_desktop(profile_file: Path, admin: str, passphrase: str, desktop: str,
                   crl_out: Path | None = None) -> RevokedDesktop:
    """Revoke `desktop`'s certificates (logged), write the office CA's new revocation list to `crl_out` (default:
    office-crl.pem beside the profile) and, when the profile is a demo office's on this machine, put it in force
    on its server. Revoking a desktop revoked already writes the list again (nothing new is logged)."""
    profile = load(profile_file)
    out = crl_out or profile.path.parent / CRL_FILE
    with open_office(profile, admin, passphrase) as session:
        done = revoke.revoke_desktop(session.conn, session.keys, admin, desktop, clocks.current().now())
        try:
            atomic_write(out, done.crl_pem)
        except OSError as exc:
            raise os_error(exc, str(out), "the revocation is logged; run the command again to write the list") \
                from None
        installed = office_demo.install_crl(profile.path.parent, done.crl_pem)
        ended = revoke.end_sessions(session.conn, done)     # after the list is in force: they cannot come back
    return RevokedDesktop(done.desktop, done.revoked, done.before, done.listed, out, installed, ended)


def recover_user(profile_file: Path, code: str, login: str, new_passphrase: str,
                 mode: Mode = DEFAULT_MODE) -> recovery.Recovered:
    """With the office's recovery code: `login`'s new passphrase (a new keyslot and database password), logged."""
    return recovery.recover_user(load(profile_file), code, login, new_passphrase, mode=mode)

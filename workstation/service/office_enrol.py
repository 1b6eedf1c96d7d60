"""`dws office enrol` as the service offers it (INTERCHANGE.md): an office admin, unlocked with their passphrase
through their desktop's profile, issues a new desktop's certificate and folder, or enrols a user with an office
role (their login role and keyslot). The office server itself refuses both to anyone but the admin group.

These take an office profile, not a local store's Ctx: an office has no local store (workstation/office/).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import clock as clocks
from ..crypto import DEFAULT_MODE, Mode
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
               mode: Mode = DEFAULT_MODE) -> None:
    """Enrol `login` with an office role: their database login role and keyslot, opened by `new_passphrase`."""
    profile = load(profile_file)
    with open_office(profile, admin, passphrase, mode=mode) as session:
        enrol.enrol_user(session.conn, profile, session.office_key, login, role, new_passphrase, mode, by=admin)


ROLES = OFFICE_ROLES

"""A whole office (tests/officehelp.Office plus what `office init` makes beside the log and keyslots: records,
requests, signing keys, the registers, decisions) with one user of each role enrolled, and `psql` as any of them
over the office's TLS connection with the password their keyslot gives (the real client binary).

    office, profile = signed_office(tmp_path)
    done = psql_as(office, profile, "pat", "DELETE FROM dws.decisions")
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from clihelp import Result, run_dws
from officehelp import ADMIN, ADMIN_PASSPHRASE, DBNAME, Office
from test_office_insider_pg import psql

from workstation.office import credential
from workstation.office.profile import OfficeProfile
from workstation.office.unlock import fetch_slot
from workstation.store.office import evaluations, records, requests
from workstation.store.office.schema import create_signed, overrides_and_settings

USERS = {"pat": "preparer", "pam": "preparer", "abe": "approver", "amy": "approver", "cal": "counsel",
         "aud": "auditor", ADMIN: "admin"}


def passphrase(login: str) -> str:
    return ADMIN_PASSPHRASE if login == ADMIN else f"{login}'s office passphrase"


def signed_office(folder: Path) -> tuple[Office, OfficeProfile]:
    """The office on a new TLS server (stop it with office.server.stop()) and a desktop's profile in `folder`."""
    office = Office.start()
    with office.superuser() as conn, conn.transaction():
        records.create(conn, office.roles)
        requests.create(conn, office.roles)
        evaluations.create(conn, office.roles)
        create_signed(conn, office.roles)
        overrides_and_settings(conn, office.roles)
    for login, role in USERS.items():
        if login != ADMIN:
            office.enrol(login, role, passphrase(login))
    return office, office.desktop(folder / "desk")


def password(profile: OfficeProfile, office: Office, login: str) -> str:
    slot = fetch_slot(profile, login, office.roles)
    assert slot is not None
    opened = credential.open_slot(slot, passphrase(login))
    assert opened is not None
    return opened.password


def psql_as(office: Office, profile: OfficeProfile, login: str, statement: str) -> subprocess.CompletedProcess[str]:
    """`psql -c statement` as `login` over TLS (verify-full, the desktop's certificate, the keyslot's password)."""
    return psql(profile, login, password(profile, office, login), statement)


def dws(profile: Path, user: str, *args: str) -> Result:
    """`dws --store PROFILE` as `user` in a subprocess."""
    return run_dws(profile, *args, env={"DWS_USER": user, "DWS_PASSPHRASE": passphrase(user)})


def dump(office: Office) -> tuple[str, str]:
    """(pg_dump's text of the office database, every bytea in it decoded): where a leak would show."""
    done = subprocess.run([str(office.server.bin / "pg_dump"), "-h", str(office.server.socket_dir), "-p",
                           str(office.server.port), "-U", "postgres", "--no-owner", DBNAME],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    decoded = b"".join(bytes.fromhex(h) for h in re.findall(r"\\\\x([0-9a-f]+)", done)).decode("latin-1")
    return done, decoded


def leaks(office: Office, spellings: list[str]) -> list[str]:
    """The spellings found in the dump or in any bytea of it, case-insensitively."""
    text, decoded = dump(office)
    return [s for s in spellings for hay in (text.lower(), decoded.lower()) if s.lower() in hay]

"""What the CLI and the GUI ask of `--store` before they open anything: whether it names an office profile, and
the office's files beside a profile. Cheap to import (no psycopg): every `dws` picks its engine and builds its
parser with it (cli/main.py, "Start-up"); service/office_session.py re-exports `is_office_store`."""

from __future__ import annotations

from pathlib import Path

from ..office.profile import is_profile

# The office CA's revocation list, beside the profile: `dws office init` writes it empty, `dws office revoke` the
# next one (unless told where).
CRL_FILE = "office-crl.pem"


def is_office_store(path: Path) -> bool:
    """Whether `--store PATH` names an office profile (a file) rather than a store folder."""
    return is_profile(path)

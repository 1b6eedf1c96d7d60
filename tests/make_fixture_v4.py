"""Writes tests/data/stores/v4: a store at schema version 4 (letters, before evaluation digests), for the migration
tests: the letter-test requests imported and evaluated, LTR-PARTIAL decided and approved, LTR-DENY-SUBJECTS
decided (final without approval), a letter issued. Run once, with the code of schema version 4 (a git worktree
of the last commit before 0005: PYTHONPATH=<worktree> python <worktree>/tests/make_fixture_v4.py), then copy
the folder here."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).parent))

import letterdata

from workstation.store import db

OUT = Path(__file__).parent / "data" / "stores" / "v4"


def main() -> None:
    os.environ["DWS_NO_KEYRING"] = "1"
    os.umask(0o077)
    shutil.rmtree(OUT, ignore_errors=True)
    upto4 = [m for m in db.migrations() if m[0] <= 4]
    work = Path(tempfile.mkdtemp(prefix="dws-fixture-v4-"))
    try:
        with mock.patch.object(db, "migrations", lambda: upto4), mock.patch.object(db, "SCHEMA_VERSION", 4):
            letterdata.build_store(OUT, work, ("LTR-PARTIAL", "LTR-DENY-SUBJECTS"))
            letterdata.decide(OUT, "LTR-PARTIAL", "partial", approve=True)
            letterdata.decide(OUT, "LTR-DENY-SUBJECTS", "deny", approve=False)
            from workstation.service import Workstation as W

            with W(OUT).unlock("rita", letterdata.passphrase("rita")) as s:
                s.letter("LTR-PARTIAL")              # a letter issued under schema 4
            from workstation.service import Workstation

            with Workstation(OUT).unlock("admin", letterdata.ADMIN_PW) as s:
                assert db.schema_version(s.conn) == 4
                s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for extra in ("store.db-wal", "store.db-shm", ".lockout.lock", "lockout.json"):
        (OUT / extra).unlink(missing_ok=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

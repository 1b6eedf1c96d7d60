"""Writes tests/data/stores/v1: a store at schema version 1 (as the first release made it), for the
migration tests. Run once when a schema version is frozen: python tests/make_fixture_v1.py"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from unittest import mock

from workstation.store import db

OUT = Path(__file__).parent / "data" / "stores" / "v1"
PASSPHRASE = "fixture-admin-passphrase"


def main() -> None:
    os.environ["DWS_NO_KEYRING"] = "1"
    shutil.rmtree(OUT, ignore_errors=True)
    v1 = [m for m in db.migrations() if m[0] == 1]
    with mock.patch.object(db, "migrations", lambda: v1), mock.patch.object(db, "SCHEMA_VERSION", 1):
        from workstation.store import opening

        store, _code, _notice = opening.create(OUT, "admin", PASSPHRASE, fixed={})
        conn = store.conn
        with db.transaction(conn):
            pkg = {"request_id": "V1-REQ", "authority": "6103(i)(2)"}
            conn.execute("INSERT INTO requests (rid, request_id, received_on, authority, agency, agency_code, due_on, "
                         "subject_count, status, package, package_hash, source, imported_at, imported_by) VALUES "
                         "(1, 'V1-REQ', '2026-01-05', '6103(i)(2)', 'Department of Justice', 'DOJ-FBI', "
                         "'2026-02-04', 2, 'new', ?, 'x', 'v1.json', '2026-01-05T00:00:00Z', 'admin')",
                         (json.dumps(pkg),))
            conn.executemany("INSERT INTO subjects (rid, seq, ref, name, tin, street, city, state, zip, periods, "
                             "case_no, reason) VALUES (1, ?, ?, ?, ?, '1 Main St', 'Austin', 'TX', '78701', "
                             "'2024', NULL, NULL)",
                             [(0, "1", "Ann Fixture", "912-70-1234"), (1, "2", "Bob Fixture", "not-a-tin")])
        assert db.schema_version(conn) == 1
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.close()
    for extra in ("store.db-wal", "store.db-shm", ".lockout.lock", "lockout.json"):
        (OUT / extra).unlink(missing_ok=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

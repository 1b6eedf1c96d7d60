"""Court orders and agency register entries in the office store (issue 19, i19d), through the CLI on an office
profile: parsed as the local store parses them (a bad order's message on both engines:
tests/test_engine_bad_files.py), sealed on the desktop (the server's
dump holds no caption, court or note), written by counsel alone (the desktop says so in the local store's words,
and the server refuses anyone else itself), logged as the local store logs them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from letterdata import COURT_ORDER
from officehelp import ADMIN, Office
from officesigned import dws, leaks, passphrase, signed_office

from workstation.errors import PermissionDenied
from workstation.intake import read_court_order
from workstation.model import AgencyEntry
from workstation.office.profile import OfficeProfile
from workstation.office.unlock import open_office
from workstation.service.office_enrol import enrol_user
from workstation.service.office_orders import agencies, court_orders
from workstation.service.office_records import OfficeCtx
from workstation.store.office import log as office_log
from workstation.store.office import orders as orders_sql
from workstation.store.office import signing_keys

AGENCY = {"format": "dws.agency/1", "agency_code": "DHS-ICE", "name": "Immigration and Customs Enforcement",
          "safeguards_current": True, "open_findings": 0, "corrective_plan": False, "last_review": "2025-06-30"}
CAPTION = "Wilhelmina Thorncastle v. Internal Revenue Service"
NOTE = "Stay of the address-sharing policy for Wilhelmina Thorncastle"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Office, OfficeProfile]]:
    started, profile = signed_office(tmp_path_factory.mktemp("orders"))
    yield started, profile
    started.server.stop()


def write(path: Path, doc: dict[str, object]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def entries(office: Office) -> list[tuple[object, ...]]:
    with office.superuser() as conn:
        return office_log.entries(conn)


def test_counsel_imports_and_updates_an_order_sealed_and_logged(office: tuple[Office, OfficeProfile],
                                                                tmp_path: Path) -> None:
    server, profile = office
    order = write(tmp_path / "order.json", {**COURT_ORDER, "caption": CAPTION, "note": NOTE})
    done = dws(profile.path, "cal", "import", "order", str(order))
    assert (done.code, done.out) == (0, "Imported court order 1:25-cv-00457 from order.json into the office.\n"), \
        done.err
    again = dws(profile.path, "cal", "import", "order", str(write(order, {**COURT_ORDER, "caption": CAPTION,
                                                                              "note": NOTE, "status": "stayed"})))
    assert (again.code, again.out) == (0, "Updated court order 1:25-cv-00457 from order.json into the office.\n")
    as_json = dws(profile.path, "cal", "import", "order", str(order), "--json")
    assert json.loads(as_json.out)["replaced"] == 1
    with open_office(profile, "aud", passphrase("aud")) as session:      # every role reads the register, opened
        opened = court_orders(OfficeCtx(session.conn, session.keys, "aud"))
    assert opened == [read_court_order(order)]
    log = [(e[2], e[3], e[4], json.loads(str(e[5]))) for e in entries(server)][-3:]
    assert [entry[:3] for entry in log] == [("cal", "court-order-imported", "1:25-cv-00457"),
                                            ("cal", "court-order-updated", "1:25-cv-00457"),
                                            ("cal", "court-order-updated", "1:25-cv-00457")]
    assert log[0][3] == {"status": "active", "recipients": ["DHS-ICE"], "purposes": ["*"], "items": ["address"]}
    spellings = [CAPTION, "Thorncastle", "Wilhelmina", NOTE, "address-sharing", COURT_ORDER["court"], "Columbia"]
    assert leaks(server, spellings) == []


def test_past_the_desktops_check_the_server_refuses_a_non_counsel_order(office: tuple[Office, OfficeProfile]) -> None:
    """The desktop's refusal, in the local store's words for every role: tests/test_engine_orders.py, on both
    engines. Past it, the server refuses it itself, in one line, and nothing changes."""
    server, profile = office
    before = entries(server)
    with (open_office(profile, "pat", passphrase("pat")) as session,
          pytest.raises(psycopg.errors.InsufficientPrivilege), session.conn.transaction()):
        orders_sql.put_order(session.conn, "1:26-cv-00999", "active", "2025-11-21", "2025-11-21", None,
                             b"\x01" + bytes(40))
    assert entries(server) == before
    with server.superuser() as conn:
        assert conn.execute("SELECT count(*) FROM dws.court_orders WHERE case_no = '1:26-cv-00999'").fetchone() == (0,)


def test_agency_entries_by_counsel_or_an_admin(office: tuple[Office, OfficeProfile], tmp_path: Path) -> None:
    _server, profile = office
    entry = write(tmp_path / "agency.json", AGENCY)
    done = dws(profile.path, ADMIN, "import", "agency", str(entry))
    assert (done.code, done.out) == (0, "Imported agency entry DHS-ICE from agency.json into the office.\n"), done.err
    refused = dws(profile.path, "pat", "import", "agency", str(entry))
    assert refused.err.strip() == ("dws: only an admin or counsel user may import agency register entries (you are "
                                   "preparer)")
    with open_office(profile, "pat", passphrase("pat")) as session:
        assert agencies(OfficeCtx(session.conn, session.keys, "pat")) == [
            AgencyEntry("DHS-ICE", AGENCY["name"], True, 0, False, "2025-06-30")]  # type: ignore[arg-type]


def test_an_enrolled_user_gets_a_signing_key_that_opens_with_their_unlock(office: tuple[Office, OfficeProfile]) -> None:
    from workstation.office import signing_key

    server, profile = office
    enrol_user(profile.path, ADMIN, passphrase(ADMIN), "nia", "preparer", "nia's office passphrase")
    with open_office(profile, "nia", "nia's office passphrase") as session:
        with signing_key.signer(session.conn, "nia", session.user_secret) as signer:
            assert signer.public_key == signing_keys.public_key(session.conn, "nia")
        with pytest.raises(PermissionDenied):
            signing_key.signer(session.conn, "nia", None)      # a session without the user's secret signs nothing
    with server.superuser() as conn:
        assert conn.execute("SELECT created_by FROM dws.office_signing_keys WHERE login = 'nia'").fetchone() == (ADMIN,)

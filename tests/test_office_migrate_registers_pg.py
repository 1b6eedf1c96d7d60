"""`dws office migrate` and the registers (issue 19 item 6, i19x), through the real `dws` against a real TLS
PostgreSQL office: the admin's migration moves the agency register in its one transaction (sealed as `dws import
agency` seals it); the court-order register, which the server lets counsel alone write, counsel moves afterwards
with `--court-orders` (one transaction, sealed as `dws import order` seals it, checkpointed before and after).
Every count equal, every entry opening on the desktop to the local one, the log whole and extending the
checkpoints; counsel before the store is in, the admin with `--court-orders`, a second run and an agency code the
office holds already are each refused in one line with the office unchanged."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from clihelp import Result, run_dws
from conftest import ADMIN_PW, COUNSEL_PW, staffed
from letterdata import COURT_ORDER
from officehelp import ADMIN, Office
from officesigned import passphrase, signed_office

from workstation.canonical import canonical_json
from workstation.office.sealing import OfficeKeys
from workstation.service import Workstation
from workstation.service.office_migrate import MIGRATED
from workstation.service.office_migrate_orders import MIGRATED_ORDERS
from workstation.store import orders as local_orders
from workstation.store.office import log
from workstation.store.office import orders as orders_sql

SECOND_ORDER = {**COURT_ORDER, "case_no": "2:26-cv-01234", "caption": "Doe v. Roe", "signed_on": "2026-02-03",
                "effective_from": "2026-02-03", "enjoined_recipients": ["DOJ-FBI"], "note": "Second order"}
AGENCIES = [{"format": "dws.agency/1", "agency_code": code, "name": name, "safeguards_current": current,
             "open_findings": findings, "corrective_plan": False, "last_review": "2026-01-15"}
            for code, name, current, findings in (("DOJ-FBI", "Federal Bureau of Investigation", True, 0),
                                                   ("DHS-ICE", "Immigration and Customs Enforcement", False, 3))]


@dataclass
class Setting:
    office: Office
    profile: Path
    store: Path
    keys: OfficeKeys
    witness: Path


@pytest.fixture
def setting(tmp_path: Path) -> Iterator[Setting]:
    office, desk = signed_office(tmp_path)
    store = tmp_path / "store"
    session = staffed(Workstation(store))
    session.close()
    files = tmp_path / "files"
    files.mkdir()
    with Workstation(store).unlock("cora", COUNSEL_PW) as cora:
        for i, doc in enumerate([COURT_ORDER, SECOND_ORDER]):
            (files / f"order{i}.json").write_text(json.dumps(doc), encoding="utf-8")
            cora.import_order(files / f"order{i}.json")
        for i, doc in enumerate(AGENCIES):
            (files / f"agency{i}.json").write_text(json.dumps(doc), encoding="utf-8")
            cora.import_agency(files / f"agency{i}.json")
    witness = tmp_path / "witness"
    witness.mkdir()
    yield Setting(office, desk.path, store, OfficeKeys.derive(office.office_key), witness)
    office.server.stop()


def migrate(s: Setting, user: str, *more: str, local: tuple[str, str] = ("admin", ADMIN_PW)) -> Result:
    return run_dws(s.profile, "--user", user, "office", "migrate", "--profile", str(s.profile), "--from",
                   str(s.store), "--from-user", local[0], "--witness", str(s.witness), *more,
                   env={"DWS_PASSPHRASE": passphrase(user), "DWS_FROM_PASSPHRASE": local[1]})


def registers(s: Setting) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(case number -> opened order, agency code -> opened entry) of the office's registers."""
    with s.office.superuser() as conn:
        orders = {c: s.keys.open(orders_sql.ORDERS_TABLE, c, v) for c, v in orders_sql.orders(conn)}
        agencies = {c: s.keys.open(orders_sql.AGENCIES_TABLE, c, v) for c, v in orders_sql.agencies(conn)}
    return orders, agencies


def local_registers(s: Setting) -> tuple[dict[str, bytes], dict[str, bytes]]:
    with Workstation(s.store).unlock("admin", ADMIN_PW) as admin:
        conn = admin.conn
        return ({o.case_no: canonical_json(dataclasses.asdict(o)) for o in local_orders.all_orders(conn)},
                {a.agency_code: canonical_json(dataclasses.asdict(a)) for a in local_orders.all_agencies(conn)})


def refused(done: Result) -> str:
    assert done.code == 1 and done.out == "" and len(done.err.strip().splitlines()) == 1, (done.out, done.err)
    return done.err.strip().removeprefix("dws: ")


def entries(s: Setting) -> list[tuple[object, ...]]:
    with s.office.superuser() as conn:
        return log.entries(conn)


def test_the_registers_move_in_the_agencies_with_the_store_the_orders_by_counsel(setting: Setting) -> None:
    s = setting
    local_orders_opened, local_agencies_opened = local_registers(s)
    assert (len(local_orders_opened), len(local_agencies_opened)) == (2, 2)
    early = migrate(s, "cal", "--court-orders", local=("cora", COUNSEL_PW))
    assert refused(early).startswith("this local store (") and refused(early).endswith(
        "is not in the office yet: an office admin migrates it first ('dws office migrate'); nothing was changed")
    done = migrate(s, ADMIN)
    assert done.code == 0, done.err
    assert "  2 agency register entries\n" in done.out
    assert "Not migrated (the local store keeps them): evaluations, decisions, approvals, letters and users.\n" in \
        done.out
    assert done.out.endswith("Left for counsel, whom the server lets alone write the court-order register and set the "
                             "rule thresholds: 2 court orders: dws --user COUNSEL office migrate --profile FILE --from "
                             "DIR --court-orders\n")
    orders, agencies = registers(s)
    assert (orders, agencies) == ({}, local_agencies_opened)         # each entry opens to the local one
    assert json.loads(str(entries(s)[-1][5]))["agencies"] == 2 and entries(s)[-1][3] == MIGRATED
    # the admin may not move the court orders (nor may the server let them), counsel may
    before = entries(s)
    assert refused(migrate(s, ADMIN, "--court-orders")) == (
        f"only counsel may move a local store's court orders and rule thresholds into the office (the server lets "
        f"counsel alone write the court-order register and set the rule thresholds; {ADMIN} is not counsel there); "
        "nothing was changed")
    assert entries(s) == before
    moved = migrate(s, "cal", "--court-orders", "--json", local=("cora", COUNSEL_PW))
    assert moved.code == 0, moved.err
    out = json.loads(moved.out)
    assert (out["court_orders"], sorted(out["case_numbers"])) == (2, sorted(local_orders_opened))
    orders, agencies = registers(s)
    assert (orders, agencies) == (local_orders_opened, local_agencies_opened)
    after = entries(s)
    assert after[-1][3] == MIGRATED_ORDERS and after[-1][8] == "cal" and len(after) == len(before) + 1
    assert out["checkpoints"]["office_before"]["size"] == len(before)
    assert out["checkpoints"]["office_after"]["size"] == len(after)
    verified = run_dws(s.profile, "verify", "--against", str(s.witness), "--json",
                       env={"DWS_USER": "aud", "DWS_PASSPHRASE": passphrase("aud")})
    assert verified.code == 0, verified.out + verified.err
    assert [w["ok"] for w in json.loads(verified.out)["witnesses"]] == [True] * 4     # before/after, twice
    again = migrate(s, "cal", "--court-orders", local=("cora", COUNSEL_PW))
    assert "court orders were moved into the office on " in refused(again) and refused(again).endswith(
        "by cal (office log entry " + str(len(after)) + "); they are moved once; nothing was changed")
    assert registers(s) == (local_orders_opened, local_agencies_opened) and entries(s) == after
    # the office's evaluation reads the migrated register: counsel lists it as the office keeps it
    listed = run_dws(s.profile, "list", env={"DWS_USER": "cal", "DWS_PASSPHRASE": passphrase("cal")})
    assert listed.code == 0, listed.err


def test_an_agency_code_the_office_holds_stops_it_and_nothing_changes(setting: Setting, tmp_path: Path) -> None:
    s = setting
    agency = tmp_path / "agency.json"
    agency.write_text(json.dumps(AGENCIES[1]), encoding="utf-8")
    done = run_dws(s.profile, "import", "agency", str(agency), env={"DWS_USER": "cal",
                                                                    "DWS_PASSPHRASE": passphrase("cal")})
    assert done.code == 0, done.err
    before, registered = entries(s), registers(s)
    assert refused(migrate(s, ADMIN)) == ("agency DHS-ICE is already in the office's agency register; an entry is in "
                                          "the office once (its counsel or admin keeps it there); nothing was "
                                          "migrated")
    assert entries(s) == before and registers(s) == registered
    with s.office.superuser() as conn:
        assert conn.execute("SELECT count(*) FROM dws.requests").fetchone() == (0,)

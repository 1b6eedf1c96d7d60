"""The demo generator writes files in exactly the INTERCHANGE.md formats, deterministically."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from stdnum.us import ein, itin, ssn

from workstation.demo import DemoManifest, DemoRequest, generate
from workstation.demo.bulk import write_bulk
from workstation.demo.taxpayers import TaxpayerFactory, write_records
from workstation.model import (
    AUTHORITIES,
    ELEMENTS,
    ORDER_STATUSES,
    PURPOSE_CATEGORIES,
    SIGNER_ROLES,
    STATUTE_CLASSES,
)
from workstation.normalize import address_key, name_control

TODAY = date(2026, 11, 2)

# Straight from spec/INTERCHANGE.md (not from the generator's own constants).
RECORDS_HEADER = ["tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
                  "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account",
                  "wages", "employer", "interest", "hold"]
SUBJECTS_CSV_HEADER = ["ref", "name", "tin", "street", "city", "state", "zip", "periods", "case_no", "reason"]
REQUEST_KEYS = {"format", "request_id", "received_on", "authority", "in_writing", "requester", "signer",
                "statute", "purpose", "solely_for_use_certified", "officers", "items", "periods", "subjects",
                "subjects_csv", "court_order", "consent"}
REQUESTER_KEYS = {"agency", "component", "agency_code", "address_lines"}
SIGNER_KEYS = {"name", "title", "role", "signature_present"}
OFFICER_KEYS = {"name", "title", "active_matters"}
SUBJECT_KEYS = {"ref", "name", "tin", "address", "periods", "case_no", "reason"}
ADDRESS_KEYS = {"street", "city", "state", "zip"}
COURT_ORDER_REF_KEYS = {"court", "judge", "case_no", "signed_on", "items", "periods"}
CONSENT_KEYS = {"taxpayer_name", "taxpayer_tin", "designee", "items", "periods", "signed_on",
                "signature_present"}
ORDER_KEYS = {"format", "court", "case_no", "caption", "signed_on", "effective_from", "effective_to",
              "status", "enjoined_recipients", "enjoined_purposes", "enjoined_items", "note"}
AGENCY_KEYS = {"format", "agency_code", "name", "safeguards_current", "open_findings", "corrective_plan",
               "last_review"}
ALL_CODES = ["AUTHORITY", "WRITING", "RECEIVED", "SIGNER", "STATUTE", "PURPOSE", "OFFICERS", "ITEMS", "CONSENT",
             "ORDER", "PERIODS", "COURT-ORDER", "SAFEGUARDS", "BULK", "NAME", "ADDRESS", "REASON", "MATCH",
             "ADDRESS-MATCH", "HOLD", "PERIOD-RECORD"]
TIN_FORMAT = {"SSN": re.compile(r"\d{3}-\d{2}-\d{4}"), "ITIN": re.compile(r"9\d{2}-\d{2}-\d{4}"),
              "EIN": re.compile(r"\d{2}-\d{7}")}
TIN_CHECK = {"SSN": ssn.is_valid, "ITIN": itin.is_valid, "EIN": ein.is_valid}
MONEY = ("agi", "total_tax", "refund", "wages", "interest")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoManifest]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate(out, taxpayers=2000, bulk_subjects=1500, seed=7, today=TODAY)


@pytest.fixture(scope="module")
def records(demo: tuple[Path, DemoManifest]) -> dict[str, list[dict[str, str]]]:
    by_tin: dict[str, list[dict[str, str]]] = defaultdict(list)
    with demo[1].records_csv.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_tin[row["tin"]].append(row)
    return by_tin


@pytest.fixture(scope="module")
def docs(demo: tuple[Path, DemoManifest]) -> dict[str, dict[str, Any]]:
    return {r.request_id: json.loads(r.path.read_text(encoding="utf-8")) for r in demo[1].requests}


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _is_iso(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", text))


# -- determinism ---------------------------------------------------------------------------------------------

def test_same_seed_and_arguments_give_identical_bytes(tmp_path: Path) -> None:
    generate(tmp_path / "a", taxpayers=1000, bulk_subjects=300, seed=3, today=TODAY)
    generate(tmp_path / "b", taxpayers=1000, bulk_subjects=300, seed=3, today=TODAY)
    generate(tmp_path / "c", taxpayers=1000, bulk_subjects=300, seed=4, today=TODAY)
    a, b, c = _tree(tmp_path / "a"), _tree(tmp_path / "b"), _tree(tmp_path / "c")
    assert len(a) == 3 + 4 + 28 + 1 + 1 + 1   # orders, agencies, requests, bulk CSV, records, manifest
    assert a == b
    assert a["records.csv"] != c["records.csv"]


def test_worker_processes_write_the_same_bytes(tmp_path: Path) -> None:
    factory = TaxpayerFactory(5, TODAY)
    assert write_records(tmp_path / "serial.csv", factory, 21_000, workers=1) == \
        write_records(tmp_path / "parallel.csv", factory, 21_000, workers=2)
    assert (tmp_path / "serial.csv").read_bytes() == (tmp_path / "parallel.csv").read_bytes()
    write_bulk(tmp_path / "s", factory, 21_000, 21_000, TODAY, workers=1)
    write_bulk(tmp_path / "p", factory, 21_000, 21_000, TODAY, workers=2)
    assert _tree(tmp_path / "s") == _tree(tmp_path / "p")


def test_rejects_sizes_too_small_for_the_demo(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="taxpayers"):
        generate(tmp_path, taxpayers=10)
    with pytest.raises(ValueError, match="bulk_subjects"):
        generate(tmp_path, bulk_subjects=100)


# -- manifest ------------------------------------------------------------------------------------------------

def test_manifest_json_matches_the_returned_manifest(demo: tuple[Path, DemoManifest]) -> None:
    out, manifest = demo
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["records_csv"] == "records.csv" and out / data["records_csv"] == manifest.records_csv
    assert [out / p for p in data["agencies"]] == manifest.agencies
    assert [out / p for p in data["orders"]] == manifest.orders
    assert [DemoRequest(out / e["path"], e["request_id"], e["authority"], e["expect"], e["note"])
            for e in data["requests"]] == manifest.requests
    assert len({r.request_id for r in manifest.requests}) == len(manifest.requests)
    for entry in data["requests"]:
        assert entry["recommendation"] in ("grant", "partial", "deny", "blocked")
        assert not Path(entry["path"]).is_absolute() and ".." not in entry["path"]
        assert "\n" not in entry["note"] and entry["note"]
    with manifest.records_csv.open(encoding="utf-8") as fh:
        assert data["record_rows"] == sum(1 for _ in fh) - 1


def test_every_check_code_is_demonstrated(demo: tuple[Path, DemoManifest]) -> None:
    expects = Counter(r.expect for r in demo[1].requests)
    assert set(expects) == {"valid", *ALL_CODES}
    valid_authorities = {r.authority for r in demo[1].requests if r.expect == "valid"}
    assert valid_authorities == set(AUTHORITIES)


# -- taxpayer records ----------------------------------------------------------------------------------------

def test_records_csv_has_the_interchange_format(demo: tuple[Path, DemoManifest]) -> None:
    years = {str(y) for y in range(2021, 2026)}
    per_tin: dict[str, list[dict[str, str]]] = defaultdict(list)
    with demo[1].records_csv.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == RECORDS_HEADER
        for line in reader:
            assert len(line) == len(RECORDS_HEADER)
            row = dict(zip(RECORDS_HEADER, line, strict=True))
            per_tin[row["tin"]].append(row)
    types = Counter()
    for tin, rows in per_tin.items():
        kind = rows[0]["tin_type"]
        types[kind] += 1
        assert TIN_FORMAT[kind].fullmatch(tin) and TIN_CHECK[kind](tin), tin
        assert 2 <= len(rows) <= 4
        assert len({r["tax_year"] for r in rows}) == len(rows)
        assert len({(r["name"], r["tin_type"], r["hold"]) for r in rows}) == 1
        for row in rows:
            assert row["tax_year"] in years
            assert _is_iso(row["address_as_of"]) and row["address_as_of"] <= TODAY.isoformat()
            assert row["address_as_of"][:4] == str(int(row["tax_year"]) + 1)
            assert row["state"] and row["city"] and re.fullmatch(r"\d{5}(-\d{4})?", row["zip"])
            assert row["hold"] in ("0", "1")
            assert all(re.fullmatch(r"\d*", row[f]) for f in (*MONEY, "dependents"))
            if kind == "EIN":
                assert row["filing_status"] == "" and row["wages"] == ""
            else:
                assert row["filing_status"] in ("single", "mfj", "mfs", "hoh", "qw")
                assert row["agi"] and row["total_tax"]
    assert types["SSN"] > types["ITIN"] > types["EIN"] > 0
    assert len(per_tin) == 2000
    holds = sum(rows[0]["hold"] == "1" for rows in per_tin.values())
    assert 10 <= holds <= 30                                        # ~1 %
    moved = sum(len({(r["street"], r["zip"]) for r in rows}) > 1 for rows in per_tin.values())
    assert moved > 100                                              # address history
    assert any(r["wages"] == "" for rows in per_tin.values() for r in rows)   # some money fields empty


def test_records_never_hold_a_year_not_yet_filed(tmp_path: Path) -> None:
    manifest = generate(tmp_path, taxpayers=1000, bulk_subjects=101, today=date(2025, 3, 1))
    with manifest.records_csv.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert max(int(r["tax_year"]) for r in rows) == 2023
    assert max(r["address_as_of"] for r in rows) <= "2025-03-01"
    for request in manifest.requests:
        doc = json.loads(request.path.read_text(encoding="utf-8"))
        assert doc["received_on"] <= "2025-03-01"


# -- JSON files ----------------------------------------------------------------------------------------------

def test_orders_and_agencies_have_exactly_the_documented_keys(demo: tuple[Path, DemoManifest]) -> None:
    orders = [json.loads(p.read_text(encoding="utf-8")) for p in demo[1].orders]
    for order in orders:
        assert set(order) == ORDER_KEYS and order["format"] == "dws.court-order/1"
        assert order["status"] in ORDER_STATUSES
        assert all(_is_iso(order[k]) for k in ("signed_on", "effective_from"))
    assert sorted(o["status"] for o in orders) == ["active", "stayed", "vacated"]
    active = next(o for o in orders if o["status"] == "active")
    assert active["case_no"] == "1:25-cv-00457" and active["effective_to"] is None
    assert active["enjoined_recipients"] == ["DHS-ICE"] and "address" in active["enjoined_items"]
    entries = [json.loads(p.read_text(encoding="utf-8")) for p in demo[1].agencies]
    agencies = {a["agency_code"]: a for a in entries}
    for entry in agencies.values():
        assert set(entry) == AGENCY_KEYS and entry["format"] == "dws.agency/1"
    assert {"DOJ-FBI", "TX-CPA", "DHS-ICE"} <= set(agencies)
    assert agencies["DOJ-FBI"]["safeguards_current"] and agencies["TX-CPA"]["safeguards_current"]
    bad = [a for a in agencies.values()
           if not a["safeguards_current"] and a["open_findings"] > 0 and not a["corrective_plan"]]
    assert len(bad) == 1


def test_requests_have_exactly_the_documented_keys(demo: tuple[Path, DemoManifest],
                                                   docs: dict[str, dict[str, Any]]) -> None:
    for request in demo[1].requests:
        doc = docs[request.request_id]
        assert set(doc) == REQUEST_KEYS and doc["format"] == "dws.request/1"
        assert doc["request_id"] == request.request_id == request.path.stem
        assert doc["authority"] == request.authority
        assert _is_iso(doc["received_on"]) and doc["received_on"] < TODAY.isoformat()
        assert set(doc["requester"]) == REQUESTER_KEYS and set(doc["signer"]) == SIGNER_KEYS
        assert doc["signer"]["role"] in SIGNER_ROLES
        assert doc["statute"] is None or (set(doc["statute"]) == {"citation", "class"}
                                          and doc["statute"]["class"] in STATUTE_CLASSES)
        assert set(doc["purpose"]) == {"category", "statement"}
        assert doc["purpose"]["category"] in PURPOSE_CATEGORIES
        assert all(set(o) == OFFICER_KEYS for o in doc["officers"])
        assert set(doc["items"]) <= set(ELEMENTS)
        assert all(isinstance(p, str) for p in doc["periods"])
        if doc["court_order"] is not None:
            assert set(doc["court_order"]) == COURT_ORDER_REF_KEYS
        if doc["consent"] is not None:
            assert set(doc["consent"]) == CONSENT_KEYS
        if doc["subjects_csv"] is None:
            assert doc["subjects"]
            assert len({s["ref"] for s in doc["subjects"]}) == len(doc["subjects"])
            for subject in doc["subjects"]:
                assert set(subject) == SUBJECT_KEYS and set(subject["address"]) == ADDRESS_KEYS
                assert all(isinstance(p, str) for p in subject["periods"])
        else:
            assert doc["subjects"] is None
            assert (request.path.parent / doc["subjects_csv"]).is_file()
            assert "/" not in doc["subjects_csv"] and ".." not in doc["subjects_csv"]


def test_request_level_defects_differ_from_a_valid_one_in_one_way(docs: dict[str, dict[str, Any]]) -> None:
    base = docs["DEMO-I2-VALID"]

    def changed(rid: str) -> set[str]:
        doc = docs[rid]
        return {k for k in REQUEST_KEYS - {"request_id", "received_on", "subjects"} if doc[k] != base[k]}

    assert changed("DEMO-AUTHORITY") == {"authority"}
    assert docs["DEMO-AUTHORITY"]["authority"] not in AUTHORITIES
    assert changed("DEMO-I2-WRITING") == {"signer"}
    assert not docs["DEMO-I2-WRITING"]["signer"]["signature_present"]
    assert changed("DEMO-I2-SIGNER") == {"signer"} and docs["DEMO-I2-SIGNER"]["signer"]["role"] == "delegate"
    assert changed("DEMO-I2-STATUTE") == {"statute"}
    assert docs["DEMO-I2-STATUTE"]["statute"]["class"] != "criminal"
    assert docs["DEMO-I2-PURPOSE"]["purpose"]["category"] == "immigration-civil"
    assert changed("DEMO-I2-OFFICERS") == {"officers"}
    assert max(o["active_matters"] for o in docs["DEMO-I2-OFFICERS"]["officers"]) > 100
    assert changed("DEMO-I2-PERIODS") == {"periods"} and docs["DEMO-I2-PERIODS"]["periods"] == ["all"]
    assert changed("DEMO-I2-ITEMS") == {"items"}
    assert set(docs["DEMO-I2-SAFEGUARDS"]["purpose"]) == set(base["purpose"])
    assert docs["DEMO-I2-SAFEGUARDS"]["requester"]["agency_code"] == "XYZ-OIG"
    assert docs["DEMO-I2-SAFEGUARDS"]["signer"]["role"] == "inspector-general"
    # CONSENT and ORDER against their own valid request
    ok, bad = docs["DEMO-C-VALID"]["consent"], docs["DEMO-C-CONSENT"]["consent"]
    for doc, days in ((docs["DEMO-C-VALID"], 30), (docs["DEMO-C-CONSENT"], 200)):
        received = date.fromisoformat(doc["received_on"])
        assert (received - date.fromisoformat(doc["consent"]["signed_on"])).days == days
        assert doc["consent"]["designee"] == doc["requester"]["agency"]
        assert set(doc["items"]) <= set(doc["consent"]["items"])
    assert {k for k in CONSENT_KEYS if ok[k] != bad[k]} <= {"taxpayer_name", "taxpayer_tin", "signed_on"}
    assert docs["DEMO-I1-VALID"]["court_order"]["judge"]
    assert docs["DEMO-I1-ORDER"]["court_order"]["judge"] == ""
    order = docs["DEMO-I1-VALID"]["court_order"]
    assert set(docs["DEMO-I1-VALID"]["items"]) <= set(order["items"])
    assert set(docs["DEMO-I1-VALID"]["periods"]) <= set(order["periods"])


# -- subjects against the records ----------------------------------------------------------------------------

def _matching_rows(subject: dict[str, Any], records: dict[str, list[dict[str, str]]]) -> list[dict[str, str]]:
    rows = records.get(subject["tin"], [])
    assert rows, f"{subject['ref']}: TIN not in records"
    assert name_control(subject["name"]) == name_control(rows[0]["name"])
    return rows


def _key(address: dict[str, str]) -> str:
    return address_key(address["street"], address["city"], address["state"], address["zip"])


@pytest.mark.parametrize("rid", ["DEMO-I2-VALID", "DEMO-I1-VALID", "DEMO-C-VALID", "DEMO-D1-VALID",
                                 "DEMO-FOIA-THIRD-PARTY", "DEMO-FOIA-FIRST-PARTY", "DEMO-I2-COURT-ORDER"])
def test_subjects_of_valid_requests_match_records(rid: str, docs: dict[str, dict[str, Any]],
                                                  records: dict[str, list[dict[str, str]]]) -> None:
    doc = docs[rid]
    for subject in doc["subjects"]:
        rows = _matching_rows(subject, records)
        assert subject["name"] == rows[0]["name"]
        assert _key(subject["address"]) in {_key(r) for r in rows}
        assert {r["tax_year"] for r in rows} >= set(subject["periods"]) and subject["periods"]
        assert set(subject["periods"]) <= set(doc["periods"])
        assert rows[0]["hold"] == "0"
        if subject["case_no"] and doc["authority"] == "6103(i)(2)":
            assert subject["case_no"] in subject["reason"]
    if doc["authority"] == "6103(i)(2)":
        assert len({s["reason"] for s in doc["subjects"]}) == len(doc["subjects"])


def test_valid_i2_request_shows_address_history(docs: dict[str, dict[str, Any]],
                                                records: dict[str, list[dict[str, str]]]) -> None:
    subject = docs["DEMO-I2-VALID"]["subjects"][3]
    rows = sorted(records[subject["tin"]], key=lambda r: r["tax_year"])
    assert _key(subject["address"]) == _key(rows[0]) != _key(rows[-1])


def test_subject_level_defects_fail_for_every_subject(docs: dict[str, dict[str, Any]],
                                                      records: dict[str, list[dict[str, str]]]) -> None:
    placeholders = {"unknown", "don't care", "n/a"}
    assert all(s["name"].lower() in placeholders for s in docs["DEMO-I2-NAME"]["subjects"])
    for subject in docs["DEMO-I2-ADDRESS"]["subjects"]:
        rows = _matching_rows(subject, records)
        assert subject["name"] == rows[0]["name"]
        address = subject["address"]
        assert not re.match(r"\d+ \S", address["street"]) or not address["city"] or not address["state"]
    reasons = [s["reason"] for s in docs["DEMO-I2-REASON"]["subjects"]]
    assert len(reasons) >= 5 and len(set(reasons)) == 1
    for subject in docs["DEMO-I2-MATCH"]["subjects"]:
        assert subject["tin"] not in records
        assert ssn.is_valid(subject["tin"]) or itin.is_valid(subject["tin"])
    for subject in docs["DEMO-I2-ADDRESS-MATCH"]["subjects"]:
        rows = _matching_rows(subject, records)
        assert subject["name"] == rows[0]["name"]
        assert _key(subject["address"]) not in {_key(r) for r in rows}
        assert re.match(r"\d+ \S", subject["address"]["street"]) and subject["address"]["city"]
    for subject in docs["DEMO-I2-HOLD"]["subjects"]:
        rows = _matching_rows(subject, records)
        assert rows[0]["hold"] == "1" and _key(subject["address"]) in {_key(r) for r in rows}
    for subject in docs["DEMO-I2-PERIOD-RECORD"]["subjects"]:
        rows = _matching_rows(subject, records)
        assert subject["periods"] and not set(subject["periods"]) & {r["tax_year"] for r in rows}
        assert max(subject["periods"]) <= "2025"


def test_partial_request_mixes_good_and_bad_subjects(docs: dict[str, dict[str, Any]],
                                                     records: dict[str, list[dict[str, str]]]) -> None:
    doc = docs["DEMO-I2-PARTIAL"]
    assert "agi" in doc["items"]
    first, second, zip_only, unknown, hold = doc["subjects"]
    for subject in (first, second):
        assert _key(subject["address"]) in {_key(r) for r in _matching_rows(subject, records)}
    assert zip_only["address"]["street"] == "" and re.fullmatch(r"\d{5}", zip_only["address"]["zip"])
    assert unknown["tin"] not in records
    assert records[hold["tin"]][0]["hold"] == "1"


def test_bulk_request_replays_the_2025_pattern(demo: tuple[Path, DemoManifest],
                                               docs: dict[str, dict[str, Any]],
                                               records: dict[str, list[dict[str, str]]]) -> None:
    request = next(r for r in demo[1].requests if r.expect == "BULK")
    doc = docs[request.request_id]
    assert doc["requester"]["agency_code"] == "DHS-ICE" and doc["purpose"]["category"] == "nontax-criminal"
    assert "removal" in doc["purpose"]["statement"]
    assert len(doc["officers"]) == 1 and doc["officers"][0]["active_matters"] == 1500
    with (request.path.parent / doc["subjects_csv"]).open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        assert next(reader) == SUBJECTS_CSV_HEADER
        rows = [dict(zip(SUBJECTS_CSV_HEADER, line, strict=True)) for line in reader]
    assert len(rows) == 1500 and len({r["ref"] for r in rows}) == 1500
    assert len({r["reason"] for r in rows}) == 1
    assert all(r["periods"] == ";".join(doc["periods"]) for r in rows)
    kinds: Counter[str] = Counter()
    for row in rows:
        known = records.get(row["tin"])
        if not row["street"] and re.fullmatch(r"\d{5}", row["zip"]):
            kinds["zip only"] += 1
        elif "care" in row["street"].lower() or row["street"] in ("Unknown", "N/A"):
            kinds["placeholder"] += 1
        elif known is None:
            kinds["not found"] += 1
        elif row["name"] == known[0]["name"]:
            matched = _key(row) in {_key(r) for r in known}
            kinds["address on file" if matched else "address differs"] += 1
    assert min(kinds.values()) > 20 and len(kinds) == 5, kinds

"""The release gate, end to end through `dws letter`: a withheld value planted in a letter text, in the
decision's justification, in the request's purpose statement, in the PDF's metadata or its XMP refuses the
letter (exit 1, the element and subject named, never the value, nothing stored, `letter-refused` logged); a
value the letter shows legitimately (a namesake released beside one withheld, a household's street, the
requester's own words) does not."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from clihelp import Cli
from letterdata import AS_OF, OFFICE, TAXPAYERS, build_store, decide, passphrase, request, subject

from workstation.service import Workstation
from workstation.store import auditlog

HELD = next(t for t in TAXPAYERS if t.key == "on-hold")         # subject 4, never released
ZIP_ONLY = next(t for t in TAXPAYERS if t.key == "zip-only")    # subject 3: sent a ZIP only, name on file
# Released: Ada at 5 Shared Ln. Held: her namesake elsewhere, and Bo, who lives at her street.
NAMESAKES = (("212451011", "Ada Quillfeather", "5 Shared Ln", "0"),
             ("212451012", "Ada Quillfeather", "9 Other Rd", "1"),
             ("212451013", "Bo Quillfeather", "5 Shared Ln", "1"))
STATEMENT = "Investigation of a wire-fraud scheme run by {who}."


def _namesake_records(path: Path) -> None:
    """Three taxpayers: one released, a namesake of hers and a member of her household on hold."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["tin", "tin_type", "name", "street", "city", "state", "zip", "address_as_of", "tax_year",
                    "filing_status", "agi", "total_tax", "refund", "dependents", "phone", "bank_account", "wages",
                    "employer", "interest", "hold"])
        for tin, name, street, hold in NAMESAKES:
            for year in ("2024", "2025"):
                w.writerow([tin, "SSN", name, street, "Austin", "TX", "78701", "2025-04-15", year, "single",
                            "71234", "9876", "543", "0", "", "", "41000", "Example Employer Inc", "12", hold])


EXTRA = {
    # the requester's statement names the held subject 4 as they sent it (their own words: no refusal)
    "LTR-OWN-WORDS": request("LTR-OWN-WORDS", purpose={"category": "nontax-criminal", "statement":
                                                        STATEMENT.format(who="Henry Ashford")}),
    # ... and a street on file that the requester never sent (subject 3 sent a ZIP only): refused
    "LTR-ON-FILE-WORDS": request("LTR-ON-FILE-WORDS", purpose={"category": "nontax-criminal", "statement":
                                                               STATEMENT.format(who=f"the occupant of "
                                                                                f"{ZIP_ONLY.street_on_file}")}),
    "LTR-NAMESAKES": request("LTR-NAMESAKES", items=["name", "address"], subjects=[
        {**subject(str(n), "released-1"), "name": name, "tin": f"{tin[:3]}-{tin[3:5]}-{tin[5:]}",
         "address": {"street": street, "city": "Austin", "state": "TX", "zip": "78701"}}
        for n, (tin, name, street, _hold) in enumerate(NAMESAKES, 1)]),
}
JUSTIFIED = f"The statute cited is civil; the file also names {ZIP_ONLY.name_on_file} as a witness."


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("gate")
    store, work = root / "store", root / "work"
    build_store(store, work, ("LTR-PARTIAL", "LTR-DENY-STATUTE"))
    ws = Workstation(store)
    with ws.unlock("admin", "letters-admin-passphrase") as admin:
        for key, value in OFFICE.items():
            admin.change_setting(key, value)
    _namesake_records(work / "namesakes.csv")
    with ws.unlock("rita", passphrase("rita")) as rita:
        rita.import_records(work / "namesakes.csv")
        for rid, doc in EXTRA.items():
            (work / f"{rid}.json").write_text(json.dumps(doc), encoding="utf-8")
            rita.import_request(work / f"{rid}.json")
            rita.evaluate(rid, AS_OF)
    for rid in ("LTR-PARTIAL", *EXTRA):
        decide(store, rid, "partial", approve=True)
    decide(store, "LTR-DENY-STATUTE", "deny", approve=False, justification=JUSTIFIED)
    return store


@pytest.fixture
def cli(template: Path, tmp_path: Path, capsys, monkeypatch) -> Cli:
    store = tmp_path / "store"
    shutil.copytree(template, store)
    return Cli(store, capsys, monkeypatch)


def _letter(cli: Cli, request_id: str, out: Path) -> Any:
    return cli("letter", request_id, "-o", str(out), user="rita", passphrase=passphrase("rita"))


def _stored(store: Path) -> tuple[int, int, list[tuple[str, dict]]]:
    """(letters, disclosures, letter-* log entries) in the store."""
    with Workstation(store).unlock("otto", passphrase("otto")) as s:
        letters = s.conn.execute("SELECT count(*) FROM letters").fetchone()[0]
        disclosures = s.conn.execute("SELECT count(*) FROM disclosures").fetchone()[0]
        log = [(e.event, e.detail) for e in auditlog.entries(s.conn) if e.event.startswith("letter")]
    return letters, disclosures, log


def _refused(cli: Cli, request_id: str, tmp_path: Path, *, element: str, ref: str, where: str,
             canaries: tuple[str, ...]) -> str:
    """Issue the letter: it must be refused, name (element, ref, where), never a canary, store nothing and
    log `letter-refused` without the canary. Returns the message."""
    out = tmp_path / "letter.pdf"
    r = _letter(cli, request_id, out)
    assert r.code == 1, (r.out, r.err)
    assert "release gate refused the letter" in r.err and f"{element} of subject {ref}" in r.err, r.err
    assert where in r.err, r.err
    assert not out.exists()
    letters, disclosures, log = _stored(cli.store)
    assert (letters, disclosures) == (0, 0)
    assert [e for e, _d in log] == ["letter-refused"]
    detail = log[0][1]
    assert {"element": element, "ref": ref} in [{k: f[k] for k in ("element", "ref")} for f in detail["found"]]
    for canary in canaries:
        for variant in {canary, canary.lower(), canary.upper(), canary.replace("-", ""), canary.replace("-", " ")}:
            assert variant not in r.err and variant not in r.out, variant
            assert variant not in json.dumps(detail), variant
    return r.err


def test_a_withheld_name_in_the_justification_refuses_the_declination(cli: Cli, tmp_path: Path) -> None:
    name = ZIP_ONLY.name_on_file
    _refused(cli, "LTR-DENY-STATUTE", tmp_path, element="name", ref="3", where="page text",
             canaries=(name, name.split()[1], name.split()[2]))


def test_a_tin_planted_in_a_letter_text_refuses_the_letter(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    """The held subject's SSN written into the closing paragraph, grouped with spaces (the check reads any
    grouping a TIN is printed in, inside the compressed page stream)."""
    from workstation.service import letter_input

    shipped = letter_input.letter_texts

    def planted(kind: str, version: str) -> dict:
        texts = dict(shipped(kind, version))
        texts["closing"] = texts["closing"] + " File " + HELD.tin.replace("-", " ") + "."
        return texts

    monkeypatch.setattr(letter_input, "letter_texts", planted)
    _refused(cli, "LTR-PARTIAL", tmp_path, element="tin", ref="4", where="page text", canaries=(HELD.tin,))


def test_a_street_on_file_in_the_purpose_statement_refuses_the_transmittal(cli: Cli, tmp_path: Path) -> None:
    _refused(cli, "LTR-ON-FILE-WORDS", tmp_path, element="address", ref="3", where="page text",
             canaries=(ZIP_ONLY.street_on_file, "Canaryhill"))


def test_the_requesters_own_words_about_a_withheld_subject_pass(cli: Cli, tmp_path: Path) -> None:
    """The purpose statement names the held subject exactly as the requester sent them: it is quoted, and
    tells the requester nothing."""
    r = _letter(cli, "LTR-OWN-WORDS", tmp_path / "letter.pdf")
    assert r.code == 0, r.err
    assert _stored(cli.store)[0] == 1


def test_the_document_information_is_read(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    """A withheld value in the document information (Subject, Keywords, Creator: uncompressed strings)."""
    from workstation.letters import render

    marker = render.verification.marker
    monkeypatch.setattr(render.verification, "marker", lambda v: f"{marker(v)} {HELD.tin}")
    _refused(cli, "LTR-PARTIAL", tmp_path, element="tin", ref="4", where="document strings", canaries=(HELD.tin,))


def test_xmp_is_read(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    from workstation.letters import archival

    packet = archival.xmp
    monkeypatch.setattr(archival, "xmp", lambda meta: packet(meta).replace(
        b"</x:xmpmeta>", f"<dws:Note>{HELD.name_on_file}</dws:Note></x:xmpmeta>".encode()))
    _refused(cli, "LTR-PARTIAL", tmp_path, element="name", ref="4", where="XMP metadata",
             canaries=(HELD.name_on_file,))


def test_a_namesake_and_a_shared_street_released_beside_withheld_ones_pass(cli: Cli, tmp_path: Path) -> None:
    r = _letter(cli, "LTR-NAMESAKES", tmp_path / "letter.pdf")
    assert r.code == 0, r.err
    letters, disclosures, _log = _stored(cli.store)
    assert (letters, disclosures) == (1, 1)


def test_a_namesake_shown_once_more_than_released_is_refused(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    """The released subject explains one "Ada Quillfeather", not a second one written into a letter text."""
    from workstation.service import letter_input

    shipped = letter_input.letter_texts

    def planted(kind: str, version: str) -> dict:
        texts = dict(shipped(kind, version))
        texts["closing"] = texts["closing"] + " Copy to Ada Quillfeather."
        return texts

    monkeypatch.setattr(letter_input, "letter_texts", planted)
    _refused(cli, "LTR-NAMESAKES", tmp_path, element="name", ref="2", where="page text",
             canaries=("Quillfeather",))


def test_a_letter_that_cannot_be_read_back_entirely_is_refused(cli: Cli, tmp_path: Path, monkeypatch) -> None:
    """An image on the page: its pixels could show anything, so the gate does not pass it."""
    import io

    from PIL import Image
    from reportlab.lib.utils import ImageReader

    from workstation.letters.layout import PageWriter

    finish = PageWriter.finish

    def with_image(self: PageWriter) -> tuple[bytes, int]:
        png = io.BytesIO()
        Image.new("L", (8, 8), 255).save(png, "PNG")
        self.c.drawImage(ImageReader(io.BytesIO(png.getvalue())), 72, 72, 20, 20)
        return finish(self)

    monkeypatch.setattr(PageWriter, "finish", with_image)
    out = tmp_path / "letter.pdf"
    r = _letter(cli, "LTR-PARTIAL", out)
    assert r.code == 1 and "cannot be read back" in r.err and "an image" in r.err, r.err
    letters, disclosures, log = _stored(cli.store)
    assert (letters, disclosures, [e for e, _d in log]) == (0, 0, ["letter-refused"])
    assert log[0][1]["unreadable"] and not out.exists()


def test_the_demo_letters_pass(tmp_path: Path, monkeypatch) -> None:
    """One subject (a consent), a partial grant and the blocked bulk request of a small demo store: issued,
    each after the gate read it back and looked for every withheld value."""
    from workstation.demo_store import create_demo_store, demo_passphrase
    from workstation.service import release_gate

    create_demo_store(tmp_path / "store", taxpayers=1000, bulk_subjects=200, seed=3)
    reports: dict[str, release_gate.GateReport] = {}
    inspect = release_gate.inspect

    def spy(s: Any, rid: int, d: Any, pdf: bytes) -> release_gate.GateReport:
        reports[d.package.request_id] = report = inspect(s, rid, d, pdf)
        return report

    monkeypatch.setattr(release_gate, "inspect", spy)
    ws = Workstation(tmp_path / "store")
    decisions = {"DEMO-C-VALID": "grant", "DEMO-I2-PARTIAL": "partial", "DEMO-I2-BULK": "deny"}
    with ws.unlock("rita", demo_passphrase("rita")) as s:
        for rid, outcome in decisions.items():
            s.decide(rid, outcome, None, demo_passphrase("rita"))
    with ws.unlock("alex", demo_passphrase("alex")) as s:
        for rid in decisions:
            s.approve(rid, demo_passphrase("alex"))
            assert s.letter(rid, demo_passphrase("alex")).new
    assert set(reports) == set(decisions) and all(r.ok for r in reports.values())
    bulk = reports["DEMO-I2-BULK"]
    assert bulk.subjects == 200 and bulk.records_read > 100 and bulk.values > 1000

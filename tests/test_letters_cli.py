"""`dws letter`, `dws verify-letter` and `dws accounting` on a real store: refusals, stored bytes, the log,
byte-identical regeneration, tampering (exit 3), foreign files (exit 1) and the accounting of disclosures. On both
engines (issue 19 item 1, tests/engines.py: the decided store built once per engine, copied for each test) but
byte-identical regeneration and a letter landing whole with its accounting, which tamper with a local store."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from enginebuilt import EngineTemplate, engine_from
from engines import ENGINES, Engine, EngineCli
from engines import passphrase as engine_passphrase
from letterdata import decided_on, decided_store, passphrase

from workstation.service import Workstation


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local decided store (letterdata's users) for the tests that stay local."""
    os.environ["DWS_NO_KEYRING"] = "1"
    root = tmp_path_factory.mktemp("lettercli")
    decided_store(root / "store", root / "work")
    return root / "store"


@pytest.fixture(scope="module", params=ENGINES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> EngineTemplate:
    root = tmp_path_factory.mktemp(f"lettercli-{request.param}")
    return EngineTemplate.build(request.param, request, root, lambda engine: decided_on(engine, root / "work"))


@pytest.fixture
def engine(built: EngineTemplate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    yield from engine_from(built, tmp_path, monkeypatch)


@pytest.fixture
def cli(engine: Engine, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> EngineCli:
    return engine.cli(capsys, monkeypatch)


def as_user(name: str) -> dict[str, str]:
    return {"user": name}


def log(engine: Engine) -> list[tuple[str, str | None, dict]]:
    return engine.events()


def test_letter_is_issued_once_then_written_from_the_store(engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    r = cli("letter", "LTR-PARTIAL", "-o", str(first), "--json", **as_user("rita"))
    assert r.code == 0, r.err
    issued = json.loads(r.out)
    assert issued["issued_now"] and issued["kind"] == "transmittal" and issued["letter_id"].startswith("L-")
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    r = cli("letter", "LTR-PARTIAL", "-o", str(second), "--json", **as_user("alex"))
    assert r.code == 0 and not json.loads(r.out)["issued_now"]
    assert first.read_bytes() == second.read_bytes()
    events = [(e, o, d) for e, o, d in log(engine) if e.startswith("letter-")]
    assert [e for e, _o, _d in events] == ["letter-issued", "letter-written", "letter-written"]
    assert events[0][2]["letter_id"] == issued["letter_id"] and events[0][2]["disclosures"] == 2
    assert events[1][2]["target"] == str(first.resolve()) and events[2][2]["target"] == str(second.resolve())


@pytest.mark.parametrize(("request_id", "user", "message"), [
    ("LTR-PARTIAL-UNDECIDED", "rita", "has no signed decision"),
    ("LTR-PENDING", "rita", "grants and partial grants need the approval before a letter can be issued"),
    ("NO-SUCH-REQUEST", "rita", "no request 'NO-SUCH-REQUEST'"),
    ("LTR-PARTIAL", "cora", "only an approver or reviewer user may issue"),
])
def test_refusals_are_clear_and_issue_nothing(engine: Engine, cli: EngineCli, tmp_path: Path, request_id: str,
                                              user: str, message: str) -> None:
    if request_id in ("LTR-PARTIAL-UNDECIDED", "LTR-PENDING"):
        _second_partial(engine, tmp_path, request_id, pending=request_id == "LTR-PENDING")
    before = len(log(engine))
    out = tmp_path / "x.pdf"
    r = cli("letter", request_id, "-o", str(out), **as_user(user))
    assert r.code == 1 and message in r.err, r.err
    assert not out.exists()
    assert not [e for e, _o, _d in log(engine)[before:] if e.startswith("letter")]


def _second_partial(engine: Engine, tmp_path: Path, request_id: str, *, pending: bool) -> None:
    from letterdata import AS_OF, REQUESTS

    doc = dict(REQUESTS["LTR-PARTIAL"], request_id=request_id)
    (tmp_path / "r.json").write_text(json.dumps(doc), encoding="utf-8")
    with engine.open("rita") as s:
        s.import_request(tmp_path / "r.json")
        s.evaluate(request_id, AS_OF)
        if pending:
            s.decide(request_id, "partial", None, engine_passphrase("rita"), AS_OF)


def test_same_inputs_give_the_same_bytes(template: Path, tmp_path: Path) -> None:
    """Two copies of a store holding the same signed decisions and the same log (so the same checkpoint)
    issue byte-identical letters but for the value of the PDF signature (ECDSA signatures are randomised;
    the signing time comes from the clock) and the second half of the file identifier, which each revision of
    a PDF gets anew; a different log gives a different checkpoint. (One letter per copy: the log records each
    letter's hash, so the letters issued after it carry a checkpoint that differs with the signature.)"""
    import re
    from datetime import UTC, datetime

    from workstation import clock, letter_checkpoint

    def without_signature_value(pdf: bytes) -> bytes:
        blanked, count = re.subn(rb"/Contents <[0-9a-fA-F]+>", b"/Contents <>", pdf)
        last_id = list(re.finditer(rb"/ID \[ <[0-9a-f]+> (<[0-9a-f]+>) \]", blanked))[-1]   # the signing revision's
        assert count == 1
        return blanked[:last_id.start(1)] + blanked[last_id.end(1):]

    def issue(name: str, rid: str, minute: int = 0) -> bytes:
        shutil.copytree(template, tmp_path / name)
        at = datetime(2026, 11, 3, 9, minute, tzinfo=UTC)
        with clock.use(clock.FixedClock(at)), Workstation(tmp_path / name).unlock("rita", passphrase("rita")) as s:
            return s.issue_letter(rid, passphrase("rita"))

    for rid in ("LTR-PARTIAL", "LTR-BLOCKED", "LTR-FOIA"):
        a, b = issue(f"a-{rid}", rid), issue(f"b-{rid}", rid)
        assert without_signature_value(a) == without_signature_value(b) and a != b
    a, c = issue("a", "LTR-PARTIAL"), issue("c", "LTR-PARTIAL", minute=1)
    assert c != a and letter_checkpoint.find(c) != letter_checkpoint.find(a)
    assert b"/CreationDate (D:" in a and b"/Producer (Disclosure Workstation)" in a and b"ReportLab" in a


def test_gui_output_logging_and_stored_bytes(engine: Engine) -> None:
    with engine.open("rita") as s:
        assert s.letter_bytes("LTR-BLOCKED") is None
        data = s.issue_letter("LTR-BLOCKED", engine_passphrase("rita"))
        assert s.letter_bytes("LTR-BLOCKED") == data
        s.record_letter_output("LTR-BLOCKED", "letter-printed", "Office printer 2")
        s.record_letter_output("LTR-BLOCKED", "saved", "/home/rita/out.pdf")
        from workstation.errors import InputError

        with pytest.raises(InputError, match="no letter has been issued"):
            s.record_letter_output("LTR-FOIA", "printed", "Office printer 2")
        with pytest.raises(InputError, match="one of written, printed, saved, viewed"):
            s.record_letter_output("LTR-BLOCKED", "faxed", "x")
    events = [(e, d.get("target")) for e, _o, d in log(engine) if e.startswith("letter-")]
    assert events == [("letter-issued", None), ("letter-printed", "Office printer 2"),
                      ("letter-saved", "/home/rita/out.pdf")]


# --- verify-letter ---------------------------------------------------------------------------------

@pytest.fixture
def issued(cli: EngineCli, tmp_path: Path) -> Path:
    path = tmp_path / "partial.pdf"
    assert cli("letter", "LTR-PARTIAL", "-o", str(path), **as_user("rita")).code == 0
    return path


def test_an_untouched_letter_verifies(cli: EngineCli, issued: Path) -> None:
    r = cli("verify-letter", str(issued), "--json", **as_user("otto"))
    assert r.code == 0, r.err
    report = json.loads(r.out)
    assert report["ok"] and report["request_id"] == "LTR-PARTIAL" and report["kind"] == "transmittal"
    assert [(s["role"], s["name"], s["ok"]) for s in report["signatures"]] == [("preparer", "rita", True),
                                                                              ("approver", "alex", True)]
    r = cli("verify-letter", str(issued), **as_user("otto"))
    assert r.code == 0 and "OK: the file is exactly the letter issued" in r.out


@pytest.mark.parametrize("where", ["header", "first-stream", "marker", "middle", "last"])
def test_any_changed_byte_is_tampering(cli: EngineCli, issued: Path, tmp_path: Path, where: str) -> None:
    data = bytearray(issued.read_bytes())
    at = {"header": 5, "first-stream": data.index(b"stream") + 12, "marker": data.index(b"dws-letter/1") + 20,
          "middle": len(data) // 2, "last": len(data) - 2}[where]
    data[at] ^= 0x01
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(bytes(data))
    r = cli("verify-letter", str(bad), **as_user("otto"))
    assert r.code == 3, (r.out, r.err)
    assert "TAMPERING: 1 byte of the file differs" in r.out and "not the letter as issued" in r.err


def test_an_incremental_update_is_tampering(engine: Engine, cli: EngineCli, issued: Path, tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(str(issued), incremental=True)
    writer.add_metadata({"/Title": "Harmless retitle"})
    buf = io.BytesIO()
    writer.write(buf)
    updated = buf.getvalue()
    assert updated.startswith(issued.read_bytes()) and len(updated) > issued.stat().st_size
    (tmp_path / "upd.pdf").write_bytes(updated)
    r = cli("verify-letter", str(tmp_path / "upd.pdf"), "--json", **as_user("otto"))
    assert r.code == 3
    report = json.loads(r.out)
    assert not report["ok"] and "appended" in report["problems"][0]
    events = [d for e, _o, d in log(engine) if e == "letter-verified"]
    assert events[-1]["ok"] is False


def test_a_foreign_pdf_or_a_non_pdf_is_not_ours(cli: EngineCli, issued: Path, tmp_path: Path) -> None:
    from reportlab.pdfgen import canvas

    foreign = tmp_path / "foreign.pdf"
    c = canvas.Canvas(str(foreign))
    c.drawString(72, 720, "A letter from somewhere else")
    c.save()
    r = cli("verify-letter", str(foreign), **as_user("otto"))
    assert r.code == 1 and "not a letter issued by the Disclosure Workstation" in r.err
    # A letter id this store never issued.
    other = tmp_path / "other.pdf"
    data = bytearray(issued.read_bytes())
    for m in [i for i in range(len(data)) if data.startswith(b"L-", i)]:
        data[m + 2:m + 14] = b"0123456789AB"
    other.write_bytes(bytes(data))
    r = cli("verify-letter", str(other), **as_user("otto"))
    assert r.code == 1 and "L-0123456789AB was not issued from this store" in r.err
    (tmp_path / "notes.txt").write_text("hello")
    r = cli("verify-letter", str(tmp_path / "notes.txt"), **as_user("otto"))
    assert r.code == 1 and "not a PDF" in r.err
    r = cli("verify-letter", str(tmp_path / "missing.pdf"), **as_user("otto"))
    assert r.code == 1 and "cannot read the file" in r.err


# --- accounting ------------------------------------------------------------------------------------

def test_accounting_totals_on_screen_and_every_disclosure_in_a_private_csv(engine: Engine, cli: EngineCli,
                                                                           tmp_path: Path) -> None:
    for rid in ("LTR-PARTIAL", "LTR-BLOCKED"):
        assert cli("letter", rid, "-o", str(tmp_path / f"{rid}.pdf"), **as_user("rita")).code == 0
    from workstation import clock as clocks

    year = str(clocks.today().year)   # disclosures are dated when the letter is issued
    r = cli("accounting", "--year", year, **as_user("otto"))
    assert r.code == 0, r.err
    assert "DOJ-FBI" in r.out and "DHS-ICE" not in r.out          # a declination discloses nothing
    assert "212" not in r.out.replace(f"{year}", "")                # totals only: no TIN on screen
    assert [line.split() for line in r.out.splitlines() if line.strip().startswith("DOJ-FBI")] == \
        [["DOJ-FBI", "1", "2", "2"]]
    out = tmp_path / "acct" / "accounting.csv"
    r = cli("accounting", "--year", year, "-o", str(out), **as_user("otto"))
    assert r.code == 0, r.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    disclosures = [row for row in rows if row["record"] == "disclosure"]
    assert [(d["ref"], d["tin"], d["items"], d["authority"], d["agency_code"]) for d in disclosures] == [
        ("1", "212-45-1001", "name;address", "6103(i)(2)", "DOJ-FBI"),
        ("2", "212-45-1002", "name;address", "6103(i)(2)", "DOJ-FBI")]
    assert disclosures[0]["purpose"].startswith("nontax-criminal: Investigation of a wire-fraud scheme")
    assert disclosures[0]["letter_id"].startswith("L-") and disclosures[0]["disclosed_at"].startswith(year)
    totals = [(row["record"], row["agency_code"], row["requests"], row["disclosures"], row["taxpayers"])
              for row in rows if row["record"] != "disclosure"]
    assert totals == [("agency-total", "DOJ-FBI", "1", "2", "2"), ("total", "", "1", "2", "2")]
    exported = [d for e, _o, d in log(engine) if e == "accounting-exported"]
    assert exported == [{"year": int(year), "disclosures": 2, "target": str(out)}]
    r = cli("accounting", "--year", str(int(year) - 1), "--json", **as_user("otto"))
    assert json.loads(r.out)["total"]["disclosures"] == 0


def test_accounting_is_not_for_every_role(cli: EngineCli) -> None:
    r = cli("accounting", "--year", "2026", user="ada")
    assert r.code == 1 and "may read the accounting of disclosures" in r.err


def test_a_letter_lands_whole_with_its_accounting(template: Path, tmp_path: Path, monkeypatch) -> None:
    """A failure after the letter row is written (here: in the accounting insert) leaves neither."""
    store = tmp_path / "store"
    shutil.copytree(template, store)
    from workstation.store import letters as letters_sql

    def broken(*_a, **_k) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(letters_sql, "record_disclosures", broken)
    with Workstation(store).unlock("rita", passphrase("rita")) as s:
        with pytest.raises(RuntimeError):
            s.issue_letter("LTR-PARTIAL", passphrase("rita"))
        assert s.letter_bytes("LTR-PARTIAL") is None
        assert s.conn.execute("SELECT count(*) FROM letters").fetchone()[0] == 0
        assert s.conn.execute("SELECT count(*) FROM disclosures").fetchone()[0] == 0


# --- the checkpoint a letter carries (moved here from tests/test_log_witness_letters.py) ---------------

def letter_seq(engine: Engine) -> int:
    """The log position of the letter-issued entry (the office's log on the server, a local store's audit log)."""
    if engine.kind == "office":
        with engine.superuser() as conn:                     # type: ignore[attr-defined]
            row = conn.execute("SELECT seq FROM dws.office_log WHERE event = 'letter-issued'").fetchone()
        return int(row[0])
    from workstation.store import auditlog

    with Workstation(engine.store).unlock("otto", engine_passphrase("otto")) as s:
        return next(e.seq for e in auditlog.entries(s.conn) if e.event == "letter-issued")


@pytest.mark.skipif(not (shutil.which("pdftoppm") and shutil.which("zbarimg")),
                    reason="poppler-utils (pdftoppm) and zbar-tools (zbarimg) are needed")
def test_a_letter_carries_the_checkpoint_of_its_issue_printed_in_a_qr_code_and_in_its_metadata(
        engine: Engine, cli: EngineCli, tmp_path: Path) -> None:
    """The checkpoint is signed by the user who issued the letter, with their own checkpoint key, on both engines
    (an office's users have theirs since office schema step 8: office/log_key.py)."""
    from letterdata import pdftotext
    from test_log_witness_letters import qr_codes

    from workstation import checkpoint as cp
    from workstation import letter_checkpoint

    letter = tmp_path / "letter.pdf"
    assert cli("letter", "LTR-PARTIAL", "-o", str(letter), user="rita").code == 0
    notes = letter_checkpoint.find(letter.read_bytes())
    assert len(notes) == 1
    c = cp.parse(notes[0])
    [issued] = [d for e, _o, d in engine.events() if e == "letter-issued"]
    assert c.size == letter_seq(engine) - 1 and issued["checkpoint_size"] == c.size   # everything before it
    assert c.signatures[0].name.split("@")[0] == "rita"
    text = pdftotext(letter)
    assert "AUDIT-LOG CHECKPOINT" in text and f"its first {c.size:,} entries, signed by rita." in text
    assert c.origin in text and cp.body(c.origin, c.size, c.root).split("\n")[2] in text
    codes = qr_codes(letter, tmp_path)
    assert notes[0].rstrip("\n") in codes                      # the checkpoint, exactly, UTF-8 dash and all
    assert "DWS-LETTER/1 L-" in codes                          # and the verification QR code still reads
    assert cli("verify-letter", str(letter), user="otto").code == 0
    r = cli("verify", "--json", "--against", str(letter), user="otto")
    assert r.code == 0 and [(w["ok"], w["size"]) for w in json.loads(r.out)["witnesses"]] == [(True, c.size)], r.out

"""A letter checked as its recipient would, without the workstation: a fresh demo store issues it through the
CLI and exports the office CA (`dws export ca`); poppler's `pdfsig` reports the signature valid and the whole
document signed, and the certificate trusted once the CA is in its NSS database (`certutil`); pyHanko's
validator accepts it with the exported PEM as the trust root. A changed byte anywhere in the signed range
makes the signature invalid; an incremental update is reported as such (by both readers and by
`dws verify-letter`). The pages look as they did before the signature was added.

The readers judge certificates at the machine's time, the store at the product's clock (pinned by the test
suite): where the two differ by more than a day, the readers run under faketime at the product's time."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from workstation import clock as clocks
from workstation.cli.main import main as dws
from workstation.demo_store import demo_passphrase

pytestmark = pytest.mark.skipif(not all(map(shutil.which, ("pdfsig", "certutil", "pdftoppm"))),
                                reason="poppler-utils and libnss3-tools are needed (.ci/run installs them)")
REQUEST = "DEMO-I2-PARTIAL"


@dataclass(frozen=True)
class Issued:
    store: Path
    letter: Path
    ca_pem: Path
    nssdir: Path
    issued: dict
    exported: dict


def run_dws(store: Path, *args: str, user: str | None = None) -> str:
    env = {"DWS_STORE": str(store), "DWS_NO_KEYRING": "1"}
    if user:
        env |= {"DWS_USER": user, "DWS_PASSPHRASE": demo_passphrase(user)}
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        for key, value in env.items():
            mp.setenv(key, value)
        code = dws(list(args))
    assert code == 0, (args, out.getvalue())
    return out.getvalue()


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    root = tmp_path_factory.mktemp("pades")
    store = root / "store"
    run_dws(store, "demo", "--taxpayers", "1000", "--bulk-subjects", "120")
    run_dws(store, "decide", REQUEST, "--outcome", "partial", user="rita")
    run_dws(store, "approve", REQUEST, user="alex")
    letter = root / "letter.pdf"
    issued = json.loads(run_dws(store, "letter", REQUEST, "-o", str(letter), "--json", user="alex"))
    ca_pem = root / "office-ca.pem"
    exported = json.loads(run_dws(store, "export", "ca", "-o", str(ca_pem), "--json", user="otto"))
    nssdir = root / "nss"
    nssdir.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nssdir}", "--empty-password"], check=True)
    subprocess.run(["certutil", "-A", "-d", f"sql:{nssdir}", "-n", "Disclosure office CA", "-t", "C,C,C",
                    "-i", str(ca_pem)], check=True)
    return Issued(store, letter, ca_pem, nssdir, issued, exported)


def at_product_time(command: list[str]) -> list[str]:
    """`command`, under faketime at the product's clock when the machine's differs by more than a day."""
    now = clocks.current().now()
    if abs(datetime.now(UTC) - now) > timedelta(days=1) and shutil.which("faketime"):
        return ["faketime", f"@{int(now.timestamp())}", *command]
    return command


def pdfsig(pdf: Path, nssdir: Path | None = None) -> str:
    # Not -no-ocsp: poppler 22.12 then reports a trusted chain as "Unknown issue with Certificate" (it reads a
    # stale NSS error); the certificates carry no OCSP address, so nothing is fetched either way.
    args = ["pdfsig", *(["-nssdir", f"sql:{nssdir}"] if nssdir else []), str(pdf)]
    done = subprocess.run(at_product_time(args), capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def pyhanko_status(pdf: bytes, ca_pem: Path):  # type: ignore[no-untyped-def]
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    context = ValidationContext(trust_roots=[load_cert_from_pemder(str(ca_pem))], moment=clocks.current().now())
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 1
    return validate_pdf_signature(signatures[0], context)


def signed_ranges(report: str) -> list[tuple[int, int]]:
    found = re.search(r"Signed Ranges: \[(\d+) - (\d+)\], \[(\d+) - (\d+)\]", report)
    assert found, report
    a, b, c, d = map(int, found.groups())
    return [(a, b), (c, d)]


def test_pdfsig_reports_the_signature_valid_and_the_whole_document_signed(issued: Issued) -> None:
    report = pdfsig(issued.letter)
    assert "Signature is Valid." in report
    assert "Total document signed" in report
    assert "Signature Type: ETSI.CAdES.detached" in report and "Signing Hash Algorithm: SHA-256" in report
    assert "Signer Certificate Common Name: alex" in report
    assert "Certificate issuer isn't Trusted" in report         # not yet: the recipient has not trusted the CA
    (start, first_end), (second_start, end) = signed_ranges(report)
    assert start == 0 and end == issued.letter.stat().st_size     # all of it, but the signature value itself
    data = issued.letter.read_bytes()
    assert data[first_end:first_end + 1] == b"<" and data[second_start - 1:second_start] == b">"


def test_pdfsig_trusts_the_certificate_once_the_exported_ca_is_in_its_nss_database(issued: Issued) -> None:
    report = pdfsig(issued.letter, issued.nssdir)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report, report


def test_the_signing_time_is_the_recorded_issue_time(issued: Issued) -> None:
    out = run_dws(issued.store, "verify-letter", str(issued.letter), "--json", user="otto")
    report = json.loads(out)
    assert report["ok"] and report["notes"] == []
    pdf = report["pdf_signature"]
    assert pdf["valid"] and pdf["signer"] == "alex" and pdf["trusted"] and pdf["whole_file"] and pdf["issuing_user"]
    issued_at = datetime.fromisoformat(report["issued_at"])
    assert abs(datetime.fromisoformat(pdf["signing_time"]) - issued_at) < timedelta(seconds=1)
    assert issued_at.strftime("%b %d %Y %H:%M:%S") in pdfsig(issued.letter)     # pdfsig shows it in UTC


@pytest.mark.parametrize("where", ["page content", "document information", "signature dictionary", "trailer"])
def test_any_changed_byte_in_the_signed_range_makes_pdfsig_report_it_invalid(issued: Issued, tmp_path: Path,
                                                                            where: str) -> None:
    data = bytearray(issued.letter.read_bytes())
    (_start, first_end), (second_start, _end) = signed_ranges(pdfsig(issued.letter))
    at = {"page content": lambda: data.index(b"stream\n") + 20,                      # inside a compressed stream
          "document information": lambda: data.index(b"dws-letter/1") + 5,           # the marker in /Subject
          "signature dictionary": lambda: data.index(b"/M (D\\072", second_start) + 20,   # the minute's last digit
          "trailer": lambda: data.rindex(b"/ID [") + 45,                            # the update's file identifier
          }[where]()
    assert at < first_end or at >= second_start
    data[at] = ord("7") if data[at] != ord("7") else ord("8")
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(bytes(data))
    report = pdfsig(changed)
    assert "Signature Validation:" in report and "Signature is Valid." not in report, report
    assert not pyhanko_status(bytes(data), issued.ca_pem).intact


def test_pyhanko_accepts_the_letter_with_the_exported_ca_as_its_trust_root(issued: Issued) -> None:
    from pyhanko.sign.validation import SignatureCoverageLevel
    from pyhanko.sign.validation.status import ModificationLevel

    status = pyhanko_status(issued.letter.read_bytes(), issued.ca_pem)
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE and status.modification_level == ModificationLevel.NONE
    assert status.signing_cert.subject.native["common_name"] == "alex"
    assert status.signing_cert.serial_number == int(json.loads(run_dws(
        issued.store, "verify-letter", str(issued.letter), "--json", user="otto"))["pdf_signature"]
        ["certificate_serial"], 16)


def test_the_exported_ca_is_the_stores_and_its_export_is_logged(issued: Issued) -> None:
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(issued.ca_pem.read_bytes())
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert f"{cert.serial_number:x}" == issued.exported["serial"]
    log = run_dws(issued.store, "verify", "--json", user="otto")
    assert json.loads(log)["ok"]
    from workstation.service import Workstation
    from workstation.store import auditlog

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        with Workstation(issued.store).unlock("otto", demo_passphrase("otto")) as s:
            exports = [e for e in auditlog.entries(s.conn) if e.event == "office-ca-exported"]
    assert [(e.user, e.detail["target"], e.detail["sha256"]) for e in exports] == [
        ("otto", str(issued.ca_pem.resolve()), issued.exported["sha256"])]


def test_an_incremental_update_is_reported_by_both_readers_and_refused_by_verify_letter(issued: Issued,
                                                                                      tmp_path: Path) -> None:
    from pyhanko.sign.validation import SignatureCoverageLevel
    from pypdf import PdfWriter

    writer = PdfWriter(str(issued.letter), incremental=True)
    writer.add_metadata({"/Title": "Harmless retitle"})
    buf = io.BytesIO()
    writer.write(buf)
    updated = tmp_path / "updated.pdf"
    updated.write_bytes(buf.getvalue())
    assert buf.getvalue().startswith(issued.letter.read_bytes())
    report = pdfsig(updated, issued.nssdir)
    assert "Not total document signed" in report and "Total document signed" not in report
    status = pyhanko_status(buf.getvalue(), issued.ca_pem)
    assert status.intact and status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert status.modification_level is not None and status.modification_level.value > 0
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out):
        for key, value in {"DWS_STORE": str(issued.store), "DWS_USER": "otto",
                           "DWS_PASSPHRASE": demo_passphrase("otto"), "DWS_NO_KEYRING": "1"}.items():
            mp.setenv(key, value)
        assert dws(["verify-letter", str(updated), "--json"]) == 3
    problems = json.loads(out.getvalue())["problems"]
    assert "appended" in problems[0] and any("incremental update follows its PDF signature" in p for p in problems)


def test_the_signed_letter_looks_as_it_did_before_it_was_signed(issued: Issued, tmp_path: Path) -> None:
    """The signature is invisible: poppler draws every page of the signed file exactly as it draws the
    rendered letter (the file's first revision)."""
    data = issued.letter.read_bytes()
    rendered = data[:data.index(b"%%EOF") + len(b"%%EOF\n")]
    assert rendered != data and data.startswith(rendered)
    (tmp_path / "rendered.pdf").write_bytes(rendered)
    pages = {}
    for name in ("rendered", "letter"):
        out = tmp_path / name
        out.mkdir()
        source = tmp_path / "rendered.pdf" if name == "rendered" else issued.letter
        subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", str(source), str(out / "page")], check=True)
        pages[name] = [QImage(str(png)) for png in sorted(out.glob("page*.png"))]
    assert len(pages["letter"]) == len(pages["rendered"]) >= 1
    for signed, before in zip(pages["letter"], pages["rendered"], strict=True):
        assert not signed.isNull() and signed == before
    ink = sum(1 for y in range(0, pages["letter"][0].height(), 4) for x in range(0, pages["letter"][0].width(), 4)
              if pages["letter"][0].pixelColor(x, y).lightness() < 128)
    assert ink > 100                                               # a page with text on it, not a blank

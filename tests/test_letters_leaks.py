"""No leak: every element a letter must never show holds a unique canary value in the taxpayer records
(agi, total_tax, refund, phone and bank_account, which (i)(2) never releases; the name and address on file
of every subject that is withheld; every TIN, which no request here asks for). Letters for a partial grant
and for denials of each kind are issued, and no canary may appear anywhere in them: the raw bytes, any
decompressed stream (zlib and pypdf), the text pypdf and pdftotext extract, or the metadata. On both engines
(issue 19 item 1, tests/engines.py): the letters of a local store and of an office."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest
from enginebuilt import module_engine
from engines import ENGINES
from letterdata import ISSUED, canary_strings, issued_on, pdftotext, pypdf_pages
from pypdf import PdfReader

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
CANARIES = canary_strings()


@pytest.fixture(scope="module", params=ENGINES)
def letters(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every letter issued once by the approver, from a local store and from an office (tests/engines.py)."""
    root = tmp_path_factory.mktemp(f"leaks-{request.param}")
    with module_engine(request.param, request, root) as engine:
        return issued_on(engine, root / "work", "alex")


def flate_streams(raw: bytes) -> list[bytes]:
    """Every stream of the file decoded by hand: Flate, or ASCII85 then Flate; kept raw when neither."""
    out = []
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", raw, re.DOTALL):
        data = m.group(1)
        if data.rstrip().endswith(b"~>"):
            data = base64.a85decode(data.strip(), adobe=True)
        try:
            out.append(zlib.decompress(data))
        except zlib.error:
            out.append(data)
    return out


def pypdf_streams(path: Path) -> list[bytes]:
    reader = PdfReader(path)
    out = []
    for num in range(1, int(reader.trailer["/Size"])):
        obj = reader.get_object(num)
        if hasattr(obj, "get_data"):
            out.append(obj.get_data())
    for page in reader.pages:
        out.append(page.get_contents().get_data())  # type: ignore[union-attr]
    return out


def found(blob: str | bytes) -> list[str]:
    if isinstance(blob, bytes):
        return [c for c in CANARIES if c.encode() in blob]
    return [c for c in CANARIES if c in blob]


@pytest.mark.parametrize("rid", ISSUED)
def test_no_canary_anywhere_in_the_letter(letters: dict[str, Path], rid: str) -> None:
    path = letters[rid]
    raw = path.read_bytes()
    assert found(raw) == [], "raw bytes"
    streams = flate_streams(raw)
    assert streams, "the letter has streams to look into"
    assert found(b"\n".join(streams)) == [], "zlib-decompressed streams"
    assert found(b"\n".join(pypdf_streams(path))) == [], "pypdf-decoded streams"
    assert found(" ".join(pypdf_pages(path))) == [], "pypdf text"
    assert found(pdftotext(path)) == [], "pdftotext text"
    metadata = PdfReader(path).metadata or {}
    assert found(" ".join(str(v) for v in metadata.values())) == [], "metadata"


def test_the_canaries_would_be_seen(tmp_path: Path) -> None:
    """The detectors work: a PDF that does carry canaries (compressed, as letters are) is caught."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "leaky.pdf"
    c = canvas.Canvas(str(path), pageCompression=1)
    c.setSubject(CANARIES[1])
    c.drawString(72, 720, f"AGI {CANARIES[0]} and account {CANARIES[4]}")
    c.save()
    raw = path.read_bytes()
    assert CANARIES[0].encode() not in raw                    # compressed: invisible to a raw search ...
    assert CANARIES[0].encode() in b"".join(flate_streams(raw))   # ... but not to the decompressed one
    assert CANARIES[0] in pdftotext(path) and CANARIES[4] in " ".join(pypdf_pages(path))
    assert found(str((PdfReader(path).metadata or {}).get("/Subject")))


def test_the_released_values_are_there(letters: dict[str, Path]) -> None:
    """The transmittal is not empty by accident: what (i)(2) releases is in it."""
    text = pdftotext(letters["LTR-PARTIAL"])
    assert "Maria Example" in text and "415 Oak Street" in text


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf not installed")
def test_qpdf_finds_no_hidden_objects(letters: dict[str, Path], tmp_path: Path) -> None:
    """qpdf's uncompressed rewrite of a denial holds no canary either (objects unused by any page included)."""
    out = tmp_path / "qdf.pdf"
    subprocess.run(["qpdf", "--qdf", "--object-streams=disable", str(letters["LTR-DENY-SUBJECTS"]), str(out)],
                   check=True)
    assert found(out.read_bytes()) == []

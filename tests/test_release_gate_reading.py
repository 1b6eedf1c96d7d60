"""The release gate's two halves on their own: reading a PDF back (every place a value can hide: compressed
page text, form XObjects, annotations, bookmarks, the Info dictionary, XMP, embedded files; every way a
string is written) and matching values in the text read (normalization, groupings, what is too short)."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest

from workstation.redaction import pdftext
from workstation.redaction.gate_match import TextIndex, tin_key, value_keys

CANARY = "Philomena Quargstead"


def _canvas(tmp_path: Path):
    from reportlab.pdfgen import canvas

    return canvas.Canvas(str(tmp_path / "x.pdf"), pageCompression=1)


def _found(data: bytes, element: str, value: object) -> set[str]:
    """Where the reader and the index find `value` (empty: nowhere)."""
    back = pdftext.read(data)
    assert back.unreadable == []
    hits = TextIndex((p.where, p.text) for p in back.parts).count(value_keys(element, value))
    return {w for found in hits.values() for w in found.where}


def _minimal_pdf(content: bytes, header: bytes = b"") -> bytes:
    """One page whose content stream is `content` with the stream dictionary entries `header`."""
    return (b"%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids "
            b"[3 0 R] /Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
            b"4 0 obj\n<< /Length %d %s >>\nstream\n%s\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%%%EOF\n"
            % (len(content), header, content))


def test_compressed_page_text_is_read(tmp_path: Path) -> None:
    c = _canvas(tmp_path)
    c.drawString(72, 720, f"Witness: {CANARY}")
    c.save()
    data = (tmp_path / "x.pdf").read_bytes()
    assert CANARY.encode() not in data                          # only inflated does it show
    assert _found(data, "name", CANARY) == {pdftext.PAGE}


def test_metadata_bookmarks_annotations_and_forms_are_read(tmp_path: Path) -> None:
    c = _canvas(tmp_path)
    c.setSubject(f"about {CANARY}")
    c.drawString(72, 720, "Nothing to see here")
    c.bookmarkPage("p1")
    c.addOutlineEntry(f"Chapter on {CANARY.upper()}", "p1")
    c.save()
    assert _found((tmp_path / "x.pdf").read_bytes(), "name", CANARY) == {pdftext.STRINGS}

    c = _canvas(tmp_path)
    c.textAnnotation(f"note: {CANARY}", Rect=(72, 600, 200, 650))
    c.save()
    assert _found((tmp_path / "x.pdf").read_bytes(), "name", CANARY) == {pdftext.STRINGS}

    c = _canvas(tmp_path)
    c.beginForm("f")
    c.drawString(0, 0, "Filed by")
    c.drawString(0, 12, CANARY.lower())
    c.endForm()
    c.doForm("f")
    c.save()
    assert _found((tmp_path / "x.pdf").read_bytes(), "name", CANARY) == {pdftext.PAGE}


def test_xmp_and_embedded_files_are_read() -> None:
    xmp = f"<x:xmpmeta><dc:creator>{CANARY.replace(' ', '&#32;')}</dc:creator></x:xmpmeta>".encode()
    data = _minimal_pdf(b"BT (plain) Tj ET").replace(b"trailer", b"5 0 obj\n<< /Type /Metadata /Subtype /XML "
                                                     b"/Length %d >>\nstream\n%s\nendstream\nendobj\ntrailer"
                                                     % (len(xmp), xmp))
    assert _found(data, "name", CANARY) == {pdftext.XMP}
    body = zlib.compress(f"id,name\n1,{CANARY}\n".encode())
    data = _minimal_pdf(b"BT (plain) Tj ET").replace(b"trailer", b"5 0 obj\n<< /Type /EmbeddedFile /Filter "
                                                     b"/FlateDecode /Length %d >>\nstream\n%s\nendstream\nendobj\n"
                                                     b"trailer" % (len(body), body))
    assert _found(data, "name", CANARY) == {pdftext.FILE}


@pytest.mark.parametrize("content", [
    rb"BT [(Philo) -12 (mena Quarg) 30 (stead)] TJ ET",          # kerned apart within one TJ array
    b"BT <5068696C6F6D656E61205175617267737465616420> Tj ET",      # a hex string
    rb"BT (Philomena) Tj T* (Quargstead) Tj ET",                  # two lines
    rb"BT (\(the witness\) \120hilomena Quarg\
stead) Tj ET",                                                    # octal, escaped parentheses, line continuation
    rb"BT (Philomena (called (Phil)) x) Tj (PHILOMENA   QUARGSTEAD) ' ET",   # nested parentheses, the ' operator
])
def test_every_way_a_string_is_written_is_read(content: bytes) -> None:
    assert _found(_minimal_pdf(zlib.compress(content), b"/Filter /FlateDecode"), "name", CANARY) == {pdftext.PAGE}


def test_filter_chains_are_undone() -> None:
    import base64

    body = base64.a85encode(zlib.compress(b"BT (SSN 212-45-1004) Tj ET"), adobe=True)
    data = _minimal_pdf(body, b"/Filter [/ASCII85Decode /FlateDecode]")
    assert _found(data, "tin", "212451004") == {pdftext.PAGE}


def test_what_cannot_be_read_is_reported(tmp_path: Path) -> None:
    from PIL import Image
    from reportlab.lib.utils import ImageReader

    c = _canvas(tmp_path)
    buf = io.BytesIO()
    Image.new("L", (8, 8), 255).save(buf, "PNG")
    c.drawImage(ImageReader(io.BytesIO(buf.getvalue())), 72, 600, 40, 40)
    c.save()
    assert any("image" in u for u in pdftext.read((tmp_path / "x.pdf").read_bytes()).unreadable)
    unknown = pdftext.read(_minimal_pdf(b"xx", b"/Filter /JBIG2Decode"))
    assert unknown.unreadable == ["object 4: a filter (JBIG2Decode) that is not read here"]
    broken = pdftext.read(_minimal_pdf(b"not zlib data", b"/Filter /FlateDecode"))
    assert broken.unreadable and "does not decode" in broken.unreadable[0]


def test_the_text_view_reads_the_pages_without_their_artifacts() -> None:
    """`reading_text` (the Letter tab's text view) leaves out artifacts, however they are opened and nested,
    and nothing else: a string that spells an operator is text, marked content inside an artifact is the
    artifact's; the gate's `read` still reads it all."""
    content = (b"BT /Artifact <</Type/Pagination/Subtype/Header>> BDC (Running header) Tj EMC\n"
               b"/P <</MCID 0>> BDC (First line \\(EMC\\) BDC) Tj EMC\n"
               b"/Artifact BMC /Span <</MCID 9>> BDC (Inner) Tj EMC (Outer) Tj EMC\n"
               b"/Artifact /Footer BDC (Page 1 of ) Tj EMC\n"
               b"/Span BMC (Second line) Tj EMC ET")
    data = _minimal_pdf(zlib.compress(content), b"/Filter /FlateDecode")
    assert pdftext.reading_text(data).splitlines() == ["First line (EMC) BDC", "Second line"]
    page = next(p.text for p in pdftext.read(data).parts if p.where == pdftext.PAGE)
    assert {"Running header", "Inner", "Outer", "Page 1 of "} <= set(page.splitlines())


# --- matching ----------------------------------------------------------------------------------------------

def _count(text: str, element: str, value: object) -> int:
    """How often the most often found key of the value occurs in `text`."""
    hits = TextIndex([("page text", text)]).count(value_keys(element, value))
    return max((f.count for f in hits.values()), default=0)


@pytest.mark.parametrize("printed", ["212-45-1004", "212 45 1004", "212451004", "212.45.1004", "SSN:212451004",
                                     "ssn 212-45-\n1004", "the TIN 212 45\n1004."])
def test_a_tin_in_any_printed_grouping(printed: str) -> None:
    assert _count(printed, "tin", "212451004") == 1


@pytest.mark.parametrize("printed", ["2124510040", "1212451004", "2124-51-004", "Refs 212, 45, 1004",
                                     "on 2124-5-1004", "21245100"])
def test_other_numbers_are_not_a_tin(printed: str) -> None:
    assert _count(printed, "tin", "212451004") == 0


def test_dates_and_reference_lists_never_spell_a_tin() -> None:
    text = "as of 2025-04-03\n13\nApplies to 3 taxpayers: 1\u20133, 7, 9, 212, 45, 1004; 20250403 2125"
    index = TextIndex([("page text", text)])
    assert index.count([tin_key("202504031"), tin_key("212451004")]) == {}


@pytest.mark.parametrize(("printed", "value"), [
    ("PHILOMENA QUARGSTEAD", CANARY), ("Quargstead, Philomena", CANARY), ("philomena\nquargstead", CANARY),
    ("Philomena X. Quargstead", "Philomena X Quargstead"), ("Philomena Quargstead", "Philomena X. Quargstead"),
    ("Ms. Ren\u00e9e O'Quinn-Baptiste", "RENEE OQUINN BAPTISTE"), ("Jos\u00e9 N\u00fa\u00f1ez", "Jose Nunez"),
])
def test_names_whatever_the_case_punctuation_accents_or_line_breaks(printed: str, value: str) -> None:
    assert _count(printed, "name", value) >= 1


def test_street_lines_in_any_usps_spelling_with_or_without_the_unit() -> None:
    for printed in ("77 CANARYHILL ROAD APARTMENT 4", "77 Canaryhill Rd", "77 canaryhill rd., apt 4"):
        assert _count(printed, "address", "77 Canaryhill Rd Apt 4") == 1, printed


def test_amounts_after_a_dollar_sign_with_or_without_separators() -> None:
    for printed in ("AGI $54,321", "$54321.00", "$ 54,321 in 2024"):
        assert _count(printed, "agi", 54321) == 1, printed
    for printed in ("54,321 subjects", "ref 54321", "$54,3210", "$154,321"):
        assert _count(printed, "agi", 54321) == 0, printed


def test_phone_numbers_and_accounts() -> None:
    for printed in ("(512) 555-0142", "512-555-0142", "512 555 0142", "5125550142"):
        assert _count(printed, "phone", "512-555-0142") == 1, printed
    assert _count("acct 0012 3456 78", "bank_account", "0012345678") == 0      # not as stored, not bare
    assert _count("acct 0012345678", "bank_account", "0012345678") == 1


@pytest.mark.parametrize(("element", "value"), [
    ("agi", 5000), ("agi", 41000), ("refund", 7), ("dependents", 2), ("filing_status", "single"),
    ("name", "Al Li"), ("employer", "Target"), ("phone", "555-01"), ("address", "1 A St"),
])
def test_values_too_short_or_too_common_are_not_looked_for(element: str, value: object) -> None:
    assert value_keys(element, value) == []


def test_a_subject_whose_reference_holds_the_value_is_named_by_position() -> None:
    from workstation.service.release_gate import Owner, _label

    assert _label(Owner("tin", 6, "SSN 212-45-1004", "as sent"), tin_key("212451004")) == \
        "no. 7 (its reference holds the value)"
    assert _label(Owner("tin", 6, "R-7", "as sent"), tin_key("212451004")) == "R-7"

"""Letters as archival, accessible documents (issue 22): every kind of letter a demo store makes is a tagged
PDF/UA-1 and PDF/A-2B file, and stays readable, scannable and signed.

Checked with `pdfua` (the machine-checkable part of PDF/UA-1: no error, no warning; an untagged PDF fails),
pikepdf's PDF/A-2B validator (on the rendered revision: it does not handle forms or XMP extension schemas,
which are checked here instead), and pikepdf walks of the file itself: every piece of page content is in
marked content that the structure tree owns, or an artifact; every font embedded; the metadata agrees."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pikepdf
import pytest
from demoletters import LETTERS, Letter, demo_letters_fixture  # noqa: F401 - the session fixture
from pdfua.validator import Validator

from workstation.letters import fonts
from workstation.redaction import pdftext

PAINTING = {"Tj", "TJ", "'", '"', "S", "s", "f", "F", "f*", "B", "B*", "b", "b*", "Do", "sh", "BI", "INLINE IMAGE"}


def findings(pdf: bytes, tmp_path, name: str = "letter.pdf") -> list:
    path = tmp_path / name
    path.write_bytes(pdf)
    report = Validator().validate(str(path))
    return [f for outcome in report.outcomes for f in outcome.findings]


@pytest.mark.parametrize("rid", LETTERS)
def test_pdfua_finds_no_error_and_no_warning(demo_letters: dict[str, Letter], rid: str, tmp_path) -> None:
    found = findings(demo_letters[rid].pdf, tmp_path)
    assert [f for f in found if f.severity.name in ("ERROR", "WARNING")] == [], found


def test_pdfua_fails_an_untagged_pdf(demo_letters: dict[str, Letter], tmp_path) -> None:
    """The checker is not blind: the same letter without its structure tree, and a plain reportlab page, fail."""
    from reportlab.pdfgen import canvas

    pdf = pikepdf.open(io.BytesIO(demo_letters["DEMO-I2-PARTIAL"].rendered))
    del pdf.Root["/StructTreeRoot"], pdf.Root["/MarkInfo"]
    stripped = io.BytesIO()
    pdf.save(stripped)
    plain = io.BytesIO()
    c = canvas.Canvas(plain)
    c.drawString(72, 720, "An untagged letter")
    c.save()
    for name, data in (("stripped.pdf", stripped.getvalue()), ("plain.pdf", plain.getvalue())):
        rules = {f.rule_id for f in findings(data, tmp_path, name) if f.severity.name == "ERROR"}
        assert "UA-01-005" in rules, (name, rules)          # no structure tree


def _marked_content(page: pikepdf.Page) -> tuple[list[str], list[int]]:
    """(content painted outside tagged marked content or an artifact, the MCIDs the page marks)."""
    stack: list[tuple[str, int | None]] = []
    loose, mcids = [], []
    for operands, operator in pikepdf.parse_content_stream(page):
        op = str(operator)
        if op in ("BDC", "BMC"):
            props = operands[1] if op == "BDC" else None
            mcid = int(props["/MCID"]) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props else None
            stack.append((str(operands[0]), mcid))
            if mcid is not None:
                mcids.append(mcid)
        elif op == "EMC":
            stack.pop()
        elif op in PAINTING and not any(tag == "/Artifact" or mcid is not None for tag, mcid in stack):
            loose.append(op)
    assert not stack, "a marked-content sequence is left open"
    return loose, mcids


def _elements(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    out, todo = [], [pdf.Root.StructTreeRoot.K]
    while todo:
        node = todo.pop()
        if isinstance(node, pikepdf.Array):
            todo.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and "/S" in node:
            out.append(node)
            if "/K" in node:
                todo.append(node.K)
    return out


def _owned(element: pikepdf.Dictionary, page: pikepdf.Object) -> set[int]:
    kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
    own = set()
    for k in kids:
        if isinstance(k, int | pikepdf.Object) and not isinstance(k, pikepdf.Dictionary | pikepdf.Array):
            if element.Pg.objgen == page.objgen:
                own.add(int(k))
        elif isinstance(k, pikepdf.Dictionary) and k.get("/Type") == "/MCR" and k.Pg.objgen == page.objgen:
            own.add(int(k.MCID))
    return own


@pytest.mark.parametrize("rid", LETTERS)
def test_every_piece_of_content_is_tagged_or_an_artifact(demo_letters: dict[str, Letter], rid: str) -> None:
    pdf = pikepdf.open(io.BytesIO(demo_letters[rid].pdf))
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    for n, page in enumerate(pdf.pages):
        loose, mcids = _marked_content(page)
        assert loose == [], (rid, n, loose)
        assert sorted(mcids) == list(range(len(mcids))), "MCIDs are numbered from 0 on each page"
        owners = parents[int(page.obj.StructParents)]
        assert len(owners) == len(mcids)
        for mcid in mcids:
            assert mcid in _owned(owners[mcid], page.obj), (rid, n, mcid)
    roles = [str(e.S) for e in _elements(pdf)]
    assert roles.count("/H1") == 1 and "/H2" in roles and "/P" in roles and "/Figure" in roles, roles
    assert "/Form" in roles                              # the signature field, by its object reference


def test_the_structure_says_what_each_part_is(demo_letters: dict[str, Letter]) -> None:
    pdf = pikepdf.open(io.BytesIO(demo_letters["DEMO-I2-PARTIAL"].pdf))
    elements = _elements(pdf)
    by_role: dict[str, list] = {}
    for e in elements:
        by_role.setdefault(str(e.S), []).append(e)
    assert {"/L", "/LI", "/Lbl", "/LBody", "/Table", "/TR", "/TH", "/TD"} <= set(by_role)
    assert len(by_role["/TH"]) == 3 and all(th.A.Scope == "/Column" for th in by_role["/TH"])
    assert len(by_role["/TR"]) == 1 + 2                  # the header row and one row per released subject
    figures = by_role["/Figure"]
    letter_id = re.search(rb"letter=(L-[0-9A-F]{12})", demo_letters["DEMO-I2-PARTIAL"].pdf).group(1).decode()
    alts = sorted(str(f.Alt) for f in figures)
    assert len(alts) == 2 and "audit-log checkpoint" in alts[0] and letter_id in alts[1], alts
    form = by_role["/Form"][0]
    widget = form.K[0].Obj if isinstance(form.K, pikepdf.Array) else form.K.Obj
    assert widget.FT == "/Sig" and str(widget.TU) and "/V" in widget     # signed into the field made for it


@pytest.mark.parametrize("rid", LETTERS)
def test_every_font_is_embedded_and_its_widths_are_its_own(demo_letters: dict[str, Letter], rid: str) -> None:
    pdf = pikepdf.open(io.BytesIO(demo_letters[rid].pdf))
    seen = 0
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font":
            seen += 1
            assert obj.Subtype == "/TrueType" and obj.Encoding == "/WinAnsiEncoding"
            program = obj.FontDescriptor.FontFile2.read_bytes()
            key = next(k for k in fonts.FILES if fonts.font(k).base_font == str(obj.BaseFont)[1:])
            assert program == fonts.font(key).program
            assert list(obj.Widths) == list(fonts.font(key).widths)
    assert seen == 3


@pytest.mark.parametrize("rid", LETTERS)
def test_metadata_agrees_and_identifies_the_standards(demo_letters: dict[str, Letter], rid: str) -> None:
    pdf = pikepdf.open(io.BytesIO(demo_letters[rid].pdf))
    meta = pdf.open_metadata()
    info = pdf.docinfo
    assert meta["dc:title"] == str(info.Title) and str(info.Title).endswith(rid)
    assert meta["dc:description"] == str(info.Subject) and meta["pdf:Keywords"] == str(info.Keywords)
    assert meta["xmp:CreatorTool"] == str(info.Creator) and meta["pdf:Producer"] == str(info.Producer)
    assert meta["pdfaid:part"] == "2" and meta["pdfaid:conformance"] == "B" and meta["pdfuaid:part"] == "1"
    assert str(info.CreationDate) == str(info.ModDate)
    xmp = bytes(pdf.Root.Metadata.read_bytes()).decode()
    for prefix, prop in (("pdfuaid", "part"), ("dws", "Checkpoint")):     # each custom property is declared
        assert re.search(rf"<pdfaSchema:prefix>{prefix}</pdfaSchema:prefix>.*?<pdfaProperty:name>{prop}<", xmp,
                         re.DOTALL), prefix
    root = pdf.Root
    assert root.Lang == "en-US" and root.MarkInfo.Marked and root.ViewerPreferences.DisplayDocTitle
    intent = root.OutputIntents[0]
    assert intent.S == "/GTS_PDFA1" and intent.DestOutputProfile.N == 3 and "/Version" not in root
    assert pdf.pdf_version == "1.7"


@pytest.mark.parametrize("rid", ["DEMO-I2-PARTIAL", "DEMO-FOIA-FIRST-PARTY", "DEMO-I2-BULK"])
def test_pikepdfs_pdfa_validator_passes_the_rendered_letter(demo_letters: dict[str, Letter], rid: str) -> None:
    """pikepdf denies what it does not know (a form field; any XMP extension schema), so the field is taken
    out and the extension schemas' findings are set aside (their content is checked above)."""
    import pikepdf.pdfa as pdfa

    pdf = pikepdf.open(io.BytesIO(demo_letters[rid].rendered))
    del pdf.Root["/AcroForm"]
    for page in pdf.pages:
        if "/Annots" in page.obj:
            del page.obj["/Annots"]
    out = io.BytesIO()
    pdf.save(out)
    report = pdfa.validate_written(io.BytesIO(out.getvalue()), "2b")
    extension = ("pdfaExtension", "pdfaSchema", "pdfaProperty", "dws", "pdfuaid")
    left = [f for f in report.findings if not any(word in str(f) for word in extension)]
    assert left == [], left


def test_the_pages_read_back_exactly_and_the_qr_code_scans(demo_letters: dict[str, Letter], tmp_path) -> None:
    letter = demo_letters["DEMO-I2-PARTIAL"]
    shown = pdftext.read(letter.pdf)
    assert shown.unreadable == []
    page_text = next(p.text for p in shown.parts if p.where == pdftext.PAGE)
    assert "Schedule of disclosed information" in page_text and "U.S.C. §\u00a06103(i)(2)" in page_text
    assert "\ufffd" not in page_text and not re.search(r"[\x00-\x08\x0e-\x1f]", page_text)   # no binary read as text
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("poppler-utils and zbar-tools are needed (.ci/run installs them)")
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(letter.path), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    scanned = subprocess.run(["zbarimg", "-q", "--raw", str(pages[-1])], capture_output=True, text=True).stdout
    letter_id = re.search(rb"letter=(L-[0-9A-F]{12})", letter.pdf).group(1).decode()
    assert f"DWS-LETTER/1 {letter_id}" in scanned and "disclosure-workstation/" in scanned


@pytest.mark.parametrize("rid", ["DEMO-I2-PARTIAL", "DEMO-I2-BULK"])
def test_the_signers_reader_reads_the_cross_reference_stream_as_pyhanko_does(demo_letters: dict[str, Letter],
                                                                            rid: str) -> None:
    """pades_reader reads a letter's cross-reference stream at once (190,000 entries in a big schedule); what it
    makes of it is what pyHanko's own reader makes, for the rendered letter, the signed one (two revisions) and
    the letter rewritten by pikepdf with a cross-reference table, and with streams of its own shape (both read
    by pyHanko's code)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    from workstation.letters.pades_reader import LetterReader, Packed

    letter = demo_letters[rid]
    rewritten = []
    for mode in (pikepdf.ObjectStreamMode.disable, pikepdf.ObjectStreamMode.generate):
        out = io.BytesIO()
        pikepdf.open(io.BytesIO(letter.rendered)).save(out, object_stream_mode=mode)
        rewritten.append(out.getvalue())
    for data in (letter.rendered, letter.pdf, *rewritten):
        ours, theirs = LetterReader(io.BytesIO(data)), PdfFileReader(io.BytesIO(data))
        assert ours.trailer.flatten() == theirs.trailer.flatten() and ours.last_startxref == theirs.last_startxref
        pairs = list(zip(ours.xrefs._xref_sections, theirs.xrefs._xref_sections, strict=True))
        for a, b in pairs:
            assert a.meta_info == b.meta_info
            assert vars(a.xref_data) == vars(b.xref_data)
            packed = a.xref_data.xrefs_in_objstm
            if isinstance(packed, Packed):               # each object looked up, and one that is not there
                assert all(packed[n] == b.xref_data.xrefs_in_objstm[n] for n in b.xref_data.xrefs_in_objstm)
                assert 0 not in packed and 10**7 not in packed
                assert (0, 0) not in a.xref_data.explicit_refs_in_revision
        assert vars(ours).keys() == vars(theirs).keys()
    assert isinstance(LetterReader(io.BytesIO(letter.rendered)).xrefs._xref_sections[0].xref_data.xrefs_in_objstm,
                      Packed)                            # the letter's own stream is read here, not by pyHanko


def test_table_rows_are_tagged_cell_by_cell_across_pages_and_cell_patterns(tmp_path) -> None:
    """A long table (structure.py keeps its rows as runs, tree.py writes each run at once): rows whose cells are
    filled differently, over several pages, each a TR of TDs whose marked content is its own, in object streams
    with a cross-reference stream; pdfua finds nothing."""
    from workstation.letters.archival import Meta
    from workstation.letters.layout import MARGIN, Frame, PageWriter
    from workstation.letters.schedule import COLUMN
    from workstation.letters.text import BOLD, REGULAR

    w = PageWriter(Frame("Office", "Letter L-1 | Request R-1", None, "", "Page {page} of "),
                   Meta("A table", "Office", "subject", "keywords", "creator", "D:20261102153000+00'00'"))
    patterns = [("1", "Ann Lee", "Address: 1 Main St"), ("2", "", "Address: 2 Main St"), ("3", "Bo Li", "")]
    with w.tag("Table"):
        with w.tag("TR"):
            for x, heading in ((MARGIN, "Ref"), (MARGIN + 50, "Name"), (MARGIN + 180, "Released")):
                with w.tag("TH", COLUMN):
                    w.text(x, w.y - 8, heading, BOLD, 8)
        w.y -= 12
        for n in range(300):
            ref, name, info = patterns[n // 7 % 3]
            w.need(11)
            cells = [(MARGIN, [f"{ref}-{n}"]), (MARGIN + 50, [name] if name else []),
                     (MARGIN + 180, [info, "(continued)"] if info and n % 5 == 0 else [info] if info else [])]
            top = w.y
            w.row(cells, top, REGULAR, 8, 10)
            w.y = top - 10 * max(len(lines) for _x, lines in cells) - 1
    data, pages = w.finish()
    assert pages > 3
    assert b"/Type/XRef" in data and b"\nxref\n" not in data and data.count(b"/Type/ObjStm") >= 3
    pdf = pikepdf.open(io.BytesIO(data))
    table = next(e for e in _elements(pdf) if str(e.S) == "/Table")
    rows = list(table.K)[1:]                               # after the header row
    assert len(rows) == 300 and all(str(r.S) == "/TR" and len(r.K) == 3 for r in rows)
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    owners = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
    texts = {}
    for page in pdf.pages:
        stack: list[int | None] = []
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("BDC", "BMC"):
                props = operands[1] if op == "BDC" else None
                stack.append(int(props["/MCID"]) if isinstance(props, pikepdf.Dictionary) and "/MCID" in props
                             else None)
            elif op == "EMC":
                stack.pop()
            elif op == "Tj" and stack and stack[-1] is not None:
                td = owners[int(page.obj.StructParents)][stack[-1]]
                assert td.Pg.objgen == page.obj.objgen and int(td.K) == stack[-1]
                texts.setdefault(td.objgen, []).append(bytes(operands[0]).decode())
    for n, row in enumerate(rows):
        ref, name, info = patterns[n // 7 % 3]
        expected = [[f"{ref}-{n}"], [name] if name else None,
                    ([info, "(continued)"] if n % 5 == 0 else [info]) if info else None]
        for td, want in zip(row.K, expected, strict=True):
            assert str(td.S) == "/TD" and td.P.objgen == row.objgen
            assert texts.get(td.objgen) == want and (("/K" in td) == (want is not None)), (n, want)
    assert [f for f in findings(data, tmp_path) if f.severity.name in ("ERROR", "WARNING")] == []

"""Pages on a reportlab canvas: US Letter, the frame every page carries, text that flows from page to page, and
its structure.

The frame: office and letter reference at the top; the Federal Tax Information marking at the top and the
bottom when the letter carries taxpayer data; "Page N of M" at the bottom. Text goes straight into the page
content stream (see text.py). "M" is a form XObject drawn on every page and defined once the last page is
known, so a 1,000-page schedule is drawn in one pass, holding one page at a time.

Tagged as it is drawn (structure.py): text belongs to the innermost element opened with `tag` (a paragraph,
heading or line opens its own unless told `role=None`), or to an artifact (`artifact`: the frame, a table's
repeated headings); rules and boxes are artifacts; `figure` draws a tagged figure with its alternate text.

Black on white, no fills but the QR codes: it prints the same on a monochrome office printer.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfdoc import BasicFonts, PDFArray, PDFDictionary, PDFName, PDFObjectReference
from reportlab.pdfgen import canvas

from . import archival, fonts, pdffile, tree
from .archival import Meta
from .rlobjects import ArchivalStream, number
from .structure import CONTAINERS, Extra, Structure
from .text import BOLD, MONO, REGULAR, literal, width, wrap

PAGE_W, PAGE_H = letter
MARGIN = 54.0                  # 0.75 in
CONTENT_W = PAGE_W - 2 * MARGIN
TOP = PAGE_H - 66.0            # the body starts below the header
BOTTOM = 54.0                  # and ends above the footer
BODY = 9.0                     # body text size and leading
LEADING = 11.6
SMALL = 7.5
ARTIFACT = "/Artifact BMC"
HEADER = "/Artifact <</Type/Pagination/Subtype/Header>> BDC"
FOOTER = "/Artifact <</Type/Pagination/Subtype/Footer>> BDC"
PAGES_FORM = "dwsPageCount"
SIGNATURE = "dwsSignature"     # the signature field's annotation, as reportlab's document names it

__all__ = ["BOTTOM", "CONTENT_W", "LEADING", "MARGIN", "PAGE_H", "PAGE_W", "TOP", "Frame", "Meta", "PageWriter"]


@dataclass(frozen=True, slots=True)
class Frame:
    office: str
    reference: str             # "Letter L-... | Request ..."
    fti: str | None            # the marking, or None when the letter carries no taxpayer data
    fti_note: str
    page_label: str            # "Page {page} of "


class PageWriter:
    """A cursor (`y`, top of the next line) over the current page; `new_page` when a block does not fit."""

    def __init__(self, frame: Frame, meta: Meta) -> None:
        fonts.register()
        self._buf = io.BytesIO()
        c = self.c = canvas.Canvas(self._buf, pagesize=letter, invariant=1, pdfVersion=archival.VERSION,
                                   lang=archival.LANG, initialFontName=fonts.NAMES[REGULAR])  # type: ignore[arg-type]
        self.doc = pdffile.adopt(c._doc)           # type: ignore[attr-defined] # written with the structure tree packed (pdffile.py)
        archival.describe(c, meta)
        self.meta = meta
        self._names = {f: c._doc.getInternalFontName(fonts.NAMES[f]) for f in (REGULAR, BOLD, MONO)}  # type: ignore[attr-defined]
        self.structure = Structure()
        self.structure.new_page()
        self.frame = frame
        self.page = 1
        self.y = TOP
        self.on_new_page: Callable[[], None] | None = None   # e.g. repeat a table's column headings
        self._ops: list[str] = []
        self._font: tuple[str, float] | None = None
        self._rules: list[str] = []
        self._figures: list[str] = []
        self._annots: list[PDFObjectReference] = []
        self._widgets: list[tuple[PDFDictionary, int, int]] = []     # (widget, its element, /StructParent key)
        self._want: int | str = 0          # what text drawn now belongs to: an element, or an artifact's operator
        self._marked: int | str | None = None   # the marked-content sequence open in the text object, if any
        self._saved: list[int | str] = []

    # --- structure -----------------------------------------------------------------------------------
    def begin(self, role: str, extra: Extra | None = None) -> int:
        """Open an element, child of the current one, that what is drawn next belongs to (`end` closes it)."""
        self._saved.append(self._want)
        self._want = element = self.structure.open(role, extra)
        return element

    def end(self, element: int) -> None:
        self.structure.close(element)
        self._want = self._saved.pop()

    @contextmanager
    def tag(self, role: str, extra: Extra | None = None) -> Iterator[int]:
        """`begin` ... `end` around a block."""
        element = self.begin(role, extra)
        try:
            yield element
        finally:
            self.end(element)

    @contextmanager
    def artifact(self, operator: str = ARTIFACT) -> Iterator[None]:
        saved = self._want
        self._want = operator
        try:
            yield
        finally:
            self._want = saved

    def _switch(self) -> None:
        """Close the marked-content sequence open in the text object and open the one text now belongs to."""
        if self._marked is not None:
            self._ops.append("EMC")
        want = self._want
        if isinstance(want, str):
            self._ops.append(want)
        else:
            role = self.structure.roles[want]
            if role in CONTAINERS:
                raise ValueError(f"letter layout: text drawn directly in a {role} element")
            self._ops.append(f"/{role} <</MCID {self.structure.mark(want)}>> BDC")
        self._marked = want

    # --- primitives --------------------------------------------------------------------------------
    def text(self, x: float, baseline: float, s: str, font: str = REGULAR, size: float = BODY) -> None:
        if self._marked != self._want:
            self._switch()
        if self._font != (font, size):
            self._ops.append(f"{self._names[font]} {size:g} Tf")
            self._font = (font, size)
        self._ops.append(f"1 0 0 1 {x:.2f} {baseline:.2f} Tm ({literal(s)}) Tj")

    def row(self, cells: list[tuple[float, list[str]]], top: float, font: str, size: float, leading: float) -> None:
        """A row of the table being drawn: a TR, and a TD per cell whose lines (at x, baselines from `top` down)
        are its one marked-content sequence. What `tag` and `text` would do, without their per-call
        bookkeeping: a 47,000-subject schedule draws 47,000 rows."""
        ops = self._ops
        if self._marked is not None:
            ops.append("EMC")
            self._marked = None
        if self._font != (font, size):
            ops.append(f"{self._names[font]} {size:g} Tf")
            self._font = (font, size)
        mcid = self.structure.row(tuple([bool(lines) for _x, lines in cells]))
        baseline = top - size
        for x, lines in cells:
            if len(lines) == 1:
                ops.append(f"/TD <</MCID {mcid}>> BDC\n1 0 0 1 {x:.2f} {baseline:.2f} Tm ({literal(lines[0])}) Tj\nEMC")
                mcid += 1
            elif lines:
                ops.append(f"/TD <</MCID {mcid}>> BDC")
                ops += [f"1 0 0 1 {x:.2f} {baseline - k * leading:.2f} Tm ({literal(line)}) Tj"
                        for k, line in enumerate(lines)]
                ops.append("EMC")
                mcid += 1

    def text_centred(self, baseline: float, s: str, font: str = REGULAR, size: float = BODY) -> None:
        self.text((PAGE_W - width(s, font, size)) / 2, baseline, s, font, size)

    def text_right(self, right: float, baseline: float, s: str, font: str = REGULAR, size: float = BODY) -> None:
        self.text(right - width(s, font, size), baseline, s, font, size)

    def rule(self, x1: float, y1: float, x2: float, y2: float, w: float = 0.5) -> None:
        self._rules.append(f"{w:g} w {x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")

    def box(self, x: float, y: float, w: float, h: float, line: float = 0.8) -> None:
        self._rules.append(f"{line:g} w {x:.2f} {y:.2f} {w:.2f} {h:.2f} re S")

    def figure(self, path: list[str], alt: str) -> None:
        """Fill a path (e.g. "x y w h re" rectangles) in black, tagged as a figure with alternate text `alt`."""
        with self.tag("Figure", Extra(alt=alt)) as element:
            mcid = self.structure.mark(element)
            self._figures.append(f"/Figure <</MCID {mcid}>> BDC q 0 g\n" + "\n".join(path) + "\nf Q EMC")

    def signature_field(self, tooltip: str) -> None:
        """The empty field the letter's signature goes into (archival.signature_widget), on this page, as a
        Form element with its description."""
        doc = self.c._doc  # type: ignore[attr-defined]
        widget = archival.signature_widget(doc, tooltip)
        doc.addAnnotation(SIGNATURE, widget)
        with self.tag("Form") as element:
            key = self.structure.annotation(element)
        self._annots.append(doc.refAnnotation(SIGNATURE))
        self._widgets.append((widget, element, key))

    # --- flow --------------------------------------------------------------------------------------
    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def space(self, height: float) -> None:
        self.y -= height

    def new_page(self) -> None:
        self._finish_page()
        self.structure.new_page()
        self.page += 1
        self.y = TOP
        if self.on_new_page is not None:
            self.on_new_page()

    def line(self, s: str, *, x: float = MARGIN, font: str = REGULAR, size: float = BODY,
             leading: float = LEADING, role: str | None = "P") -> None:
        if role is not None:
            with self.tag(role):
                self.line(s, x=x, font=font, size=size, leading=leading, role=None)
            return
        self.need(leading)
        self.text(x, self.y - size, s, font, size)
        self.y -= leading

    def paragraph(self, s: str, *, indent: float = 0, font: str = REGULAR, size: float = BODY,
                  leading: float = LEADING, after: float = 5, keep: int = 2, bullet: str | None = None,
                  role: str | None = "P") -> None:
        """Wrapped text; at least `keep` lines stay together at a page break. Its own element (`role`), or,
        with role=None, part of the current one. A bullet is the list item's label (Lbl)."""
        lines = wrap(s, font, size, CONTENT_W - indent)
        self.need(leading * min(keep, len(lines)))
        if bullet:
            with self.tag("Lbl"):
                self.text(MARGIN + indent - 10, self.y - size, bullet, font, size)
        if role is not None:
            with self.tag(role):
                self._lines(lines, indent, font, size, leading)
        else:
            self._lines(lines, indent, font, size, leading)
        self.y -= after

    def _lines(self, lines: list[str], indent: float, font: str, size: float, leading: float) -> None:
        for text in lines:
            self.need(leading)
            self.text(MARGIN + indent, self.y - size, text, font, size)
            self.y -= leading

    def heading(self, s: str, *, size: float = 10, before: float = 5, after: float = 2, level: int = 2) -> None:
        self.y -= before
        self.need(size + 3 * LEADING)          # never a heading alone at the foot of a page
        with self.tag(f"H{level}"):
            self.text(MARGIN, self.y - size, s, BOLD, size)
        self.y -= size + after + 2

    # --- pages -------------------------------------------------------------------------------------
    def _frame(self) -> tuple[float, float]:
        """The frame's text and rules (artifacts: running header and footer); returns where the page count
        goes."""
        f = self.frame
        top = PAGE_H - 30
        with self.artifact(HEADER):
            if f.fti:
                self.text_centred(top, f.fti, BOLD, 10)
            self.text(MARGIN, top - 13, f.office, REGULAR, SMALL)
            self.text_right(PAGE_W - MARGIN, top - 13, f.reference, REGULAR, SMALL)
        self.rule(MARGIN, top - 17, PAGE_W - MARGIN, top - 17, 0.4)
        self.rule(MARGIN, 46, PAGE_W - MARGIN, 46, 0.4)
        with self.artifact(FOOTER):
            if f.fti:
                self.text(MARGIN, 34, f.fti, BOLD, 8)
                self.text(MARGIN, 25, f.fti_note, REGULAR, 6.5)
            label = f.page_label.format(page=self.page)
            x = PAGE_W - MARGIN - 62
            self.text(x, 34, label, REGULAR, 8)
        return x + width(label, REGULAR, 8), 34

    def _finish_page(self) -> None:
        """The page's content (rules, figures, text, then the page count) onto the canvas, and the page made."""
        x, y = self._frame()
        parts = []
        if self._rules:
            parts.append(f"{ARTIFACT} q 0 G\n" + "\n".join(self._rules) + "\nQ EMC")
        parts += self._figures
        if self._marked is not None:
            self._ops.append("EMC")
        parts.append("BT 0 g\n" + "\n".join(self._ops) + "\nET")
        parts.append(f"{FOOTER} q 1 0 0 1 {x:.2f} {y:.2f} cm")
        c = self.c
        c.addLiteral("\n".join(parts))
        c.doForm(PAGES_FORM)
        c.addLiteral("Q EMC")
        c.showPage()
        page = c._doc.Pages.pages[-1]  # type: ignore[attr-defined]
        archival.tag_page(page, len(c._doc.Pages.pages) - 1, page.stream.encode("latin-1"), self._annots)  # type: ignore[attr-defined]
        self._ops, self._rules, self._figures, self._annots, self._font, self._marked = [], [], [], [], None, None

    def finish(self) -> tuple[bytes, int]:
        """Close the last page, define the page count, write the structure tree and the archival entries, and
        return (PDF bytes, pages)."""
        self._finish_page()
        doc = self.doc
        count = str(self.page)
        regular = self._names[REGULAR]
        w = width(count, REGULAR, 8)
        doc.addForm(PAGES_FORM, ArchivalStream({
            "Type": PDFName("XObject"), "Subtype": PDFName("Form"), "BBox": PDFArray([0, -2, round(w + 1, 2), 8]),
            "Resources": PDFDictionary({"Font": PDFObjectReference(BasicFonts)})},
            f"BT {regular} 8 Tf 0 0 Td ({count}) Tj ET".encode()))
        pages = [number(doc, f"Page{n}") for n in range(1, self.page + 1)]
        annotations = {}
        for widget, element, key in self._widgets:
            widget["StructParent"] = self.page + key
            annotations[element] = number(doc, doc.annotationName(SIGNATURE))
        root = tree.write(self.structure, doc, pages, annotations)
        archival.finish(doc, self.meta, root, [doc.refAnnotation(SIGNATURE)] if self._widgets else [])
        self.c.save()
        return self._buf.getvalue(), self.page

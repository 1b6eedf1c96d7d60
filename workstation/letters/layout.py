"""Pages on a reportlab canvas: US Letter, the frame every page carries, and text that flows from page to page.

The frame: office and letter reference at the top; the Federal Tax Information marking at the top and the
bottom when the letter carries taxpayer data; "Page N of M" at the bottom. Text goes straight into the page
content stream (see text.py). "M" is a form XObject drawn on every page and defined once the last page is
known, so a 1,000-page schedule is drawn in one pass, holding one page at a time.

Black on white, no fills: it prints the same on a monochrome office printer.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.lib.pagesizes import letter
from reportlab.pdfbase.pdfdoc import XMP
from reportlab.pdfgen import canvas

from .text import BOLD, MONO, REGULAR, literal, width, wrap

PAGE_W, PAGE_H = letter
MARGIN = 54.0                  # 0.75 in
CONTENT_W = PAGE_W - 2 * MARGIN
TOP = PAGE_H - 66.0            # the body starts below the header
BOTTOM = 54.0                  # and ends above the footer
BODY = 9.0                     # body text size and leading
LEADING = 11.6
SMALL = 7.5
PAGES_FORM = "dwsPageCount"


@dataclass(frozen=True, slots=True)
class Frame:
    office: str
    reference: str             # "Letter L-... | Request ..."
    fti: str | None            # the marking, or None when the letter carries no taxpayer data
    fti_note: str
    page_label: str            # "Page {page} of "


@dataclass(frozen=True, slots=True)
class Meta:
    title: str
    author: str
    subject: str
    keywords: str
    creator: str
    created: str               # PDF date, "D:20261102153000+00'00'"
    xmp: bytes | None = None   # the XMP metadata packet (uncompressed), if any


class PageWriter:
    """A cursor (`y`, top of the next line) over the current page; `new_page` when a block does not fit."""

    def __init__(self, frame: Frame, meta: Meta) -> None:
        self._buf = io.BytesIO()
        c = self.c = canvas.Canvas(self._buf, pagesize=letter, invariant=1, pageCompression=1)
        c.setTitle(meta.title)
        c.setAuthor(meta.author)
        c.setSubject(meta.subject)
        c.setKeywords(meta.keywords)
        c.setCreator(meta.creator)
        c.setProducer("Disclosure Workstation (reportlab)")
        c.setDateFormatter(lambda *_ymdhms: meta.created)
        if meta.xmp is not None:
            packet = meta.xmp
            metadata = XMP(creator=lambda _doc: packet)
            metadata.filters = []              # plain text: XMP readers need not inflate it
            c._doc.Catalog.Metadata = metadata   # type: ignore[attr-defined]  # reportlab's document: not in its stub
        self.frame = frame
        self.page = 1
        self.y = TOP
        self.on_new_page: Callable[[], None] | None = None   # e.g. repeat a table's column headings
        self._ops: list[str] = []
        self._font: tuple[str, float] | None = None
        doc = c._doc                                # type: ignore[attr-defined]  # as above
        self._names: dict[str, str] = {f: doc.getInternalFontName(f) for f in (REGULAR, BOLD, MONO)}  # raw text ops
        self._rules: list[str] = []

    # --- primitives --------------------------------------------------------------------------------
    def text(self, x: float, baseline: float, s: str, font: str = REGULAR, size: float = BODY) -> None:
        if self._font != (font, size):
            self._ops.append(f"{self._names[font]} {size:g} Tf")
            self._font = (font, size)
        self._ops.append(f"1 0 0 1 {x:.2f} {baseline:.2f} Tm ({literal(s)}) Tj")

    def text_centred(self, baseline: float, s: str, font: str = REGULAR, size: float = BODY) -> None:
        self.text((PAGE_W - width(s, font, size)) / 2, baseline, s, font, size)

    def text_right(self, right: float, baseline: float, s: str, font: str = REGULAR, size: float = BODY) -> None:
        self.text(right - width(s, font, size), baseline, s, font, size)

    def rule(self, x1: float, y1: float, x2: float, y2: float, w: float = 0.5) -> None:
        self._rules.append(f"{w:g} w {x1:.2f} {y1:.2f} m {x2:.2f} {y2:.2f} l S")

    def box(self, x: float, y: float, w: float, h: float, line: float = 0.8) -> None:
        self._rules.append(f"{line:g} w {x:.2f} {y:.2f} {w:.2f} {h:.2f} re S")

    def fill(self, path: list[str]) -> None:
        """Fill a path (e.g. "x y w h re" rectangles) in black."""
        self._rules.append("\n".join(path) + "\nf")

    # --- flow --------------------------------------------------------------------------------------
    def need(self, height: float) -> None:
        if self.y - height < BOTTOM:
            self.new_page()

    def space(self, height: float) -> None:
        self.y -= height

    def new_page(self) -> None:
        self._finish_page()
        self.c.showPage()
        self.page += 1
        self.y = TOP
        if self.on_new_page is not None:
            self.on_new_page()

    def line(self, s: str, *, x: float = MARGIN, font: str = REGULAR, size: float = BODY,
             leading: float = LEADING) -> None:
        self.need(leading)
        self.text(x, self.y - size, s, font, size)
        self.y -= leading

    def paragraph(self, s: str, *, indent: float = 0, font: str = REGULAR, size: float = BODY,
                  leading: float = LEADING, after: float = 5, keep: int = 2, bullet: str | None = None) -> None:
        """Wrapped text; at least `keep` lines stay together at a page break."""
        lines = wrap(s, font, size, CONTENT_W - indent)
        self.need(leading * min(keep, len(lines)))
        for n, text in enumerate(lines):
            self.need(leading)
            if bullet and n == 0:
                self.text(MARGIN + indent - 10, self.y - size, bullet, font, size)
            self.text(MARGIN + indent, self.y - size, text, font, size)
            self.y -= leading
        self.y -= after

    def heading(self, s: str, *, size: float = 10, before: float = 5, after: float = 2) -> None:
        self.y -= before
        self.need(size + 3 * LEADING)          # never a heading alone at the foot of a page
        self.text(MARGIN, self.y - size, s, BOLD, size)
        self.y -= size + after + 2

    # --- pages -------------------------------------------------------------------------------------
    def _frame(self) -> tuple[float, float]:
        """The frame's text and rules; returns where the page count goes."""
        f = self.frame
        top = PAGE_H - 30
        if f.fti:
            self.text_centred(top, f.fti, BOLD, 10)
        self.text(MARGIN, top - 13, f.office, REGULAR, SMALL)
        self.text_right(PAGE_W - MARGIN, top - 13, f.reference, REGULAR, SMALL)
        self.rule(MARGIN, top - 17, PAGE_W - MARGIN, top - 17, 0.4)
        self.rule(MARGIN, 46, PAGE_W - MARGIN, 46, 0.4)
        if f.fti:
            self.text(MARGIN, 34, f.fti, BOLD, 8)
            self.text(MARGIN, 25, f.fti_note, REGULAR, 6.5)
        label = f.page_label.format(page=self.page)
        x = PAGE_W - MARGIN - 62
        self.text(x, 34, label, REGULAR, 8)
        return x + width(label, REGULAR, 8), 34

    def _finish_page(self) -> None:
        count_at = self._frame()
        c = self.c
        if self._rules:
            c.addLiteral("q 0 G\n" + "\n".join(self._rules) + "\nQ")
        c.setFont(REGULAR, BODY)             # keeps reportlab's own font state consistent
        c.addLiteral("BT 0 g\n" + "\n".join(self._ops) + "\nET")
        c.saveState()                        # "M" of "Page N of M", after "Page N of " in reading order
        c.translate(*count_at)
        c.doForm(PAGES_FORM)
        c.restoreState()
        self._ops, self._rules, self._font = [], [], None

    def finish(self) -> tuple[bytes, int]:
        """Close the last page, define the page count, and return (PDF bytes, pages)."""
        self._finish_page()
        c = self.c
        c.beginForm(PAGES_FORM)
        c.setFont(REGULAR, 8)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        c.showPage()
        saved = rl_config.useA85
        rl_config.useA85 = 0            # plain Flate streams: smaller and faster than ASCII85 on top
        try:
            c.save()
        finally:
            rl_config.useA85 = saved
        return self._buf.getvalue(), self.page

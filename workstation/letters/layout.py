"""Pages: US Letter, the frame every page carries, text that flows from page to page, and its structure.

The frame: office and letter reference at the top; the Federal Tax Information marking at the top and the
bottom when the letter carries taxpayer data; "Page N of M" at the bottom. Text goes straight into the page
content stream (see text.py). "M" is a form XObject drawn on every page and defined once the last page is
known, so a 1,000-page schedule is drawn in one pass, each page written to the file when it is full.

Tagged as it is drawn (structure.py): text belongs to the innermost element opened with `tag` (a paragraph,
heading or line opens its own unless told `role=None`), or to an artifact (`artifact`: the frame, a table's
repeated headings); rules and boxes are artifacts; `figure` draws a tagged figure with its alternate text.

Black on white, no fills but the QR codes: it prints the same on a monochrome office printer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .archival import FONT_RESOURCES, PAGE_COUNT, PAGE_H, PAGE_W, LetterFile, Meta
from .structure import CONTAINERS, Extra, Structure
from .text import BOLD, REGULAR, literal, width, wrap

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
        self.file = LetterFile(meta)
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
        self._annots: list[int] = []
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
            self._ops.append(f"/{FONT_RESOURCES[font]} {size:g} Tf")
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

    def figure(self, path: list[str], alt: str) -> None:
        """Fill a path (e.g. "x y w h re" rectangles) in black, tagged as a figure with alternate text `alt`."""
        with self.tag("Figure", Extra(alt=alt)) as element:
            mcid = self.structure.mark(element)
            self._figures.append(f"/Figure <</MCID {mcid}>> BDC q 0 g\n" + "\n".join(path) + "\nf Q EMC")

    def signature_field(self, tooltip: str) -> None:
        """The empty field the letter's signature goes into (archival.LetterFile), on this page, as a Form
        element with its description."""
        obj = self.file.pdf.reserve()
        with self.tag("Form") as element:
            key = self.structure.annotation(element, obj)
        self._annots.append(obj)
        self.file.widgets.append((obj, self.page - 1, key, tooltip))

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
        x, y = self._frame()
        parts = []
        if self._rules:
            parts.append(f"{ARTIFACT} q 0 G\n" + "\n".join(self._rules) + "\nQ EMC")
        parts += self._figures
        if self._marked is not None:
            self._ops.append("EMC")
        parts.append("BT 0 g\n" + "\n".join(self._ops) + "\nET")
        parts.append(f"{FOOTER} q 1 0 0 1 {x:.2f} {y:.2f} cm /{PAGE_COUNT} Do Q EMC")
        self.file.add_page("\n".join(parts).encode("latin-1"), self._annots)
        self._ops, self._rules, self._figures, self._annots, self._font, self._marked = [], [], [], [], None, None

    def finish(self) -> tuple[bytes, int]:
        """Close the last page, define the page count, and return (PDF bytes, pages)."""
        self._finish_page()
        return self.file.finish(self.structure, str(self.page)), self.page

"""The fonts a letter embeds: Liberation Sans (regular, bold) and Liberation Mono, shipped in resources/fonts
under the SIL Open Font License 1.1 (its text beside them), never fetched; registered with reportlab
(`register`), which writes them into each letter.

PDF/A and PDF/UA want every font embedded; the release gate (redaction/pdftext.py) reads page text back as
WinAnsi bytes. So each font is embedded as a simple TrueType font with /WinAnsiEncoding: the page content is
the same cp1252 bytes it was with the standard Helvetica, and Liberation Sans has Helvetica's metrics (it is
metric-compatible with Arial, which has Helvetica's), so lines break where they did. (reportlab's own TTFont
would embed subsets of 256 glyphs coded in the order the text first uses them, with a ToUnicode map: the page
bytes would no longer be WinAnsi text, and the gate could not read them as it does.)

The program embedded is a subset of the shipped font: the glyphs of the WinAnsi repertoire (every character
`text.pdf_safe` lets through), without hinting, made once per process by fontTools. It does not depend on the
letter's text, so the same font program goes into every letter: same input, same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.pdfdoc import PDFArray, PDFDictionary, PDFDocument, PDFName

from ..crypto import digest
from .rlobjects import ArchivalStream

REGULAR = "Sans"
BOLD = "Sans-Bold"
MONO = "Mono"
FILES = {REGULAR: "LiberationSans-Regular.ttf", BOLD: "LiberationSans-Bold.ttf", MONO: "LiberationMono-Regular.ttf"}
NAMES = {REGULAR: "DWS-LiberationSans", BOLD: "DWS-LiberationSans-Bold", MONO: "DWS-LiberationMono"}  # reportlab's
DROPPED = ("DSIG", "FFTM", "kern", "GDEF", "GPOS", "GSUB")    # tables the embedded programs leave out
FIRST, LAST = 32, 255          # the codes a letter's text uses (pdf_safe never yields a control character)


def winansi() -> dict[int, str]:
    """Code -> character of WinAnsiEncoding for FIRST..LAST (five codes are undefined in it)."""
    out = {}
    for code in range(FIRST, LAST + 1):
        try:
            out[code] = bytes((code,)).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return out


@dataclass(frozen=True, slots=True)
class EmbeddedFont:
    key: str                   # REGULAR, BOLD or MONO
    base_font: str             # "ABCDEF+LiberationSans": a subset's name is tagged (PDF 32000-1, 9.6.4)
    widths: tuple[int, ...]    # advance widths of codes FIRST..LAST, in 1/1000 of the font size
    program: bytes             # the subset TrueType program (FontFile2)
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    fixed_pitch: bool

    @property
    def flags(self) -> int:
        """Font descriptor flags: nonsymbolic (it uses a standard encoding), fixed pitch for the mono."""
        return 32 | (1 if self.fixed_pitch else 0)


@cache
def font(key: str) -> EmbeddedFont:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    with resources.files("resources").joinpath("fonts", FILES[key]).open("rb") as fh:
        tt = TTFont(fh, recalcTimestamp=False)
    for tag in DROPPED:                        # never read: the layout tables take most of the subsetting time
        if tag in tt:
            del tt[tag]
    options = subset.Options()
    options.hinting = False                    # smaller; PDF viewers rasterise well without it
    options.layout_features = []               # no GSUB/GPOS: a PDF positions every glyph itself
    options.drop_tables += list(DROPPED)
    options.name_IDs = ["*"]                   # keep the copyright and licence records with the program
    options.notdef_outline = True
    options.recalc_timestamp = False
    sub = subset.Subsetter(options)
    sub.populate(unicodes=[ord(ch) for ch in winansi().values()])
    sub.subset(tt)
    out = io.BytesIO()
    tt.save(out)
    program = out.getvalue()

    scale = 1000 / tt["head"].unitsPerEm
    cmap = tt.getBestCmap()
    hmtx = tt["hmtx"]
    notdef = round(hmtx[".notdef"][0] * scale)
    chars = winansi()
    widths = tuple(round(hmtx[cmap[ord(chars[c])]][0] * scale) if c in chars and ord(chars[c]) in cmap else notdef
                   for c in range(FIRST, LAST + 1))
    head, os2 = tt["head"], tt["OS/2"]
    name = tt["name"].getDebugName(6) or FILES[key].removesuffix(".ttf")
    tag = "".join(chr(65 + b % 26) for b in digest.sha256(program)[:6])
    return EmbeddedFont(
        key=key, base_font=f"{tag}+{name}", widths=widths, program=program,
        bbox=tuple(round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)),
        ascent=round(os2.sTypoAscender * scale), descent=round(os2.sTypoDescender * scale),
        cap_height=round(getattr(os2, "sCapHeight", os2.sTypoAscender) * scale),
        fixed_pitch=bool(tt["post"].isFixedPitch))


@cache
def widths(key: str) -> list[int]:
    """Advance widths indexed by byte code 0..255 (0 below FIRST), for measuring text."""
    return [0] * FIRST + list(font(key).widths)


class LetterFont:
    """One of the fonts as reportlab knows a font (pdfmetrics): a name, a face, and `addObjects`, which puts
    the font dictionary, its descriptor and the subset program into a document the first time a page uses it
    (the internal name F1, F2, ... and the page resources follow reportlab's standard fonts)."""

    _dynamicFont = 0
    _multiByte = 0

    def __init__(self, key: str) -> None:
        self.key = key
        self.fontName = NAMES[key]
        self.face = pdfmetrics.TypeFace(NAMES[key])
        self.face.builtIn = 0

    def stringWidth(self, text: str, size: float, encoding: str = "cp1252") -> float:
        w = widths(self.key)
        return sum(map(w.__getitem__, text.encode("cp1252", "replace"))) * size / 1000

    def addObjects(self, doc: PDFDocument) -> None:
        f = font(self.key)
        internal = f"F{len(doc.fontMapping) + 1}"
        program = doc.Reference(ArchivalStream({"Length1": len(f.program)}, f.program, constant=True))  # type: ignore[no-untyped-call]
        descriptor = doc.Reference(PDFDictionary({  # type: ignore[no-untyped-call]
            "Type": PDFName("FontDescriptor"), "FontName": PDFName(f.base_font), "Flags": f.flags,
            "FontBBox": PDFArray(list(f.bbox)), "ItalicAngle": 0, "Ascent": f.ascent, "Descent": f.descent,
            "CapHeight": f.cap_height, "StemV": 80, "FontFile2": program}))
        ref = doc.Reference(PDFDictionary({  # type: ignore[no-untyped-call]
            "Type": PDFName("Font"), "Subtype": PDFName("TrueType"), "BaseFont": PDFName(f.base_font),
            "FirstChar": FIRST, "LastChar": LAST, "Widths": PDFArray(list(f.widths)),
            "Encoding": PDFName("WinAnsiEncoding"), "FontDescriptor": descriptor}), internal)
        doc.idToObject[pdfdoc.BasicFonts].dict[internal] = ref  # type: ignore[attr-defined]
        doc.fontMapping[self.fontName] = "/" + internal


def register() -> None:
    """Make the fonts known to reportlab by their NAMES (once per process; the programs are made when a
    document first uses them)."""
    for key, name in NAMES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(LetterFont(key))

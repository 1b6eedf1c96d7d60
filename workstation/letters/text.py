"""Text in the letters' fonts (fonts.py: simple TrueType fonts, WinAnsi): safe characters, string literals, widths,
wrapping.

The letters draw text straight into the page content stream (a 47,000-subject schedule would spend most of
its time in reportlab's per-string bookkeeping otherwise), so the few things reportlab does for a string
are done here, fast: encode to WinAnsi, escape, measure.
"""

from __future__ import annotations

import unicodedata

from . import fonts

REGULAR = fonts.REGULAR    # Liberation Sans: Helvetica's metrics
BOLD = fonts.BOLD
MONO = fonts.MONO          # the audit-log checkpoint printed on a letter, character for character
MAX_GLYPH = 1.015          # wider than any glyph of the fonts, in text-space units per point of font size


def pdf_safe(text: str) -> str:
    """`text` with only characters the letters' fonts can show (WinAnsi): accents are kept where WinAnsi has them,
    dropped where it does not ("ễ" becomes "e"); anything else becomes "?"."""
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            try:
                base.encode("cp1252")
                out.append(base or "?")
            except UnicodeEncodeError:
                out.append("?")
    return "".join(out)


def literal(text: str) -> str:
    """The body of a PDF string literal for `text` (pdf_safe text): ASCII only, octal escapes above 127."""
    if text.isascii():
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\r", " ")
    out = []
    for b in text.encode("cp1252"):
        if b in (0x5C, 0x28, 0x29):
            out.append("\\" + chr(b))
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\{b:03o}")
    return "".join(out)


def width(text: str, font: str, size: float) -> float:
    w = fonts.widths(font)
    return sum(map(w.__getitem__, text.encode("cp1252"))) * size / 1000


def fits(text: str, font: str, size: float, avail: float) -> bool:
    return len(text) * MAX_GLYPH * size <= avail or width(text, font, size) <= avail


def wrap(text: str, font: str, size: float, avail: float) -> list[str]:
    """Greedy word wrap into lines no wider than `avail` points; a word wider than a line is cut. A section
    sign stays on the line of the number it cites (a no-break space)."""
    text = pdf_safe(text).replace("\u00a7 ", "\u00a7\u00a0")
    if fits(text, font, size, avail):
        return [text]
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if fits(candidate, font, size, avail):
            line = candidate
            continue
        if line:
            lines.append(line)
        while not fits(word, font, size, avail):
            cut = len(word) - 1
            while cut > 1 and not fits(word[:cut], font, size, avail):
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]

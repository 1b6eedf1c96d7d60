"""The verification block on a letter's last page, the QR code holding the same data, and the marker that
lets `dws verify-letter` recognise an issued letter from its bytes alone.

The marker (`dws-letter/1 letter=L-... decision=D-...`) is written three times into the PDF's document
information (Subject, Keywords, Creator), which reportlab leaves uncompressed: a changed byte in one copy
still leaves the others to find the letter by.
"""

from __future__ import annotations

import re
from itertools import groupby

from reportlab.graphics.barcode.qr import QrCodeWidget

from .document import Verification
from .layout import CONTENT_W, MARGIN, PageWriter
from .text import BOLD, REGULAR, wrap

MARKER = "dws-letter/1"
LETTER_ID = re.compile(rb"\bL-[0-9A-F]{12}\b")
MARKED = re.compile(rb"dws-letter/1 letter=(L-[0-9A-F]{12}) decision=(D-[0-9A-F]{12})")
QR_SIZE = 88.0                # points (1.22 in): reads at 150 dpi and on a phone
PAD = 7.0
HEIGHT = QR_SIZE + 2 * PAD + 6     # the block as drawn for up to two signers


def marker(v: Verification) -> str:
    return f"{MARKER} letter={v.letter_id} decision={v.decision_id}"


def found_ids(data: bytes) -> tuple[set[str], set[str]]:
    """(letter ids, decision ids) that the bytes carry: marked pairs first, then any letter id at all."""
    letters, decisions = set(), set()
    for m in MARKED.finditer(data):
        letters.add(m.group(1).decode())
        decisions.add(m.group(2).decode())
    letters.update(m.group(0).decode() for m in LETTER_ID.finditer(data))
    return letters, decisions


def block_lines(v: Verification, texts: dict) -> list[str]:
    t = texts["common"]["verification"]
    out = [t["letter"].format(letter_id=v.letter_id, decision_id=v.decision_id),
           t["hash"].format(short_hash=v.short_hash)]
    out += [t[s.role].format(name=s.name, fingerprint=s.fingerprint) for s in v.signers]
    return [*out, t["how"]]


def draw_block(w: PageWriter, v: Verification, texts: dict) -> None:
    """The boxed block: text on the left, the QR code on the right. Kept whole on one page."""
    size = 8.0
    text_w = CONTENT_W - QR_SIZE - 3 * PAD
    rows: list[tuple[str, str]] = [(texts["common"]["verification"]["heading"], BOLD)]
    for line in block_lines(v, texts):
        rows += [(part, REGULAR) for part in wrap(line, REGULAR, size, text_w)]
    height = max(QR_SIZE, len(rows) * (size + 3)) + 2 * PAD
    w.space(6)
    w.need(height)
    top = w.y
    w.box(MARGIN, top - height, CONTENT_W, height)
    y = top - PAD
    for text, font in rows:
        w.text(MARGIN + PAD, y - size, text, font, size)
        y -= size + 3
    _draw_qr(w, v.payload, MARGIN + CONTENT_W - PAD - QR_SIZE, top - PAD - QR_SIZE)
    w.y = top - height


def _draw_qr(w: PageWriter, payload: str, x: float, y: float) -> None:
    """reportlab's QR encoder; the dark modules drawn as one filled path (its widget would build a shape
    object per module, which costs more than the rest of a one-page letter)."""
    widget = QrCodeWidget(payload, barLevel="M")
    widget.qr.make()
    modules = widget.qr.modules
    border = 2
    box = QR_SIZE / (len(modules) + 2 * border)
    rects = []
    for r, row in enumerate(modules):
        c = 0
        for dark, run in groupby(bool(m) for m in row):
            n = len(list(run))
            if dark:
                rects.append(f"{x + (c + border) * box:.3f} {y + QR_SIZE - (r + border + 1) * box:.3f} "
                             f"{n * box:.3f} {box:.3f} re")
            c += n
    w.fill(rects)

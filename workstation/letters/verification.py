"""The verification block on a letter's last page, the QR code holding the same data, and the marker that
lets `dws verify-letter` recognise an issued letter from its bytes alone. Below it, the audit-log checkpoint
block: the signed checkpoint of the moment the letter was issued, printed and in a second QR code (the note
verbatim, UTF-8), so that every letter that leaves the office witnesses the log (`dws verify --against`).

The marker (`dws-letter/1 letter=L-... decision=D-...`) is written three times into the PDF's document
information (Subject, Keywords, Creator), which reportlab leaves uncompressed: a changed byte in one copy
still leaves the others to find the letter by.
"""

from __future__ import annotations

import re
from itertools import groupby
from typing import Any

from .document import LogCheckpoint, Verification
from .layout import CONTENT_W, MARGIN, PageWriter
from .text import BOLD, MONO, REGULAR, width, wrap

Row = tuple[str, str, float, str]      # text, font, size, and the element it belongs to: H2 or P<n> (one per line)

MARKER = "dws-letter/1"
LETTER_ID = re.compile(rb"\bL-[0-9A-F]{12}\b")
MARKED = re.compile(rb"dws-letter/1 letter=(L-[0-9A-F]{12}) decision=(D-[0-9A-F]{12})")
QR_SIZE = 88.0                # points (1.22 in): reads at 150 dpi and on a phone
PAD = 7.0
CHECKPOINT_QR = 96.0          # a ~250-byte note is a version-11 code: a little larger to read as easily
MONO_SIZE = 6.5
HEIGHT = QR_SIZE + 2 * PAD + 6     # the block as drawn for up to two signers
CHECKPOINT_HEIGHT = 16 * (MONO_SIZE + 3) + 2 * PAD + 6    # the checkpoint block, at most


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


def block_lines(v: Verification, texts: dict[str, Any]) -> list[str]:
    t = texts["common"]["verification"]
    out = [t["letter"].format(letter_id=v.letter_id, decision_id=v.decision_id),
           t["hash"].format(short_hash=v.short_hash)]
    out += [t[s.role].format(name=s.name, fingerprint=s.fingerprint) for s in v.signers]
    return [*out, t["how"]]


def draw_block(w: PageWriter, v: Verification, texts: dict[str, Any]) -> None:
    """The boxed block: text on the left, the QR code on the right. Kept whole on one page."""
    size = 8.0
    text_w = CONTENT_W - QR_SIZE - 3 * PAD
    t = texts["common"]["verification"]
    rows: list[Row] = [(t["heading"], BOLD, size, "H2")]
    for n, line in enumerate(block_lines(v, texts)):
        rows += [(part, REGULAR, size, f"P{n}") for part in wrap(line, REGULAR, size, text_w)]
    alt = t["qr_alt"].format(letter_id=v.letter_id, decision_id=v.decision_id, short_hash=v.short_hash)
    _boxed(w, rows, v.payload, QR_SIZE, alt)


def checkpoint_lines(note: str, text_w: float) -> list[str]:
    """The note's lines as printed: a line too long for the block (the signature) breaks at its spaces,
    then every so many characters (the QR code and the PDF's metadata hold it unbroken)."""
    per_line = max(16, int(text_w // width("0", MONO, MONO_SIZE)))
    out: list[str] = []
    for line in note.rstrip("\n").split("\n"):
        current = ""
        for word in line.split(" "):
            if current and len(current) + 1 + len(word) > per_line:
                out.append(current)
                current = ""
            current = f"{current} {word}" if current else word
            while len(current) > per_line:
                out.append(current[:per_line])
                current = current[per_line:]
        out.append(current)
    return out


def draw_checkpoint(w: PageWriter, c: LogCheckpoint, texts: dict[str, Any]) -> None:
    """The audit-log checkpoint block: what it is and how to check it, the note, and its QR code."""
    t = texts["common"]["verification"]
    size = 8.0
    text_w = CONTENT_W - CHECKPOINT_QR - 3 * PAD
    rows: list[Row] = [(t["checkpoint_heading"], BOLD, size, "H2")]
    for n, line in enumerate((t["checkpoint"].format(size=f"{c.size:,}", signer=c.signer), t["checkpoint_how"])):
        rows += [(part, REGULAR, size, f"P{n}") for part in wrap(line, REGULAR, size, text_w)]
    rows += [(line, MONO, MONO_SIZE, "P-note") for line in checkpoint_lines(c.note, text_w)]
    _boxed(w, rows, c.note, CHECKPOINT_QR, t["checkpoint_qr_alt"].format(size=f"{c.size:,}", signer=c.signer))


def _boxed(w: PageWriter, rows: list[Row], payload: str, qr: float, alt: str) -> None:
    """The box (an artifact), its text (a heading and one paragraph per line of the block, or the note's
    lines together), and the QR code (a figure whose alternate text says what it holds)."""
    height = max(qr, sum(size + 3 for _t, _f, size, _e in rows)) + 2 * PAD
    w.space(6)
    w.need(height)
    top = w.y
    w.box(MARGIN, top - height, CONTENT_W, height)
    y = top - PAD
    for key, group in groupby(rows, key=lambda r: r[3]):
        with w.tag("H2" if key == "H2" else "P"):
            for text, font, size, _e in group:
                w.text(MARGIN + PAD, y - size, text, font, size)
                y -= size + 3
    _draw_qr(w, payload, MARGIN + CONTENT_W - PAD - qr, top - PAD - qr, qr, alt)
    w.y = top - height


def _draw_qr(w: PageWriter, payload: str, x: float, y: float, side: float, alt: str) -> None:
    """reportlab's QR encoder; the dark modules drawn as one filled path (its widget would build a shape
    object per module, which costs more than the rest of a one-page letter). Imported here, not at the top:
    reportlab.graphics.barcode brings all its widgets, a seventh of a second that every `dws` command and the
    application's start would otherwise pay."""
    from reportlab.graphics.barcode.qr import QrCodeWidget

    widget = QrCodeWidget(payload, barLevel="M")
    qr = widget.qr                      # type: ignore[attr-defined]  # set by __init__; typeshed's stub omits it
    qr.make()
    modules = qr.modules
    border = 2
    box = side / (len(modules) + 2 * border)
    rects = []
    for r, row in enumerate(modules):
        c = 0
        for dark, run in groupby(bool(m) for m in row):
            n = len(list(run))
            if dark:
                rects.append(f"{x + (c + border) * box:.3f} {y + side - (r + border + 1) * box:.3f} "
                             f"{n * box:.3f} {box:.3f} re")
            c += n
    w.figure(rects, alt)

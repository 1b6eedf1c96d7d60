"""`render`: a letter's PDF bytes from its input, a tagged PDF/A-2B and PDF/UA-1 file (layout.py, archival.py).
Same input, same bytes: the PDF dates and the file identifier come from the decision, and nothing is random;
the audit-log checkpoint the letter carries is part of its input (printed, in a QR code, and in the XMP
metadata)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from . import declination, foia, parts, transmittal, verification
from .archival import Meta
from .document import LetterInput
from .layout import Frame, PageWriter

KINDS = {"transmittal": transmittal.draw, "declination": declination.draw, "foia-response": foia.draw}


def pdf_date(timestamp: str) -> str:
    """'2026-11-02T15:30:00.123Z' -> "D:20261102153000+00'00'"."""
    digits = "".join(ch for ch in timestamp[:19] if ch.isdigit())
    return f"D:{digits}+00'00'"


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a letter is made: a 47,000-subject schedule makes about
    190,000 structure elements and as many reportlab objects, all alive until the file is written, which the
    collector would walk again and again (0.3 s of the letter) without anything to free. Resumed after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def render(d: LetterInput) -> tuple[bytes, int]:
    """(PDF bytes, page count)."""
    with collector_paused():
        return _render(d)


def _render(d: LetterInput) -> tuple[bytes, int]:
    c = d.texts["common"]
    frame = Frame(office=d.office.name,
                  reference=c["reference"].format(letter_id=d.letter_id, request_id=d.package.request_id),
                  fti=c["fti_marking"] if d.fti else None, fti_note=c["fti_note"], page_label=c["page_label"])
    mark = verification.marker(d.verification)
    meta = Meta(title=f"{d.texts['title']} - {d.package.request_id}", author=d.office.name,
                subject=f"{mark} kind={d.kind}", keywords=mark, creator=f"Disclosure Workstation {mark}",
                created=pdf_date(d.created), checkpoint=d.checkpoint.note if d.checkpoint else None)
    w = PageWriter(frame, meta)
    fmt = parts.placeholders(d)
    KINDS[d.kind](w, d, fmt)
    verification.draw_block(w, d.verification, d.texts)
    if d.checkpoint is not None:
        verification.draw_checkpoint(w, d.checkpoint, d.texts)
    w.signature_field(c["verification"]["signature_field"])
    return w.finish()

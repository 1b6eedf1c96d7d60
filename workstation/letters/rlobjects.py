"""The few reportlab document objects (reportlab.pdfbase.pdfdoc) the letters add to what its canvas makes:
reportlab formats and numbers them with the rest of the file, in its one pass.

- `ArchivalStream`: a stream as PDF/A-2 wants it (6.1.7.1): an end-of-line marker before `endstream` that
  /Length does not count (reportlab's own PDFStream writes `endstream` straight after the data);
- `Formatted`: an object whose bytes are already made (the structure tree's many small elements: one
  formatted line each, instead of a PDFDictionary whose values reportlab would format one by one);
- `register`: many such objects registered at once, numbered consecutively.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from itertools import repeat

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFDocument, PDFName, PDFObject, PDFString

LEVEL = 6                     # zlib level of every compressed stream


class ArchivalStream(pdfdoc.PDFStream):
    """A stream object: `entries` (no /Length, no /Filter) and `data`, Flate-compressed (when it is made: a page
    holds its compressed content until the file is written) unless told not to."""

    def __init__(self, entries: Mapping[str, object], data: bytes, compress: bool = True) -> None:
        entries = dict(entries)
        if compress:
            data = zlib.compress(data, LEVEL)
            entries["Filter"] = PDFName("FlateDecode")
        super().__init__(PDFDictionary(entries), data)

    def format(self, document: PDFDocument) -> bytes:
        entries = dict(self.dictionary.dict)
        entries["Length"] = len(self.content)
        return pdfdoc.format(PDFDictionary(entries), document) + b"\nstream\n" + self.content + b"\nendstream\n"


class Formatted(PDFObject):
    """An indirect object whose body is given as bytes."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body

    def format(self, document: PDFDocument) -> bytes:
        return self.body


def register(doc: PDFDocument, objects: Sequence[PDFObject]) -> int:
    """Register `objects` as indirect objects of `doc`, numbered consecutively (what `doc.Reference` does for
    one, for many at a time); returns the first one's number."""
    first = doc.objectcounter + 1
    names = [f"R{n}" for n in range(first, first + len(objects))]
    numbers = range(first, first + len(objects))
    doc.idToObjectNumberAndVersion.update(zip(names, zip(numbers, repeat(0)), strict=True))
    doc.numberToId.update(zip(numbers, names, strict=True))
    doc.idToObject.update(zip(names, objects, strict=True))
    doc.objectcounter += len(objects)
    return first


def number(doc: PDFDocument, name: str) -> int:
    """The object number of the indirect object registered as `name` (a page: "Page3")."""
    return doc.idToObjectNumberAndVersion[name][0]


def text_string(s: str) -> bytes:
    """A PDF text string (reportlab's PDFString: PDFDocEncoding, or UTF-16 with its byte-order mark)."""
    return PDFString(s).format(pdfdoc.DummyDoc())

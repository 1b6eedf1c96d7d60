"""The few reportlab document objects (reportlab.pdfbase.pdfdoc) the letters add to what its canvas makes:
reportlab formats and numbers them with the rest of the file, in its one pass.

- `ArchivalStream`: a stream as PDF/A-2 wants it (6.1.7.1): an end-of-line marker before `endstream` that
  /Length does not count (reportlab's own PDFStream writes `endstream` straight after the data);
- `Formatted`: a value whose bytes are already made (a reference to an object packed by pdffile.py).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from functools import lru_cache

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFDocument, PDFName, PDFObject, PDFString

LEVEL = 3                     # zlib level of the streams made here (a 47,000-subject schedule's 15 MB of page
                              # content: 5 % larger than at level 6, in 60 % of the time; 0.09 s)


class ArchivalStream(pdfdoc.PDFStream):
    """A stream object: `entries` (no /Length, no /Filter) and `data`, Flate-compressed (when it is made: a page
    holds its compressed content until the file is written) unless told not to."""

    def __init__(self, entries: Mapping[str, object], data: bytes, compress: bool = True,
                 constant: bool = False) -> None:
        """`constant`: the same data in every letter (a font program, the ICC profile), compressed once."""
        entries = dict(entries)
        if compress:
            data = _compressed_once(data) if constant else zlib.compress(data, LEVEL)
            entries["Filter"] = PDFName("FlateDecode")
        super().__init__(PDFDictionary(entries), data)

    def format(self, document: PDFDocument) -> bytes:
        entries = dict(self.dictionary.dict)
        entries["Length"] = len(self.content)
        head: bytes = pdfdoc.format(PDFDictionary(entries), document)
        return head + b"\nstream\n" + bytes(self.content) + b"\nendstream\n"


@lru_cache(maxsize=8)
def _compressed_once(data: bytes) -> bytes:
    return zlib.compress(data, LEVEL)


class Formatted(PDFObject):
    """A PDF value given as bytes."""

    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body

    def format(self, document: PDFDocument) -> bytes:
        return self.body


def number(doc: PDFDocument, name: str) -> int:
    """The object number of the indirect object registered as `name` (a page: "Page3")."""
    return doc.idToObjectNumberAndVersion[name][0]


def text_string(s: str) -> bytes:
    """A PDF text string (reportlab's PDFString: PDFDocEncoding, or UTF-16 with its byte-order mark)."""
    return PDFString(s).format(pdfdoc.DummyDoc())

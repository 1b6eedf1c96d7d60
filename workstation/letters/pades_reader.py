"""pyHanko's reader for a letter about to be signed (pades.sign), its cross-reference table read at once.

pyHanko reads a classic cross-reference table one entry at a time, about 3 microseconds each. A tagged letter
has an entry per structure element: 190,000 in a 47,000-subject transmittal, 0.5 s, which alone is twice what
issue 14 lets the whole signature add. reportlab writes a letter's table as one subsection of fixed 20-byte
entries, every object in use but object 0: here such a table is read in one slice into pyHanko's own
cross-reference objects, exactly what its entry-by-entry reading would make of it. Anything else (several
subsections, a free entry, a hybrid or stream cross-reference, a file with several revisions) is read by
pyHanko's own code.

pyHanko has no option for this: `LetterReader` is its PdfFileReader with the table reader swapped, and uses
pyHanko's internal cross-reference classes (pinned by requirements.lock; the signing tests would catch a
change: pdfsig and pyHanko's validator check every signed letter).
"""

from __future__ import annotations

import os
import re
from itertools import repeat
from typing import BinaryIO

from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils import xref as hx
from pyhanko.pdf_utils.decode_limits import DecodeContext, DecodeLimits
from pyhanko.pdf_utils.reader import PdfFileReader, _read_header_version, process_data_at_eof

ENTRY = 20                                             # bytes per entry: "0000012345 00000 n \n"
_SUBSECTION = re.compile(rb"\s*(\d+) (\d+)\r?\n")
_IN_USE = re.compile(rb"(?:\d{10} 00000 n(?: \n|\r\n))*")


class _TableBuilder(hx.XRefBuilder):
    def _read_xref_table(self, declared_startxref: int) -> int | None:
        stream = self.stream
        start = stream.tell()
        head = _SUBSECTION.match(stream.read(64))
        if head is None or int(head.group(1)) != 0:
            stream.seek(start)
            return super()._read_xref_table(declared_startxref)
        count = int(head.group(2))
        stream.seek(start + head.end())
        rows = stream.read(ENTRY * count)
        whole = len(rows) == ENTRY * count and rows[:ENTRY] in (b"0000000000 65535 f \n", b"0000000000 65535 f\r\n")
        if not whole or _IN_USE.fullmatch(rows, ENTRY) is None or not self._at_trailer():
            stream.seek(start)
            return super()._read_xref_table(declared_startxref)
        end = stream.tell()
        trailer = generic.DictionaryObject.read_from_stream(stream, generic.TrailerReference(self.handler))
        size = int(trailer.raw_get("/Size"))
        if "/XRefStm" in trailer or count > size:
            stream.seek(start)
            return super()._read_xref_table(declared_startxref)
        numbers = range(1, count)
        data = hx.XRefSectionData()
        data.standard_xrefs = dict(zip(numbers, zip(repeat(0), (int(rows[i:i + 10])
                                                                 for i in range(ENTRY, len(rows), ENTRY))),
                                       strict=True))
        data.explicit_refs_in_revision = set(zip(numbers, repeat(0)))
        meta = hx.XRefSectionMetaInfo(xref_section_type=hx.XRefSectionType.STANDARD, size=size,
                                      declared_startxref=declared_startxref, start_location=start,
                                      end_location=end, stream_ref=None)
        self.sections.append(hx.XRefSection(meta, data))
        self.trailer.add_trailer_revision(trailer)
        return hx._prev(trailer)

    def _at_trailer(self) -> bool:
        """After the entries: the trailer keyword, the stream left at its dictionary (as pyHanko leaves it)."""
        stream = self.stream
        misc.read_non_whitespace(stream)
        stream.seek(-1, os.SEEK_CUR)
        if stream.read(7) != b"trailer":
            return False
        misc.read_non_whitespace(stream)
        stream.seek(-1, os.SEEK_CUR)
        return True


class LetterReader(PdfFileReader):
    """pyHanko's PdfFileReader (its __init__, strict), the cross-reference table read by _TableBuilder."""

    def __init__(self, stream: BinaryIO) -> None:      # as PdfFileReader.__init__
        self._security_handler = None
        self.strict = True
        stream.seek(0, os.SEEK_END)
        self._decode_context = DecodeContext(DecodeLimits(), input_size=stream.tell())
        self.resolved_objects = {}
        self._header_version = None
        self._input_version = None
        self._historical_resolver_cache = {}
        self.stream = stream
        self._header_version = _read_header_version(stream)
        stream.seek(-1, os.SEEK_END)
        builder = _TableBuilder(handler=self, stream=stream, strict=True, last_startxref=process_data_at_eof(stream))
        self.xrefs = hx.XRefCache(self, builder.read_xrefs())
        self.last_startxref = builder.last_startxref
        self.trailer = builder.trailer
        self.has_xref_stream = builder.has_xref_stream
        self._embedded_signatures = None

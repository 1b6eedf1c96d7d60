"""pyHanko's reader for a letter about to be signed (pades.sign), its cross-reference stream read at once.

A letter ends with a cross-reference stream (pdffile.py) with an entry per object: 190,000 in a 47,000-subject
transmittal, nearly all of them structure elements in object streams. pyHanko reads such a stream one entry at
a time and makes an object of each (several microseconds apiece: more than a second here, four times what
issue 14 lets the whole signature add), though signing looks up a handful. Here a stream of the shape
pdffile.py writes (/W [1 4 2], one subsection from object 0, object 0 free, every other object in use at
generation 0) is decoded by pyHanko and read into pyHanko's own cross-reference objects: the few objects
written on their own at once, the packed ones as mappings that read their entry when asked (`Packed`,
`Explicit`, `StreamsUsed`), equal to what pyHanko's entry-by-entry reading would make. Anything else (a
cross-reference table, a stream of another shape, a hybrid file) is read by pyHanko's own code.

pyHanko has no option for this: `LetterReader` is its PdfFileReader with the stream reader swapped, and uses
pyHanko's internal cross-reference classes (pinned by requirements.lock; the signing tests would catch a
change: pdfsig and pyHanko's validator check every signed letter, and a test compares what is read here with
what pyHanko reads).
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator, Mapping, Set
from typing import BinaryIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils import xref as hx
from pyhanko.pdf_utils.decode_limits import DecodeContext, DecodeLimits, DecodePurpose
from pyhanko.pdf_utils.reader import PdfFileReader, _read_header_version, process_data_at_eof

ENTRY = struct.Struct(">BIH")                          # /W [1 4 2]: type, offset or object stream, index
_STANDARD = re.compile(rb"\x01")


class _Table:
    """A cross-reference stream's decoded entries, object 0 first."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.types = raw[::ENTRY.size]                 # each entry's type, one byte each

    def entry(self, number: int) -> tuple[int, int, int] | None:
        if 0 <= number < len(self.types):
            return ENTRY.unpack_from(self.raw, ENTRY.size * number)
        return None

    def packed(self) -> Iterator[int]:
        return (n for n, t in enumerate(self.types) if t == 2)


class Packed(Mapping[int, hx.ObjStreamRef]):
    """XRefSectionData.xrefs_in_objstm: object number -> where in which object stream."""

    def __init__(self, table: _Table) -> None:
        self.table = table

    def __getitem__(self, number: int) -> hx.ObjStreamRef:
        entry = self.table.entry(number)
        if entry is None or entry[0] != 2:
            raise KeyError(number)
        return hx.ObjStreamRef(entry[1], entry[2])

    def __iter__(self) -> Iterator[int]:
        return self.table.packed()

    def __len__(self) -> int:
        return self.table.types.count(2)


class Explicit(Set[tuple[int, int]]):
    """XRefSectionData.explicit_refs_in_revision: (object number, generation) of every object in use."""

    def __init__(self, table: _Table) -> None:
        self.table = table

    def __contains__(self, ref: object) -> bool:
        if not (isinstance(ref, tuple) and len(ref) == 2 and isinstance(ref[0], int)):
            return False
        entry = self.table.entry(ref[0])
        return entry is not None and entry[0] in (1, 2) and ref[1] == 0

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return ((n, 0) for n, t in enumerate(self.table.types) if t in (1, 2))

    def __len__(self) -> int:
        return len(self.table.types) - self.table.types.count(0)


class StreamsUsed(Set[int]):
    """XRefSectionData.obj_streams_used: the object streams the packed objects are in."""

    def __init__(self, table: _Table) -> None:
        self.table = table
        self._numbers: frozenset[int] | None = None

    def numbers(self) -> frozenset[int]:
        if self._numbers is None:
            self._numbers = frozenset(Packed(self.table)[n].obj_stream_id for n in self.table.packed())
        return self._numbers

    def __contains__(self, number: object) -> bool:
        return number in self.numbers()

    def __iter__(self) -> Iterator[int]:
        return iter(self.numbers())

    def __len__(self) -> int:
        return len(self.numbers())


def _letter_table(stream: generic.StreamObject) -> _Table | None:
    """The entries of a cross-reference stream of the shape pdffile.py writes, or None."""
    size = stream.get("/Size")
    if (not isinstance(size, int) or stream.get("/W") != [1, 4, 2] or stream.get("/Index") not in (None, [0, size])
            or stream.get("/Filter") != "/FlateDecode" or "/DecodeParms" in stream):
        return None
    raw = stream.read_data(DecodePurpose.XREF_STREAM, expected_size=ENTRY.size * size)
    if len(raw) != ENTRY.size * size or raw[:ENTRY.size] != b"\x00\x00\x00\x00\x00\xff\xff":
        return None
    table = _Table(raw)
    if table.types.count(0) != 1 or table.types.count(1) + table.types.count(2) != size - 1:
        return None
    return table


class _StreamBuilder(hx.XRefBuilder):
    def _read_xref_stream(self, declared_startxref: int) -> int | None:
        stream = self.stream
        start = stream.tell()
        ref, xrefs = self._read_xref_stream_object()                # type: ignore[no-untyped-call]
        table = _letter_table(xrefs)
        standard = {n.start(): ENTRY.unpack_from(table.raw, ENTRY.size * n.start())
                    for n in _STANDARD.finditer(table.types)} if table is not None else {}
        if table is None or any(entry[2] != 0 for entry in standard.values()):
            stream.seek(start)
            return super()._read_xref_stream(declared_startxref)     # type: ignore[no-any-return]
        data = hx.XRefSectionData()
        data.standard_xrefs = {n: (0, entry[1]) for n, entry in standard.items()}
        data.xrefs_in_objstm = Packed(table)                         # type: ignore[assignment]
        data.explicit_refs_in_revision = Explicit(table)             # type: ignore[assignment]
        data.obj_streams_used = StreamsUsed(table)                   # type: ignore[assignment]
        meta = hx.XRefSectionMetaInfo(xref_section_type=hx.XRefSectionType.STREAM, size=len(table.types),
                                      declared_startxref=declared_startxref, start_location=start,
                                      end_location=stream.tell(), stream_ref=ref)
        self.sections.append(hx.XRefSection(meta, data))
        self.trailer.add_trailer_revision(xrefs)
        return hx._prev(xrefs)                                       # type: ignore[no-any-return]


class LetterReader(PdfFileReader):
    """pyHanko's PdfFileReader (its __init__, strict), the cross-reference stream read by _StreamBuilder."""

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
        builder = _StreamBuilder(handler=self, stream=stream, strict=True, last_startxref=process_data_at_eof(stream))
        self.xrefs = hx.XRefCache(self, builder.read_xrefs())        # type: ignore[no-untyped-call]
        self.last_startxref = builder.last_startxref
        self.trailer = builder.trailer
        self.has_xref_stream = builder.has_xref_stream
        self._embedded_signatures = None

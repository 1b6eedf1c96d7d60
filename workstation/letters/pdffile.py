"""A letter's file: reportlab's document written out object by object as reportlab writes it, but for the
objects `pack`ed into it (the structure tree's elements: about 190,000 in a 47,000-subject schedule), which go,
already formatted, into compressed object streams, and a cross-reference stream in place of the table
(ISO 32000-1 7.5.7 and 7.5.8, PDF 1.5: PDF/A-2 allows both, PDF/A-1 did not).

Why: written as reportlab's own objects, one indirect object and one 20-byte table entry each, the elements
made a 47,000-subject transmittal 21 MB (3.4 MB untagged), and took more time to format, read back by the
release gate, hash and sign than the rest of what tagging adds. Packed, they take 15 bytes each (7.5 MB).

What stays as reportlab writes it: every other object (pages, their content, fonts, the catalog, the
document information, which `dws verify-letter` finds in the file's bytes, the XMP packet), the header, the
file identifier. Streams end with the end-of-line marker PDF/A wants before `endstream` (6.1.7.1), and nothing
follows `%%EOF` but one line end.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from operator import add, sub

from reportlab.pdfbase.pdfdoc import PDFCatalog, PDFDocument, PDFFile, PDFIndirectObject

PER_STREAM = 400               # objects per object stream (about 20 KB of elements: zlib's window holds them)
OBJECTS_LEVEL = 1              # zlib level of the object streams (12 MB of structure elements: level 6 takes
                               # twice the time for 13 % less)
TABLE_LEVEL = 1                # of the cross-reference stream (binary: level 6 takes 20 times as long for 7 % less)
_ENTRY = struct.Struct(">BIH")   # a cross-reference stream entry, /W [1 4 2]: type, offset or stream, index
_PACKED = b"".join(_ENTRY.pack(2, 0, i) for i in range(PER_STREAM))   # the entries of one object stream, its number 0
_ID = re.compile(rb"\[<[0-9a-fA-F]*>\s*<[0-9a-fA-F]*>\]")


@dataclass(slots=True)
class Packed:
    """Objects packed into object streams: how many, their text (one object a line) and each one's length."""

    count: int
    text: bytes = b""
    lengths: Sequence[int] = ()


class LetterDocument(PDFDocument):
    """reportlab's document, written by `write` (`adopt` makes a canvas's document one)."""

    packed: dict[int, Packed]                  # by the first object's number (the others follow it)
    Catalog: PDFCatalog                        # reportlab's, which its type stubs leave out
    _pdfVersion: tuple[int, int]

    def format(self) -> bytes:
        return write(self)


def adopt(doc: PDFDocument) -> LetterDocument:
    """The canvas's document, from now on written by `write` (reportlab makes its document inside the canvas:
    only its class is changed, to one that adds a method and an attribute)."""
    doc.__class__ = LetterDocument
    assert isinstance(doc, LetterDocument)
    doc.packed = {}
    return doc


def reserve(doc: LetterDocument, count: int) -> int:
    """Object numbers for `count` objects to be packed (`pack`), after every object registered so far; the
    first one's number."""
    first = doc.objectcounter + 1
    doc.objectcounter += count
    doc.packed[first] = Packed(count)
    return first


def pack(doc: LetterDocument, first: int, text: bytes, lengths: Sequence[int]) -> None:
    """The objects reserved from `first`: `text` holds them in order, one a line (PDF text, ASCII, no stream),
    each as long as `lengths` says."""
    packed = doc.packed[first]
    if len(lengths) != packed.count or len(text) != sum(lengths) + packed.count - 1:
        raise ValueError(f"letter file: {len(lengths)} objects packed where {packed.count} were reserved, or "
                         "their lengths do not add up")
    packed.text, packed.lengths = text, lengths


def write(doc: LetterDocument) -> bytes:
    """The file: reportlab's objects in number order (skipping the packed ones), then the object streams, then
    the cross-reference stream, which is also the trailer."""
    doc.encrypt.prepare(doc)
    catalog = doc.Reference(doc.Catalog)       # type: ignore[no-untyped-call]   # as reportlab's format does
    info = doc.Reference(doc.info)             # type: ignore[no-untyped-call]
    out = PDFFile(doc._pdfVersion)
    top: dict[int, int] = {}                  # object number -> offset, of every object written on its own
    number = 1
    while True:                               # reportlab's loop: formatting may register more objects
        if number in doc.packed:
            number += doc.packed[number].count
            continue
        name = doc.numberToId.get(number)
        if name is None:
            break
        top[number] = out.add(PDFIndirectObject(name, doc.idToObject[name]).format(doc))
        number += 1
    if number != doc.objectcounter + 1:
        raise ValueError(f"letter file: object {number} is neither registered nor packed")
    streams: list[tuple[int, int, int]] = []  # (first object, objects, the stream's number)
    for first, packed in doc.packed.items():
        starts = list(accumulate(map(add, packed.lengths, repeat(1)), initial=0))     # each object's offset
        view = memoryview(packed.text)
        for a in range(0, packed.count, PER_STREAM):
            b = min(a + PER_STREAM, packed.count)
            doc.objectcounter += 1
            head = ("%d %d " * (b - a)) % tuple(chain.from_iterable(zip(
                range(first + a, first + b), map(sub, starts[a:b], repeat(starts[a])), strict=True))) + "\n"
            top[doc.objectcounter] = out.add(_object_stream(doc.objectcounter, b - a, head,
                                                            view[starts[a]:starts[b] - 1]))
            streams.append((first + a, b - a, doc.objectcounter))
    xref = doc.objectcounter + 1
    top[xref] = out.offset
    table = _table(xref + 1, top, streams)
    file_id = _ID.search(doc.ID())
    assert file_id is not None
    out.add(b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root %s/Info %s/ID%s/Filter/FlateDecode/Length %d>>\n"
            b"stream\n%s\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
            % (xref, xref + 1, catalog.format(doc), info.format(doc), file_id.group(), len(table), table,
               top[xref]))
    return out.format(doc)


def _object_stream(number: int, count: int, head: str, objects: memoryview) -> bytes:
    """Object stream `number` (7.5.7): `head`, the numbers and offsets of its `count` objects, then the
    objects."""
    z = zlib.compressobj(OBJECTS_LEVEL)
    data = z.compress(head.encode("ascii")) + z.compress(objects) + z.flush()
    return (b"%d 0 obj\n<</Type/ObjStm/N %d/First %d/Filter/FlateDecode/Length %d>>\nstream\n%s\nendstream\n"
            b"endobj\n" % (number, count, len(head), len(data), data))


def _table(size: int, top: dict[int, int], streams: list[tuple[int, int, int]]) -> bytes:
    """The cross-reference stream's data, compressed: object 0 free, an offset for each object written on its
    own, (object stream, index) for each packed one."""
    table = bytearray(_ENTRY.size * size)
    _ENTRY.pack_into(table, 0, 0, 0, 0xFFFF)
    for number, offset in top.items():
        _ENTRY.pack_into(table, _ENTRY.size * number, 1, offset, 0)
    for first, count, stream in streams:               # (2, stream, index): the index pattern, then the stream
        start, end = _ENTRY.size * first, _ENTRY.size * (first + count)
        table[start:end] = _PACKED[:end - start]
        for k, byte in enumerate(stream.to_bytes(4, "big"), 1):
            table[start + k:end:_ENTRY.size] = bytes((byte,)) * count
    return zlib.compress(bytes(table), TABLE_LEVEL)

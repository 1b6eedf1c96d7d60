"""A small PDF file writer: numbered objects written as they are made, streams, object streams, and the
cross-reference stream that ends the file. Nothing random and no clock: the same calls give the same bytes.

Why not reportlab's writer: its open-source edition writes no structure tree, no object streams, and embeds
TrueType fonts re-encoded in subset code pages that the release gate could not read back; and why not pikepdf
afterwards: building the ~190,000 structure elements of a 47,000-subject schedule through its object API
takes longer than the rest of the letter's tagging together (see bench/letters.py). Here a structure element
is one formatted line of bytes, and the many small objects go into compressed object streams.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"      # a binary comment line (PDF/A-2, 6.1.2)
PACK = 400                                       # objects per object stream
LEVEL = 6                                        # zlib level of every compressed stream


def name(s: str) -> str:
    """A PDF name token for a plain ASCII word."""
    return "/" + "".join(ch if ch.isalnum() or ch in "-+_." else f"#{ord(ch):02X}" for ch in s)


def string(s: str) -> str:
    """A PDF text string: a literal in PDFDocEncoding when ASCII, else UTF-16BE with its byte-order mark."""
    if s.isascii():
        return "(" + s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").replace("\r", "\\r") \
            .replace("\n", "\\n") + ")"
    return "<FEFF" + s.encode("utf-16-be").hex().upper() + ">"


def ref(n: int) -> str:
    return f"{n} 0 R"


class PdfWriter:
    """Objects are numbered by `reserve` (in any order) and written by `put`, `stream` or `pack`; `finish`
    writes the pending object streams and the cross-reference stream and returns the file."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = [HEADER]
        self._pos = len(HEADER)
        self._next = 1
        self._offsets: dict[int, int] = {}                    # object -> byte offset
        self._packed: dict[int, tuple[int, int]] = {}         # object -> (object stream, index in it)
        self._pending: list[tuple[int, bytes]] = []

    def reserve(self, count: int = 1) -> int:
        """The first of `count` consecutive new object numbers."""
        first = self._next
        self._next += count
        return first

    def _write(self, data: bytes) -> None:
        self._chunks.append(data)
        self._pos += len(data)

    def put(self, num: int, body: str | bytes) -> None:
        """A top-level object (a dictionary the file's readers look for by its bytes stays readable there)."""
        self._offsets[num] = self._pos
        body = body.encode("latin-1") if isinstance(body, str) else body
        self._write(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    def stream(self, num: int, entries: str, data: bytes, compress: bool = True) -> None:
        """A stream object: `entries` (without /Length and /Filter) and its data, Flate-compressed if asked."""
        if compress:
            data = zlib.compress(data, LEVEL)
            entries += "/Filter/FlateDecode"
        self._offsets[num] = self._pos
        self._write(b"%d 0 obj\n<<%s/Length %d>>\nstream\n" % (num, entries.encode("latin-1"), len(data)))
        self._write(data)
        self._write(b"\nendstream\nendobj\n")

    def pack(self, num: int, body: str) -> None:
        """A small object that goes into an object stream (never a stream, never the document information)."""
        self._pending.append((num, body.encode("latin-1")))
        if len(self._pending) >= PACK:
            self._flush()

    def pack_many(self, objects: Iterable[tuple[int, str]]) -> None:
        for num, body in objects:
            self.pack(num, body)

    def _flush(self) -> None:
        if not self._pending:
            return
        holder = self.reserve()
        index, bodies, offset = [], [], 0
        for k, (num, body) in enumerate(self._pending):
            self._packed[num] = (holder, k)
            index.append(b"%d %d" % (num, offset))
            bodies.append(body)
            offset += len(body) + 1
        head = b" ".join(index) + b"\n"
        self._pending = []
        self.stream(holder, f"/Type/ObjStm/N {len(index)}/First {len(head)}", head + b"\n".join(bodies) + b"\n")

    def finish(self, root: int, info: int, file_id: bytes) -> bytes:
        """The cross-reference stream (the file's trailer) and the whole file."""
        self._flush()
        xref = self.reserve()
        size = self._next
        self._offsets[xref] = self._pos
        rows = [b"\x00\x00\x00\x00\x00\xff\xff"]                 # object 0: the head of the free list
        for num in range(1, size):
            if num in self._offsets:
                rows.append(b"\x01" + self._offsets[num].to_bytes(4, "big") + b"\x00\x00")
            elif num in self._packed:
                holder, k = self._packed[num]
                rows.append(b"\x02" + holder.to_bytes(4, "big") + k.to_bytes(2, "big"))
            else:
                raise ValueError(f"object {num} was reserved but never written")
        data = zlib.compress(b"".join(rows), LEVEL)
        ident = file_id.hex().upper()
        self._write(b"%d 0 obj\n<</Type/XRef/Size %d/W[1 4 2]/Root %d 0 R/Info %d 0 R/ID[<%s><%s>]"
                    b"/Filter/FlateDecode/Length %d>>\nstream\n" % (xref, size, root, info, ident.encode(),
                                                                    ident.encode(), len(data)))
        self._write(data)
        self._write(b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % self._offsets[xref])
        return b"".join(self._chunks)

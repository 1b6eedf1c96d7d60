"""A PDF read back as its recipient's tools read it: the text its pages show, its metadata, and every other
string the file holds. The release gate (service/release_gate.py) runs it on each letter before it is stored.

What is read, in four parts (each a `Part`, named in a refusal so the officer knows where to look):
- "page text": every string shown by a content stream (pages, form XObjects, annotation appearances, any
  stream that is neither metadata nor an embedded file nor an image nor a font program), inflated first.
  The strings of one `[...] TJ` array are joined (kerning splits words there); other strings are separated
  by a line end, in stream order. Literal strings with every escape (octal, line continuation, nested
  parentheses three deep) and hex strings are decoded; the bytes are read as WinAnsi (the encoding of the
  standard fonts the letters use), or UTF-16 after a byte-order mark;
- "document strings": every string and name outside the streams: the Info dictionary (title, subject,
  keywords, ...), bookmarks, name trees, annotations, form fields; and those inside object streams. Each
  distinct name once: a tagged letter's structure tree repeats a dozen names (/S, /TD, /P, ...) a million
  times, and the six it repeats most are each looked for once, not found one by one. A value a name holds
  is found all the same: the gate refuses a value found more often than the released schedule prints it, and
  the schedule is page text, so one occurrence in a name is one too many;
- "XMP metadata": metadata streams (XML, entities decoded);
- "embedded file": the content of embedded files, read as UTF-8 text.

`reading_text` is another reading, not a check: the pages' text as a screen reader reads it, without artifacts
(the Letter tab's text view).

It fails closed: what it cannot read is listed in `unreadable` (a filter it does not implement, a stream that
does not inflate, an image, a composite font whose glyphs it cannot map to text), and the gate refuses such
a letter, since it cannot vouch for it. Only font programs and cross-reference streams are skipped unread:
they hold no text of the document, and nor do ICC colour profiles (a letter's output intent).

Speed: the strings of a content stream are found by one regular expression (possessive, so no backtracking
blows up on malformed input); a 956-page, 47,000-entry schedule reads in a few tenths of a second.
"""

from __future__ import annotations

import base64
import html
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

PAGE, STRINGS, XMP, FILE = "page text", "document strings", "XMP metadata", "embedded file"

_STREAM = re.compile(rb"stream(?:\r\n|\n|\r)")
_OBJ = re.compile(rb"(\d+)\s+\d+\s+obj\b")
_HEADER_SPAN = 64                  # bytes before "obj" an object header "12 0 obj" is looked for in
_LENGTH = re.compile(rb"/Length\s+(\d+)(?!\s+\d+\s+R)")
_FILTERS = re.compile(rb"/Filter\s*(\[[^\]]*\]|/[^\s/\[\]<>()]+)")
_NAME = re.compile(rb"/([^\s/\[\]<>(){}%]+)")
# The names a tagged letter's structure tree repeats a million times (/S /P /Pg /K /TD /TR): not made one by one
# (each is looked for once and listed once when present), every other name is (see _document_strings).
_FREQUENT = (b"S", b"P", b"Pg", b"K", b"TD", b"TR")
_END = rb"(?=[\s/\[\]<>(){}%]|$)"          # where a name ends
_RARE_NAME = re.compile(rb"/(?!(?:%s)%s)([^\s/\[\]<>(){}%%]+)" % (b"|".join(_FREQUENT), _END))
_FREQUENT_NAMES = [(n, re.compile(rb"/" + n + _END)) for n in _FREQUENT]
_CHUNK = 1 << 20
# A literal string: runs of plain bytes, escapes, and balanced parentheses nested up to three deep.
_PLAIN = rb"(?:[^\\()]++|\\.)"
_LITERAL_BODY = rb"(?:%s|\((?:%s|\((?:%s|\(%s*+\))*+\))*+\))*+" % (_PLAIN, _PLAIN, _PLAIN, _PLAIN)
_LITERAL = re.compile(rb"\((" + _LITERAL_BODY + rb")\)", re.DOTALL)
_HEX = re.compile(rb"<([0-9A-Fa-f\s]*)>")
_TOKENS = re.compile(rb"\((?P<s>" + _LITERAL_BODY + rb")\)|<(?P<h>[0-9A-Fa-f\s]*)>|(?P<o>\[)|(?P<c>\])",
                     re.DOTALL)
_INLINE_IMAGE = re.compile(rb"\bBI\b.*?\bID\b.*?\bEI\b", re.DOTALL)
# An escape in a literal string: the byte it stands for (every escape there can be is in the table).
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|\r\n|[\s\S])")
_ESCAPES = {**{bytes((b,)): bytes((b,)) for b in range(256)},
            **{f"{n:o}".encode(): bytes((n & 0xFF,)) for n in range(512)},
            **{f"{n:02o}".encode(): bytes((n,)) for n in range(64)},
            **{f"{n:03o}".encode(): bytes((n,)) for n in range(256)},
            b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f", b"\r\n": b"", b"\n": b"", b"\r": b""}
_NAME_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_COMPOSITE_FONT = re.compile(rb"/Subtype\s*/Type0\b")
_FONT_PROGRAM = re.compile(rb"/Length[123]\b|/Subtype\s*/(?:Type1C|CIDFontType0C|OpenType)\b")
_IMAGE = re.compile(rb"/Subtype\s*/Image\b|/ImageMask\s+true")
_METADATA = re.compile(rb"/Type\s*/Metadata\b|/Subtype\s*/XML\b")
_EMBEDDED = re.compile(rb"/Type\s*/EmbeddedFile\b")
_OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm\b")
_FIRST = re.compile(rb"/First\s+(\d+)")
_INTEGERS = b"0123456789 \t\r\n\f\x00"           # all an object stream's head holds: pairs of integers
_XREF = re.compile(rb"/Type\s*/XRef\b")
_PREDICTOR = re.compile(rb"/Predictor\s+(\d+)")
_ICC_PROFILE = re.compile(rb"/N\s+[134]\b")         # an ICCBased colour space's stream: /N components
_ICC_SIGNATURE = b"acsp"                             # bytes 36-39 of every ICC profile
_FORM = re.compile(rb"/Subtype\s*/Form\b")
_NOT_CONTENT = (_XREF, _FONT_PROGRAM, _IMAGE, _METADATA, _EMBEDDED, _OBJECT_STREAM)
# Marked content in a content stream (strings and hex strings matched only to be skipped): an artifact's
# beginning (`/Artifact BMC`, `/Artifact <<...>> BDC`, `/Artifact /Name BDC`), another beginning, an end.
_MARKED = re.compile(rb"\((?:" + _LITERAL_BODY + rb")\)|<[0-9A-Fa-f\s]*>"
                     rb"|(?P<artifact>/Artifact\s*(?:<<(?:[^<>]|<<[^<>]*>>)*>>\s*|/[^\s/\[\]<>(){}%]+\s+)?B[DM]C\b)"
                     rb"|(?P<begin>\bB[DM]C\b)|(?P<end>\bEMC\b)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Part:
    where: str              # PAGE, STRINGS, XMP or FILE
    text: str


@dataclass
class Readback:
    parts: list[Part] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)    # "object 12: an image (DCTDecode)", ...


def read(data: bytes) -> Readback:
    """Every text part of the PDF `data` (see the module docstring)."""
    out = Readback()
    outside: list[bytes] = []
    pages: list[str] = []
    for before, header, label, raw in _streams(data):
        outside.append(before)
        if raw is not None:
            _stream(out, pages, outside, label, header, raw)
    dictionaries = b"\n".join(outside)
    if _COMPOSITE_FONT.search(dictionaries):
        out.unreadable.append("a composite (Type0) font, whose glyphs cannot be mapped to text here")
    out.parts.insert(0, Part(PAGE, "\n".join(pages)))
    out.parts.insert(1, Part(STRINGS, _document_strings(dictionaries)))
    return out


def _streams(data: bytes) -> Iterator[tuple[bytes, bytes, str, bytes | None]]:
    """Each stream of the file in the order it holds them: (the bytes before it since the last stream, its
    object's dictionary, which object it is, its data as stored); last, (the bytes after the last stream,
    b"", "", None)."""
    pos = 0
    while True:
        m = _STREAM.search(data, pos)
        while m is not None and data[max(0, m.start() - 3):m.start()] == b"end":
            m = _STREAM.search(data, m.end())
        if m is None:
            yield data[pos:], b"", "", None
            return
        head = data.rfind(b"obj", pos, m.start())
        header = data[head + 3 if head >= 0 else pos:m.start()]
        # The object the stream belongs to: its header ends at the last "obj" before the stream (looked for
        # near there: between two streams may lie thousands of objects, a tagged letter's structure elements).
        found = list(_OBJ.finditer(data, max(pos, head - _HEADER_SPAN), head + 3)) if head >= 0 else []
        label = f"object {int(found[-1].group(1))}" if found else f"the stream at byte {m.start()}"
        start = m.end()
        end = _stream_end(data, start, header)
        yield data[pos:m.start()], header, label, data[start:end]
        after = data.find(b"endstream", end)
        pos = after + len(b"endstream") if after >= 0 else len(data)


def _stream_end(data: bytes, start: int, header: bytes) -> int:
    m = _LENGTH.search(header)
    if m is not None:
        end = start + int(m.group(1))
        if data[end:end + 12].lstrip().startswith(b"endstream"):
            return end
    end = data.find(b"endstream", start)
    if end < 0:
        return len(data)
    if data[end - 2:end] == b"\r\n":
        return end - 2
    return end - 1 if data[end - 1:end] in (b"\n", b"\r") else end


def _stream(out: Readback, pages: list[str], outside: list[bytes], label: str, header: bytes, raw: bytes) -> None:
    if _XREF.search(header) or _FONT_PROGRAM.search(header):
        return
    if _IMAGE.search(header):
        out.unreadable.append(f"{label}: an image (its pixels may show text)")
        return
    decoded = _decode(raw, header)
    if isinstance(decoded, str):
        out.unreadable.append(f"{label}: {decoded}")
        return
    if _ICC_PROFILE.search(header) and decoded[36:40] == _ICC_SIGNATURE:
        return
    if _METADATA.search(header):
        out.parts.append(Part(XMP, html.unescape(decoded.decode("utf-8", "replace"))))
    elif _EMBEDDED.search(header):
        out.parts.append(Part(FILE, decoded.decode("utf-8", "replace")))
    elif _OBJECT_STREAM.search(header):
        outside.append(_objects(decoded, header))
    else:
        pages.append(content_text(decoded))


def _objects(decoded: bytes, header: bytes) -> bytes:
    """An object stream's objects, without the numbers and offsets that head them when that is all the head
    holds (a tagged letter's structure tree: 190,000 pairs that hold nothing the gate looks for)."""
    m = _FIRST.search(header)
    if m is not None and not decoded[:int(m.group(1))].translate(None, _INTEGERS):
        return decoded[int(m.group(1)):]
    return decoded


def _decode(raw: bytes, header: bytes) -> bytes | str:
    """The stream's data with its filters undone, or why not."""
    m = _FILTERS.search(header)
    names = [n.decode("latin-1") for n in _NAME.findall(m.group(1))] if m else []
    p = _PREDICTOR.search(header)
    if p is not None and int(p.group(1)) > 1:
        return f"a stream with a predictor ({int(p.group(1))}), which is not read here"
    data = raw
    for name in names:
        try:
            if name in ("FlateDecode", "Fl"):
                data = zlib.decompress(data)
            elif name in ("ASCII85Decode", "A85"):
                body = data.strip()
                body = body[2:] if body.startswith(b"<~") else body
                data = base64.a85decode(body if body.endswith(b"~>") else body + b"~>", adobe=True)
            elif name in ("ASCIIHexDecode", "AHx"):
                digits = re.sub(rb"[^0-9A-Fa-f]", b"", data.split(b">", 1)[0])
                data = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
            elif name in ("RunLengthDecode", "RL"):
                data = _run_length(data)
            else:
                return f"a filter ({name}) that is not read here"
        except (zlib.error, ValueError) as exc:
            return f"a {name} stream that does not decode ({type(exc).__name__})"
    return data


def _run_length(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data) and data[i] != 128:
        n = data[i]
        if n < 128:
            out += data[i + 1:i + 2 + n]
            i += n + 2
        else:
            out += data[i + 1:i + 2] * (257 - n)
            i += 2
    return bytes(out)


def _unescape(body: bytes) -> bytes:
    if b"\\" not in body:
        return body
    pieces = _ESCAPE.split(body)              # text, escape, text, escape, ..., text
    pieces[1::2] = [_ESCAPES[e] for e in pieces[1::2]]
    return b"".join(pieces)


def _hex(body: bytes) -> bytes:
    digits = re.sub(rb"\s", b"", body)
    return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))


def _text(raw: bytes) -> str:
    """A string's bytes as text: UTF-16 after a byte-order mark, else WinAnsi (PDFDocEncoding agrees on
    the printable characters)."""
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be", "replace")
    if raw.startswith(b"\xff\xfe"):
        return raw[2:].decode("utf-16-le", "replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    return raw.decode("cp1252", "replace")


def content_text(stream: bytes) -> str:
    """The strings a content stream shows, one per line (a TJ array's strings joined)."""
    if b"BI" in stream:
        stream = _INLINE_IMAGE.sub(b" ", stream)
    if b"[" not in stream and not _HEX.search(stream):   # (a TJ takes an array: none without "[")
        bodies = _LITERAL.findall(stream)                 # the letters' own streams: Tj only, one pass in C
        joined = b"\n".join(bodies)
        if b"\xfe\xff" not in joined and b"\xff\xfe" not in joined:
            return _unescape(joined).decode("cp1252", "replace")
        return "\n".join(_text(_unescape(b)) for b in bodies)
    lines: list[str] = []
    array: list[str] | None = None
    for m in _TOKENS.finditer(stream):
        kind = m.lastgroup
        if kind == "o":
            array = []
        elif kind == "c":
            if array is not None:
                lines.append("".join(array))
            array = None
        else:
            raw = _unescape(m.group("s")) if kind == "s" else _hex(m.group("h"))
            text = _text(raw)
            if array is not None:
                array.append(text)
            else:
                lines.append(text)
    if array:
        lines.append("".join(array))
    return "\n".join(lines)


def reading_text(data: bytes) -> str:
    """The text of the PDF `data` as its pages read, page after page (the Letter tab's text view, for a screen
    reader): the strings of the page content streams in the order the file holds them, without artifacts
    (marked content tagged /Artifact: running headers and footers, page numbers) and without form XObjects
    (a letter draws its page count through one, in its footer). Not a check (the release gate reads
    everything, with `read`): a stream that cannot be read is left out."""
    pages = []
    for _before, header, _label, raw in _streams(data):
        if raw is None or _FORM.search(header) or any(p.search(header) for p in _NOT_CONTENT):
            continue
        decoded = _decode(raw, header)
        if isinstance(decoded, bytes) and not (_ICC_PROFILE.search(header) and decoded[36:40] == _ICC_SIGNATURE):
            pages.append(content_text(_without_artifacts(decoded)))
    return "\n".join(p for p in pages if p)


def _without_artifacts(stream: bytes) -> bytes:
    """A content stream without its artifacts' marked content (nested marked content counted, strings
    skipped)."""
    if b"/Artifact" not in stream:
        return stream
    if b"BI" in stream:
        stream = _INLINE_IMAGE.sub(b" ", stream)
    kept: list[bytes] = []
    start = 0
    inside: list[bool] = []                # per open marked-content sequence: in an artifact
    for m in _MARKED.finditer(stream):
        kind = m.lastgroup
        if kind == "end":
            if inside and inside.pop() and not (inside and inside[-1]):
                start = m.end()            # the outermost artifact closed: keep what follows
        elif kind is not None:             # a sequence begins
            artifact = bool(inside and inside[-1])
            if kind == "artifact" and not artifact:
                kept.append(stream[start:m.start()])
            inside.append(artifact or kind == "artifact")
    if not (inside and inside[-1]):
        kept.append(stream[start:])
    return b"\n".join(kept)


def _document_strings(dictionaries: bytes) -> str:
    """Every literal and hex string, and every name, outside the streams, one per line."""
    out = [_text(_unescape(m)) for m in _LITERAL.findall(dictionaries)]
    rest = _LITERAL.sub(b" ", dictionaries)
    out += [_text(_hex(m)) for m in _HEX.findall(rest)]
    names: dict[bytes, None] = {}                         # each distinct name once (see the module docstring):
    names.update((n, None) for n, pattern in _FREQUENT_NAMES if pattern.search(rest))   # the frequent ones,
    start = 0                                             # then the others, a megabyte at a time, cut at a line
    while start < len(rest):                              # end (never in a name): never a million in one list
        end = rest.find(b"\n", start + _CHUNK)
        end = len(rest) if end < 0 else end + 1
        names.update(dict.fromkeys(_RARE_NAME.findall(rest, start, end)))
        start = end
    joined = b"\n".join(names)
    if b"#" in joined:
        joined = b"\n".join(_NAME_HEX.sub(lambda m: bytes((int(m.group(1), 16),)), n) for n in names)
    out.append(joined.decode("cp1252", "replace"))
    return "\n".join(out)

"""The checkpoint a letter carries, so `dws verify --against letter.pdf` can read it back.

A letter embeds the signed checkpoint note of the moment it was issued in its XMP metadata packet (the
document's /Metadata stream, uncompressed or FlateDecode), as the text of one `dws:Checkpoint` property in
the namespace NS, the note verbatim: UTF-8, lines ending in LF (a literal newline or `&#xA;`/`&#10;`), the
usual XML escapes allowed. `xmp_property` gives that element and `XMP_EXTENSION_SCHEMA` the PDF/A extension
schema description that declares it (PDF/A-2 wants every custom property described; a letter's own packet,
letters/archival.py, declares `SCHEMA_ITEM` beside PDF/UA's); `find` reads it back from a PDF's bytes without
a PDF library.
"""

from __future__ import annotations

import re
import zlib
from html import unescape

NS = "https://disclosure-workstation.example/ns/log/1.0/"
PREFIX = "dws"

SCHEMA_ITEM = f"""<rdf:li rdf:parseType="Resource">
  <pdfaSchema:schema>Disclosure Workstation audit-log checkpoint</pdfaSchema:schema>
  <pdfaSchema:namespaceURI>{NS}</pdfaSchema:namespaceURI>
  <pdfaSchema:prefix>{PREFIX}</pdfaSchema:prefix>
  <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
   <pdfaProperty:name>Checkpoint</pdfaProperty:name>
   <pdfaProperty:valueType>Text</pdfaProperty:valueType>
   <pdfaProperty:category>external</pdfaProperty:category>
   <pdfaProperty:description>Signed checkpoint of the audit log when the letter was issued (C2SP
    tlog-checkpoint, signed note)</pdfaProperty:description>
  </rdf:li></rdf:Seq></pdfaSchema:property>
 </rdf:li>"""


def extension_schemas(*items: str) -> str:
    """The rdf:Description declaring custom XMP schemas (PDF/A-2 wants each one described): SCHEMA_ITEM and
    any others (a letter adds PDF/UA's identification schema)."""
    return f"""<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
  xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
 <pdfaExtension:schemas><rdf:Bag>{"".join(items)}</rdf:Bag></pdfaExtension:schemas>
</rdf:Description>"""


XMP_EXTENSION_SCHEMA = extension_schemas(SCHEMA_ITEM)

_ELEMENT = re.compile(rb"<dws:Checkpoint>(.*?)</dws:Checkpoint>", re.DOTALL)
_STREAM = re.compile(rb"(?<!end)stream\r?\n")


def xmp_property(note: str) -> str:
    """The rdf:Description carrying the note, to put inside the letter's rdf:RDF."""
    text = note.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<rdf:Description rdf:about="" xmlns:{PREFIX}="{NS}"><{PREFIX}:Checkpoint>{text}</{PREFIX}:Checkpoint>' \
           "</rdf:Description>"


def xmp_packet(note: str) -> bytes:
    """A whole XMP packet (the letter's /Metadata stream) declaring and carrying the note."""
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            f"{XMP_EXTENSION_SCHEMA}\n{xmp_property(note)}\n"
            '</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="r"?>').encode()


def find(pdf: bytes) -> list[str]:
    """Every checkpoint note found in the PDF's metadata (plain or FlateDecode streams)."""
    found = [m.group(1) for m in _ELEMENT.finditer(pdf)]
    for m in _STREAM.finditer(pdf):
        head = pdf[max(0, m.start() - 1024):m.start()]
        if b"/FlateDecode" not in head[max(0, head.rfind(b" obj")):]:
            continue
        end = pdf.find(b"endstream", m.end())
        if end < 0:
            continue
        try:
            data = zlib.decompressobj().decompress(pdf[m.end():end])
        except zlib.error:
            continue
        found.extend(x.group(1) for x in _ELEMENT.finditer(data))
    notes = []
    for raw in found:
        note = unescape(raw.decode("utf-8", errors="replace")).replace("\r\n", "\n").strip("\n") + "\n"
        if note not in notes:
            notes.append(note)
    return notes

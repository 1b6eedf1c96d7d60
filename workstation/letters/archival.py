"""A letter as a file: PDF/A-2 (level B) and PDF/UA-1.

What makes it so, besides the tagged pages (structure.py): every font embedded (fonts.py); an sRGB output
intent (the ICC profile shipped in resources/color, with its licence), under which the pages' DeviceGray is
allowed; an XMP packet that repeats the document information exactly and identifies the file as PDF/A-2B and
PDF/UA-1 (with the PDF/A extension schemas that declare pdfuaid and the audit-log checkpoint's property);
/MarkInfo, /Lang en-US, and /ViewerPreferences /DisplayDocTitle, so a viewer shows the title, not the file name.

Deterministic: the dates are the letter's issue time, the file identifier a hash of the letter's identity.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources

from .. import letter_checkpoint
from . import fonts
from .pdfwrite import PdfWriter, name, ref, string
from .structure import Structure

LANG = "en-US"
SIGNATURE_FIELD = "DWS-Letter-Signature"      # the empty signature field pyHanko signs (pades.py)
PAGE_W, PAGE_H = 612.0, 792.0             # US Letter
FONT_RESOURCES = {fonts.REGULAR: "F1", fonts.BOLD: "F2", fonts.MONO: "F3"}
PAGE_COUNT = "PC"                         # the form XObject that prints "M" of "Page N of M"
OUTPUT_CONDITION = "sRGB IEC61966-2.1"
PDFUA_SCHEMA = """<rdf:li rdf:parseType="Resource">
  <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
  <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
  <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
  <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
   <pdfaProperty:name>part</pdfaProperty:name>
   <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
   <pdfaProperty:category>internal</pdfaProperty:category>
   <pdfaProperty:description>Indicates which part of ISO 14289 standard is followed</pdfaProperty:description>
  </rdf:li></rdf:Seq></pdfaSchema:property>
 </rdf:li>"""


@dataclass(frozen=True, slots=True)
class Meta:
    title: str
    author: str
    subject: str
    keywords: str
    creator: str
    created: str                # PDF date, "D:20261102153000+00'00'"
    checkpoint: str | None = None    # the audit-log checkpoint note the XMP packet carries
    producer: str = "Disclosure Workstation"


def xmp_date(pdf_date: str) -> str:
    """"D:20261102153000+00'00'" -> "2026-11-02T15:30:00+00:00"."""
    d = pdf_date[2:]
    return f"{d[0:4]}-{d[4:6]}-{d[6:8]}T{d[8:10]}:{d[10:12]}:{d[12:14]}{d[14:17]}:{d[18:20]}"


def xmp(meta: Meta) -> bytes:
    """The XMP packet: the document information again, the PDF/A and PDF/UA identification, the checkpoint."""
    e = escape
    date = xmp_date(meta.created)
    checkpoint = f"\n{letter_checkpoint.xmp_property(meta.checkpoint)}" if meta.checkpoint is not None else ""
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
            f"{letter_checkpoint.extension_schemas(PDFUA_SCHEMA, letter_checkpoint.SCHEMA_ITEM)}\n"
            '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" '
            'xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">'
            "<pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
            "<pdfuaid:part>1</pdfuaid:part></rdf:Description>\n"
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            "<dc:format>application/pdf</dc:format>"
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e(meta.title)}</rdf:li></rdf:Alt></dc:title>'
            f"<dc:creator><rdf:Seq><rdf:li>{e(meta.author)}</rdf:li></rdf:Seq></dc:creator>"
            f'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e(meta.subject)}</rdf:li></rdf:Alt>'
            "</dc:description><dc:language><rdf:Bag><rdf:li>" + LANG + "</rdf:li></rdf:Bag></dc:language>"
            "</rdf:Description>\n"
            '<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/" '
            'xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
            f"<pdf:Keywords>{e(meta.keywords)}</pdf:Keywords><pdf:Producer>{e(meta.producer)}</pdf:Producer>"
            f"<xmp:CreatorTool>{e(meta.creator)}</xmp:CreatorTool><xmp:CreateDate>{date}</xmp:CreateDate>"
            f"<xmp:ModifyDate>{date}</xmp:ModifyDate><xmp:MetadataDate>{date}</xmp:MetadataDate>"
            f"</rdf:Description>{checkpoint}\n"
            '</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end="r"?>').encode()


@cache
def icc_profile() -> bytes:
    return resources.files("resources").joinpath("color", "sRGB.icc").read_bytes()


class LetterFile:
    """The objects of one letter: pages written as they are finished, the rest when the file is."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.pdf = pdf = PdfWriter()
        self.pages_id, self.resources_id, self.count_id = pdf.reserve(), pdf.reserve(), pdf.reserve()
        self.font_ids = {key: pdf.reserve() for key in FONT_RESOURCES}
        self.page_ids: list[int] = []
        self.widgets: list[tuple[int, int, int, str]] = []     # (object, page, /StructParent key, tooltip)

    def add_page(self, content: bytes, annots: list[int] | None = None) -> None:
        """One page: its content stream and its page object (/StructParents: its index in the parent tree;
        /Tabs /S: annotations, such as a signature's, in structure order)."""
        pdf = self.pdf
        contents, page = pdf.reserve(), pdf.reserve()
        pdf.stream(contents, "", content)
        pdf.put(page, f"<</Type/Page/Parent {ref(self.pages_id)}/MediaBox[0 0 {PAGE_W:g} {PAGE_H:g}]"
                      f"/Resources {ref(self.resources_id)}/Contents {ref(contents)}"
                      f"/StructParents {len(self.page_ids)}/Tabs/S"
                      + (f"/Annots[{' '.join(ref(a) for a in annots)}]" if annots else "") + ">>")
        self.page_ids.append(page)

    def finish(self, structure: Structure, page_count: str) -> bytes:
        """The page tree, the page-count form (`page_count`: its text, e.g. "12"), fonts, structure tree,
        metadata, output intent, catalog and document information; the file's bytes."""
        pdf, meta = self.pdf, self.meta
        kids = " ".join(ref(p) for p in self.page_ids)
        pdf.put(self.pages_id, f"<</Type/Pages/Kids[{kids}]/Count {len(self.page_ids)}>>")
        fonts_dict = "".join(f"/{res} {ref(self.font_ids[key])}" for key, res in FONT_RESOURCES.items())
        pdf.put(self.resources_id, f"<</Font<<{fonts_dict}>>/XObject<</{PAGE_COUNT} {ref(self.count_id)}>>>>")
        regular = FONT_RESOURCES[fonts.REGULAR]
        width = sum(fonts.widths(fonts.REGULAR)[b] for b in page_count.encode()) * 8 / 1000
        pdf.stream(self.count_id, f"/Type/XObject/Subtype/Form/BBox[0 -2 {width + 1:.2f} 8]"
                                  f"/Resources<</Font<</{regular} {ref(self.font_ids[fonts.REGULAR])}>>>>",
                   f"BT /{regular} 8 Tf 0 0 Td ({page_count}) Tj ET".encode())
        for key, font_id in self.font_ids.items():
            self._font(font_id, fonts.font(key))
        tree = pdf.reserve()
        structure.write(pdf, self.page_ids, tree)
        fields = self._widgets(len(self.page_ids))
        metadata = pdf.reserve(4)
        icc, catalog, info = metadata + 1, metadata + 2, metadata + 3
        pdf.stream(metadata, "/Type/Metadata/Subtype/XML", xmp(meta), compress=False)
        pdf.stream(icc, "/N 3", icc_profile())
        intent = (f"<</Type/OutputIntent/S/GTS_PDFA1/OutputConditionIdentifier{string(OUTPUT_CONDITION)}"
                  f"/Info{string(OUTPUT_CONDITION)}/RegistryName(http://www.color.org)/DestOutputProfile {ref(icc)}>>")
        pdf.put(catalog, f"<</Type/Catalog/Pages {ref(self.pages_id)}/Metadata {ref(metadata)}"
                         f"/StructTreeRoot {ref(tree)}/MarkInfo<</Marked true>>/Lang{string(LANG)}"
                         f"/ViewerPreferences<</DisplayDocTitle true>>/OutputIntents[{intent}]"
                         f"/AcroForm<</Fields[{fields}]>>/PageLayout/OneColumn>>")
        # Uncompressed and top-level: `dws verify-letter` finds a letter's marker in these bytes.
        pdf.put(info, f"<</Title{string(meta.title)}/Author{string(meta.author)}/Subject{string(meta.subject)}"
                      f"/Keywords{string(meta.keywords)}/Creator{string(meta.creator)}"
                      f"/Producer{string(meta.producer)}/CreationDate({meta.created})/ModDate({meta.created})>>")
        identity = hashlib.sha256("\n".join((meta.subject, meta.created, meta.title)).encode()).digest()[:16]
        return pdf.finish(catalog, info, identity)

    def _widgets(self, pages: int) -> str:
        """The empty signature field(s): merged field and widget, invisible (no area) but printable as PDF/A
        wants, described for assistive technology (/TU), tagged (a Form element), with an empty appearance.
        Returns the AcroForm's /Fields entries."""
        pdf = self.pdf
        for obj, page, key, tooltip in self.widgets:
            appearance = pdf.reserve()
            pdf.stream(appearance, "/Type/XObject/Subtype/Form/BBox[0 0 0 0]", b"")
            pdf.put(obj, f"<</Type/Annot/Subtype/Widget/FT/Sig/T{string(SIGNATURE_FIELD)}/TU{string(tooltip)}/F 132"
                         f"/Rect[0 0 0 0]/P {ref(self.page_ids[page])}/StructParent {pages + key}"
                         f"/AP<</N {ref(appearance)}>>>>")
        return " ".join(ref(obj) for obj, *_rest in self.widgets)

    def _font(self, font_id: int, f: fonts.EmbeddedFont) -> None:
        pdf = self.pdf
        descriptor = pdf.reserve(2)
        program = descriptor + 1
        pdf.stream(program, f"/Length1 {len(f.program)}", f.program)
        bbox = " ".join(map(str, f.bbox))
        pdf.pack(descriptor, f"<</Type/FontDescriptor/FontName{name(f.base_font)}/Flags {f.flags}"
                             f"/FontBBox[{bbox}]/ItalicAngle 0/Ascent {f.ascent}/Descent {f.descent}"
                             f"/CapHeight {f.cap_height}/StemV 80/FontFile2 {ref(program)}>>")
        widths = " ".join(map(str, f.widths))
        pdf.pack(font_id, f"<</Type/Font/Subtype/TrueType/BaseFont{name(f.base_font)}/FirstChar {fonts.FIRST}"
                          f"/LastChar {fonts.LAST}/Widths[{widths}]/Encoding/WinAnsiEncoding"
                          f"/FontDescriptor {ref(descriptor)}>>")

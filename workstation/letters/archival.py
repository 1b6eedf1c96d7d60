"""A letter as a file: PDF/A-2 (level B) and PDF/UA-1, what reportlab's canvas makes and the catalog entries
added here through its document objects.

What makes it so, besides the tagged pages (structure.py): every font embedded (fonts.py); an sRGB output
intent (the ICC profile shipped in resources/color, with its licence), under which the pages' DeviceGray is
allowed; an XMP packet that repeats the document information exactly and identifies the file as PDF/A-2B and
PDF/UA-1 (with the PDF/A extension schemas that declare pdfuaid and the audit-log checkpoint's property);
/MarkInfo, /Lang en-US, and /ViewerPreferences /DisplayDocTitle, so a viewer shows the title, not the file name;
every stream with the end-of-line marker before `endstream` that PDF/A wants (rlobjects.ArchivalStream).

Deterministic: reportlab's invariant mode, the dates the letter's issue time; reportlab's file identifier is a
digest of the document information, which names the letter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from html import escape
from importlib import resources

from reportlab.pdfbase.pdfdoc import (
    PDFArray,
    PDFCatalog,
    PDFDate,
    PDFDictionary,
    PDFDocument,
    PDFInfo,
    PDFName,
    PDFObjectReference,
    PDFPage,
    PDFString,
)
from reportlab.pdfgen.canvas import Canvas

from .. import letter_checkpoint
from .rlobjects import ArchivalStream

LANG = "en-US"
SIGNATURE_FIELD = "DWS-Letter-Signature"      # the empty signature field pyHanko signs (pades.py)
VERSION = (1, 7)                          # PDF/A-2 is based on PDF 1.7
CATALOG_KEYS = [*PDFCatalog.__NoDefault__, "OutputIntents"]        # what reportlab writes of the catalog, and
PAGE_KEYS = [*PDFPage.__NoDefault__, "StructParents", "Tabs"]      # of a page (its attributes of these names)
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


class _Info(PDFInfo):
    """reportlab's document information without /Trapped, which the XMP packet does not repeat (PDF/A wants
    the two to agree on every entry they share)."""

    def format(self, document: PDFDocument) -> bytes:
        date = PDFDate(ts=document._timeStamp, dateFormatter=self._dateFormatter)  # type: ignore[attr-defined]
        return PDFDictionary({
            "Title": PDFString(self.title), "Author": PDFString(self.author), "Subject": PDFString(self.subject),
            "Keywords": PDFString(self.keywords), "Creator": PDFString(self.creator),
            "Producer": PDFString(self.producer), "CreationDate": date, "ModDate": date}).format(document)


def describe(c: Canvas, meta: Meta) -> None:
    """The document information (reportlab's Info dictionary, uncompressed and top-level: `dws verify-letter`
    finds a letter's marker in these bytes), both its dates the issue time."""
    c._doc.info = _Info()  # type: ignore[attr-defined]
    c.setTitle(meta.title)
    c.setAuthor(meta.author)
    c.setSubject(meta.subject)
    c.setKeywords(meta.keywords)
    c.setCreator(meta.creator)
    c.setProducer(meta.producer)
    c.setDateFormatter(lambda *_ymdhms: meta.created)


def tag_page(page: PDFPage, index: int, content: bytes, annotations: list[PDFObjectReference]) -> None:
    """A page reportlab has just made: its content stream (PDF/A's end-of-line before `endstream`), its key in
    the parent tree (/StructParents: its index), annotations in structure order (/Tabs /S), and its
    annotations."""
    page.__NoDefault__ = PAGE_KEYS
    page.Trans = None                        # reportlab's empty page transition
    page.Contents = ArchivalStream({}, content)
    page.stream = None                       # reportlab's copy of the content, no longer needed
    page.StructParents = index  # type: ignore[attr-defined]
    page.Tabs = PDFName("S")  # type: ignore[attr-defined]
    if annotations:
        page.Annots = PDFArray(annotations)


def signature_widget(doc: PDFDocument, tooltip: str) -> PDFDictionary:
    """An empty signature field on the current page, for pyHanko to fill (pades.py): merged field and widget,
    invisible (no area) but printable as PDF/A wants, described for assistive technology (/TU), with an empty
    appearance. Its /StructParent is set when the page count is known."""
    appearance = ArchivalStream({"Type": PDFName("XObject"), "Subtype": PDFName("Form"),
                                 "BBox": PDFArray([0, 0, 0, 0])}, b"", compress=False)
    return PDFDictionary({"Type": PDFName("Annot"), "Subtype": PDFName("Widget"), "FT": PDFName("Sig"),
                          "T": PDFString(SIGNATURE_FIELD), "TU": PDFString(tooltip), "F": 132,
                          "Rect": PDFArray([0, 0, 0, 0]), "P": doc.thisPageRef(),
                          "AP": PDFDictionary({"N": doc.Reference(appearance)})})  # type: ignore[no-untyped-call]


def finish(doc: PDFDocument, meta: Meta, structure_root: PDFObjectReference, fields: list[PDFObjectReference]) -> None:
    """The catalog's archival and accessibility entries: XMP, structure tree, /MarkInfo, /ViewerPreferences,
    the output intent and the form with its signature field(s). (/Lang: the canvas's `lang`.)"""
    icc = doc.Reference(ArchivalStream({"N": 3}, icc_profile(), constant=True))  # type: ignore[no-untyped-call]
    intent = PDFDictionary({"Type": PDFName("OutputIntent"), "S": PDFName("GTS_PDFA1"),
                            "OutputConditionIdentifier": PDFString(OUTPUT_CONDITION),
                            "Info": PDFString(OUTPUT_CONDITION), "RegistryName": PDFString("http://www.color.org"),
                            "DestOutputProfile": icc})
    cat = doc.Catalog  # type: ignore[attr-defined]
    cat.__NoDefault__ = CATALOG_KEYS
    cat.Metadata = ArchivalStream({"Type": PDFName("Metadata"), "Subtype": PDFName("XML")}, xmp(meta),
                                  compress=False)
    cat.StructTreeRoot = structure_root
    cat.MarkInfo = PDFDictionary({"Marked": "true"})
    cat.ViewerPreferences = PDFDictionary({"DisplayDocTitle": "true"})
    cat.OutputIntents = PDFArray([intent])
    cat.AcroForm = PDFDictionary({"Fields": PDFArray(fields)})
    cat.PageLayout = PDFName("OneColumn")

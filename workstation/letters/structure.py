"""The letter's logical structure (PDF/UA-1, ISO 32000-1 14.7-14.8), recorded while the pages are laid out and
written as the structure tree, through reportlab's document objects (rlobjects.py), when the file is finished.

Every piece of page content is either real content, in a marked-content sequence (`/P <</MCID n>> BDC ... EMC`)
that belongs to one structure element, or an artifact (`/Artifact ... BMC/BDC ... EMC`): the running header
and footer, the page numbers, rules and boxes, a table's column headings repeated on a later page. The tree:
Document > H1 (the letter's title), H2 (section headings), P, L > LI > Lbl + LBody, Table > TR > TH / TD (the
schedule; header cells scope their column), Figure (the QR codes, each with /Alt saying what it holds).

Elements are kept as parallel lists (a 47,000-subject schedule makes about 190,000 of them): a role, the parent,
and the kids in reading order: another element (an int) or a marked-content sequence (page, mcid). Each is
written as one line of PDF, and packed with the others and the parent tree into object streams (pdffile.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFObjectReference

from . import pdffile
from .pdffile import LetterDocument
from .rlobjects import Formatted, number, text_string

ROOT = 0                                  # the Document element
CONTAINERS = frozenset({"Document", "Sect", "Div", "L", "LI", "Table", "TR"})   # never mark content themselves


@dataclass(frozen=True, slots=True)
class Extra:
    alt: str | None = None                # /Alt (a Figure's alternate text)
    scope: str | None = None              # a TH's /Scope: Column or Row


class Structure:
    def __init__(self) -> None:
        self.roles: list[str] = ["Document"]
        self.parents: list[int] = [-1]
        self.kids: list[list[int | tuple[int, int]]] = [[]]
        self.extra: dict[int, Extra] = {}
        self.stack: list[int] = [ROOT]
        self.page_marks: list[list[int]] = []      # page -> element of each MCID, in MCID order
        self.objrs: dict[int, int] = {}            # element -> the page of the annotation it stands for

    @property
    def current(self) -> int:
        return self.stack[-1]

    def open(self, role: str, extra: Extra | None = None) -> int:
        parent = self.stack[-1]
        n = len(self.roles)
        self.roles.append(role)
        self.parents.append(parent)
        self.kids.append([])
        self.kids[parent].append(n)
        if extra is not None:
            self.extra[n] = extra
        self.stack.append(n)
        return n

    def close(self, element: int) -> None:
        if self.stack[-1] != element:
            raise ValueError(f"structure: closing {self.roles[element]} while {self.roles[self.stack[-1]]} is open")
        self.stack.pop()

    def row(self, filled: list[bool]) -> list[int]:
        """A TR, child of the current element, with a TD per cell; each cell that holds text (`filled`) gets a
        marked-content sequence on the current page. Returns their MCIDs, in order."""
        roles, parents, kids, marks = self.roles, self.parents, self.kids, self.page_marks[-1]
        parent, tr, page = self.stack[-1], len(roles), len(self.page_marks) - 1
        cells: list[int | tuple[int, int]] = []
        roles.append("TR")
        parents.append(parent)
        kids.append(cells)
        kids[parent].append(tr)
        mcids = []
        for has_text in filled:
            td = len(roles)
            roles.append("TD")
            parents.append(tr)
            cells.append(td)
            if has_text:
                mcids.append(len(marks))
                kids.append([(page, len(marks))])
                marks.append(td)
            else:
                kids.append([])
        return mcids

    def new_page(self) -> None:
        self.page_marks.append([])

    def mark(self, element: int) -> int:
        """A new marked-content sequence of `element` on the current page: its MCID."""
        marks = self.page_marks[-1]
        mcid = len(marks)
        marks.append(element)
        self.kids[element].append((len(self.page_marks) - 1, mcid))
        return mcid

    def annotation(self, element: int) -> int:
        """`element` stands for an annotation on the current page; returns the annotation's /StructParent key
        (after the pages' keys: add the page count)."""
        self.objrs[element] = len(self.page_marks) - 1
        return len(self.objrs) - 1

    def write(self, doc: LetterDocument, page_numbers: list[int], annotations: dict[int, int]) -> PDFObjectReference:
        """The structure tree root, every element and the parent tree (a number tree keyed by each page's
        /StructParents, its page index, then by each annotation's /StructParent) into reportlab's document
        `doc`: the root on its own, the rest packed into object streams (pdffile.py). `page_numbers`: each page's
        object number; `annotations`: the object number of the annotation each element of `annotation` stands
        for. Returns the root's reference, for the catalog."""
        root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
        ref = doc.Reference(root)
        pages = len(self.page_marks)
        first = pdffile.reserve(doc, len(self.roles) + pages + 1)
        arrays = first + len(self.roles)
        bodies = list(self._elements(first, number(doc, ref.name), page_numbers, annotations))
        bodies += ["[" + " ".join([f"{first + e} 0 R" for e in marks]) + "]" for marks in self.page_marks]
        nums = [f"{p} {arrays + p} 0 R" for p in range(pages)]
        nums += [f"{pages + k} {first + e} 0 R" for k, e in enumerate(self.objrs)]
        bodies.append(f"<</Nums[{' '.join(nums)}]>>")
        pdffile.pack(doc, first, bodies)
        root.dict["K"] = Formatted(b"%d 0 R" % first)
        root.dict["ParentTree"] = Formatted(b"%d 0 R" % (arrays + pages))
        root.dict["ParentTreeNextKey"] = pages + len(self.objrs)
        return ref

    def _elements(self, first: int, root: int, page_ids: list[int], annotations: dict[int, int]) -> Iterator[str]:
        roles, parents, kids, extra, objrs = self.roles, self.parents, self.kids, self.extra, self.objrs
        for e in range(len(roles)):
            own = kids[e]
            # The common cases first (a 47,000-subject schedule: a cell with one marked-content sequence, a row
            # of cells), written without the general path's bookkeeping.
            if e not in extra and e not in objrs and e != ROOT:
                if len(own) == 1 and type(own[0]) is tuple:
                    yield f"<</S/{roles[e]}/P {first + parents[e]} 0 R/Pg {page_ids[own[0][0]]} 0 R/K {own[0][1]}>>"
                    continue
                if own and all(type(k) is int for k in own):
                    yield (f"<</S/{roles[e]}/P {first + parents[e]} 0 R/K["
                           + " ".join([f"{first + k} 0 R" for k in own]) + "]>>")    # type: ignore[operator]
                    continue
            yield self._element(e, first, first + parents[e] if e != ROOT else root, page_ids,
                                annotations.get(e)).decode("ascii")

    def _element(self, e: int, first: int, parent: int, page_ids: list[int], annotation: int | None) -> bytes:
        """Element `e` (numbered `first` + e) in general: kids on several pages, an annotation, alternate text
        or attributes."""
        own, more = self.kids[e], self.extra.get(e)
        head = b"<</S/%s/P %d 0 R" % (self.roles[e].encode(), parent)
        pages = {k[0] for k in own if isinstance(k, tuple)}
        if e in self.objrs:
            pages.add(self.objrs[e])
        page = min(pages) if pages else None
        if page is not None:
            head += b"/Pg %d 0 R" % page_ids[page]
        if len(own) == 1 and isinstance(own[0], tuple) and len(pages) == 1 and annotation is None:
            body = b"/K %d" % own[0][1]
        else:
            items = []
            for k in own:
                if isinstance(k, int):
                    items.append(b"%d 0 R" % (first + k))
                elif k[0] == page:
                    items.append(b"%d" % k[1])
                else:
                    items.append(b"<</Type/MCR/Pg %d 0 R/MCID %d>>" % (page_ids[k[0]], k[1]))
            if annotation is not None:
                items.append(b"<</Type/OBJR/Obj %d 0 R>>" % annotation)
            body = b"/K[" + b" ".join(items) + b"]" if items else b""
        if more is not None:
            if more.alt is not None:
                body += b"/Alt" + text_string(more.alt)
            if more.scope is not None:
                body += b"/A<</O/Table/Scope/%s>>" % more.scope.encode()
        return head + body + b">>"

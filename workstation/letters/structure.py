"""The letter's logical structure (PDF/UA-1, ISO 32000-1 14.7-14.8), recorded while the pages are laid out and
written as the structure tree when the file is finished.

Every piece of page content is either real content, in a marked-content sequence (`/P <</MCID n>> BDC ... EMC`)
that belongs to one structure element, or an artifact (`/Artifact ... BMC/BDC ... EMC`): the running header
and footer, the page numbers, rules and boxes, a table's column headings repeated on a later page. The tree:
Document > H1 (the letter's title), H2 (section headings), P, L > LI > Lbl + LBody, Table > TR > TH / TD (the
schedule; header cells scope their column), Figure (the QR codes, each with /Alt saying what it holds).

Elements are kept as parallel lists (a 47,000-subject schedule makes about 190,000 of them): a role, the parent,
and the kids in reading order: another element (an int) or a marked-content sequence (page, mcid).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .pdfwrite import PdfWriter, ref, string

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
        self.objrs: dict[int, tuple[int, int]] = {}     # element -> (annotation object, page) it stands for

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

    def new_page(self) -> None:
        self.page_marks.append([])

    def mark(self, element: int) -> int:
        """A new marked-content sequence of `element` on the current page: its MCID."""
        marks = self.page_marks[-1]
        mcid = len(marks)
        marks.append(element)
        self.kids[element].append((len(self.page_marks) - 1, mcid))
        return mcid

    def annotation(self, element: int, obj: int) -> int:
        """`element` stands for the annotation `obj` on the current page; returns the annotation's
        /StructParent key (after the pages' keys)."""
        self.objrs[element] = (obj, len(self.page_marks) - 1)
        return len(self.objrs) - 1

    def write(self, pdf: PdfWriter, page_ids: list[int], tree_root: int) -> None:
        """Every element, the parent tree (a number tree keyed by each page's /StructParents, its page index,
        then by each annotation's /StructParent) and the structure tree root, into object streams."""
        first = pdf.reserve(len(self.roles))
        parent_tree = pdf.reserve()
        arrays = pdf.reserve(len(self.page_marks))
        pdf.pack_many(self._elements(first, page_ids, tree_root))
        pdf.pack_many((arrays + p, "[" + " ".join(f"{first + e} 0 R" for e in marks) + "]")
                      for p, marks in enumerate(self.page_marks))
        pages = len(self.page_marks)
        nums = [f"{p} {arrays + p} 0 R" for p in range(pages)]
        nums += [f"{pages + k} {first + e} 0 R" for k, e in enumerate(self.objrs)]
        pdf.pack(parent_tree, f"<</Nums[{' '.join(nums)}]>>")
        pdf.pack(tree_root, f"<</Type/StructTreeRoot/K {ref(first)}/ParentTree {ref(parent_tree)}"
                            f"/ParentTreeNextKey {pages + len(self.objrs)}>>")

    def _elements(self, first: int, page_ids: list[int], tree_root: int) -> Iterator[tuple[int, str]]:
        roles, parents, kids, extra, objrs = self.roles, self.parents, self.kids, self.extra, self.objrs
        for e in range(len(roles)):
            own = kids[e]
            # The common cases first (a 47,000-subject schedule: a cell with one marked-content sequence, a row
            # of cells), written without the general path's bookkeeping.
            if e not in extra and e not in objrs and e != ROOT:
                if len(own) == 1 and type(own[0]) is tuple:
                    yield first + e, (f"<</S/{roles[e]}/P {first + parents[e]} 0 R/Pg {page_ids[own[0][0]]} 0 R"
                                      f"/K {own[0][1]}>>")
                    continue
                if own and all(type(k) is int for k in own):
                    yield first + e, (f"<</S/{roles[e]}/P {first + parents[e]} 0 R/K["
                                      + " ".join([f"{first + k} 0 R" for k in own]) + "]>>")    # type: ignore[operator]
                    continue
            parent = ref(tree_root) if e == ROOT else ref(first + parents[e])
            head = f"<</S/{roles[e]}/P {parent}"
            pages = {k[0] for k in own if isinstance(k, tuple)}
            objr = objrs.get(e)
            if objr is not None:
                pages.add(objr[1])
            page = min(pages) if pages else None
            if page is not None:
                head += f"/Pg {page_ids[page]} 0 R"
            if len(own) == 1 and isinstance(own[0], tuple) and len(pages) == 1 and objr is None:
                body = f"/K {own[0][1]}"
            else:
                items = []
                for k in own:
                    if isinstance(k, int):
                        items.append(f"{first + k} 0 R")
                    elif k[0] == page:
                        items.append(str(k[1]))
                    else:
                        items.append(f"<</Type/MCR/Pg {page_ids[k[0]]} 0 R/MCID {k[1]}>>")
                if objr is not None:
                    items.append(f"<</Type/OBJR/Obj {objr[0]} 0 R>>")
                body = "/K[" + " ".join(items) + "]" if items else ""
            more = extra.get(e)
            if more is not None:
                if more.alt is not None:
                    body += f"/Alt{string(more.alt)}"
                if more.scope is not None:
                    body += f"/A<</O/Table/Scope/{more.scope}>>"
            yield first + e, head + body + ">>"

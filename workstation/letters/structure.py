"""The letter's logical structure (PDF/UA-1, ISO 32000-1 14.7-14.8), recorded while the pages are laid out and
written as the structure tree (tree.py) when the file is finished.

Every piece of page content is either real content, in a marked-content sequence (`/P <</MCID n>> BDC ... EMC`)
that belongs to one structure element, or an artifact (`/Artifact ... BMC/BDC ... EMC`): the running header
and footer, the page numbers, rules and boxes, a table's column headings repeated on a later page. The tree:
Document > H1 (the letter's title), H2 (section headings), P, L > LI > Lbl + LBody, Table > TR > TH / TD (the
schedule; header cells scope their column), Figure (the QR codes, each with /Alt saying what it holds).

Elements are numbered in reading order from 0 (the Document). Most are kept by number: a role, the parent, and
the kids in reading order: another element (an int) or a marked-content sequence (page, mcid). A table row of
plain cells (`row`: a 47,000-subject schedule has 47,000 of them, 190,000 elements) is kept as one record
instead, its TR and TD elements numbered consecutively; tree.py writes runs of such rows at once.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOT = 0                                  # the Document element
CONTAINERS = frozenset({"Document", "Sect", "Div", "L", "LI", "Table", "TR"})   # never mark content themselves

# A table row (`Structure.rows`): (its TR's number, its parent's number, page, the MCID of its first filled cell,
# which cells hold text). Its TDs are numbered from TR + 1; each filled cell has the next MCID on the page.
Row = tuple[int, int, int, int, tuple[bool, ...]]


@dataclass(frozen=True, slots=True)
class Extra:
    alt: str | None = None                # /Alt (a Figure's alternate text)
    scope: str | None = None              # a TH's /Scope: Column or Row


class Structure:
    def __init__(self) -> None:
        self.count = 1                                 # elements so far
        self.roles: dict[int, str] = {ROOT: "Document"}
        self.parents: dict[int, int] = {ROOT: -1}
        self.kids: dict[int, list[int | tuple[int, int]]] = {ROOT: []}
        self.rows: list[Row] = []
        self.extra: dict[int, Extra] = {}
        self.stack: list[int] = [ROOT]
        self.page_marks: list[list[int]] = []      # page -> element of each MCID, in MCID order
        self.objrs: dict[int, int] = {}            # element -> the page of the annotation it stands for

    @property
    def current(self) -> int:
        return self.stack[-1]

    def open(self, role: str, extra: Extra | None = None) -> int:
        parent = self.stack[-1]
        n = self.count
        self.count += 1
        self.roles[n] = role
        self.parents[n] = parent
        self.kids[n] = []
        self.kids[parent].append(n)
        if extra is not None:
            self.extra[n] = extra
        self.stack.append(n)
        return n

    def close(self, element: int) -> None:
        if self.stack[-1] != element:
            raise ValueError(f"structure: closing {self.roles[element]} while {self.roles[self.stack[-1]]} is open")
        self.stack.pop()

    def row(self, filled: tuple[bool, ...]) -> range:
        """A TR, child of the current element, with a TD per cell; each cell that holds text (`filled`) gets a
        marked-content sequence on the current page. Returns their MCIDs, in order."""
        parent, tr = self.stack[-1], self.count
        self.count = tr + 1 + len(filled)
        self.kids[parent].append(tr)
        marks = self.page_marks[-1]
        first = len(marks)
        if all(filled):
            marks.extend(range(tr + 1, self.count))
        else:
            marks.extend([tr + 1 + i for i, has_text in enumerate(filled) if has_text])
        self.rows.append((tr, parent, len(self.page_marks) - 1, first, filled))
        return range(first, len(marks))

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

"""The letter's logical structure (PDF/UA-1, ISO 32000-1 14.7-14.8), recorded while the pages are laid out and
written as the structure tree (tree.py) when the file is finished.

Every piece of page content is either real content, in a marked-content sequence (`/P <</MCID n>> BDC ... EMC`)
that belongs to one structure element, or an artifact (`/Artifact ... BMC/BDC ... EMC`): the running header
and footer, the page numbers, rules and boxes, a table's column headings repeated on a later page. The tree:
Document > H1 (the letter's title), H2 (section headings), P, L > LI > Lbl + LBody, Table > TR > TH / TD (the
schedule; header cells scope their column), Figure (the QR codes, each with /Alt saying what it holds).

Elements are numbered in reading order from 0 (the Document). Most are kept by number: a role, the parent, and
the kids in reading order: another element (an int) or a marked-content sequence (page, mcid). Table rows of
plain cells (`row`: a 47,000-subject schedule has 47,000 of them, 190,000 elements) are kept as runs instead
(`Run`: consecutive rows of the same cells on one page), which tree.py writes at once; in a page's list of marks a
run stands for its rows' MCIDs.
"""

from __future__ import annotations

from dataclasses import dataclass

ROOT = 0                                  # the Document element
CONTAINERS = frozenset({"Document", "Sect", "Div", "L", "LI", "Table", "TR"})   # never mark content themselves



@dataclass(slots=True)
class Run:
    """Consecutive table rows with the same cells on one page. A row is a TR and a TD per cell, numbered
    consecutively; each cell that holds text has the page's next MCID."""

    first: int                            # the first row's TR
    parent: int                           # the rows' parent (the Table)
    page: int
    mcid: int                             # the first row's first MCID
    filled: tuple[bool, ...]              # which cells hold text
    marks: int                            # MCIDs a row takes: its cells that hold text
    rows: int = 1
    next: int = 0                         # the TR the run's next row would have


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
        self.runs: list[Run] = []
        self.extra: dict[int, Extra] = {}
        self.stack: list[int] = [ROOT]
        self.page_marks: list[list[int | Run]] = []  # page -> element of each MCID, in MCID order, or a run of
                                                     # rows that stands for its rows' MCIDs
        self.page_mcids: list[int] = []            # page -> MCIDs given on it
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

    def row(self, filled: tuple[bool, ...]) -> int:
        """A TR, child of the current element, with a TD per cell; each cell that holds text (`filled`) gets a
        marked-content sequence on the current page, numbered in order from the MCID returned."""
        parent, tr = self.stack[-1], self.count
        self.count = end = tr + 1 + len(filled)
        self.kids[parent].append(tr)
        marks = self.page_marks[-1]
        first = self.page_mcids[-1]
        run = marks[-1] if marks else None        # the run goes on if nothing was marked or opened since
        if isinstance(run, Run) and run.next == tr and run.filled == filled and run.parent == parent:
            run.rows += 1
            run.next = end
        else:
            run = Run(tr, parent, len(self.page_marks) - 1, first, filled, sum(filled), 1, end)
            self.runs.append(run)
            marks.append(run)
        self.page_mcids[-1] = first + run.marks
        return first

    def new_page(self) -> None:
        self.page_marks.append([])
        self.page_mcids.append(0)

    def mark(self, element: int) -> int:
        """A new marked-content sequence of `element` on the current page: its MCID."""
        mcid = self.page_mcids[-1]
        self.page_mcids[-1] = mcid + 1
        self.page_marks[-1].append(element)
        self.kids[element].append((len(self.page_marks) - 1, mcid))
        return mcid

    def annotation(self, element: int) -> int:
        """`element` stands for an annotation on the current page; returns the annotation's /StructParent key
        (after the pages' keys: add the page count)."""
        self.objrs[element] = len(self.page_marks) - 1
        return len(self.objrs) - 1

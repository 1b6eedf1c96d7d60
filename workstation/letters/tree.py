"""The structure tree structure.py records, written into a letter: the root on its own, and every element, the
parent tree's page arrays and the parent tree packed into object streams (pdffile.py), as one text of objects,
one a line, with each object's length.

Speed (a 47,000-subject schedule: 190,000 elements): a run of table rows (consecutive rows with the same cells,
on one page) is written by one format of its row template, repeated, with every number taken from a range;
the numbers are right-aligned in a fixed width (spaces before a number are PDF whitespace), so each object's
length is the template's and nothing is measured or formatted one element at a time.
"""

from __future__ import annotations

from functools import cache
from itertools import chain, repeat

from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFObjectReference

from . import pdffile
from .pdffile import LetterDocument
from .rlobjects import Formatted, number, text_string
from .structure import ROOT, Row, Structure


def write(s: Structure, doc: LetterDocument, page_ids: list[int], annotations: dict[int, int]) -> PDFObjectReference:
    """The structure tree root, every element and the parent tree (a number tree keyed by each page's
    /StructParents, its page index, then by each annotation's /StructParent) into reportlab's document `doc`.
    `page_ids`: each page's object number; `annotations`: the object number of the annotation each element of
    `Structure.annotation` stands for. Returns the root's reference, for the catalog."""
    root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
    ref = doc.Reference(root)
    pages = len(s.page_marks)
    first = pdffile.reserve(doc, s.count + pages + 1)
    arrays = first + s.count
    texts, lengths = _elements(s, first, number(doc, ref.name), page_ids, annotations)
    for marks in s.page_marks:
        texts.append("[" + " 0 R ".join(map(str, map(first.__add__, marks))) + " 0 R]" if marks else "[]")
        lengths.append(len(texts[-1]))
    nums = [f"{p} {arrays + p} 0 R" for p in range(pages)]
    nums += [f"{pages + k} {first + e} 0 R" for k, e in enumerate(s.objrs)]
    texts.append(f"<</Nums[{' '.join(nums)}]>>")
    lengths.append(len(texts[-1]))
    pdffile.pack(doc, first, "\n".join(texts), lengths)
    root.dict["K"] = Formatted(b"%d 0 R" % first)
    root.dict["ParentTree"] = Formatted(b"%d 0 R" % (arrays + pages))
    root.dict["ParentTreeNextKey"] = pages + len(s.objrs)
    return ref


def _elements(s: Structure, first: int, root: int, page_ids: list[int],
              annotations: dict[int, int]) -> tuple[list[str], list[int]]:
    """Every element in number order: (texts, each a line of objects; each object's length)."""
    width = len(str(first + s.count))
    mcid_width = len(str(max((len(marks) for marks in s.page_marks), default=1)))
    texts: list[str] = []
    lengths: list[int] = []
    rows, i = s.rows, 0
    for e in chain(s.roles, [s.count]):          # the elements kept by number, then the end
        while i < len(rows) and rows[i][0] < e:
            end = _run_end(rows, i)
            text, run_lengths = _run(rows[i:end], first, page_ids, width, mcid_width)
            texts.append(text)
            lengths += run_lengths
            i = end
        if e < s.count:
            texts.append(_element(s, e, first, root if e == ROOT else first + s.parents[e], page_ids,
                                  annotations.get(e)))
            lengths.append(len(texts[-1]))
    return texts, lengths


def _run_end(rows: list[Row], start: int) -> int:
    """The end of the run of rows from `start`: rows that follow one another in numbers and MCIDs, with the same
    parent, page and cells."""
    tr, parent, page, mcid, filled = rows[start]
    step, marks = 1 + len(filled), sum(filled)
    end = start + 1
    while end < len(rows):
        n_tr, n_parent, n_page, n_mcid, n_filled = rows[end]
        if (n_tr != tr + step or n_mcid != mcid + marks or n_page != page or n_parent != parent
                or n_filled != filled):
            break
        tr, mcid, end = n_tr, n_mcid, end + 1
    return end


def _run(rows: list[Row], first: int, page_ids: list[int], width: int, mcid_width: int) -> tuple[str, list[int]]:
    """A run of rows (`_run_end`): the TR and TD elements of each, and their lengths."""
    tr, parent, page, mcid, filled = rows[0]
    count, step, marks = len(rows), 1 + len(filled), sum(filled)
    template, lengths = _row_template(filled, width, mcid_width)
    trs = range(first + tr, first + tr + step * count, step)
    columns: list[range | repeat[int]] = [repeat(first + parent, count)]                  # the TR: its parent,
    columns += [range(trs.start + 1 + c, trs.stop + 1 + c, step) for c in range(len(filled))]   # its cells
    filled_before = 0
    for has_text in filled:                                                     # each TD: its TR, page, MCID
        columns.append(trs)
        if has_text:
            columns += [repeat(page_ids[page], count),
                        range(mcid + filled_before, mcid + filled_before + marks * count, marks)]
            filled_before += 1
    text = "\n".join(repeat(template, count)) % tuple(chain.from_iterable(zip(*columns, strict=True)))
    return text, list(lengths) * count


@cache
def _row_template(filled: tuple[bool, ...], width: int, mcid_width: int) -> tuple[str, tuple[int, ...]]:
    """A row's TR and TD elements, one a line, with %d placeholders of fixed widths; and each one's length."""
    n = f"%{width}d"
    objects = [f"<</S/TR/P {n} 0 R/K[" + " ".join([f"{n} 0 R"] * len(filled)) + "]>>"]
    objects += [f"<</S/TD/P {n} 0 R/Pg {n} 0 R/K %{mcid_width}d>>" if has_text else f"<</S/TD/P {n} 0 R>>"
                for has_text in filled]
    return "\n".join(objects), tuple(len(o % ((0,) * o.count("%"))) for o in objects)


def _element(s: Structure, e: int, first: int, parent: int, page_ids: list[int], annotation: int | None) -> str:
    """Element `e` (numbered `first` + e), kept by number: kids on one page or several, an annotation,
    alternate text or attributes."""
    own, more = s.kids[e], s.extra.get(e)
    head = f"<</S/{s.roles[e]}/P {parent} 0 R"
    pages = {k[0] for k in own if isinstance(k, tuple)}
    if e in s.objrs:
        pages.add(s.objrs[e])
    page = min(pages) if pages else None
    if page is not None:
        head += f"/Pg {page_ids[page]} 0 R"
    if len(own) == 1 and isinstance(own[0], tuple) and len(pages) == 1 and annotation is None:
        body = f"/K {own[0][1]}"
    elif own and annotation is None and all(type(k) is int for k in own):   # a table's rows, a list's items
        body = "/K[" + " 0 R ".join(map(str, map(first.__add__, own))) + " 0 R]"    # type: ignore[arg-type]
    else:
        items = []
        for k in own:
            if isinstance(k, int):
                items.append(f"{first + k} 0 R")
            elif k[0] == page:
                items.append(str(k[1]))
            else:
                items.append(f"<</Type/MCR/Pg {page_ids[k[0]]} 0 R/MCID {k[1]}>>")
        if annotation is not None:
            items.append(f"<</Type/OBJR/Obj {annotation} 0 R>>")
        body = "/K[" + " ".join(items) + "]" if items else ""
    if more is not None:
        if more.alt is not None:
            body += "/Alt" + text_string(more.alt).decode("ascii")
        if more.scope is not None:
            body += f"/A<</O/Table/Scope/{more.scope}>>"
    return head + body + ">>"

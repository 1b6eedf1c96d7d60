"""The structure tree structure.py records, written into a letter: the root on its own, and every element, the
parent tree's page arrays and the parent tree packed into object streams (pdffile.py), as one text of objects,
one a line, with each object's length.

Speed (a 47,000-subject schedule: 190,000 elements): a run of table rows (structure.Run) is written by one format
of its row template, repeated, its page and parent written into the template and every other number taken from
a range, right-aligned in a fixed width (spaces before a number are PDF whitespace); so each object's length is
the template's, and nothing is measured or formatted one element at a time.
"""

from __future__ import annotations

from functools import cache
from itertools import chain, repeat

from reportlab.pdfbase.pdfdoc import PDFDictionary, PDFName, PDFObjectReference

from . import pdffile
from .pdffile import LetterDocument
from .rlobjects import Formatted, number, text_string
from .structure import ROOT, Extra, Run, Structure


def write(s: Structure, doc: LetterDocument, page_ids: list[int], annotations: dict[int, int]) -> PDFObjectReference:
    """The structure tree root, every element and the parent tree (a number tree keyed by each page's
    /StructParents, its page index, then by each annotation's /StructParent) into reportlab's document `doc`.
    `page_ids`: each page's object number; `annotations`: the object number of the annotation each element of
    `Structure.annotation` stands for. Returns the root's reference, for the catalog."""
    root = PDFDictionary({"Type": PDFName("StructTreeRoot")})
    ref: PDFObjectReference = doc.Reference(root)          # type: ignore[no-untyped-call]
    pages = len(s.page_marks)
    first = pdffile.reserve(doc, s.count + pages + 1)
    arrays = first + s.count
    texts, lengths = _elements(s, first, number(doc, ref.name), page_ids, annotations)
    arrays_text = ["[" + " ".join([_run_marks(m, first) if isinstance(m, Run) else f"{first + m} 0 R"
                                   for m in marks]) + "]" for marks in s.page_marks]
    lengths += map(len, arrays_text)
    nums = [f"{p} {arrays + p} 0 R" for p in range(pages)]
    nums += [f"{pages + k} {first + e} 0 R" for k, e in enumerate(s.objrs)]
    arrays_text.append(f"<</Nums[{' '.join(nums)}]>>")
    lengths.append(len(arrays_text[-1]))
    texts.append("\n".join(arrays_text).encode("ascii"))
    pdffile.pack(doc, first, b"\n".join(texts), lengths)
    root.dict["K"] = Formatted(b"%d 0 R" % first)
    root.dict["ParentTree"] = Formatted(b"%d 0 R" % (arrays + pages))
    root.dict["ParentTreeNextKey"] = pages + len(s.objrs)
    return ref


def _elements(s: Structure, first: int, root: int, page_ids: list[int],
              annotations: dict[int, int]) -> tuple[list[bytes], list[int]]:
    """Every element in number order: (texts, each a line of objects; each object's length)."""
    width = len(str(first + s.count))
    mcid_width = len(str(max(s.page_mcids, default=1)))
    texts: list[bytes] = []
    lengths: list[int] = []
    runs, i = s.runs, 0
    for e in chain(s.roles, [s.count]):          # the elements kept by number, then the end
        while i < len(runs) and runs[i].first < e:
            text, run_lengths = _run(runs[i], first, page_ids[runs[i].page], width, mcid_width)
            texts.append(text)
            lengths += run_lengths
            i += 1
        if e < s.count:
            texts.append(_element(s, e, first, root if e == ROOT else first + s.parents[e], page_ids,
                                  annotations.get(e)).encode("ascii"))
            lengths.append(len(texts[-1]))
    return texts, lengths


def _run(run: Run, first: int, page_id: int, width: int, mcid_width: int) -> tuple[bytes, list[int]]:
    """The TR and TD elements of each row of `run`, and their lengths."""
    count, step, marks = run.rows, 1 + len(run.filled), sum(run.filled)
    template, lengths = _row_template(run.filled, width, mcid_width)
    parent, page = b"%d" % (first + run.parent), b"%d" % page_id   # the same for the whole run
    template = template.replace(b"%P", parent).replace(b"%G", page)
    lengths = (lengths[0] + len(parent) - width,
               *(n + len(page) - width if has_text else n for n, has_text in zip(lengths[1:], run.filled, strict=True)))
    trs = range(first + run.first, first + run.first + step * count, step)
    columns = [range(trs.start + 1 + c, trs.stop + 1 + c, step) for c in range(len(run.filled))]  # the TR's cells
    filled_before = 0
    for has_text in run.filled:                                                 # each TD: its TR and MCID
        columns.append(trs)
        if has_text:
            columns.append(range(run.mcid + filled_before, run.mcid + filled_before + marks * count, marks))
            filled_before += 1
    text = b"\n".join(repeat(template, count)) % tuple(chain.from_iterable(zip(*columns, strict=True)))
    return text, list(lengths) * count


def _run_marks(run: Run, first: int) -> str:
    """The elements of a run's MCIDs, in MCID order: the TD of each cell that holds text, row after row."""
    step = 1 + len(run.filled)
    start = first + run.first + 1
    columns = [range(start + c, start + c + step * run.rows, step) for c, has_text in enumerate(run.filled)
               if has_text]
    return " ".join(["%d 0 R"] * (run.marks * run.rows)) % tuple(chain.from_iterable(zip(*columns, strict=True)))


@cache
def _row_template(filled: tuple[bool, ...], width: int, mcid_width: int) -> tuple[bytes, tuple[int, ...]]:
    """A row's TR and TD elements, one a line, with %d placeholders of fixed widths, and %P for the TR's parent
    and %G for the page (the same for a whole run); and each one's length, %P and %G as wide as the others."""
    n = f"%{width}d"
    objects = ["<</S/TR/P %P 0 R/K[" + " ".join([f"{n} 0 R"] * len(filled)) + "]>>"]
    objects += [f"<</S/TD/P {n} 0 R/Pg %G 0 R/K %{mcid_width}d>>" if has_text else f"<</S/TD/P {n} 0 R>>"
                for has_text in filled]
    return "\n".join(objects).encode("ascii"), tuple(len(o.replace("%P", "0" * width).replace("%G", "0" * width)
                                          % ((0,) * (o.count("%") - o.count("%P") - o.count("%G")))) for o in objects)


def _element(s: Structure, e: int, first: int, parent: int, page_ids: list[int], annotation: int | None) -> str:
    """Element `e` (numbered `first` + e), kept by number: kids on one page or several, an annotation,
    alternate text or attributes."""
    own, more = s.kids[e], s.extra.get(e)
    head = f"<</S/{s.roles[e]}/P {parent} 0 R"
    if own and annotation is None and e not in s.objrs and set(map(type, own)) == {int}:
        body = "/K[" + " 0 R ".join(map(str, map(first.__add__, own))) + " 0 R]"   # type: ignore[arg-type]
        return head + body + _extra(more) + ">>"       # elements only (a table's rows, a list's items): no page
    pages = {k[0] for k in own if isinstance(k, tuple)}
    if e in s.objrs:
        pages.add(s.objrs[e])
    page = min(pages) if pages else None
    if page is not None:
        head += f"/Pg {page_ids[page]} 0 R"
    if len(own) == 1 and isinstance(own[0], tuple) and len(pages) == 1 and annotation is None:
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
        if annotation is not None:
            items.append(f"<</Type/OBJR/Obj {annotation} 0 R>>")
        body = "/K[" + " ".join(items) + "]" if items else ""
    return head + body + _extra(more) + ">>"


def _extra(more: Extra | None) -> str:
    """Alternate text and attributes."""
    if more is None:
        return ""
    alt = "/Alt" + text_string(more.alt).decode("ascii") if more.alt is not None else ""
    return alt + (f"/A<</O/Table/Scope/{more.scope}>>" if more.scope is not None else "")

"""The schedule of released information: one entry per released subject, drawn straight onto the pages.

Columns: the subject's reference, the name (when the request asked for it) and every other released
element as "Label: value" lines. The column headings repeat on every page the schedule runs onto. Rows
arrive from an iterator and are drawn as they come, so 47,000 subjects never sit in memory at once.
"""

from __future__ import annotations

from .document import LetterInput
from .layout import CONTENT_W, MARGIN, PageWriter
from .text import BOLD, REGULAR, wrap

SIZE = 8.0
ROW_LEADING = 10.0
REF_W = 48.0
NAME_W = 128.0
GAP = 8.0


def draw(w: PageWriter, d: LetterInput) -> None:
    if d.schedule is None:
        return
    t = d.texts
    labels = t["common"]["item_labels"]
    cols = t["columns"]
    with_name = "name" in d.columns
    x_name = MARGIN + REF_W
    x_info = x_name + (NAME_W if with_name else 0)
    info_w = MARGIN + CONTENT_W - x_info
    name_w = NAME_W - GAP

    def headings() -> None:
        w.text(MARGIN, w.y - SIZE, cols["ref"], BOLD, SIZE)
        if with_name:
            w.text(x_name, w.y - SIZE, cols["name"], BOLD, SIZE)
        w.text(x_info, w.y - SIZE, cols["released"], BOLD, SIZE)
        w.y -= SIZE + 4
        w.rule(MARGIN, w.y, MARGIN + CONTENT_W, w.y, 0.6)
        w.y -= 3

    w.need(SIZE + 7 + 2 * ROW_LEADING)
    headings()
    w.on_new_page = headings
    try:
        for row in d.schedule():
            cells = dict(row.cells)
            name_lines = wrap(cells.get("name", ""), REGULAR, SIZE, name_w) if with_name else []
            info_lines: list[str] = []
            for item, text in row.cells:
                if item != "name" or not with_name:
                    info_lines += wrap(f"{labels.get(item, item)}: {text}", REGULAR, SIZE, info_w)
            ref_lines = wrap(row.ref, REGULAR, SIZE, REF_W - GAP)
            n = max(len(name_lines), len(info_lines), len(ref_lines), 1)
            w.need(n * ROW_LEADING + 3)
            y = w.y
            for col_x, lines in ((MARGIN, ref_lines), (x_name, name_lines), (x_info, info_lines)):
                for k, text in enumerate(lines):
                    w.text(col_x, y - SIZE - k * ROW_LEADING, text, REGULAR, SIZE)
            w.y = y - n * ROW_LEADING - 1.5
            w.rule(MARGIN, w.y, MARGIN + CONTENT_W, w.y, 0.25)
            w.y -= 1.5
    finally:
        w.on_new_page = None
    w.space(8)

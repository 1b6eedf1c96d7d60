"""The schedule of released information: one entry per released subject, drawn straight onto the pages.

Columns: the subject's reference, the name (when the request asked for it) and every other released
element as "Label: value" lines. The column headings repeat on every page the schedule runs onto. Rows
arrive from an iterator and are drawn as they come, so 47,000 subjects never sit in memory at once.
"""

from __future__ import annotations

from .document import LetterInput
from .layout import CONTENT_W, MARGIN, PageWriter
from .structure import Extra
from .text import BOLD, REGULAR, wrap

SIZE = 8.0
ROW_LEADING = 10.0
REF_W = 48.0
NAME_W = 128.0
GAP = 8.0
COLUMN = Extra(scope="Column")


def draw(w: PageWriter, d: LetterInput) -> None:
    if d.schedule is None:
        return
    cols = d.texts["columns"]
    with_name = "name" in d.columns
    x_name = MARGIN + REF_W
    x_info = x_name + (NAME_W if with_name else 0)
    info_w = MARGIN + CONTENT_W - x_info
    name_w = NAME_W - GAP

    heads = [(MARGIN, cols["ref"])] + ([(x_name, cols["name"])] if with_name else []) + [(x_info, cols["released"])]

    def headings(tagged: bool = False) -> None:
        """The header row: tagged the first time (TH cells, each the heading of its column), an artifact
        where it repeats at the top of a later page."""
        for x, text in heads:
            if tagged:
                with w.tag("TH", COLUMN):
                    w.text(x, w.y - SIZE, text, BOLD, SIZE)
            else:
                with w.artifact():
                    w.text(x, w.y - SIZE, text, BOLD, SIZE)
        w.y -= SIZE + 4
        w.rule(MARGIN, w.y, MARGIN + CONTENT_W, w.y, 0.6)
        w.y -= 3

    w.need(SIZE + 7 + 2 * ROW_LEADING)
    with w.tag("Table"):
        with w.tag("TR"):
            headings(tagged=True)
        w.on_new_page = headings
        try:
            _rows(w, d, with_name, (x_name, x_info, name_w, info_w))
        finally:
            w.on_new_page = None
    w.space(8)


def _rows(w: PageWriter, d: LetterInput, with_name: bool, geometry: tuple[float, float, float, float]) -> None:
    """One table row per subject: its reference, its name (when asked for) and the released elements."""
    assert d.schedule is not None
    labels = d.texts["common"]["item_labels"]
    x_name, x_info, name_w, info_w = geometry
    for row in d.schedule():
        name_lines = wrap(dict(row.cells).get("name", ""), REGULAR, SIZE, name_w) if with_name else []
        info_lines: list[str] = []
        for item, value in row.cells:
            if item != "name" or not with_name:
                info_lines += wrap(f"{labels.get(item, item)}: {value}", REGULAR, SIZE, info_w)
        ref_lines = wrap(row.ref, REGULAR, SIZE, REF_W - GAP)
        n = max(len(name_lines), len(info_lines), len(ref_lines), 1)
        w.need(n * ROW_LEADING + 3)
        y = w.y
        w.row([(MARGIN, ref_lines), (x_name, name_lines), (x_info, info_lines)] if with_name else
              [(MARGIN, ref_lines), (x_info, info_lines)], y, REGULAR, SIZE, ROW_LEADING)
        w.y = y - n * ROW_LEADING - 1.5
        w.rule(MARGIN, w.y, MARGIN + CONTENT_W, w.y, 0.25)
        w.y -= 1.5

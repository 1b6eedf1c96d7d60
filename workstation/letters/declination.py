"""The declination letter (deny, blocked): every defect, grouped, with the subject references each applies
to; the blocking court order; the officer's reasons when deciding against the recommendation; an invitation
to resubmit; and nothing about a taxpayer beyond what the requester sent (domain/RULES.md, "Letters")."""

from __future__ import annotations

from typing import Any

from . import parts
from .document import LetterInput
from .layout import PageWriter
from .text import BOLD


def draw(w: PageWriter, d: LetterInput, fmt: dict[str, Any]) -> None:
    t, c = d.texts, d.texts["common"]
    parts.letterhead(w, d, fmt)
    w.paragraph(t["opening"].format(**fmt))

    for order in d.orders:
        parts.section(w, t["blocked_heading"], t["blocked"].format(
            court=order.court, case_no=order.case_no, caption=order.caption,
            signed_on=parts.long_date(order.signed_on, d.texts)))

    defects = [f for f in d.defects if f.outcome in ("fail", "block") and f.code != "COURT-ORDER"]
    if defects:
        w.heading(t["request_heading"])
        w.paragraph(t["request_intro"].format(**fmt))
        for f in defects:
            w.paragraph(f"{f.code}: {c['request_codes'].get(f.code, '')}", font=BOLD, after=1, keep=3)
            w.paragraph(f"{f.message} ({f.citation})", indent=14, after=4)

    if d.subject_defects:
        w.heading(t["subject_heading"])
        w.paragraph(t["subject_intro"])
        parts.groups(w, d.subject_defects, d)
        w.paragraph(c["ranges_note"], size=8, leading=10.5)
    if not d.record_checks_shown:
        w.paragraph(t["no_record_checks"])

    noted = [f for f in d.defects if f.outcome == "needs-review" and f.code != "BULK"]
    if noted:
        w.heading(t["noted_heading"])
        for f in noted:
            w.paragraph(f"{f.code}: {f.message} ({f.citation})", after=3)

    if d.justification:
        parts.section(w, t["justification_heading"], d.justification)
    parts.section(w, t["resubmit_heading"], t["resubmit"].format(**fmt))
    w.paragraph(t["no_data"])
    w.space(4)
    parts.signature(w, d, fmt)

"""The transmittal letter (grant, partial): what is disclosed, to whom, under which authority; the schedule;
what was not disclosed and why; the use restriction, safeguarding duties, penalties, incident reporting and
the address caveat (domain/RULES.md, "Letters")."""

from __future__ import annotations

from typing import Any

from . import parts, schedule
from .document import LetterInput
from .layout import PageWriter


def draw(w: PageWriter, d: LetterInput, fmt: dict[str, Any]) -> None:
    t = d.texts
    parts.letterhead(w, d, fmt)
    summary = t["withheld_some"] if d.withheld else t["withheld_none"]
    w.paragraph(t["opening"].format(**fmt, withheld_summary=summary))
    authority = t["authority"].get(d.package.authority, t["authority"]["default"])
    w.paragraph(authority.format(**fmt))

    w.heading(t["schedule_heading"])
    w.paragraph(t["schedule_intro"], after=4)
    schedule.draw(w, d)

    if d.withheld:
        w.heading(t["withheld_heading"])
        w.paragraph(t["withheld_intro"])
        parts.groups(w, d.withheld, d)
        w.paragraph(t["common"]["ranges_note"], size=8, leading=10.5)

    parts.section(w, t["use_heading"], t["use"].get(d.package.authority, t["use"]["default"]).format(**fmt))
    w.heading(t["safeguards_heading"])
    parts.bullets(w, t["safeguards"])
    parts.section(w, t["penalties_heading"], t["penalties"])
    parts.section(w, t["incident_heading"], t["incident"].format(**fmt))
    parts.section(w, t["address_heading"], t["address_caveat"])
    w.space(4)
    parts.signature(w, d, fmt)

"""The FOIA response: the exemptions applied ((b)(3) with 26 U.S.C. 6103), an estimate of what was withheld,
the responsible official, the right to appeal within 90 days, the FOIA Public Liaison and OGIS mediation;
for a requester's own records, the schedule of what is released (domain/RULES.md, "Letters")."""

from __future__ import annotations

from typing import Any

from . import parts, schedule
from .document import LetterInput
from .layout import PageWriter


def draw(w: PageWriter, d: LetterInput, fmt: dict[str, Any]) -> None:
    t = d.texts
    pkg = d.package
    n = d.subject_count
    fmt = {**fmt, "subjects_text": f"{n:,} named person" + ("" if n == 1 else "s"),
           "n_items": len(pkg.items), "n_periods": len(pkg.periods),
           "withheld_entries": f"{d.withheld_entries:,}", "requested_entries": f"{len(pkg.items) * n:,}",
           "in_part": t["in_part"] if d.withheld else ""}
    parts.letterhead(w, d, fmt)
    if d.releases:
        w.paragraph(t["opening_released"].format(**fmt))
    else:
        w.paragraph(t["opening_denied"].format(**fmt))

    w.heading(t["exemptions_heading"])
    if not d.releases:
        w.paragraph(t["exemption_b3"])
    elif d.withheld:
        w.paragraph(t["exemption_b3_own"])
    else:
        w.paragraph(t["no_exemption"])
    w.heading(t["estimate_heading"])
    w.paragraph((t["estimate_released"] if d.releases else t["estimate_denied"]).format(**fmt))

    if d.releases:
        w.heading(t["schedule_heading"])
        w.paragraph(t["schedule_intro"], after=4)
        schedule.draw(w, d)
        if d.withheld:
            w.heading(t["withheld_heading"])
            w.paragraph(t["withheld_intro"])
            parts.groups(w, d.withheld, d)

    parts.section(w, t["official_heading"], t["official"].format(**fmt))
    parts.section(w, t["appeal_heading"], t["appeal"].format(**fmt))
    parts.section(w, t["liaison_heading"], t["liaison"].format(**fmt))
    parts.section(w, t["ogis_heading"], t["ogis"])
    w.space(4)
    parts.signature(w, d, fmt)

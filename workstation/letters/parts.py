"""Parts every letter shares: the placeholders, the letterhead and addresses, grouped reasons with their
subject references, and the signature block."""

from __future__ import annotations

from datetime import date
from typing import Any

from ..redaction.scan import mask_free_text
from ..settings import same_text as same
from .document import Group, LetterInput
from .layout import CONTENT_W, LEADING, MARGIN, PAGE_W, PageWriter
from .text import BOLD
from .verification import CHECKPOINT_HEIGHT
from .verification import HEIGHT as VERIFICATION_HEIGHT


def long_date(iso: str, texts: dict[str, Any]) -> str:
    d = date.fromisoformat(iso[:10])
    c = texts["common"]
    return str(c["date_format"]).format(month=c["months"][d.month - 1], day=d.day, year=d.year)


def and_list(words: list[str]) -> str:
    if len(words) <= 2:
        return " and ".join(words)
    return ", ".join(words[:-1]) + ", and " + words[-1]


def placeholders(d: LetterInput) -> dict[str, Any]:
    """Every value a template may name: request-level facts and office settings, never a taxpayer value.
    The requester's free text (the purpose statement) is masked for identifiers first."""
    pkg, c = d.package, d.texts["common"]
    purpose = mask_free_text((pkg.purpose or {}).get("statement", "").strip()) or "(no statement given)"
    officers = [f"{o.name}, {o.title}" if o.title else o.name for o in pkg.officers]
    order = pkg.court_order
    labels = c["item_labels"]
    return {
        "request_id": pkg.request_id, "received_on": long_date(pkg.received_on, d.texts),
        "authority_name": c["authority_names"].get(pkg.authority, pkg.authority),
        "signer_name": pkg.signer.name, "subjects": f"{d.subject_count:,}", "released": f"{d.released_count:,}",
        "periods": and_list(list(pkg.periods)) or "(none given)", "purpose": purpose.rstrip("."),
        "officers": "; ".join(officers) or "(none named)", "letter_id": d.letter_id,
        "office_name": d.office.name, "office_phone": d.office.phone,
        "signature_name": d.office.signature_name, "signature_title": d.office.signature_title,
        "order_court": order.court if order else "", "order_case": order.case_no if order else "",
        "order_signed": long_date(order.signed_on, d.texts) if order else "",
        "items_text": and_list([labels.get(i, i).lower() for i in pkg.items]),
        "foia_public_liaison": d.office.foia_public_liaison,
        "appeal_address": "; ".join(d.office.foia_appeal_lines),
    }


def recipient_lines(d: LetterInput) -> list[str]:
    """Who the letter goes to: the signer (with their title), the agency and its component, then the address.
    A name is printed once: a person asking for their own records is both the signer and the "agency"."""
    pkg, req = d.package, d.package.requester
    lines = [pkg.signer.name + (f", {pkg.signer.title}" if pkg.signer.title else "")]
    for extra in (req.agency, req.component):
        if extra and not any(same(extra, seen) for seen in (pkg.signer.name, *lines)):
            lines.append(extra)
    return [*lines, *req.address_lines]


def letterhead(w: PageWriter, d: LetterInput, fmt: dict[str, Any]) -> None:
    """Office, date, recipient, the reference line and the salutation (first page)."""
    o, t = d.office, d.texts
    with w.tag("P"):
        w.text(MARGIN, w.y - 13, o.name, BOLD, 13)
    w.y -= 17
    with w.tag("P"):
        for line in (*o.address_lines, o.phone):
            w.line(line, size=8.5, leading=10.5, role=None)
    w.space(5)
    with w.tag("H1"):
        w.text(MARGIN, w.y - 11.5, t["title"], BOLD, 11.5)
    with w.tag("P"):
        w.text_right(PAGE_W - MARGIN, w.y - 9, long_date(d.letter_date, t))
    w.y -= 21
    with w.tag("P"):
        for line in recipient_lines(d):
            w.line(line, leading=LEADING - 1, role=None)
    w.space(6)
    w.paragraph(t["re"].format(**fmt), font=BOLD)
    w.paragraph(t["salutation"].format(**fmt))


def groups(w: PageWriter, items: list[Group], d: LetterInput) -> None:
    """Each reason (bold) and the subjects it applies to, compacted into ranges."""
    c = d.texts["common"]
    with w.tag("L"):
        for g in items:
            with w.tag("LI"), w.tag("LBody"):
                w.paragraph(g.title, font=BOLD, after=1, keep=3)
                noun = "taxpayer" if g.count == 1 else "taxpayers"
                w.paragraph(c["applies_to"].format(count=f"{g.count:,}", noun=noun, refs=g.refs), indent=14,
                            after=1)
                if g.more:
                    w.paragraph(c["more_refs"].format(more=f"{g.more:,}"), indent=14, after=1)
            w.space(4)


def bullets(w: PageWriter, paragraphs: list[str]) -> None:
    """A list: each item's bullet its label, its text the body."""
    with w.tag("L"):
        for p in paragraphs:
            with w.tag("LI"):
                w.paragraph(p, indent=14, bullet="-", after=2, role="LBody")
    w.space(3)


def section(w: PageWriter, heading: str, text: str) -> None:
    w.heading(heading)
    w.paragraph(text)


def signature(w: PageWriter, d: LetterInput, fmt: dict[str, Any]) -> None:
    """The closing sentence and the signature block, kept together on one page with the verification block
    and the audit-log checkpoint block that follow them."""
    w.need(9 * LEADING + VERIFICATION_HEIGHT + (CHECKPOINT_HEIGHT if d.checkpoint else 0))
    w.paragraph(d.texts["closing"].format(**fmt), after=6)
    w.line(d.texts["common"]["signature_closing"])
    w.space(1.6 * LEADING)
    w.rule(MARGIN, w.y, MARGIN + CONTENT_W * 0.45, w.y, 0.5)
    w.space(3)
    o = d.office
    with w.tag("P"):
        w.line(o.signature_name, font=BOLD, role=None)
        if o.signature_title and not same(o.signature_title, o.signature_name):
            w.line(o.signature_title, role=None)
        w.line(o.name, role=None)

"""The redaction preview: each requested element of one subject as it would be released, or its label.

Only the columns of released elements are read from the store; a withheld element's value is never
fetched, so it cannot reach the preview, a letter or the clipboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import ELEMENT_CLASS, IDENTITY
from .labels import withheld_label

MONEY = {"agi", "total_tax", "refund", "wages", "interest"}


@dataclass(frozen=True, slots=True)
class PreviewField:
    item: str
    released: bool
    text: str            # the value as it would be released, or the withheld label
    code: str | None     # withholding code


def format_tin(tin: str, tin_type: str) -> str:
    return f"{tin[:2]}-{tin[2:]}" if tin_type == "EIN" else f"{tin[:3]}-{tin[3:5]}-{tin[5:]}"


def format_value(item: str, value: object) -> str:
    if value is None or value == "":
        return "(none on file)"
    if item in MONEY:
        return f"${int(value):,}"  # type: ignore[call-overload]
    return str(value)


def released_text(item: str, rows: Sequence[dict[str, object]]) -> str:
    """`rows`: the subject's records for the released periods, newest year first, holding only released
    columns plus tax_year, tin_type and address_as_of."""
    if not rows:
        return "(no record)"
    latest = rows[0]
    if item == "tin":
        return format_tin(str(latest["tin"]), str(latest["tin_type"]))
    if item == "address":
        as_of = latest.get("address_as_of") or latest["tax_year"]
        return (f"{latest['street']}, {latest['city']}, {latest['state']} {latest['zip']} "
                f"(last known as of {as_of}; not verified)")
    if ELEMENT_CLASS.get(item) == IDENTITY:
        return format_value(item, latest[item])
    return "; ".join(f"{r['tax_year']}: {format_value(item, r[item])}" for r in rows)


def build_preview(items: Sequence[str], released: Sequence[str], withheld: Sequence[tuple[str, str]],
                  authority: str, rows: Sequence[dict[str, object]]) -> list[PreviewField]:
    held = dict(withheld)
    out = []
    for item in items:
        if item in released:
            out.append(PreviewField(item, True, released_text(item, rows), None))
        else:
            code = held.get(item, "ITEMS")
            out.append(PreviewField(item, False, withheld_label(item, code, authority), code))
    return out

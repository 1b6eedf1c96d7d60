"""Court orders for the register (`"format": "dws.court-order/1"`, INTERCHANGE.md).

All keys are required except `caption`, `effective_to` (null = open-ended) and `note`. `status` is one of
ORDER_STATUSES; `enjoined_purposes` and `enjoined_items` are purpose categories and element names, or
`["*"]` for all; `enjoined_recipients` are agency codes. Dates are ISO; effective_to >= effective_from.
"""

from __future__ import annotations

from pathlib import Path

from workstation.errors import InputError
from workstation.intake import jsonread
from workstation.intake.jsonread import NAME_MAX, REF_MAX, TEXT_MAX, Node, Obj
from workstation.model import ELEMENTS, ORDER_STATUSES, PURPOSE_CATEGORIES, CourtOrder

FORMAT = "dws.court-order/1"
ALL = "*"
MAX_RECIPIENTS = 1_000
_KEYS = ("format", "court", "case_no", "caption", "signed_on", "effective_from", "effective_to", "status",
         "enjoined_recipients", "enjoined_purposes", "enjoined_items", "note")


@jsonread.guarded
def read_court_order(path: Path) -> CourtOrder:
    source = str(path)
    top = Node(jsonread.load_json(path, source), "$", source)
    jsonread.check_format(top, FORMAT)
    obj = top.object(_KEYS)
    order = CourtOrder(
        court=obj.text("court", NAME_MAX, non_empty=True) or "",
        case_no=obj.text("case_no", REF_MAX, non_empty=True) or "",
        caption=obj.text("caption", NAME_MAX * 2, required=False) or "",
        signed_on=obj.iso_date("signed_on") or "",
        effective_from=obj.iso_date("effective_from") or "",
        effective_to=obj.iso_date("effective_to", required=False),
        status=obj.choice("status", ORDER_STATUSES) or "",
        enjoined_recipients=obj.texts("enjoined_recipients", MAX_RECIPIENTS, REF_MAX) or (),
        enjoined_purposes=_scope(obj, "enjoined_purposes", PURPOSE_CATEGORIES),
        enjoined_items=_scope(obj, "enjoined_items", ELEMENTS),
        note=obj.text("note", TEXT_MAX, required=False, multiline=True),
    )
    if order.effective_to is not None and order.effective_to < order.effective_from:
        raise InputError("is before effective_from", source=source, where="$.effective_to")
    return order


def _scope(obj: Obj, key: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """Names from `choices`, or ("*",) for all of them."""
    node = obj.node(key)
    assert node is not None
    if isinstance(node.value, list) and ALL in node.value:
        if node.value != [ALL]:
            raise node.error('"*" (all) must stand alone')
        return (ALL,)
    return obj.texts(key, len(choices), REF_MAX, choices=choices) or ()

"""What a withheld element shows instead of its value: a label with the withholding code and the reason.
A withheld value never reaches a preview or a letter: only these labels do."""

from __future__ import annotations

from ..model import ELEMENT_CLASS, IDENTITY, OTHER, TRI

CLASS_NAMES = {IDENTITY: "identity information", TRI: "taxpayer return information",
               OTHER: "return information other than taxpayer return information"}
AUTHORITY_SHORT = {"6103(i)(2)": "(i)(2)", "6103(i)(1)": "(i)(1)", "6103(c)": "(c)", "6103(d)(1)": "(d)(1)",
                   "foia": "FOIA (b)(3)"}
SUBJECT_REASONS = {
    "NAME": "no real name given",
    "ADDRESS": "no complete address given",
    "REASON": "no specific reason for this taxpayer",
    "MATCH": "no matching taxpayer record",
    "ADDRESS-MATCH": "the address given is not on file",
    "HOLD": "cannot be disclosed at this time",
    "PERIOD-RECORD": "no record for the period",
    "OVERRIDE": "withheld by the reviewer",
    "COURT-ORDER": "a court order bars this disclosure",
}


def withheld_label(item: str, code: str, authority: str) -> str:
    if code == "ITEMS":
        cls = CLASS_NAMES.get(ELEMENT_CLASS.get(item, ""), "not releasable")
        return f"WITHHELD {AUTHORITY_SHORT.get(authority, authority)} — {cls}"
    reason = SUBJECT_REASONS.get(code, "the request is defective")
    return f"WITHHELD {code} — {reason}"

"""Free text that may reach a letter (an override's reason, a decision's justification, a reason to see the
original values) must not carry identifiers (SSN, ITIN, EIN, accounts, phones)."""

from __future__ import annotations

from .. import textsafety
from ..errors import InputError
from ..redaction.scan import scan_free_text
from ..wording import listing

KIND_WORDS = {"SSN": "an SSN", "ITIN": "an ITIN", "EIN": "an EIN", "BANK_ACCOUNT": "a bank account number",
              "PHONE": "a phone number"}


def check_free_text(text: str, what: str) -> None:
    """Free text that may reach a letter must not carry identifiers (SSN, ITIN, EIN, accounts, phones), nor a
    character that is not drawn or that rearranges what is (`textsafety`; it may span lines)."""
    refused = textsafety.problem(f"the {what}", text, multiline=True)
    if refused:
        raise InputError(refused)
    hits = scan_free_text(text)
    if hits:
        kinds = listing([KIND_WORDS[k] for k in dict.fromkeys(k for k, _s, _e in hits)])
        raise InputError(f"the {what} contains what looks like {kinds}; remove it (free text may reach a letter)")

"""Free-text scanning: identifiers in reasons and remarks are found and masked; legal text is left alone."""

from __future__ import annotations

from itertools import pairwise

import pytest

from workstation.redaction.scan import mask_free_text, scan_free_text


def found(text: str) -> list[tuple[str, str]]:
    return [(kind, text[start:end]) for kind, start, end in scan_free_text(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("Subject's SSN is 123-45-6789.", [("SSN", "123-45-6789")]),
    ("SSN 123 45 6789 per the agent", [("SSN", "123 45 6789")]),
    ("SSN:123456789", [("SSN", "123456789")]),
    ("ITIN 912-70-1234 on the W-7", [("ITIN", "912-70-1234")]),
    ("bare 912701234 here", [("ITIN", "912701234")]),
    ("employer EIN 12-3456789", [("EIN", "12-3456789")]),
    ("call (512) 555-0147 after 5", [("PHONE", "(512) 555-0147")]),
    ("cell 512-555-0147", [("PHONE", "512-555-0147")]),
    ("cell 512.555.0147", [("PHONE", "512.555.0147")]),
    ("reach him at +1 512 555 0147", [("PHONE", "+1 512 555 0147")]),
    ("toll free 1-800-555-0199", [("PHONE", "1-800-555-0199")]),
    ("tel 5125550147", [("PHONE", "5125550147")]),
    ("deposits to account 0123456789012", [("BANK_ACCOUNT", "0123456789012")]),
    ("Acct #: 1234-5678-9012", [("BANK_ACCOUNT", "1234-5678-9012")]),
    ("routing no. 021000021", [("BANK_ACCOUNT", "021000021")]),
    ("bank account number ending 12345678", [("BANK_ACCOUNT", "12345678")]),
    ("wire ref 98765432109876", [("BANK_ACCOUNT", "98765432109876")]),
    ("SSN 123-45-6789, phone (512) 555-0147, acct 44556677889",
     [("SSN", "123-45-6789"), ("PHONE", "(512) 555-0147"), ("BANK_ACCOUNT", "44556677889")]),
])
def test_identifiers_are_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize("text", [
    "Defendant in CR-24-1187 charged 2024-11-02 with wire fraud.",
    "Request under 26 U.S.C. 6103(i)(2) for tax years 2022 and 2023.",
    "Removal proceedings under 8 U.S.C. 1253(a)(1) are not a criminal matter.",
    "Case 1:25-cv-00457 (D.D.C.) and 25-cv-0677; 1:25-cv-12822 (D. Mass.).",
    "Last known address in ZIP 78701-1234, as of 11/02/2024.",
    "Pub. L. 104-208, 110 Stat. 3009-546.",
    "Loss of $1,234,567.89 over 36 months (ratio 0.123456789).",
    "The account was opened 2024-11-02 and closed 20250115.",
    "Taking into account 26 U.S.C. 7213 and 7431.",
    "",
])
def test_legal_text_is_left_alone(text: str) -> None:
    assert scan_free_text(text) == []


@pytest.mark.parametrize(("text", "masked"), [
    ("SSN 123-45-6789 in CR-24-1187", "SSN [REDACTED SSN] in CR-24-1187"),
    ("call (512) 555-0147 or acct 1234567890123", "call [REDACTED PHONE] or acct [REDACTED BANK ACCOUNT]"),
    ("ITIN 912-70-1234; EIN 12-3456789", "ITIN [REDACTED ITIN]; EIN [REDACTED EIN]"),
    ("Nothing to hide in 26 U.S.C. 6103(i)(2).", "Nothing to hide in 26 U.S.C. 6103(i)(2)."),
])
def test_mask_free_text(text: str, masked: str) -> None:
    assert mask_free_text(text) == masked


def test_hits_are_ordered_and_disjoint() -> None:
    text = "acct 123456789 then 987-65-4321 then 5125550147 then 12-3456789"
    hits = scan_free_text(text)
    assert [h[0] for h in hits] == ["BANK_ACCOUNT", "SSN", "PHONE", "EIN"]
    assert all(a[2] <= b[1] for a, b in pairwise(hits))

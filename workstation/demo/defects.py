"""The demo requests built to fail one check code of domain/RULES.md each (see ``requests``): request-level
(defective in exactly that one way and otherwise valid) and subject-level (every subject fails that code).

Split from ``requests.RequestBuilder``, which calls them in its import order; each draws from the builder's
random generator and taxpayer picker exactly as when they were its methods, so the demo is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workstation.demo.orders import REQUESTERS
from workstation.demo.requests import (
    FBI_DIRECTOR,
    FBI_REASONS,
    BuiltRequest,
    Json,
    address_json,
    subject_json,
)
from workstation.demo.taxpayers import AddressTuple

if TYPE_CHECKING:
    from workstation.demo.requests import RequestBuilder


def request_level_defects(b: RequestBuilder) -> list[BuiltRequest]:
    out: list[BuiltRequest] = []

    def add(rid: str, days: int, code: str, note: str, recommendation: str = "deny", **ov: Any) -> None:
        out.append(BuiltRequest(b.fbi_i2(rid, days, b.fbi_subjects(b.good(2)), **ov), code, note,
                                recommendation, needs_review=code in ("SAFEGUARDS", "RECEIVED")))

    add("DEMO-AUTHORITY", 30, "AUTHORITY", "claims 6103(i)(3), an authority the product does not know",
        authority="6103(i)(3)")
    add("DEMO-I2-RECEIVED", 400, "RECEIVED", "received 400 days ago: stale, ask the agency whether it "
        "still stands", "grant")
    add("DEMO-I2-WRITING", 28, "WRITING", "the letter is not signed (signature_present false)",
        signer={**FBI_DIRECTOR, "signature_present": False})
    add("DEMO-I2-SIGNER", 27, "SIGNER", "signed by a delegate, who may not sign under (i)(2)",
        signer={"name": "J. Deputy", "title": "Deputy Assistant Director (for the Director)",
                "role": "delegate", "signature_present": True})
    add("DEMO-I2-STATUTE", 26, "STATUTE", "cites a civil statute (False Claims Act), not a criminal one",
        statute={"citation": "31 U.S.C. 3729", "class": "civil"})
    uscis_subjects = b.fbi_subjects(b.good(2))
    for subject in uscis_subjects:
        subject["reason"] = (f"Review in {subject['case_no']} of suspected document fraud "
                             "(18 U.S.C. 1546) in an immigration benefit application filed by this "
                             "person.")
    out.append(BuiltRequest(b.fbi_i2(
        "DEMO-I2-PURPOSE", 24, uscis_subjects, requester=dict(REQUESTERS["DHS-USCIS"]),
        signer={"name": "U. Sample", "title": "Director, U.S. Citizenship and Immigration Services",
                "role": "head-of-agency", "signature_present": True},
        statute={"citation": "18 U.S.C. 1546", "class": "criminal"},
        purpose={"category": "immigration-civil",
                 "statement": "Verification of residence history for pending immigration benefit "
                              "adjudications."}),
        "PURPOSE", "purpose category immigration-civil, not a non-tax criminal matter (from DHS-USCIS)",
        "deny"))
    add("DEMO-I2-OFFICERS", 23, "OFFICERS", "the only named officer carries 250 active matters",
        officers=[{"name": "R. Example", "title": "Special Agent", "active_matters": 250}])
    out.append(BuiltRequest(b.consent_c("DEMO-C-CONSENT", 22, signed_days_before=200), "CONSENT",
                            "6103(c) consent signed 200 days before receipt (limit 120)", "deny"))
    out.append(BuiltRequest(b.usao_i1("DEMO-I1-ORDER", 21, judge=""), "ORDER",
                            "6103(i)(1) whose court order names no judge", "deny"))
    tps = b.good(2)
    out.append(BuiltRequest(b.fbi_i2("DEMO-I2-PERIODS", 19, b.fbi_subjects(tps, periods=[]),
                                        periods=["all"]),
                            "PERIODS", "asks for \"all\" tax years instead of explicit years", "deny"))
    add("DEMO-I2-SAFEGUARDS", 18, "SAFEGUARDS", "from XYZ-OIG, whose safeguards are not current "
        "(3 open findings, no corrective plan)", "grant",
        requester=dict(REQUESTERS["XYZ-OIG"]),
        signer={"name": "I. Generalis", "title": "Inspector General, XYZ Administration",
                "role": "inspector-general", "signature_present": True},
        statute={"citation": "18 U.S.C. 641", "class": "criminal"},
        purpose={"category": "nontax-criminal",
                 "statement": "Criminal investigation of theft of government funds (18 U.S.C. 641)."})
    add("DEMO-I2-ITEMS", 17, "ITEMS", "asks agi and bank_account (taxpayer return information) besides "
        "name and address: those two withheld for every subject", "partial",
        items=["name", "address", "agi", "bank_account"])
    return out

def subject_level_defects(b: RequestBuilder) -> list[BuiltRequest]:
    out: list[BuiltRequest] = []

    def add(rid: str, days: int, code: str, subjects: list[Json], note: str, **ov: Any) -> None:
        out.append(BuiltRequest(b.fbi_i2(rid, days, subjects, **ov), code, note, "deny"))

    subjects = b.fbi_subjects(b.good(3))
    for subject, placeholder in zip(subjects, ("Unknown", "Don't Care", "N/A"), strict=True):
        subject["name"] = placeholder
    add("DEMO-I2-NAME", 16, "NAME", subjects, "placeholder names (Unknown, Don't Care, N/A) with real "
        "TINs and addresses; MATCH fails with them (no name control)")

    tps = b.good(4)
    subjects = b.fbi_subjects(tps)
    _street, city, state, zip5 = tps[3].last_known
    bad_addresses: list[AddressTuple] = [
        ("", "", "", tps[0].last_known[3][:5]),                         # a ZIP alone
        ("Don't Care", "", "", "12345"),                                # the 2025 placeholder
        (tps[2].tin.replace("-", ""), "", "", tps[2].last_known[3][:5]),  # a TIN standing in
        ("Main St", city, state, zip5),                                 # no house number
    ]
    for subject, address in zip(subjects, bad_addresses, strict=True):
        subject["address"] = address_json(address)
    add("DEMO-I2-ADDRESS", 14, "ADDRESS", subjects, "incomplete addresses: ZIP only, "
        "\"Don't Care 12345\", a TIN as address, a street without a number (name and TIN match; "
        "ADDRESS-MATCH fails with them)")

    subjects = b.fbi_subjects(b.good(6))
    for subject in subjects:
        subject["case_no"] = None
        subject["reason"] = ("Subject is believed to be involved in a wire-fraud scheme under "
                             "investigation by this office (18 U.S.C. 1343).")
    add("DEMO-I2-REASON", 13, "REASON", subjects,
        "the same reason text for all 6 subjects (limit: 3 others)")

    subjects = []
    for n in range(1, 4):
        name, tin, address = b.unknown_person()
        case = b.case_no()
        subjects.append(subject_json(str(n), name, tin, address, list(b.periods), case,
                                     FBI_REASONS[n % len(FBI_REASONS)].format(case=case)))
    add("DEMO-I2-MATCH", 11, "MATCH", subjects, "valid TINs and plausible names that are in no record")

    tps = b.good(3)
    subjects = b.fbi_subjects(tps)
    for subject, tp in zip(subjects, tps, strict=True):
        subject["address"] = address_json(b.address_never_had(tp))
    add("DEMO-I2-ADDRESS-MATCH", 8, "ADDRESS-MATCH", subjects, "name and TIN match, but the complete "
        "address given is one the taxpayer never had in any year")

    hold = b.holds(3)
    subjects = b.fbi_subjects(hold)
    for subject, tp in zip(subjects, hold, strict=True):
        subject["periods"] = [str(tp.years[-1])]
    add("DEMO-I2-HOLD", 7, "HOLD", subjects, "taxpayers under an internal hold (6103(i)(6))",
        periods=sorted({str(tp.years[-1]) for tp in hold}))

    # the latest year without a record: one skipped within the window if any, else the year before it
    candidates = (b.factory.years[0] - 1, *b.factory.years)
    tps = b.picker.pick(3, lambda tp: tp.individual and not tp.hold, "taxpayers without a hold")
    missing = [str(max(y for y in candidates if y not in tp.years)) for tp in tps]
    subjects = b.fbi_subjects(tps)
    for subject, year in zip(subjects, missing, strict=True):
        subject["periods"] = [year]
    add("DEMO-I2-PERIOD-RECORD", 5, "PERIOD-RECORD", subjects,
        "each subject asks a tax year with no record for that taxpayer", periods=sorted(set(missing)))
    return out

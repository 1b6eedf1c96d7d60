"""Subject-level checks for one named taxpayer: NAME, ADDRESS, REASON, MATCH, ADDRESS-MATCH, HOLD and
PERIOD-RECORD, each judged for this subject alone (never "the batch matched 96%").

Pure: the caller supplies the subject's fields and the taxpayer-record rows found for its TIN, plus a
look-up by normalized address for subjects the TIN does not find. Messages never quote taxpayer values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..normalize import address_key, name_control, normalize_name, tin_digits
from .checks_subject import check_address, check_name
from .findings import FAIL, PASS, REVIEW

# (tax_year, tin_type, name_control, addr_key, hold) of one record row of the subject's TIN
RecordRow = tuple[int, str, str | None, str | None, int]
# (tin, tin_type, name) of records at an address, for the name-and-address match
AddressLookup = Callable[[str], Sequence[tuple[str, str, str]]]
RowsForTin = Callable[[str, str], Sequence[RecordRow]]

STATUS_RELEASABLE, STATUS_WITHHELD, STATUS_NO_RECORD, STATUS_REVIEW = "releasable", "withheld", "no-record", "review"
# Which failing code names the reason a subject is withheld, first match wins.
PRECEDENCE = ("HOLD", "NAME", "ADDRESS", "REASON", "MATCH", "ADDRESS-MATCH", "PERIOD-RECORD")
_FOLD = {c: " " for c in range(128) if not chr(c).isalnum()}
MIN_REASON_CHARS = 25


@lru_cache(maxsize=65_536)        # boilerplate reasons repeat: each is folded once
def reason_key(reason: str | None) -> str:
    """Reasons compared for boilerplate: case, punctuation and spacing folded."""
    return " ".join((reason or "").lower().translate(_FOLD).split())


@dataclass(frozen=True, slots=True)
class SubjectPolicy:
    """What applies to every subject of one request."""

    is_i2: bool                        # ADDRESS, REASON, ADDRESS-MATCH apply
    periods: tuple[str, ...]           # the request's valid periods
    reason_counts: dict[str, int]      # reason_key → number of subjects giving it
    reason_limit: int                  # a reason may be shared with at most this many other subjects


@dataclass(frozen=True, slots=True)
class SubjectResult:
    status: str
    matched: str | None                # "tin:type"
    findings: tuple[tuple[str, str, str], ...]   # (code, outcome, message), non-pass only
    missing_periods: tuple[str, ...]

    @property
    def withheld_code(self) -> str | None:
        if self.status == STATUS_RELEASABLE:
            return None
        codes = {c for c, o, _ in self.findings if o != PASS}
        return next((c for c in PRECEDENCE if c in codes), "MATCH")


def evaluate_subject(policy: SubjectPolicy, *, name: str | None, tin: str | None, street: str | None,
                     city: str | None, state: str | None, zip_code: str | None, periods: str | None,
                     case_no: str | None, reason: str | None, rows: Sequence[RecordRow],
                     by_address: AddressLookup, rows_for_tin: RowsForTin) -> SubjectResult:
    findings: list[tuple[str, str, str]] = []
    blocking = False   # a failure that keeps this subject from being released

    msg = check_name(name)
    name_ok = msg is None
    if msg:
        findings.append(("NAME", FAIL, msg))
        blocking = True
    address_ok = True
    has_address = bool(street or city or state or zip_code)
    if policy.is_i2:
        msg = check_address(street or "", city or "", state or "", zip_code or "") if has_address else \
            "no address is given for this taxpayer"
        if msg:
            findings.append(("ADDRESS", FAIL, msg))
            blocking, address_ok = True, False
        msg = _check_reason(policy, reason, case_no)
        if msg:
            findings.append(("REASON", FAIL, msg))
            blocking = True

    if not name_ok:
        # A placeholder cannot be matched to anyone: the subject is withheld on NAME alone.
        return SubjectResult(STATUS_WITHHELD, None, tuple(findings), ())

    # MATCH: by TIN with the same name control, else by exact normalized name and address.
    akey = address_key(street or "", city or "", state or "", zip_code or "") if street else None
    matched: str | None = None
    match_rows: Sequence[RecordRow] = ()
    tin9 = tin_digits(tin) if tin else None
    nc = name_control(name) if name else ""
    if tin9 and rows:
        same = [r for r in rows if r[2] == nc]
        types = sorted({r[1] for r in same})
        if len(types) == 1:
            matched, match_rows = f"{tin9}:{types[0]}", same
        elif len(types) > 1:
            findings.append(("MATCH", REVIEW, "the TIN is on file for more than one taxpayer type; "
                                              "decide which record is meant"))
            return SubjectResult(STATUS_REVIEW, None, tuple(findings), ())
        else:
            findings.append(("MATCH", FAIL, "the name does not match the taxpayer on file for this TIN "
                                             "(name control differs)"))
            return SubjectResult(STATUS_WITHHELD, None, tuple(findings), ())
    if matched is None:
        candidates = {(t, tt) for t, tt, n in by_address(akey) if normalize_name(n) == normalize_name(name or "")} \
            if akey and name else set()
        if len(candidates) > 1:
            findings.append(("MATCH", REVIEW, f"the name and address match {len(candidates)} taxpayers on file; "
                                              "decide which record is meant"))
            return SubjectResult(STATUS_REVIEW, None, tuple(findings), ())
        if not candidates:
            why = "no taxpayer on file has this TIN" if tin9 else (
                "the TIN is not nine digits and " if tin else "no TIN is given and ")
            if not tin9:
                why += "no taxpayer on file has this exact name and address"
            findings.append(("MATCH", FAIL, f"no record: {why}"))
            return SubjectResult(STATUS_NO_RECORD, None, tuple(findings), ())
        t, tt = candidates.pop()
        matched, match_rows = f"{t}:{tt}", rows_for_tin(t, tt)

    if any(r[4] for r in match_rows):
        findings.append(("HOLD", FAIL, "cannot be disclosed at this time (internal hold, 26 U.S.C. 6103(i)(6))"))
        blocking = True
    # An incomplete address (already an ADDRESS failure) is not compared with the addresses on file.
    if policy.is_i2 and address_ok and (akey is None or akey not in {r[3] for r in match_rows}):
        findings.append(("ADDRESS-MATCH", FAIL, "the address given is not an address on file for this taxpayer "
                                                "in any year; listed for manual review"))
        blocking = True

    wanted, outside = _periods(policy, periods)
    if outside:
        findings.append(("PERIOD-RECORD", FAIL, f"{', '.join(outside)} not among the request's valid periods"))
        if not wanted:
            return SubjectResult(STATUS_WITHHELD, matched, tuple(findings), outside)
    years = {str(r[0]) for r in match_rows}
    missing = tuple(p for p in wanted if p not in years)
    if missing:
        findings.append(("PERIOD-RECORD", FAIL, f"no record for {', '.join(missing)}"))
        if len(missing) == len(wanted):
            return SubjectResult(STATUS_NO_RECORD if not blocking else STATUS_WITHHELD, matched,
                                 tuple(findings), missing)
    status = STATUS_WITHHELD if blocking else STATUS_RELEASABLE
    return SubjectResult(status, matched, tuple(findings), missing)


def _periods(policy: SubjectPolicy, periods: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(periods to check for this subject, the subject's own periods that the request does not allow)."""
    if periods:
        own = [p.strip() for p in periods.split(";") if p.strip()]
        return tuple(p for p in own if p in policy.periods), tuple(p for p in own if p not in policy.periods)
    return policy.periods, ()


def _check_reason(policy: SubjectPolicy, reason: str | None, case_no: str | None) -> str | None:
    text = (reason or "").strip()
    if not text:
        return "no specific reason is given for this taxpayer"
    if len(text) < MIN_REASON_CHARS:
        return f"the reason is too short to be specific ({len(text)} characters)"
    if case_no and f" {reason_key(case_no)} " not in f" {reason_key(text)} ":
        return "the reason does not refer to this taxpayer's case number"
    shared = policy.reason_counts.get(reason_key(text), 1) - 1
    if shared > policy.reason_limit:
        return f"the same reason is given for {shared:,} other taxpayers (boilerplate; limit {policy.reason_limit})"
    return None

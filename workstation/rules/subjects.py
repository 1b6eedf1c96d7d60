"""Subject-level checks for one named taxpayer: NAME, ADDRESS, REASON, MATCH, ADDRESS-MATCH, HOLD and
PERIOD-RECORD, each judged for this subject alone (never "the batch matched 96%").

Pure: the caller supplies the subject's fields and the taxpayer-record rows found for its TIN, plus a
look-up by normalized address for subjects the TIN does not find. Messages never quote taxpayer values.

Run for every subject of million-name requests, so what repeats from subject to subject is worked out once:
each distinct name's NAME verdict and name control, each distinct reason's REASON verdict, each distinct
list of periods; and the street is tokenized once for both the ADDRESS check and the address key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..normalize import address_key_of, name_control, normalize_name, street_tokens, tin_digits
from .checks_subject import check_address, check_name
from .findings import FAIL, PASS, REVIEW

# (tax_year, tin_type, name_control, addr_key, hold) of one record row of the subject's TIN (more columns may follow)
RecordRow = tuple[int, str, str | None, str | None, int]
# (tin, tin_type, name) of records at an address, for the name-and-address match
AddressLookup = Callable[[str], Sequence[tuple[str, str, str]]]
RowsForTin = Callable[[str, str], Sequence[RecordRow]]

STATUS_RELEASABLE, STATUS_WITHHELD, STATUS_NO_RECORD, STATUS_REVIEW = "releasable", "withheld", "no-record", "review"
# Which failing code names the reason a subject is withheld, first match wins.
PRECEDENCE = ("HOLD", "NAME", "ADDRESS", "REASON", "MATCH", "ADDRESS-MATCH", "PERIOD-RECORD")
_FOLD = {c: " " for c in range(128) if not chr(c).isalnum()}
MIN_REASON_CHARS = 25
CACHE_MAX = 100_000                # entries per value cache (names, reasons); a full cache starts over
_FOLD_BYTES = bytes(b if b >= 128 else ord(chr(b).lower()) if chr(b).isalnum() else 0x20 for b in range(256))


def _fold(text: str) -> str:
    if text.isascii():                 # the same folding, several times faster on bytes
        return " ".join(text.encode("ascii").translate(_FOLD_BYTES).decode("ascii").split())
    return " ".join(text.lower().translate(_FOLD).split())


@lru_cache(maxsize=65_536)        # boilerplate reasons repeat: each is folded once
def reason_key(reason: str | None) -> str:
    """Reasons compared for boilerplate: case, punctuation and spacing folded."""
    return _fold(reason or "")


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
    return SubjectChecker(policy).check(name, tin, street, city, state, zip_code, periods, case_no, reason, rows,
                                        by_address, rows_for_tin)


# name -> (NAME message or None, name control when the name passes): names repeat across a request.
_NAMES: dict[str, tuple[str | None, str]] = {}


def name_facts(name: str | None) -> tuple[str | None, str]:
    """(`check_name` message or None, `name_control` of a name that passes, else "")."""
    if name is None:
        return check_name(None), ""
    facts = _NAMES.get(name)
    if facts is None:
        msg = check_name(name)
        facts = (msg, name_control(name) if msg is None else "")
        if len(_NAMES) >= CACHE_MAX:
            _NAMES.clear()
        _NAMES[name] = facts
    return facts


def street_parts(street: str, city: str | None, state: str | None, zip_code: str | None
                 ) -> tuple[list[str], str]:
    """(`street_tokens` of the street, the address key) of a subject with a street, tokenized once."""
    tokens = street_tokens(street.strip())
    return tokens, address_key_of(tokens, city or "", state or "", zip_code or "")


class SubjectChecker:
    """The subject-level checks under one policy, with what repeats from subject to subject remembered (the
    verdicts on each distinct reason and list of periods)."""

    __slots__ = ("_periods", "_reasons", "policy")

    def __init__(self, policy: SubjectPolicy) -> None:
        self.policy = policy
        self._periods: dict[str | None, tuple[tuple[str, ...], tuple[str, ...], str | None]] = {}
        self._reasons: dict[str | None, tuple[str | None, str, str | None]] = {}

    def check(self, name: str | None, tin: str | None, street: str | None, city: str | None, state: str | None,
              zip_code: str | None, periods: str | None, case_no: str | None, reason: str | None,
              rows: Sequence[RecordRow], by_address: AddressLookup, rows_for_tin: RowsForTin,
              parts: tuple[list[str], str] | None = None) -> SubjectResult:
        """Every subject-level check of one subject. `parts`: `street_parts(street, ...)` when the caller has
        computed them already."""
        policy = self.policy
        findings: list[tuple[str, str, str]] = []
        blocking = False   # a failure that keeps this subject from being released

        name_msg, nc = name_facts(name)
        if name_msg:
            findings.append(("NAME", FAIL, name_msg))
            blocking = True
        address_ok = True
        if policy.is_i2:
            if street or city or state or zip_code:
                if street and parts is None:
                    parts = street_parts(street, city, state, zip_code)
                msg = check_address(street or "", city or "", state or "", zip_code or "",
                                    parts[0] if parts is not None else None)
            else:
                msg = "no address is given for this taxpayer"
            if msg:
                findings.append(("ADDRESS", FAIL, msg))
                blocking, address_ok = True, False
            msg = self._check_reason(reason, case_no)
            if msg:
                findings.append(("REASON", FAIL, msg))
                blocking = True
        if name_msg:
            # A placeholder cannot be matched to anyone: the subject is withheld on NAME alone.
            return SubjectResult(STATUS_WITHHELD, None, tuple(findings), ())

        # MATCH: by TIN with the same name control, else by exact normalized name and address.
        matched: str | None = None
        match_rows: Sequence[RecordRow] = ()
        tin9 = tin_digits(tin) if tin else None
        if tin9 and rows:
            same = [r for r in rows if r[2] == nc]
            types = {r[1] for r in same}
            if len(types) == 1:
                matched, match_rows = f"{tin9}:{next(iter(types))}", same
            elif len(types) > 1:
                findings.append(("MATCH", REVIEW, "the TIN is on file for more than one taxpayer type; "
                                                  "decide which record is meant"))
                return SubjectResult(STATUS_REVIEW, None, tuple(findings), ())
            else:
                findings.append(("MATCH", FAIL, "the name does not match the taxpayer on file for this TIN "
                                                 "(name control differs)"))
                return SubjectResult(STATUS_WITHHELD, None, tuple(findings), ())
        # The address key: (i)(2) has it from the ADDRESS check; otherwise only a match by address needs it.
        if street and parts is None and (matched is None or policy.is_i2):
            parts = street_parts(street, city, state, zip_code)
        akey = parts[1] if street and parts is not None else None
        if matched is None:
            candidates: set[tuple[str, str]] = set()
            if akey and name:
                at_address = by_address(akey)
                if at_address:
                    wanted_name = normalize_name(name)
                    candidates = {(t, tt) for t, tt, n in at_address if normalize_name(n) == wanted_name}
            if len(candidates) > 1:
                findings.append(("MATCH", REVIEW, f"the name and address match {len(candidates)} taxpayers on "
                                                  "file; decide which record is meant"))
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

        # One pass over the matched records: a hold, the address on file, the years on file.
        hold = address_on_file = False
        years: set[str] = set()
        for r in match_rows:
            if r[4]:
                hold = True
            if r[3] == akey:
                address_on_file = True
            years.add(str(r[0]))
        if hold:
            findings.append(("HOLD", FAIL, "cannot be disclosed at this time (internal hold, 26 U.S.C. 6103(i)(6))"))
            blocking = True
        # An incomplete address (already an ADDRESS failure) is not compared with the addresses on file.
        if policy.is_i2 and address_ok and (akey is None or not address_on_file):
            findings.append(("ADDRESS-MATCH", FAIL, "the address given is not an address on file for this "
                                                    "taxpayer in any year; listed for manual review"))
            blocking = True

        try:
            wanted, outside, outside_msg = self._periods[periods]
        except KeyError:
            if len(self._periods) >= CACHE_MAX:
                self._periods.clear()
            wanted, outside, outside_msg = self._periods.setdefault(periods, self._split_periods(periods))
        if outside_msg:
            findings.append(("PERIOD-RECORD", FAIL, outside_msg))
            if not wanted:
                return SubjectResult(STATUS_WITHHELD, matched, tuple(findings), outside)
        missing = tuple([p for p in wanted if p not in years])
        if missing:
            findings.append(("PERIOD-RECORD", FAIL, f"no record for {', '.join(missing)}"))
            if len(missing) == len(wanted):
                return SubjectResult(STATUS_NO_RECORD if not blocking else STATUS_WITHHELD, matched,
                                     tuple(findings), missing)
        status = STATUS_WITHHELD if blocking else STATUS_RELEASABLE
        return SubjectResult(status, matched, tuple(findings), missing)

    def _split_periods(self, periods: str | None) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
        """(periods to check for this subject, the subject's own periods that the request does not allow, the
        PERIOD-RECORD message about those)."""
        valid = self.policy.periods
        if not periods:
            return valid, (), None
        own = [p.strip() for p in periods.split(";") if p.strip()]
        outside = tuple(p for p in own if p not in valid)
        msg = f"{', '.join(outside)} not among the request's valid periods" if outside else None
        return tuple(p for p in own if p in valid), outside, msg

    def _check_reason(self, reason: str | None, case_no: str | None) -> str | None:
        try:
            early, padded, shared_msg = self._reasons[reason]
        except KeyError:
            if len(self._reasons) >= CACHE_MAX:
                self._reasons.clear()
            early, padded, shared_msg = self._reasons.setdefault(reason, self._reason_facts(reason))
        if early:
            return early
        if case_no and f" {_fold(case_no)} " not in padded:
            return "the reason does not refer to this taxpayer's case number"
        return shared_msg

    def _reason_facts(self, reason: str | None) -> tuple[str | None, str, str | None]:
        """(the message when the reason fails whatever the case number, the reason's folded text padded with
        spaces, the message when it is boilerplate)."""
        policy = self.policy
        text = (reason or "").strip()
        if not text:
            return "no specific reason is given for this taxpayer", "", None
        if len(text) < MIN_REASON_CHARS:
            return f"the reason is too short to be specific ({len(text)} characters)", "", None
        key = reason_key(text)
        shared = policy.reason_counts.get(key, 1) - 1
        shared_msg = (f"the same reason is given for {shared:,} other taxpayers (boilerplate; limit "
                      f"{policy.reason_limit})") if shared > policy.reason_limit else None
        return None, f" {key} ", shared_msg

"""Subject-level checks for one named taxpayer: NAME, ADDRESS, REASON, MATCH, ADDRESS-MATCH, HOLD and
PERIOD-RECORD, each judged for this subject alone (never "the batch matched 96%"), and the binding of a
consent or a first-party FOIA request to its own taxpayer (CONSENT, ITEMS).

Decided per taxpayer, not per row: MATCH tries the TIN (with the same name control) and the exact name and
address, both always, over every row on file; the candidates are the distinct taxpayers found. HOLD,
ADDRESS-MATCH and PERIOD-RECORD then read every row of the taxpayer, whatever name or address it was filed
under. Pure: the caller supplies the subject's fields, every record row of its TIN, a look-up by normalized
address and the rows of any other taxpayer found there. Messages never quote taxpayer values.

Run for every subject of million-name requests, so what repeats from subject to subject is worked out once:
each distinct name's NAME verdict and name control, each distinct reason's REASON verdict, each distinct
list of periods; and the street is tokenized once for both the ADDRESS check and the address key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields

from ..compiled import mypyc_attr
from ..normalize import address_key_of, name_control, normalize_name, reason_key, street_tokens, tin_digits
from ..normalize import fold_words as _fold
from ..wording import count
from .checks_subject import check_address, check_name
from .findings import FAIL, PASS, REVIEW

# (tax_year, tin_type, name_control, addr_key, hold) of one record row of the subject's TIN (more columns may follow)
RecordRow = tuple[int, str, str | None, str | None, int, *tuple[object, ...]]
# (tin, tin_type, name) for each taxpayer with a row at an address and each name it has filed under on ANY of its
# rows (at that address or elsewhere), for the name-and-address match; a `Residents` is looked up by name
AddressLookup = Callable[[str], Sequence[tuple[str, str, str]]]
RowsForTin = Callable[[str, str], Sequence[RecordRow]]

STATUS_RELEASABLE, STATUS_WITHHELD, STATUS_NO_RECORD, STATUS_REVIEW = "releasable", "withheld", "no-record", "review"
# Which failing code names the reason a subject is withheld, first match wins.
PRECEDENCE = ("HOLD", "NAME", "CONSENT", "ITEMS", "ADDRESS", "REASON", "MATCH", "ADDRESS-MATCH", "PERIOD-RECORD")
# The HOLD finding says whether any other check withholds the subject: a letter lists a held subject under
# every other defect, exactly as if it had no hold, and under "cannot be disclosed at this time" only when
# nothing else withholds it (RULES.md "Letters").
HOLD_ALONE = "cannot be disclosed at this time (internal hold, 26 U.S.C. 6103(i)(6))"
HOLD_WITH_OTHERS = HOLD_ALONE + "; other checks withhold this taxpayer too"
CONSENT_OTHER = ("the consent covers its own taxpayer only (its TIN, and the name control on file), and this "
                 "subject is not that taxpayer: not released under it")
FOIA_THIRD_PARTY = ("a third party: this subject is not the requester who signed (same name, the TIN on file for "
                    "that name); nothing about a third party is released under FOIA")
MIN_REASON_CHARS = 25
CACHE_MAX = 100_000                # entries per value cache (reasons, periods); a full cache starts over
NAMES_MAX = 200_000                # entries of the names caches: a million-name request repeats a third of its names


@dataclass(frozen=True, slots=True)
class SubjectPolicy:
    """What applies to every subject of one request."""

    is_i2: bool                        # ADDRESS, REASON, ADDRESS-MATCH apply
    periods: tuple[str, ...]           # the request's valid periods
    reason_counts: dict[str, int]      # reason_key → number of subjects giving it
    reason_limit: int                  # a reason may be shared with at most this many other subjects
    # (c): the consent's taxpayer as (TIN digits, name control), ("", "") when the consent names none usable
    consent_taxpayer: tuple[str, str] | None = None
    foia_requester: str | None = None  # foia: the normalized name of the requester who signed
    foia_home: str | None = None       # foia: the address key of the requester's own mailing address

    def __reduce__(self) -> tuple[type[SubjectPolicy], tuple[object, ...]]:
        # Sent to the workers: compiled by mypyc, the default unpickling would set the frozen fields one by one.
        return SubjectPolicy, tuple(getattr(self, f.name) for f in fields(self))


@dataclass(slots=True)        # not frozen: made for every subject of a million-name request, and a frozen
class SubjectResult:          # dataclass's __init__ (object.__setattr__ per field) costs five times as much
    status: str
    matched: str | None                # "tin:type"
    findings: tuple[tuple[str, str, str], ...]   # (code, outcome, message), non-pass only
    missing_periods: tuple[str, ...]
    # MATCH found more than one taxpayer: each "tin:type", sorted (named to the officer, never in a letter)
    candidates: tuple[str, ...] = ()
    # some of the subject's own periods are outside the request's valid periods: withheld, so a release of this
    # subject is partial (a requested year with no record is "no record" and is not)
    periods_withheld: bool = False

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


@mypyc_attr(native_class=False)   # a list subclass: a Python class even when this module is compiled
class Residents(list[tuple[str, str, str]]):
    """The (tin, tin_type, name) of one address (see `AddressLookup`), indexed by normalized name on first use:
    an address shared by thousands of taxpayers and named by thousands of subjects is not scanned per subject."""

    __slots__ = ("_by_name",)

    def __init__(self, entries: Iterable[tuple[str, str, str]] = ()) -> None:
        super().__init__(entries)
        self._by_name: dict[str, list[tuple[str, str]]] | None = None

    def named(self, wanted: str) -> list[tuple[str, str]]:
        """The taxpayers (tin, tin_type) here that have filed under the normalized name `wanted`."""
        if self._by_name is None:
            self._by_name = {}
            for t, tt, on_file in self:
                found = self._by_name.setdefault(normalized_name(on_file), [])
                if (t, tt) not in found:
                    found.append((t, tt))
        return self._by_name.get(wanted, [])


def filed_under(at_address: Sequence[tuple[str, str, str]], wanted: str) -> list[tuple[str, str]]:
    """The taxpayers of an `AddressLookup` answer that have filed under the normalized name `wanted`."""
    if isinstance(at_address, Residents):
        return at_address.named(wanted)
    return list(dict.fromkeys((t, tt) for t, tt, on_file in at_address if normalized_name(on_file) == wanted))


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
        if len(_NAMES) >= NAMES_MAX:
            _NAMES.clear()
        _NAMES[name] = facts
    return facts


def names_facts(names: Iterable[str | None]) -> list[tuple[str | None, str]]:
    """`name_facts` of each name (a name seen before costs one look-up, no call)."""
    known = _NAMES.get
    return [known(name) or name_facts(name) for name in names]     # type: ignore[arg-type]  # None: not known


_NORMALIZED: dict[str, str] = {}


def normalized_name(name: str) -> str:
    """`normalize_name`, remembered: the names at an address are compared for every subject living there."""
    found = _NORMALIZED.get(name)
    if found is None:
        if len(_NORMALIZED) >= NAMES_MAX:
            _NORMALIZED.clear()
        found = _NORMALIZED[name] = normalize_name(name)
    return found


def match_candidates(name: str, nc: str, tin9: str | None, rows: Sequence[RecordRow], akey: str | None,
                     by_address: AddressLookup, rows_for_tin: RowsForTin
                     ) -> dict[tuple[str, str], Sequence[RecordRow]]:
    """MATCH, both ways: (tin, tin_type) -> every record row of that taxpayer, for each distinct taxpayer
    found by the TIN with the same name control (on any row: any year, any name it has filed under) or by
    the exact normalized name and the normalized address (any row at the address and any row under the name,
    the same row or another: any year, any name, any address it has had)."""
    found: dict[tuple[str, str], Sequence[RecordRow]] = {}
    if tin9 and rows:
        first = rows[0][1]
        one_type = True
        named = False
        for r in rows:                  # plain loops: this runs for every subject of a million-name request
            if r[1] != first:
                one_type = False
            if r[2] == nc:
                named = True
        if one_type:
            if named:
                found[tin9, first] = rows
        else:
            for tt in {r[1] for r in rows if r[2] == nc}:
                found[tin9, tt] = [r for r in rows if r[1] == tt]
    if akey and name:
        at_address = by_address(akey)
        if at_address:          # most addresses have nobody on file: no name is normalized for them
            for t, tt in filed_under(at_address, normalized_name(name)):
                if (t, tt) not in found:
                    found[t, tt] = rows_for_tin(t, tt)
    return found


def no_record_message(tin: str | None, tin9: str | None) -> str:
    """MATCH found nobody: the same words whatever the records hold (never a hint that the TIN is on file for
    someone else); only what the requester sent is described."""
    if tin9:
        return "no record: no taxpayer on file matches this TIN and name control, or this exact name and address"
    why = "the TIN is not nine digits" if tin else "no TIN is given"
    return f"no record: {why} and no taxpayer on file has this exact name and address"


def street_parts(street: str, city: str | None, state: str | None, zip_code: str | None
                 ) -> tuple[list[str], str]:
    """(`street_tokens` of the street, the address key) of a subject with a street, tokenized once."""
    tokens = street_tokens(street.strip())
    return tokens, address_key_of(tokens, city or "", state or "", zip_code or "")


class SubjectChecker:
    """The subject-level checks under one policy, with what repeats from subject to subject remembered (the
    verdicts on each distinct reason and list of periods)."""

    __slots__ = ("_bound", "_periods", "_reasons", "policy")

    def __init__(self, policy: SubjectPolicy) -> None:
        self.policy = policy
        # An authority bound to one taxpayer (a consent, a first-party FOIA request)
        self._bound = policy.consent_taxpayer is not None or policy.foia_requester is not None
        self._periods: dict[str | None, tuple[tuple[str, ...], tuple[str, ...], str | None]] = {}
        self._reasons: dict[str | None, tuple[str | None, str, str | None]] = {}

    def check(self, name: str | None, tin: str | None, street: str | None, city: str | None, state: str | None,
              zip_code: str | None, periods: str | None, case_no: str | None, reason: str | None,
              rows: Sequence[RecordRow], by_address: AddressLookup, rows_for_tin: RowsForTin,
              parts: tuple[list[str], str] | None = None, facts: tuple[str | None, str] | None = None
              ) -> SubjectResult:
        """Every subject-level check of one subject. `rows`: every record row of the subject's TIN; `parts`:
        `street_parts(street, ...)` and `facts`: `name_facts(name)`, when the caller has computed them already."""
        policy = self.policy
        findings: list[tuple[str, str, str]] = []
        blocking = False   # a failure other than HOLD that keeps this subject from being released

        name_msg, nc = facts if facts is not None else name_facts(name)
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
        tin9 = tin_digits(tin) if tin else None
        # An authority bound to one taxpayer: another person is never looked up (what the records hold about
        # them is nobody's business here, and a letter must not tell it).
        bound = self._bound
        if bound and (other := self._other_party(name or "", nc, tin9)) is not None:
            findings.append(other)
            return SubjectResult(STATUS_WITHHELD, None, tuple(findings), ())

        if street and parts is None:
            parts = street_parts(street, city, state, zip_code)
        akey = parts[1] if street and parts is not None else None
        candidates = match_candidates(name or "", nc, tin9, rows, akey, by_address, rows_for_tin)
        if bound and not any(t == tin9 for t, _tt in candidates):
            # The bound taxpayer is the TIN given (checked above): when the TIN way does not find it, whoever
            # the name and address find is somebody else, and the outcome must not say that they exist.
            candidates = {}
        if not candidates:
            findings.append(("MATCH", FAIL, no_record_message(tin, tin9)))
            return SubjectResult(STATUS_NO_RECORD, None, tuple(findings), ())
        if len(candidates) > 1:
            findings.append(("MATCH", REVIEW, f"the TIN and the name and address find {len(candidates)} taxpayers "
                                              "on file; decide which record is meant (see the candidates)"))
            named = tuple(sorted(f"{t}:{tt}" for t, tt in candidates))
            if any(r[4] for found in candidates.values() for r in found):
                findings.append(("HOLD", FAIL, HOLD_WITH_OTHERS))
                return SubjectResult(STATUS_WITHHELD, None, tuple(findings), (), named)
            return SubjectResult(STATUS_REVIEW, None, tuple(findings), (), named)
        (t, tt), match_rows = next(iter(candidates.items()))
        if bound and (party := self._not_the_party(t, tt, match_rows, by_address)) is not None:
            # The TIN given is on file, but for somebody else than the consent's taxpayer or the requester: to
            # the requester that is "no record" (a letter must not tell that the TIN is on file); the officer
            # reads why.
            findings.append(("MATCH", FAIL, f"no record of {party}: the TIN given is on file for another taxpayer"))
            return SubjectResult(STATUS_NO_RECORD, None, tuple(findings), ())
        matched = f"{t}:{tt}"

        # One pass over every row of the taxpayer: a hold, the addresses on file, the years on file.
        hold = address_on_file = False
        years: set[str] = set()
        for r in match_rows:
            if r[4]:
                hold = True
            if r[3] == akey:
                address_on_file = True
            years.add(str(r[0]))
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
        if outside_msg and not wanted:
            status, missing = STATUS_WITHHELD, outside
        else:
            missing = tuple([p for p in wanted if p not in years])
            if missing:
                findings.append(("PERIOD-RECORD", FAIL, f"no record for {', '.join(missing)}"))
            if missing and len(missing) == len(wanted):
                status = STATUS_WITHHELD if blocking else STATUS_NO_RECORD
            else:
                status = STATUS_WITHHELD if blocking else STATUS_RELEASABLE
        if hold:
            # As if it had no hold, the letter lists the subject under every other defect; under "cannot be
            # disclosed at this time" only when nothing else withholds it (RULES.md "Letters").
            # A requested year with no record, or one outside the request, is such a defect too.
            alone = status == STATUS_RELEASABLE    # RULES.md Letters: no other check withholds it
            findings.append(("HOLD", FAIL, HOLD_ALONE if alone else HOLD_WITH_OTHERS))
            status = STATUS_WITHHELD
        return SubjectResult(status, matched, tuple(findings), missing, periods_withheld=bool(outside_msg))

    def _other_party(self, name: str, nc: str, tin9: str | None) -> tuple[str, str, str] | None:
        """The finding when the request's authority is bound to one taxpayer and what the requester wrote
        already shows this subject is not that taxpayer: no TIN (or no valid one) given, another TIN than the
        consent's, another name control than the consent's, another name than the FOIA signer's. No record is
        read for that, so the outcome never depends on who else is on file."""
        policy = self.policy
        if policy.consent_taxpayer is not None:
            consent_tin, consent_nc = policy.consent_taxpayer
            if not consent_tin or tin9 is None or tin9 != consent_tin or nc != consent_nc:
                return ("CONSENT", FAIL, CONSENT_OTHER)
        elif policy.foia_requester is not None and (tin9 is None or normalized_name(name) != policy.foia_requester):
            return ("ITEMS", FAIL, FOIA_THIRD_PARTY)
        return None

    def _not_the_party(self, tin: str, tin_type: str, match_rows: Sequence[RecordRow], by_address: AddressLookup
                       ) -> str | None:
        """The same once the subject is matched (by the TIN given): the consent's taxpayer is its TIN with the
        consent's name control on file; a first-party FOIA requester is the taxpayer of the TIN on file for the
        signer's name (a row of it filed under that exact name, any year) with the requester's own mailing
        address on file (any year): a spouse found by the family's name control, or a namesake with a TIN of
        their own, is not the requester."""
        policy = self.policy
        if policy.consent_taxpayer is not None:
            consent_tin, consent_nc = policy.consent_taxpayer
            if tin != consent_tin or all(r[2] != consent_nc for r in match_rows):
                return "the consent's taxpayer"
        elif policy.foia_requester is not None and (
                policy.foia_home is None
                or (tin, tin_type) not in filed_under(by_address(policy.foia_home), policy.foia_requester)):
            return "the requester who signed"
        return None

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
            return f"the reason is too short to be specific ({count(len(text), 'character')})", "", None
        key = reason_key(text)
        shared = policy.reason_counts.get(key, 1) - 1
        shared_msg = (f"the same reason is given for {shared:,} other taxpayers (boilerplate; limit "
                      f"{policy.reason_limit})") if shared > policy.reason_limit else None
        return None, f" {key} ", shared_msg

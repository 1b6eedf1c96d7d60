"""The release gate: before a letter is stored, read it back as its recipient would and refuse it if it shows a
value the request withholds.

Read back (redaction/pdftext.py): the text the pages show (every content stream inflated, form XObjects and
annotation appearances included), the Info dictionary, the XMP metadata, every other string of the file
(bookmarks, names, annotations, embedded files). What the reader cannot decode (an image, an unknown filter,
a composite font) refuses the letter too: the gate passes only what it has read.

Looked for (the values are read from the store here, never carried into the letter's input):
- the TIN of every subject, as the requester sent it, as matched and of every candidate taxpayer (a
  household member or namesake an ambiguous match found), unless the TIN is released for that subject;
- the name and street line the requester sent for every subject that is not released (no record, withheld,
  held, needing review);
- on file, every year: every element of the taxpayers matched to, or candidates of, a subject that is not
  released, and each withheld element of a subject that is released (e.g. the TRI that (i)(2) withholds, an
  address a court order bars). Records are read when at most RECORD_SUBJECTS subjects need them; a larger
  request (a bulk declination of a million subjects) would take minutes to read, and its letter prints no
  record data by construction, so there the TINs and what the requester sent are checked, not the records.
How a value is matched (normalization, groupings, what is too short to look for) is in redaction/gate_match.py.

A withheld value may equal one the letter legitimately shows: two taxpayers of the same name, one released,
one not; a household's shared street line; a taxpayer who shares the office's phone number or the signer's
name. The gate counts: a value found N times is refused only if the released schedule prints it fewer than
N times; a value that is part of the letter's own parties (the office's letterhead and signature, the
requester's agency, address, signer and officers, the court and case of an order, the request id) is never
refused, however often it appears, since a party printed by name tells nothing about a taxpayer; and what
the requester sent for a subject (a name, a street line) may appear in the purpose statement the letter
quotes: the requester's own words tell the requester nothing. Nothing else explains a value: not the letter
texts, not the decision's justification, not a finding's message, and nothing on file (a middle name, another
street) in the purpose statement either.

A refusal names each value by its element and its subject's reference (by its position when the reference
itself holds the value) and where it was found, never the value; it is logged (`letter-refused`, the same
facts), and nothing is stored: no letter, no accounting of disclosures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import LetterRefused
from ..letters.document import LetterInput
from ..redaction import pdftext
from ..redaction.gate_match import Found, Key, TextIndex, tin_key, value_keys
from ..store import db
from ..store import gate as gate_sql
from .context import Ctx

RECORD_SUBJECTS = 50_000        # records are read for at most this many subjects
BATCH = 500                     # TINs per records query
OWNERS_KEPT = 20                # subjects remembered per value found (a refusal lists a few)
LISTED, LOGGED = 8, 50
ALL_ELEMENTS = ("name", "address", "phone", "bank_account", "employer", "agi", "total_tax", "refund", "wages",
                "interest")
COLUMN = {"address": "street"}


@dataclass(frozen=True, slots=True)
class Owner:
    element: str
    seq: int
    ref: str
    source: str                 # "on file" | "as sent"


@dataclass(frozen=True, slots=True)
class Leak:
    key: Key
    owners: tuple[Owner, ...]
    found: Found
    allowed: int                # occurrences the released schedule explains


@dataclass
class GateReport:
    subjects: int = 0
    records_read: int = 0       # subjects whose records were read
    records_skipped: bool = False
    values: int = 0             # keys looked for
    candidates: int = 0         # keys that passed the quick test
    found: int = 0              # keys the text holds
    explained: int = 0          # of those, shown legitimately
    leaks: list[Leak] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.leaks and not self.unreadable


class _Collector:
    def __init__(self, index: TextIndex) -> None:
        self.index = index
        self.found: dict[Key, list[Owner]] = {}
        self.sent: set[Key] = set()             # keys that some subject's requester sent
        self.values = 0

    def offer(self, key: Key, owner: Owner) -> None:
        self.values += 1
        if self.index.may_hold(key):
            owners = self.found.setdefault(key, [])
            if len(owners) < OWNERS_KEPT and owner not in owners:
                owners.append(owner)
            if owner.source == "as sent":
                self.sent.add(key)

    def value(self, element: str, value: object, owner: Owner) -> None:
        if value is None or value == "":
            return
        if not self.index.may_show(element, value):
            self.values += 1
            return
        for key in value_keys(element, value):
            self.offer(key, owner)


def inspect(s: Ctx, rid: int, d: LetterInput, pdf: bytes) -> GateReport:
    """Read the letter back and look for every withheld value of the request (see the module docstring)."""
    back = pdftext.read(pdf)
    report = GateReport(unreadable=back.unreadable)
    index = TextIndex((p.where, p.text) for p in back.parts)
    collect = _Collector(index)
    report.records_skipped = not _records_affordable(s, rid, d.releases)
    wanted = _subjects(s, rid, collect, report, read_records=not report.records_skipped, releases=d.releases)
    report.records_read = _records(s, wanted, collect)
    report.values, report.candidates = collect.values, len(collect.found)
    hits = index.count(collect.found)
    report.found = len(hits)
    if hits:
        report.leaks = _unexplained(d, hits, collect.found, collect.sent)
        report.explained = len(hits) - len(report.leaks)
    return report


def check(s: Ctx, rid: int, d: LetterInput, pdf: bytes) -> GateReport:
    """`inspect`, and refuse the letter (logged, LetterRefused) if it shows a withheld value or cannot be
    read entirely."""
    report = inspect(s, rid, d, pdf)
    if not report.ok:
        _refuse(s, d, report)
    return report


def _records_affordable(s: Ctx, rid: int, releases: bool) -> bool:
    """Whether at most RECORD_SUBJECTS subjects need their records read (every subject of a letter that
    releases nothing; those with something withheld or nothing released of one that does)."""
    if gate_sql.subject_count(s.conn, rid) <= RECORD_SUBJECTS:
        return True
    return releases and gate_sql.with_withheld(s.conn, rid) <= RECORD_SUBJECTS


def _subjects(s: Ctx, rid: int, collect: _Collector, report: GateReport, *, read_records: bool,
              releases: bool) -> dict[str, list[tuple[str, tuple[str, ...], Owner]]]:
    """Offer the TINs of every subject and what the requester sent for those not released (every subject,
    when the decision releases nothing, whatever the plan said); return the records to read: nine-digit TIN
    -> [(TIN type, elements, owner)]. The store returns only the subjects whose TINs or first words the
    letter holds (see store/gate.py); the others cannot be in it."""
    index = collect.index
    report.subjects = gate_sql.subject_count(s.conn, rid)
    nines = index.nine_digit_numbers()
    for seq, ref, released, matched, candidates, tin9 in gate_sql.tin_subjects(s.conn, rid, nines) if nines else ():
        if releases and "tin" in released.split(","):
            continue
        for tin in dict.fromkeys(t[:9] for t in [matched or "", *(candidates or "").split(";")] if t):
            collect.offer(tin_key(tin), Owner("tin", seq, ref, "on file"))
        if tin9:
            collect.offer(tin_key(tin9), Owner("tin", seq, ref, "as sent"))
    for seq, ref, name, street in gate_sql.sent_by_unreleased(s.conn, rid, index.words_read_as(),
                                                              everyone=not releases):
        collect.value("name", name, Owner("name", seq, ref, "as sent"))
        collect.value("address", street, Owner("address", seq, ref, "as sent"))
    wanted: dict[str, list[tuple[str, tuple[str, ...], Owner]]] = defaultdict(list)
    if not read_records:
        return wanted
    for seq, ref, released, withheld, matched, candidates, tin9 in gate_sql.with_records(s.conn, rid,
                                                                                       everyone=not releases):
        owner = Owner("", seq, ref, "on file")
        if releases and released:
            items = tuple(i for i in dict.fromkeys(e.split(":", 1)[0] for e in withheld.split(","))
                          if i in ALL_ELEMENTS)
            if matched and items:
                wanted[matched[:9]].append((matched[10:], items, owner))
            continue
        on_file = [t for t in [matched or "", *(candidates or "").split(";")] if t]
        if tin9 and not any(t.startswith(tin9) for t in on_file):
            on_file.append(f"{tin9}:*")         # whoever is on file under the TIN the requester sent
        for t in on_file:
            wanted[t[:9]].append((t[10:], ALL_ELEMENTS, owner))
    return wanted


def _records(s: Ctx, wanted: dict[str, list[tuple[str, tuple[str, ...], Owner]]], collect: _Collector) -> int:
    tins = list(wanted)
    columns = {c: n for n, c in enumerate(gate_sql.RECORD_COLUMNS, start=2)}
    subjects = {o.seq for entries in wanted.values() for _t, _i, o in entries}
    for start in range(0, len(tins), BATCH):
        seen: set[tuple[int, str, object]] = set()
        for row in gate_sql.records(s.conn, tins[start:start + BATCH]):
            for tin_type, items, owner in wanted[row[0]]:
                if tin_type not in (row[1], "*"):
                    continue
                for element in items:
                    value = row[columns[COLUMN.get(element, element)]]
                    if (owner.seq, element, value) in seen:
                        continue
                    seen.add((owner.seq, element, value))
                    collect.value(element, value, Owner(element, owner.seq, owner.ref, "on file"))
    return len(subjects)


def _unexplained(d: LetterInput, hits: dict[Key, Found], owners: dict[Key, list[Owner]], sent: set[Key]
                 ) -> list[Leak]:
    """The values found more often than the letter shows them legitimately (see the module docstring)."""
    parties = TextIndex([("parties", _party_texts(d))]).count(hits)
    statement = (d.package.purpose or {}).get("statement") or ""
    own_words = TextIndex([("purpose", statement)]).count(hits) if statement else {}
    left = {k: f for k, f in hits.items() if k not in parties
            and not (k in own_words and k in sent)}
    if not left:
        return []
    cells = TextIndex([("schedule", list(_schedule_texts(d)))]).count(left) if d.schedule else {}
    out = []
    for key, found in left.items():
        allowed = cells[key].count if key in cells else 0
        if found.count > allowed:
            out.append(Leak(key, tuple(owners[key]), found, allowed))
    return out


def _party_texts(d: LetterInput) -> list[str]:
    pkg, o = d.package, d.office
    out = [pkg.request_id, o.name, *o.address_lines, o.phone, o.signature_name, o.signature_title,
           o.foia_public_liaison, *o.foia_appeal_lines, pkg.requester.agency, pkg.requester.component or "",
           *pkg.requester.address_lines, pkg.signer.name, pkg.signer.title or ""]
    out += [f"{x.name} {x.title or ''}" for x in pkg.officers]
    if pkg.court_order is not None:
        out += [pkg.court_order.court, pkg.court_order.judge, pkg.court_order.case_no]
    if pkg.consent is not None:
        out.append(pkg.consent.designee)
    out += [f"{x.court} {x.case_no} {x.caption}" for x in d.orders]
    return [t for t in out if t]


def _schedule_texts(d: LetterInput) -> Iterator[str]:
    """The released values as the schedule prints them (read again from the store: only when a withheld
    value was found that nothing else explains)."""
    assert d.schedule is not None
    for row in d.schedule():
        for _item, text in row.cells:
            yield text


def _label(owner: Owner, key: Key) -> str:
    """The subject's reference, or its position when the reference itself spells the value."""
    if TextIndex([("ref", owner.ref)]).count([key]):
        return f"no. {owner.seq + 1} (its reference holds the value)"
    return owner.ref


def _refuse(s: Ctx, d: LetterInput, report: GateReport) -> None:
    entries = [{"element": o.element, "ref": _label(o, leak.key), "source": o.source, "where": list(leak.found.where)}
               for leak in report.leaks for o in leak.owners]
    detail = {"letter_id": d.letter_id, "decision_id": d.verification.decision_id, "kind": d.kind,
              "values": len(report.leaks), "subjects": len({e["ref"] for e in entries}),
              "found": entries[:LOGGED], "unreadable": report.unreadable[:LOGGED]}
    with db.transaction(s.conn):
        s.log("letter-refused", d.package.request_id, detail)
    what = [f"{e['element']} of subject {e['ref']} ({e['source']}; in the {', '.join(e['where'])})"
            for e in entries[:LISTED]]
    more = f" and {len(entries) - LISTED:,} more" if len(entries) > LISTED else ""
    if report.leaks:
        raise LetterRefused(
            f"the release gate refused the letter for {d.package.request_id}: it shows a value the request "
            f"withholds: {'; '.join(what)}{more}. Nothing was issued or recorded. Find where the value came "
            "from and correct it: the decision's justification (decide again), the request's purpose statement "
            "(the requester resubmits without it) or the letter texts")
    raise LetterRefused(
        f"the release gate refused the letter for {d.package.request_id}: part of it cannot be read back "
        f"({'; '.join(report.unreadable[:LISTED])}), so it cannot be shown to hold no withheld value. Nothing "
        "was issued or recorded")


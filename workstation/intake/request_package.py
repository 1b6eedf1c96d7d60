"""Request packages (`"format": "dws.request/1"`, INTERCHANGE.md) and their subjects.

`read_request(path)` checks everything but the subjects and returns a ParsedRequest; its `subjects()`
streams the subjects (inline, or from `subjects_csv`), checking each and refusing a repeated ref. Only
structure is checked here — wrong type, unknown key, missing field, bad date, oversize, repeated or empty
ref, bad CSV shape, undecodable bytes. What a requester *says* (an unknown authority, "all" or a future year
as a period, a received date years back or ahead, an officer's 1,280,000 active matters, a placeholder name,
an incomplete address, a malformed TIN) imports as given, trimmed, and the rules judge it later.

Required (present and not null): format, request_id (1-64 of A-Z a-z 0-9 . _ -), received_on, authority
(any string up to 32 characters), in_writing, requester {agency (not empty)}, signer {name, role,
signature_present}, items (element names), periods (strings up to 16 characters), and exactly one of
subjects / subjects_csv. Optional (absent or null): statute {citation, class} and purpose {category,
statement?} (None when absent), solely_for_use_certified (false), officers (none), requester.component,
requester.agency_code, requester.address_lines, signer.title, officer title and active_matters,
court_order and consent (each complete when given: every key required, dates ISO).
A subject needs ref (not empty) and name (may be empty: the NAME rule judges it); tin, address, periods,
case_no and reason are optional. An address object needs street, city, state and zip (strings, may be
empty). In the CSV an empty cell is absent, and four empty address cells mean no address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from workstation.errors import InputError
from workstation.intake import csvfile, jsonread, subjects_csv, subjects_parallel
from workstation.intake.jsonread import NAME_MAX, REF_MAX, TEXT_MAX, Node, Obj
from workstation.intake.subjects_pack import PackedSubjects, pack_subjects
from workstation.model import (
    ELEMENTS,
    PURPOSE_CATEGORIES,
    SIGNER_ROLES,
    STATUTE_CLASSES,
    Address,
    Consent,
    CourtOrderRef,
    Officer,
    Requester,
    RequestPackage,
    Signer,
    Subject,
)

FORMAT = "dws.request/1"
AUTHORITY_MAX = 32
PERIOD_MAX = 16
TIN_MAX = 32
MAX_PERIODS = 64
MAX_OFFICERS = 1_000
MAX_INLINE_SUBJECTS = 100_000        # more belong in a subjects_csv
# INTERCHANGE.md: any integer from 0 to 2^53 - 1 imports, however implausible; OFFICERS judges the claim.
ACTIVE_MATTERS_MAX = 2**53 - 1
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}", re.ASCII)
_TOP_KEYS = ("format", "request_id", "received_on", "authority", "in_writing", "requester", "signer",
             "statute", "purpose", "solely_for_use_certified", "officers", "items", "periods", "subjects",
             "subjects_csv", "court_order", "consent")
SUBJECT_KEYS = ("ref", "name", "tin", "address", "periods", "case_no", "reason")
ADDRESS_KEYS = ("street", "city", "state", "zip")


@dataclass(frozen=True)
class ParsedRequest:
    package: RequestPackage
    source: str                                     # the JSON file's name, for messages
    inline: tuple[Node, ...] | None = field(default=None, repr=False, compare=False)
    csv_path: Path | None = field(default=None, repr=False, compare=False)

    def subjects(self) -> Iterator[Subject]:
        """Each subject, checked, in file order; InputError at the first bad one or repeated ref."""
        if self.csv_path is not None:
            yield from subjects_csv.read_subjects(self.csv_path, str(self.csv_path))
            return
        seen: set[str] = set()
        for node in self.inline or ():
            try:
                subject = _subject(node)
            except InputError:
                raise
            except Exception as exc:
                raise csvfile.unexpected_error(exc, self.source, node.path) from None
            if subject.ref in seen:
                first = next(other for other in self.inline or () if _ref_of(other) == subject.ref)
                raise InputError(f"ref is used twice (first at {first.path}.ref)", source=self.source,
                                 where=f"{node.path}.ref")
            seen.add(subject.ref)
            yield subject

    def subject_batches(self, size: int = 20_000) -> Iterator[PackedSubjects]:
        """The subjects, checked as `subjects` checks them, in packed batches of about `size` for the store."""
        if self.csv_path is not None:
            yield from subjects_parallel.subject_batches(self.csv_path, size)
            return
        batch: list[Subject] = []
        for subject in self.subjects():
            batch.append(subject)
            if len(batch) >= size:
                yield pack_subjects(batch)
                batch = []
        if batch:
            yield pack_subjects(batch)


@jsonread.guarded
def read_request(path: Path) -> ParsedRequest:
    """Read and check a request package (not yet its subjects: see ParsedRequest.subjects)."""
    source = str(path)
    top = Node(jsonread.load_json(path, source), "$", source)
    jsonread.check_format(top, FORMAT)
    obj = top.object(_TOP_KEYS)
    request_id = obj.text("request_id", REF_MAX)
    if not _REQUEST_ID.fullmatch(request_id or ""):
        raise InputError("must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'", source=source,
                         where="$.request_id")
    requester = _need(obj.child("requester", ("agency", "component", "agency_code", "address_lines")))
    signer = _need(obj.child("signer", ("name", "title", "role", "signature_present")))
    order = obj.child("court_order", ("court", "judge", "case_no", "signed_on", "items", "periods"),
                      required=False)
    consent = obj.child("consent", ("taxpayer_name", "taxpayer_tin", "designee", "items", "periods",
                                    "signed_on", "signature_present"), required=False)
    package = RequestPackage(
        request_id=request_id or "",
        received_on=obj.iso_date("received_on") or "",
        authority=obj.text("authority", AUTHORITY_MAX) or "",
        in_writing=obj.flag("in_writing"),
        requester=_requester(requester),
        signer=_signer(signer),
        statute=_statute(obj.child("statute", ("citation", "class"), required=False)),
        purpose=_purpose(obj.child("purpose", ("category", "statement"), required=False)),
        solely_for_use_certified=obj.flag("solely_for_use_certified", required=False),
        officers=tuple(_officer(n) for n in _list(obj, "officers", MAX_OFFICERS, required=False)),
        items=obj.texts("items", len(ELEMENTS), REF_MAX, choices=ELEMENTS) or (),
        periods=obj.texts("periods", MAX_PERIODS, PERIOD_MAX) or (),
        court_order=_court_order(order),
        consent=_consent(consent),
        subjects_csv=obj.text("subjects_csv", 1024, required=False),
    )
    inline, csv_path = _subject_source(obj, path)
    return ParsedRequest(package, source, inline, csv_path)


def _need(value: Obj | None) -> Obj:
    assert value is not None                        # required=True raised already
    return value


def _list(obj: Obj, key: str, max_items: int, *, required: bool = True) -> list[Node]:
    node = obj.node(key, required)
    return node.items(max_items) if node else []


def _subject_source(obj: Obj, path: Path) -> tuple[tuple[Node, ...] | None, Path | None]:
    has_inline, has_csv = obj.has("subjects"), obj.has("subjects_csv")
    if has_inline == has_csv:
        which = "both are given" if has_inline else "neither is given"
        raise InputError(f"exactly one of subjects and subjects_csv must be given ({which})",
                         source=str(path), where="$")
    if has_inline:
        return tuple(_list(obj, "subjects", MAX_INLINE_SUBJECTS)), None
    node = obj.node("subjects_csv")
    assert node is not None
    csv_path = subjects_csv_path(node, path)
    subjects_csv.check_header(csv_path, str(csv_path))
    return None, csv_path


def subjects_csv_path(node: Node, json_path: Path) -> Path:
    """The subjects CSV named by `node`: a relative path beside the JSON that stays inside its folder."""
    rel = node.text(1024, non_empty=True)
    if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).anchor or rel.startswith("~"):
        raise node.error("must be a relative path to a file beside the request (not an absolute path)")
    if ".." in re.split(r"[\\/]", rel):
        raise node.error("must not contain '..' (the file must be beside the request)")
    base = json_path.parent
    candidate = base / rel
    try:
        resolved = candidate.resolve(strict=True)
        inside = resolved.is_relative_to(base.resolve(strict=True))
    except FileNotFoundError:
        raise node.error("names a file that does not exist beside the request") from None
    except (OSError, RuntimeError):
        raise node.error("names a file that cannot be opened") from None
    if not inside:
        raise node.error("leads outside the request's folder (through a link)")
    if not resolved.is_file():
        raise node.error("must name a regular file")
    return candidate


def _requester(obj: Obj) -> Requester:
    return Requester(
        agency=obj.text("agency", NAME_MAX, non_empty=True) or "",
        component=obj.text("component", NAME_MAX, required=False),
        agency_code=obj.text("agency_code", REF_MAX, required=False),
        address_lines=obj.texts("address_lines", 10, NAME_MAX, required=False) or (),
    )


def _signer(obj: Obj) -> Signer:
    return Signer(
        name=obj.text("name", NAME_MAX) or "",
        title=obj.text("title", NAME_MAX, required=False),
        role=obj.choice("role", SIGNER_ROLES) or "",
        signature_present=obj.flag("signature_present"),
    )


def _statute(obj: Obj | None) -> dict[str, str] | None:
    if obj is None:
        return None
    return {"citation": obj.text("citation", NAME_MAX) or "",
            "class": obj.choice("class", STATUTE_CLASSES) or ""}


def _purpose(obj: Obj | None) -> dict[str, str] | None:
    if obj is None:
        return None
    return {"category": obj.choice("category", PURPOSE_CATEGORIES) or "",
            "statement": obj.text("statement", TEXT_MAX, required=False, multiline=True) or ""}


def _officer(node: Node) -> Officer:
    obj = node.object(("name", "title", "active_matters"))
    return Officer(name=obj.text("name", NAME_MAX) or "", title=obj.text("title", NAME_MAX, required=False),
                   active_matters=obj.integer("active_matters", maximum=ACTIVE_MATTERS_MAX, required=False))


def _court_order(obj: Obj | None) -> CourtOrderRef | None:
    if obj is None:
        return None
    return CourtOrderRef(
        court=obj.text("court", NAME_MAX) or "", judge=obj.text("judge", NAME_MAX) or "",
        case_no=obj.text("case_no", REF_MAX) or "", signed_on=obj.iso_date("signed_on") or "",
        items=obj.texts("items", len(ELEMENTS), REF_MAX, choices=ELEMENTS) or (),
        periods=obj.texts("periods", MAX_PERIODS, PERIOD_MAX) or (),
    )


def _consent(obj: Obj | None) -> Consent | None:
    if obj is None:
        return None
    return Consent(
        taxpayer_name=obj.text("taxpayer_name", NAME_MAX) or "",
        taxpayer_tin=obj.text("taxpayer_tin", TIN_MAX) or "",
        designee=obj.text("designee", NAME_MAX) or "",
        items=obj.texts("items", len(ELEMENTS), REF_MAX, choices=ELEMENTS) or (),
        periods=obj.texts("periods", MAX_PERIODS, PERIOD_MAX) or (),
        signed_on=obj.iso_date("signed_on") or "",
        signature_present=obj.flag("signature_present"),
    )


def _ref_of(node: Node) -> Any:
    value = node.value.get("ref") if isinstance(node.value, dict) else None
    return value.strip() if isinstance(value, str) else value


def _subject(node: Node) -> Subject:
    obj = node.object(SUBJECT_KEYS)
    address = obj.child("address", ADDRESS_KEYS, required=False)
    return Subject(
        ref=obj.text("ref", REF_MAX, non_empty=True) or "",
        name=obj.text("name", NAME_MAX) or "",
        tin=obj.text("tin", TIN_MAX, required=False),
        address=Address(*(address.text(key, NAME_MAX) or "" for key in ADDRESS_KEYS)) if address else None,
        periods=obj.texts("periods", MAX_PERIODS, PERIOD_MAX, required=False) or (),
        case_no=obj.text("case_no", REF_MAX, required=False),
        reason=obj.text("reason", TEXT_MAX, required=False, multiline=True),
    )

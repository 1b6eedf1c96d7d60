"""Stored request packages (canonical JSON of `dataclasses.asdict(RequestPackage)`) back to value objects."""

from __future__ import annotations

import json
from typing import Any

from .model import Consent, CourtOrderRef, Officer, Requester, RequestPackage, Signer


def _tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v or ())


def package_from_json(text: str) -> RequestPackage:
    d = json.loads(text)
    co = d.get("court_order")
    cs = d.get("consent")
    return RequestPackage(
        request_id=d["request_id"], received_on=d["received_on"], authority=d["authority"],
        in_writing=d["in_writing"],
        requester=Requester(**{**d["requester"], "address_lines": _tuple(d["requester"]["address_lines"])}),
        signer=Signer(**d["signer"]), statute=d.get("statute"), purpose=d.get("purpose"),
        solely_for_use_certified=d["solely_for_use_certified"],
        officers=tuple(Officer(**o) for o in d["officers"]), items=_tuple(d["items"]),
        periods=_tuple(d["periods"]),
        court_order=CourtOrderRef(**{**co, "items": _tuple(co["items"]), "periods": _tuple(co["periods"])})
        if co else None,
        consent=Consent(**{**cs, "items": _tuple(cs["items"]), "periods": _tuple(cs["periods"])}) if cs else None,
        subjects_csv=d.get("subjects_csv"),
    )

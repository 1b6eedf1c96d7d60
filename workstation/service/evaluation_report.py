"""The `dws evaluate --json` document of spec/INTERCHANGE.md: an evaluation's summary and, unless a summary is
asked for, every subject's findings and release plan (MATCH's candidates masked, and their viewing logged)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import InputError
from ..results import EvaluationDoc
from ..rules.findings import citation
from ..store import evaluation as ev
from . import review
from .context import Ctx


def document(s: Ctx, request_id: str, doc: EvaluationDoc, *, summary: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"request_id": request_id, "recommendation": doc["recommendation"],
                           "needs_review": doc["needs_review"], "counts": doc["counts"],
                           "as_of": doc["as_of"], "plan_hash": doc["plan_hash"]}
    request_findings = [f for f in doc["request_findings"] if f["outcome"] != "pass"]
    if summary:
        out["findings_by_code"] = doc["code_counts"]
        out["findings"] = request_findings
        return out
    row = ev.package(s.conn, request_id)
    if row is None:
        raise InputError(f"no request {request_id!r} in the store (see 'dws list')")
    rid, package_json = row[0], row[1]
    authority = json.loads(package_json)["authority"]

    findings: list[Mapping[str, object]] = list(request_findings)
    release = []
    named: list[str] = []           # refs whose MATCH candidates are shown (a logged view)
    for _seq, ref, _status, _matched, f_json, released, withheld, stored in ev.result_rows(s.conn, rid,
                                                                                             candidates=True):
        for code, outcome, message in json.loads(f_json):
            finding = {"code": code, "scope": "subject", "ref": ref, "outcome": outcome, "message": message,
                       "citation": citation(code, authority)}
            if stored and code == "MATCH" and outcome != "fail":
                finding["candidates"] = review.masked_candidates(stored)    # masked TINs, never a letter's
                named.append(ref)
            findings.append(finding)
        release.append({"ref": ref, "released": released.split(",") if released else [],
                        "withheld": [{"item": w.split(":", 1)[0], "code": w.split(":", 1)[1]}
                                     for w in withheld.split(",") if w]})
    review.log_candidates_viewed(s, request_id, named)
    out["findings"] = findings
    out["release"] = release
    return out

"""What the request-level checks share: the `RequestContext` they read and the helpers that write their
messages (request-level facts only — element names, tax years, counts — never taxpayer values)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from workstation.model import AgencyEntry, CourtOrder, RequestPackage
from workstation.rules.findings import FAIL, PASS, Finding, request_finding
from workstation.settings import DEFAULTS

I2, I1, C, D1, FOIA = "6103(i)(2)", "6103(i)(1)", "6103(c)", "6103(d)(1)", "foia"


@dataclass(frozen=True)
class RequestContext:
    package: RequestPackage
    subject_count: int
    as_of: date                          # evaluation date (court-order windows, future years, consent age)
    settings: Mapping[str, Any]          # store settings (workstation/settings.py DEFAULTS)
    court_orders: Sequence[CourtOrder]   # the whole register
    agency: AgencyEntry | None           # register entry for package.requester.agency_code, if any
    subjects_per_officer_max: int | None = None  # unused: computed from subject_count / officers

    def setting(self, key: str) -> Any:
        return self.settings.get(key, DEFAULTS[key])

    def finding(self, code: str, outcome: str, message: str, cite: str | None = None, *,
                partial: bool = False) -> Finding:
        return request_finding(code, self.package.authority, outcome, message, cite, partial=partial)


def clip(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote(text: str, limit: int = 40) -> str:
    return repr(clip(text, limit))


def join(values: Iterable[str]) -> str:
    return ", ".join(values) or "none"


def names(values: Sequence[str]) -> str:
    """Requester-given names (elements, periods), clipped; at most ten, then a count of the rest."""
    shown = [clip(v, 20) for v in values[:10]]
    return join(shown) + (f" and {len(values) - 10} more" if len(values) > 10 else "")


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values))


def parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text else None
    except ValueError:
        return None


def fold(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def party(text: str | None) -> str:
    """A party's name compared after normalization: case, spacing and punctuation folded."""
    return " ".join(re.findall(r"[^\W_]+", (text or "").casefold()))


def problems_found(ctx: RequestContext, code: str, problems: list[str], ok: str, *,
                   partial: bool = False) -> list[Finding]:
    """One FAIL finding listing the problems (a sentence), or one PASS finding saying `ok`."""
    if problems:
        message = "; ".join(problems)
        return [ctx.finding(code, FAIL, message[0].upper() + message[1:] + ".", partial=partial)]
    return [ctx.finding(code, PASS, ok)]

"""The Overview tab: who asks, under what authority, for what, and the recommendation. Every value here came
from a request package, so every label is plain text."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QScrollArea, QVBoxLayout, QWidget

from workstation.model import Officer, RequestPackage

from .labels import InfoLabel, plain_label
from .values import Evaluation, RequestSnapshot

FIELDS: tuple[str, ...] = (
    "Request", "Received", "Authority", "Requester", "Requester address", "Signed by", "Statute", "Purpose",
    "Solely-for-use certified", "Officers", "Items requested", "Tax periods", "Court order", "Consent",
    "Subjects", "Recommendation", "Evaluated as of", "Decision",
)


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _officer(o: Officer) -> str:
    matters = "?" if o.active_matters is None else f"{o.active_matters:,}"
    return f"{o.name}, {o.title or 'no title'} ({matters} active matters)"


def overview_values(snapshot: RequestSnapshot) -> dict[str, str]:
    p: RequestPackage = snapshot.package
    e: Evaluation = snapshot.evaluation
    r = p.requester
    order = p.court_order
    consent = p.consent
    decision = snapshot.decision
    return {
        "Request": p.request_id,
        "Received": p.received_on,
        "Authority": p.authority,
        "Requester": " — ".join(x for x in (r.agency, r.component, r.agency_code) if x),
        "Requester address": "\n".join(r.address_lines),
        "Signed by": f"{p.signer.name}, {p.signer.title or 'no title'} ({p.signer.role}); signature "
                     f"{'present' if p.signer.signature_present else 'MISSING'}; in writing: {_yes(p.in_writing)}",
        "Statute": f"{p.statute.get('citation', '')} ({p.statute.get('class', '')})" if p.statute else "none given",
        "Purpose": (f"{p.purpose.get('category', '')}: {p.purpose.get('statement', '')}" if p.purpose
                    else "none given"),
        "Solely-for-use certified": _yes(p.solely_for_use_certified),
        "Officers": "\n".join(_officer(o) for o in p.officers) or "none named",
        "Items requested": ", ".join(p.items),
        "Tax periods": ", ".join(p.periods),
        "Court order": (f"{order.court}, {order.case_no}, Judge {order.judge}, signed {order.signed_on}"
                        if order else "none"),
        "Consent": (f"to {consent.designee}, signed {consent.signed_on}, signature "
                    f"{'present' if consent.signature_present else 'MISSING'}" if consent else "none"),
        "Subjects": f"{e.subjects:,} — releasable {e.releasable:,}, withheld {e.withheld:,}, "
                    f"no record {e.no_record:,}",
        "Recommendation": e.recommendation + (" (provisional: some checks need review)" if e.needs_review else ""),
        "Evaluated as of": e.as_of,
        "Decision": (f"{decision.outcome}, {decision.status} ({decision.decision_id})" if decision is not None
                     else "none yet"),
    }


class OverviewTab(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        body = QWidget()
        form = QFormLayout(body)
        self.values: dict[str, InfoLabel] = {}
        for name in FIELDS:
            value = InfoLabel(name, selectable=True)
            caption = plain_label(name + ":")
            caption.setBuddy(value)
            form.addRow(caption, value)
            self.values[name] = value
        scroll = QScrollArea()
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)       # Tab goes to each value; the area follows it
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)

    def show_snapshot(self, snapshot: RequestSnapshot) -> None:
        for name, text in overview_values(snapshot).items():
            self.values[name].setText(text)

"""Letters of every kind a demo store makes, issued once per test session through the service (decided as
recommended by a reviewer, approved where needed, issued by the approver), for the tests that read them as
a recipient would (tests/test_letters_tagged.py, tests/test_letters_reading.py)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from workstation.demo_store import create_demo_store, demo_passphrase
from workstation.service import Workstation

# One request for each kind and shape of letter: grants and a partial grant (schedule, withheld groups, the
# safeguards list), a state-tax grant (filing status released), declinations (a court order, a bulk request's
# subject defects, a signer's role and a purpose category in the findings), and both FOIA responses.
LETTERS = ("DEMO-I2-PARTIAL", "DEMO-C-VALID", "DEMO-D1-VALID", "DEMO-I2-COURT-ORDER", "DEMO-I2-BULK",
           "DEMO-I2-SIGNER", "DEMO-I2-PURPOSE", "DEMO-FOIA-FIRST-PARTY", "DEMO-FOIA-THIRD-PARTY")


@dataclass(frozen=True)
class Letter:
    request_id: str
    kind: str
    pdf: bytes
    path: Path

    @property
    def rendered(self) -> bytes:
        """The file as rendered, before the signature's incremental update."""
        end = self.pdf.index(b"%%EOF") + len(b"%%EOF\n")
        return self.pdf[:end]

    def text(self) -> str:
        """The text as pypdf extracts it, page after page."""
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(self.pdf)).pages)


@pytest.fixture(scope="session", name="demo_letters")
def demo_letters_fixture(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Letter]:
    root = tmp_path_factory.mktemp("demo-letters")
    store = root / "store"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DWS_NO_KEYRING", "1")
        create_demo_store(store, taxpayers=1000, bulk_subjects=120, seed=3)
        ws = Workstation(store)
        pending = []
        with ws.unlock("rita", demo_passphrase("rita")) as s:
            recommended = {r.request_id: r.recommendation for r in s.queue()}
            for rid in LETTERS:
                outcome = recommended[rid]
                justification = None if outcome in ("grant", "partial", "deny") else "Declined after review."
                decision = s.decide(rid, outcome if justification is None else "deny", justification,
                                    demo_passphrase("rita"))
                if not decision.final:
                    pending.append(rid)
        out: dict[str, Letter] = {}
        with ws.unlock("alex", demo_passphrase("alex")) as s:
            for rid in pending:
                s.approve(rid, demo_passphrase("alex"))
            for rid in LETTERS:
                issued = s.letter(rid, demo_passphrase("alex"))
                path = root / f"{rid}.pdf"
                path.write_bytes(issued.pdf)
                out[rid] = Letter(rid, issued.kind, issued.pdf, path)
    return out

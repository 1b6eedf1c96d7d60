"""Issue 18, item 12 (second half): before the passphrase, the signing dialog restates what is signed — the
request, the outcome and the recommendation, the released items, how many subjects are released and withheld,
and the decision's hash — and the hash shown is the one stored with the decision (the service prepares the
document first and signs exactly those bytes, or nothing if the request changed meanwhile). Approving shows the
same facts of the decision being approved."""

from __future__ import annotations

import hashlib

import pytest
from guihelp import (  # noqa: F401
    GUI_MARKS,
    WAIT_MS,
    DemoTemplate,
    answer_passphrase,
    ask,
    demo_template_fixture,
    desktops_fixture,
    store_fixture,
    unlock,
    wait_idle,
)

from ui.signing_dialog import grouped
from workstation.demo_store import demo_passphrase
from workstation.errors import InputError
from workstation.service import Workstation
from workstation.wording import listing

pytestmark = GUI_MARKS
REQUEST = "DEMO-I2-PARTIAL"          # recommended for a partial grant: some items released, some withheld


def sign_in_dialog(qtbot, desktops, user: str, approve: bool) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """As `user`, open REQUEST, press Sign (or Approve), read the dialog and answer it with the passphrase."""
    desktop = desktops.start()
    window = unlock(qtbot, desktop, user)
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):
        window.open_request(REQUEST)
    tab = window.request.decision
    window.show_tab(tab)
    answered: list[str] = []
    answer_passphrase(demo_passphrase(user), answered)
    with qtbot.waitSignal(window.request.request_loaded, timeout=WAIT_MS):       # reloaded once signed
        (tab.approve if approve else tab.sign).click()
    wait_idle(qtbot, desktop.db)
    assert len(answered) == 1
    facts = dict(line.split(": ", 1) for line in answered[0].splitlines()[1:])
    desktops.quit(desktop)
    return answered[0], facts


def test_the_dialog_restates_the_decision_and_its_hash_is_the_stored_one(qtbot, store: Workstation,
                                                                        desktops) -> None:  # type: ignore[no-untyped-def]
    with store.unlock("rita", demo_passphrase("rita")) as s:
        evaluation = s.evaluate(REQUEST)
    counts = evaluation["counts"]
    assert counts["releasable"] > 0 and counts["withheld"] > 0
    items = evaluation["released_items"].split(",")

    text, facts = sign_in_dialog(qtbot, desktops, "rita", approve=False)
    assert text.startswith("Sign the decision: enter your passphrase again.")
    assert facts["Request"] == REQUEST
    assert facts["Outcome"] == "partial" and facts["Recommendation"].startswith("partial")
    assert facts["Released items"] == listing(items) and items
    subjects = f"{counts['subjects']} subjects: {counts['releasable']} released, {counts['withheld']} withheld"
    assert facts["Subjects"].startswith(subjects)
    assert facts["Approval"] == "needs a second signature by an approver"
    with store.unlock("otto", demo_passphrase("otto")) as s:
        decision = s.decision(REQUEST)
        files = s.export_decision(REQUEST).files
    assert facts["Decision hash (SHA-256)"] == grouped(decision.doc_hash)
    assert decision.doc_hash == hashlib.sha256(files["decision.json"]).hexdigest()   # the bytes signed
    assert facts["Decision"].startswith(f"{decision.decision_id}, prepared by rita")
    assert decision.status == "signed" and decision.preparer == "rita"

    text, approval = sign_in_dialog(qtbot, desktops, "alex", approve=True)     # the approver sees the same
    assert text.startswith("Approve the decision: enter your passphrase again.")
    assert approval == facts
    with store.unlock("otto", demo_passphrase("otto")) as s:
        approved = s.decision(REQUEST)
    assert approved.status == "approved" and approved.doc_hash == decision.doc_hash


def test_nothing_is_signed_when_the_request_changed_after_the_dialog_showed_it(store: Workstation) -> None:
    with store.unlock("rita", demo_passphrase("rita")) as s:
        draft = s.prepare_decision(REQUEST, "partial", None)
        assert s.decision(REQUEST) is None                           # preparing stores nothing
        row = next(r for r in s.subject_rows(REQUEST, 0, 50) if r.released)
        s.add_override(REQUEST, row.ref, row.released[0], "withhold", "withheld on a second look at the file")
        with pytest.raises(InputError, match="changed since its decision was prepared"):
            s.sign_decision(draft, demo_passphrase("rita"))
        assert s.decision(REQUEST) is None
        signed = s.sign_decision(s.prepare_decision(REQUEST, "partial", None), demo_passphrase("rita"))
    with store.unlock("alex", demo_passphrase("alex")) as s:
        shown = s.approval_summary(REQUEST)
        assert shown.doc_hash == signed.doc_hash != draft.doc_hash
        with pytest.raises(InputError, match="changed since it was shown"):
            s.approve(REQUEST, demo_passphrase("alex"), expected_hash="0" * 64)
        assert s.approve(REQUEST, demo_passphrase("alex"), expected_hash=shown.doc_hash).status == "approved"

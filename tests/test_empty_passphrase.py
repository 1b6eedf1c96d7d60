"""Issue 18 item 8: an empty passphrase (or recovery code) is not an attempt: it is refused with a prompt to
enter one, counts towards no lockout and writes nothing to the log."""

from __future__ import annotations

import pytest
from conftest import REVIEWER_PW

from workstation.errors import AuthError
from workstation.store import auditlog


def test_empty_entries_never_lock_anyone_out(admin, workstation) -> None:  # type: ignore[no-untyped-def]
    admin.close()
    for _ in range(5):
        with pytest.raises(AuthError, match="enter the passphrase for 'rita'"):
            workstation.unlock("rita", "")
        with pytest.raises(AuthError, match="enter the recovery code"):
            workstation.unlock_recovery("   ")
    with workstation.unlock("rita", REVIEWER_PW) as rita:
        for _ in range(5):
            with pytest.raises(AuthError, match="enter your passphrase"):
                rita.reauthenticate("")
        rita.reauthenticate(REVIEWER_PW)
        events = [e.event for e in auditlog.entries(rita.conn)]
    assert not {"unlock-failed", "reauth-failed", "recovery-unlock-failed"} & set(events)
    with workstation.unlock("rita", REVIEWER_PW):
        pass

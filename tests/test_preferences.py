"""Issue 22, item 3: a user's display preference (View › High contrast) is kept in the store, per user, through
the service: not logged, no evaluation made stale, refused for an unknown key or a wrong type, not kept for a
recovery-code session (no user)."""

from __future__ import annotations

import pytest
from conftest import ADMIN_PW, REVIEWER_PW

from workstation.errors import InputError
from workstation.store import auditlog
from workstation.store import evaluation as evaluation_sql


def test_a_preference_is_kept_for_its_user_only(workstation, admin) -> None:
    head, version = auditlog.head(admin.conn)[0], evaluation_sql.data_version(admin.conn)
    assert admin.preference("high_contrast") is None
    assert admin.set_preference("high_contrast", True) is True
    assert admin.preference("high_contrast") is True
    assert (auditlog.head(admin.conn)[0], evaluation_sql.data_version(admin.conn)) == (head, version)
    admin.close()
    with workstation.unlock("rita", REVIEWER_PW) as rita:
        assert rita.preference("high_contrast") is None
        rita.set_preference("high_contrast", False)
    with workstation.unlock("admin", ADMIN_PW) as again:
        assert again.preference("high_contrast") is True
        again.set_preference("high_contrast", None)             # back to "as the desktop asks"
        assert again.preference("high_contrast") is None
    with workstation.unlock("rita", REVIEWER_PW) as rita:
        assert rita.preference("high_contrast") is False


def test_a_bad_preference_is_refused_with_one_message(admin) -> None:
    with pytest.raises(InputError, match="unknown preference 'font'"):
        admin.set_preference("font", "large")
    with pytest.raises(InputError, match="'high_contrast' must be bool"):
        admin.set_preference("high_contrast", "yes")
    assert admin.preference("high_contrast") is None


def test_a_recovery_code_session_keeps_no_preference(workstation, store_dir) -> None:
    session, code, _notice = workstation.init("admin", ADMIN_PW)
    session.close()
    with workstation.unlock_recovery(code) as recovery:
        assert recovery.set_preference("high_contrast", True) is False
        assert recovery.preference("high_contrast") is None

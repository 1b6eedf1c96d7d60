"""The one store interface (workstation/service/engine.py, issue 19 item 1): what both engines do is StoreEngine,
and what only the local store does is named, with its reason, in tests/engines.py's LOCAL_ONLY."""

from __future__ import annotations

from pathlib import Path

import pytest
from engines import LOCAL_ONLY, PLUMBING, USERS, Engine

from workstation.errors import InputError
from workstation.service.engine import StoreEngine
from workstation.service.office_desktop import OfficeSession
from workstation.service.session import Session


def public(cls: type) -> set[str]:
    return {n for n in dir(cls) if not n.startswith("_")}


def test_every_session_method_is_on_both_engines_or_named_local_only() -> None:
    local_only = [m for methods, _why in LOCAL_ONLY.values() for m in methods]
    assert len(local_only) == len(set(local_only))
    assert public(Session) - public(StoreEngine) - set(PLUMBING) == set(local_only)
    assert public(StoreEngine) - {"user", "role"} <= public(OfficeSession)      # those two: its attributes
    assert all(why for _methods, why in LOCAL_ONLY.values())


def test_each_user_has_their_own_checkpoint_key_on_both_engines(engine: Engine) -> None:
    with engine.open("rita") as rita, engine.open("otto") as otto:
        key = rita.checkpoint_verifier_key()
        assert key == rita.checkpoint().verifier_key
        assert key.startswith("rita@") and otto.checkpoint_verifier_key() != key
        assert otto.checkpoint_verifier_key().startswith("otto@") and otto.checkpoint_verifier_key("rita") == key
        with pytest.raises(InputError, match="no user 'nobody'"):
            otto.checkpoint_verifier_key("nobody")


def test_a_new_store_is_empty_and_its_log_verifies(engine: Engine, tmp_path: Path) -> None:
    with engine.open("otto") as s:
        assert isinstance(s.user, str) and s.user == "otto" and s.role == "auditor"
        assert s.queue() == [] and s.court_orders() == []
        report = s.verify()
        assert report.ok and report.first_bad_entry is None
        # the local store logs its making; the engine's office is made as tests/officehelp.py makes one (no
        # 'office init', which logs the office's making), so its log holds only each user's checkpoint key
        events = engine.events()
        assert report.entries == len(events) + (1 if engine.kind == "local" else 0)          # + otto's unlock
        if engine.kind == "office":
            assert sorted((e, o) for e, o, _d in events) == [("checkpoint-key-enrolled", u) for u in sorted(USERS)]
    assert engine.counts() == {"requests": 0, "subjects": 0, "records": 0, "orders": 0, "agencies": 0}


def test_both_sessions_are_store_engines_at_run_time_too() -> None:
    """mypy checks it (workstation/service/__init__.py); here, that no method is missing at run time."""
    for name in public(StoreEngine):
        assert callable(getattr(Session, name, None)) or isinstance(getattr(Session, name, None), property), name
        assert hasattr(OfficeSession, name) or name in ("user", "role"), name

"""The request view's subject list on an office desktop (service/office_desktop_request.py) reads the office's
latest evaluation of a request once to open a request not open yet (as of that evaluation's day; the opening then
reads it once itself, to know whether this evaluation is recorded: office_open._record), and not at all once it is
open; before the office holds an evaluation, no subjects (one read). On a real TLS PostgreSQL server
(tests/engines.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engines import Engine
from letterdata import AS_OF
from test_engine_decisions import load

from workstation.service import office_evaluation

RID = "LTR-PARTIAL"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The request ids whose recorded evaluation the office desktop read (office_evaluation.recorded, still run)."""
    done: list[str] = []
    real: Callable[..., Any] = office_evaluation.recorded

    def recorded(o: Any, request_id: str) -> Any:
        done.append(request_id)
        return real(o, request_id)

    monkeypatch.setattr(office_evaluation, "recorded", recorded)
    return done


@pytest.mark.parametrize("engine", ["office"], indirect=True)
def test_the_subject_list_reads_the_recorded_evaluation_once(engine: Engine, tmp_path: Path,
                                                             reads: list[str]) -> None:
    load(engine, tmp_path / "in", RID)
    with engine.open("rita") as rita:
        assert rita.subject_count(RID) == 0 and rita.subject_rows(RID, 0, 10) == [] \
            and rita.find_subjects(RID, "1") == []                  # nothing evaluated yet: one read each
        assert reads == [RID] * 3
        rita.evaluate(RID, AS_OF)
    for read in (lambda s: s.subject_count(RID) == 6, lambda s: len(s.subject_rows(RID, 0, 10)) == 6,
                 lambda s: len(s.find_subjects(RID, "1")) == 1):
        reads.clear()
        with engine.open("alex") as alex:                           # a new session: the request is not open
            assert read(alex)
            assert reads == [RID, RID]                              # its day; the opening's own
            assert read(alex)                                       # open now: read on its working copy
            assert reads == [RID, RID]

"""The typed documents say what the store and the settings really hold (issue 18 item 20): a TypedDict that
drifted from the columns, the finding's fields or the settings' defaults would let mypy pass on a wrong key."""

from __future__ import annotations

import dataclasses
import typing

from workstation.results import EvaluationCounts, EvaluationDoc, FindingDoc
from workstation.rules.findings import Finding
from workstation.settings import DEFAULTS, Settings
from workstation.store.evaluation import EVALUATION_COLUMNS


def _types(cls: type) -> dict[str, object]:
    return typing.get_type_hints(cls)


def test_the_evaluation_document_has_the_stored_columns_in_order() -> None:
    assert tuple(EvaluationDoc.__annotations__) == EVALUATION_COLUMNS
    assert set(EvaluationCounts.__annotations__) == {"subjects", "releasable", "withheld", "no_record"}


def test_a_stored_finding_has_the_findings_fields_in_order() -> None:
    assert tuple(FindingDoc.__annotations__) == tuple(f.name for f in dataclasses.fields(Finding))


def test_the_settings_type_names_every_setting_with_its_defaults_type() -> None:
    hints = _types(Settings)
    assert set(hints) == set(DEFAULTS)
    for key, default in DEFAULTS.items():
        expected = typing.get_origin(hints[key]) or hints[key]
        assert isinstance(default, expected), key

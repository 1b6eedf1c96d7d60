"""The store's settings as users see them, for the Settings dialog and `dws settings` alike: each value, its
default and why this user may not change it (`Session.setting_refusal`). Changes go through
`Session.change_setting`, which checks the role, the office policy and the value, and logs each change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..model import SettingRow
from ..settings import DEFAULTS

if TYPE_CHECKING:
    from .session import Session


def setting_rows(s: Session) -> tuple[SettingRow, ...]:
    """Every setting with its value, its default and why this user may not change it (None: they may)."""
    return tuple(SettingRow(key, value, DEFAULTS.get(key), s.setting_refusal(key))
                 for key, value in s.settings().items())

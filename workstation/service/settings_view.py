"""The store's settings as users see them, for the Settings dialog and `dws settings` alike: each value, its
default and why this user may not change it (`refusal`). Changes go through `change`, which checks the role,
the office policy and the value, and logs each change."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .. import policy
from ..errors import InputError, PermissionDenied
from ..model import SettingRow
from ..settings import COUNSEL_SETTINGS, DEFAULTS, Settings, SettingValue, coerce, pair_refusal
from ..store import db
from ..store import evaluation as evaluation_sql
from ..store import settings as settings_sql
from .context import Ctx


def setting_rows(s: Ctx) -> tuple[SettingRow, ...]:
    """Every setting with its value, its default and why this user may not change it (None: they may)."""
    return tuple(SettingRow(key, value, DEFAULTS.get(key), refusal(s, key))
                 for key, value in s.settings().items())


def refusal(s: Ctx, key: str) -> str | None:
    """Why this user may not change `key` (the checks `change` makes before the value), or None."""
    try:
        s.require("change-settings")
    except PermissionDenied as exc:
        return str(exc)
    if key not in DEFAULTS:
        return f"unknown setting {key!r}"
    fixed = policy.current()
    if fixed.fixes(key):
        return f"set by the office policy in {fixed.path}; only an administrator of this computer can change it"
    if key in COUNSEL_SETTINGS and s.role != "counsel":
        return f"only counsel may change the rule threshold {key!r}"
    return None


def change(s: Ctx, key: str, value: object) -> None:
    s.require("change-settings")
    checked = checked_change(key, value, s.role, s.settings)
    old = s.setting(key)
    with db.transaction(s.conn):
        settings_sql.put(s.conn, key, checked, s.user)
        evaluation_sql.bump_data_version(s.conn)
        s.log("setting-changed", key, {"from": old, "to": checked})


def checked_change(key: str, value: object, role: str | None, current: Callable[[], Settings],
                   not_here: Mapping[str, str] | None = None) -> SettingValue:
    """The value `change` would store for `key` (a local store's and an office's alike), after the checks a user
    sees: the office policy file, counsel's thresholds (`role`: the local role's name), a setting this store does
    not keep (`not_here`: key -> why), the value itself and its pair with the `current` settings."""
    fixed = policy.current()
    if fixed.fixes(key):
        raise PermissionDenied(f"setting {key!r} is set by the office policy in {fixed.path}; "
                               "only an administrator of this computer can change it there")
    if key in COUNSEL_SETTINGS and role != "counsel":
        raise PermissionDenied(f"only counsel may change the rule threshold {key!r}")
    if not_here and key in not_here:
        raise InputError(f"setting {key!r}: {not_here[key]}")
    try:
        checked = coerce(key, value)
    except KeyError:
        raise InputError(f"unknown setting {key!r}") from None
    except ValueError as exc:
        raise InputError(f"setting {key!r}: {exc}") from None
    refused = pair_refusal(key, checked, current())
    if refused:
        raise InputError(f"setting {key!r}: {refused}")
    return checked

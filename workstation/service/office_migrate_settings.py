"""A migrated local store's settings into the office (issue 19 item 6): the part of `dws office migrate` and of
its counsel's step (`--court-orders`) that makes the office evaluate, and write letters, as the local store did.

The office keeps one value of each setting for every desktop (office_settings.py), and the server itself lets
counsel alone set the rule thresholds (settings.COUNSEL_SETTINGS) and counsel or an admin the rest
(store/office/settings.py). So each step moves the settings its own role may set, in its own transaction, and no
server path lets one role set what the office's rules give another:
- ADMINS, every setting but the rule thresholds and `witness_folder`, in the admin's migration transaction;
- COUNSELS, the rule thresholds, in counsel's step;
- `witness_folder` is not moved: each office desktop writes the office log's checkpoints to its own witness folder
  (office_witness_folder.py; office_settings.NOT_OFFICE_WIDE).

A setting moves when the local store's value (a value it keeps, else the default; a desktop's office policy file
wins over either, on both, as before) differs from the office's. An office already holding another value of it
(set by someone in the office, or by a store migrated before) stops the step with one message naming the setting
and both values, and the office unchanged: an office has one value for every desktop, and choosing between them is
a person's act (`dws settings set` on either, then run it again). Each moved setting is sealed as `dws settings
set` seals it and logged in the office log as a change is (`setting-changed`, from the office's value to the local
one, in clear: no setting is a taxpayer value), with the store's id.
"""

from __future__ import annotations

import json
from typing import cast

from ..errors import InputError, StoreError
from ..settings import COUNSEL_SETTINGS, DEFAULTS, SettingValue, coerce
from ..store import settings as local_settings
from ..store.office import settings as settings_sql
from . import office_settings
from .context import Ctx
from .office_records import OfficeCtx

ADMINS = tuple(sorted(k for k in DEFAULTS if k not in COUNSEL_SETTINGS and k not in office_settings.NOT_OFFICE_WIDE))
COUNSELS = tuple(sorted(COUNSEL_SETTINGS))
NOT_MOVED = tuple(sorted(office_settings.NOT_OFFICE_WIDE))


def _local(s: Ctx) -> dict[str, SettingValue]:
    """The local store's settings as it keeps them (a value it keeps, else the default), without any policy."""
    return cast(dict[str, SettingValue], dict(local_settings.all_settings(s.conn, {})))


def _shown(value: SettingValue) -> str:
    return json.dumps(value, ensure_ascii=False)


def differing(s: Ctx, o: OfficeCtx, keys: tuple[str, ...]) -> tuple[str, ...]:
    """The settings of `keys` whose local value is not the office's (what a step would move or refuse)."""
    local = _local(s)
    office = office_settings.opened(o)
    return tuple(key for key in keys if local[key] != office.get(key, DEFAULTS[key]))


def not_moved(s: Ctx) -> tuple[str, ...]:
    """The settings the local store changed that no step moves (NOT_MOVED)."""
    local = _local(s)
    return tuple(key for key in NOT_MOVED if local[key] != DEFAULTS[key])


def move(s: Ctx, o: OfficeCtx, keys: tuple[str, ...], store_id: str) -> tuple[str, ...]:
    """Move the settings of `keys` whose local value is not the office's, in the caller's office transaction (see
    the module's docstring); the keys moved."""
    local = _local(s)
    office = office_settings.opened(o)
    moving: list[tuple[str, SettingValue, SettingValue]] = []
    for key in keys:
        want: SettingValue = local[key]
        has = office.get(key, DEFAULTS[key])
        if want == has:
            continue
        if key in office:
            raise InputError(f"setting {key!r} is {_shown(has)} in the office and {_shown(want)} in the local store: "
                             "an office has one value for every desktop; set one to the other's ('dws settings set') "
                             "and run it again; nothing was migrated")
        try:
            moving.append((key, has, coerce(key, want)))
        except ValueError as exc:
            raise InputError(f"the local store's setting {key!r}: {exc} (it was changed outside the program: run "
                             "'dws verify' on it); nothing was migrated") from None
    if moving and not settings_sql.exists(o.conn):
        changed = ", ".join(key for key, _has, _want in moving)
        raise StoreError(f"{office_settings.OLDER_OFFICE}; the local store changed {changed}; nothing was migrated")
    for key, has, want in moving:
        settings_sql.put(o.conn, key, office_settings.seal(o, key, want))
        o.log("setting-changed", key, {"from": has, "to": want, "local_store": store_id})
    return tuple(key for key, _has, _want in moving)

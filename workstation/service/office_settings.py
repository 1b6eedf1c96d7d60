"""An office's settings and its users' display preferences (issue 19, i19o; store/office/settings.py).

Every setting of workstation/settings.py is the office's, one value for every desktop, as a local store's is for its
users: the rule thresholds, time limits, the idle lock and the office details its letters carry. The one exception
is `witness_folder`, where a local store writes its log's checkpoints: an office desktop writes the office log's to
its own witness folder (office_witness_folder.py: an office policy file's `witness_folder`, else the profile's
"witness", else beside the profile), so the setting is read-only on an office. As on a local store, a desktop's
office policy file wins over the office's value (workstation/policy.py), and the same checks, roles and
`setting-changed` log entry apply (settings_view.py): the rule thresholds counsel alone, the rest counsel or an
admin; the server refuses anyone else itself. A setting's value is sealed on this desktop (the server cannot change
one unseen) and logged in clear, as locally.

Each evaluation's working copy gets the office's settings (`copy_into`, from office_fill._office_inputs), so
an office evaluates with its own thresholds, as a local store with its own.

A display preference (preferences.py: `high_contrast`) is the signed-in login's own, kept on the server for that
login alone. An office made before settings were kept gives the defaults and keeps no preference; changing a
setting there says so in one line.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any, cast

from .. import policy
from ..errors import InputError, PermissionDenied, StoreError, TamperError
from ..model import SettingRow
from ..office.sealing import SealError
from ..settings import COUNSEL_SETTINGS, DEFAULTS, Settings, SettingValue, coerce
from ..store import db
from ..store import settings as local_settings
from ..store.office import settings as settings_sql
from . import office_errors, preferences, settings_view
from . import roles as local_roles
from .office_orders import LOCAL_ROLE
from .office_records import OfficeCtx

OLDER_OFFICE = ("this office's database was made before offices kept settings (it has no settings table); the "
                "server's administrator brings it up to date with this version's 'dws --user DBADMIN office init "
                "--profile FILE' (schema step 6)")
NOT_OFFICE_WIDE = {"witness_folder": "each office desktop writes the office log's checkpoints to its own witness "
                                     "folder (an office policy file's 'witness_folder', else its office profile's "
                                     "\"witness\", else beside the profile), not an office-wide setting"}
UNREACHABLE = "office server unreachable: the connection ended before the setting was changed; nothing was changed"


def _office_errors() -> AbstractContextManager[None]:
    return office_errors.mapped(refused="the office server refuses it: {said}; nothing was changed",
                                older=OLDER_OFFICE + "; nothing was changed", lost=UNREACHABLE)


def values(o: OfficeCtx) -> dict[str, SettingValue]:
    """The settings the office changed from their defaults (opened here); none on an office made before them."""
    with _office_errors():
        return opened(o)


def opened(o: OfficeCtx) -> dict[str, SettingValue]:
    """`values` in the caller's transaction and with its handling of the server's errors (a migration's)."""
    if not settings_sql.exists(o.conn):
        return {}
    found = {}
    for key, sealed in settings_sql.rows(o.conn):
        try:
            value = json.loads(o.keys.open(settings_sql.TABLE, key, sealed))
        except SealError:
            raise TamperError(f"setting {key!r} was tampered with on the office server (its sealed value does not "
                              "open for it); restore the office from a backup and ask who changed it") from None
        if key in DEFAULTS:             # a setting a newer version made, which this one does not know, is left out
            found[key] = coerce(key, value)
    return found


def seal(o: OfficeCtx, key: str, value: SettingValue) -> bytes:
    """A setting's value as dws.settings keeps it: sealed under the office key, the key in the associated data."""
    return o.keys.seal(settings_sql.TABLE, key, json.dumps(value).encode("utf-8"))


def settings(o: OfficeCtx) -> Settings:
    """Every setting: this desktop's office policy where it fixes one, else the office's, else the default."""
    merged: dict[str, SettingValue] = {**DEFAULTS, **values(o), **policy.current().values}
    return cast(Settings, merged)


def setting(o: OfficeCtx, key: str) -> SettingValue:
    if key not in DEFAULTS:
        raise InputError(f"unknown setting {key!r}")
    return cast(SettingValue, dict(settings(o))[key])


def _role_refusal(role: str | None) -> str | None:
    """The local store's refusal of a role that may not change settings, in the office's role names."""
    try:
        local_roles.require(LOCAL_ROLE.get(role or ""), "change-settings")
    except PermissionDenied:
        allowed = sorted(r for r, mapped in LOCAL_ROLE.items() if mapped in local_roles.PERMISSIONS["change-settings"])
        who = " or ".join(allowed)
        article = "an" if who[0] in "aeiou" else "a"
        return (f"only {article} {who} user may {local_roles.WHAT['change-settings']} "
                f"(you are {role or 'not in an office role'})")
    return None


def refusal(role: str | None, key: str) -> str | None:
    """Why a user of office role `role` may not change `key` (the local store's checks, in the office's role names),
    or None."""
    why = _role_refusal(role)
    if why is not None:
        return why
    if key not in DEFAULTS:
        return f"unknown setting {key!r}"
    if key in NOT_OFFICE_WIDE:
        return NOT_OFFICE_WIDE[key]
    fixed = policy.current()
    if fixed.fixes(key):
        return f"set by the office policy in {fixed.path}; only an administrator of this computer can change it"
    if key in COUNSEL_SETTINGS and LOCAL_ROLE.get(role or "") != "counsel":
        return f"only counsel may change the rule threshold {key!r}"
    return None


def setting_rows(o: OfficeCtx, role: str | None) -> tuple[SettingRow, ...]:
    """Every setting with its value, its default and why this user may not change it (None: they may)."""
    return tuple(SettingRow(key, value, DEFAULTS.get(key), refusal(role, key))
                 for key, value in settings(o).items())


def change(o: OfficeCtx, role: str | None, key: str, value: object) -> None:
    """Change one office setting (the local store's checks; the server checks the role again) and log it."""
    why = _role_refusal(role)
    if why is not None:
        raise PermissionDenied(why)
    current = settings(o)
    checked = settings_view.checked_change(key, value, LOCAL_ROLE.get(role or ""), lambda: current, NOT_OFFICE_WIDE)
    old = cast(SettingValue, dict(current)[key])
    with _office_errors():
        if not settings_sql.exists(o.conn):
            raise StoreError(OLDER_OFFICE + "; nothing was changed")
        with o.conn.transaction():
            settings_sql.put(o.conn, key, seal(o, key, checked))
            o.log("setting-changed", key, {"from": old, "to": checked})


def copy_into(o: OfficeCtx, conn: db.Connection) -> None:
    """The office's settings into an evaluation's working copy `conn` (in its transaction): there they are the
    store's own, under this desktop's office policy as a local store's are."""
    for key, value in values(o).items():
        local_settings.put(conn, key, value, "office")


def preference(o: OfficeCtx, key: str) -> Any:
    """The signed-in login's choice for `key`, or None when not chosen (or the office keeps no preferences)."""
    preferences.check(key, None)
    with _office_errors():
        if not settings_sql.exists(o.conn):
            return None
        found = settings_sql.preference(o.conn, key)
    return None if found is None else json.loads(found)


def set_preference(o: OfficeCtx, key: str, value: Any) -> bool:
    """Keep the signed-in login's choice (None forgets it); False when the office keeps no preferences."""
    preferences.check(key, value)
    with _office_errors():
        if not settings_sql.exists(o.conn):
            return False
        settings_sql.put_preference(o.conn, key, None if value is None else json.dumps(value))
    return True

"""settings list, settings get, settings set: what Tools › Settings changes, through the same service calls
(`Session.setting_rows`, `Session.change_setting`): the same checks of the value, the same roles (rule thresholds
belong to counsel, the rest to an admin or counsel; the office policy's settings to no one) and the same
`setting-changed` entry in the audit log."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import UsageError
from ..model import SettingRow
from ..settings import DEFAULTS, coerce
from . import common
from .table import Column, render

KEYS = tuple(sorted(DEFAULTS))
VALUE_LIMIT = 60


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("settings", parents=[parent], help="the store's settings: rule thresholds, time limits, the "
                       "idle lock, the office details letters carry (admin or counsel to change)")
    ssub = p.add_subparsers(dest="settings_command", metavar="ACTION", required=True)
    ls = ssub.add_parser("list", parents=[parent], help="every setting, its value and whether you may change it")
    ls.set_defaults(func=cmd_list)
    g = ssub.add_parser("get", parents=[parent], help="one setting's value (a list: one entry per line)")
    g.add_argument("key", metavar="KEY", choices=KEYS, help="one of: " + ", ".join(KEYS))
    g.set_defaults(func=cmd_get)
    s = ssub.add_parser("set", parents=[parent], help="change a setting (checked and written to the audit log; "
                        "stored evaluations are made again when next opened)")
    s.add_argument("key", metavar="KEY", choices=KEYS, help="one of: " + ", ".join(KEYS))
    s.add_argument("values", nargs="+", metavar="VALUE", help="the new value; for a list setting each VALUE is one "
                   "entry")
    s.set_defaults(func=cmd_set)


def shown(value: Any) -> str:
    """A value on one line, as the Settings dialog's tooltips show it: a list's entries joined by "; "."""
    return "; ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _document(row: SettingRow) -> dict[str, Any]:
    return {"key": row.key, "value": row.value, "default": row.default, "may_change": row.refusal is None,
            "refusal": row.refusal}


def _rows(args: argparse.Namespace) -> tuple[SettingRow, ...]:
    with common.open_engine(args) as s:             # a local store or an office (its settings: i19o)
        return s.setting_rows()


def cmd_list(args: argparse.Namespace) -> int:
    rows = _rows(args)
    if args.json:
        common.emit_json([_document(r) for r in rows])
        return 0
    columns = (Column("SETTING"), Column("VALUE", limit=VALUE_LIMIT), Column("DEFAULT", limit=VALUE_LIMIT // 2))
    print("\n".join(render(columns, [(r.key + ("" if r.refusal is None else " (read-only)"), shown(r.value),
                                      "(the same)" if r.value == r.default else shown(r.default)) for r in rows])))
    for reason in dict.fromkeys(r.refusal for r in rows if r.refusal):
        keys = [r.key for r in rows if r.refusal == reason]
        print(f"read-only ({len(keys)} of {len(rows)}): {reason}")
    return 0


def cmd_get(args: argparse.Namespace) -> int:
    row = next(r for r in _rows(args) if r.key == args.key)
    if args.json:
        common.emit_json(_document(row))
    elif isinstance(row.value, list):
        for entry in row.value:
            print(entry)
    else:
        print(row.value)
    return 0


def _value(key: str, values: list[str]) -> Any:
    """The command line's words as the dialog would hand them in: a list's entries trimmed, empty ones dropped;
    any other setting exactly one word, trimmed."""
    if isinstance(DEFAULTS[key], list):
        return [v.strip() for v in values if v.strip()]
    if len(values) != 1:
        raise UsageError(f"{key} takes one VALUE (quote a value with spaces), not {len(values)}")
    return values[0].strip()


def _same(key: str, value: Any, current: Any) -> bool:
    try:
        return bool(coerce(key, value) == current)
    except (KeyError, ValueError):
        return False


def cmd_set(args: argparse.Namespace) -> int:
    key, value = args.key, _value(args.key, args.values)
    with common.open_engine(args) as s:
        old = s.setting(key)
        unchanged = s.setting_refusal(key) is None and _same(key, value, old)
        if not unchanged:
            s.change_setting(key, value)        # the service checks the role, the policy and the value, and logs
        new = s.setting(key)
    if args.json:
        common.emit_json({"key": key, "from": old, "to": new, "changed": not unchanged})
    elif unchanged:
        print(f"{key} is already {shown(new)}; nothing was changed.")
    else:
        print(f"Set {key} to {shown(new)} (was {shown(old)}). Stored evaluations are made again when next opened.")
    return 0

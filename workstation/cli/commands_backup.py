"""backup, restore: one encrypted file holding the whole store (service/backup.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..paths import resolve_store
from ..wording import count
from . import common


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("backup", parents=[parent], help="(admin) write an encrypted, verified backup of the "
                       "store to FILE")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="FILE")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", parents=[parent], help="make a new store folder (--store DIR) from a backup "
                       "FILE; no passphrase needed")
    p.add_argument("file", type=Path, metavar="FILE")
    p.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        info = s.backup(args.output)
    if args.json:
        common.emit_json(info.as_dict())
    else:
        print(f"Backed up the store ({count(info.log_size, 'log entry', 'log entries')}, {count(info.size, 'byte')}, "
              "encrypted and "
              f"verified) to {info.path}")
    return 0


BOUND_NOTE = ("this store is bound to the machine it was created on: it opens with the same passphrases on that "
              "machine; on another machine open it with the recovery code ('dws recover --admin NAME')")


def cmd_restore(args: argparse.Namespace) -> int:
    from ..service.backup import restore

    info = restore(args.file, resolve_store(args.store))
    if args.json:
        common.emit_json(info.as_dict())
        return 0
    print(f"Restored the store of {info.created_at} ({count(info.log_size, 'log entry', 'log entries')}) into "
          f"{info.store}; "
          "it opens with the same passphrases as when it was backed up.")
    if info.device_binding:
        print(f"Note: {BOUND_NOTE}.", file=sys.stderr)
    return 0

"""`dws office migrate` (INTERCHANGE.md): register_migrate adds it to the `office` group's subparsers.

    dws --user ADMIN office migrate --profile FILE --from DIR [--from-user NAME] [--witness DIR]
    dws --user COUNSEL office migrate --profile FILE --from DIR --court-orders [--from-user NAME] [--witness DIR]

The second, after the first, moves the store's court-order register, which the server lets counsel alone write
(service/office_migrate_orders.py).

The office admin is the global `--user` (before `office`) or $DWS_USER, with their passphrase from its usual
sources (--passphrase-file, $DWS_PASSPHRASE, a prompt). The local store in DIR is opened as `--from-user` (default:
the same name), an admin of that store, with its passphrase from `--from-passphrase-file FILE`, else
$DWS_FROM_PASSPHRASE, else a prompt. The office log's checkpoints before and after are written into `--witness
DIR` (default: the profile's witness folder, if it names one) for `dws verify --against`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError, os_error
from ..fsutil import atomic_write
from ..model import CheckpointInfo
from ..service import Workstation, office_migrate, office_migrate_orders, office_session
from ..wording import count
from . import common


def register_migrate(office_sub: argparse._SubParsersAction[argparse.ArgumentParser],
                     parent: argparse.ArgumentParser) -> None:
    p = office_sub.add_parser(
        "migrate", parents=[parent],
        help="(office admin) move a local store into the office: its records and requests re-sealed under the "
             "office key, its log carried over, the office log checkpointed before and after")
    p.add_argument("--profile", required=True, type=Path, metavar="FILE", help="the admin's office profile")
    p.add_argument("--from", dest="from_dir", required=True, type=Path, metavar="DIR", help="the local store folder")
    p.add_argument("--from-user", metavar="NAME", help="an admin of the local store (default: the office user's "
                   "name)")
    p.add_argument("--from-passphrase-file", metavar="FILE", help="the local user's passphrase (else "
                   "$DWS_FROM_PASSPHRASE, else a prompt)")
    p.add_argument("--witness", type=Path, metavar="DIR", help="write the office log's checkpoints before and "
                   "after here (default: the profile's witness folder)")
    p.add_argument("--court-orders", action="store_true", help="(office counsel, after the store's migration) move "
                   "the local store's court orders into the office, which lets counsel alone write its register")
    p.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> int:
    admin = common.user_name(args)
    local_user = args.from_user or admin
    witness_dir: Path | None = args.witness or office_migrate.profile_witness(args.profile)
    if witness_dir is not None and not witness_dir.is_dir():
        raise InputError("the witness folder is missing or not a folder; nothing was migrated",
                         source=str(witness_dir))
    local = Workstation(args.from_dir)
    if not local.exists():
        raise InputError("not a Disclosure Workstation store folder; nothing was migrated", source=str(args.from_dir))
    secret = common.passphrase(args)
    local_secret = common.read_secret(args, file_attr="from_passphrase_file", env="DWS_FROM_PASSPHRASE",
                                      prompt=f"Passphrase of {local_user} in the local store: ", what="passphrase")
    if args.court_orders:
        return _court_orders(args, admin, secret, local, local_user, local_secret, witness_dir)
    with office_session.opened(args.profile, admin, secret) as office:
        office_migrate.require_office_admin(office)        # before the local store is even unlocked
        session = local.unlock(local_user, local_secret)
        try:
            done = session.migrate_to_office(office)
        finally:
            session.close()
    written = [_write(witness_dir, info, when) for info, when in ((done.office_before, "before"),
                                                                   (done.office_after, "after"))
               ] if witness_dir is not None else []
    if args.json:
        common.emit_json({
            "store_id": done.store_id, "records": done.records, "records_new": done.records_new,
            "requests": done.requests, "subjects": done.subjects, "agencies": done.agencies,
            "court_orders_left": done.court_orders, "log_entries": done.log_entries,
            "checkpoints": {name: {"size": c.size, "root": c.root_hex, "checkpoint": c.note}
                            for name, c in (("local", done.local), ("office_before", done.office_before),
                                            ("office_after", done.office_after))},
            "witness_files": [str(p) for p in written], "not_migrated": office_migrate.NOT_MIGRATED})
        return 0
    print(f"Migrated the local store {done.store_id[:16]} into the office:")
    print(f"  {count(done.records, 'taxpayer record row')} ({done.records_new:,} new to the office, "
          f"{done.records - done.records_new:,} replacing the office's)")
    print(f"  {count(done.requests, 'request')} with {count(done.subjects, 'subject')}")
    print(f"  {count(done.agencies, 'agency register entry', 'agency register entries')}")
    print(f"  {count(done.log_entries, 'local log entry', 'local log entries')} carried into the office log, then "
          "one entry recording the local checkpoint")
    print("Checkpoints (size, root):")
    for what, c in (("local log before", done.local), ("office log before", done.office_before),
                    ("office log after", done.office_after)):
        print(f"  {what + ':':<18} {count(c.size, 'entry', 'entries')}, root {c.root_hex}")
    if written:
        print(f"  the office log's checkpoints written to {witness_dir}")
    else:
        print("  (no witness folder: give --witness DIR to keep the office log's checkpoints outside the server)")
    print(f"Not migrated (the local store keeps them): {office_migrate.NOT_MIGRATED}.")
    if done.court_orders:
        print(f"Court orders: {count(done.court_orders, 'order')} in the local register; the server lets counsel alone "
              "write the office's, so counsel moves them: dws --user COUNSEL office migrate --profile FILE --from DIR "
              "--court-orders")
    return 0


def _court_orders(args: argparse.Namespace, user: str, secret: str, local: Workstation, local_user: str,
                  local_secret: str, witness_dir: Path | None) -> int:
    with office_session.opened(args.profile, user, secret) as office:
        office_migrate_orders.require_office_counsel(office)     # before the local store is even unlocked
        session = local.unlock(local_user, local_secret)
        try:
            done = session.migrate_orders_to_office(office)
        finally:
            session.close()
    written = [_write(witness_dir, info, f"orders-{when}") for info, when in ((done.office_before, "before"),
                                                                               (done.office_after, "after"))
               ] if witness_dir is not None else []
    if args.json:
        common.emit_json({"store_id": done.store_id, "court_orders": done.court_orders,
                          "case_numbers": list(done.case_numbers),
                          "checkpoints": {name: {"size": c.size, "root": c.root_hex, "checkpoint": c.note}
                                          for name, c in (("office_before", done.office_before),
                                                          ("office_after", done.office_after))},
                          "witness_files": [str(p) for p in written]})
        return 0
    print(f"Moved {count(done.court_orders, 'court order')} of the local store {done.store_id[:16]} into the office's "
          "register.")
    for what, c in (("office log before", done.office_before), ("office log after", done.office_after)):
        print(f"  {what + ':':<18} {count(c.size, 'entry', 'entries')}, root {c.root_hex}")
    if written:
        print(f"  the office log's checkpoints written to {witness_dir}")
    return 0


def _write(folder: Path, info: CheckpointInfo, when: str) -> Path:
    log_id = info.note.split("\n", 1)[0].rsplit("/", 1)[-1]
    target = folder / f"dws-office-{log_id[:8]}-{info.size:010d}-migration-{when}.checkpoint"
    try:
        atomic_write(target, info.note.encode("utf-8"))
    except OSError as exc:
        raise os_error(exc, str(target), "the checkpoint was not written (the migration is done)") from None
    return target

"""`dws office migrate` (INTERCHANGE.md): register_migrate adds it to the `office` group's subparsers.

    dws --user ADMIN office migrate --profile FILE --from DIR [--from-user NAME] [--witness DIR]
    dws --user COUNSEL office migrate --profile FILE --from DIR --court-orders [--from-user NAME] [--witness DIR]
    dws --user PREPARER office migrate --profile FILE --from DIR --overrides [--from-user NAME] [--witness DIR]

The first moves the store (service/office_migrate.py) with the settings an admin may set. The others, after it,
move what the server lets another role alone write: counsel's the court-order register and the rule thresholds
(service/office_migrate_orders.py), a preparer's the overrides of the release plan
(service/office_migrate_overrides.py). The first run says what is left for each.

The office user is the global `--user` (before `office`) or $DWS_USER, with their passphrase from its usual
sources (--passphrase-file, $DWS_PASSPHRASE, a prompt). The local store in DIR is opened as `--from-user` (default:
the same name), an admin of that store (counsel's step: counsel or an admin; a preparer's: a reviewer or an admin),
with its passphrase from `--from-passphrase-file FILE`, else $DWS_FROM_PASSPHRASE, else a prompt. The office log's
checkpoints before and after are written into `--witness DIR` (default: the profile's witness folder, if it names
one) for `dws verify --against`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..errors import InputError, os_error
from ..fsutil import atomic_write
from ..model import CheckpointInfo
from ..wording import count
from . import common

if TYPE_CHECKING:
    from ..service import Session, Workstation
    from ..service.office_records import OfficeCtx

_Done = TypeVar("_Done")


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
    step = p.add_mutually_exclusive_group()
    step.add_argument("--court-orders", action="store_true", help="(office counsel, after the store's migration) "
                      "move the local store's court orders and rule thresholds into the office, which lets counsel "
                      "alone write its court-order register and set its rule thresholds")
    step.add_argument("--overrides", action="store_true", help="(an office preparer, after the store's migration) "
                      "carry the local store's overrides of the release plan into the office, which lets a preparer "
                      "alone add one: each under your login, with its original author and time")
    p.set_defaults(func=cmd_migrate)


def cmd_migrate(args: argparse.Namespace) -> int:
    from ..service import Workstation, office_migrate, office_settings

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
    if args.overrides:
        return _overrides(args, admin, secret, local, local_user, local_secret, witness_dir)
    done = _step(args.profile, admin, secret, local, local_user, local_secret, office_migrate.require_office_admin,
                 lambda session, office: session.migrate_to_office(office))
    written = _witnessed(witness_dir, done.office_before, done.office_after, "")
    if args.json:
        common.emit_json({
            "store_id": done.store_id, "records": done.records, "records_new": done.records_new,
            "requests": done.requests, "subjects": done.subjects, "agencies": done.agencies,
            "court_orders_left": done.court_orders, "settings": list(done.settings),
            "counsel_settings_left": list(done.counsel_settings), "overrides_left": done.overrides,
            "settings_not_moved": list(done.settings_not_moved), "log_entries": done.log_entries,
            "checkpoints": _checkpoints_json(local=done.local, office_before=done.office_before,
                                             office_after=done.office_after),
            "witness_files": [str(p) for p in written], "not_migrated": office_migrate.NOT_MIGRATED})
        return 0
    print(f"Migrated the local store {done.store_id[:16]} into the office:")
    print(f"  {count(done.records, 'taxpayer record row')} ({done.records_new:,} new to the office, "
          f"{done.records - done.records_new:,} replacing the office's)")
    print(f"  {count(done.requests, 'request')} with {count(done.subjects, 'subject')}")
    print(f"  {count(done.agencies, 'agency register entry', 'agency register entries')}")
    print(f"  {_settings(done.settings, 'setting an admin may set', 'settings an admin may set')}")
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
    print("  The office evaluates each request again from what the steps move, with the local store's findings; the "
          "local decisions, approvals and letters are signed by keys the office server does not know and refuses; "
          "office users are enrolled with 'dws office enrol --user'.")
    for key in done.settings_not_moved:
        print(f"  Setting {key} is not moved: {office_settings.NOT_OFFICE_WIDE[key]}.")
    if done.court_orders or done.counsel_settings:
        left = [count(done.court_orders, 'court order')] if done.court_orders else []
        if done.counsel_settings:
            left.append(_settings(done.counsel_settings, "rule threshold", "rule thresholds"))
        print(f"Left for counsel, whom the server lets alone write the court-order register and set the rule "
              f"thresholds: {' and '.join(left)}: dws --user COUNSEL office migrate --profile FILE --from DIR "
              "--court-orders")
    if done.overrides:
        print(f"Left for a preparer, whom the server lets alone add an override: "
              f"{count(done.overrides, 'override')}: dws --user PREPARER office migrate --profile FILE --from DIR "
              "--overrides")
    return 0


def _settings(keys: tuple[str, ...], one: str, many: str) -> str:
    return f"no {one} differs from the office's" if not keys else f"{count(len(keys), one, many)} ({', '.join(keys)})"


def _court_orders(args: argparse.Namespace, user: str, secret: str, local: Workstation, local_user: str,
                  local_secret: str, witness_dir: Path | None) -> int:
    from ..service import office_migrate_orders

    done = _step(args.profile, user, secret, local, local_user, local_secret,
                 office_migrate_orders.require_office_counsel,
                 lambda session, office: session.migrate_orders_to_office(office))
    written = _witnessed(witness_dir, done.office_before, done.office_after, "orders-")
    if args.json:
        common.emit_json({"store_id": done.store_id, "court_orders": done.court_orders,
                          "case_numbers": list(done.case_numbers), "settings": list(done.settings),
                          "checkpoints": _checkpoints_json(office_before=done.office_before,
                                                           office_after=done.office_after),
                          "witness_files": [str(p) for p in written]})
        return 0
    print(f"Moved {count(done.court_orders, 'court order')} of the local store {done.store_id[:16]} into the office's "
          f"register, and {_settings(done.settings, 'rule threshold', 'rule thresholds')}.")
    _checkpoints(done.office_before, done.office_after, written, witness_dir)
    return 0


def _overrides(args: argparse.Namespace, user: str, secret: str, local: Workstation, local_user: str,
               local_secret: str, witness_dir: Path | None) -> int:
    from ..service import office_migrate_overrides

    done = _step(args.profile, user, secret, local, local_user, local_secret,
                 office_migrate_overrides.require_office_preparer,
                 lambda session, office: session.migrate_overrides_to_office(office))
    written = _witnessed(witness_dir, done.office_before, done.office_after, "overrides-")
    if args.json:
        common.emit_json({"store_id": done.store_id, "overrides": done.overrides, "undone": done.undone,
                          "requests": list(done.requests),
                          "checkpoints": _checkpoints_json(office_before=done.office_before,
                                                           office_after=done.office_after),
                          "witness_files": [str(p) for p in written]})
        return 0
    print(f"Carried {count(done.overrides, 'override')} ({done.undone:,} undone) of the local store "
          f"{done.store_id[:16]} into the office, on {count(len(done.requests), 'request')}: each added under your "
          "login, its sealed value naming its original author and time, one office log entry each.")
    _checkpoints(done.office_before, done.office_after, written, witness_dir)
    return 0


def _step(profile: Path, user: str, secret: str, local: Workstation, local_user: str, local_secret: str,
          require: Callable[[OfficeCtx], None], move: Callable[[Session, OfficeCtx], _Done]) -> _Done:
    """One step of the migration: the office opened as `user` and its role checked by `require` before the local
    store is even unlocked, then `move` with both; the local store closed again."""
    from ..service import office_session

    with office_session.opened(profile, user, secret) as office:
        require(office)
        session = local.unlock(local_user, local_secret)
        try:
            return move(session, office)
        finally:
            session.close()


def _witnessed(witness_dir: Path | None, before: CheckpointInfo, after: CheckpointInfo, prefix: str) -> list[Path]:
    """The office log's checkpoints before and after a step, written into the witness folder (none: none)."""
    if witness_dir is None:
        return []
    return [_write(witness_dir, info, f"{prefix}{when}") for info, when in ((before, "before"), (after, "after"))]


def _checkpoints_json(**named: CheckpointInfo) -> dict[str, dict[str, object]]:
    return {name: {"size": c.size, "root": c.root_hex, "checkpoint": c.note} for name, c in named.items()}


def _checkpoints(before: CheckpointInfo, after: CheckpointInfo, written: list[Path], witness_dir: Path | None
                 ) -> None:
    for what, c in (("office log before", before), ("office log after", after)):
        print(f"  {what + ':':<18} {count(c.size, 'entry', 'entries')}, root {c.root_hex}")
    if written:
        print(f"  the office log's checkpoints written to {witness_dir}")


def _write(folder: Path, info: CheckpointInfo, when: str) -> Path:
    log_id = info.note.split("\n", 1)[0].rsplit("/", 1)[-1]
    target = folder / f"dws-office-{log_id[:8]}-{info.size:010d}-migration-{when}.checkpoint"
    try:
        atomic_write(target, info.note.encode("utf-8"))
    except OSError as exc:
        raise os_error(exc, str(target), "the checkpoint was not written (the migration is done)") from None
    return target

"""init, user, demo, gui."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path

from ..demo_sizes import DEFAULT_BULK_SUBJECTS, DEFAULT_SEED, DEFAULT_TAXPAYERS, MIN_BULK_SUBJECTS, MIN_TAXPAYERS
from ..errors import DwsError, StoreError, UsageError
from ..paths import resolve_store
from . import common


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", parents=[parent], help="create a store and its first (admin) user")
    p.add_argument("--admin", required=True, metavar="NAME")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("user", parents=[parent], help="manage users")
    usub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    a = usub.add_parser("add", parents=[parent], help="enrol a user with a signing key (admin)")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=["reviewer", "approver", "counsel", "auditor", "admin"])
    a.add_argument("--new-passphrase-file", metavar="FILE")
    common.add_token_options(
        a, "a signing key on a smart card (PKCS#11): the user still unlocks the store with their passphrase, and "
           "signs with the card's PIN",
        checkpoint_help="the Ed25519 key on the token that signs the user's checkpoints (default: "
                        "KEY-LABEL-checkpoint when the token holds it; else a software key)")
    a.set_defaults(func=cmd_user_add)
    r = usub.add_parser("reset", parents=[parent], help="(admin) new passphrase and signing key for a user")
    r.add_argument("name")
    r.add_argument("--new-passphrase-file", metavar="FILE")
    r.set_defaults(func=cmd_user_reset)
    ls = usub.add_parser("list", parents=[parent], help="list users")
    ls.set_defaults(func=cmd_user_list)

    p = sub.add_parser("recover", parents=[parent],
                       help="open the store with the recovery code, bind it to this machine, new admin passphrase")
    p.add_argument("--admin", required=True, metavar="NAME")
    p.add_argument("--recovery-code-file", metavar="FILE")
    p.add_argument("--new-passphrase-file", metavar="FILE")
    p.set_defaults(func=cmd_recover)

    p = sub.add_parser("demo", parents=[parent], help="create a new store filled with synthetic demo data")
    p.add_argument("--taxpayers", type=int, default=DEFAULT_TAXPAYERS, metavar="N",
                   help=f"synthetic taxpayers in the records (at least {MIN_TAXPAYERS:,}; default: "
                        f"{DEFAULT_TAXPAYERS:,})")
    p.add_argument("--bulk-subjects", type=int, default=DEFAULT_BULK_SUBJECTS, metavar="M",
                   help=f"subjects of the bulk request (at least {MIN_BULK_SUBJECTS:,}, more than the bulk "
                        f"threshold; default: {DEFAULT_BULK_SUBJECTS:,})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="S",
                   help=f"seed of the synthetic data: the same seed, sizes and day make the same data (0 or "
                        f"more; default: {DEFAULT_SEED})")
    p.add_argument("--if-missing", action="store_true",
                   help="do nothing when the store already exists; an incomplete demo store (its making was "
                        "interrupted) is made again")
    p.add_argument("--today", metavar="DATE", help="the day the demo is dated from, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("gui", parents=[parent], help="start the desktop application")
    p.add_argument("--quit-after", type=float, metavar="SECONDS",
                   help="quit by itself after SECONDS (a check that the application starts: `make office-demo`'s test)")
    p.set_defaults(func=cmd_gui)


def cmd_init(args: argparse.Namespace) -> int:
    ws = common.workstation(args)
    pw = common.read_secret(args, file_attr="passphrase_file", env="DWS_PASSPHRASE",
                            prompt=f"New passphrase for {args.admin}: ", what="passphrase", confirm=True)
    session, code, notice = ws.init(args.admin, pw)
    with session:
        common.append_witness(session, always=True)
    if notice:
        print(notice, file=sys.stderr)
    if args.json:
        common.emit_json({"store": str(ws.path), "admin": args.admin, "recovery_code": code,
                          "device_binding": notice is None})
    else:
        print(f"Created the store at {ws.path} with admin user {args.admin!r}.")
        print("Recovery code (shown once; print it and lock it away — it opens the store if the device "
              "secret or every passphrase is lost):")
        print(f"    {code}")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    token = common.token_ref(args)
    with common.open_session(args) as s:
        new_pw = common.read_secret(args, file_attr="new_passphrase_file", env="DWS_NEW_PASSPHRASE",
                                    prompt=f"New passphrase for {args.name}: ", what="new passphrase",
                                    confirm=True)
        if token is None:
            info = s.add_user(args.name, args.role, new_pw)
        else:                  # the PIN opens the card to read the key and prove it (a signed challenge)
            info = s.add_token_user(args.name, args.role, new_pw, token, common.pin(args))
            token = s.token_of(args.name)
    if args.json:
        common.emit_json({"name": info.name, "role": info.role, "fingerprint": info.fingerprint,
                          "key": info.key_location,
                          "checkpoint_key_on_token": bool(token and token.checkpoint_key_label)})
    else:
        print(f"Added {info.name} ({info.role}); signing key fingerprint {info.fingerprint}")
        if token is not None:
            where = (f"on the token too ({token.checkpoint_key_label!r})" if token.checkpoint_key_label else
                     "a software key wrapped under the passphrase (the token holds no Ed25519 key "
                     f"{token.key_label + '-checkpoint'!r})")
            print(f"  the signing key is on {token.where} ({token.key_label!r}): {info.name} signs with the "
                  f"card's PIN; checkpoint key: {where}")
    return 0


def _new_passphrase(args: argparse.Namespace, name: str) -> str:
    return common.read_secret(args, file_attr="new_passphrase_file", env="DWS_NEW_PASSPHRASE",
                              prompt=f"New passphrase for {name}: ", what="new passphrase", confirm=True)


def cmd_user_reset(args: argparse.Namespace) -> int:
    with common.open_session(args) as s:
        info = s.reset_user(args.name, _new_passphrase(args, args.name))
    print(f"Reset {info.name}: new passphrase and signing key {info.fingerprint}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    code = common.read_secret(args, file_attr="recovery_code_file", env="DWS_RECOVERY_CODE",
                              prompt="Recovery code: ", what="recovery code")
    ws = common.workstation(args)
    with ws.unlock_recovery(code) as s:
        info, others, notice = s.rebind(args.admin, _new_passphrase(args, args.admin))
    if notice:
        print(notice, file=sys.stderr)
    print(f"Store at {ws.path} opened with the recovery code and bound to this machine; {info.name} has a new "
          "passphrase and signing key.")
    if others:
        print(f"These users must be reset by an admin ('dws user reset NAME'): {', '.join(others)}")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    with common.open_engine(args) as s:             # a local store or an office (its logins: i19o)
        users = s.users()
    if args.json:
        common.emit_json([{"name": u.name, "role": u.role, "fingerprint": u.fingerprint, "active": u.active,
                           "key": u.key_location} for u in users])
    else:
        for u in users:
            print(f"{u.name:<16} {u.role:<9} {u.fingerprint}  key in {u.key_location}"
                  f"{'' if u.active else '  (inactive)'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..demo_store import DEMO_USERS, create_demo_store

    if args.taxpayers < MIN_TAXPAYERS or args.bulk_subjects < MIN_BULK_SUBJECTS:
        raise UsageError(f"--taxpayers must be at least {MIN_TAXPAYERS:,} and --bulk-subjects at least "
                         f"{MIN_BULK_SUBJECTS} (more than the bulk threshold)")
    if args.seed < 0:
        raise UsageError("--seed must be 0 or more")
    today = _demo_day(args.today)
    path = resolve_store(args.store)
    if args.if_missing and not _demo_missing(path):
        return 0
    result = create_demo_store(path, taxpayers=args.taxpayers, bulk_subjects=args.bulk_subjects,
                               seed=args.seed, progress=sys.stderr.isatty(), today=today)
    if args.json:
        common.emit_json({"store": str(path), "users": [{"name": n, "role": r} for n, r in DEMO_USERS],
                          "passphrases": str(result.passphrase_file), "requests": result.request_ids,
                          "recovery_code": result.recovery_code})
        return 0
    print(f"Demo store created at {path}")
    print(f"  {result.records:,} taxpayer record rows, {len(result.request_ids)} requests, "
          f"{result.orders} court orders")
    print("  Users (passphrases in " + str(result.passphrase_file) + "):")
    for name, role in DEMO_USERS:
        print(f"    {name:<8} {role}")
    if result.notice:
        print(result.notice)
    return 0


def _demo_missing(path: Path) -> bool:
    """`dws demo --if-missing`: whether to make the demo (an interrupted one is removed first)."""
    from ..demo_store import PASSPHRASE_FILE, DemoState, demo_state, remove_incomplete_demo

    state = demo_state(path)
    if state is DemoState.DEMO:
        print(f"Store at {path} already exists; demo users are listed in {path / PASSPHRASE_FILE}.")
        return False
    if state is DemoState.OTHER_STORE:
        print(f"Store at {path} already exists and is not a demo store (it has no {PASSPHRASE_FILE}); it is "
              "left as it is. For the demo, give another folder: dws --store DIR demo")
        return False
    if state is DemoState.NOT_A_STORE:
        raise StoreError(f"{path} holds files but no store that can be opened (an interrupted 'dws init', or "
                         "'dws demo' of an older version?); nothing was changed. Move that folder away, then "
                         "run again, or give another folder: dws --store DIR demo")
    if state is DemoState.INCOMPLETE_DEMO:
        print(f"{path} holds a demo store whose making was interrupted (it has no {PASSPHRASE_FILE}); "
              "making it again.", file=sys.stderr)
        remove_incomplete_demo(path)
    return True


def _demo_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--today: {text!r} is not a date (YYYY-MM-DD)") from None


def cmd_gui(args: argparse.Namespace) -> int:
    common.workstation(args).check_office_policy()   # crypto = fips without the FIPS provider: no window at all
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                                                 or os.environ.get("QT_QPA_PLATFORM")):
        raise DwsError("no display here, so the desktop application cannot open; the same work is in the "
                         "CLI: dws --store DIR --user NAME list (see 'dws --help')")
    from ui.qt_runtime import problem

    missing = problem()          # Qt would abort with "could not load the Qt platform plugin"
    if missing:
        raise DwsError(missing)
    from ui.app import main as gui_main

    quit_after = [] if args.quit_after is None else ["--quit-after", str(args.quit_after)]
    return int(gui_main([*([] if args.store is None else ["--store", args.store]), *quit_after]))

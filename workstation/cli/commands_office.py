"""`dws office ...`: an office on a PostgreSQL server (INTERCHANGE.md, issue 19). One `office` command with a
sub-command each; another one is one more entry in SUBCOMMANDS (a function that adds its parser)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from ..errors import UsageError
from ..service import office_demo, office_setup
from . import commands_office_enrol, common

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("office", parents=[parent], help="an office on a PostgreSQL server: init, demo, stop")
    office_sub = p.add_subparsers(dest="office_command", metavar="OFFICE_COMMAND", required=True)
    for add in SUBCOMMANDS:
        add(office_sub, parent)


def _demo(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("demo", parents=[parent], help="start (or reuse) an office on a PostgreSQL cluster in DIR "
                       "on this machine and write DIR/office.json, a profile for this desktop")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.set_defaults(func=cmd_demo)


def _stop(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("stop", parents=[parent], help="shut down the office cluster that 'dws office demo DIR' "
                       "started")
    p.add_argument("dir", type=Path, metavar="DIR")
    p.set_defaults(func=cmd_stop)


def _init(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("init", parents=[parent], help="(the server's administrator, --user) create the office "
                       "schema and roles in the empty database the profile names; print the server's settings")
    p.add_argument("--profile", type=Path, required=True, metavar="FILE")
    p.set_defaults(func=cmd_init)


SUBCOMMANDS: tuple[Registrar, ...] = (_init, commands_office_enrol.register_enrol, _demo, _stop)


def cmd_init(args: argparse.Namespace) -> int:
    user = args.user or os.environ.get("DWS_USER")
    if not user:
        raise UsageError("dws office init needs --user NAME (or DWS_USER): a database user who may create roles")
    password = common.read_secret(args, file_attr="passphrase_file", env="DWS_PASSPHRASE",
                                  prompt=f"Database password of {user}: ", what="database password")
    made = office_setup.init(args.profile, user, password)
    if args.json:
        common.emit_json({"office": made.office, "dbname": made.dbname, "role_prefix": made.role_prefix,
                          "postgresql_conf": made.postgresql_conf, "pg_hba_conf": made.pg_hba_conf})
        return 0
    print(f"Created the office {made.office!r} in database {made.dbname!r} (roles {made.role_prefix}_*).")
    print("\nThe server's postgresql.conf needs:\n" + made.postgresql_conf)
    print("and its pg_hba.conf (TLS and an office certificate for every connection over the network):\n"
          + made.pg_hba_conf, end="")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    found = office_demo.demo(args.dir)
    if args.json:
        common.emit_json({"profile": str(found.profile), "port": found.port, "created": found.created,
                          "started": found.started})
        return 0
    what = "Made a new office" if found.created else "Started the office" if found.started else \
        "The office is running"
    print(f"{what} on 127.0.0.1:{found.port} (TLS, client certificates from its office CA); "
          f"its profile for this desktop: {found.profile}")
    print(f"Stop it with: dws office stop {args.dir}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    stopped = office_demo.stop(args.dir)
    if args.json:
        common.emit_json({"stopped": stopped})
        return 0
    print("Stopped the office server." if stopped else "The office server was not running.")
    return 0

"""`dws office ...`: an office on a PostgreSQL server (INTERCHANGE.md, issue 19). One `office` command with a
sub-command each; another one is one more entry in SUBCOMMANDS (a function that adds its parser)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ..service import office_demo
from . import common

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("office", parents=[parent], help="an office on a PostgreSQL server: demo, stop")
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


SUBCOMMANDS: tuple[Registrar, ...] = (_demo, _stop)


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

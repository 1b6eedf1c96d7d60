"""`dws office ...`: an office on a PostgreSQL server (INTERCHANGE.md, issue 19). One `office` command with a
sub-command each; another one is one more entry in SUBCOMMANDS (a function that adds its parser)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from . import commands_office_admin, commands_office_enrol, commands_office_migrate, common

if TYPE_CHECKING:
    from ..service.office_setup import OfficeUpgrade

Registrar = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]", argparse.ArgumentParser], None]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], parent: argparse.ArgumentParser) -> None:
    p = sub.add_parser("office", parents=[parent],
                       help="an office on a PostgreSQL server: init, enrol, migrate, demo, stop, revoke, recover")
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
                       "in the empty database the profile names: schema, roles, the office CA, the first admin; "
                       "print the recovery code once and the server's settings. On a database that holds an "
                       "office already: bring its schema up to this dws's version (one transaction, logged)")
    p.add_argument("--profile", type=Path, required=True, metavar="FILE")
    p.add_argument("--admin", default="admin", metavar="NAME", help="the office's first admin (default: admin; "
                   "their passphrase from --passphrase-file, $DWS_PASSPHRASE or a prompt)")
    p.add_argument("--ca-key", type=Path, metavar="FILE",
                   help="the office CA's private key (PEM; its certificate is the profile's 'ca'; default: the "
                        "file beside it named .key), kept on the server sealed under the office key for "
                        "enrolling desktops")
    p.add_argument("--db-password-file", metavar="FILE", help="the database password of --user (else "
                   "$DWS_DB_PASSWORD, else a prompt)")
    p.add_argument("--recovery-code-file", metavar="FILE", help="(upgrading an office made before recovery "
                   "proofs) the office's recovery code (else $DWS_RECOVERY_CODE, else a prompt)")
    p.set_defaults(func=cmd_init)


SUBCOMMANDS: tuple[Registrar, ...] = (_init, commands_office_enrol.register_enrol,
                                      commands_office_migrate.register_migrate, _demo, _stop,
                                      commands_office_admin.register_revoke, commands_office_admin.register_recover)


def cmd_init(args: argparse.Namespace) -> int:
    from ..service import office_setup

    user = args.user or os.environ.get("DWS_USER")
    if not user:
        raise UsageError("dws office init needs --user NAME (or DWS_USER): a database user who may create roles")
    password = common.read_secret(args, file_attr="db_password_file", env="DWS_DB_PASSWORD",
                                  prompt=f"Database password of {user}: ", what="database password")
    upgraded = office_setup.upgrade(args.profile, user, password, lambda: common.read_secret(
        args, file_attr="recovery_code_file", env="DWS_RECOVERY_CODE", prompt="Recovery code of the office: ",
        what="recovery code"))
    if upgraded is not None:
        return _print_upgrade(args, upgraded)
    secret = common.read_secret(args, file_attr="passphrase_file", env="DWS_PASSPHRASE",
                                prompt=f"New passphrase for {args.admin}: ", what="passphrase", confirm=True)
    made = office_setup.init(args.profile, user, password, args.admin, secret, args.ca_key)
    if args.json:
        common.emit_json({"office": made.office, "dbname": made.dbname, "role_prefix": made.role_prefix,
                          "admin": made.admin, "recovery_code": made.recovery_code,
                          "postgresql_conf": made.postgresql_conf, "pg_hba_conf": made.pg_hba_conf,
                          "pg_ident_conf": made.pg_ident_conf,
                          "crl_file": str(made.crl_file) if made.crl_file else None})
        return 0
    print(f"Created the office {made.office!r} in database {made.dbname!r} (roles {made.role_prefix}_*) with "
          f"admin user {made.admin!r}.")
    print("Recovery code (shown once; print it and lock it away — it opens the office key if every admin's "
          "passphrase is lost):")
    print(f"    {made.recovery_code}")
    print("\nThe server's postgresql.conf needs:\n" + made.postgresql_conf)
    if made.crl_file is not None:
        print(f"The office CA's revocation list, empty for now, is in {made.crl_file}: copy it to the server's data "
              "directory as root.crl ('dws office revoke' writes the next one; the server reads it on a reload).\n")
    print("its pg_hba.conf, before any other rule for the database (TLS only; a desktop certificate from the "
          "office CA for every connection, and the user's password but for the keyslot reader):\n"
          + made.pg_hba_conf)
    print("and its pg_ident.conf:\n" + made.pg_ident_conf, end="")
    return 0


def _print_upgrade(args: argparse.Namespace, done: OfficeUpgrade) -> int:
    from ..service import office_setup

    if args.json:
        common.emit_json({"office": done.office, "dbname": done.dbname, "upgraded_from": done.before,
                          "version": done.version, "found": list(done.found),
                          "added": [{"step": n, "adds": what} for n, what in done.added], "log_seq": done.log_seq})
        return 0
    if not done.added and not done.found:
        print(f"The office {done.office!r} in database {done.dbname!r} is at schema version {done.version}, this "
              "dws's; nothing was changed.")
        return 0
    before = "made before schema versions were kept" if done.before is None else f"at schema version {done.before}"
    print(f"Upgraded the office {done.office!r} in database {done.dbname!r} ({before}) to schema version "
          f"{done.version}, in one transaction (office log entry {done.log_seq}):")
    if done.found:
        print(f"  it had steps {done.found[0]}-{done.found[-1]} already (recorded)")
    for number, what in done.added:
        print(f"  step {number}: added {what}")
    if any(number == office_setup.ADDRESS_STEP for number, _ in done.added):
        print("Taxpayer records already in the office have no address index (only a desktop can compute it: it "
              "takes the office key): evaluations read them by ZIP5 as before, until their file is imported again "
              "(dws import records, which replaces each row with one that has it).")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from ..service import office_demo

    found = office_demo.demo(args.dir)
    if args.json:
        common.emit_json({"profile": str(found.profile), "port": found.port, "created": found.created,
                          "started": found.started, "users": [{"name": n, "role": r} for n, r in office_demo.USERS],
                          "passphrases": str(found.passphrase_file), "records": found.records,
                          "recovery_code": found.recovery_code, "requests": found.requests})
        return 0
    what = "Made a new office" if found.created else "Started the office" if found.started else \
        "The office is running"
    print(f"{what} on 127.0.0.1:{found.port} (TLS, client certificates from its office CA); "
          f"its profile for this desktop: {found.profile}")
    if found.records is not None:
        print(f"  {found.records:,} taxpayer record rows, sealed on this desktop")
    if found.requests is not None:
        print(f"  {found.requests} demo requests in the queue, imported by the preparer")
    print(f"  Users (passphrases in {found.passphrase_file}):")
    for name, role in office_demo.USERS:
        print(f"    {name:<8} {role}")
    print(f"Work it with: dws --store {found.profile} --user {office_demo.ADMIN} verify")
    print(f"Stop it with: dws office stop {args.dir}")
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    from ..service import office_demo

    stopped = office_demo.stop(args.dir)
    if args.json:
        common.emit_json({"stopped": stopped})
        return 0
    print("Stopped the office server." if stopped else "The office server was not running.")
    return 0

"""`dws office revoke` and `dws office recover`: admin commands of an office in addition to INTERCHANGE.md's
table (which is the outside contract and names neither), added to the `office` group's subparsers.

    dws --user ADMIN office revoke --profile FILE --desktop NAME [--crl-out FILE]
    dws office recover --profile FILE --user NAME

`revoke`'s acting admin is the global `--user` (or $DWS_USER), unlocked with their passphrase. `recover` needs no
user's passphrase: the office's recovery code (`--recovery-code-file FILE`, $DWS_RECOVERY_CODE or a prompt) and
the user's new passphrase (`--new-passphrase-file FILE`, $DWS_NEW_PASSPHRASE or a prompt); `--user` after
`recover` names the user whose passphrase is set.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..service.office_profile import CRL_FILE
from . import common
from .commands_office_enrol import _admin, _without_user

EXTRA = "(an additional admin command: not in INTERCHANGE.md's table)"


def register_revoke(office_sub: argparse._SubParsersAction[argparse.ArgumentParser],
                    parent: argparse.ArgumentParser) -> None:
    p = office_sub.add_parser(
        "revoke", parents=[parent],
        help="(admin) revoke a desktop's certificate: the office log records it and the office CA's revocation "
             "list is written (office-crl.pem beside the profile), for the server's ssl_crl_file; on a demo "
             f"office of this machine the server reads it at once {EXTRA}")
    p.add_argument("--profile", required=True, type=Path, metavar="FILE", help="the admin's office profile")
    p.add_argument("--desktop", required=True, metavar="NAME", help="the desktop to revoke (its name at 'office "
                   "enrol --desktop'): every certificate issued to it")
    p.add_argument("--crl-out", type=Path, metavar="FILE", help="where to write the revocation list (PEM; default: "
                   f"{CRL_FILE} beside the profile)")
    p.set_defaults(func=cmd_revoke)


def register_recover(office_sub: argparse._SubParsersAction[argparse.ArgumentParser],
                     parent: argparse.ArgumentParser) -> None:
    p = office_sub.add_parser(
        "recover", parents=[_without_user(parent)],
        help="with the office's recovery code, set a new passphrase for a user who forgot theirs (the only admin "
             f"too): a new keyslot and database password, logged {EXTRA}")
    p.add_argument("--profile", required=True, type=Path, metavar="FILE", help="this desktop's office profile")
    p.add_argument("--user", dest="recover_user", required=True, metavar="NAME", help="the user to recover")
    p.add_argument("--recovery-code-file", metavar="FILE", help="the recovery code (else $DWS_RECOVERY_CODE, else "
                   "a prompt)")
    p.add_argument("--new-passphrase-file", metavar="FILE", help="the user's new passphrase (else "
                   "$DWS_NEW_PASSPHRASE, else a prompt)")
    p.set_defaults(func=cmd_recover)


def cmd_revoke(args: argparse.Namespace) -> int:
    from ..service import office_revoke

    admin = _admin(args)
    done = office_revoke.revoke_desktop(args.profile, admin, common.passphrase(args), args.desktop, args.crl_out)
    if args.json:
        common.emit_json({"desktop": done.desktop, "revoked": list(done.revoked), "revoked_before": list(done.before),
                          "listed": done.listed, "crl_file": str(done.crl_file), "in_force": done.installed,
                          "sessions_ended": done.sessions_ended})
        return 0
    if done.revoked:
        print(f"Revoked desktop {done.desktop!r}: certificate {', '.join(done.revoked)} (logged in the office log).")
    else:
        print(f"Desktop {done.desktop!r} was revoked already (certificate {', '.join(done.before)}); the list is "
              "written again.")
    print(f"The office CA's revocation list ({done.listed} certificate{'s' if done.listed != 1 else ''}) is in "
          f"{done.crl_file}.")
    if done.installed:
        print("The demo office server on this machine has read it: the desktop is refused from now on.")
    else:
        print(f"The server refuses the desktop once it reads the list: copy {done.crl_file.name} to the server's "
              f"data directory as {office_revoke.SERVER_CRL} (postgresql.conf: ssl_crl_file = "
              f"'{office_revoke.SERVER_CRL}'), then, as the server's superuser, SELECT pg_reload_conf(); (or "
              "pg_ctl reload). Until then the desktop can connect again.")
    if done.sessions_ended:
        print(f"Ended {done.sessions_ended} open session{'s' if done.sessions_ended != 1 else ''} of the desktop.")
    elif done.sessions_ended is None:
        print("This office's database cannot end the desktop's open sessions (made before 'office revoke' could): "
              "they go on until they end.")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    from ..service import office_revoke

    code = common.read_secret(args, file_attr="recovery_code_file", env="DWS_RECOVERY_CODE",
                              prompt="Recovery code: ", what="recovery code")
    new = common.read_secret(args, file_attr="new_passphrase_file", env="DWS_NEW_PASSPHRASE",
                             prompt=f"New passphrase for {args.recover_user}: ", what="new passphrase", confirm=True)
    done = office_revoke.recover_user(args.profile, code, args.recover_user, new)
    if args.json:
        common.emit_json({"user": done.login, "log_seq": done.log_seq, "by": done.by})
    else:
        print(f"{done.login!r} has a new passphrase (a new keyslot and database password, set with the office's "
              f"recovery code; office log entry {done.log_seq}). Their old passphrase opens nothing now.")
    return 0

"""Unlocking an office: one passphrase, two connections (credential.py has the design).

1. As the keyslot reader (`<prefix>_desk`), admitted by this desktop's certificate alone: fetch the user's
   keyslot, and close.
2. Open the slot on the desktop with the passphrase. A wrong one stops here: nothing is sent as the user.
3. As the user's login role, with the password the slot gives: the session's connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..crypto import DEFAULT_MODE, Mode
from ..errors import AuthError, OfficeError, StoreError
from ..store.office import keyslots, schema
from ..store.office.roles import OfficeRoles, roles_for
from . import credential
from .connect import DEFAULT_TIMEOUT, Connection, connect
from .profile import OfficeProfile
from .sealing import OfficeKeys


@dataclass
class OfficeSession:
    """A user's open office: the connection as their login role and the office's keys. Its repr shows no key."""

    profile: OfficeProfile
    login: str
    conn: Connection = field(repr=False)
    keys: OfficeKeys = field(repr=False)
    office_key: bytes = field(repr=False)
    user_secret: bytes = field(repr=False)

    def change_passphrase(self, new_passphrase: str, mode: Mode = DEFAULT_MODE) -> None:
        """Re-wrap this user's keyslot under `new_passphrase`: the same user secret inside, so the database
        password and the server's verifier stay as they are. The old passphrase opens nothing after."""
        if not new_passphrase:
            raise AuthError("a passphrase may not be empty")
        slot, _opened = credential.new_slot(self.login, new_passphrase, self.office_key,
                                            credential.slot_kdf(mode), self.user_secret)
        with self.conn.transaction():
            keyslots.rewrap(self.conn, slot.kdf_json(), slot.salt, slot.nonce, slot.wrapped)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> OfficeSession:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def fetch_slot(profile: OfficeProfile, login: str, roles: OfficeRoles,
               timeout: int = DEFAULT_TIMEOUT) -> credential.Slot | None:
    """The user's keyslot, read as the keyslot reader (no password: this desktop's certificate); None when the
    office has no such user."""
    with connect(profile, keyslots.desk_role(roles), None, timeout=timeout) as conn:
        check_version(schema.version(conn), profile)
        row = keyslots.read_slot(conn, login)
    if row is None:
        return None
    try:
        return credential.slot_from_row(login, *row)
    except ValueError:
        raise StoreError(f"the office keyslot of {login!r} is damaged; ask the office administrator to enrol the "
                         "user again") from None


def check_version(found: int | None, profile: OfficeProfile) -> None:
    """StoreError unless this dws works with an office of schema version `found` (None: made before versions were
    kept, which works as it did): one message naming what to do."""
    if found is None or schema.OLDEST_OPENED <= found <= schema.VERSION:
        return
    if found > schema.VERSION:
        raise StoreError(f"this office was upgraded by a newer dws (office schema version {found}; this dws knows "
                         f"versions up to {schema.VERSION}): update this desktop's dws")
    raise StoreError(f"this office's schema (version {found}) is older than this dws works with (version "
                     f"{schema.OLDEST_OPENED} or later): the office's server administrator brings it up to date with "
                     f"'dws --user DBADMIN office init --profile {profile.path.name}'")


def open_office(profile: OfficeProfile, login: str, passphrase: str, *, roles: OfficeRoles | None = None,
                mode: Mode = DEFAULT_MODE, timeout: int = DEFAULT_TIMEOUT) -> OfficeSession:
    """`login`'s office session from their passphrase alone; AuthError for an unknown user or a wrong passphrase
    (nothing sent as the user), OfficeError when the server cannot be reached or refuses. The office's roles
    are those of the profile's database (roles_for), unless given."""
    if not passphrase:
        raise AuthError(f"enter the passphrase for {login!r}")
    roles = roles or roles_for(profile.dbname)
    slot = fetch_slot(profile, login, roles, timeout)
    opened = credential.open_slot(slot, passphrase) if slot is not None else None
    if slot is None:
        credential.decoy(passphrase, mode)      # the same time for an unknown user as for a wrong passphrase
    if opened is None:
        raise AuthError(f"unknown user or wrong passphrase for {login!r}")
    try:
        conn = connect(profile, login, opened.password, timeout=timeout)
    except OfficeError as exc:
        if exc.reason != "credential":
            raise
        raise OfficeError(f"the office server refused {login!r} although the passphrase is right: the user's "
                          "database login was changed or removed on the server. Ask the office administrator to "
                          "enrol the user again", reason="credential") from None
    return OfficeSession(profile, login, conn, OfficeKeys.derive(opened.office_key), opened.office_key,
                         opened.user_secret)


def server_rules(dbname: str, roles: OfficeRoles, address: str = "all") -> tuple[str, str]:
    """(pg_hba.conf lines, pg_ident.conf lines) that admit this office's desktops: the keyslot reader by a
    desktop certificate from the office CA alone (`cert`, whatever the certificate's name), every other role
    by its SCRAM password and such a certificate (`clientcert=verify-ca`); TLS only (`hostssl`). The server's
    ssl_ca_file is the office CA. They go before any other rule for the database."""
    desk = keyslots.desk_role(roles)
    db = '"' + dbname.replace('"', '""') + '"'
    hba = (f"hostssl {db} {desk} {address} cert map={desk}\n"
           f"hostssl {db} all {address} scram-sha-256 clientcert=verify-ca\n")
    return hba, f"{desk} /^.*$ {desk}\n"

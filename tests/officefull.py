"""An office on a real TLS server with every table the office schema has (officehelp.Office has the log and the
keyslots only): the records and requests tables, the recovery proof, a recovery keyslot under a known code,
and the function that ends a revoked desktop's sessions.

    office = full_office()          # an officehelp.Office; RECOVERY_CODE opens its recovery keyslot
"""

from __future__ import annotations

from officehelp import Office

from workstation.keys import kdf
from workstation.office import credential
from workstation.store.office import desktops, keyslots, records, recovery, requests

RECOVERY_CODE = "ABCDE-FGHJK-LMNPQ-RSTUV-WXYZ2-34567-89ABC-DEFGH"


def full_office() -> Office:
    office = Office.start()
    slot, proof = credential.recovery_slot_and_proof(RECOVERY_CODE, office.office_key, kdf.Pbkdf2(kdf.floor()))
    with office.superuser() as conn, conn.transaction():
        recovery.create(conn, office.roles)
        desktops.create(conn, office.roles)
        records.create(conn, office.roles)
        requests.create(conn, office.roles)
        keyslots.put_recovery(conn, slot.kdf_json(), slot.salt, slot.nonce, slot.wrapped)
        recovery.put_proof(conn, proof)
    return office

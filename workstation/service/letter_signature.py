"""A letter's PAdES signature in the service: signing a rendered letter with the issuing user's signer and
certificate, and the part of `dws verify-letter` that checks the file's PDF signature as a recipient's reader
would, with this store's office CA the trust root and the issuing user's certificate the only one accepted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ..errors import InputError
from ..keys.signer import Signer
from ..results import PdfSignatureReport
from ..store import certificates as certs_sql
from ..store import letters as letters_sql
from .certificates import SigningCertificate
from .context import Ctx


def sign(rendered: bytes, letter_id: str, signing: tuple[Signer, SigningCertificate], at: datetime) -> bytes:
    """The rendered letter signed PAdES B-B, its signing time `at` (the issue time the store records)."""
    from ..letters import pades  # pyHanko: imported when a letter is signed or checked (~0.5 s)

    signer, cert = signing
    try:
        return pades.sign(rendered, signer, cert.certificate, cert.ca, at,
                          reason=f"Letter {letter_id} issued by the Disclosure Workstation")
    except pades.LetterSigningError as exc:
        raise InputError(f"letter {letter_id} could not be signed ({exc}); nothing was issued") from None


def check(s: Ctx, data: bytes, issued: bytes, row: letters_sql.LetterRow,
          problems: list[str], notes: list[str]) -> PdfSignatureReport | None:
    """Check the PDF signature of `data` (the file) for letter `row`, whose stored bytes are `issued`; add
    what is wrong to `problems`. A letter issued before letters were signed: a note, and None."""
    from ..letters import pades

    letter = row.letter_id
    if pades.signature_count(issued) == 0:
        notes.append(f"letter {letter} was issued on {row.issued_at[:10]}, before letters carried a PDF signature: "
                     "it is checked against the store's copy and the decision's signatures only")
        return None
    authority = certs_sql.ca_certificate(s.conn)
    if authority is None:
        problems.append("this store has no office CA, yet its letter carries a PDF signature")
        return None

    def certificate_of(serial: str) -> tuple[str, bytes] | None:
        known = certs_sql.by_serial(s.conn, serial)
        return (known.user, known.certificate) if known is not None else None
    return judge(data, authority, datetime.fromisoformat(row.issued_at), letter, row.issued_by, certificate_of,
                 "this store's office CA", problems)


def judge(data: bytes, authority: bytes, issued_at: datetime, letter: str, issued_by: str,
          certificate_of: Callable[[str], tuple[str, bytes] | None], root: str,
          problems: list[str]) -> PdfSignatureReport | None:
    """The file's PDF signature judged as a recipient's reader would: it chains to `authority` (called `root` in
    the messages), covers the whole file, is by the certificate issued to `issued_by` (`certificate_of` a serial:
    its user and certificate, or None), and was made at the letter's issue time; what is wrong added to
    `problems`. Shared by the local store (check) and the office (office_letters)."""
    from ..letters import pades

    try:
        found = pades.check(data, authority, issued_at)
    except ValueError as exc:
        problems.append(f"letter {letter}: {exc}")
        return None
    known = certificate_of(found.serial)
    own = known is not None and known[0] == issued_by and known[1] == found.certificate
    reported = datetime.fromisoformat(found.signing_time) if found.signing_time else None
    timely = reported is not None and abs(reported - issued_at) <= timedelta(seconds=1)
    if not found.whole_file:
        problems.append(f"letter {letter}: an incremental update follows its PDF signature (bytes were added "
                        "after signing, which can change what the PDF shows)")
    if not found.intact:
        problems.append(f"letter {letter}: its PDF signature no longer matches the signed bytes (the file was "
                        "changed after signing)")
    elif not found.valid:
        problems.append(f"letter {letter}: its PDF signature does not verify")
    if not found.trusted:
        problems.append(f"letter {letter}: the PDF signing certificate does not chain to {root}")
    if not own:
        problems.append(f"letter {letter}: the PDF is signed under certificate {found.serial}, which the office "
                        f"CA did not issue to {issued_by}, who issued the letter")
    if not timely:
        problems.append(f"letter {letter}: the PDF signature's signing time is not the letter's issue time")
    return PdfSignatureReport(found.ok and own and timely, found.signer, found.serial, found.signing_time, found.intact,
                              found.valid, found.trusted, own, found.whole_file)

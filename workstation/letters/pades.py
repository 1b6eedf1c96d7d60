"""PAdES signatures on letters, through pyHanko: sign a rendered letter, and check the signature of a file.

A letter is signed PAdES B-B: one CMS signature of subfilter ETSI.CAdES.detached, SHA-256 with ECDSA P-256,
the signer's certificate and the office CA's embedded, the signing time the letter's issue time. pyHanko adds
it as one incremental update after the rendered letter, and its byte range covers the whole file but the
signature itself: what any reader checks ("Total document signed"). The update holds only the signature (its
field, widget and dictionary, the form, and the PAdES and ISO 32002 extension markers pyHanko declares); the
letter's document information and XMP packet, with the log checkpoint, stay exactly as rendered.

The private key is never here: pyHanko asks `_TokenSigner.async_sign_raw` for the signature of the signed
attributes, and that calls the user's `Signer` (a key from their keyslot, or a PIV card through PKCS#11).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import algos
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign import signers as hanko
from pyhanko.sign.general import SigningError
from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..keys import ca
from ..keys import primitives as p
from ..keys.signer import Signer
from .archival import SIGNATURE_FIELD
from .pades_reader import LetterReader

FIELD = SIGNATURE_FIELD       # the empty field every letter carries (archival.py): pyHanko fills it
PLACEHOLDER = bytes(72)        # the longest DER ECDSA P-256 signature (pyHanko asks for one to size a CMS)
CMS_OVERHEAD = 2048            # bytes reserved for the CMS beyond its two certificates: the signed attributes,
                               # the signer info and the signature take about 700; reserving them outright spares
                               # pyHanko building the whole CMS twice (once only to measure it)


class LetterSigningError(Exception):
    """The letter could not be signed (a signer that does not hold the certified key, a failing token)."""


class _TokenSigner(hanko.Signer):
    """pyHanko's signer interface over ours: pyHanko builds the CMS, our Signer makes the one raw signature."""

    def __init__(self, signer: Signer, certificate: bytes, authority: bytes) -> None:
        super().__init__(signing_cert=asn1_x509.Certificate.load(certificate),
                         # pyhanko-certvalidator leaves from_certs unannotated
                         cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
                             [asn1_x509.Certificate.load(authority)]),
                         signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                         embed_roots=True)
        self._signer = signer

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if digest_algorithm != "sha256":
            raise SigningError(f"letters are signed with SHA-256, not {digest_algorithm}")
        return PLACEHOLDER if dry_run else self._signer.sign(data)


class _AtIssueTime(hanko.PdfSigner):
    """The signing time (the CMS signing-time attribute and the signature dictionary's /M) is the letter's
    issue time from the product's clock, not the machine's."""

    def __init__(self, meta: hanko.PdfSignatureMetadata, signer: hanko.Signer, at: datetime) -> None:
        super().__init__(meta, signer)
        self._at = at

    def init_signing_session(self, pdf_out, existing_fields_only=False):  # type: ignore[no-untyped-def]
        session = super().init_signing_session(pdf_out, existing_fields_only)
        session.system_time = self._at
        return session


class _LetterWriter(IncrementalPdfFileWriter):
    """An incremental update that leaves the letter's metadata alone: pyHanko would otherwise stamp /ModDate
    with the wall clock and rewrite the XMP packet that carries the log checkpoint; nor does it raise the PDF
    version past PDF/A-2's 1.7."""

    def _update_meta(self) -> None:
        return None

    def ensure_output_version(self, version: tuple[int, int]) -> None:
        """A letter is PDF/A-2, which is PDF 1.7: pyHanko would mark an ECDSA signature's file as PDF 2.0 (ISO
        32002). It stays 1.7, the ISO 32002 extension declared in the catalog as before."""
        super().ensure_output_version(min(version, (1, 7)))  # type: ignore[no-untyped-call]


def sign(pdf: bytes, signer: Signer, certificate: bytes, authority: bytes, at: datetime, reason: str) -> bytes:
    """The letter `pdf` with its PAdES B-B signature by `signer`, whose key `certificate` certifies."""
    if signer.algorithm != p.ECDSA_P256 or signer.public_key != ca.public_key_of(certificate):
        raise LetterSigningError("the signing key is not the key the certificate certifies")
    meta = hanko.PdfSignatureMetadata(field_name=FIELD, md_algorithm="sha256", reason=reason,
                                      subfilter=fields.SigSeedSubFilter.PADES)
    writer = _LetterWriter.from_reader(LetterReader(io.BytesIO(pdf)))
    try:
        out = _AtIssueTime(meta, _TokenSigner(signer, certificate, authority), at).sign_pdf(
            writer, bytes_reserved=2 * (len(certificate) + len(authority) + CMS_OVERHEAD))   # in hex digits
    except (SigningError, PdfError, ValueError) as exc:       # pyHanko's own; a Signer's errors pass through
        raise LetterSigningError(str(exc)) from None
    signed: bytes = out.getvalue()
    return signed


@dataclass(frozen=True, slots=True)
class PdfSignatureCheck:
    """What a PDF reader would say of the file's signature, checked against the office CA."""

    signer: str                 # the signing certificate's common name
    serial: str                 # its serial (hex)
    signing_time: str | None    # as the signer reported it (ISO 8601)
    intact: bool                # the signed bytes are unchanged
    valid: bool                 # the CMS signature verifies with the embedded certificate
    trusted: bool               # that certificate chains to the office CA
    whole_file: bool            # the signature covers the entire file: nothing appended after signing
    certificate: bytes          # DER, so the caller can hold it against the store

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.whole_file


def signature_count(pdf: bytes) -> int:
    """How many signatures the file carries (0 for letters issued before letters were signed); -1 when it is
    not a PDF that pyHanko can read."""
    try:
        return len(PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures)
    except Exception:          # any file at all may come here: whatever the parser trips on, it is unreadable
        return -1


def check(pdf: bytes, authority: bytes, at: datetime) -> PdfSignatureCheck:
    """The file's (one) signature validated with pyHanko, the office CA the only trust root, certificates
    judged at `at` (the letter's issue time, which the store records). Raises ValueError when the file has
    no signature pyHanko can read."""
    # The file may be anything (a letter changed by hand, a hostile file naming one of our letter ids): whatever
    # the parser or the validator trips on, the answer is that its signature cannot be read or validated.
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_regular_signatures
    except Exception as exc:
        raise ValueError(f"its PDF structure cannot be read ({type(exc).__name__})") from None
    if len(signatures) != 1:
        raise ValueError(f"it carries {len(signatures)} PDF signatures, not one")
    embedded = signatures[0]
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(authority)], moment=at,
                                allow_fetching=False)
    try:
        cert = embedded.signer_cert
        status = validate_pdf_signature(embedded, signer_validation_context=context)
    except Exception as exc:
        raise ValueError(f"its PDF signature cannot be validated ({type(exc).__name__})") from None
    names = cert.subject.native
    reported = status.signer_reported_dt
    return PdfSignatureCheck(
        signer=str(names.get("common_name", "")), serial=f"{cert.serial_number:x}",
        signing_time=reported.isoformat() if reported else None, intact=status.intact, valid=status.valid,
        trusted=status.trusted, whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        certificate=cert.dump())

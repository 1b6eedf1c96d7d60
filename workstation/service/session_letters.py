"""Session methods for letters and the accounting of disclosures (letters.py, accounting.py): issuing,
reading back, logging each output, verifying a letter file, the yearly accounting."""

from __future__ import annotations

from pathlib import Path

from ..results import AccountingSummary, IssuedLetter, LetterCheck
from .context import Ctx


class LettersMixin:
    _ctx: Ctx

    def issue_letter(self, request_id: str, secret: str) -> bytes:
        """The PDF letter for the request's final decision: generated, signed (PAdES, with the user's key:
        `secret` opens it, as for a decision) and stored the first time, with the accounting of disclosures;
        the stored bytes after that (no new signature)."""
        return self.letter(request_id, secret).pdf

    def letter(self, request_id: str, secret: str) -> IssuedLetter:
        """Like issue_letter, with the letter's id, kind, pages, hash and whether it was made now."""
        from .letters import issue

        return issue(self._ctx, request_id, secret)

    def letter_bytes(self, request_id: str) -> bytes | None:
        """The letter already issued for the request's current decision, or None (never generates one)."""
        from .letters import stored

        letter = stored(self._ctx, request_id)
        return letter.pdf if letter else None

    def letter_text(self, request_id: str) -> str | None:
        """The issued letter's text as a screen reader reads its pages (redaction/pdftext.reading_text), line by
        line, page after page, without the running headers, footers and page numbers (artifacts); None when no
        letter is issued."""
        from ..redaction.pdftext import reading_text

        pdf = self.letter_bytes(request_id)
        return None if pdf is None else reading_text(pdf)

    def record_letter_output(self, request_id: str, action: str, target: str) -> None:
        """Log that the issued letter was written, printed, saved or viewed ('letter-printed', ...)."""
        from .letters import record_output

        record_output(self._ctx, request_id, action, target)

    def verify_letter(self, data: bytes, source: str = "letter") -> LetterCheck:
        from .letters import verify

        return verify(self._ctx, data, source)

    def accounting(self, year: int) -> AccountingSummary:
        from .accounting import summary

        return summary(self._ctx, year)

    def export_accounting(self, year: int, path: Path) -> AccountingSummary:
        from .accounting import export

        return export(self._ctx, year, path)

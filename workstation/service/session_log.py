"""Session methods for the audit log's checkpoints, witnesses and inclusion proofs (witness.py, proofs.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..model import CheckpointInfo, InclusionProof, WitnessOutcome, WitnessWrite

if TYPE_CHECKING:
    from .session import Session


class LogMixin:
    def checkpoint(self: Session) -> CheckpointInfo:
        """Sign a checkpoint of the log now (with the checkpoint key unwrapped at unlock: no prompt)."""
        from .witness import make_checkpoint

        return make_checkpoint(self)

    def checkpoint_verifier_key(self: Session, user: str | None = None) -> str:
        from .witness import verifier_key

        return verifier_key(self, user)

    def write_witness(self: Session, folder: Path) -> WitnessWrite:
        """Sign a checkpoint and write it to a witness folder outside the store (on lock and exit)."""
        from .witness import write_witness

        return write_witness(self, folder)

    def append_witness(self: Session) -> WitnessOutcome:
        """A checkpoint to the witness folder (setting `witness_folder`, default beside the store), as on
        every lock and exit: never raises for the folder, its warning is in the outcome (witness_folder.py)."""
        from .witness_folder import append

        return append(self)

    def witness_status(self: Session) -> WitnessOutcome:
        """When the witness folder last received a checkpoint of this store (or why it cannot be read)."""
        from .witness_folder import status

        return status(self)

    def wrote_to_log(self: Session) -> bool:
        """Has this session appended to the log since it was opened (beyond its own unlock entries)?"""
        from ..store import auditlog

        return auditlog.head(self.conn)[0] > self._head_at_open

    def prove_entry(self: Session, seq: int) -> InclusionProof:
        from .proofs import prove_entry

        return prove_entry(self, seq)

    def prove_request(self: Session, request_id: str) -> list[InclusionProof]:
        from .proofs import prove_request

        return prove_request(self, request_id)

    def prove_taxpayer_views(self: Session, tin: str) -> list[InclusionProof]:
        from .proofs import prove_taxpayer_views

        return prove_taxpayer_views(self, tin)


"""Session methods for the audit log's checkpoints, witnesses and inclusion proofs (witness.py, proofs.py)."""

from __future__ import annotations

from pathlib import Path

from ..model import CheckpointInfo, InclusionProof, TaxpayerViews, WitnessOutcome, WitnessWrite
from .context import Ctx


class LogMixin:
    _ctx: Ctx
    _head_at_open: int

    def checkpoint(self) -> CheckpointInfo:
        """Sign a checkpoint of the log now (with the checkpoint key unwrapped at unlock: no prompt)."""
        from .witness import make_checkpoint

        return make_checkpoint(self._ctx)

    def checkpoint_verifier_key(self, user: str | None = None) -> str:
        from .witness import verifier_key

        return verifier_key(self._ctx, user)

    def write_witness(self, folder: Path) -> WitnessWrite:
        """Sign a checkpoint and write it to a witness folder outside the store (on lock and exit)."""
        from .witness import write_witness

        return write_witness(self._ctx, folder)

    def append_witness(self) -> WitnessOutcome:
        """A checkpoint to the witness folder (setting `witness_folder`, default beside the store), as on
        every lock and exit: never raises for the folder, its warning is in the outcome (witness_folder.py)."""
        from .witness_folder import append

        return append(self._ctx)

    def witness_status(self) -> WitnessOutcome:
        """When the witness folder last received a checkpoint of this store (or why it cannot be read)."""
        from .witness_folder import status

        return status(self._ctx)

    def wrote_to_log(self) -> bool:
        """Has this session appended to the log since it was opened (beyond its own unlock entries)?"""
        from ..store import auditlog

        return auditlog.head(self._ctx.conn)[0] > self._head_at_open

    def prove_entry(self, seq: int) -> InclusionProof:
        from .proofs import prove_entry

        return prove_entry(self._ctx, seq)

    def prove_request(self, request_id: str) -> list[InclusionProof]:
        from .proofs import prove_request

        return prove_request(self._ctx, request_id)

    def proofs_logged(self) -> bool:
        """Whether exporting proofs is logged: always, in a local store."""
        return True

    def prove_taxpayer_views(self, tin: str) -> TaxpayerViews:
        from .proofs import prove_taxpayer_views

        return prove_taxpayer_views(self._ctx, tin)


"""Subject references compacted into ranges: "1–40, 42, 45–1280000" instead of 1.28 million numbers.

Subjects are taken in request order; a run of consecutive subjects prints as "first–last" (their refs as the
requester gave them). A group keeps at most `limit` runs and counts the rest, so a scattered defect among
a million subjects costs a bounded amount of memory and paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DASH = "\u2013"   # en dash


@dataclass
class Runs:
    limit: int
    count: int = 0                 # subjects added
    more: int = 0                  # subjects beyond the kept runs
    _runs: list[list[Any]] = field(default_factory=list)   # [first seq, last seq, first ref, last ref]

    def add(self, seq: int, ref: str) -> None:
        self.count += 1
        runs = self._runs
        if runs and runs[-1][1] == seq - 1 and not self.more:
            last = runs[-1]
            last[1], last[3] = seq, ref
        elif len(runs) < self.limit and not self.more:
            runs.append([seq, seq, ref, ref])
        else:
            self.more += 1

    def text(self) -> str:
        out = []
        for first, last, first_ref, last_ref in self._runs:
            if first == last:
                out.append(first_ref)
            elif last == first + 1:
                out += [first_ref, last_ref]
            else:
                out.append(f"{first_ref}{DASH}{last_ref}")
        return ", ".join(out)

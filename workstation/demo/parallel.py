"""Ordered map over chunks, in this process or in spawned worker processes — same results either way.

Large demo files (millions of rows) are produced chunk by chunk; each chunk depends only on its own
index, so worker processes can produce them in parallel while the parent writes them in order.
"spawn" (not "fork") is used so that a caller with threads (the GUI's worker thread) is safe.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MAX_WORKERS = 4


def default_workers(items: int, threshold: int) -> int:
    """One process below ``threshold`` items; else one per CPU (at most MAX_WORKERS)."""
    if items < threshold:
        return 1
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


def ordered_map(func: Callable[[T], R], tasks: Iterable[T], *, workers: int,
                initializer: Callable[..., None], initargs: tuple[Any, ...]) -> Iterator[R]:
    """``func`` over ``tasks`` in order; ``initializer(*initargs)`` prepares each process first."""
    if workers <= 1:
        initializer(*initargs)
        yield from map(func, tasks)
        return
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        # at most 2 results per worker in flight: memory stays bounded however slow the consumer is
        todo = iter(tasks)
        pending: deque[AsyncResult[R]] = deque(
            pool.apply_async(func, (task,)) for task in itertools.islice(todo, 2 * workers))
        while pending:
            result = pending.popleft().get()
            for task in itertools.islice(todo, 1):
                pending.append(pool.apply_async(func, (task,)))
            yield result

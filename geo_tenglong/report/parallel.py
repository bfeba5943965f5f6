"""Rendering in worker processes: ordered chunks over a process pool, one process per core.

Report pages are pure Python work (templates, formatting, SVG paths), so threads would share one
GIL; processes scale with the cores. Where the platform can fork (Linux, the servers that run
province-wide jobs), the workers inherit the parent's prepared state without pickling it; elsewhere
(Windows, macOS spawn) the initializer's arguments are pickled to each worker once. Results come
back in the order of the chunks, so what is written never depends on the number of workers.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

__all__ = ["chunk_size", "chunked", "forks", "map_chunks", "worker_count"]

T = TypeVar("T")
R = TypeVar("R")


def worker_count(workers: int | None = None) -> int:
    """Worker processes to use: ``workers`` if given, else :func:`os.cpu_count` (at least 1)."""
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def chunked(items: Sequence[T], size: int) -> list[list[T]]:
    """``items`` cut into consecutive lists of at most ``size``.

    Examples
    --------
    >>> chunked(list("abcde"), 2)
    [['a', 'b'], ['c', 'd'], ['e']]
    """
    size = max(1, size)
    return [list(items[k:k + size]) for k in range(0, len(items), size)]


def _context() -> BaseContext:
    """``fork`` where the platform has it (no pickling of the workers' state), else the default."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def forks() -> bool:
    """Whether workers are forked (they inherit the parent's memory; nothing is pickled to them)."""
    return _context().get_start_method() == "fork"


def map_chunks(func: Callable[[list[T]], R], chunks: list[list[T]], workers: int,
               initializer: Callable[..., None], initargs: tuple[Any, ...] = (),
               context: BaseContext | None = None) -> Iterator[R]:
    """``func`` of each chunk, in chunk order, computed by ``workers`` processes.

    With one worker (or one chunk) everything runs in this process, after ``initializer(*initargs)``.

    Parameters
    ----------
    func : callable
        A module-level function of one chunk (it reads what ``initializer`` set up).
    chunks : list of list
    workers : int
    initializer : callable
        Run once in each worker before its first chunk.
    initargs : tuple
        Arguments of ``initializer`` (inherited by forked workers, pickled to spawned ones).
    context : multiprocessing context, optional
        Default: ``fork`` where available.

    Yields
    ------
    The results of ``func``, in the order of ``chunks``. An exception raised by ``func`` in a
    worker is raised here, as it was raised there.
    """
    workers = min(workers, len(chunks))
    if workers <= 1:
        initializer(*initargs)
        for chunk in chunks:
            yield func(chunk)
        return
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context or _context(),
                                                initializer=initializer, initargs=initargs) as pool:
        futures = [pool.submit(func, chunk) for chunk in chunks]
        try:
            for future in futures:
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def chunk_size(n: int, workers: int, most: int) -> int:
    """Items per chunk: about two chunks per worker, at most ``most`` (e.g. atlas pages per print).

    Examples
    --------
    >>> chunk_size(398, 2, 100), chunk_size(10, 2, 100), chunk_size(50_000, 8, 100)
    (100, 3, 100)
    """
    return max(1, min(most, math.ceil(n / (2 * max(1, workers)))))

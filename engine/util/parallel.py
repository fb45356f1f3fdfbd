"""Run one function over many items in worker processes, with a progress bar."""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TypeVar

from tqdm import tqdm

Item = TypeVar("Item")
Result = TypeVar("Result")


def _leave_signals_to_the_parent() -> None:
    """Worker set-up: Ctrl-C reaches the whole process group, but only the parent reports
    it (one line); the parent ends the workers, which then stop quietly on SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (the executor has no public
    way to: shutdown would wait for the running items)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown forgets them
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()


def run_parallel(
    work: Callable[[Item], Result], items: Sequence[Item], *, jobs: int, desc: str, unit: str = "song",
    progress: bool = True,
) -> list[Result]:
    """`[work(item) for item in items]`, on `jobs` processes (in this one when jobs is 1).

    `work` must be a module-level function. A worker's exception is raised here; so are
    Ctrl-C and SIGTERM, after the workers are ended (none is left running, none prints).
    """
    results: list[Result | None] = [None] * len(items)
    with tqdm(total=len(items), desc=desc, disable=not progress, unit=unit) as bar:
        if jobs <= 1 or len(items) <= 1:
            for i, item in enumerate(items):
                results[i] = work(item)
                bar.update()
            return results  # type: ignore[return-value]
        pool = ProcessPoolExecutor(max_workers=jobs, initializer=_leave_signals_to_the_parent)
        try:
            futures = {pool.submit(work, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
        except BaseException:
            _end_workers(pool)
            raise
        pool.shutdown()
    return results  # type: ignore[return-value]

"""Run one function over many items in worker processes, with a progress bar."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import TypeVar

from tqdm import tqdm

Item = TypeVar("Item")
Result = TypeVar("Result")


def run_parallel(
    work: Callable[[Item], Result], items: Sequence[Item], *, jobs: int, desc: str, unit: str = "song",
    progress: bool = True,
) -> list[Result]:
    """`[work(item) for item in items]`, on `jobs` processes (in this one when jobs is 1).

    `work` must be a module-level function. A worker's exception is raised here.
    """
    results: list[Result | None] = [None] * len(items)
    bar = tqdm(total=len(items), desc=desc, disable=not progress, unit=unit)
    if jobs <= 1 or len(items) <= 1:
        for i, item in enumerate(items):
            results[i] = work(item)
            bar.update()
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(work, item): i for i, item in enumerate(items)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                bar.update()
    bar.close()
    return results  # type: ignore[return-value]

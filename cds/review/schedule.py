"""The shards to review: in this process, or in a pool of worker processes, each finished
shard recorded at once in ``DIR/progress.json`` (``resume.py``) so that a killed run resumes
after it.

What reviews a shard is given (`ShardWorker`: the local engine's ``init_worker`` and
``review_shard``); this module only decides where and in what order, and keeps the books.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import orjson

from cds.review.options import ReviewOptions
from cds.review.progress import Reporter
from cds.review.resume import write_atomic
from cds.review.shards import Partition, Payload, payload_of
from cds.review.stats import ReviewStats

#: One shard's review: (shard, its payload, the parts folder) -> (shard, its counts).
Review = Callable[[int, Payload, str], tuple[int, ReviewStats]]


@dataclass(frozen=True)
class ShardWorker:
    """How shards are reviewed: ``setup(*args)`` once in each process that reviews (the
    pool's initializer, or this process), then ``review`` for each shard."""

    setup: Callable[..., None]
    args: tuple[Any, ...]
    review: Review


def pool_context() -> Any:
    """The processes' start method: fork where there is one (workers inherit the pack and the
    reference data without pickling them; Linux), else spawn."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def evaluate_shards(
    part: Partition,
    worker: ShardWorker,
    options: ReviewOptions,
    finished: set[int],
    state: dict[str, Any],
    reporter: Reporter,
    abort_after: int | None,
) -> None:
    """Review every shard not ``finished``, recording each as it completes (its counts beside
    its outputs, then ``progress.json``); in this process with one worker or one shard."""
    todo = sorted(s for s in part.patients if s not in finished)
    total_patients = sum(len(p) for p in part.patients.values())
    done_patients = sum(len(part.patients[s]) for s in finished if s in part.patients)
    reporter.start(total_patients, done_patients)
    payloads = {s: payload_of(part, s) for s in todo}
    part.shards.clear()
    parts = str(options.out / "parts")
    completed = 0

    def record(result: tuple[int, ReviewStats]) -> None:
        nonlocal completed
        shard, stats = result
        write_atomic(options.out / "parts" / f"shard-{shard:05d}.stats.json", orjson.dumps(stats))
        finished.add(shard)
        state["finished"] = sorted(finished)
        write_atomic(options.out / "progress.json", orjson.dumps(state))
        reporter.advance(len(part.patients[shard]), part.resources.get(shard, 0))
        completed += 1
        if abort_after is not None and completed >= abort_after:
            raise KeyboardInterrupt("aborted for a test")

    try:
        if options.workers <= 1 or len(todo) <= 1:
            worker.setup(*worker.args)
            for shard in todo:
                record(worker.review(shard, payloads.pop(shard), parts))
        else:
            _run_pool(todo, payloads, worker, min(options.workers, len(todo)), parts, record)
    finally:
        reporter.close()


def _run_pool(
    todo: list[int],
    payloads: dict[int, Payload],
    worker: ShardWorker,
    workers: int,
    parts: str,
    record: Callable[[tuple[int, ReviewStats]], None],
) -> None:
    with ProcessPoolExecutor(
        workers, mp_context=pool_context(), initializer=worker.setup, initargs=worker.args
    ) as pool:
        pending: dict[Future[tuple[int, ReviewStats]], int] = {}
        queue = list(todo)
        try:
            while queue or pending:
                while queue and len(pending) < workers * 2:  # bounded: payloads stay in the parent
                    shard = queue.pop(0)
                    pending[pool.submit(worker.review, shard, payloads.pop(shard), parts)] = shard
                done = next(_as_completed(pending))
                del pending[done]
                record(done.result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _as_completed(
    pending: dict[Future[tuple[int, ReviewStats]], int],
) -> Iterator[Future[tuple[int, ReviewStats]]]:
    done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    yield from sorted(done, key=lambda f: pending[f])

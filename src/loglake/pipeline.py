"""The local pipeline: run the ETL on raw objects the way S3 would, with ObjectCreated events.

On AWS the raw bucket's notification invokes handlers.etl for each new object (or, batched, for the
messages of a queue); locally each worker hands up to BATCH_OBJECTS objects to transform/leased_etl.py,
which the batched Lambda shares: the objects share one DuckDB pass (transform/etl_batch.py), and after an
error the object it names runs alone while the others go back to the batch path.

A run never stops at one object: an unreadable raw object is set aside (lake/unreadable.py) and reported,
and the others are processed. Each object is processed under a lease, so two runs on one lake (two
`etl`, or an `ingest` beside an `etl`) share the objects instead of both processing all of them.
Each run records itself in state/runs/etl.json (lake/runs.py) for `loglake status`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from loglake.errors import LoglakeError, StoreError, first_line
from loglake.lake.manifests import processed_raw_objects
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.runs import etl_figures, now_ms, record_run
from loglake.lake.unreadable import (
    FIX,
    UNREADABLE_PREFIX,
    Unreadable,
    unreadable_objects,
)
from loglake.transform.etl import EtlResult
from loglake.transform.leased_etl import EtlFailure, attempt_objects
from loglake.transform.settings import EtlSettings

BATCH_OBJECTS = 32
"""Raw objects one worker processes in one DuckDB pass at most (transform/etl_batch.py): the fixed cost of
a run (~70 ms of CPU) is paid once per batch instead of once per object."""
LEASE_WAIT_S = 600.0
"""How long a run waits, after its other objects, for objects another run is processing."""


@dataclass
class EtlRun:
    """What one run did: every object is in exactly one of results, failures and busy."""

    results: list[EtlResult] = field(default_factory=list)
    failures: list[EtlFailure] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    """Objects another run still held after LEASE_WAIT_S: left to it, not processed by this run."""

    def error(self) -> LoglakeError | None:
        """One error naming what this run could not do and what to do about it; None when it did everything."""
        if self.failures:
            first = self.failures[0]
            others = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            fix = FIX if first.set_aside else "fix the cause, then run `loglake etl`"
            text = f"cannot process raw object {first.raw_object}{others}: {first.reason}; {fix}"
            if isinstance(first.error, LoglakeError):
                return type(first.error)(text)
            return StoreError(text)
        if self.busy:
            others = f" (and {len(self.busy) - 1} more)" if len(self.busy) > 1 else ""
            return StoreError(
                f"raw object {self.busy[0]}{others} is being processed by another run; "
                "run `loglake etl` once that run has finished"
            )
        return None


def pending_raw_objects(lake: Lake) -> list[str]:
    """Raw objects with no committed ETL run, or rewritten since (a collector slice that gained events).

    Objects set aside as unreadable are not pending: unreadable_raw_objects lists them.
    """
    lake.store.sweep()
    done = processed_raw_objects(lake.store)
    aside = unreadable_objects(lake.store)
    return [
        key
        for key in list_raw_objects(lake.store)
        if key not in aside and (key not in done or done[key] != lake.store.version(key))
    ]


def unreadable_raw_objects(lake: Lake) -> list[Unreadable]:
    """Raw objects set aside as unreadable (by the ETL or by verify), still as they were found."""
    return sorted(unreadable_objects(lake.store).values(), key=lambda record: record.raw_object)


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def run_etl_objects(
    lake: Lake,
    raw_keys: Iterable[str],
    settings: EtlSettings,
    on_done: Callable[[EtlResult], None] | None = None,
    workers: int | None = None,
    force: bool = False,
    lease_wait: float = LEASE_WAIT_S,
) -> EtlRun:
    """One event per object, `workers` objects at a time: the local stand-in for Lambda's fan-out.

    DuckDB releases the GIL, so threads use every core; each object gets cores/workers DuckDB threads.
    Objects another run holds are left to the end, then waited for (up to `lease_wait` seconds each):
    by then that run has usually committed them, and they are skipped as done.
    """
    workers = workers or default_workers()
    threads = max(1, (os.cpu_count() or 1) // workers)
    started = now_ms()
    store = lake.store
    store.sweep()
    records = set(store.list(UNREADABLE_PREFIX))

    def attempt_batch(keys: list[str], wait: float = 0.0) -> list[list[EtlResult] | EtlFailure | None]:
        """Objects of one DuckDB pass, each under its own lease (transform/leased_etl.py, which the batched
        ETL Lambda shares)."""
        outcomes = attempt_objects(
            store, keys, settings, unreadable_records=records, threads=threads, force=force, lease_wait=wait
        )
        return [[o] if isinstance(o, EtlResult) else o for o in (outcomes[k] for k in keys)]

    run = EtlRun()
    keys_seen: set[str] = set()

    def collect(key: str, outcome: list[EtlResult] | EtlFailure | None) -> bool:
        if isinstance(outcome, EtlFailure):
            run.failures.append(outcome)
        elif outcome is not None:
            for result in outcome:
                run.results.append(result)
                if on_done is not None:
                    on_done(result)
        return outcome is None

    keys: list[str] = []
    repeated: list[str] = []  # a key given twice: processed, then skipped as done
    for key in raw_keys:
        (repeated if key in keys_seen else keys).append(key)
        keys_seen.add(key)
    size = max(1, min(BATCH_OBJECTS, -(-len(keys) // workers)))  # every worker gets a batch
    batches = [keys[i : i + size] for i in range(0, len(keys), size)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loglake-etl") as pool:
        first = [o for outcomes in pool.map(attempt_batch, batches) for o in outcomes]
        held_elsewhere = [key for key, outcome in zip(keys, first, strict=True) if collect(key, outcome)]
        held_elsewhere += repeated
        outcomes = pool.map(lambda k: attempt_batch([k], lease_wait)[0], held_elsewhere)
        run.busy = [key for key, outcome in zip(held_elsewhere, outcomes, strict=True) if collect(key, outcome)]
    error = run.error()
    figures = {**etl_figures(run.results), "failures": len(run.failures), "busy": len(run.busy)}
    record_run(store, "etl", started, ok=error is None, figures=figures, error=first_line(error) if error else "")
    return run


def run_etl(
    lake: Lake,
    raw_keys: Iterable[str],
    settings: EtlSettings,
    on_done: Callable[[EtlResult], None] | None = None,
    workers: int | None = None,
    force: bool = False,
) -> list[EtlResult]:
    """run_etl_objects, for callers that want the results or one error: every object is attempted, then
    the error (if any) names the objects that could not be processed and what to do."""
    run = run_etl_objects(lake, raw_keys, settings, on_done=on_done, workers=workers, force=force)
    error = run.error()
    if error is not None:
        raise error
    return run.results

"""The local pipeline: run the ETL on raw objects the way S3 would, one ObjectCreated event per object.

On AWS the raw bucket's notification invokes handlers.etl for each new object; locally this module
sends the same-shaped event to the same function, so both paths share every line of ETL code.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from loglake.aws_events.s3_event import object_created_event
from loglake.handlers.etl import handle_s3_event
from loglake.lake.manifests import processed_raw_objects
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.transform.etl import EtlResult
from loglake.transform.settings import EtlSettings


def pending_raw_objects(lake: Lake) -> list[str]:
    """Raw objects with no committed ETL run, or rewritten since (a collector slice that gained events)."""
    done = processed_raw_objects(lake.store)
    return [key for key in list_raw_objects(lake.store) if key not in done or done[key] != lake.store.version(key)]


def default_workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def run_etl(
    lake: Lake,
    raw_keys: Iterable[str],
    settings: EtlSettings,
    on_done: Callable[[EtlResult], None] | None = None,
    workers: int | None = None,
    force: bool = False,
) -> list[EtlResult]:
    """One event per object, `workers` objects at a time: the local stand-in for Lambda's fan-out.

    DuckDB releases the GIL, so threads use every core; each object gets cores/workers DuckDB threads.
    """
    workers = workers or default_workers()
    threads = max(1, (os.cpu_count() or 1) // workers)

    def one(key: str) -> list[EtlResult]:
        event = object_created_event(lake.raw_bucket, lake.object_key(key))
        return handle_s3_event(event, lake, settings, threads=threads, force=force)

    results: list[EtlResult] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="loglake-etl") as pool:
        for batch in pool.map(one, list(raw_keys)):
            for result in batch:
                results.append(result)
                if on_done is not None:
                    on_done(result)
    return results

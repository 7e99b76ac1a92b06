"""The ETL of a list of raw objects as every caller runs it: `loglake etl` (pipeline.py) and the batched ETL
Lambda (handlers/etl_queue.py) share this, so that both hold the same per-object lease and handle an error
the same way; the direct ETL Lambda (handlers/etl.py) takes the same leases (`etl_leases`). Two runs on one
lake (a re-drive with `loglake etl --lake s3://...` beside the Lambda) never process one object at once;
that matters most with --force, which deletes a re-run's stale outputs.

    lease each object (etl/<raw key>; one another run holds is left to the caller: None)
        → the held objects in shared DuckDB passes (transform/etl_batch.py)
        → after a pass fails, the object it names runs alone, and the others go back to the batch path
        → an unreadable object is set aside (lake/unreadable.py); one readable again loses its record
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import duckdb

from loglake.errors import LoglakeError, RawObjectError, first_line
from loglake.lake.store import Store
from loglake.lake.unreadable import clear, set_aside, unreadable_key
from loglake.transform import etl
from loglake.transform.etl import EtlResult
from loglake.transform.etl_batch import BatchError, process_raw_objects
from loglake.transform.settings import EtlSettings

EXPECTED_ERRORS: tuple[type[Exception], ...] = (LoglakeError, duckdb.Error, OSError)
"""Errors that are one object's failure (reported, the others go on); anything else is a bug and raises."""


@dataclass(frozen=True)
class EtlFailure:
    raw_object: str
    reason: str
    set_aside: bool
    """True when the object is unreadable and is now recorded in state/unreadable/ (not retried until
    it changes, or until `etl --force`)."""
    error: Exception = field(repr=False, compare=False)


Attempt = EtlResult | EtlFailure | None
"""An object's outcome: processed (or already done), failed, or None when another run holds its lease."""


@contextmanager
def etl_leases(store: Store, keys: Sequence[str], *, wait: float = 0.0) -> Iterator[list[str]]:
    """Hold `etl/<key>` for each distinct key that no other run holds (waiting up to `wait` seconds for
    each); yields the keys held, in order, and releases them all after the block."""
    with ExitStack() as leases:
        yield [k for k in dict.fromkeys(keys) if leases.enter_context(store.lease(f"etl/{k}", wait=wait))]


def attempt_objects(
    store: Store,
    keys: Sequence[str],
    settings: EtlSettings,
    *,
    unreadable_records: Collection[str],
    threads: int | None = None,
    force: bool = False,
    lease_wait: float = 0.0,
    expected: tuple[type[Exception], ...] = EXPECTED_ERRORS,
) -> dict[str, Attempt]:
    """Each distinct key's outcome; see the module's docstring. `unreadable_records` are the keys under
    state/unreadable/ (listed once by the caller): an object processed now has its record cleared."""
    distinct = list(dict.fromkeys(keys))
    done: dict[str, EtlResult | EtlFailure] = {}
    with etl_leases(store, distinct, wait=lease_wait) as held:
        remaining = held
        while len(remaining) > 1:
            try:
                batched = process_raw_objects(
                    store, remaining, settings, threads=threads, force=force, one_at_a_time_on_error=False
                )
            except BatchError as exc:  # what it finished stays done; the object it names runs alone
                done.update(exc.results)
                alone = [k for k in ([exc.failed] if exc.failed else exc.chunk) if k in remaining and k not in done]
                for key in alone or [k for k in remaining if k not in done][:1]:
                    done[key] = _alone(store, key, settings, threads, force, expected)
                remaining = [k for k in remaining if k not in done]
                continue
            done.update(zip(remaining, batched, strict=True))
            remaining = []
        for key in remaining:
            done[key] = _alone(store, key, settings, threads, force, expected)
        for key, outcome in done.items():
            if isinstance(outcome, EtlResult) and unreadable_key(key) in unreadable_records:
                clear(store, key)  # readable again (restored, or a fixed reader)
    return {key: done.get(key) for key in distinct}


def _alone(
    store: Store,
    key: str,
    settings: EtlSettings,
    threads: int | None,
    force: bool,
    expected: tuple[type[Exception], ...],
) -> EtlResult | EtlFailure:
    """One object in a run of its own: its error is its own, and an unreadable one is set aside."""
    try:
        return etl.process_raw_object(store, key, settings, force=force, threads=threads)
    except RawObjectError as exc:
        try:
            set_aside(store, key, str(exc), "etl")
        except expected as failed:  # not recorded: a plain failure, retried
            return EtlFailure(key, f"{first_line(exc)} (and setting it aside failed: {first_line(failed)})", False, exc)
        return EtlFailure(key, str(exc), True, exc)
    except expected as exc:
        return EtlFailure(key, first_line(exc), False, exc)

"""The ETL Lambda, on the raw bucket's ObjectCreated notifications (direct, or through an SQS queue).

`handle_s3_event` is the whole behaviour and is what the local pipeline calls; `handler` only finds
the lake in the environment (LOGLAKE_LAKE, LOGLAKE_RAW, LOGLAKE_ETL_FORMAT) and, with
LOGLAKE_GLUE_DATABASE set, keeps the Glue tables in step with the schema registry and with the oldest
day of quarantine (the start of each table's partition projection).
Each invocation prints its metrics as EMF lines (handlers/metrics.py) and records itself in
state/runs/etl.json.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from loglake.aws_events.s3_event import s3_records
from loglake.aws_events.sqs_event import is_sqs_event
from loglake.errors import LeaseHeldError, first_line
from loglake.handlers.environment import etl_settings_from_environment, lake_from_environment
from loglake.handlers.etl_queue import handle_sqs_event
from loglake.handlers.metrics import Stopwatch, etl_metrics
from loglake.lake.keys import QUARANTINE_PREFIX, partition_day
from loglake.lake.open import Lake
from loglake.lake.runs import etl_figures, now_ms, record_run
from loglake.transform.etl import EtlResult
from loglake.transform.etl_batch import process_raw_objects
from loglake.transform.leased_etl import etl_leases
from loglake.transform.settings import EtlSettings

QUARANTINE_START = "quarantine/dt"
"""The key of `_catalogued` that holds the oldest quarantine day catalogued (not a table name)."""
_catalogued: dict[str, int | str] = {}
"""Registry version of each table as last written to Glue by this container, and under QUARANTINE_START
the oldest quarantine day it has catalogued."""


def handle_s3_event(
    event: Mapping[str, Any],
    lake: Lake,
    settings: EtlSettings,
    *,
    threads: int | None = None,
    force: bool = False,
    one_at_a_time_on_error: bool = True,
) -> list[EtlResult]:
    """Process every ObjectCreated record (one result each, in order); `force` re-runs objects that already
    have a manifest (re-drive). Several records share one DuckDB pass (transform/etl_batch.py); after an
    error they are processed one at a time, and the first object that fails raises its own error, unless
    `one_at_a_time_on_error` is False (the batch's error is raised: the local pipeline's choice).

    Each object is held under the lease `loglake etl` and the batched Lambda take (transform/leased_etl.py):
    when another run holds one (a re-drive), nothing is processed and LeaseHeldError is raised, so that
    Lambda retries the event; by then that run has usually committed the object, and it is skipped as done."""
    keys = [lake.lake_key(r.bucket, r.key) for r in s3_records(event) if r.is_object_created]
    with etl_leases(lake.store, keys) as held:
        busy = [k for k in dict.fromkeys(keys) if k not in held]
        if busy:
            raise LeaseHeldError(
                f"another run holds the lease etl/{busy[0]}; the event is retried (Lambda's retries, then the "
                "failed-invocations queue: re-drive with `loglake etl --lake s3://...`)"
            )
        return process_raw_objects(
            lake.store, keys, settings, threads=threads, force=force, one_at_a_time_on_error=one_at_a_time_on_error
        )


def sync_catalog_if_changed(
    lake: Lake, database: str, versions: Mapping[str, int], quarantine_start: str | None = None
) -> bool:
    """Update the Glue tables when a table this container wrote is at a registry version it has not
    catalogued yet (on a cold start, any; an older earliest_dt is a new version too), or when the runs
    quarantined lines older than the quarantine table's projection starts. `versions` and
    `quarantine_start` come from the ETL runs, so a warm container whose schemas and ranges did not move
    costs no registry reads and no Glue calls."""
    catalogued_start = str(_catalogued.get(QUARANTINE_START, "9999-12-31"))
    older_quarantine = quarantine_start is not None and quarantine_start < catalogued_start
    if not older_quarantine and all(_catalogued.get(table) == version for table, version in versions.items()):
        return False
    from loglake.catalog.glue_sync import GlueCatalog

    raw = os.environ.get("LOGLAKE_RAW") or None
    GlueCatalog(database).sync(lake.store, os.environ["LOGLAKE_LAKE"], raw_location=raw)
    _catalogued.update(versions)
    if quarantine_start is not None:
        _catalogued[QUARANTINE_START] = min(quarantine_start, catalogued_start)
    return True


def quarantine_start(results: list[EtlResult]) -> str | None:
    """The oldest quarantine day these runs wrote, from their output keys (quarantine/dt=YYYY-MM-DD/...)."""
    days = [
        day
        for r in results
        if not r.skipped
        for key in r.manifest.outputs
        if key.startswith(QUARANTINE_PREFIX) and (day := partition_day(key))
    ]
    return min(days, default=None)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """An S3 notification (one object, EtlBatchSize 1), or a batch of SQS messages that each hold one
    (EtlBatchSize > 1, handlers/etl_queue.py), answered with the messages to retry."""
    lake = lake_from_environment()
    started, watch = now_ms(), Stopwatch()
    queued = None
    try:
        if is_sqs_event(event):
            queued = handle_sqs_event(event, lake, etl_settings_from_environment())
            results = queued.results
        else:
            results = handle_s3_event(event, lake, etl_settings_from_environment())
    except Exception as exc:  # Lambda retries it and counts it in Errors; the state says it failed
        record_run(lake.store, "etl", started, ok=False, where="lambda", error=first_line(exc))
        raise
    processed = [r.manifest.raw_object for r in results if not r.skipped]
    database = os.environ.get("LOGLAKE_GLUE_DATABASE")
    versions = {table: v for r in results for table, v in r.schema_versions.items()}
    start = quarantine_start(results)
    catalog = Stopwatch()
    catalog_updated = bool(
        database and (versions or start) and sync_catalog_if_changed(lake, database, versions, start)
    )
    metrics = etl_metrics(results, {"catalog": catalog.ms(), "total": watch.ms()})
    if queued is not None:  # a failed object is an answer, not an error: Lambda's Errors never counts it
        metrics.add("RetriedMessages", len(queued.failed_messages))
        metrics.add("UnreadableObjects", len(queued.unreadable))
    metrics.emit()
    failed = "" if queued is None else queued.summary()
    record_run(lake.store, "etl", started, ok=not failed, where="lambda", figures=etl_figures(results), error=failed)
    if queued is not None:
        return queued.batch_item_failures()  # the answer ReportBatchItemFailures reads
    return {
        "processed": processed,
        "already_done": [r.manifest.raw_object for r in results if r.skipped],
        "catalog_updated": catalog_updated,
    }

"""The ETL Lambda, on the raw bucket's ObjectCreated notifications.

`handle_s3_event` is the whole behaviour and is what the local pipeline calls; `handler` only finds
the lake in the environment (LOGLAKE_LAKE, LOGLAKE_ETL_FORMAT).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from loglake.aws_events.s3_event import s3_records
from loglake.handlers.environment import etl_settings_from_environment, lake_from_environment
from loglake.lake.open import Lake
from loglake.transform.etl import EtlResult, process_raw_object
from loglake.transform.settings import EtlSettings


def handle_s3_event(
    event: Mapping[str, Any],
    lake: Lake,
    settings: EtlSettings,
    *,
    threads: int | None = None,
    force: bool = False,
) -> list[EtlResult]:
    """Process every ObjectCreated record; `force` re-runs objects that already have a manifest (re-drive)."""
    results = []
    for record in s3_records(event):
        if not record.is_object_created:
            continue
        key = lake.lake_key(record.bucket, record.key)
        results.append(process_raw_object(lake.store, key, settings, threads=threads, force=force))
    return results


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    results = handle_s3_event(event, lake_from_environment(), etl_settings_from_environment())
    return {
        "processed": [r.manifest.raw_object for r in results if not r.skipped],
        "already_done": [r.manifest.raw_object for r in results if r.skipped],
    }

"""The ETL Lambda, on the raw bucket's ObjectCreated notifications.

`handle_s3_event` is the whole behaviour and is what the local pipeline calls; `handler` only builds
the lake from the environment (LOGLAKE_LAKE, LOGLAKE_ETL_FORMAT) once per container.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from loglake.aws_events.s3_event import s3_records
from loglake.errors import EventError
from loglake.lake.open import Lake, open_lake
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


@lru_cache(maxsize=1)
def _lake_from_environment() -> tuple[Lake, EtlSettings]:
    location = os.environ.get("LOGLAKE_LAKE")
    if not location:
        raise EventError("LOGLAKE_LAKE is not set: the ETL function does not know where the lake is")
    return open_lake(location), EtlSettings(output_format=os.environ.get("LOGLAKE_ETL_FORMAT", "parquet"))


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    lake, settings = _lake_from_environment()
    results = handle_s3_event(event, lake, settings)
    return {
        "processed": [r.manifest.raw_object for r in results if not r.skipped],
        "already_done": [r.manifest.raw_object for r in results if r.skipped],
    }

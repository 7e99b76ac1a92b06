"""The ETL Lambda, on the raw bucket's ObjectCreated notifications.

`handle_s3_event` is the whole behaviour and is what the local pipeline calls; `handler` only finds
the lake in the environment (LOGLAKE_LAKE, LOGLAKE_RAW, LOGLAKE_ETL_FORMAT) and, with
LOGLAKE_GLUE_DATABASE set, keeps the Glue tables in step with the schema registry.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from loglake.aws_events.s3_event import s3_records
from loglake.handlers.environment import etl_settings_from_environment, lake_from_environment
from loglake.lake.open import Lake
from loglake.transform.etl import EtlResult, process_raw_object
from loglake.transform.settings import EtlSettings

_catalogued: dict[str, int] = {}
"""Registry version of each table as last written to Glue by this container."""


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


def sync_catalog_if_changed(lake: Lake, database: str, versions: Mapping[str, int]) -> bool:
    """Update the Glue tables when a table this container wrote is at a registry version it has not
    catalogued yet (on a cold start, any). `versions` come from the ETL runs, so a warm container whose
    schemas did not move costs no registry reads and no Glue calls."""
    if all(_catalogued.get(table) == version for table, version in versions.items()):
        return False
    from loglake.catalog.glue_sync import GlueCatalog

    raw = os.environ.get("LOGLAKE_RAW") or None
    GlueCatalog(database).sync(lake.store, os.environ["LOGLAKE_LAKE"], raw_location=raw)
    _catalogued.update(versions)
    return True


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    lake = lake_from_environment()
    results = handle_s3_event(event, lake, etl_settings_from_environment())
    processed = [r.manifest.raw_object for r in results if not r.skipped]
    database = os.environ.get("LOGLAKE_GLUE_DATABASE")
    versions = {table: v for r in results for table, v in r.schema_versions.items()}
    catalog_updated = bool(database and versions and sync_catalog_if_changed(lake, database, versions))
    return {
        "processed": processed,
        "already_done": [r.manifest.raw_object for r in results if r.skipped],
        "catalog_updated": catalog_updated,
    }

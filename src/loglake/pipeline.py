"""The local pipeline: run the ETL on raw objects the way S3 would, one ObjectCreated event per object.

On AWS the raw bucket's notification invokes handlers.etl for each new object; locally this module
sends the same-shaped event to the same function, so both paths share every line of ETL code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from loglake.aws_events.s3_event import object_created_event
from loglake.handlers.etl import handle_s3_event
from loglake.lake.manifests import processed_raw_objects
from loglake.lake.open import Lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.transform.etl import EtlResult
from loglake.transform.settings import EtlSettings


def pending_raw_objects(lake: Lake) -> list[str]:
    done = processed_raw_objects(lake.store)
    return [key for key in list_raw_objects(lake.store) if key not in done]


def run_etl(
    lake: Lake,
    raw_keys: Iterable[str],
    settings: EtlSettings,
    on_done: Callable[[EtlResult], None] | None = None,
) -> list[EtlResult]:
    results = []
    for key in raw_keys:
        for result in handle_s3_event(object_created_event(lake.raw_bucket, key), lake, settings):
            results.append(result)
            if on_done is not None:
                on_done(result)
    return results

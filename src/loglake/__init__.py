"""loglake: turn application logs into a cheap, queryable data lake with no servers to run.

The public API is listed in __all__. Names are imported lazily so that `import loglake` (and a Lambda
cold start) pays only for what it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "AthenaEngine": "loglake.query.athena_engine",
    "CloudWatchCollector": "loglake.sources.cloudwatch_logs",
    "CollectorOptions": "loglake.sources.cloudwatch_logs",
    "ConservationReport": "loglake.query.conservation",
    "DuckDBEngine": "loglake.query.engine",
    "EtlResult": "loglake.transform.etl",
    "EtlSettings": "loglake.transform.settings",
    "FileSource": "loglake.sources.local_files",
    "FileSourceOptions": "loglake.sources.local_files",
    "GlueCatalog": "loglake.catalog.glue_sync",
    "Lake": "loglake.lake.open",
    "Loglake": "loglake.api",
    "LoglakeError": "loglake.errors",
    "check_conservation": "loglake.query.conservation",
    "connect": "loglake.api",
    "open_lake": "loglake.lake.open",
    "process_raw_object": "loglake.transform.etl",
    "run_etl": "loglake.pipeline",
    "saved_query": "loglake.query.saved_queries",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'loglake' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return [*__all__, "__version__"]

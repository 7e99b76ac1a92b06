"""The lake a Lambda function works on, from its environment (LOGLAKE_LAKE, and LOGLAKE_RAW when the raw
zone has its own bucket), built once per container."""

from __future__ import annotations

import json
import os
from functools import lru_cache

from loglake.errors import ConfigError, EventError
from loglake.lake.open import Lake, open_lake
from loglake.transform.settings import EtlSettings


@lru_cache(maxsize=1)
def lake_from_environment() -> Lake:
    location = os.environ.get("LOGLAKE_LAKE")
    if not location:
        raise EventError("LOGLAKE_LAKE is not set: the function does not know where the lake is")
    return open_lake(location, os.environ.get("LOGLAKE_RAW") or None)


def etl_settings_from_environment() -> EtlSettings:
    """LOGLAKE_ETL_FORMAT, and LOGLAKE_ETL_ROUTES / LOGLAKE_ETL_REDACT as JSON lists (as in loglake.toml)."""
    try:
        routes = json.loads(os.environ.get("LOGLAKE_ETL_ROUTES") or "[]")
        redact = json.loads(os.environ.get("LOGLAKE_ETL_REDACT") or "[]")
    except json.JSONDecodeError as exc:
        raise ConfigError(f"LOGLAKE_ETL_ROUTES / LOGLAKE_ETL_REDACT must be JSON lists: {exc}") from None
    return EtlSettings(
        output_format=os.environ.get("LOGLAKE_ETL_FORMAT", "parquet"), routes=tuple(routes), redact=tuple(redact)
    )

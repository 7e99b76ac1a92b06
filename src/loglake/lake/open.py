"""Open a lake from a location string: a local folder now; `s3://bucket/prefix` comes with the S3 store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loglake.errors import ConfigError
from loglake.lake.local_store import LocalStore
from loglake.lake.store import Store

LOCAL_BUCKET = "local"
"""The bucket name S3-shaped events carry for a local lake."""


@dataclass(frozen=True)
class Lake:
    store: Store
    raw_bucket: str


def open_lake(location: str) -> Lake:
    if "://" in location:
        scheme = location.split("://", 1)[0]
        if scheme == "file":
            return open_lake(location.split("://", 1)[1])
        raise ConfigError(f"unsupported lake location {location!r}: this version supports local folders")
    return Lake(LocalStore(Path(location)), LOCAL_BUCKET)

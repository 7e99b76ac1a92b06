"""Open a lake from a location string: a local folder, or `s3://bucket/prefix` (any S3-compatible endpoint)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from loglake.errors import ConfigError, EventError
from loglake.lake.keys import CLEAN_PREFIX, QUARANTINE_PREFIX, RAW_PREFIX, SCHEMA_PREFIX, STATE_PREFIX
from loglake.lake.local_store import LocalStore
from loglake.lake.store import Store

ZONE_PREFIXES = (RAW_PREFIX, SCHEMA_PREFIX, CLEAN_PREFIX, QUARANTINE_PREFIX, STATE_PREFIX)
LOCAL_BUCKET = "local"
"""The bucket name S3-shaped events carry for a local lake."""


@dataclass(frozen=True)
class Lake:
    store: Store
    raw_bucket: str
    key_prefix: str = ""
    """What precedes lake keys in the bucket's object keys (the s3://bucket/<prefix>/ of the lake)."""

    def lake_key(self, bucket: str, object_key: str) -> str:
        """The lake key of an object named by an S3 event; refuses objects outside this lake."""
        if bucket != self.raw_bucket:
            raise EventError(f"event for bucket {bucket!r}, but this lake's raw zone is in {self.raw_bucket!r}")
        if not object_key.startswith(self.key_prefix):
            raise EventError(f"object {object_key!r} is outside this lake (prefix {self.key_prefix!r})")
        return object_key[len(self.key_prefix) :]

    def object_key(self, lake_key: str) -> str:
        return self.key_prefix + lake_key

    def exists(self) -> bool:
        """Whether any zone holds an object: a typo'd path or an empty folder is not a lake, and reading
        it would answer 0 rows (or "OK") for data that is somewhere else."""
        return any(next(iter(self.store.list(prefix)), None) is not None for prefix in ZONE_PREFIXES)


def open_lake(location: str, raw_location: str | None = None, table_bucket_arn: str | None = None) -> Lake:
    """`raw_location` puts the raw zone in another bucket or folder; S3 events then name that bucket.
    `table_bucket_arn` puts new Iceberg tables in S3 Tables (lake/table_bucket_store.py); S3 lakes only."""
    if table_bucket_arn:
        from loglake.lake.table_bucket_store import TableBucketStore

        if not location.startswith("s3://"):  # before opening: a local lake's folder would be made
            raise ConfigError(f"S3 Tables (table_bucket_arn) needs an S3 lake (s3://bucket/prefix), not {location!r}")
        opened = open_lake(location, raw_location)
        return Lake(TableBucketStore(opened.store, table_bucket_arn), opened.raw_bucket, opened.key_prefix)
    if raw_location:
        from loglake.lake.zoned_store import ZonedStore

        main, raw = open_lake(location), open_lake(raw_location)
        return Lake(ZonedStore(main.store, raw.store), raw.raw_bucket, raw.key_prefix)
    if "://" in location:
        scheme, rest = location.split("://", 1)
        if scheme == "file":
            return open_lake(rest)
        if scheme == "s3":
            from loglake.lake.s3_store import S3Store

            bucket, _, prefix = rest.partition("/")
            store = S3Store(bucket, prefix)
            return Lake(store, bucket, store.prefix)
        raise ConfigError(f"unsupported lake location {location!r}: use a folder or s3://bucket/prefix")
    return Lake(LocalStore(Path(location)), LOCAL_BUCKET)

"""A lake whose Iceberg tables may live in S3 Tables (`[iceberg] catalog = "s3tables"`).

S3 Tables keeps each table's files in a bucket of its own, its warehouse (`s3://<id>--table-s3`), which
takes GetObject and PutObject but refuses ListObjectsV2. The lake's keys stay what they are everywhere
else (`clean/<table>/dt=D/hour=HH/<name>.parquet`): this store sends the keys of such a table to its
warehouse, under the same key, and everything else to the lake. So the ETL's writes, the skip index,
DuckDB's reads of the snapshot's files, search and verify reach the table's files unchanged.

Which tables live in S3 Tables comes from their markers (lake/iceberg.py `marker_key`: the catalog and the
warehouse, written when the ETL creates the table): each table's marker is read once per store, a marker
this store writes is remembered at once, and a marker seen to exist (is_iceberg, which every Iceberg path
asks first) replaces a remembered absence, so a worker that looked before another created the table does
not write the table's files to the lake. Listing a table's folder in S3 Tables is refused with one
line: the service refuses it too, and an Iceberg reader never needs it (it reads the snapshot).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import orjson

from loglake.errors import ConfigError, StoreError
from loglake.lake.keys import CLEAN_PREFIX
from loglake.lake.store import Lease, Store, listed_versions

TABLE_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3tables:(?P<region>[a-z0-9-]+):\d{12}:bucket/[a-z0-9][a-z0-9-]{1,61}$")
"""What AWS names a table bucket: arn:aws:s3tables:<region>:<account>:bucket/<name>."""


def checked_table_bucket_arn(arn: str) -> str:
    """`arn`, or a ConfigError saying what one looks like (before any AWS call)."""
    if not TABLE_BUCKET_ARN.fullmatch(arn):
        raise ConfigError(
            f"table_bucket_arn {arn!r} is not an S3 table bucket ARN (arn:aws:s3tables:<region>:<account>:"
            "bucket/<name>): `aws s3tables list-table-buckets` shows yours"
        )
    return arn


S3TABLES = "s3tables"
"""The marker's `catalog` for a table in S3 Tables."""
WAREHOUSE_KEYS = "@warehouse/"
"""`clean/<table>/@warehouse/<key>`: the lake's name for a file of the table's warehouse that loglake did not
name under clean/<table>/ (S3 Tables' own compaction writes `data/...`); this store sends it to `<key>` there."""


def warehouse_key(key: str) -> str:
    """The key in the table's warehouse of a lake key of a table in S3 Tables (its inverse: lake_key)."""
    if key.startswith(CLEAN_PREFIX):
        _table, sep, rest = key[len(CLEAN_PREFIX) :].partition("/")
        if sep and rest.startswith(WAREHOUSE_KEYS):
            return rest[len(WAREHOUSE_KEYS) :]
    return key


def lake_key(table: str, key: str) -> str:
    """The lake's key of the warehouse object `key` of `table`: itself under clean/<table>/, else escaped."""
    prefix = f"{CLEAN_PREFIX}{table}/"
    if key.startswith(prefix) and not key[len(prefix) :].startswith(WAREHOUSE_KEYS):
        return key
    return f"{prefix}{WAREHOUSE_KEYS}{key}"


def checked_marker_bucket(table: str, marker: dict[str, Any], configured: str) -> None:
    """A table in S3 Tables is read and written only through the table bucket its marker names: another one
    would read as an empty (or missing) table, and a writer would make a stray table there."""
    arn = marker.get("table_bucket_arn")
    if marker.get("catalog") == S3TABLES and arn != configured:
        raise ConfigError(
            f"the Iceberg table {table!r} lives in the table bucket {arn}, but this lake is configured with "
            f"{configured}: set [iceberg] table_bucket_arn (LOGLAKE_TABLE_BUCKET_ARN) to {arn}"
        )


class TableBucketStore:
    def __init__(self, inner: Store, table_bucket_arn: str) -> None:
        self.inner = inner
        self.table_bucket_arn = checked_table_bucket_arn(table_bucket_arn)
        self.uri = inner.uri
        self._warehouses: dict[str, Any] = {}
        """table -> its warehouse's S3Store, or None: not an S3 Tables table."""
        self._markers: dict[str, dict[str, Any]] = {}
        """table -> its marker as last read or written ({}: none)."""
        self._clients: dict[str, Any] = {}
        """region -> the S3 client of the warehouses there: one per store, not one per table."""
        # the engine reads the lake's sides (query/engine.py): the lake's own, then each warehouse
        self.main = getattr(inner, "main", inner)
        if hasattr(inner, "raw"):
            self.raw = inner.raw

    # --- routing -------------------------------------------------------------------------------------

    def _marker(self, table: str) -> str:
        from loglake.lake.iceberg import marker_key

        return marker_key(table)

    def warehouse(self, table: str) -> Any:
        """The S3Store of `table`'s warehouse, or None when the table is not in S3 Tables."""
        if table not in self._warehouses:
            data, _version = self.inner.read_versioned(self._marker(table))
            self._remember(table, data)
        return self._warehouses[table]

    def marker(self, table: str) -> dict[str, Any]:
        """`table`'s marker ({} when none), read once per store (then as this store last saw or wrote it)."""
        self.warehouse(table)
        return self._markers[table]

    def forget(self, table: str) -> None:
        """Read `table`'s marker again at the next look (lake/iceberg.py forget_marker)."""
        self._warehouses.pop(table, None)
        self._markers.pop(table, None)

    def _remember(self, table: str, data: bytes | None) -> None:
        marker = orjson.loads(data) if data else {}
        checked_marker_bucket(table, marker, self.table_bucket_arn)
        self._markers[table] = marker
        if marker.get("catalog") != S3TABLES:
            self._warehouses[table] = None
            return
        from loglake.lake.s3_store import S3Store

        bucket = str(marker["warehouse"]).removeprefix("s3://").strip("/")
        self._warehouses[table] = S3Store(bucket, "", client=self._warehouse_client())

    def _warehouse_client(self) -> Any:
        """The lake's S3 client where it is in the table bucket's region, else one in that region: a warehouse
        lives where its table bucket does, whatever the lake's region."""
        from loglake.lake.s3_store import s3_client

        region = TABLE_BUCKET_ARN.fullmatch(self.table_bucket_arn)["region"]  # type: ignore[index]
        lake = getattr(self.main, "client", None)
        if lake is not None and getattr(getattr(lake, "meta", None), "region_name", None) == region:
            return lake
        if region not in self._clients:
            self._clients[region] = s3_client(region)
        return self._clients[region]

    def warehouses(self) -> list[Any]:
        """Every S3 Tables table's warehouse store (one listing of the markers): the engine reads them too. A
        table in another table bucket is left out here and refused when it is read (warehouse): one such
        marker must not fail every query, over tables it has nothing to do with."""
        from loglake.lake.iceberg import iceberg_tables

        found = []
        for table in iceberg_tables(self.inner):
            try:
                warehouse = self.warehouse(table)
            except ConfigError:
                continue
            if warehouse is not None:
                found.append(warehouse)
        return found

    def _table(self, key: str) -> str | None:
        if not key.startswith(CLEAN_PREFIX):
            return None
        table, sep, _rest = key[len(CLEAN_PREFIX) :].partition("/")
        return table if sep and table else None

    def _for(self, key: str) -> Store:
        return self._route(key)[0]

    def _route(self, key: str) -> tuple[Store, str]:
        """The store that holds `key`, and its key there."""
        table = self._table(key)
        warehouse = self.warehouse(table) if table is not None else None
        return (warehouse, warehouse_key(key)) if warehouse is not None else (self.inner, key)

    # --- Store ---------------------------------------------------------------------------------------

    def get(self, key: str) -> bytes:
        store, key = self._route(key)
        return store.get(key)

    def put(self, key: str, data: bytes) -> None:
        store, routed = self._route(key)
        with self._forgotten_on_error(key, store):
            store.put(routed, data)
        self._written(key, data)

    @contextmanager
    def _forgotten_on_error(self, key: str, store: Store) -> Iterator[None]:
        """A write to a warehouse that fails (the table was deleted in S3 Tables, and its warehouse with it)
        makes the table's marker be read again by the next run: the operator may have deleted it meanwhile."""
        try:
            yield
        except StoreError:
            table = self._table(key)
            if store is not self.inner and table is not None:
                from loglake.lake.iceberg import forget_marker

                forget_marker(self, table)
            raise

    def _written(self, key: str, data: bytes) -> None:
        """A marker this store wrote is remembered at once."""
        from loglake.lake.iceberg import marker_table

        table = marker_table(key)
        if table is not None:
            self._remember(table, data)

    def put_file(self, key: str, path: Path) -> None:
        store, routed = self._route(key)
        with self._forgotten_on_error(key, store):
            store.put_file(routed, path)

    def delete(self, key: str) -> None:
        store, key = self._route(key)
        store.delete(key)

    def exists(self, key: str) -> bool:
        store, routed = self._route(key)
        found = store.exists(routed)
        if found:
            self._marker_seen(key)
        return found

    def _marker_seen(self, key: str) -> None:
        """A marker that exists replaces a remembered absence: another worker (a Lambda container) created the
        table since this store looked, and its keys must now go to the table's warehouse."""
        from loglake.lake.iceberg import marker_table

        table = marker_table(key)
        if table is not None and table in self._warehouses and self._warehouses[table] is None:
            del self._warehouses[table]
            self._markers.pop(table, None)

    def version(self, key: str) -> str | None:
        store, key = self._route(key)
        return store.version(key)

    def list(self, prefix: str) -> Iterator[str]:
        table = self._table(prefix)
        if table is not None and self.warehouse(table) is not None:
            raise StoreError(
                f"the Iceberg table {table!r} lives in S3 Tables ({self.table_bucket_arn}), whose storage cannot "
                "be listed; loglake reads it through its snapshot: this command does not support S3 Tables tables"
            )
        return self.inner.list(prefix)

    def list_versions(self, prefix: str) -> Iterator[tuple[str, str | None]]:
        if self._table(prefix) is not None:
            self.list(prefix)  # the refusal above, for a table in S3 Tables (nothing listed)
        return listed_versions(self.inner, prefix)

    def local_file(self, key: str) -> AbstractContextManager[Path]:
        store, key = self._route(key)
        return store.local_file(key)

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        store, routed = self._route(key)
        data, version = store.read_versioned(routed)
        if data is not None:
            self._marker_seen(key)
        return data, version

    def put_if(self, key: str, data: bytes, version: str | None) -> bool:
        store, routed = self._route(key)
        written = store.put_if(routed, data, version)
        if written:
            self._written(key, data)
        return written

    def glob(self, pattern: str) -> str:
        store, pattern = self._route(pattern)
        return store.glob(pattern)

    def sweep(self) -> Sequence[str]:
        return self.inner.sweep()

    def lease(self, name: str, *, wait: float = 0.0) -> AbstractContextManager[Lease]:
        return self.inner.lease(name, wait=wait)

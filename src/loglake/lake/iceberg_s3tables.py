"""Iceberg tables in Amazon S3 Tables: a pyiceberg catalog over boto3's `s3tables` calls.

pyiceberg 0.12 has no S3 Tables catalog (its REST and Glue-federation paths need AWS's Iceberg REST endpoint
or a federated Glue database, which no local server has), while boto3 has the service's own API, which
moto serves. The service keeps one pointer per table, like Glue does: the current metadata file's location,
with a version token. So this catalog is small:

    load    GetTableMetadataLocation, then the metadata file it names (read through lake/iceberg_io.py)
    create  CreateNamespace (the lake's database name) and CreateTable when missing; the first metadata
            file is written under the table's warehouse location (a bucket of its own, `s3://<id>--table-s3`)
    commit  the new metadata file written, then UpdateTableMetadataLocation with the token read before the
            commit was staged: a writer that committed meanwhile changed the token, the service answers
            ConflictException, and that is pyiceberg's CommitFailedException (loglake retries on the fresh
            table, lake/iceberg.py)

The warehouse bucket takes GetObject and PutObject and refuses ListObjectsV2, so nothing here lists; a
FileIO existence check is a HEAD. S3 Tables compacts, expires snapshots and deletes unreferenced files
itself: loglake never runs its own compaction or expiry on such a table.

Endpoint and credentials come from boto3's environment (AWS_ENDPOINT_URL_S3TABLES or AWS_ENDPOINT_URL), so
the tests point it at a moto server; the region is the table bucket ARN's.
"""

from __future__ import annotations

import contextlib
from typing import Any

from botocore.exceptions import ClientError
from pyiceberg.catalog import Catalog, MetastoreCatalog
from pyiceberg.exceptions import (
    CommitFailedException,
    NamespaceAlreadyExistsError,
    NoSuchNamespaceError,
    NoSuchTableError,
    TableAlreadyExistsError,
)
from pyiceberg.io import load_file_io
from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.serializers import FromInputFile
from pyiceberg.table import CommitTableResponse, Table
from pyiceberg.table.sorting import UNSORTED_SORT_ORDER, SortOrder
from pyiceberg.typedef import EMPTY_DICT, Identifier, Properties

from loglake.errors import ConfigError
from loglake.lake.table_bucket_store import TABLE_BUCKET_ARN, checked_table_bucket_arn


class NoMetadataYetError(NoSuchTableError):
    """The table exists in S3 Tables but nothing was committed to it yet (loglake creates it before its first
    files, lake/iceberg.py): empty, unlike a table the service does not have (NoSuchTableError)."""


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3TablesCatalog(MetastoreCatalog):
    """Tables of one table bucket; a namespace is one level (the lake's database name)."""

    def __init__(self, name: str, table_bucket_arn: str, **properties: str) -> None:
        super().__init__(name, **properties)
        self.table_bucket_arn = checked_table_bucket_arn(table_bucket_arn)
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            import boto3

            region = TABLE_BUCKET_ARN.fullmatch(self.table_bucket_arn)["region"]  # type: ignore[index]
            self._client = boto3.client("s3tables", region_name=region)
        return self._client

    def _names(self, identifier: str | Identifier) -> tuple[str, str]:
        namespace = Catalog.namespace_to_string(Catalog.namespace_from(identifier))
        return namespace, Catalog.table_name_from(identifier)

    def _call(self, method: str, **kwargs: Any) -> Any:
        return getattr(self.client(), method)(tableBucketARN=self.table_bucket_arn, **kwargs)

    # --- tables --------------------------------------------------------------------------------------

    def _pointer(self, identifier: str | Identifier) -> dict[str, Any]:
        """GetTableMetadataLocation: versionToken, warehouseLocation and (once committed) metadataLocation."""
        namespace, table = self._names(identifier)
        try:
            return dict(self._call("get_table_metadata_location", namespace=namespace, name=table))
        except ClientError as exc:
            if _error_code(exc) == "NotFoundException":
                raise NoSuchTableError(f"no table {namespace}.{table} in {self.table_bucket_arn}") from None
            raise

    def warehouse_location(self, identifier: str | Identifier) -> str:
        """The table's warehouse (the one place its files may live), creating the namespace and the table
        (without metadata) when they do not exist yet."""
        namespace, table = self._names(identifier)
        try:
            return str(self._pointer(identifier)["warehouseLocation"])
        except NoSuchTableError:
            pass
        self.create_namespace_if_not_exists(namespace)
        try:
            self._call("create_table", namespace=namespace, name=table, format="ICEBERG")
        except ClientError as exc:
            if _error_code(exc) != "ConflictException":  # created by another worker meanwhile
                raise
        return str(self._pointer(identifier)["warehouseLocation"])

    def _table(self, identifier: str | Identifier, pointer: dict[str, Any]) -> Table:
        location = pointer.get("metadataLocation")
        if not location:
            namespace, table = self._names(identifier)
            raise NoMetadataYetError(f"table {namespace}.{table} in {self.table_bucket_arn} has no metadata yet")
        io = self._load_file_io(location=location)
        metadata = FromInputFile.table_metadata(io.new_input(location))
        return Table(
            identifier=Catalog.identifier_to_tuple(identifier),
            metadata=metadata,
            metadata_location=location,
            io=io,
            catalog=self,
        )

    def load_table(self, identifier: str | Identifier) -> Table:
        return self._table(identifier, self._pointer(identifier))

    def create_table(
        self,
        identifier: str | Identifier,
        schema: Schema | Any,
        location: str | None = None,
        partition_spec: PartitionSpec = UNPARTITIONED_PARTITION_SPEC,
        sort_order: SortOrder = UNSORTED_SORT_ORDER,
        properties: Properties = EMPTY_DICT,
    ) -> Table:
        txn = self.create_table_transaction(identifier, schema, location, partition_spec, sort_order, properties)
        txn.commit_transaction()
        return self.load_table(identifier)

    def commit_table(
        self, table: Table, requirements: tuple[Any, ...], updates: tuple[Any, ...]
    ) -> CommitTableResponse:
        identifier = table.name()
        namespace, name = self._names(identifier)
        pointer = self._pointer(identifier) if requirements or updates else {}
        try:
            current: Table | None = self._table(identifier, pointer)
        except NoSuchTableError:
            current = None
        staged = self._update_and_stage_table(current, identifier, requirements, updates)
        if current is not None and staged.metadata == current.metadata:
            return CommitTableResponse(metadata=current.metadata, metadata_location=current.metadata_location)  # type: ignore[call-arg]
        warehouse = str(pointer["warehouseLocation"]).rstrip("/") + "/"
        if not staged.metadata_location.startswith(warehouse):
            raise ConfigError(
                f"S3 Tables keeps a table's files in its warehouse {warehouse}, not {staged.metadata_location}"
            )
        self._write_metadata(staged.metadata, staged.io, staged.metadata_location)
        try:
            self._call(
                "update_table_metadata_location",
                namespace=namespace,
                name=name,
                versionToken=pointer["versionToken"],
                metadataLocation=staged.metadata_location,
            )
        except ClientError as exc:
            if _error_code(exc) == "ConflictException":
                raise CommitFailedException(
                    f"{namespace}.{name} changed since it was read (S3 Tables version token)"
                ) from exc
            raise
        return CommitTableResponse(metadata=staged.metadata, metadata_location=staged.metadata_location)  # type: ignore[call-arg]

    def _create_staged_table(
        self,
        identifier: str | Identifier,
        schema: Schema | Any,
        location: str | None = None,
        partition_spec: PartitionSpec = UNPARTITIONED_PARTITION_SPEC,
        sort_order: SortOrder = UNSORTED_SORT_ORDER,
        properties: Properties = EMPTY_DICT,
    ) -> Any:
        """The service decides where a table lives: its warehouse, whatever location the caller asked."""
        warehouse = self.warehouse_location(identifier)
        if location is not None and location.rstrip("/") != warehouse.rstrip("/"):
            raise ConfigError(f"an S3 Tables table lives in its warehouse {warehouse}, not {location}")
        if self.load_table_or_none(identifier) is not None:
            namespace, table = self._names(identifier)
            raise TableAlreadyExistsError(f"table {namespace}.{table} exists in {self.table_bucket_arn}")
        return super()._create_staged_table(identifier, schema, warehouse, partition_spec, sort_order, properties)

    def load_table_or_none(self, identifier: str | Identifier) -> Table | None:
        try:
            return self.load_table(identifier)
        except NoSuchTableError:
            return None

    def _load_file_io(self, properties: Properties = EMPTY_DICT, location: str | None = None) -> Any:
        return load_file_io({**self.properties, **properties}, location)

    def list_tables(self, namespace: str | Identifier) -> list[Identifier]:
        ns = Catalog.namespace_to_string(Catalog.identifier_to_tuple(namespace))
        found: list[Identifier] = []
        for page in (
            self.client().get_paginator("list_tables").paginate(tableBucketARN=self.table_bucket_arn, namespace=ns)
        ):
            found.extend((ns, t["name"]) for t in page.get("tables", []))
        return found

    # --- namespaces ----------------------------------------------------------------------------------

    def create_namespace(self, namespace: str | Identifier, properties: Properties = EMPTY_DICT) -> None:
        name = Catalog.namespace_to_string(Catalog.identifier_to_tuple(namespace))
        try:
            self._call("create_namespace", namespace=[name])
        except ClientError as exc:
            if _error_code(exc) == "ConflictException":
                raise NamespaceAlreadyExistsError(f"namespace {name} exists in {self.table_bucket_arn}") from None
            raise

    def create_namespace_if_not_exists(self, namespace: str | Identifier, properties: Properties = EMPTY_DICT) -> None:
        """GetNamespace, then CreateNamespace only for a new one: the ETL's policy grants both (template.py)."""
        if self.namespace_exists(namespace):
            return
        with contextlib.suppress(NamespaceAlreadyExistsError):  # created by another worker meanwhile
            self.create_namespace(namespace, properties)

    def list_namespaces(self, namespace: str | Identifier = ()) -> list[Identifier]:
        found: list[Identifier] = []
        for page in self.client().get_paginator("list_namespaces").paginate(tableBucketARN=self.table_bucket_arn):
            found.extend(tuple(n["namespace"]) for n in page.get("namespaces", []))
        return found

    def load_namespace_properties(self, namespace: str | Identifier) -> Properties:
        name = Catalog.namespace_to_string(Catalog.identifier_to_tuple(namespace))
        try:
            self._call("get_namespace", namespace=name)
        except ClientError as exc:
            if _error_code(exc) == "NotFoundException":
                raise NoSuchNamespaceError(f"no namespace {name} in {self.table_bucket_arn}") from None
            raise
        return {}

    # --- what loglake never asks of S3 Tables --------------------------------------------------------

    def _unsupported(self, what: str) -> Any:
        raise NotImplementedError(f"loglake's S3 Tables catalog does not {what}: use the AWS console or CLI")

    def register_table(self, identifier: str | Identifier, metadata_location: str, overwrite: bool = False) -> Table:
        return self._unsupported("register tables")  # type: ignore[no-any-return]

    def drop_table(self, identifier: str | Identifier) -> None:
        self._unsupported("drop tables")

    def rename_table(self, from_identifier: str | Identifier, to_identifier: str | Identifier) -> Table:
        return self._unsupported("rename tables")  # type: ignore[no-any-return]

    def drop_namespace(self, namespace: str | Identifier) -> None:
        self._unsupported("drop namespaces")

    def update_namespace_properties(
        self, namespace: str | Identifier, removals: set[str] | None = None, updates: Properties = EMPTY_DICT
    ) -> Any:
        return self._unsupported("keep namespace properties")

    def list_views(self, namespace: str | Identifier) -> list[Identifier]:
        return []

    def drop_view(self, identifier: str | Identifier) -> None:
        self._unsupported("keep views")

    def view_exists(self, identifier: str | Identifier) -> bool:
        return False

    def load_view(self, identifier: str | Identifier) -> Any:
        return self._unsupported("keep views")

    def register_view(self, identifier: str | Identifier, metadata_location: str) -> Any:
        return self._unsupported("keep views")


def s3tables_catalog(table_bucket_arn: str) -> S3TablesCatalog:
    """The catalog of `table_bucket_arn`, its files read and written by lake/iceberg_io.py (boto3, no pyarrow)."""
    from loglake.lake.iceberg import FILE_IO, PY_IO_IMPL
    from loglake.lake.iceberg_glue import s3_io_properties

    return S3TablesCatalog("s3tables", table_bucket_arn, **{**s3_io_properties(), PY_IO_IMPL: FILE_IO})

"""Iceberg tables in S3 Tables (lake/iceberg_s3tables.py), against a moto server: the catalog over boto3's
`s3tables` calls, then the ETL, DuckDB's reads, verify and compact on such a table. What moto does not cover
is in docs/lake-layout.md (S3 Tables)."""

from __future__ import annotations

import boto3
import pytest
from pyiceberg.exceptions import CommitFailedException, NoSuchTableError
from pyiceberg.schema import Schema
from pyiceberg.types import LongType, NestedField, StringType

from loglake.errors import ConfigError
from loglake.lake.iceberg_s3tables import checked_table_bucket_arn, s3tables_catalog

SCHEMA = Schema(
    NestedField(1, "event_id", StringType(), required=False), NestedField(2, "n", LongType(), required=False)
)


@pytest.fixture
def table_bucket(aws: str) -> str:
    return str(boto3.client("s3tables").create_table_bucket(name="loglake-tables")["arn"])


def _pointer(arn: str, name: str = "logs") -> dict[str, str]:
    return dict(
        boto3.client("s3tables").get_table_metadata_location(tableBucketARN=arn, namespace="loglake", name=name)
    )


def test_catalog_creates_commits_and_loads_through_the_service(table_bucket: str) -> None:
    cat = s3tables_catalog(table_bucket)
    with pytest.raises(NoSuchTableError):
        cat.load_table(("loglake", "logs"))
    tbl = cat.create_table(("loglake", "logs"), SCHEMA, properties={"format-version": "2"})
    pointer = _pointer(table_bucket)
    warehouse = pointer["warehouseLocation"]
    assert warehouse.startswith("s3://") and warehouse.endswith("--table-s3")
    assert pointer["metadataLocation"] == tbl.metadata_location
    assert tbl.metadata_location.startswith(f"{warehouse}/metadata/00000-")
    assert tbl.location() == warehouse

    with tbl.transaction() as txn:
        txn.set_properties(owner="loglake")
    again = cat.load_table(("loglake", "logs"))
    assert again.properties["owner"] == "loglake"
    assert again.metadata_location == _pointer(table_bucket)["metadataLocation"] != pointer["metadataLocation"]
    assert again.metadata_location.startswith(f"{warehouse}/metadata/00001-")
    assert [n for t in cat.list_tables("loglake") for n in [t[1]]] == ["logs"]


def test_a_lost_version_token_race_is_commit_failed(table_bucket: str) -> None:
    """The second writer reads the pointer, then the first commits before the second's update: the service's
    version token has changed, and the second's commit fails as pyiceberg's CommitFailedException."""
    first_cat, second_cat = s3tables_catalog(table_bucket), s3tables_catalog(table_bucket)
    first_cat.create_table(("loglake", "logs"), SCHEMA)
    first, second = first_cat.load_table(("loglake", "logs")), second_cat.load_table(("loglake", "logs"))
    write = second_cat._write_metadata

    def first_commits_meanwhile(metadata: object, io: object, metadata_path: str) -> None:
        with first.transaction() as txn:
            txn.set_properties(writer="first")
        write(metadata, io, metadata_path)  # type: ignore[arg-type]

    second_cat._write_metadata = first_commits_meanwhile  # type: ignore[method-assign]
    with pytest.raises(CommitFailedException, match="version token"), second.transaction() as txn:
        txn.set_properties(writer="second")
    assert second_cat.load_table(("loglake", "logs")).properties["writer"] == "first"


def test_table_bucket_arn_is_checked_before_any_call() -> None:
    assert checked_table_bucket_arn("arn:aws:s3tables:us-east-1:123456789012:bucket/logs").endswith("/logs")
    with pytest.raises(ConfigError, match="list-table-buckets"):
        checked_table_bucket_arn("arn:aws:s3:::logs")

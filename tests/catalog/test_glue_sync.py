"""Glue database, tables and partitions on a moto server: created once, updated when the schema grows."""

from __future__ import annotations

import boto3
from typer.testing import CliRunner

from conftest import Ingest
from loglake.catalog.glue_sync import GlueCatalog
from loglake.cli.app import app
from loglake.lake.open import Lake


def test_sync_is_idempotent_and_follows_schema_evolution(aws: str, lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b'{"timestamp":"2026-11-26T10:00:00Z","n":1}\n{"timestamp":"2026-11-26T11:00:00Z","n":2}\n')
    glue = boto3.client("glue")
    catalog = GlueCatalog("loglake", glue)
    first = catalog.sync(lake.store, "s3://lake-bucket/lake", partitions=True)
    assert (first.created, first.updated, first.partitions_added) == (["logs", "raw_events", "quarantine"], [], 2)

    table = glue.get_table(DatabaseName="loglake", Name="logs")["Table"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns["timestamp"] == "timestamp" and columns["n"] == "bigint"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["dt", "hour"]
    assert table["Parameters"]["storage.location.template"] == "s3://lake-bucket/lake/clean/logs/dt=${dt}/hour=${hour}/"
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    partitions = glue.get_partitions(DatabaseName="loglake", TableName="logs")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["2026-11-26", "10"], ["2026-11-26", "11"]]
    assert {p["StorageDescriptor"]["Location"] for p in partitions} == {
        "s3://lake-bucket/lake/clean/logs/dt=2026-11-26/hour=10/",
        "s3://lake-bucket/lake/clean/logs/dt=2026-11-26/hour=11/",
    }

    again = catalog.sync(lake.store, "s3://lake-bucket/lake", partitions=True)
    assert (again.created, again.updated, again.partitions_added) == ([], [], 0)
    assert again.unchanged == ["logs", "raw_events", "quarantine"]

    ingest_lines(b'{"timestamp":"2026-11-26T12:00:00Z","n":"three","new_field":true}\n')
    evolved = catalog.sync(lake.store, "s3://lake-bucket/lake", partitions=True)
    assert (evolved.updated, evolved.partitions_added) == (["logs"], 1)
    columns = {
        c["Name"]: c["Type"]
        for c in glue.get_table(DatabaseName="loglake", Name="logs")["Table"]["StorageDescriptor"]["Columns"]
    }
    assert (columns["n"], columns["new_field"]) == ("string", "boolean")


def test_catalog_sync_command(aws: str, lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b"plain line\n")
    result = CliRunner().invoke(
        app, ["catalog", "sync", "--lake", lake.store.uri, "--location", "s3://b/l/", "--database", "logs_db"]
    )
    assert result.exit_code == 0, result.output
    assert "created ['logs', 'raw_events', 'quarantine']" in result.stdout
    assert boto3.client("glue").get_database(Name="logs_db")["Database"]["Name"] == "logs_db"

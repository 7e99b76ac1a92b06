"""Athena DDL from the registry: valid Athena syntax, complete partition projection, quoting, evolution."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp
from typer.testing import CliRunner

from conftest import EVENTS, Ingest, athena_documented
from loglake.catalog.athena_ddl import clean_table_ddl, quarantine_table_ddl, raw_table_ddl, schema_changes_ddl
from loglake.cli.app import app
from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry, TableSchema


def _properties(ddl: str) -> dict[str, str]:
    return dict(re.findall(r"'([\w.]+)' = '([^']*)'", ddl))


def test_clean_table_ddl_is_athena_with_complete_projection(lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(b'{"timestamp":"2026-11-26T10:00:00Z","request":{"status":200},"user id":"u1"}\n')
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    statement = sqlglot.parse_one(ddl.rstrip(";"), read="athena")
    assert isinstance(statement, exp.Create)
    assert len(list(statement.find_all(exp.ColumnDef))) == len(schema.columns) + 2
    columns = dict(re.findall(r"^  `(\w+)` (\w+),?$", ddl, flags=re.M))
    assert columns["timestamp"] == "timestamp"
    assert columns["request_status"] == "bigint"
    assert columns["user_id"] == "string"
    assert columns["dt"] == "date" and columns["hour"] == "int"
    assert _properties(ddl) == {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": "2026-11-26,NOW",  # the data's first day
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "projection.hour.type": "integer",
        "projection.hour.range": "0,23",
        "projection.hour.digits": "2",
        "storage.location.template": "s3://my-lake/prefix/clean/logs/dt=${dt}/hour=${hour}/",
        "parquet.compression": "ZSTD",
    }
    # The template matches the keys the ETL really writes.
    (key,) = lake.store.list("clean/logs/")
    assert re.fullmatch(r"clean/logs/dt=2026-11-26/hour=10/\w+\.parquet", key)
    assert "LOCATION 's3://my-lake/prefix/clean/logs/'" in ddl
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS `loglake`.`logs`" in ddl


def test_raw_and_quarantine_tables_parse() -> None:
    for ddl in (raw_table_ddl("s3://b/p/"), quarantine_table_ddl("s3://b/p/")):
        assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    assert "LOCATION 's3://b/p/raw/'" in raw_table_ddl("s3://b/p/")
    assert "org.openx.data.jsonserde.JsonSerDe" in raw_table_ddl("s3://b/p/")


def test_local_lakes_need_an_s3_location() -> None:
    with pytest.raises(ConfigError, match="Athena reads S3"):
        raw_table_ddl("/tmp/lake")


def test_schema_changes_since_a_version() -> None:
    schema = TableSchema("logs")
    schema.merge([("a", "BIGINT", "/a")], "parquet", "raw/1")
    schema.version = 1
    schema.merge([("b", "DOUBLE", "/b")], "parquet", "raw/2")
    schema.version = 2
    assert schema_changes_ddl(schema, 2) == []
    assert schema_changes_ddl(schema, 1) == ["ALTER TABLE `logs` ADD COLUMNS (\n  `b` double\n);"]
    schema.merge([("a", "VARCHAR", "/a")], "parquet", "raw/3")
    changes = schema_changes_ddl(schema, 2)
    assert changes[-1].endswith("DROP TABLE IF EXISTS `logs`;") and "a widened since version 2" in changes[-1]
    alter = sqlglot.parse_one(schema_changes_ddl(schema, 1)[0].rstrip(";"), read="athena")
    assert isinstance(alter, exp.Alter)


def test_two_formats_in_one_table_are_refused() -> None:
    schema = TableSchema("logs", formats=["parquet", "jsonl"])
    with pytest.raises(ConfigError, match="one format per table"):
        clean_table_ddl(schema, "s3://b/p")


def test_ddl_command(lake: Lake, ingest_lines: Ingest, tmp_path: Path) -> None:
    ingest_lines(b'{"n":1}\n')
    result = CliRunner().invoke(app, ["ddl", "--lake", lake.store.uri, "--location", "s3://b/lake/", "--database", "d"])
    assert result.exit_code == 0, result.output
    statements = [s for s in result.stdout.split(";") if s.strip()]
    assert len(statements) == 3  # logs, raw_events, quarantine
    assert all(isinstance(sqlglot.parse_one(s, read="athena"), exp.Create) for s in statements)
    current = SchemaRegistry(lake.store).get("logs")
    assert current is not None
    unchanged = CliRunner().invoke(
        app,
        [
            "ddl",
            "logs",
            "--lake",
            lake.store.uri,
            "--location",
            "s3://b/lake/",
            "--since-version",
            str(current.version),
        ],
    )
    assert unchanged.stdout == "-- no changes\n"


def test_projection_follows_awss_documented_examples() -> None:
    """AWS's own DDL examples and ours use the same property names and value forms."""
    aws_vpc = athena_documented("athena_vpc-flow-logs.sql")[8]  # the partition-projection table
    aws_firehose = (EVENTS / "athena" / "firehose_partition_projection.sql").read_text()
    vpc = dict(re.findall(r'"([\w.]+)"\s*=\s*"([^"]*)"', aws_vpc))
    firehose = dict(re.findall(r'"([\w.]+)"\s*=\s*"([^"]*)"', aws_firehose))
    assert sqlglot.parse_one(aws_vpc, read="athena").key == "create"
    ours = _properties(clean_table_ddl(TableSchema("logs", formats=["parquet"]), "s3://b/p/"))
    # the date projection keys AWS documents, for our dt column
    for key in ("type", "range", "format", "interval", "interval.unit"):
        assert f"projection.datehour.{key}" in firehose
        assert f"projection.dt.{key}" in ours
    assert vpc["projection.day.type"] == firehose["projection.datehour.type"] == ours["projection.dt.type"] == "date"
    assert vpc["projection.day.range"].endswith(",NOW") and ours["projection.dt.range"].endswith(",NOW")
    assert firehose["projection.datehour.interval.unit"] == "HOURS" and ours["projection.dt.interval.unit"] == "DAYS"
    assert vpc["projection.enabled"] == firehose["projection.enabled"] == ours["projection.enabled"] == "true"
    # the location template uses ${column} placeholders, as AWS's do
    assert vpc["storage.location.template"].endswith("/${region}/${day}")
    assert firehose["storage.location.template"].endswith("/${datehour}/")
    assert ours["storage.location.template"].endswith("/dt=${dt}/hour=${hour}/")


def test_nested_types_translate_to_hive_types() -> None:
    from loglake.catalog.athena_ddl import athena_type
    from loglake.transform.parsers.cloudtrail import RESOURCES, TLS_DETAILS, duckdb_type

    assert athena_type(duckdb_type(RESOURCES)) == "array<struct<ARN:string,accountId:string,type:string>>"
    assert athena_type(duckdb_type(TLS_DETAILS)) == (
        "struct<tlsVersion:string,cipherSuite:string,clientProvidedHostHeader:string>"
    )
    assert (athena_type("INTEGER"), athena_type("DATE"), athena_type("VARCHAR[]")) == ("int", "date", "array<string>")
    with pytest.raises(ConfigError, match="no Athena type"):
        athena_type("HUGEINT")

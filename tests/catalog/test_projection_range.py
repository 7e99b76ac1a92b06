"""Athena sees every day DuckDB sees: the dt projection starts at the data's oldest day (the registry's
earliest_dt, the first quarantine key), in the DDL, in Glue, and again when older logs arrive later."""

from __future__ import annotations

import datetime
import re
from typing import Any

import boto3
import pytest
from typer.testing import CliRunner

from conftest import Deliver, write_messages
from loglake.aws_events.s3_event import object_created_event
from loglake.catalog.athena_ddl import clean_table_ddl, earliest_quarantine_dt, quarantine_table_ddl
from loglake.catalog.glue_sync import GlueCatalog
from loglake.cli.app import app
from loglake.handlers import etl as etl_handler
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry, TableSchema
from loglake.lake.store import Store
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings


def _ms(day: str) -> int:
    return int(datetime.datetime.fromisoformat(f"{day}T09:30:00+00:00").timestamp() * 1000)


# Lines from /aws/vpc/* must be VPC flow logs: anything else there is quarantined, under its record's day.
SETTINGS = EtlSettings(routes=({"log_group": "/aws/vpc/*", "format": "vpc_flow_log"},))  # type: ignore[arg-type]


def _range(ddl: str) -> str:
    [value] = re.findall(r"'projection\.dt\.range' = '([^']*)'", ddl)
    return str(value)


def _glue_range(table: str) -> str:
    parameters = boto3.client("glue").get_table(DatabaseName="loglake", Name=table)["Table"]["Parameters"]
    return str(parameters["projection.dt.range"])


def _schema(store: Store) -> TableSchema:
    schema = SchemaRegistry(store).get("logs")
    assert schema is not None
    return schema


def test_a_lake_holding_2015_logs_is_projected_from_2015(aws: str, lake: Lake, deliver: Deliver) -> None:
    deliver(['{"msg": "this year"}'], settings=SETTINGS)
    deliver(['{"msg": "from 2015"}'], timestamp=_ms("2015-03-14"), settings=SETTINGS)
    deliver(["not a flow log"], log_group="/aws/vpc/main", timestamp=_ms("2014-07-01"), settings=SETTINGS)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT CAST(min(dt) AS VARCHAR), count(*) FROM logs").rows == [("2015-03-14", 2)]
        assert engine.query("SELECT CAST(min(dt) AS VARCHAR), count(*) FROM quarantine").rows == [("2014-07-01", 1)]

    assert _schema(lake.store).earliest_dt == "2015-03-14"
    assert _range(clean_table_ddl(_schema(lake.store), "s3://b/lake/")) == "2015-03-14,NOW"
    assert earliest_quarantine_dt(lake.store) == "2014-07-01"
    assert _range(quarantine_table_ddl("s3://b/lake/", None, earliest_quarantine_dt(lake.store))) == "2014-07-01,NOW"
    printed = CliRunner().invoke(app, ["ddl", "--lake", lake.store.uri, "--location", "s3://b/lake/"])
    assert printed.exit_code == 0, printed.output
    assert re.findall(r"'projection\.dt\.range' = '([^']*)'", printed.stdout) == ["2015-03-14,NOW", "2014-07-01,NOW"]

    report = GlueCatalog("loglake", boto3.client("glue")).sync(lake.store, "s3://b/lake/")
    assert report.created == ["logs", "raw_events", "quarantine"]
    assert (_glue_range("logs"), _glue_range("quarantine")) == ("2015-03-14,NOW", "2014-07-01,NOW")


def test_older_logs_arriving_later_widen_the_range_in_the_registry_and_glue(
    aws: str, lake: Lake, deliver: Deliver
) -> None:
    catalog = GlueCatalog("loglake", boto3.client("glue"))
    deliver(['{"msg": "this year"}'])
    first = _schema(lake.store)
    assert first.earliest_dt == "2025-11-28"
    assert catalog.sync(lake.store, "s3://b/lake/").created == ["logs", "raw_events", "quarantine"]
    assert (_glue_range("logs"), _glue_range("quarantine")) == ("2025-11-28,NOW", "1970-01-01,NOW")

    deliver(['{"msg": "a backfill from 2015"}'], timestamp=_ms("2015-03-14"))
    widened = _schema(lake.store)
    assert (widened.earliest_dt, widened.version) == ("2015-03-14", first.version + 1)
    report = catalog.sync(lake.store, "s3://b/lake/")
    assert (report.created, report.updated) == ([], ["logs"])
    assert _glue_range("logs") == "2015-03-14,NOW"

    deliver(['{"msg": "2020 is newer than the start"}'], timestamp=_ms("2020-06-01"))
    assert _schema(lake.store).version == widened.version  # nothing moved: no registry write
    assert catalog.sync(lake.store, "s3://b/lake/").updated == []


def test_a_registry_written_before_earliest_dt_starts_from_the_tables_first_key(lake: Lake, deliver: Deliver) -> None:
    deliver(['{"msg": "from 2015"}'], timestamp=_ms("2015-03-14"))
    key = "schema/logs.json"
    data, version = lake.store.read_versioned(key)
    assert data is not None
    legacy = TableSchema.from_json(data)
    legacy.earliest_dt = None
    assert lake.store.put_if(key, legacy.to_json(), version)
    # Unknown start: project from 1970, hiding nothing.
    assert _range(clean_table_ddl(_schema(lake.store), "s3://b/lake/")) == "1970-01-01,NOW"

    deliver(['{"msg": "this year"}'])
    assert _schema(lake.store).earliest_dt == "2015-03-14"  # not this run's day: the table's oldest


def _deliver_to_s3(store: Store, group: str, message: str, day: str, name: str) -> str:
    before = set(store.list("raw/"))
    write_messages(store, group, [message], id_prefix=name, stream=name, timestamp=_ms(day))
    [key] = set(store.list("raw/")) - before
    return key


def test_the_etl_lambda_widens_glue_when_older_logs_arrive(s3_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "loglake")
    monkeypatch.setenv("LOGLAKE_ETL_ROUTES", '[{"log_group": "/aws/vpc/*", "format": "vpc_flow_log"}]')

    def invoke(group: str, message: str, day: str, name: str) -> Any:
        key = _deliver_to_s3(s3_lake.store, group, message, day, name)
        event = object_created_event("loglake-test", s3_lake.object_key(key))
        return etl_handler.handler(event, context=None)["catalog_updated"]

    assert invoke("/app", '{"n": 1}', "2025-11-28", "a") is True  # a cold container syncs
    assert (_glue_range("logs"), _glue_range("quarantine")) == ("2025-11-28,NOW", "1970-01-01,NOW")
    assert invoke("/app", '{"n": 2}', "2025-11-29", "b") is False  # warm, nothing moved: no Glue call
    assert invoke("/app", '{"n": 3}', "2015-03-14", "c") is True
    assert _glue_range("logs") == "2015-03-14,NOW"
    assert invoke("/aws/vpc/main", "not a flow log", "2016-01-02", "d") is True  # only quarantined lines
    assert _glue_range("quarantine") == "2016-01-02,NOW"
    assert invoke("/aws/vpc/main", "not a flow log either", "2017-01-02", "e") is False
    assert invoke("/aws/vpc/main", "older still", "2014-07-01", "f") is True
    assert (_glue_range("logs"), _glue_range("quarantine")) == ("2015-03-14,NOW", "2014-07-01,NOW")

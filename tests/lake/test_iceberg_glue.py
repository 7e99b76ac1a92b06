"""Iceberg tables of an S3 lake in the Glue Data Catalog (lake/iceberg_glue.py), against a moto server:
the ETL creates the table and commits each raw object, DuckDB reads the current snapshot's files back,
and `verify` holds. What moto does not cover is in docs/lake-layout.md (Iceberg on AWS)."""

from __future__ import annotations

import re

import boto3
import pytest
from test_iceberg import ICEBERG
from test_iceberg import _json as json_messages
from test_iceberg import _query as query
from test_iceberg import _raw as raw_object
from test_iceberg import _verify as verify

from loglake.catalog.glue_sync import GlueCatalog as GlueSync
from loglake.errors import ConfigError
from loglake.lake import iceberg
from loglake.lake.compaction import compact, live_files
from loglake.lake.open import Lake, open_lake
from loglake.pipeline import run_etl


def test_glue_iceberg_table_created_committed_and_read_back(s3_lake: Lake) -> None:
    keys = [raw_object(s3_lake, f"s{s}", json_messages(3 + s)) for s in range(2)]
    results = run_etl(s3_lake, keys, ICEBERG, workers=1)
    assert [r.skipped for r in results] == [False, False]

    table = boto3.client("glue").get_table(DatabaseName="loglake", Name="logs")["Table"]
    assert table["Parameters"]["table_type"] == "ICEBERG"
    location = table["Parameters"]["metadata_location"]
    assert location.startswith("s3://loglake-test/lake/clean/logs/metadata/") and location.endswith(".metadata.json")
    summaries = iceberg.snapshot_summaries(s3_lake.store, "logs")
    assert sorted(s[iceberg.RAW_OBJECT] for s in summaries) == sorted(keys)
    assert len(live_files(s3_lake.store, "logs")) == 2
    assert query(s3_lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]
    verify(s3_lake)

    # A re-drive replaces (one Glue commit: delete + add), and a duplicate adds nothing.
    run_etl(s3_lake, [keys[0]], ICEBERG, workers=1, force=True)
    assert [r.skipped for r in run_etl(s3_lake, [keys[0]], ICEBERG, workers=1)] == [True]
    assert query(s3_lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]
    # Compaction and expiry through Glue commits.
    report = compact(s3_lake.store, ["logs"], older_than_s=0, grace_s=0)
    assert [(p.inputs, p.outputs, p.rows, p.status) for p in report.partitions] == [(2, 1, 7, "compacted")]
    data = sorted(k for k in s3_lake.store.list("clean/logs/dt=") if k.endswith(".parquet"))
    assert data == live_files(s3_lake.store, "logs") and len(data) == 1
    assert query(s3_lake, "SELECT count(*), count(DISTINCT event_id) FROM logs") == [(7, 7)]
    verify(s3_lake)

    # `loglake catalog sync` leaves the Iceberg table to its catalog (no Hive table over it).
    GlueSync("loglake").sync(s3_lake.store, "s3://loglake-test/lake")
    table = boto3.client("glue").get_table(DatabaseName="loglake", Name="logs")["Table"]
    assert table["Parameters"]["table_type"] == "ICEBERG"


def test_a_run_with_another_glue_database_creates_nothing_there(s3_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """The table's marker names loglake.logs; a CLI run with LOGLAKE_GLUE_DATABASE=other made a stray table
    other.logs, committed its rows there, then refused (and its retry loaded the stray table and succeeded).
    It is refused before anything is created, naming both."""
    run_etl(s3_lake, [raw_object(s3_lake, "s0", json_messages(3))], ICEBERG, workers=1)
    monkeypatch.setenv("LOGLAKE_GLUE_DATABASE", "other")
    wrong = open_lake("s3://loglake-test/lake")
    key = raw_object(wrong, "s1", json_messages(4))
    message = (
        "the Iceberg table 'logs' is glue:loglake.logs (its marker state/iceberg/tables/logs.json), not glue:other.logs"
    )
    for _attempt in range(2):
        with pytest.raises(ConfigError, match=re.escape(message)):
            run_etl(wrong, [key], ICEBERG, workers=1)
    assert [d["Name"] for d in boto3.client("glue").get_databases()["DatabaseList"]] == ["loglake"]
    monkeypatch.delenv("LOGLAKE_GLUE_DATABASE")
    assert query(s3_lake, "SELECT count(*) FROM logs") == [(3,)]

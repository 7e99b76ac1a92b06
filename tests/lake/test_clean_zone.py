"""The clean zone's contract (lake/clean_zone.py): one definition of the envelope, partitions, reserved
names, default table and key layout, which readers use without importing the ETL or any parser."""

from __future__ import annotations

import fnmatch
import subprocess
import sys

import pytest

from conftest import Ingest
from loglake.errors import StoreError
from loglake.lake.clean_zone import (
    ATHENA_PARTITIONS,
    DEFAULT_TABLE,
    ENVELOPE,
    FILES_PATTERN,
    HIVE_OPTIONS,
    OPTIONAL_ENVELOPE,
    PARTITIONS,
    RESERVED_NAMES,
    table_prefix,
)
from loglake.lake.formats import FORMATS
from loglake.lake.keys import clean_key
from loglake.lake.open import Lake
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings


def test_envelope_partitions_and_reserved_names() -> None:
    assert list(ENVELOPE) == [
        "timestamp", "time_source", "level", "message", "log_group", "log_stream", "event_id",
        "ingestion_time", "source", "format", "raw_object",
    ]  # fmt: skip
    assert (ENVELOPE["timestamp"], ENVELOPE["ingestion_time"], OPTIONAL_ENVELOPE) == (
        "TIMESTAMP",
        "TIMESTAMP",
        {"message_b64": "VARCHAR"},
    )
    assert (PARTITIONS, ATHENA_PARTITIONS) == ({"dt": "DATE", "hour": "INTEGER"}, {"dt": "date", "hour": "int"})
    assert HIVE_OPTIONS == "hive_partitioning = true, hive_types = {'dt': DATE, 'hour': INTEGER}"
    assert set(ENVELOPE) | {"message_b64", "dt", "hour", "extra"} == RESERVED_NAMES
    assert len(RESERVED_NAMES) == 15
    assert (DEFAULT_TABLE, EtlSettings().table) == ("logs", "logs")


def test_key_layout() -> None:
    key = clean_key(DEFAULT_TABLE, "dt=2026-11-29/hour=07", "0123abcd", FORMATS["parquet"].suffix)
    assert key == "clean/logs/dt=2026-11-29/hour=07/0123abcd.parquet"
    assert key.startswith(table_prefix("logs"))
    assert fnmatch.fnmatchcase(key, table_prefix("logs") + FILES_PATTERN + ".parquet")
    with pytest.raises(StoreError, match=r"invalid table name '\.\./x'"):
        table_prefix("../x")


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_the_etl_writes_the_layout(output_format: str, lake: Lake, ingest_lines: Ingest) -> None:
    ingest_lines(
        b'{"timestamp":"2026-11-29T07:00:00Z","a":1}\n{"timestamp":"2026-11-29T09:30:00Z","a":2}\n',
        settings=EtlSettings(output_format=output_format),
    )
    keys = list(lake.store.list("clean/"))
    suffix = FORMATS[output_format].suffix
    assert [k[: k.rindex("/")] for k in keys] == [
        "clean/logs/dt=2026-11-29/hour=07",
        "clean/logs/dt=2026-11-29/hour=09",
    ]
    assert all(fnmatch.fnmatchcase(k, table_prefix(DEFAULT_TABLE) + FILES_PATTERN + suffix) for k in keys)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT dt, hour, a FROM logs ORDER BY a").rows
        types = engine.query("SELECT typeof(dt), typeof(hour), typeof(timestamp) FROM logs LIMIT 1").rows
    assert [(str(dt), hour, a) for dt, hour, a in rows] == [("2026-11-29", 7, 1), ("2026-11-29", 9, 2)]
    assert types == [("DATE", "INTEGER", "TIMESTAMP")]


def test_building_a_view_imports_neither_the_etl_nor_a_parser() -> None:
    code = (
        "import sys, loglake.catalog.duckdb_views, loglake.catalog.athena_ddl, loglake.query.explain\n"
        "print(sorted(m for m in sys.modules if m.startswith('loglake.transform')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"

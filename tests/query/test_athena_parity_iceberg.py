"""AWS's documented Athena queries over AWS's log tables give the same answers whether the clean tables are
hive (the default) or Iceberg (`table_format = "iceberg"`, the lake's embedded SQLite catalog), and still
after `loglake compact` rewrote the Iceberg tables' hours and expired their snapshots. The queries run on
DuckDB only (Athena's SQL translated, as `loglake query` runs it embedded): no Athena is asked here.

The samples and the queries are test_aws_formats.py's (VPC flow logs, ALB, CloudTrail: AWS's guide pages in
tests/events/athena_sql, see tests/events/ATTRIBUTION.md), whose hive answers that file asserts value by
value, and test_waf.py's (WAF: `waf_logs`, the one table whose `timestamp` is AWS's BIGINT milliseconds,
clean_zone.TIMESTAMP_TYPES), whose exact answers are asserted here on every layout. Here the same raw
objects (the same bytes, so the same ingestion times) go through the ETL once per layout, and every
documented SELECT must return the same rows, in the same number, as on hive. The WAF guide's records come
in two raw objects, so two of their hours hold two files and are compacted.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import write_messages
from loglake.lake import iceberg
from loglake.lake.compaction import compact, live_files
from loglake.lake.open import Lake, open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

sys.path.insert(0, str(Path(__file__).parents[1] / "transform" / "parsers"))
import test_waf as waf
from test_aws_formats import ALB, TRAIL, VPC, _deliveries

QUERIES = {
    f"{page}[{number}]": sql.replace("test_table_vpclogs", "vpc_flow_logs")
    for page, statements in (("vpc", VPC), ("alb", ALB), ("cloudtrail", TRAIL), ("waf", waf.WAF))
    for number, sql in statements.items()
    if sql.lstrip().upper().startswith(("SELECT", "WITH"))
}
ROWS = {
    "vpc[3]": 1, "vpc[4]": 3, "vpc[5]": 1, "vpc[9]": 2, "vpc[10]": 1, "vpc[11]": 1, "vpc[12]": 1, "vpc[13]": 1,
    "vpc[14]": 2, "vpc[15]": 1, "alb[3]": 10, "alb[4]": 1, "alb[5]": 2, "alb[6]": 1, "alb[7]": 1,
    "cloudtrail[6]": 2, "cloudtrail[7]": 1, "cloudtrail[8]": 1, "cloudtrail[9]": 1, "cloudtrail[10]": 28,
    "waf[3]": 1, "waf[4]": 2, "waf[5]": 1, "waf[6]": 2, "waf[7]": 10, "waf[8]": 1, "waf[9]": 1, "waf[10]": 4,
    "waf[11]": 2, "waf[12]": 1, "waf[13]": 1, "waf[14]": 6, "waf[15]": 1, "waf[16]": 2,
}  # fmt: skip
"""Rows each documented query returns on these samples (the same on every layout)."""
ANY_ROWS = {"waf[7]"}
"""LIMIT without ORDER BY: any 10 of the 14 records, on Athena too (waf.test_queries_that_compute_with_the_milliseconds
checks each layout's are records of the samples)."""
ROWS_BY_TABLE = {
    "alb_logs": 17, "apigateway_logs": 4, "cloudtrail_logs": 28, "lambda_platform": 7, "logs": 7,
    "s3_access_logs": 5, "vpc_flow_logs": 45, "waf_logs": 14,
}  # fmt: skip
TABLES = sorted(ROWS_BY_TABLE)
COMPACTED_BEFORE = datetime(2026, 1, 1, tzinfo=UTC)
"""Compaction's `now`: every sample hour is closed then, except the flow _deliveries dates an hour ago."""


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, DuckDBEngine]]:
    source = open_lake(str(tmp_path_factory.mktemp("raw") / "lake"))
    for group, messages in _deliveries().items():
        write_messages(source.store, group, messages, id_prefix=f"{group}#", stream="samples")
    # test_waf.py's lake, its guide's records in two raw objects (hours 2019-12-13 23 and 2021-09-23 18 in both)
    write_messages(source.store, "/waf/docs", waf.DOCS[0::2], id_prefix="docs-a#", stream="a")
    write_messages(source.store, "/waf/docs", waf.DOCS[1::2], id_prefix="docs-b#", stream="b")
    write_messages(source.store, "/waf/local", waf.LOCAL, id_prefix="local#")
    write_messages(source.store, "/waf/recent", waf.RECENT, id_prefix="recent#")
    raw = {key: source.store.get(key) for key in source.store.list("raw/")}
    engines: dict[str, DuckDBEngine] = {}
    for layout in ("hive", "iceberg", "iceberg-compacted"):
        lake: Lake = open_lake(str(tmp_path_factory.mktemp(layout) / "lake"))
        for key, data in raw.items():
            lake.store.put(key, data)
        settings = EtlSettings(table_format="hive" if layout == "hive" else "iceberg")
        results = run_etl(lake, pending_raw_objects(lake), settings, workers=1)
        assert len(results) == len(raw) and not any(r.skipped for r in results)
        if layout == "iceberg-compacted":
            _compact(lake)
        engines[layout] = DuckDBEngine(lake.store)
    yield engines
    for engine in engines.values():
        engine.close()


def _compact(lake: Lake) -> None:
    files = {t: len(live_files(lake.store, t)) for t in iceberg.iceberg_tables(lake.store)}
    report = compact(lake.store, sorted(files), older_than_s=3600, grace_s=0, now=COMPACTED_BEFORE)
    done = [p for p in report.partitions if p.status == "compacted"]
    # Hours that more than one raw object wrote to: the groups' unparsed lines (`logs`, all at the delivery
    # time), VPC's documentation examples, two ALB samples, two hours of the WAF guide's records.
    assert sorted((p.table, p.inputs, p.outputs, p.rows) for p in done) == [
        ("alb_logs", 2, 1, 8), ("logs", 7, 1, 7), *[("vpc_flow_logs", 2, 1, 2)] * 2,
        *[("vpc_flow_logs", 2, 1, 4)] * 3, ("vpc_flow_logs", 2, 1, 10), *[("waf_logs", 2, 1, 2)] * 2,
    ]  # fmt: skip
    # apigateway_logs: the CLF and the JSON sample share their requestTime's hour (the JSON one's time is read
    # from the line since c9af511, not the delivery's), so one file.
    assert files == {"alb_logs": 8, "apigateway_logs": 1, "cloudtrail_logs": 15, "lambda_platform": 1, "logs": 7,
                     "s3_access_logs": 1, "vpc_flow_logs": 24, "waf_logs": 14}  # fmt: skip
    after = {t: len(live_files(lake.store, t)) for t in files}
    assert after == {**files, "alb_logs": 7, "logs": 1, "vpc_flow_logs": 18, "waf_logs": 12}


def _rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return sorted(engine.query(sql).rows, key=repr)


def test_every_aws_table_is_iceberg_with_the_same_columns_and_rows(lakes: dict[str, DuckDBEngine]) -> None:
    hive = lakes["hive"]
    assert iceberg.iceberg_tables(hive.store) == []
    for layout in ("iceberg", "iceberg-compacted"):
        assert iceberg.iceberg_tables(lakes[layout].store) == TABLES
        for table in TABLES:
            columns = f"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table}'"
            lakes[layout].ensure_views({table})
            hive.ensure_views({table})
            assert lakes[layout].con.execute(columns).fetchall() == hive.con.execute(columns).fetchall(), table
            count = f"SELECT count(*), count(DISTINCT event_id) FROM {table}"
            assert _rows(lakes[layout], count) == _rows(hive, count) == [(ROWS_BY_TABLE[table],) * 2], table


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_documented_query_answers_alike(lakes: dict[str, DuckDBEngine], name: str) -> None:
    expected = _rows(lakes["hive"], QUERIES[name])
    assert len(expected) == ROWS[name]
    for layout in ("iceberg", "iceberg-compacted"):
        got = _rows(lakes[layout], QUERIES[name])
        assert len(got) == ROWS[name]
        if name not in ANY_ROWS:
            assert got == expected, layout


@pytest.mark.parametrize("layout", ["hive", "iceberg", "iceberg-compacted"])
def test_waf_documented_queries_give_test_wafs_exact_answers(lakes: dict[str, DuckDBEngine], layout: str) -> None:
    """The answers test_waf.py asserts value by value, on each layout: BIGINT milliseconds survive Iceberg."""
    waf.test_waf_documented_queries(lakes[layout])
    waf.test_queries_that_compute_with_the_milliseconds(lakes[layout])
    assert _rows(lakes[layout], "SELECT typeof(timestamp), count(*) FROM waf_logs GROUP BY 1") == [("BIGINT", 14)]
    sql = "SELECT dt, hour, count(*) FROM waf_logs WHERE dt < DATE '2022-01-01' GROUP BY ALL"
    assert _rows(lakes[layout], sql) == sorted(
        [
            (date(2019, 12, 13), 23, 2), (date(2020, 6, 17), 1, 1), (date(2020, 6, 17), 2, 1),
            (date(2021, 3, 10), 12, 1), (date(2021, 3, 11), 12, 1), (date(2021, 3, 12), 12, 1),
            (date(2021, 3, 15), 12, 1), (date(2021, 4, 2), 12, 1), (date(2021, 9, 23), 18, 2),
        ],
        key=repr,
    )  # fmt: skip


def test_partition_columns_alike(lakes: dict[str, DuckDBEngine]) -> None:
    sql = "SELECT dt, hour, typeof(dt), typeof(hour), count(*) FROM vpc_flow_logs GROUP BY ALL"
    expected = _rows(lakes["hive"], sql)
    assert len(expected) == 18 and {row[2:4] for row in expected} == {("DATE", "INTEGER")}
    assert _rows(lakes["iceberg"], sql) == _rows(lakes["iceberg-compacted"], sql) == expected

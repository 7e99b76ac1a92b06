"""Athena (Trino) SQL run locally must give what Athena's semantics require. One case per line:
(query, expected rows). The data: four events with nested request/user objects, over two days, in two raw
objects (so hour 10 holds two files).

Every case runs four times with the same expected rows: over the hive table (the default), over the same
events as an Iceberg table (`table_format = "iceberg"`, the lake's embedded SQLite catalog), over that
Iceberg table after `loglake compact` merged hour 10's two files and expired the old snapshots, and the same
compacted Iceberg table in an S3 lake whose catalog is Glue (a moto server), read through ranged GETs.
All four run on DuckDB only (the Athena SQL translated, as `loglake query` runs it embedded): no Athena is
asked here, so "parity" is with Athena's documented semantics, not with a live Athena's answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from conftest import reset_and_point_boto3_at
from loglake.lake import iceberg
from loglake.lake.compaction import compact, live_files
from loglake.lake.keys import RawKey
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import encode_batch
from loglake.query.engine import DuckDBEngine
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

EVENTS = [
    {"timestamp": "2026-11-26T10:15:30Z", "level": "info", "service": "api", "bytes": 1000,
     "request": {"method": "GET", "path": "/a", "status": 200, "latency_ms": 120,
                 "url": "https://shop.example.com:8443/a/b?x=1&y=two%20words#frag"},
     "user": {"id": 7, "tags": ["new", "beta"]}},
    {"timestamp": "2026-11-26T10:45:00Z", "level": "error", "service": "api", "bytes": 7,
     "request": {"method": "POST", "path": "/pay", "status": 503, "latency_ms": 900, "url": "http://pay.example.com/pay"},
     "user": {"id": 8, "tags": []}},
    {"timestamp": "2026-11-26T11:05:00Z", "level": "warn", "service": "worker", "bytes": 250,
     "request": {"method": "GET", "path": "/a", "status": 404, "latency_ms": 15, "url": "https://shop.example.com/a?x=2"},
     "user": {"id": 7, "tags": ["beta"]}},
    {"timestamp": "2026-11-27T00:00:01Z", "level": "info", "service": "worker", "bytes": 3,
     "request": {"method": "GET", "path": "/b", "status": 200, "latency_ms": 40, "url": "https://shop.example.com/b"},
     "user": {"id": 9, "tags": ["new"]}},
]  # fmt: skip
UTC_10 = datetime(2026, 11, 26, 10, tzinfo=UTC)
FIRST = "FROM logs ORDER BY timestamp LIMIT 1"

CASES: list[tuple[str, list[tuple[Any, ...]]]] = [
    # integer division truncates; decimals do not
    ("SELECT 7 / 2, -7 / 2, 7.0 / 2, 7 % 3", [(3, -3, 3.5, 1)]),
    ("SELECT sum(bytes) / 11 FROM logs", [(114,)]),
    ("SELECT request_status / 100 AS class, count(*) FROM logs GROUP BY 1 ORDER BY 1", [(2, 2), (4, 1), (5, 1)]),
    ("SELECT from_unixtime(1795687200500 / 1000)", [(UTC_10,)]),
    # date and time
    (f"SELECT format_datetime(timestamp, 'yyyy-MM-dd HH:mm:ss') {FIRST}", [("2026-11-26 10:15:30",)]),
    (f"SELECT format_datetime(timestamp, 'EEE, dd MMM yyyy') {FIRST}", [("Thu, 26 Nov 2026",)]),
    ("SELECT parse_datetime('2026-11-26 10:15', 'yyyy-MM-dd HH:mm')", [(datetime(2026, 11, 26, 10, 15),)]),
    (f"SELECT date_format(timestamp, '%Y-%m-%d %H:%i') {FIRST}", [("2026-11-26 10:15",)]),
    ("SELECT date_parse('26/11/2026', '%d/%m/%Y')", [(datetime(2026, 11, 26),)]),
    (
        "SELECT date_trunc('hour', timestamp), count(*) FROM logs GROUP BY 1 ORDER BY 1",
        [(datetime(2026, 11, 26, 10), 2), (datetime(2026, 11, 26, 11), 1), (datetime(2026, 11, 27, 0), 1)],
    ),
    (f"SELECT date_add('day', 1, dt), typeof(date_add('day', 1, dt)) {FIRST}", [(date(2026, 11, 27), "DATE")]),
    (f"SELECT date_add('hour', 2, timestamp) {FIRST}", [(datetime(2026, 11, 26, 12, 15, 30),)]),
    ("SELECT date_diff('minute', min(timestamp), max(timestamp)) FROM logs", [(824,)]),
    ("SELECT date_diff('day', DATE '2026-11-26', DATE '2026-11-28')", [(2,)]),
    ("SELECT from_unixtime(1795687200)", [(UTC_10,)]),
    (f"SELECT to_unixtime(timestamp) {FIRST}", [(1795688130.0,)]),
    ("SELECT from_iso8601_timestamp('2026-11-26T11:00:00+01:00')", [(UTC_10,)]),
    (f"SELECT day_of_week(timestamp), day_of_week(DATE '2026-11-29'), hour(timestamp), year(dt) {FIRST}",
     [(4, 7, 10, 2026)]),
    (f"SELECT date_diff('millisecond', timestamp, timestamp + INTERVAL '1.5' SECOND) {FIRST}", [(1500,)]),
    # inside a function that is itself translated: whole hours (1h44m30s and 1h15m are 1), not boundaries (2)
    (
        "SELECT approx_percentile(date_diff('hour', timestamp, TIMESTAMP '2026-11-26 12:00:00'), 0.5) "
        "FROM logs WHERE service = 'api'",
        [(1,)],
    ),
    ("SELECT regexp_extract(json_extract_scalar('not json', '$.a'), 'x')", [(None,)]),
    # regular expressions
    ("SELECT regexp_extract(request_url, '^https?://([^/:]+)', 1) FROM logs ORDER BY timestamp",
     [("shop.example.com",), ("pay.example.com",), ("shop.example.com",), ("shop.example.com",)]),
    ("SELECT count(*) FROM logs WHERE regexp_like(request_path, '^/a')", [(2,)]),
    ("SELECT regexp_replace(request_path, '[aeiou]', '*') FROM logs ORDER BY timestamp LIMIT 2", [("/*",), ("/p*y",)]),
    ("SELECT regexp_extract('abc', 'x(y)', 1), regexp_extract('abc', 'b'), regexp_extract('ab', 'a(x?)b', 1)",
     [(None, "b", "")]),
    # JSON and arrays (arrays are kept as JSON text)
    (f"SELECT json_extract_scalar(message, '$.request.method'), json_extract(message, '$.user.tags') {FIRST}",
     [("GET", '["new","beta"]')]),
    ("SELECT json_array_length(user_tags) FROM logs ORDER BY timestamp", [(2,), (0,), (1,), (1,)]),
    ("SELECT json_extract_scalar('{\"a\": 1', '$.a'), json_extract('not json', '$.a'), "
     "json_extract_scalar('{\"a\": 2}', '$.a')", [(None, None, "2")]),
    ("SELECT tag, count(*) FROM logs CROSS JOIN UNNEST(CAST(json_parse(user_tags) AS ARRAY(VARCHAR))) AS t(tag) "
     "GROUP BY tag ORDER BY tag", [("beta", 2), ("new", 2)]),
    # window functions
    ("SELECT service, row_number() OVER (PARTITION BY service ORDER BY timestamp) FROM logs ORDER BY timestamp",
     [("api", 1), ("api", 2), ("worker", 1), ("worker", 2)]),
    ("SELECT request_latency_ms, lag(request_latency_ms) OVER (ORDER BY timestamp) FROM logs ORDER BY timestamp",
     [(120, None), (900, 120), (15, 900), (40, 15)]),
    ("SELECT service, sum(bytes) OVER (PARTITION BY service) FROM logs ORDER BY timestamp",
     [("api", 1007), ("api", 1007), ("worker", 253), ("worker", 253)]),
    ("SELECT rank() OVER (ORDER BY request_status DESC) FROM logs ORDER BY timestamp", [(3,), (1,), (2,), (3,)]),
    # url functions
    (f"SELECT url_extract_host(request_url), url_extract_port(request_url), url_extract_path(request_url) {FIRST}",
     [("shop.example.com", 8443, "/a/b")]),
    (f"SELECT url_extract_parameter(request_url, 'y'), url_extract_query(request_url), "
     f"url_extract_fragment(request_url), url_extract_protocol(request_url) {FIRST}",
     [("two words", "x=1&y=two%20words", "frag", "https")]),
    ("SELECT url_extract_port(request_url) FROM logs ORDER BY timestamp LIMIT 1 OFFSET 1", [(None,)]),
    # strings, aggregates, conditionals
    (f"SELECT split_part(request_url, '/', 3), cardinality(split(request_path, '/')), "
     f"strpos(request_path, 'a') {FIRST}",
     [("shop.example.com:8443", 2, 2)]),
    ("SELECT max_by(request_path, request_latency_ms), min_by(service, timestamp) FROM logs", [("/pay", "api")]),
    ("SELECT count_if(request_status >= 500), count(DISTINCT user_id) FROM logs", [(1, 3)]),
    ("SELECT if(request_status >= 400, 'bad', 'ok'), coalesce(NULL, service), nullif(service, 'api') "
     "FROM logs ORDER BY timestamp LIMIT 2", [("ok", "api", None), ("bad", "api", None)]),
    (f"SELECT try_cast('12x' AS BIGINT), try_cast('12' AS BIGINT), CAST(request_latency_ms AS VARCHAR) {FIRST}",
     [(None, 12, "120")]),
    ("SELECT array_join(array_agg(service ORDER BY timestamp), ',') FROM logs", [("api,api,worker,worker",)]),
    (f"SELECT lower(level), upper(service), length(service), concat(service, '-', level), "
     f"substr(service, 2, 2) {FIRST}",
     [("info", "API", 3, "api-INFO", "pi")]),
    ("SELECT round(avg(request_latency_ms), 2) FROM logs", [(268.75,)]),
    ("SELECT approx_percentile(request_latency_ms, 0.99) FROM logs", [(900,)]),
    # partitions
    ("SELECT dt, hour, count(*) FROM logs WHERE dt >= DATE '2026-11-26' GROUP BY 1, 2 ORDER BY 1, 2",
     [(date(2026, 11, 26), 10, 2), (date(2026, 11, 26), 11, 1), (date(2026, 11, 27), 0, 1)]),
]  # fmt: skip


LAYOUTS = ["hive", "iceberg", "iceberg-compacted", "iceberg-glue-compacted"]


@pytest.fixture(scope="module", params=LAYOUTS)
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    layout: str = request.param
    with pytest.MonkeyPatch.context() as patch:
        if layout == "iceberg-glue-compacted":  # the catalog Athena reads: Glue, on the moto server
            reset_and_point_boto3_at(request.getfixturevalue("moto_endpoint"), patch)
            boto3.client("s3").create_bucket(Bucket="parity")
            lake: Lake = open_lake("s3://parity/lake")
        else:
            lake = open_lake(str(tmp_path_factory.mktemp(f"parity-{layout}")))
        yield from _engine(lake, layout)


def _engine(lake: Lake, layout: str) -> Iterator[DuckDBEngine]:
    settings = EtlSettings(table_format="hive" if layout == "hive" else "iceberg")
    records = [
        {"log_group": "/parity", "log_stream": "s", "event_id": f"e{i}", "timestamp": 1795687200000 + i,
         "ingestion_time": None, "message": json.dumps(event), "source": "file"}
        for i, event in enumerate(EVENTS)
    ]  # fmt: skip
    for part in range(2):  # events 0 and 2, then 1 and 3: hour 10 of 2026-11-26 gets one file of each
        key = RawKey("file", "/parity", "s", f"{part}-{part + 1}").key
        lake.store.put(key, encode_batch(records[part::2]))  # type: ignore[arg-type]
        process_raw_object(lake.store, key, settings)
    assert iceberg.iceberg_tables(lake.store) == ([] if layout == "hive" else ["logs"])
    if layout.endswith("compacted"):
        assert len(live_files(lake.store, "logs")) == 4
        report = compact(lake.store, ["logs"], older_than_s=3600, grace_s=0, now=datetime(2026, 11, 28, tzinfo=UTC))
        assert [(p.partition, p.status, p.inputs, p.outputs, p.rows) for p in report.partitions] == [
            ("dt=2026-11-26/hour=10", "compacted", 2, 1, 2),
            ("dt=2026-11-26/hour=11", "nothing", 0, 0, 0),
            ("dt=2026-11-27/hour=00", "nothing", 0, 0, 0),
        ]
        assert len(live_files(lake.store, "logs")) == 3
        assert [s["operation"] for s in iceberg.snapshot_summaries(lake.store, "logs")] == ["overwrite"]
    if layout == "iceberg-glue-compacted":
        table = boto3.client("glue").get_table(DatabaseName="loglake", Name="logs")["Table"]
        assert table["Parameters"]["table_type"] == "ICEBERG"
    with DuckDBEngine(lake.store) as opened:
        yield opened


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:  # timestamp with time zone: compare instants
        return value.astimezone(UTC)
    return value


@pytest.mark.parametrize(("sql", "expected"), CASES, ids=[sql[:60] for sql, _ in CASES])
def test_athena_semantics_locally(engine: DuckDBEngine, sql: str, expected: list[tuple[Any, ...]]) -> None:
    rows = [tuple(_normalise(v) for v in row) for row in engine.query(sql).rows]
    assert rows == [tuple(_normalise(v) for v in row) for row in expected]


def test_approx_percentile_returns_an_input_value_of_the_input_type(engine: DuckDBEngine) -> None:
    ((p50,),) = engine.query("SELECT approx_percentile(request_latency_ms, 0.5) FROM logs").rows
    assert p50 in (40, 120) and isinstance(p50, int)  # Athena's is approximate; either middle value is right


def test_unsupported_java_pattern_letters_are_named(engine: DuckDBEngine) -> None:
    from loglake.errors import QueryError

    with pytest.raises(QueryError, match="'QQ' are not supported"):
        engine.query("SELECT format_datetime(timestamp, 'yyyy QQ') FROM logs")


def test_ingestion_lag_as_an_interval(engine: DuckDBEngine) -> None:
    assert len(CASES) >= 30
    ((lag,),) = engine.query("SELECT max(timestamp) - min(timestamp) FROM logs").rows
    assert lag == timedelta(hours=13, minutes=44, seconds=31)

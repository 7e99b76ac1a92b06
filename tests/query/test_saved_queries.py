"""Every saved query, with values, on real AWS log lines (tests/events/log_lines) and app events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot

from loglake.errors import QueryError
from loglake.lake.keys import RawKey
from loglake.lake.open import open_lake
from loglake.lake.raw_zone import encode_batch
from loglake.query.engine import DuckDBEngine
from loglake.query.saved_queries import SAVED_QUERIES, parse_params, saved_query
from loglake.query.time_range import TimeRange
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

LINES = Path(__file__).parent.parent / "events" / "log_lines"
T0 = 1_795_687_200_000  # 2026-11-26T10:00:00Z


def _record(group: str, n: int, ts: int, message: str, lag_ms: int | None = None) -> dict[str, Any]:
    ingestion = None if lag_ms is None else ts + lag_ms
    return {"log_group": group, "log_stream": "s", "event_id": f"{group}-{n}", "timestamp": ts,
            "ingestion_time": ingestion, "message": message, "source": "cloudwatch"}  # fmt: skip


WAF_RECORD = json.loads(
    (Path(__file__).parent.parent / "events" / "aws_formats" / "waf_docs.log").read_text().splitlines()[0]
)
"""AWS WAF developer guide's first example record (tests/events/ATTRIBUTION.md)."""
WAF_TIMES = [T0 + 1_234, T0 + 61_500, T0 + 3_600_001]  # 10:00:01.234, 10:01:01.500, 11:00:00.001
WAF_LAGS = [250, 1_500, 4_001]


def _waf_events() -> list[dict[str, Any]]:
    """WAF records whose `timestamp` (kept by waf_logs as AWS's epoch ms) arrived WAF_LAGS ms later."""
    return [
        _record("/waf/acl", n, ts, json.dumps({**WAF_RECORD, "timestamp": ts}), lag_ms=lag)
        for n, (ts, lag) in enumerate(zip(WAF_TIMES, WAF_LAGS, strict=True))
    ]


def _app_events() -> list[dict[str, Any]]:
    events = []
    for n, (route, ms, level, text) in enumerate([
        ("/cart", 10, "info", "ok"), ("/cart", 20, "info", "ok"), ("/cart", 30, "info", "ok"),
        ("/cart", 40, "error", "payment 123 failed for order 9f1c2a3b-1d2e-4f50-8a9b-0c1d2e3f4a5b"),
        ("/pay", 500, "error", "payment 77 failed for order 0a1b2c3d-0000-4000-8000-123456789abc"),
        ("/pay", 700, "fatal", "database unreachable"),
    ]):  # fmt: skip
        ts = T0 + n * 60_000
        doc = {"timestamp": ts, "level": level, "msg": text, "request": {"route": route, "latency_ms": ms}}
        events.append(_record("/app/checkout", n, ts, json.dumps(doc), lag_ms=1000 * (n + 1)))
    return events


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckDBEngine]:
    lake = open_lake(str(tmp_path_factory.mktemp("saved")))
    lambda_lines = json.loads((LINES / "lambda_platform_lines.json").read_text())
    vpc = (LINES / "vpc_flow_default_v2.log").read_text().splitlines()
    alb = (LINES / "alb_synthetic.log").read_text().splitlines()
    batches = {
        "app": _app_events(),
        "lambda": [_record(e["logGroup"], n, e["timestamp"] + n, e["message"]) for n, e in enumerate(lambda_lines)],
        "vpc": [_record("/vpc/flows", n, T0, line) for n, line in enumerate(vpc)],
        "alb": [_record("/alb/shop", n, T0, line) for n, line in enumerate(alb)],
        "waf": _waf_events(),
    }
    for name, records in batches.items():
        key = RawKey("cloudwatch", name, "s", "0-0").key
        lake.store.put(key, encode_batch(records))  # type: ignore[arg-type]
        process_raw_object(lake.store, key, EtlSettings())
    with DuckDBEngine(lake.store) as opened:
        yield opened


def run(engine: DuckDBEngine, name: str, **params: str) -> list[tuple[Any, ...]]:
    return engine.query(saved_query(name, params)).rows


def test_errors_per_service_per_hour(engine: DuckDBEngine) -> None:
    assert run(engine, "errors_per_service_per_hour") == [("/app/checkout", datetime(2026, 11, 26, 10), 3)]
    assert run(engine, "errors_per_service_per_hour", since="2026-11-27") == []


def test_top_error_fingerprints(engine: DuckDBEngine) -> None:
    rows = run(engine, "top_error_fingerprints", limit="5", text="msg")
    assert [(r[0], r[1]) for r in rows] == [("payment <n> failed for order <id>", 2), ("database unreachable", 1)]
    assert rows[0][2:] == (datetime(2026, 11, 26, 10, 3), datetime(2026, 11, 26, 10, 4))
    # On whole JSON lines the routes and times differ, so every error is its own fingerprint.
    assert [r[1] for r in run(engine, "top_error_fingerprints")] == [1, 1, 1]


def test_latency_by_route(engine: DuckDBEngine) -> None:
    assert run(engine, "latency_by_route") == [("/pay", 2, 500, 700, 700), ("/cart", 4, 20, 40, 40)]


def test_lambda_cold_starts(engine: DuckDBEngine) -> None:
    ((function, invocations, cold, avg_ms, max_init, size, used, headroom),) = run(engine, "lambda_cold_starts")
    assert (function, invocations, cold, max_init, size, used, headroom) == (
        "/aws/lambda/pt-1488-DummyLogDataFunction-gnWXPvL6jJyG", 2, 1, 190.62, 128, 37, 71.1,
    )  # fmt: skip
    assert avg_ms == pytest.approx((9.14 + 0.97) / 2)


def test_vpc_top_talkers(engine: DuckDBEngine) -> None:
    assert run(engine, "vpc_top_talkers") == [
        ("2001:db8:1234:a100:8d6e:3477:df66:f105", 1, 0, 8855),
        ("172.31.16.139", 2, 1, 4585),
        ("172.31.9.69", 1, 1, 4249),
        ("203.0.113.12", 1, 0, 336),
    ]


def test_alb_5xx_rate(engine: DuckDBEngine) -> None:
    rows = [(hour.replace(tzinfo=None), *rest) for hour, *rest in run(engine, "alb_5xx_rate")]
    assert rows == [(datetime(2026, 11, 26, 10), 3, 2, 66.67), (datetime(2026, 11, 26, 11), 1, 0, 0.0)]


def test_ingestion_lag(engine: DuckDBEngine) -> None:
    assert run(engine, "ingestion_lag") == [("/app/checkout", 6, 3000, 6000, 6000)]


def test_the_table_queries_read_waf_logs_milliseconds_as_times(engine: DuckDBEngine) -> None:
    """waf_logs' `timestamp` is AWS's epoch ms (BIGINT): every saved query that takes a table answers on it,
    exactly, with its times as TIMESTAMPs (as on any other table)."""
    assert run(engine, "ingestion_lag", table="waf_logs") == [("/waf/acl", 3, 1500, 4001, 4001)]
    assert run(engine, "errors_per_service_per_hour", table="waf_logs") == []  # WAF records have no level
    fingerprints = engine.query(saved_query("top_error_fingerprints", {"table": "waf_logs"}))
    assert (fingerprints.rows, fingerprints.types[2:]) == ([], ["TIMESTAMP", "TIMESTAMP"])
    routes = engine.query(
        saved_query("latency_by_route", {"table": "waf_logs", "route": "action", "latency": "timestamp"})
    )
    assert routes.rows == [("BLOCK", 3, WAF_TIMES[1], WAF_TIMES[2], WAF_TIMES[2])]  # no time: AWS's number
    window = TimeRange.parse("2026-11-26T10:00:01.235Z", "2026-11-26T11:00:00.001Z")  # the 2nd event only
    lag = engine.query(saved_query("ingestion_lag", {"table": "waf_logs"}, window)).rows
    assert lag == [("/waf/acl", 1, 1500, 1500, 1500)]


def test_every_saved_query_is_valid_athena_sql() -> None:
    for name in SAVED_QUERIES:
        statement = sqlglot.parse_one(saved_query(name), read="athena")
        assert statement.key == "select", name


def test_parameters_are_validated_not_pasted() -> None:
    with pytest.raises(QueryError, match="not a plain column"):
        saved_query("latency_by_route", {"route": "x; DROP TABLE logs"})
    with pytest.raises(QueryError, match="not a whole number"):
        saved_query("top_error_fingerprints", {"limit": "1 OR 1=1"})
    with pytest.raises(QueryError, match="not an ISO 8601 date"):
        saved_query("errors_per_service_per_hour", {"since": "yesterday'"})
    with pytest.raises(QueryError, match="has no parameter 'nope'"):
        saved_query("ingestion_lag", {"nope": "1"})
    with pytest.raises(QueryError, match="no saved query 'missing'"):
        saved_query("missing")
    assert parse_params(["a=1", "b=x=y"]) == {"a": "1", "b": "x=y"}
    with pytest.raises(QueryError, match="name=value"):
        parse_params(["novalue"])


@pytest.mark.parametrize("value", ["١٢", "²", "-1", "+5", "1.5", " 12", "12 ", "", "1" * 19])
def test_whole_numbers_are_ascii_digits_only(value: str) -> None:
    with pytest.raises(QueryError) as info:
        saved_query("top_error_fingerprints", {"limit": value})
    assert str(info.value) == (
        f"--param limit: {value!r} is not a whole number; use ASCII digits 0-9, e.g. --param limit=20"
    )


def test_a_whole_number_lands_in_the_text_as_written() -> None:
    assert saved_query("vpc_top_talkers", {"limit": "007"}).endswith("LIMIT 7")
    assert saved_query("vpc_top_talkers", {"limit": "9" * 18}).endswith("LIMIT " + "9" * 18)

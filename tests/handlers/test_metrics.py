"""The functions' EMF lines, parsed against AWS's "Specification: Embedded metric format" (the rules are
restated in `check_emf` below), with exact values for a known invocation of each function."""

from __future__ import annotations

import base64
import copy
import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote_plus

import boto3
import pytest

from conftest import T0, load_event, write_messages
from loglake.handlers import etl as etl_handler
from loglake.handlers import firehose, subscription
from loglake.handlers.metrics import MAX_LABELLED, UNITS, Metrics
from loglake.lake.open import Lake
from loglake.lake.runs import read_runs
from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions, logs_client

SPEC_UNITS = {
    *("Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes"),
    *("Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second"),
    *("Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second"),
    *("Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None"),
}
"""The units the specification's MetricDefinition allows (CloudWatch's StandardUnit list)."""


def check_emf(line: str) -> dict[str, Any]:
    """Parse one log line as an EMF document and check it against the specification; returns
    {metric name: (value, unit, {dimension: value})}."""
    document = json.loads(line)  # the root node: one JSON object, nothing before or after it
    assert isinstance(document, dict)
    metadata = document["_aws"]
    assert set(metadata) == {"Timestamp", "CloudWatchMetrics"}  # no other members in the metadata object
    assert isinstance(metadata["Timestamp"], int) and metadata["Timestamp"] > 1_600_000_000_000  # ms since epoch
    directives = metadata["CloudWatchMetrics"]
    assert isinstance(directives, list) and directives
    found: dict[str, Any] = {}
    for directive in directives:
        assert set(directive) == {"Namespace", "Dimensions", "Metrics"}
        assert isinstance(directive["Namespace"], str) and 1 <= len(directive["Namespace"]) <= 255
        assert isinstance(directive["Dimensions"], list)
        dimensions: dict[str, str] = {}
        for dimension_set in directive["Dimensions"]:
            assert isinstance(dimension_set, list) and 1 <= len(dimension_set) <= 30
            for key in dimension_set:  # each references a top-level member holding a string
                value = document[key]
                assert isinstance(value, str) and 1 <= len(value) <= 1024 and value.isascii()
                dimensions[key] = value
        assert 1 <= len(directive["Metrics"]) <= 100
        for definition in directive["Metrics"]:
            assert set(definition) <= {"Name", "Unit", "StorageResolution"}
            assert definition["Unit"] in SPEC_UNITS
            value = document[definition["Name"]]  # the target member: a number
            assert isinstance(value, int | float) and not isinstance(value, bool)
            found[definition["Name"]] = (value, definition["Unit"], dimensions)
    return found


def emf_lines(text: str) -> list[dict[str, Any]]:
    """Every EMF document in captured stdout, checked; other lines are left alone."""
    return [check_emf(line) for line in text.splitlines() if line.startswith('{"_aws"')]


def metric(documents: list[dict[str, Any]], name: str, **dimensions: str) -> tuple[float, str]:
    """The value and unit of `name` in the document with exactly Function plus `dimensions`."""
    matches = [
        (found[name][0], found[name][1])
        for found in documents
        if name in found and {k: v for k, v in found[name][2].items() if k != "Function"} == dimensions
    ]
    assert len(matches) == 1, (name, dimensions, matches)
    return matches[0]


def test_the_units_are_the_specifications() -> None:
    assert UNITS == SPEC_UNITS


def test_a_directive_holds_at_most_100_metrics_and_unbounded_dimensions_are_refused() -> None:
    metrics = Metrics("etl", timestamp_ms=T0)
    for n in range(150):
        metrics.add(f"M{n:03d}", n)
    lines = metrics.lines()
    assert len(lines) == 2
    first, second = (check_emf(line) for line in lines)
    assert (len(first), len(second)) == (100, 50)
    assert first["M000"] == (0, "Count", {"Function": "etl"}) and second["M149"] == (149, "Count", {"Function": "etl"})
    with pytest.raises(ValueError, match="unbounded"):
        metrics.add("EventsRead", 1, Stream="s")
    with pytest.raises(ValueError, match="not a CloudWatch unit"):
        metrics.add("EventsRead", 1, "events")


def test_lag_has_one_value_per_label_for_the_furthest_behind_only() -> None:
    metrics = Metrics("collector", timestamp_ms=T0 + 100_000)
    metrics.add_lag("LagSeconds", {f"/g/{n:02d}": T0 + n * 1000 for n in range(MAX_LABELLED + 5)}, "LogGroup")
    documents = [check_emf(line) for line in metrics.lines()]
    assert metric(documents, "LagSeconds") == (100, "Seconds")
    labelled = sorted(d["LagSeconds"][2]["LogGroup"] for d in documents if "LogGroup" in d["LagSeconds"][2])
    assert labelled == [f"/g/{n:02d}" for n in range(MAX_LABELLED)]  # the oldest newest-events
    assert metric(documents, "LagSeconds", LogGroup="/g/00") == (100, "Seconds")
    assert metric(documents, "LagSeconds", LogGroup="/g/09") == (91, "Seconds")


def _event_for(key: str) -> dict[str, Any]:
    event = copy.deepcopy(load_event("s3_object_created"))
    event["Records"][0]["s3"]["bucket"]["name"] = "local"
    event["Records"][0]["s3"]["object"]["key"] = quote_plus(key, safe="/")
    return event


def test_the_etl_function_prints_its_counts_by_reason_and_lag_per_table(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = ['{"level":"info","n":1}', '{"broken', "plain text line", '{"also broken', "another line"]
    write_messages(lake.store, "/app/api", messages, stream="secret-stream-name", timestamp=T0)
    (key,) = lake.store.list("raw/")
    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)
    capsys.readouterr()
    etl_handler.handler(_event_for(key), context=None)
    out = capsys.readouterr().out
    assert "secret-stream-name" not in out and "broken" not in out and "plain text" not in out
    documents = emf_lines(out)
    assert metric(documents, "RawObjectsProcessed") == (1, "Count")
    assert metric(documents, "EventsRead") == (5, "Count")
    assert metric(documents, "EventsClean") == (3, "Count")
    assert metric(documents, "EventsQuarantined") == (2, "Count")
    assert metric(documents, "QuarantinedEvents", Reason="invalid_json") == (2, "Count")
    assert metric(documents, "BytesIn") == (lake.store.local_file(key).__enter__().stat().st_size, "Bytes")
    assert metric(documents, "BytesOut")[0] > 0
    for name in ("ReadDuration", "WriteDuration", "CommitDuration", "CatalogDuration", "Duration"):
        value, unit = metric(documents, name)
        assert unit == "Milliseconds" and value >= 0
    lag, unit = metric(documents, "LagSeconds", Table="logs")
    newest = T0 + 4  # the last event's time
    assert unit == "Seconds" and abs(lag - (time.time() * 1000 - newest) / 1000) < 60
    runs = read_runs(lake.store)
    assert (runs["etl"].ok, runs["etl"].where, runs["etl"].figures["quarantined_rows"]) == (True, "lambda", 2)


def test_a_duplicate_notification_counts_as_skipped(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_messages(lake.store, "/app/api", ["one", "two"])
    (key,) = lake.store.list("raw/")
    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)
    etl_handler.handler(_event_for(key), context=None)
    capsys.readouterr()
    etl_handler.handler(_event_for(key), context=None)
    documents = emf_lines(capsys.readouterr().out)
    assert metric(documents, "RawObjectsProcessed") == (0, "Count")
    assert metric(documents, "RawObjectsSkipped") == (1, "Count")
    assert metric(documents, "EventsRead") == (0, "Count")
    assert all("LagSeconds" not in d for d in documents)  # nothing processed: no lag data point


def _subscription_event(log_group: str, timestamps: list[int]) -> dict[str, Any]:
    payload = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": log_group,
        "logStream": "2026/11/28/[$LATEST]secretstream",
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": f"id{n}", "timestamp": ts, "message": f"message {n}"} for n, ts in enumerate(timestamps)],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(payload).encode())).decode()}}


def test_the_subscription_function_prints_events_and_its_groups_lag(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)
    now = int(time.time() * 1000)
    event = _subscription_event("/app/orders", [now - 30_000, now - 20_000])
    capsys.readouterr()
    subscription.handler(event, context=None)
    out = capsys.readouterr().out
    assert "secretstream" not in out and "message 0" not in out
    documents = emf_lines(out)
    assert metric(documents, "EventsRead") == (2, "Count")
    assert metric(documents, "RawObjectsWritten") == (1, "Count")
    assert metric(documents, "BytesIn") == (len(event["awslogs"]["data"]), "Bytes")
    lag, unit = metric(documents, "LagSeconds", LogGroup="/app/orders")
    assert unit == "Seconds" and 20 <= lag < 80


def test_the_firehose_function_counts_failed_records(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOGLAKE_LAKE", lake.store.uri)
    data = _subscription_event("/app/a", [T0, T0 + 5])["awslogs"]["data"]
    event = {"records": [{"recordId": "1", "data": data}, {"recordId": "2", "data": "bm90IGd6aXA="}]}
    capsys.readouterr()
    firehose.handler(event, context=None)
    documents = emf_lines(capsys.readouterr().out)
    assert metric(documents, "RecordsRead") == (2, "Count")
    assert metric(documents, "RecordsFailed") == (1, "Count")
    assert metric(documents, "EventsRead") == (2, "Count")
    assert metric(documents, "RawObjectsWritten") == (1, "Count")
    assert metric(documents, "BytesIn") == (len(data) + len("bm90IGd6aXA="), "Bytes")
    assert metric(documents, "LagSeconds", LogGroup="/app/a")[1] == "Seconds"


class _Throttling(BaseHTTPRequestHandler):
    """A CloudWatch Logs endpoint that throttles the first FilterLogEvents call, then answers it."""

    throttled: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        operation = self.headers["X-Amz-Target"].split(".")[-1]
        body: dict[str, Any]
        if operation == "DescribeLogGroups":
            status, body = 200, {"logGroups": [{"logGroupName": "/app/x"}]}
        elif operation == "FilterLogEvents" and not self.throttled:
            self.throttled.append(operation)
            status, body = 400, {"__type": "ThrottlingException", "message": "Rate exceeded"}
        else:
            now = int(time.time() * 1000)
            events = [{"logStreamName": "s", "eventId": "1", "timestamp": now - 5_000, "message": "m"}]
            status, body = 200, {"events": events}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def throttling_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    _Throttling.throttled = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttling)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_collector_counts_calls_and_the_throttles_botocore_retried(lake: Lake, throttling_endpoint: str) -> None:
    client = boto3.client("logs", endpoint_url=throttling_endpoint, config=logs_client(3).meta.config)
    options = CollectorOptions(log_groups=("/app/x",), slice_ms=86_400_000, first_run_lookback_ms=60_000)
    collector = CloudWatchCollector(lake.store, options, client=client)
    report = collector.collect()
    assert (report.api_calls, report.throttles, report.events) == (2, 1, 1)
    from loglake.handlers.metrics import collector_metrics

    documents = [check_emf(line) for line in collector_metrics(report, 12.5).lines()]
    assert metric(documents, "CloudWatchApiCalls") == (2, "Count")
    assert metric(documents, "CloudWatchThrottles") == (1, "Count")
    assert metric(documents, "Duration") == (12.5, "Milliseconds")
    lag, _unit = metric(documents, "LagSeconds", LogGroup="/app/x")
    assert 5 <= lag < 60


def test_emf_bytes_per_invocation_stay_small(lake: Lake, tmp_path: Path) -> None:
    """What docs/operations.md quotes: the EMF bytes of an ETL invocation with one table and one reason."""
    messages = ['{"a":1}', "{bad"]
    write_messages(lake.store, "/app/api", messages)
    (key,) = lake.store.list("raw/")
    from loglake.handlers.metrics import etl_metrics
    from loglake.transform.etl import process_raw_object
    from loglake.transform.settings import EtlSettings

    result = process_raw_object(lake.store, key, EtlSettings())
    size = etl_metrics([result], {"catalog": 0.1, "total": 10.0}).emit(write=lambda line: None)
    assert 900 < size < 1_500


def test_the_collector_function_prints_its_metrics_and_records_its_run(
    s3_lake: Lake, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from loglake.handlers import collector

    logs = boto3.client("logs")
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName="/svc/metrics")
    logs.create_log_stream(logGroupName="/svc/metrics", logStreamName="private-stream")
    logs.put_log_events(
        logGroupName="/svc/metrics",
        logStreamName="private-stream",
        logEvents=[{"timestamp": now - 120_000 + i, "message": f"secret message {i}"} for i in range(3)],
    )
    monkeypatch.setenv("LOGLAKE_LAKE", "s3://loglake-test/lake")
    monkeypatch.setenv("LOGLAKE_LOG_GROUPS", "/svc/metrics")
    monkeypatch.setenv("LOGLAKE_METRICS_NAMESPACE", "loglake-prod")
    capsys.readouterr()
    collector.handler({"detail-type": "Scheduled Event"}, context=None)
    out = capsys.readouterr().out
    assert "private-stream" not in out and "secret message" not in out
    documents = emf_lines(out)
    assert {json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Namespace"] for line in out.splitlines()} == {
        "loglake-prod"
    }
    assert metric(documents, "EventsRead") == (3, "Count")
    assert metric(documents, "RawObjectsWritten") == (1, "Count")
    assert metric(documents, "LogGroups") == (1, "Count")
    assert metric(documents, "CloudWatchThrottles") == (0, "Count")
    calls, _unit = metric(documents, "CloudWatchApiCalls")
    lag, _unit = metric(documents, "LagSeconds", LogGroup="/svc/metrics")
    assert calls >= 2 and 115 <= lag < 600
    run = read_runs(s3_lake.store)["collect"]
    assert (run.ok, run.where, run.figures["events"], run.figures["api_calls"]) == (True, "lambda", 3, calls)


def test_a_silent_groups_lag_comes_from_its_checkpoint_on_every_run(aws: str, lake: Lake) -> None:
    """A run that reads no event still reports the group's lag (now - its newest event, kept in the
    checkpoint), so CollectorLagAlarm sees a silent group fall behind (review item 9)."""
    from loglake.handlers.metrics import collector_metrics

    logs = boto3.client("logs")
    now = int(time.time() * 1000)
    logs.create_log_group(logGroupName="/quiet")
    logs.create_log_stream(logGroupName="/quiet", logStreamName="s")
    newest = now - 3 * 3_600_000
    logs.put_log_events(logGroupName="/quiet", logStreamName="s", logEvents=[{"timestamp": newest, "message": "m"}])
    options = CollectorOptions(log_groups=("/quiet",), first_run_lookback_ms=4 * 3_600_000, calls_per_second=1000)
    first = CloudWatchCollector(lake.store, options).collect(now_ms=now)
    assert (first.events, first.newest_ms) == (1, {"/quiet": newest})
    silent = CloudWatchCollector(lake.store, options).collect(now_ms=now + 60_000)
    assert (silent.events, silent.newest_ms) == (0, {"/quiet": newest})
    documents = [check_emf(line) for line in collector_metrics(silent, 1.0).lines()]
    lag, unit = metric(documents, "LagSeconds", LogGroup="/quiet")
    assert unit == "Seconds" and 3 * 3600 <= lag < 3 * 3600 + 120
    assert metric(documents, "LagSeconds") == (lag, "Seconds")

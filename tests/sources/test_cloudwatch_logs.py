"""The pull collector against a moto server over HTTP: counts, ids, increments, kills, retries, errors."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from loglake.errors import CollectError
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import decode_batch
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions
from loglake.transform.settings import EtlSettings

MINUTE = 60_000


def seed(groups: dict[str, int], events_per_stream: int, start_ms: int, span_ms: int, tag: str = "") -> None:
    """Put events into moto: `groups` maps a log group to its number of streams."""
    logs = boto3.client("logs")
    existing = {g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]}
    for group, streams in groups.items():
        if group not in existing:
            logs.create_log_group(logGroupName=group)
        for s in range(streams):
            stream = f"stream-{s:03d}"
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            step = max(1, span_ms // events_per_stream)
            events = [
                {"timestamp": start_ms + i * step, "message": f'{{"n":{i},"stream":"{stream}","tag":"{tag}"}}'}
                for i in range(events_per_stream)
            ]
            for i in range(0, len(events), 10_000):
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events[i : i + 10_000])


def truth(groups: list[str]) -> set[tuple[str, str]]:
    """Every (log group, eventId) that CloudWatch (moto) holds."""
    logs = boto3.client("logs")
    found = set()
    for group in groups:
        for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
            found |= {(group, e["eventId"]) for e in page["events"]}
    return found


def clean_ids(lake: Lake) -> list[tuple[str, str]]:
    with DuckDBEngine(lake.store) as engine:
        return [(g, e) for g, e in engine.query("SELECT log_group, event_id FROM logs").rows]


def etl(lake: Lake) -> None:
    run_etl(lake, pending_raw_objects(lake), EtlSettings())


def now_ms() -> int:
    return int(time.time() * 1000)


def test_collect_etl_query_matches_cloudwatch_exactly(aws: str, lake: Lake) -> None:
    groups = {"/app/api": 20, "/app/worker": 17, "/aws/lambda/checkout": 15}
    start = now_ms() - 50 * MINUTE
    seed(groups, events_per_stream=2_000, start_ms=start, span_ms=45 * MINUTE)
    expected = truth(list(groups))
    assert len(expected) == 104_000

    options = CollectorOptions(log_groups=("/app/*", "/aws/lambda/checkout"), calls_per_second=1000)
    report = CloudWatchCollector(lake.store, options).collect()
    assert (report.groups, len(report.streams), report.events) == (3, 52, 104_000)
    etl(lake)
    ids = clean_ids(lake)
    assert len(ids) == len(set(ids)) == 104_000
    assert set(ids) == expected
    with DuckDBEngine(lake.store) as engine:
        assert check_conservation(engine, engine.store).ok
        mismatched = engine.query("SELECT count(*) FROM logs WHERE stream <> log_stream").rows
        counts = engine.query("SELECT log_group, count(DISTINCT log_stream) FROM logs GROUP BY 1 ORDER BY 1").rows
    assert mismatched == [(0,)]  # every message landed under its own stream
    assert counts == [("/app/api", 20), ("/app/worker", 17), ("/aws/lambda/checkout", 15)]

    # A second run reads only the overlap again: nothing changed there, nothing is rewritten.
    again = CloudWatchCollector(lake.store, options).collect()
    assert again.written == [] and again.unchanged > 0

    # New events, including a late one inside the overlap, are picked up; nothing else is rewritten.
    seed({"/app/api": 1}, events_per_stream=5, start_ms=now_ms() - 2 * MINUTE, span_ms=MINUTE, tag="new")
    third = CloudWatchCollector(lake.store, options).collect()
    assert third.written and all("log_group=%2Fapp%2Fapi/stream=%7Eshared/" in k for k in third.written)
    new = [r for k in third.written for r in decode_batch(lake.store.get(k)) if '"tag":"new"' in r["message"]]
    assert len(new) == 5 and {r["log_stream"] for r in new} == {"stream-000"}
    etl(lake)
    ids = clean_ids(lake)
    assert len(ids) == len(set(ids)) == 104_005
    assert set(ids) == truth(list(groups))


def test_backfill_window_and_checkpoint(aws: str, lake: Lake) -> None:
    base = now_ms() - 3 * 60 * MINUTE
    base -= base % (15 * MINUTE)  # slices are read whole: align the window to them
    seed({"/bf": 2}, events_per_stream=120, start_ms=base, span_ms=120 * MINUTE)
    options = CollectorOptions(log_groups=("/bf",), start_ms=base, end_ms=base + 60 * MINUTE, calls_per_second=1000)
    first = CloudWatchCollector(lake.store, options).collect()
    assert first.events == 120  # 2 streams, the first hour only
    rest = CloudWatchCollector(lake.store, CollectorOptions(log_groups=("/bf",), start_ms=base, calls_per_second=1000))
    assert rest.collect().events == 240  # slices are re-read whole; unchanged ones are not rewritten
    etl(lake)
    assert len(set(clean_ids(lake))) == len(clean_ids(lake)) == 240


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data

    def read(self, *_: Any) -> bytes:
        return self.data


def _inject(client: Any, event: str, failures: int, status: int, body: bytes) -> list[int]:
    """Answer the first `failures` calls with an error response; count every call."""
    calls = [0]

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        calls[0] += 1
        if calls[0] <= failures:
            return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, _Body(body))
        return None

    client.meta.events.register(f"before-send.{event}", handler)
    return calls


def test_throttling_and_s3_errors_are_retried(aws: str, s3_lake: Lake) -> None:
    seed({"/retry": 2}, events_per_stream=50, start_ms=now_ms() - 10 * MINUTE, span_ms=5 * MINUTE)
    collector = CloudWatchCollector(s3_lake.store, CollectorOptions(log_groups=("/retry",), calls_per_second=1000))
    throttled = _inject(
        collector.client,
        "cloudwatch-logs.FilterLogEvents",
        3,
        400,
        b'{"__type":"ThrottlingException","message":"Rate exceeded"}',
    )
    s3_errors = _inject(
        s3_lake.store.client,  # type: ignore[attr-defined]
        "s3.PutObject",
        2,
        503,
        b"<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>",
    )
    report = collector.collect()
    assert report.events == 100
    assert throttled[0] > 3 and s3_errors[0] > 2  # the failures were retried, then the calls went through
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings())
    assert len(clean_ids(s3_lake)) == 100


def test_a_permanent_error_is_one_clear_line(aws: str, lake: Lake) -> None:
    collector = CloudWatchCollector(
        lake.store, CollectorOptions(log_groups=("/exists",), calls_per_second=1000, max_attempts=2)
    )
    boto3.client("logs").create_log_group(logGroupName="/exists")
    _inject(
        collector.client,
        "cloudwatch-logs.FilterLogEvents",
        99,
        400,
        b'{"__type":"AccessDeniedException","message":"not authorized to perform: logs:FilterLogEvents"}',
    )
    with pytest.raises(CollectError, match=r"rejected the credentials or denied access \(AccessDeniedException\)"):
        collector.collect()


def _cli(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loglake", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_cli_errors_for_missing_group_unreachable_endpoint_and_bad_credentials(aws: str, tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    missing = _cli(["collect", "/no/such/group", "--lake", lake])
    unreachable = _cli(
        ["collect", "/g", "--lake", lake, "--max-attempts", "1"], env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    )
    checks: list[tuple[subprocess.CompletedProcess[str], str]] = [
        (missing, "log group '/no/such/group' does not exist"),
        (unreachable, "cannot reach the CloudWatch Logs endpoint"),
    ]
    for proc, message in checks:
        assert proc.returncode == 1, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_cli_bad_credentials(tmp_path: Path, moto_auth_endpoint: str) -> None:
    env = {
        "AWS_ENDPOINT_URL": moto_auth_endpoint,
        "AWS_ACCESS_KEY_ID": "AKIAWRONG",
        "AWS_SECRET_ACCESS_KEY": "wrong",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    proc = _cli(["collect", "/g", "--lake", str(tmp_path / "lake")], env=env)
    assert proc.returncode == 1
    assert "rejected the credentials or denied access" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr


def test_a_killed_run_rerun_gives_every_event_exactly_once(aws: str, tmp_path: Path) -> None:
    groups = {"/kill/a": 8, "/kill/b": 6}
    start = now_ms() - 100 * MINUTE
    seed(groups, events_per_stream=1_500, start_ms=start, span_ms=95 * MINUTE)
    lake_path = tmp_path / "lake"
    args = [
        "collect",
        "/kill/*",
        "--lake",
        str(lake_path),
        "--start",
        str(start),
        "--calls-per-second",
        "4",
        "--no-etl",
    ]
    run = subprocess.Popen(
        [sys.executable, "-m", "loglake", *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    raw = lake_path / "raw"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (raw.exists() and any(raw.rglob("*.json.gz"))):
        time.sleep(0.05)
    time.sleep(1.5)  # into the run (about 25 s of calls at 4 a second): a fixed point, not a random one
    finished_early = run.poll() is not None
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    assert not finished_early, "the run finished before it could be killed; raise the event count"

    rerun = _cli(args[:-1])  # this time with the ETL
    assert rerun.returncode == 0, rerun.stderr
    lake = open_lake(str(lake_path))
    etl(lake)
    ids = clean_ids(lake)
    assert len(ids) == len(set(ids)) == 21_000
    assert set(ids) == truth(list(groups))

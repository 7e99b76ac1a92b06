"""Collector throughput and API economy against a moto server, with a naive crawler as the baseline.

    python benchmarks/collect_throughput.py [--events 100000] [--groups 2] [--streams 25]

Both contenders read the same log groups from a moto server on 127.0.0.1 (real HTTP, real boto3):
- baseline: DescribeLogStreams, then GetLogEvents per stream until the token repeats (what most
  hand-written crawlers do), events only counted;
- loglake: CloudWatchCollector (FilterLogEvents per group and time slice), writing raw batches to a
  local lake.
Reported: events/s and API calls per 10,000 events for each, and loglake's ratios to the baseline.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

from loglake.lake.local_store import LocalStore
from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions

MINUTE = 60_000


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            return server, endpoint
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("moto server did not start")


def seed(groups: int, streams: int, events: int, start_ms: int) -> list[str]:
    logs = boto3.client("logs")
    per_stream = events // (groups * streams)
    names = []
    for g in range(groups):
        group = f"/bench/group-{g}"
        names.append(group)
        logs.create_log_group(logGroupName=group)
        for s in range(streams):
            stream = f"stream-{s:03d}"
            logs.create_log_stream(logGroupName=group, logStreamName=stream)
            batch = [
                {"timestamp": start_ms + i * 100, "message": f'{{"level":"info","n":{i},"route":"/api/{i % 40}"}}'}
                for i in range(per_stream)
            ]
            for i in range(0, len(batch), 10_000):
                logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch[i : i + 10_000])
    return names


def naive_crawl(groups: list[str]) -> tuple[int, int]:
    logs = boto3.client("logs")
    calls = events = 0
    for group in groups:
        token = None
        streams = []
        while True:
            page = logs.describe_log_streams(logGroupName=group, **({"nextToken": token} if token else {}))
            calls += 1
            streams += [s["logStreamName"] for s in page["logStreams"]]
            token = page.get("nextToken")
            if not token:
                break
        for stream in streams:
            token = None
            while True:
                kwargs = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
                page = logs.get_log_events(**kwargs, **({"nextToken": token} if token else {}))
                calls += 1
                events += len(page["events"])
                if page["nextForwardToken"] == token:
                    break
                token = page["nextForwardToken"]
    return events, calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=2)
    parser.add_argument("--streams", type=int, default=25)
    args = parser.parse_args()
    server, endpoint = start_moto()
    os.environ.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
    )
    try:
        now = int(time.time() * 1000)
        groups = seed(args.groups, args.streams, args.events, now - 90 * MINUTE)
        t0 = time.perf_counter()
        base_events, base_calls = naive_crawl(groups)
        base_s = time.perf_counter() - t0
        with tempfile.TemporaryDirectory() as tmp:
            options = CollectorOptions(log_groups=tuple(groups), start_ms=now - 95 * MINUTE, calls_per_second=10_000)
            t0 = time.perf_counter()
            report = CloudWatchCollector(LocalStore(Path(tmp)), options).collect()
            ours_s = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait()
    assert base_events == report.events, (base_events, report.events)
    n = report.events
    print(f"events: {n:,} in {args.groups} groups x {args.streams} streams (moto server, 127.0.0.1)")
    print(
        f"baseline (DescribeLogStreams + GetLogEvents per stream): {n / base_s:>9,.0f} events/s, "
        f"{base_calls * 10_000 / n:6.1f} calls per 10k events"
    )
    print(
        f"loglake collector (FilterLogEvents per slice, raw written): {n / ours_s:>9,.0f} events/s, "
        f"{report.api_calls * 10_000 / n:6.1f} calls per 10k events"
    )
    print(f"ratios: speed {base_s / ours_s:.2f}x, API calls {base_calls / report.api_calls:.2f}x fewer")
    return 0


if __name__ == "__main__":
    sys.exit(main())

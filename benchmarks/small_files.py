"""Small files: files per table-hour, bytes and saved-query latency before and after `loglake compact`,
on a local lake and on a moto S3 lake (GET requests and bytes fetched), ratios in one run.

    python benchmarks/small_files.py            # 2,000 streams locally, 500 on S3 (a few minutes on 2 cores)
    python benchmarks/small_files.py --quick    # 300 streams, local lake only (under a minute)

The workload is collector-shaped: each stream is alive for 1-4 hours of the day, most streams (90%) log a
few events (3-20), a busy tenth logs hundreds to thousands; the collector writes one raw object per
(stream, hour slice), and the ETL one clean file per raw object and hour. Only the clean zone matters here,
so after one real ETL run (which makes the schema registry) the clean files are written directly in the
ETL's layout and columns, one per (stream, hour): running the ETL over thousands of objects would take
most of the run (issue 12, item 5, measures that cost). Compaction, views and queries are the real code.
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import orjson

from loglake.lake.compaction import compact, live_files
from loglake.lake.keys import RawKey, clean_key
from loglake.lake.open import Lake, open_lake
from loglake.lake.s3_store import S3Store
from loglake.lake.schema_registry import SchemaRegistry
from loglake.lake.store import Store
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.query.saved_queries import saved_query
from loglake.sql_quoting import quote_identifier, sql_string
from loglake.transform.settings import EtlSettings

DAY = "2025-11-28"
T0 = 1_764_288_000_000  # DAY at 00:00 UTC
HOUR_MS = 3_600_000
QUERIES = ["errors_per_service_per_hour", "top_error_fingerprints", "latency_by_route", "ingestion_lag"]
S3_QUERIES = ["errors_per_service_per_hour", "latency_by_route"]
"""On S3 each query starts cold (what a first query fetches), so fewer of them keep the run short."""
BUSY_HOUR = 12
ROUTES = ["/api/orders", "/api/users", "/api/cart", "/health", "/api/search", "/api/pay"]
LEVELS = ["INFO"] * 14 + ["WARN"] * 3 + ["ERROR"] * 2 + ["DEBUG"]


def _message(rng: random.Random, ts: int) -> bytes:
    return orjson.dumps(
        {
            "level": rng.choice(LEVELS),
            "msg": f"request {rng.randrange(10**9):x} took {rng.randrange(5000)} ms for user {rng.randrange(10**6)}",
            "request": {"route": rng.choice(ROUTES), "latency_ms": round(rng.expovariate(1 / 80), 2)},
            "time": ts,
        }
    )


def workload(streams: int, seed: int = 7) -> Iterator[tuple[str, str, int, list[tuple[int, bytes]]]]:
    """(log group, stream, hour, [(timestamp, message)]) per raw object: one per stream and hour slice."""
    rng = random.Random(seed)
    for s in range(streams):
        group = f"/aws/lambda/fn-{s % 40:02d}"
        stream = f"2025/11/28/[$LATEST]{rng.randrange(16**32):032x}"
        busy = rng.random() < 0.1
        count = rng.randint(300, 3000) if busy else rng.randint(3, 20)
        start = rng.randrange(0, 23)
        hours = list(range(start, min(24, start + rng.randint(1, 4))))
        by_hour: dict[int, list[tuple[int, bytes]]] = {}
        for _ in range(count):
            hour = rng.choice(hours)
            ts = T0 + hour * HOUR_MS + rng.randrange(HOUR_MS)
            by_hour.setdefault(hour, []).append((ts, _message(rng, ts)))
        for hour, events in sorted(by_hour.items()):
            yield group, stream, hour, sorted(events)


def build_lake(lake: Lake, streams: int, tmp: Path) -> tuple[int, int]:
    """The clean zone of `streams` streams, one file per raw object and hour; returns (files, events)."""
    rows = []
    for group, stream, hour, events in workload(streams):
        raw = RawKey("cloudwatch", group, stream, f"{T0 + hour * HOUR_MS}-{T0 + (hour + 1) * HOUR_MS}-0").key
        oid = RawKey.parse(raw).object_id
        for n, (ts, message) in enumerate(events):
            rows.append((group, stream, f"{oid}-{n}", ts, ts + 900, message.decode(), raw, oid))
    # One real raw object through the real ETL: the registry then has the workload's columns and types.
    first = rows[:50]
    lines = [
        orjson.dumps(
            dict(
                zip(
                    ("log_group", "log_stream", "event_id", "timestamp", "ingestion_time", "message"),
                    r[:6],
                    strict=True,
                )
            )
            | {"source": "cloudwatch"}
        )
        for r in first
    ]
    lake.store.put(first[0][6], gzip.compress(b"\n".join(lines) + b"\n"))
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    for key in list(lake.store.list("clean/")) + list(lake.store.list("state/")):
        lake.store.delete(key)  # the files below replace it
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    names = ("log_group", "log_stream", "event_id", "ts", "ing", "message", "raw_object", "oid")
    staged = tmp / "events.ndjson"
    staged.write_bytes(b"\n".join(orjson.dumps(dict(zip(names, r, strict=True))) for r in rows))
    types = {"ts": "BIGINT", "ing": "BIGINT"}
    columns = "{" + ", ".join(f"'{n}': '{types.get(n, 'VARCHAR')}'" for n in names) + "}"
    con.execute(f"CREATE TABLE ev AS SELECT * FROM read_json({sql_string(str(staged))}, columns = {columns})")
    staged.unlink()
    envelope = {
        "timestamp": "epoch_ms(ts)",
        "time_source": "'parsed'",
        "level": "json_extract_string(message, '$.level')",
        "ingestion_time": "epoch_ms(ing)",
        "source": "'cloudwatch'",
        "format": "'json'",
    }
    items = []
    for column in schema.columns:
        if column.name in envelope:
            value = envelope[column.name]
        elif column.source.startswith("envelope:"):
            name = column.source.split(":", 1)[1]
            value = name if name in ("message", "log_group", "log_stream", "event_id", "raw_object") else "NULL"
        else:
            path = "$" + column.source.replace("/", ".")
            value = f"json_extract_string(message, {sql_string(path)})"
        items.append(f"CAST({value} AS {column.type}) AS {quote_identifier(column.name)}")
    out = tmp / "clean-out"
    con.execute(
        f"COPY (SELECT {', '.join(items)}, strftime(epoch_ms(ts), '%Y-%m-%d') AS dt, strftime(epoch_ms(ts), '%H') "
        f"AS hour, oid AS __obj FROM ev ORDER BY oid, ts) TO {sql_string(str(out))} "
        "(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (dt, hour, __obj))"
    )
    con.close()

    def put(path: Path) -> None:
        oid = path.parent.name.split("=", 1)[1]
        part = f"{path.parent.parent.parent.name}/{path.parent.parent.name}"
        lake.store.put_file(clean_key("logs", part, oid, ".parquet"), path)

    paths = sorted(out.rglob("*.parquet"))
    with ThreadPoolExecutor(8) as pool:  # set-up only: the store's writes, side by side
        list(pool.map(put, paths))
    shutil.rmtree(out)
    return len(paths), len(rows)


def file_stats(store: Store) -> dict[str, float]:
    keys = live_files(store, "logs")
    per_hour: dict[str, int] = {}
    for key in keys:
        hour = "/".join(key.split("/")[2:4])
        per_hour[hour] = per_hour.get(hour, 0) + 1
    return {
        "files": len(keys),
        "hours": len(per_hour),
        "mean": statistics.mean(per_hour.values()),
        "max": max(per_hour.values()),
    }


def hour_scoped(sql: str) -> str:
    """The saved query over one (the busiest) hour: its table read through a pruning subquery."""
    return sql.replace("FROM logs", f"FROM (SELECT * FROM logs WHERE dt = DATE '{DAY}' AND \"hour\" = {BUSY_HOUR})")


def time_queries(store: Store, rounds: int) -> dict[tuple[str, str], float]:
    """Median seconds per (query, scope), each on a new engine, as `loglake query` runs them."""
    timings: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for name in QUERIES:
            for scope, sql in (("hour", hour_scoped(saved_query(name))), ("day", str(saved_query(name)))):
                started = time.perf_counter()
                with DuckDBEngine(store) as engine:
                    engine.query(sql)
                timings.setdefault((name, scope), []).append(time.perf_counter() - started)
    return {k: statistics.median(v) for k, v in timings.items()}


def answers(store: Store) -> list[Any]:
    with DuckDBEngine(store) as engine:
        return [engine.query(saved_query(name)).rows for name in ("errors_per_service_per_hour", "ingestion_lag")]


@contextmanager
def moto() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).parent.parent / "tests" / "moto_server.py"),
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


def s3_queries(store: S3Store) -> dict[tuple[str, str], tuple[int, int, float]]:
    """Per (query, scope): the ranged GETs and bytes the query read in place (S3Store.reads) and its
    seconds, each in a fresh engine (nothing is kept between queries: the old local mirror is gone)."""
    results = {}
    for name in S3_QUERIES:
        for scope, sql in (("hour", hour_scoped(saved_query(name))), ("day", str(saved_query(name)))):
            store.reads.reset()
            started = time.perf_counter()
            with DuckDBEngine(store) as engine:
                engine.query(sql)
            results[(name, scope)] = (store.reads.gets, store.reads.bytes, time.perf_counter() - started)
    return results


def report_latency(before: dict[tuple[str, str], float], after: dict[tuple[str, str], float]) -> None:
    print(f"{'query':<30} {'scope':<5} {'before s':>9} {'after s':>9} {'faster':>7}")
    for (name, scope), seconds in before.items():
        then = after[(name, scope)]
        print(f"{name:<30} {scope:<5} {seconds:>9.3f} {then:>9.3f} {seconds / then:>6.1f}x")


def run_local(streams: int, rounds: int, tmp: Path) -> None:
    lake = open_lake(str(tmp / "local"))
    started = time.perf_counter()
    files, events = build_lake(lake, streams, tmp)
    size = sum(p.stat().st_size for p in (tmp / "local" / "clean").rglob("*.parquet"))
    print(f"local lake: {streams:,} streams, {events:,} events, {files:,} clean files, {size:,} bytes "
          f"({time.perf_counter() - started:.0f} s to build)")  # fmt: skip
    stats_before = file_stats(lake.store)
    expected = answers(lake.store)
    before = time_queries(lake.store, rounds)
    started = time.perf_counter()
    report = compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
    took = time.perf_counter() - started
    totals = report.totals()
    stats_after = file_stats(lake.store)
    size_after = sum(p.stat().st_size for p in (tmp / "local" / "clean").rglob("*.parquet"))
    assert answers(lake.store) == expected, "compaction changed an answer"
    after = time_queries(lake.store, rounds)
    print(f"compaction: {totals['inputs']:,} files into {totals['outputs']:,} in {took:.1f} s "
          f"({totals['rows'] / took:,.0f} rows/s); answers identical")  # fmt: skip
    print(f"files per table-hour: mean {stats_before['mean']:.0f} (max {stats_before['max']}) -> "
          f"mean {stats_after['mean']:.1f} (max {stats_after['max']}); files {stats_before['files']:,} -> "
          f"{stats_after['files']:,} ({stats_before['files'] / stats_after['files']:.0f}x fewer); "
          f"bytes {size:,} -> {size_after:,} ({size / size_after:.2f}x)")  # fmt: skip
    report_latency(before, after)


def run_s3(streams: int, tmp: Path) -> None:
    with moto() as endpoint:
        os.environ.update(
            AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
            AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
        )  # fmt: skip
        import boto3

        boto3.client("s3").create_bucket(Bucket="bench")
        lake = open_lake("s3://bench/lake")
        assert isinstance(lake.store, S3Store)
        started = time.perf_counter()
        files, events = build_lake(lake, streams, tmp)
        print(f"\nS3 lake (moto): {streams:,} streams, {events:,} events, {files:,} clean files "
              f"({time.perf_counter() - started:.0f} s to upload)")  # fmt: skip
        before = s3_queries(lake.store)
        started = time.perf_counter()
        report = compact(lake.store, ["logs"], older_than_s=0, grace_s=0)
        totals = report.totals()
        print(f"compaction: {totals['inputs']:,} files into {totals['outputs']:,} in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        after = s3_queries(lake.store)
        print(f"{'query (in place)':<30} {'scope':<5} {'GETs':>13} {'MB fetched':>15} {'seconds':>15} {'faster':>7}")
        for key, (gets, fetched, seconds) in before.items():
            gets2, fetched2, seconds2 = after[key]
            print(f"{key[0]:<30} {key[1]:<5} {gets:>6}->{gets2:<6} {fetched / 1e6:>7.2f}->{fetched2 / 1e6:<7.2f} "
                  f"{seconds:>7.2f}->{seconds2:<7.2f} {seconds / seconds2:>6.1f}x")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--s3-streams", type=int, default=500, help="streams of the S3 lake")
    parser.add_argument("--rounds", type=int, default=1, help="timings per query (the median is shown)")
    parser.add_argument("--quick", action="store_true", help="300 streams, one round, no S3")
    args = parser.parse_args()
    if args.quick:
        args.streams, args.rounds = 300, 1
    run: list[Callable[[Path], None]] = [lambda tmp: run_local(args.streams, args.rounds, tmp)]
    if not args.quick:
        run.append(lambda tmp: run_s3(args.s3_streams, tmp))
    for step in run:
        with tempfile.TemporaryDirectory(prefix="loglake-small-files-") as tmp:
            step(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())

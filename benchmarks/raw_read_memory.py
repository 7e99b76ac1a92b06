"""What DuckDB reserves to read raw objects: the smallest memory limit under which each raw read succeeds.

    python benchmarks/raw_read_memory.py [--objects 1,8,64] [--threads 1,2] [--lines 1000] [--rounds 5]

DuckDB's read_json reserves a buffer of twice `maximum_object_size` per reading thread against its memory
limit, whatever the objects hold. Each row reads the same objects with both sizes, in the same run: the
baseline 512 MiB (raw_zone.MAX_RAW_LINE_BYTES, what every reader used before) and the first read's 16 MiB
(raw_zone.FIRST_READ_LINE_BYTES); the ratio is baseline / first read. Readers:

- **pass**: the batched ETL's read of N objects (etl_batch._read's read_json, with `filename`);
- **raw_events**: `SELECT count(*) FROM raw_events` through the query engine's view (duckdb_views.raw_view_sql);
- **probe**: verify's probe of one object (conservation._read_error's statement, one thread);
- **long line**: one object holding a 40 MiB line, which only 512 MiB reads (raw_zone.read_raw's second read).

The limit is found by bisection to 4 MB (a run that fails with Out of Memory is under it). Also reported: the
wall time of the raw_events query at each size without a limit (median of `--rounds`).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from loglake.catalog.duckdb_views import raw_view_sql
from loglake.lake import raw_zone
from loglake.lake.open import open_lake
from loglake.lake.raw_zone import FIRST_READ_LINE_BYTES, MAX_RAW_LINE_BYTES, RawRecord, encode_batch
from loglake.lake.store import Store
from loglake.sources.cloudwatch_subscription import write_payload

SIZES = {"512 MiB": MAX_RAW_LINE_BYTES, "16 MiB": FIRST_READ_LINE_BYTES}


def _object(path: Path, lines: int, long: int = 0) -> Path:
    records: list[RawRecord] = [
        {"log_group": "/g", "log_stream": "s", "event_id": f"e{n}", "timestamp": 1_764_460_800_000 + n,
         "message": f"GET /item/{n} 200 {n * 7 % 1000}ms " + "x" * 100}
        for n in range(lines)
    ]  # fmt: skip
    if long:
        records.append({"log_group": "/g", "log_stream": "s", "event_id": "L", "timestamp": 1, "message": "y" * long})
    path.write_bytes(encode_batch(records))
    return path


def _succeeds(sql: str, threads: int, limit_mb: int) -> bool:
    con = duckdb.connect(config={"threads": threads, "memory_limit": f"{limit_mb}MB"})
    try:
        con.execute(sql).fetchall()
        return True
    except duckdb.OutOfMemoryException:
        return False
    finally:
        con.close()


def smallest_limit(sql: str, threads: int) -> int:
    """The smallest memory limit (MB, to 4 MB) under which `sql` runs on `threads` threads."""
    low, high = 1, 16_000
    if not _succeeds(sql, threads, high):
        raise SystemExit(f"fails even under {high} MB")
    while high - low > 4:
        middle = (low + high) // 2
        if _succeeds(sql, threads, middle):
            high = middle
        else:
            low = middle
    return high


def _lake(folder: Path, objects: int, lines: int) -> Store:
    from loglake.aws_events.cloudwatch_logs_event import LogEvent, LogsPayload

    store = open_lake(str(folder)).store
    for n in range(objects):
        events = tuple(LogEvent(f"e{i}", 1_764_460_800_000 + i, f"GET /{i} 200 " + "x" * 100) for i in range(lines))
        write_payload(store, LogsPayload("DATA_MESSAGE", f"/g{n}", "s", events))
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", default="1,8,64")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    counts = [int(n) for n in args.objects.split(",")]
    thread_counts = [int(n) for n in args.threads.split(",")]
    print(f"duckdb {duckdb.__version__}; {args.lines} lines per object; smallest memory limit, MB", flush=True)
    print("| reader | objects | threads | 512 MiB | 16 MiB | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        for objects in counts:
            paths = [_object(tmp / f"o{objects}-{n}.json.gz", args.lines) for n in range(objects)]
            store = _lake(tmp / f"lake{objects}", objects, args.lines)
            readers: dict[str, Callable[[int], str]] = {
                "pass": lambda size, paths=paths: (
                    f"SELECT count(*) FROM {raw_zone.raw_reader(paths, filename=True, max_line_bytes=size)}"
                ),
                "raw_events": lambda size, store=store: f"{raw_view_sql(store, size)}; SELECT count(*) FROM raw_events",
            }
            if objects == 1:
                readers["probe"] = lambda size, paths=paths: (
                    f"SELECT count(COLUMNS(*)) FROM {raw_zone.raw_reader(paths, max_line_bytes=size)}"
                )
            for reader, sql in readers.items():
                for threads in thread_counts if reader != "probe" else [1]:
                    found = [smallest_limit(sql(size), threads) for size in SIZES.values()]
                    print(f"| {reader} | {objects} | {threads} | {found[0]:,} | {found[1]:,} | "
                          f"{found[0] / found[1]:.1f}x |", flush=True)  # fmt: skip
            if objects == max(counts):
                for label, size in SIZES.items():
                    timed = duckdb.connect(config={"threads": max(thread_counts)})
                    timed.execute(raw_view_sql(store, size))
                    times = []
                    for _ in range(args.rounds):
                        started = time.perf_counter()
                        timed.execute("SELECT count(*), max(length(message)) FROM raw_events").fetchall()
                        times.append((time.perf_counter() - started) * 1000)
                    timed.close()
                    print(f"raw_events query, {objects} objects, {label}: {statistics.median(times):.1f} ms (median)")
        long_path = [_object(tmp / "long.json.gz", 10, long=40 << 20)]
        for threads in thread_counts:
            limit = smallest_limit(
                f"SELECT count(*) FROM {raw_zone.raw_reader(long_path, max_line_bytes=MAX_RAW_LINE_BYTES)}", threads
            )
            print(f"long line (40 MiB), 512 MiB read, {threads} thread(s): {limit:,} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

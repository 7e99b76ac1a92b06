"""ETL throughput: loglake's vectorised ETL against a per-record Python baseline, in the same run.

    python benchmarks/etl_throughput.py [--events 1000000] [--batch 50000]

Input: gzip NDJSON raw objects of `--batch` events each (the file source's batch size), whose messages
are ~275-byte JSON documents with two levels of nesting. Both contenders read the same objects:
- baseline: per record `json.loads` (envelope and message) + recursive flatten + `json.dumps`, written
  as gzip JSON lines, the design the mission started from;
- loglake: `process_raw_object` per object (the Lambda's unit of work), writing Parquet (zstd).
The ratio is what to quote: both numbers move with the machine, the ratio much less.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from loglake.lake.keys import RawKey
from loglake.lake.local_store import LocalStore
from loglake.lake.open import LOCAL_BUCKET, Lake
from loglake.lake.raw_zone import encode_batch
from loglake.pipeline import default_workers, run_etl
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

DAY = datetime(2026, 11, 26, tzinfo=UTC)


def make_event(rng: random.Random, i: int) -> str:
    doc = {
        "timestamp": (DAY + timedelta(milliseconds=i * 86)).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "level": rng.choice(["info", "info", "info", "warn", "error"]),
        "msg": "request completed",
        "request": {
            "method": "GET",
            "route": f"/api/items/{i % 50}",
            "status": rng.choice([200, 200, 404, 500]),
            "latency_ms": round(rng.random() * 300, 2),
        },
        "user": {"id": f"u-{i % 5000:05d}", "tier": rng.choice(["free", "pro"]), "country": "FR"},
    }
    return json.dumps(doc, separators=(",", ":"))


def write_raw(
    store: LocalStore,
    events: int,
    batch: int,
    make: Callable[[random.Random, int], str] = make_event,
    log_group: str = "/bench/app",
) -> list[str]:
    """Raw objects of `batch` events whose messages `make` writes (also used by parser_throughput.py)."""
    rng = random.Random(1)
    keys = []
    for start in range(0, events, batch):
        records = [
            {
                "log_group": log_group,
                "log_stream": "s1",
                "event_id": f"e{i:09d}",
                "timestamp": 1_795_000_000_000 + i,
                "ingestion_time": None,
                "message": make(rng, i),
                "source": "file",
            }
            for i in range(start, min(start + batch, events))
        ]
        key = RawKey("file", log_group, "s1", f"{start:015d}-{start + len(records):015d}")
        store.put(key.key, encode_batch(records))  # type: ignore[arg-type]
        keys.append(key.key)
    return keys


def flatten(doc: dict[str, Any], prefix: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    out = {} if out is None else out
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flatten(value, name + "_", out)
        else:
            out[name] = value
    return out


def flatten_json(message: str) -> dict[str, Any]:
    return flatten(json.loads(message))


def baseline(
    store: LocalStore, keys: list[str], out_dir: Path, parse: Callable[[str], dict[str, Any]] = flatten_json
) -> int:
    """Per record: json.loads, `parse` the message into a dict, json.dumps; gzip JSON lines per object
    (parser_throughput.py passes its per-format parse)."""
    n = 0
    for index, key in enumerate(keys):
        lines = []
        for line in gzip.decompress(store.get(key)).splitlines():
            record = json.loads(line)
            row = parse(record["message"])
            row.update(log_group=record["log_group"], event_id=record["event_id"], timestamp=record["timestamp"])
            lines.append(json.dumps(row))
            n += 1
        (out_dir / f"{index}.json.gz").write_bytes(gzip.compress("\n".join(lines).encode(), compresslevel=6))
    return n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=default_workers(), help="objects processed side by side")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    args = parser.parse_args()
    timings: dict[str, list[float]] = {"baseline": [], "etl_one": [], "etl_pipeline": []}
    with tempfile.TemporaryDirectory(prefix="loglake-bench-") as tmp:
        store = LocalStore(Path(tmp) / "lake")
        keys = write_raw(store, args.events, args.batch)
        lake = Lake(store, LOCAL_BUCKET)
        for round_ in range(args.rounds):
            out_dir = Path(tmp) / f"baseline-{round_}"
            out_dir.mkdir()
            t0 = time.perf_counter()
            counts = [baseline(store, keys, out_dir)]
            timings["baseline"].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            counts.append(
                sum(process_raw_object(store, k, EtlSettings(), force=True).manifest.clean_rows for k in keys)
            )
            timings["etl_one"].append(time.perf_counter() - t0)

            t0 = time.perf_counter()
            results = run_etl(lake, keys, EtlSettings(), workers=args.workers, force=True)
            counts.append(sum(r.manifest.clean_rows for r in results))
            timings["etl_pipeline"].append(time.perf_counter() - t0)
            assert counts == [args.events] * 3, counts
            print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in timings.items()), flush=True)

    rate = {name: args.events / statistics.median(values) for name, values in timings.items()}
    print(f"events: {args.events:,} in {len(keys)} raw objects of {args.batch:,}; medians of {args.rounds} rounds")
    print(f"baseline (json.loads + flatten + json.dumps, 1 process): {rate['baseline']:>10,.0f} events/s")
    print(
        f"loglake ETL, one object at a time:                       {rate['etl_one']:>10,.0f} events/s"
        f"  ({rate['etl_one'] / rate['baseline']:.2f}x)"
    )
    print(
        f"loglake ETL, {args.workers} objects at a time (local fan-out):       {rate['etl_pipeline']:>10,.0f} events/s"
        f"  ({rate['etl_pipeline'] / rate['baseline']:.2f}x)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

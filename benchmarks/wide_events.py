"""Wide events: ETL time of one raw object against the number of JSON keys in its event.

    python benchmarks/wide_events.py [--keys 100,500,...] [--kinds integer,string,mixed] [--rounds 3]
                                     [--max-columns 500]

Each run is `process_raw_object` on a fresh lake (an empty schema registry) holding one raw object of one
CloudWatch-shaped event whose message is a flat JSON object of N keys: integer values, string values, or
mixed (integer, string, number, boolean, array, null in turn). Rounds are interleaved and medians are
reported, in seconds and as a ratio against the first (100-key) run of the same kind measured in the same
run; when the ETL is linear in keys the time ratio stays below the keys ratio and the cost per 1,000 keys
past the first run does not grow. Then one event of
about 256 KB, CloudWatch's largest, with 18,000 integer keys.

Issue 11 measured the ETL before this change at 4.7 / 18 / 76 / >200 s for 500 / 1,000 / 2,000 / 4,000
integer keys (quadratic: one aggregate per column to check integer overflow).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loglake.lake.keys import RawKey
from loglake.lake.local_store import LocalStore
from loglake.lake.raw_zone import encode_batch
from loglake.lake.schema_registry import SchemaRegistry
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings

T0 = 1_795_000_000_000


def _mixed(i: int) -> Any:
    return [i * 7, f"value {i}", i + 0.5, i % 2 == 0, [i, "x"], None][i % 6]


KINDS: dict[str, Callable[[int], Any]] = {
    "integer": lambda i: i * 7,
    "string": lambda i: f"value {i}",
    "mixed": _mixed,
}


def message(keys: int, value: Callable[[int], Any], prefix: str = "field_") -> str:
    return json.dumps({f"{prefix}{i:05d}": value(i) for i in range(keys)}, separators=(",", ":"))


def run_once(text: str, settings: EtlSettings) -> tuple[float, int]:
    """Seconds for one ETL of one event, on a fresh lake; and the number of columns of the table."""
    with tempfile.TemporaryDirectory(prefix="loglake-wide-") as tmp:
        store = LocalStore(Path(tmp) / "lake")
        record = {
            "log_group": "/bench/wide",
            "log_stream": "s1",
            "event_id": "e0",
            "timestamp": T0,
            "ingestion_time": None,
            "message": text,
            "source": "file",
        }
        key = RawKey("file", "/bench/wide", "s1", "000000000000000-000000000000001")
        store.put(key.key, encode_batch([record]))  # type: ignore[list-item]
        t0 = time.perf_counter()
        result = process_raw_object(store, key.key, settings)
        elapsed = time.perf_counter() - t0
        assert (result.manifest.clean_rows, result.manifest.quarantined_rows) == (1, 0), result.manifest
        schema = SchemaRegistry(store).get("logs")
        assert schema is not None
        return elapsed, len(schema.columns)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", default="100,500,1000,2000,5000,10000,20000")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians are reported")
    parser.add_argument("--max-columns", type=int, default=EtlSettings.max_columns)
    args = parser.parse_args()
    counts = [int(k) for k in args.keys.split(",")]
    kinds = args.kinds.split(",")
    settings = EtlSettings(max_columns=args.max_columns)
    texts = {(kind, n): message(n, KINDS[kind]) for kind in kinds for n in counts}
    times: dict[tuple[str, int], list[float]] = {key: [] for key in texts}
    columns: dict[tuple[str, int], int] = {}
    for round_ in range(args.rounds):
        for key, text in texts.items():
            elapsed, columns[key] = run_once(text, settings)
            times[key].append(elapsed)
        print(f"round {round_ + 1} done", flush=True)

    print(f"\nmax_columns = {args.max_columns}; medians of {args.rounds} rounds; one event per raw object\n")
    print("| kind | keys | keys ratio | message bytes | columns | seconds | time ratio | ms per 1,000 more keys |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in kinds:
        base = statistics.median(times[(kind, counts[0])])
        for n in counts:
            median = statistics.median(times[(kind, n)])
            slope = f"{(median - base) / (n - counts[0]) * 1000 * 1000:.1f}" if n > counts[0] else ""
            print(
                f"| {kind} | {n:,} | {n / counts[0]:.0f}x | {len(texts[(kind, n)]):,} | {columns[(kind, n)]:,} "
                f"| {median:.2f} | {median / base:.2f}x | {slope} |"
            )

    largest = message(18_000, lambda i: i, prefix="k")
    elapsed, width = run_once(largest, settings)
    print(f"\n18,000 integer keys in one {len(largest) / 1024:.0f} KiB event: {elapsed:.2f} s ({width} columns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

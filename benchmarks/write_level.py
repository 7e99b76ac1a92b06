"""The clean write's zstd level: CPU and bytes of the ETL's options against compaction's, on the same rows.

    python benchmarks/write_level.py [--lines 50000] [--rounds 7] [--objects 1] [--formats alb,json]

For each format, `--objects` raw objects of `--lines` generated lines (parser_throughput.py's generators) go
through the ETL; their clean rows are then held in one DuckDB table (the ETL's own files read back, so every
column and type is what the ETL writes) and written to one Parquet file with `PARQUET.copy_options`
(compaction's: DuckDB's default zstd level) and with `PARQUET.ingest_copy_options` (the ETL's), alternately,
`--rounds` times on one thread. Reported: the median CPU of each write and the file's bytes. `--objects 1` is
the ETL's write of one object; `--objects 8` a compacted hour's file of eight.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from etl_throughput import write_raw
from loglake.lake.formats.parquet import PARQUET
from loglake.lake.local_store import LocalStore
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings
from parser_throughput import GENERATORS, chosen_formats, formats_arguments


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    formats_arguments(parser, rounds=7)
    parser.add_argument("--objects", type=int, default=1)
    args = parser.parse_args()
    ways = {"compaction": PARQUET.copy_options, "etl": PARQUET.ingest_copy_options}
    print(f"{args.objects} object(s) of {args.lines:,} lines; CPU medians of {args.rounds} rounds, one thread")
    print(f"{'format':<22} {'compaction ms':>13} {'bytes':>11} {'etl ms':>8} {'bytes':>11} {'cpu':>7} {'bytes':>7}")
    totals = {way: [0.0, 0] for way in ways}
    for fmt in chosen_formats(parser, args.formats):
        with tempfile.TemporaryDirectory(prefix="loglake-level-") as tmp:
            store = LocalStore(Path(tmp) / "lake")
            keys = write_raw(store, args.lines * args.objects, args.lines, make=GENERATORS[fmt], log_group=f"/b/{fmt}")
            files = [
                str(store.root / out)
                for key in keys
                for out in process_raw_object(store, key, EtlSettings(skip_index=False)).manifest.outputs
                if out.startswith("clean/")
            ]
            con = duckdb.connect(config={"threads": 1})
            con.execute(f"CREATE TABLE rows AS SELECT * FROM {PARQUET.reader(files, {}, hive=False)}")
            cpu: dict[str, list[float]] = {way: [] for way in ways}
            size: dict[str, int] = {}
            out = Path(tmp) / "out.parquet"
            for _ in range(args.rounds):
                for way, options in ways.items():
                    started = time.process_time()
                    con.execute(f"COPY rows TO '{out}' ({options})")
                    cpu[way].append(time.process_time() - started)
                    size[way] = out.stat().st_size
            con.close()
        ms = {way: statistics.median(spent) * 1000 for way, spent in cpu.items()}
        for way in ways:
            totals[way][0] += ms[way]
            totals[way][1] += size[way]
        print(
            f"{fmt:<22} {ms['compaction']:>13.1f} {size['compaction']:>11,} {ms['etl']:>8.1f} {size['etl']:>11,} "
            f"{ms['etl'] / ms['compaction'] - 1:>+7.1%} {size['etl'] / size['compaction'] - 1:>+7.1%}",
            flush=True,
        )
    (c_ms, c_bytes), (e_ms, e_bytes) = totals["compaction"], totals["etl"]
    print(f"{'all':<22} {c_ms:>13.1f} {c_bytes:>11,} {e_ms:>8.1f} {e_bytes:>11,} {e_ms / c_ms - 1:>+7.1%} "
          f"{e_bytes / c_bytes - 1:>+7.1%}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

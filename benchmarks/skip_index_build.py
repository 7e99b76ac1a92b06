"""Skip index build: CPU of `skip_index.build_many` alone, per format, against the ETL of the same object
without the index, in the same run.

    python benchmarks/skip_index_build.py [--lines 50000] [--rounds 3] [--formats alb,json]

For each format, `--lines` synthetic lines (parser_throughput's generators) in one raw object go through
`process_raw_object` with `skip_index = false`; then the index of the clean files it wrote is built from
them `--rounds` times. Reported: the ETL's CPU seconds (median), the build's (median), the build as a share
of the ETL, the items indexed, and a digest of the filters (equal digests: the same filters, byte for byte,
which is how a change to the build is checked against the code before it).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
from pathlib import Path

import duckdb

from etl_throughput import write_raw
from loglake.lake import skip_index
from loglake.lake.local_store import LocalStore
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings
from parser_throughput import GENERATORS, chosen_formats, cpu_seconds, formats_arguments


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    formats_arguments(parser, rounds=3)
    args = parser.parse_args()
    formats = chosen_formats(parser, args.formats)
    print(f"{args.lines:,} lines per format in one raw object; medians of {args.rounds} round(s), CPU seconds")
    print(f"{'format':<16} {'ETL, no index':>13} {'index build':>11} {'share':>6} {'items':>8}  filters digest")
    for fmt in formats:
        with tempfile.TemporaryDirectory(prefix="loglake-skipbench-") as tmp:
            lake = Path(tmp) / "lake"
            store = LocalStore(lake)
            keys = write_raw(store, args.lines, args.lines, make=GENERATORS[fmt], log_group=f"/bench/{fmt}")
            etl: list[float] = []
            for _ in range(args.rounds):
                c0 = cpu_seconds()
                for key in keys:
                    process_raw_object(store, key, EtlSettings(skip_index=False), force=True)
                etl.append(cpu_seconds() - c0)
            files = {p.relative_to(lake).as_posix(): p for p in sorted(lake.glob("clean/**/*.parquet"))}
            versions: dict[str, str | None] = dict.fromkeys(files, "v")
            con = duckdb.connect()
            builds: list[float] = []
            for _ in range(args.rounds):
                c0 = cpu_seconds()
                built = skip_index.build_many(files, versions=versions, con=con)
                builds.append(cpu_seconds() - c0)
            con.close()
            digest = hashlib.sha256(b"".join(built[k].to_bytes() for k in sorted(built))).hexdigest()[:12]
            items = sum(index.items for index in built.values())
            e, b = statistics.median(etl), statistics.median(builds)
            print(f"{fmt:<16} {e:>13.2f} {b:>11.2f} {b / e:>5.0%} {items:>8,}  {digest}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

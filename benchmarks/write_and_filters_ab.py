"""One object's CPU with the write at zstd level 1 and 5 index bit positions, against level 3 and 7, in one process.

    python benchmarks/write_and_filters_ab.py [--lines 50000] [--rounds 6] [--formats alb,json]

For each format, one raw object of `--lines` synthetic lines (parser_throughput.py's generators) is processed once
to warm up, then `--rounds` times each way, the two ways alternating (ABBA), with the skip index (the default):
`before` sets `PARQUET.ingest_copy_options` to `copy_options` (DuckDB's default zstd level) and skip_index.HASHES
to 7, as the ETL wrote before 2026-12-01; `now` leaves both as they are. Printed: the median CPU per object each way
(`time.process_time`: this process, DuckDB's threads included) and the change. Both ways run in the same process on
the same object, so the machine's drift between invocations (30% and more in parser_throughput.py's baseline on
this machine) does not enter the comparison.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from loglake.lake import skip_index
from loglake.lake.formats.parquet import PARQUET, Parquet
from loglake.transform import etl
from loglake.transform.settings import EtlSettings
from parser_throughput import chosen_formats, formats_arguments, warm_object

NOW_OPTIONS, NOW_HASHES = Parquet.ingest_copy_options, skip_index.HASHES


def _way(before: bool) -> None:
    """Set the ETL's write options and index positions as they were before 2026-12-01, or as they are."""
    Parquet.ingest_copy_options = PARQUET.copy_options if before else NOW_OPTIONS
    skip_index.HASHES = 7 if before else NOW_HASHES


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    formats_arguments(parser, rounds=6)
    args = parser.parse_args()
    settings = EtlSettings()
    print(f"{args.lines:,} lines per object; CPU ms per object, medians of {args.rounds} rounds each way (ABBA)")
    print(f"{'format':<22} {'before':>8} {'now':>8} {'change':>7}")
    changes = []
    try:
        for fmt in chosen_formats(parser, args.formats):
            with tempfile.TemporaryDirectory(prefix="loglake-ab-") as tmp:
                store, key = warm_object(Path(tmp), fmt, args.lines, settings)
                spent: dict[bool, list[float]] = {True: [], False: []}
                for round_ in range(args.rounds):
                    for before in (True, False) if round_ % 2 == 0 else (False, True):
                        _way(before)
                        started = time.process_time()
                        etl.process_raw_object(store, key, settings, force=True)
                        spent[before].append(time.process_time() - started)
            old, new = statistics.median(spent[True]) * 1000, statistics.median(spent[False]) * 1000
            changes.append(new / old - 1)
            print(f"{fmt:<22} {old:>8.1f} {new:>8.1f} {new / old - 1:>+7.1%}", flush=True)
    finally:
        _way(False)
    print(f"median change {statistics.median(changes):+.1%}, from {min(changes):+.1%} to {max(changes):+.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

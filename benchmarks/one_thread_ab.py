"""One thread for an object of one row group (session.narrow), against the connection's own threads, in one process.

    python benchmarks/one_thread_ab.py FORMAT [--lines 50000] [--rounds 6] [--no-index]

One raw object of `--lines` synthetic lines of FORMAT (parser_throughput.py's generators) is processed once to warm
up, then `--rounds` times each way, the two ways alternating (ABBA): with `session.ONE_ROW_GROUP` at 0 (no object is
narrowed: the ETL before session.narrow) and at its value. Printed: the median CPU (user + system of this process,
DuckDB's threads included) and wall time per object each way, and the change. Both ways run in the same process on
the same object, so the machine's drift between invocations does not enter the comparison.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from loglake.transform import etl, session
from loglake.transform.settings import EtlSettings
from parser_throughput import cpu_seconds, object_arguments, warm_object


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    object_arguments(parser)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    narrowed = session.ONE_ROW_GROUP
    settings = EtlSettings(skip_index=not args.no_index)
    spent: dict[str, list[tuple[float, float]]] = {"own threads": [], "one thread": []}
    with tempfile.TemporaryDirectory() as tmp:
        store, key = warm_object(Path(tmp), args.format, args.lines, settings)
        for round_ in range(args.rounds):
            for way in ("own threads", "one thread") if round_ % 2 == 0 else ("one thread", "own threads"):
                session.ONE_ROW_GROUP = narrowed if way == "one thread" else 0
                cpu, wall = cpu_seconds(), time.perf_counter()
                etl.process_raw_object(store, key, settings, force=True)
                spent[way].append((cpu_seconds() - cpu, time.perf_counter() - wall))
    own, one = ((statistics.median(c for c, _ in spent[w]), statistics.median(t for _, t in spent[w])) for w in spent)
    index = "no index" if args.no_index else "index"
    print(
        f"{args.format} {index}: cpu {own[0]:.3f} -> {one[0]:.3f} s ({100 * (one[0] - own[0]) / own[0]:+.1f}%), "
        f"wall {own[1]:.3f} -> {one[1]:.3f} s ({100 * (one[1] - own[1]) / own[1]:+.1f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

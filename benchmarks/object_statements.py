"""Where one object's CPU goes: each DuckDB statement of `process_raw_object`, by CPU time, for one format.

    python benchmarks/object_statements.py FORMAT [--lines 50000] [--no-index] [--runs 3]

One raw object of `--lines` synthetic lines of FORMAT (parser_throughput.py's generators) is processed once to
warm up, then `--runs` times; each statement's CPU (user + system of this process, DuckDB's threads included,
10 ms resolution on Linux) is summed over the runs and shown per run, with the object's whole CPU and wall
time and the part spent outside DuckDB's statements (Python, the store). The benchmarks/README.md sections that
give a statement's cost per object were measured this way.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loglake.transform import etl, session
from loglake.transform.settings import EtlSettings
from parser_throughput import cpu_seconds, object_arguments, warm_object


class _Timed:
    """A connection whose `execute` adds each statement's CPU to `spent` (by its first 90 characters)."""

    def __init__(self, con: Any, spent: dict[str, list[float]]) -> None:
        self._con = con
        self._spent = spent

    def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        started = cpu_seconds()
        result = self._con.execute(sql, *args, **kwargs)
        key = re.sub(r"\s+", " ", sql.strip())[:90]
        entry = self._spent.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += cpu_seconds() - started
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    object_arguments(parser)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    spent: dict[str, list[float]] = {}
    acquire = session.acquire

    def timed_acquire(threads: int | None) -> session.Session:
        taken = acquire(threads)
        if not isinstance(taken.con, _Timed):
            taken.con = _Timed(taken.con, spent)
        return taken

    session.acquire = timed_acquire  # type: ignore[assignment]
    settings = EtlSettings(skip_index=not args.no_index)
    with tempfile.TemporaryDirectory() as tmp:
        store, key = warm_object(Path(tmp), args.format, args.lines, settings)
        spent.clear()
        cpu, wall = cpu_seconds(), time.perf_counter()
        for _ in range(args.runs):
            etl.process_raw_object(store, key, settings, force=True)
        cpu, wall = (cpu_seconds() - cpu) / args.runs, (time.perf_counter() - wall) / args.runs
    statements = sum(total for _n, total in spent.values()) / args.runs
    index = "without" if args.no_index else "with"
    print(f"{args.format}, {args.lines:,} lines, {index} the skip index: CPU {cpu:.3f} s, wall {wall:.3f} s per object")
    print(f"{'cpu s':>7} {'calls':>5}  statement")
    for text, (calls, total) in sorted(spent.items(), key=lambda item: -item[1][1])[:15]:
        print(f"{total / args.runs:7.3f} {calls // args.runs:5d}  {text}")
    print(f"{cpu - statements:7.3f}        outside DuckDB's statements (Python, the store, the skip index's split)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

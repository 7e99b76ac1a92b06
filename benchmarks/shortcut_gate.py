"""Classification's CASE with every shortcut against the CASE with the shortcuts the object's ends are sure of.

    python benchmarks/shortcut_gate.py [--lines 50000] [--rounds 7] [--formats access_log,json]

For each format, `--lines` lines of parser_throughput.py's generator in one table, one DuckDB thread, every
parser's set-up run on it. Timed (CPU, `time.process_time`, medians of `--rounds` alternations, ms):
- `SELECT sum(hash(CASE))` with every shortcut (etl._routing's sure_of None: the CASE before etl._sure_of);
- the same with etl._sure_of's set for the first and last line;
- etl._sure_of itself (its statement prepared by a first call, as on a warm connection).
`net` = gated + _sure_of - every shortcut: what an object of the format saves (negative) per classification.
The CASE alone, not the object: an object's CPU varies by more than these milliseconds between runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

import duckdb

from loglake.transform import etl
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings
from parser_throughput import GENERATORS, chosen_formats, formats_arguments


def measure(name: str, lines: int, rounds: int) -> str:
    rng = random.Random(7)
    messages = [GENERATORS[name](rng, i) for i in range(lines)]
    ends = [messages[0], messages[-1]]
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute("CREATE TEMP TABLE raw_lines AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    for parser in PARSERS:
        for statement in parser.setup():
            con.execute(statement)
    settled = etl._settled(con)
    sure_of = etl._sure_of(con, ends, frozenset(), None, settled)  # prepares its statement
    queries = {}
    for mode, kept in (("every", None), ("gated", sure_of)):
        case, _table = etl._routing(EtlSettings(), sure_of=kept)
        queries[mode] = etl._with_settled(f"SELECT sum(hash({case})) FROM raw_lines", settled)
    spent: dict[str, list[float]] = {"every": [], "gated": [], "sure_of": []}
    for n in range(rounds):
        for mode in ("every", "gated") if n % 2 else ("gated", "every"):
            started = time.process_time()
            con.execute(queries[mode]).fetchone()
            spent[mode].append(time.process_time() - started)
        started = time.process_time()
        etl._sure_of(con, ends, frozenset(), None, settled)
        spent["sure_of"].append(time.process_time() - started)
    every, gated, sure = (statistics.median(spent[m]) * 1000 for m in ("every", "gated", "sure_of"))
    kept = ",".join(sorted(sure_of or ()))
    return f"{name:22s} {every:8.1f} {gated:8.1f} {sure:8.1f} {gated + sure - every:+8.1f}  {kept}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    formats_arguments(parser, rounds=7)
    args = parser.parse_args()
    print(f"{'format':22s} {'every':>8s} {'gated':>8s} {'_sure_of':>8s} {'net':>8s}  kept (ms of CPU, one thread)")
    for name in chosen_formats(parser, args.formats):
        print(measure(name, args.lines, args.rounds), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

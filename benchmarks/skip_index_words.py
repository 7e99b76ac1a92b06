"""Skip index words: CPU of `skip_index._distinct_words` (reading a file's messages back and making its distinct
words) per format, against the word split it replaced, in the same run.

    python benchmarks/skip_index_words.py [--lines 50000] [--rounds 5] [--formats alb,json]

For each format, `--lines` synthetic lines (parser_throughput's generators) in one raw object go through
`process_raw_object` without the index; then the clean files it wrote are read `--rounds` times each way,
alternating: `before` (every message split into words in Python, 2,048 messages at a time, 16 KiB at once:
the code before 2026-11-30's distinct tokens, kept here as the baseline) and `now` (`_distinct_words`: DuckDB
makes each file's distinct tokens, Python splits only those). CPU of the process (DuckDB's threads included)
from time.process_time: parser_throughput's os.times() counts 10 ms ticks, too coarse here. Reported: medians
in ms, now/before, the way `now` took (`tokens`: DuckDB's distinct tokens; `split`: every message, as
before), and whether both gave the same words (they must).
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
from loglake.lake import skip_index
from loglake.lake.formats import FORMATS
from loglake.lake.local_store import LocalStore
from loglake.lake.store import glob_escape
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings
from parser_throughput import GENERATORS, chosen_formats, formats_arguments


def words_before(con: duckdb.DuckDBPyConnection, by_path: dict[str, str]) -> dict[str, set[bytes]]:
    """`_distinct_words` before the distinct tokens (commit aaaf2bb): every message split into words."""
    sources = []
    for fmt in FORMATS.values():
        listed = [glob_escape(p) for p, k in by_path.items() if k.endswith(fmt.suffix)]
        if listed:
            source = fmt.reader(listed, {"message": "VARCHAR"}, hive=False, filename=True)
            sources.append(f"SELECT filename, message FROM {source}")
    words: dict[str, set[bytes]] = {}
    lowered = skip_index._LOWERED
    result = con.execute(f"SELECT filename, {lowered} FROM ({' UNION ALL '.join(sources)}) WHERE message IS NOT NULL")
    while rows := result.fetchmany(2048):
        texts: dict[str, list[str]] = {}
        for name, text in rows:
            texts.setdefault(name, []).append(text)
        for name, listed in texts.items():
            found = words.setdefault(str(name), set())
            start = size = 0
            for end, text in enumerate(listed, 1):
                size += len(text)
                if size >= 1 << 14 or end == len(listed):
                    found.update("\n".join(listed[start:end]).encode().translate(skip_index._SEPARATE).split())
                    start, size = end, 0
    return {name: found for name, found in words.items() if found}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    formats_arguments(parser, rounds=5)
    args = parser.parse_args()
    formats = chosen_formats(parser, args.formats)
    print(f"{args.lines:,} lines per format in one raw object; medians of {args.rounds} round(s), CPU ms")
    print(f"{'format':<22} {'before':>7} {'now':>7} {'ratio':>6} {'way':>6}  same")
    ways = {"before": words_before, "now": skip_index._distinct_words}
    verdicts: list[bool] = []
    pay = skip_index._tokens_pay

    def recorded(texts: list[str]) -> bool:
        verdicts.append(pay(texts))
        return verdicts[-1]

    skip_index._tokens_pay = recorded
    ratios = []
    for fmt in formats:
        with tempfile.TemporaryDirectory(prefix="loglake-skipwords-") as tmp:
            lake = Path(tmp) / "lake"
            store = LocalStore(lake)
            for key in write_raw(store, args.lines, args.lines, make=GENERATORS[fmt], log_group=f"/bench/{fmt}"):
                process_raw_object(store, key, EtlSettings(skip_index=False), force=True)
            by_path = {str(p): p.relative_to(lake).as_posix() for p in sorted(lake.glob("clean/**/*.parquet"))}
            con = duckdb.connect()
            times: dict[str, list[float]] = {way: [] for way in ways}
            found: dict[str, dict[str, set[bytes]]] = {}
            for _ in range(args.rounds):
                for way, words in ways.items():
                    c0 = time.process_time()
                    found[way] = words(con, by_path)
                    times[way].append(time.process_time() - c0)
            con.close()
            before, now = statistics.median(times["before"]), statistics.median(times["now"])
            ratios.append(now / before)
            same = found["before"] == found["now"]
            way = "tokens" if verdicts and verdicts[-1] else "split"
            print(f"{fmt:<22} {before * 1e3:>7.0f} {now * 1e3:>7.0f} {now / before:>6.2f} {way:>6}  {same}", flush=True)
            if not same:
                return 1
    print(f"now/before: median {statistics.median(ratios):.2f}, min {min(ratios):.2f}, max {max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

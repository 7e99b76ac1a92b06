"""Skip index filters: CPU of the statements that set the Bloom filters' bits, by bit positions per item.

    python benchmarks/skip_index_filters.py [--lines 50000] [--rounds 9] [--hashes 7,5] [--formats alb,json]

For each format, `--lines` synthetic lines (parser_throughput.py's generators) in one raw object go through
the ETL (without the index); the index of the clean files it wrote is then built `--rounds` times for each
`--hashes` value in turn (skip_index.HASHES), on one thread, and the CPU (`time.process_time`) of the
`bitstring_agg` statements alone is taken: the words, their trigrams and hashes (the rest of `build_many`) do
not depend on HASHES. Reported: the median per value and the items indexed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

from loglake.lake import skip_index
from loglake.transform.settings import EtlSettings
from parser_throughput import chosen_formats, formats_arguments, warm_object


class _FilterTimer:
    """A connection whose `bitstring_agg` statements add their CPU (fetch included) to `spent`."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.spent = 0.0

    def execute(self, sql: str, *args: Any) -> Any:
        if "bitstring_agg" not in sql:
            return self._con.execute(sql, *args)
        started = time.process_time()
        rows = self._con.execute(sql, *args).fetchall()
        self.spent += time.process_time() - started
        return _Rows(rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


class _Rows:
    def __init__(self, rows: list[Any]) -> None:
        self._rows = rows

    def fetchall(self) -> list[Any]:
        return self._rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    formats_arguments(parser, rounds=9)
    parser.add_argument("--hashes", default="7,5")
    args = parser.parse_args()
    counts = [int(n) for n in args.hashes.split(",")]
    print(f"{args.lines:,} lines per format; CPU ms of the filter statements, medians of {args.rounds} rounds")
    print(f"{'format':<22}" + "".join(f" {f'{n} hashes':>10}" for n in counts) + f" {'items':>9}")
    kept = skip_index.HASHES
    for fmt in chosen_formats(parser, args.formats):
        with tempfile.TemporaryDirectory(prefix="loglake-filters-") as tmp:
            store, _key = warm_object(Path(tmp), fmt, args.lines, EtlSettings(skip_index=False))
            files = {key: store.root / key for key in store.list("clean/")}  # the object's clean files
            con = _FilterTimer(duckdb.connect(config={"threads": 1}))
            spent: dict[int, list[float]] = {n: [] for n in counts}
            try:
                for _ in range(args.rounds):
                    for n in counts:
                        skip_index.HASHES = n
                        con.spent = 0.0
                        built = skip_index.build_many(files, versions={}, con=con)  # type: ignore[arg-type]
                        spent[n].append(con.spent)
            finally:
                skip_index.HASHES = kept
            items = sum(index.items for index in built.values())
        cells = "".join(f" {statistics.median(spent[n]) * 1000:>10.1f}" for n in counts)
        print(f"{fmt:<22}{cells} {items:>9,}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

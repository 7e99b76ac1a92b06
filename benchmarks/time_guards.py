"""Time guards: what the range tests that keep a line's number from failing its raw object cost.

    python benchmarks/time_guards.py [--rows 2000000] [--rounds 5]

Each conversion a parser makes of a number a line controls (VPC's `date`/`day` from `start`, OTLP's
`timeUnixNano`, WAF's `date`) is timed as it was (unguarded: DuckDB raises past its range) and as it is
(a range test on the value first), on the same in-range values, in the same run, one thread, rounds
interleaved; the medians and their ratio are reported.
"""

from __future__ import annotations

import argparse
import statistics
import time

import duckdb

from loglake.transform.timestamps import LATEST_EPOCH_MS, LATEST_EPOCH_NS, LATEST_EPOCH_S

_START = "TRY_CAST(x AS BIGINT)"
_GUARDED_START = f"CASE WHEN {_START} BETWEEN 0 AND {LATEST_EPOCH_S} THEN {_START} END"
_NANOS = "TRY_CAST(n AS HUGEINT)"
CASES = {
    "vpc date+day": (
        f"SELECT count(CAST(to_timestamp({_START}) AS DATE)), count(strftime(to_timestamp({_START}), '%Y/%m/%d')) "
        "FROM v",
        f"SELECT count(CAST(to_timestamp({_GUARDED_START}) AS DATE)), "
        f"count(strftime(to_timestamp({_GUARDED_START}), '%Y/%m/%d')) FROM v",
    ),
    "otlp time": (
        f"SELECT count(CASE WHEN {_NANOS} > 0 THEN make_timestamp(CAST({_NANOS} // 1000 AS BIGINT)) END) FROM v",
        f"SELECT count(CASE WHEN {_NANOS} BETWEEN 1 AND {LATEST_EPOCH_NS} "
        f"THEN make_timestamp(CAST({_NANOS} // 1000 AS BIGINT)) END) FROM v",
    ),
    "waf date": (
        "SELECT count(strftime(epoch_ms(ms), '%Y/%m/%d')) FROM v",
        f"SELECT count(strftime(epoch_ms(CASE WHEN ms BETWEEN 0 AND {LATEST_EPOCH_MS} THEN ms END), '%Y/%m/%d')) "
        "FROM v",
    ),
}
"""Per conversion: (the SQL before the guard, the SQL the parser now plans), over table `v`."""


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rows", type=int, default=2_000_000)
    args.add_argument("--rounds", type=int, default=5)
    options = args.parse_args()
    con = duckdb.connect()
    con.execute("SET threads = 1")
    con.execute(
        "CREATE TABLE v AS SELECT (1418530010 + i)::VARCHAR AS x, (1700000000000000000 + i * 1000)::VARCHAR AS n, "
        f"1576280412771 + i AS ms FROM range({options.rows}) t(i)"
    )
    print(f"{options.rows:,} rows, one thread, medians of {options.rounds} interleaved rounds")
    print(f"{'conversion':<14} {'unguarded ms':>12} {'guarded ms':>11} {'ratio':>6}")
    for name, (unguarded, guarded) in CASES.items():
        times: dict[str, list[float]] = {unguarded: [], guarded: []}
        for _ in range(options.rounds):
            for sql in (unguarded, guarded):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                times[sql].append(time.perf_counter() - started)
        before, after = statistics.median(times[unguarded]), statistics.median(times[guarded])
        print(f"{name:<14} {before * 1000:>12.0f} {after * 1000:>11.0f} {after / before:>5.2f}x")


if __name__ == "__main__":
    main()

"""Matched time paths: what a parser's time column costs through ll_parse_time's cascade and through the
matched path its plan declares (timestamps.MATCHED_FORMATS), on the same time strings.

    python benchmarks/matched_times.py [--lines 50000] [--rounds 15] [--formats nginx_error,rds_postgresql]

For each format (default: every parser whose plan declares a matched path and has a generator in
parser_throughput.py), `--lines` generated lines are staged as the write stages them (the plan's struct), their
time strings kept in a table; then `ll_parse_time` and the matched path each make a table of the times, on one
connection with the ETL's macros, one thread, alternating ABBA for `--rounds` rounds. The script stops unless
both give the same multiset of values. Wall-clock medians in ms (one thread: about the CPU time).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time

from loglake.transform import session, timestamps
from loglake.transform.etl import staged_rows
from parser_throughput import BY_NAME, GENERATORS


def _matched() -> list[str]:
    """The formats with a generator whose plan (made without a connection) declares a matched time path."""
    found = []
    for name in GENERATORS:
        try:
            plan = BY_NAME[name].plan(None, 5)
        except AttributeError:  # a plan that reads the connection (JSON shapes): no regex time group
            continue
        if plan.time_format in timestamps.MATCHED_FORMATS:
            found.append(name)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--formats", default=",".join(_matched()))
    args = parser.parse_args()
    print(f"{'format':<20} {'time format':<22} {'ll_parse_time':>13} {'matched':>8} {'change':>8}")
    for name in args.formats.split(","):
        fmt = BY_NAME[name]
        rng = random.Random(7)
        lines = [GENERATORS[name](rng, i) for i in range(args.lines)]
        taken = session.acquire(1)
        con = taken.con
        con.execute(
            "CREATE OR REPLACE TEMP TABLE classified AS SELECT unnest($lines) AS message, $name AS format, "
            "$table AS __ll_table, 1795780800000 AS timestamp",
            {"lines": lines, "name": fmt.name, "table": fmt.table},
        )
        plan = fmt.plan(con, 5)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE __times AS SELECT {plan.time} AS t, timestamp AS r "
            f"FROM ({staged_rows(fmt.name, fmt.table, plan)})"
        )
        ways = {
            "cascade": "SELECT ll_parse_time(t, r) AS v FROM __times",
            "matched": f"SELECT {timestamps.parse_time_expression('t', 'r', plan.time_format)} AS v FROM __times",
        }
        differ = con.execute(f"SELECT count(*) FROM ({ways['cascade']} EXCEPT ALL {ways['matched']})").fetchall()
        assert differ[0][0] == 0, f"{name}: the matched path gives other values"
        spent: dict[str, list[float]] = {way: [] for way in ways}
        for round_ in range(args.rounds):
            for way in ways if round_ % 2 == 0 else reversed(list(ways)):
                started = time.perf_counter()
                con.execute(f"CREATE OR REPLACE TEMP TABLE __out AS {ways[way]}")
                spent[way].append(time.perf_counter() - started)
        con.execute("DROP TABLE classified; DROP TABLE __times; DROP TABLE __out")
        old, new = (1000 * statistics.median(spent[way]) for way in ways)
        print(f"{name:<20} {plan.time_format:<22} {old:10.1f} ms {new:5.1f} ms {new - old:+5.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

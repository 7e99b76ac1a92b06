"""Classification's CPU stopped after the object's shortcut (etl._stop_after), against the whole CASE, in one process.

    python benchmarks/stop_early_ab.py [--lines 50000] [--rounds 9] [--formats access_log,syslog_rfc3164]

For each format, one raw object of `--lines` synthetic lines (parser_throughput.py's generators) is processed once
(to warm up, and to keep its raw lines); then `etl.classify_lines` classifies those lines `--rounds` times each way,
alternating (ABBA), on the ETL's own session: `whole` with etl._stop_after answering None (every object classified
by the whole CASE, as before 2026-12-01), `stopped` as it is. Printed: the median CPU of the classification each way
(`time.process_time`: planning and running its statements, parsers' set-up included), the change, and the parser
the CASE stopped after (None: the whole CASE either way, so the change is this machine's noise). The whole object's
CPU moves 10-25% between rounds on this machine, more than the change (benchmarks/README.md, 2026-12-01).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from loglake.lake.raw_zone import raw_reader
from loglake.transform import etl, session
from loglake.transform.settings import EtlSettings
from parser_throughput import chosen_formats, formats_arguments, warm_object

STOPPING = etl._stop_after


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    formats_arguments(parser, rounds=9)
    args = parser.parse_args()
    settings = EtlSettings(skip_index=False)
    stops: list[str | None] = []

    def recorded(*given: Any) -> str | None:
        stops.append(STOPPING(*given))
        return stops[-1]

    print(f"{args.lines:,} lines per object; CPU ms of classify_lines, medians of {args.rounds} rounds each way (ABBA)")
    print(f"{'format':<22} {'whole':>8} {'stopped':>8} {'change':>7}  stops after")
    try:
        for fmt in chosen_formats(parser, args.formats):
            with tempfile.TemporaryDirectory(prefix="loglake-stop-") as tmp:
                store, key = warm_object(Path(tmp), fmt, args.lines, settings)
                taken = session.acquire(None)
                con = taken.con
                try:
                    kept = "__ll_bench_raw_lines"  # the object's raw lines, as the ETL reads them
                    con.execute(
                        f"CREATE OR REPLACE TEMP TABLE {kept} AS SELECT * FROM {raw_reader([store.root / key])}"
                    )
                    spent: dict[bool, list[float]] = {True: [], False: []}
                    for round_ in range(args.rounds):
                        for whole in (True, False) if round_ % 2 == 0 else (False, True):
                            etl._stop_after = (lambda *given: None) if whole else recorded  # type: ignore[assignment]
                            con.execute(f"CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT * FROM {kept}")
                            started = time.process_time()
                            etl.classify_lines(con, key, settings)
                            spent[whole].append(time.process_time() - started)
                finally:
                    session.release(taken, failed=True)
            old, new = statistics.median(spent[True]) * 1000, statistics.median(spent[False]) * 1000
            print(f"{fmt:<22} {old:>8.1f} {new:>8.1f} {new / old - 1:>+7.1%}  {stops[-1]}", flush=True)
    finally:
        etl._stop_after = STOPPING  # type: ignore[assignment]
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`loglake compact --rewrite-stale` on a stale waf_logs: the time to rewrite every hour of a table an
earlier loglake wrote (a TIMESTAMP `timestamp`) into AWS's BIGINT milliseconds, as a ratio of the time the
ETL took to write the same table in the same run (the baseline), and the answer checked exactly.

    python benchmarks/rewrite_stale.py                        # 20 objects of 5,000 WAF records (100,000 events)
    python benchmarks/rewrite_stale.py --objects 4 --per 1000 # quick look

The records are the WAF developer guide's first example (tests/events/ATTRIBUTION.md) with timestamps spread
evenly over one day, so each object touches one or two of the day's 24 hours.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import write_messages  # noqa: E402
from loglake.lake import clean_zone  # noqa: E402
from loglake.lake.compaction import live_files, rewrite_stale  # noqa: E402
from loglake.lake.open import open_lake  # noqa: E402
from loglake.pipeline import pending_raw_objects, run_etl  # noqa: E402
from loglake.query.engine import DuckDBEngine  # noqa: E402
from loglake.transform.settings import EtlSettings  # noqa: E402

DAY_START_MS = 1764201600000  # 2025-11-27T00:00:00Z
DAY_MS = 86_400_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=20)
    parser.add_argument("--per", type=int, default=5000, help="WAF records per raw object")
    args = parser.parse_args()
    total = args.objects * args.per
    doc = json.loads((ROOT / "tests/events/aws_formats/waf_docs.log").read_text().splitlines()[0])
    lake = open_lake(tempfile.mkdtemp(prefix="loglake-rewrite-"))
    contract = dict(clean_zone.TIMESTAMP_TYPES)
    clean_zone.TIMESTAMP_TYPES.clear()  # the previous loglake: every table's `timestamp` a TIMESTAMP
    for o in range(args.objects):
        stamps = [DAY_START_MS + (o * args.per + i) * DAY_MS // total for i in range(args.per)]
        lines = [json.dumps({**doc, "timestamp": t}) for t in stamps]
        write_messages(lake.store, f"/waf/{o}", lines, id_prefix=f"o{o}-")
    started = time.perf_counter()
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    etl_s = time.perf_counter() - started
    clean_zone.TIMESTAMP_TYPES.update(contract)
    files = len(live_files(lake.store, "waf_logs"))
    started = time.perf_counter()
    report = rewrite_stale(lake.store, "waf_logs", grace_s=0)
    rewrite_s = time.perf_counter() - started
    with DuckDBEngine(lake.store) as engine:
        ((rows, distinct, kind),) = engine.query(
            'SELECT count(*), count(DISTINCT "timestamp"), typeof(min("timestamp")) FROM waf_logs'
        ).rows
    assert (rows, kind) == (total, "BIGINT"), (rows, kind)
    print(f"{total:,} events, {files} files in {len(report.partitions)} hours; {distinct:,} distinct timestamps")
    print(f"baseline: ETL writing the table   {etl_s:6.1f} s  1.00x")
    print(f"compact --rewrite-stale           {rewrite_s:6.1f} s  {rewrite_s / etl_s:.2f}x")


if __name__ == "__main__":
    main()

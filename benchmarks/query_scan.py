"""Bytes read and latency of the saved queries: clean zone (Parquet) against the raw zone (gzip JSON).

    python benchmarks/query_scan.py [--events 10000000]

The demo's realistic workload (six services, JSON and text, ids and addresses with real entropy) is
generated, ingested and ETL'd, then each question is asked twice in the same run:
- clean: the saved query over `logs`; bytes as Athena bills Parquet (the column chunks it names, in
  the partitions it keeps; see loglake.query.explain);
- raw: the same question over `raw_events`, parsing every message; bytes are the whole compressed raw
  objects, which is what Athena scans for gzip JSON.
Latency is DuckDB's on this machine for both.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from loglake.demo.workload import write_workload
from loglake.lake.open import open_lake
from loglake.pipeline import run_etl
from loglake.query.engine import DuckDBEngine
from loglake.query.explain import explain
from loglake.query.saved_queries import saved_query
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

_LEVEL = "coalesce(json_extract_scalar(message, '$.level'), json_extract_scalar(message, '$.severity'), " \
    "regexp_extract(message, ' (ERROR|WARN|INFO) ', 1))"  # fmt: skip
RAW_EQUIVALENTS = {
    "errors_per_service_per_hour": f"""
        SELECT log_group, date_trunc('hour', from_iso8601_timestamp(
                   coalesce(json_extract_scalar(message, '$.timestamp'), regexp_extract(message, '^[0-9T:. -]+')))
               ) AS hour, count(*) AS errors
        FROM raw_events WHERE upper({_LEVEL}) IN ('ERROR', 'FATAL', '50') GROUP BY 1, 2""",
    "latency_by_route": """
        SELECT json_extract_scalar(message, '$.request.route') AS route, count(*) AS requests,
               approx_percentile(CAST(json_extract_scalar(message, '$.request.latency_ms') AS DOUBLE), 0.5) AS p50,
               approx_percentile(CAST(json_extract_scalar(message, '$.request.latency_ms') AS DOUBLE), 0.95) AS p95,
               approx_percentile(CAST(json_extract_scalar(message, '$.request.latency_ms') AS DOUBLE), 0.99) AS p99
        FROM raw_events WHERE json_extract_scalar(message, '$.request.route') IS NOT NULL GROUP BY 1""",
    "top_error_fingerprints": f"""
        SELECT regexp_replace(split_part(message, chr(10), 1), '[0-9]+', '<n>') AS fingerprint, count(*) AS events
        FROM raw_events WHERE upper({_LEVEL}) IN ('ERROR', 'FATAL') GROUP BY 1 ORDER BY events DESC LIMIT 20""",
    "ingestion_lag": """
        SELECT log_group, count(*) AS events, approx_percentile(ingestion_time - timestamp, 0.5) AS p50_lag_ms
        FROM raw_events WHERE ingestion_time IS NOT NULL GROUP BY 1""",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loglake-scan-") as tmp:
        started = time.perf_counter()
        files = write_workload(Path(tmp) / "input", args.events)
        lake = open_lake(str(Path(tmp) / "lake"))
        keys = []
        for f in files:
            source = FileSource(lake.store, FileSourceOptions(log_group=f"/demo/{f.service}"))
            keys += source.ingest(str(f.path)).objects
            f.path.unlink()
        print(f"raw zone: {args.events:,} events in {len(keys)} objects ({time.perf_counter() - started:.0f} s)")
        started = time.perf_counter()
        run_etl(lake, keys, EtlSettings())
        print(f"ETL: {time.perf_counter() - started:.0f} s", flush=True)
        raw_bytes = sum(p.stat().st_size for p in Path(tmp, "lake", "raw").rglob("*.json.gz"))
        print(f"{'query':<32} {'clean bytes':>13} {'raw bytes':>13} {'fewer':>8} ", end="")
        print(f"{'clean s':>8} {'raw s':>8} {'faster':>7}")
        with DuckDBEngine(lake.store) as engine:
            runs = [(name, name, {}) for name in RAW_EQUIVALENTS]
            runs.append(("top_error_fingerprints text=msg", "top_error_fingerprints", {"text": "msg"}))
            for label, name, params in runs:
                raw_sql = RAW_EQUIVALENTS[name]
                sql = saved_query(name, params)
                clean_bytes = sum(plan.bytes for plan in explain(engine, sql))
                t0 = time.perf_counter()
                engine.query(sql)
                clean_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                engine.query(raw_sql)
                raw_s = time.perf_counter() - t0
                print(
                    f"{label:<32} {clean_bytes:>13,} {raw_bytes:>13,} {raw_bytes / max(clean_bytes, 1):>7.1f}x "
                    f"{clean_s:>8.2f} {raw_s:>8.2f} {raw_s / clean_s:>6.1f}x",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Needle search: message bytes read by `loglake search` with the skip index against a full scan.

    python benchmarks/needle_search.py [--events 10000000] [--workdir DIR] [--rebuild-index]

The demo's realistic day of logs from six services (loglake.demo.workload) is generated, then two rare
terms are written into it, each into 0.01% of the events:
- `LedgerSkewError`: during one incident (the checkout service, 14:00-15:00 UTC), as a rare error shows up;
- `QuotaDriftWarning`: spread evenly over every service and hour.
The files are ingested and ETL'd (the ETL writes each clean file's skip index), and each term is searched
for twice: with the index, and with --no-index (every file in range read). Reported: files read, the
compressed bytes of the message column read (what a scan pays), latency, and whether both answers are
equal (every match compared, not only the count). The same is done for `loglake query`'s engine with
`WHERE message LIKE '%term%'` over each table (the skip index on, then off).

The six service files are written in parallel processes (each has its own random stream, so the data is
the same as one process writes). --workdir keeps the lake: a second run with the same --events and
--workdir skips generation, ingest and ETL and only queries. --rebuild-index also times rebuilding every
index alone, one file at a time (an upper bound of what the index costs; slow at 10M).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from loglake.catalog.duckdb_views import clean_tables
from loglake.demo.workload import SERVICE_SHARES, ServiceFile, write_workload
from loglake.lake.compaction import live_files
from loglake.lake.open import open_lake
from loglake.lake.skip_index import INDEX_PREFIX, write_for
from loglake.lake.store import Store
from loglake.pipeline import run_etl
from loglake.query.engine import DuckDBEngine
from loglake.query.search import Pattern, SearchResult, message_bytes, search
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

INCIDENT = "LedgerSkewError"
SPREAD = "QuotaDriftWarning"
RATE = 0.0001
_INCIDENT_HOUR = re.compile(rb'"timestamp":"2026-11-26T14:')


def _mark(line: bytes, term: str) -> bytes:
    """The line with `term` in it: a JSON object gains a key (it stays JSON), a text line ends with the term."""
    if line.startswith(b'{"'):
        return b'{"note":"' + term.encode() + b'",' + line[1:]
    return line + b" " + term.encode()


def _write_one(folder: Path, events: int, service: str) -> ServiceFile:
    return write_workload(folder, events, services={service})[0]


def generate(folder: Path, events: int, processes: int) -> list[ServiceFile]:
    """write_workload's files, one process per service (the per-event Python is the cost: 769 s for 10M
    events in one process under load), in write_workload's order (plant depends on it)."""
    services = list(SERVICE_SHARES)
    with ProcessPoolExecutor(max_workers=processes) as pool:
        return list(pool.map(_write_one, [folder] * len(services), [events] * len(services), services))


def plant(files: list[Path], events: int) -> dict[str, int]:
    """Write each term into RATE of the events (see the module's docstring); return how many lines got each."""
    wanted = max(1, round(events * RATE))
    planted = {INCIDENT: 0, SPREAD: 0}
    total_lines = sum(1 for path in files for _ in path.open("rb"))
    spread_every = max(1, total_lines // wanted)
    checkout = next(path for path in files if path.name == "checkout.log")
    incident_lines = sum(1 for line in checkout.open("rb") if _INCIDENT_HOUR.search(line))
    incident_every = max(1, incident_lines // wanted)
    seen = incident_seen = 0
    for path in files:
        marked = path.with_suffix(".marked")
        with path.open("rb") as source, marked.open("wb") as out:
            for raw in source:
                line = raw.rstrip(b"\n")
                seen += 1
                if seen % spread_every == 0 and planted[SPREAD] < wanted:
                    line = _mark(line, SPREAD)
                    planted[SPREAD] += 1
                elif path == checkout and _INCIDENT_HOUR.search(line):
                    incident_seen += 1
                    if incident_seen % incident_every == 0 and planted[INCIDENT] < wanted:
                        line = _mark(line, INCIDENT)
                        planted[INCIDENT] += 1
                out.write(line + b"\n")
        marked.replace(path)
    return planted


def _row(label: str, result: SearchResult, seconds: float) -> str:
    plan = result.plan
    return (
        f"  {label:<10} {result.matches:>8,} {plan.files_read:>6,}/{plan.files_in_range:<6,} "
        f"{plan.message_bytes_read / 1e6:>12.1f} {plan.index_bytes / 1e6:>10.1f} {seconds:>8.2f}"
    )


def build_lake(work: Path, events: int, processes: int, workers: int | None, rebuild_index: bool) -> dict[str, object]:
    """Generate, plant, ingest and ETL into work/lake; returns what was measured (also kept in work/needle.json)."""
    started = time.perf_counter()
    files = generate(work / "input", events, processes)
    generated = time.perf_counter() - started
    planted = plant([f.path for f in files], events)
    print(
        f"{events:,} events generated in {generated:.0f} s ({processes} processes), terms planted {planted} "
        f"({time.perf_counter() - started:.0f} s in all)",
        flush=True,
    )
    lake = open_lake(str(work / "lake"))
    started = time.perf_counter()
    keys = []
    for f in files:
        source = FileSource(lake.store, FileSourceOptions(log_group=f"/demo/{f.service}"))
        keys += source.ingest(str(f.path)).objects
        f.path.unlink()
    print(f"ingest: {len(keys)} raw objects in {time.perf_counter() - started:.0f} s", flush=True)
    started = time.perf_counter()
    run_etl(lake, keys, EtlSettings(), workers=workers)
    etl_seconds = time.perf_counter() - started
    clean = list((work / "lake" / "clean").rglob("*.parquet"))
    index_bytes = sum(p.stat().st_size for p in (work / "lake" / INDEX_PREFIX).rglob("*.bloom"))
    clean_bytes = sum(p.stat().st_size for p in clean)
    line = (
        f"ETL (skip index included): {etl_seconds:.0f} s; {len(clean)} clean files, {clean_bytes / 1e6:.1f} MB; "
        f"skip indexes {index_bytes / 1e6:.1f} MB ({100 * index_bytes / clean_bytes:.1f}% of the clean zone)"
    )
    if rebuild_index:
        started = time.perf_counter()
        for path in clean:  # again, alone: what the index adds to the ETL
            write_for(lake.store, path.relative_to(work / "lake").as_posix(), path=path)
        line += f", rebuilt alone in {time.perf_counter() - started:.0f} s"
    print(line, flush=True)
    built = {"events": events, "planted": planted, "etl": line}
    (work / "needle.json").write_text(json.dumps(built))
    return built


def like_query(
    store: Store, term: str, *, use_index: bool
) -> tuple[list[tuple[object, ...]], int, int, int, int, float]:
    """`SELECT ... WHERE message LIKE '%term%'` over each clean table through the query engine: the rows
    (sorted), files read, files in the views, message bytes of the files read, index bytes read, seconds."""
    rows: list[tuple[object, ...]] = []
    read = total = size = index = 0
    begun = time.perf_counter()
    with DuckDBEngine(store, use_skip_index=use_index) as engine:
        for table in clean_tables(store):
            sql = f"SELECT event_id, message FROM {table} WHERE message LIKE '%{term}%'"
            rows += [(table, *row) for row in engine.query(sql).rows]
            every = live_files(store, table)
            used = engine.skips.get(table)  # what the skip index left to read; absent: every file is read
            files = used.read if used is not None else every
            index += used.count.index_bytes if used is not None else 0
            read += len(files)
            total += len(every)
            size += message_bytes(engine.con, store, files)
    return sorted(rows, key=repr), read, total, size, index, time.perf_counter() - begun


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=None, help="ETL workers")
    parser.add_argument("--processes", type=int, default=min(6, os.cpu_count() or 1), help="generation processes")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the lake here and reuse it")
    parser.add_argument("--rebuild-index", action="store_true")
    parser.add_argument("--no-like", action="store_true", help="search only (no LIKE through the query engine)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="loglake-needle-")))
        else:
            work = args.workdir
            work.mkdir(parents=True, exist_ok=True)
        kept = work / "needle.json"
        built = json.loads(kept.read_text()) if kept.exists() else None
        if built is not None and built["events"] == args.events:
            print(f"reusing the lake in {work} ({args.events:,} events, planted {built['planted']})")
            print(built["etl"], flush=True)
        else:
            if built is not None:
                raise SystemExit(f"{work} holds a lake of {built['events']:,} events; choose another --workdir")
            built = build_lake(work, args.events, args.processes, args.workers, args.rebuild_index)
        planted = built["planted"]
        lake = open_lake(str(work / "lake"))
        failures = 0
        print(f"  {'search':<10} {'matches':>8} {'files read':>13} {'message MB':>12} {'index MB':>10} {'seconds':>8}")
        for term in (INCIDENT, SPREAD):
            pattern = Pattern.parse(term)
            runs = {}
            for label, use_index in (("full scan", False), ("index", True)):
                search(lake.store, pattern, limit=1, use_index=use_index)  # warm the page cache alike
                begun = time.perf_counter()
                runs[label] = (search(lake.store, pattern, limit=100_000, use_index=use_index), 0.0)
                runs[label] = (runs[label][0], time.perf_counter() - begun)
            (full, full_s), (indexed, indexed_s) = runs["full scan"], runs["index"]
            # planted lines that a malformed-JSON cut sent to quarantine are not in the clean tables: found <= planted
            same = full.rows == indexed.rows and full.matches == indexed.matches
            failures += not same
            share = 100 * indexed.plan.message_bytes_read / max(1, full.plan.message_bytes_read)
            print(f"{term} ({planted[term]:,} lines planted, {full.matches:,} clean events hold it)")
            print(_row("full scan", full, full_s))
            print(_row("index", indexed, indexed_s))
            with_index = indexed.plan.message_bytes_read + indexed.plan.index_bytes
            print(
                f"  message bytes read with the index: {share:.1f}% of a full scan "
                f"({100 * with_index / max(1, full.plan.message_bytes_read):.1f}% counting the indexes read); "
                f"latency x{indexed_s / full_s:.2f}; same answer: {'yes' if same else 'NO'}",
                flush=True,
            )
            if args.no_like:
                continue
            like_query(lake.store, term, use_index=True)  # warm the page cache alike
            plain = like_query(lake.store, term, use_index=False)
            skipping = like_query(lake.store, term, use_index=True)
            same = plain[0] == skipping[0]
            failures += not same
            for label, (rows, read, total, size, index, seconds) in (("LIKE full", plain), ("LIKE index", skipping)):
                counts = f"{len(rows):>8,} {read:>6,}/{total:<6,}"
                print(f"  {label:<10} {counts} {size / 1e6:>12.1f} {index / 1e6:>10.1f} {seconds:>8.2f}")
            print(
                f"  LIKE '%{term}%' message bytes read with the index: {100 * skipping[3] / max(1, plain[3]):.1f}% "
                f"of a full scan; latency x{skipping[5] / plain[5]:.2f}; same answer: {'yes' if same else 'NO'}",
                flush=True,
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Needle search: message bytes read by `loglake search` with the skip index against a full scan.

    python benchmarks/needle_search.py [--events 10000000]

The demo's realistic day of logs from six services (loglake.demo.workload) is generated, then two rare
terms are written into it, each into 0.01% of the events:
- `LedgerSkewError`: during one incident (the checkout service, 14:00-15:00 UTC), as a rare error shows up;
- `QuotaDriftWarning`: spread evenly over every service and hour.
The files are ingested and ETL'd (the ETL writes each clean file's skip index), and each term is searched
for twice: with the index, and with --no-index (every file in range read). Reported: files read, the
compressed bytes of the message column read (what a scan pays), latency, and whether both answers are
equal (every match compared, not only the count).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

from loglake.demo.workload import write_workload
from loglake.lake.open import open_lake
from loglake.lake.skip_index import INDEX_PREFIX, write_for
from loglake.pipeline import run_etl
from loglake.query.search import Pattern, SearchResult, search
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="loglake-needle-") as tmp:
        started = time.perf_counter()
        files = write_workload(Path(tmp) / "input", args.events)
        planted = plant([f.path for f in files], args.events)
        print(f"{args.events:,} events generated, terms planted {planted} ({time.perf_counter() - started:.0f} s)")
        lake = open_lake(str(Path(tmp) / "lake"))
        started = time.perf_counter()
        keys = []
        for f in files:
            source = FileSource(lake.store, FileSourceOptions(log_group=f"/demo/{f.service}"))
            keys += source.ingest(str(f.path)).objects
            f.path.unlink()
        print(f"ingest: {len(keys)} raw objects in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        run_etl(lake, keys, EtlSettings(), workers=args.workers)
        etl_seconds = time.perf_counter() - started
        clean = [p for p in Path(tmp, "lake", "clean").rglob("*.parquet")]
        started = time.perf_counter()
        for path in clean:  # again, alone: what the index adds to the ETL
            write_for(lake.store, path.relative_to(Path(tmp, "lake")).as_posix(), path=path)
        build_seconds = time.perf_counter() - started
        index_bytes = sum(p.stat().st_size for p in Path(tmp, "lake", INDEX_PREFIX).rglob("*.bloom"))
        clean_bytes = sum(p.stat().st_size for p in clean)
        print(
            f"ETL (skip index included): {etl_seconds:.0f} s; {len(clean)} clean files, {clean_bytes / 1e6:.1f} MB; "
            f"skip indexes {index_bytes / 1e6:.1f} MB ({100 * index_bytes / clean_bytes:.1f}% of the clean zone), "
            f"built in {build_seconds:.0f} s of it",
            flush=True,
        )
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
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

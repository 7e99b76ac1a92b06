"""The demo: a day of logs from six services through every stage, with what each stage took.

The ETL runs through the same entry point as the Lambda (an S3 ObjectCreated event per raw object),
and the run ends with the conservation check; the demo fails (exit 1) if it does not hold.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from loglake.cli.progress import etl_objects, ingest_files
from loglake.demo.workload import write_workload
from loglake.errors import ConfigError
from loglake.lake.open import open_lake
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine, QueryResult
from loglake.query.output import to_table
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

MARKER = ".loglake-demo"

# Athena (Trino) SQL, as users write it; translated to DuckDB for the embedded engine.
QUERIES: list[tuple[str, str]] = [
    (
        "Errors per service per hour (the worst ten hours)",
        """
        SELECT regexp_extract(log_group, '[^/]+$') AS service,
               date_format(date_trunc('hour', "timestamp"), '%H:00') AS hour_utc,
               count(*) AS events,
               count_if(level IN ('ERROR', 'FATAL')) AS errors,
               round(100.0 * count_if(level IN ('ERROR', 'FATAL')) / count(*), 2) AS error_pct
        FROM logs
        GROUP BY 1, 2
        HAVING count_if(level IN ('ERROR', 'FATAL')) > 0
        ORDER BY errors DESC, service, hour_utc
        LIMIT 10
        """,
    ),
    (
        "Slowest routes by p95 latency (nested request.* fields, flattened)",
        """
        SELECT request_method AS method, request_route AS route, count(*) AS requests,
               round(approx_percentile(request_latency_ms, 0.5), 1) AS p50_ms,
               round(approx_percentile(request_latency_ms, 0.95), 1) AS p95_ms,
               max(request_latency_ms) AS max_ms
        FROM logs
        WHERE request_route IS NOT NULL
        GROUP BY 1, 2
        ORDER BY p95_ms DESC
        LIMIT 8
        """,
    ),
    (
        "5xx during the 13:00-15:00 incident, by user tier",
        """
        SELECT user_tier, count(*) AS requests, count_if(request_status >= 500) AS server_errors,
               round(100.0 * count_if(request_status >= 500) / count(*), 2) AS pct_5xx
        FROM logs
        WHERE log_group = '/demo/checkout' AND hour(timestamp) BETWEEN 13 AND 14
        GROUP BY 1
        ORDER BY pct_5xx DESC
        """,
    ),
    (
        "Exceptions in multi-line stack traces (Java and Python text logs)",
        """
        SELECT exception_type AS exception, count(*) AS events, max(frames) AS max_frames
        FROM logs
        WHERE format = 'stack_trace'
        GROUP BY 1
        ORDER BY events DESC, exception
        LIMIT 6
        """,
    ),
    (
        "Quarantine: what could not be parsed, and why",
        "SELECT reason, regexp_extract(log_group, '[^/]+$') AS service, count(*) AS events "
        "FROM quarantine GROUP BY 1, 2 ORDER BY events DESC",
    ),
]


def loglake_command(
    argv0: str | None = None, executable: str | None = None, cwd: Path | None = None, on_path: str | None = None
) -> str:
    """How to run this loglake again from the shell, as a user would type it.

    `./dev demo` runs `.venv/bin/python -m loglake`, whose `loglake` script is not on PATH, so a bare
    `loglake` would fail: the script beside the running interpreter is printed instead (relative to the
    current folder when it is under it). `loglake` alone only when PATH finds this very script. The
    arguments exist for tests; by default they come from sys.argv[0], sys.executable, the current
    folder and PATH.
    """
    argv0 = sys.argv[0] if argv0 is None else argv0
    executable = sys.executable if executable is None else executable
    cwd = Path.cwd() if cwd is None else cwd
    on_path = shutil.which("loglake") if on_path is None else on_path
    script = Path(argv0) if Path(argv0).name == "loglake" else Path(executable).parent / "loglake"
    if not script.is_file():
        return f"{shlex.quote(_shown(Path(executable), cwd))} -m loglake"
    if on_path and Path(on_path).samefile(script):
        return "loglake"
    return shlex.quote(_shown(script, cwd))


def _shown(path: Path, cwd: Path) -> str:
    """`path` relative to `cwd` when it lies under it (`.venv/bin/loglake`), else absolute. Not resolved:
    a venv's python is a symlink, and following it would leave the venv."""
    absolute = cwd / path
    if not absolute.is_relative_to(cwd):
        return str(absolute)
    relative = str(absolute.relative_to(cwd))
    return relative if "/" in relative else f"./{relative}"


def _prepare_folder(folder: Path, option: str) -> None:
    """Recreate a folder the demo made before; anything else (a real lake, say) is never deleted."""
    if folder.exists():
        if not (folder / MARKER).exists():
            raise ConfigError(f"{folder} exists and was not made by `loglake demo`; choose another {option}")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARKER).write_text("made by `loglake demo`; deleted and recreated by each run\n")


def run_demo(
    folder: Path, events: int, out: Console, err: Console, *, lake_path: Path | None = None, workers: int | None = None
) -> bool:
    """`folder` holds the generated logs; the lake is `lake_path` (default `folder/lake`), as --lake means the
    lake on every command: `demo --lake X` then `verify --lake X` checks the demo's lake."""
    if events < 1000:
        raise ConfigError("--events must be at least 1000")
    timings: dict[str, float] = {}
    lake_path = lake_path or folder / "lake"
    _prepare_folder(folder, "--dir")
    if not lake_path.resolve().is_relative_to(folder.resolve()):
        _prepare_folder(lake_path, "--lake")
    inputs, lake = folder / "input", open_lake(str(lake_path))
    out.print(f"[bold]loglake demo[/]: {events:,} events from 6 services over 2026-11-26, in {escape(str(folder))}/")

    started = time.perf_counter()
    with err.status("generating logs"):
        files = write_workload(inputs, events)
    timings["generate"] = time.perf_counter() - started
    malformed = sum(f.malformed for f in files)
    out.print(
        f"  generated {len(files)} log files, {sum(f.path.stat().st_size for f in files) / 1e6:.1f} MB, "
        f"{malformed} lines deliberately truncated"
    )

    started = time.perf_counter()
    sources = [(FileSource(lake.store, FileSourceOptions(log_group=f"/demo/{f.service}")), str(f.path)) for f in files]
    reports = ingest_files(sources, err)
    timings["ingest"] = time.perf_counter() - started
    raw_keys = [key for report in reports for key in report.objects]
    out.print(
        f"  ingest: {sum(r.events for r in reports):,} events (multi-line traces joined) → {len(raw_keys)} raw objects"
    )

    started = time.perf_counter()
    run = etl_objects(lake, raw_keys, EtlSettings(), err, workers=workers)
    if (error := run.error()) is not None:
        raise error
    results = run.results
    timings["etl"] = time.perf_counter() - started
    clean = sum(r.manifest.clean_rows for r in results)
    quarantined = sum(r.manifest.quarantined_rows for r in results)
    out.print(
        f"  etl: {len(results)} S3 ObjectCreated events → handler → {clean:,} clean rows (Parquet), "
        f"{quarantined:,} quarantined"
    )

    started = time.perf_counter()
    with DuckDBEngine(lake.store) as engine:
        answers: list[tuple[str, QueryResult]] = [(title, engine.query(sql)) for title, sql in QUERIES]
        timings["query"] = time.perf_counter() - started
        started = time.perf_counter()
        report = check_conservation(engine, engine.store)
        timings["verify"] = time.perf_counter() - started

    for title, result in answers:
        out.print(f"\n[bold]{title}[/]")
        out.print(escape(to_table(result)), end="")

    totals = report.totals()
    verdict = "[green]holds[/]" if report.ok else "[red]DOES NOT HOLD[/]"
    out.print(f"\n[bold]Reconciliation[/] (per raw object, in SQL): {verdict}")
    out.print(
        f"  raw events {totals['raw_events']:,} = clean {totals['clean_events']:,} "
        f"+ quarantined {totals['quarantined_events']:,}  over {len(report.objects)} raw objects"
    )
    if quarantined != malformed:
        out.print(f"  [red]expected {malformed} quarantined (the truncated lines), got {quarantined}[/]")

    table = Table(title="Stage timings", show_edge=False)
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for stage, seconds in timings.items():
        table.add_row(stage, f"{seconds:.2f}")
    table.add_row("[bold]total[/]", f"[bold]{sum(timings.values()):.2f}[/]")
    out.print()
    out.print(table)
    command = f"{loglake_command()} query --lake {shlex.quote(str(lake_path))}"
    out.print(f"\nNext: {escape(command)} {shlex.quote('SELECT level, count(*) FROM logs GROUP BY 1')}")
    console = f"{loglake_command()} serve --lake {shlex.quote(str(lake_path))}"
    from loglake.console.launch import missing_extra

    if (problem := missing_extra()) is not None:  # the line below then says the same and exits 1
        out.print(escape(problem))
    out.print(f"Console: {escape(console)}")
    return report.ok and quarantined == malformed

"""`loglake`: ingest, collect, import-export, etl, compact, query, saved, verify, status, tables, ddl, catalog sync,
init, demo, package, template, deploy, destroy.

Every command that works on a lake takes --lake (see loglake.config); errors are one line, exit code 1.
"""

from __future__ import annotations

import shlex
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from typer import _click as click
from typer.core import TyperArgument, TyperGroup, TyperOption

from loglake import __version__
from loglake.catalog.athena_guard import NOT_READ_FLAG, check_not_read_by_athena
from loglake.catalog.glue_names import checked_database, glue_database
from loglake.cli import deploy_commands
from loglake.cli.terminal import (
    FormatOption,
    SinceOption,
    UntilOption,
    check_format,
    etl_summary,
    print_json,
    time_range,
)
from loglake.config import Config, load_config
from loglake.errors import AthenaReadsTableError, ConfigError, ExportError, LoglakeError, StaleTableError
from loglake.lake import formats as clean_formats
from loglake.lake.iceberg import in_s3tables, refuse_maintenance
from loglake.lake.open import Lake, open_lake
from loglake.lake.runs import collect_figures, recording
from loglake.lake.schema_registry import SchemaRegistry
from loglake.lake.unreadable import FIX
from loglake.pipeline import pending_raw_objects
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine, QueryEngine, QueryResult
from loglake.query.hints import empty_answer_hint, is_empty_answer
from loglake.query.output import FORMATS, TABLE_ROW_LIMIT, histogram, render, rows_not_shown_hint, write_result
from loglake.query.time_range import TimeRange, TimeRangeError, apply_time_range
from loglake.sources.follow import FollowOptions
from loglake.sources.local_files import FileSource, FileSourceOptions, expand_paths
from loglake.sources.multiline import EventBoundary
from loglake.transform.etl import EtlResult

TIME_SOURCE_WORDS = {"source": "source's event time", "ingestion": "ingestion time (a guess)"}


class PlainHelpGroup(TyperGroup):
    """A command group whose --help shows FILE, N, TEXT or nothing where typer would print `<bool>`,
    `<list[str]>` or `<path>`: the type noise says nothing a user needs, the option's name and help do."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        return _plain_params(super().get_params(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _plain_params(command.get_params(ctx))
        return command


class _PlainArgument(TyperArgument):
    def display_type_rich(self, ctx: click.Context) -> str | None:
        return None  # the argument's name (PATHS, SQL) says what it is


_METAVARS = {int: "N", float: "N", Path: "PATH"}


def _plain_params(params: list[click.Parameter]) -> list[click.Parameter]:
    """Give each parameter a plain metavar (once): nothing for a flag, N/PATH/TEXT for a value."""
    for param in params:
        if param.metavar is not None:
            continue
        if isinstance(param, TyperArgument):
            param.metavar = (param.name or "arg").upper()
            param.__class__ = _PlainArgument
        elif isinstance(param, TyperOption):
            annotation = param.type_descriptor.annotation
            param.metavar = "" if param.is_flag else _METAVARS.get(annotation, "TEXT")
    return params


app = typer.Typer(
    help="Turn application logs into a cheap, queryable data lake with no servers to run.",
    cls=PlainHelpGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def _print_version(value: bool) -> None:
    if value:
        out.print(__version__)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool, typer.Option("--version", is_eager=True, callback=_print_version, help="Print the version and exit.")
    ] = False,
) -> None:
    """Turn application logs into a cheap, queryable data lake with no servers to run."""


LakeOption = Annotated[
    str | None,
    typer.Option(
        "--lake", help="Lake folder or s3://bucket/prefix (default: $LOGLAKE_LAKE, then loglake.toml, then ./lake)."
    ),
]


def _open(lake_flag: str | None, *, create: bool = False) -> tuple[Config, Lake]:
    """The configured lake. Only commands that write raw data (`create`) may start a new one: a reading
    command on a folder that holds no lake would answer 0 rows or "OK" about data that is elsewhere."""
    config = load_config(lake_flag)
    opened = open_lake(config.lake, config.raw, config.table_bucket_arn)
    if not create and not opened.exists():
        raise ConfigError(
            f"no lake at {opened.store.uri} ({config.lake_origin_text()}); point --lake (or $LOGLAKE_LAKE, or "
            f"lake in loglake.toml) at your lake, or create this one with `loglake ingest FILE --lake {config.lake}`"
        )
    return config, opened


EngineOption = Annotated[str, typer.Option(help="duckdb (embedded, default) or athena.")]


def _engine(name: str, config: Config, opened: Lake) -> QueryEngine:
    if name == "duckdb":
        return DuckDBEngine(opened.store)
    if name == "athena":
        from loglake.query.athena_engine import AthenaEngine

        return AthenaEngine(
            workgroup=config.athena.get("workgroup", "primary"),
            database=glue_database(None, config.athena),
            output_location=config.athena.get("output_location") or None,
        )
    raise typer.BadParameter("--engine must be duckdb or athena")


def _print_stats(result: QueryResult) -> None:
    stats = result.stats or {}
    if stats.get("engine") == "athena":
        err.print(
            f"athena: {stats['bytes_scanned'] / 1e6:,.1f} MB scanned, ${stats['cost_usd']:.6f}, "
            f"{stats['seconds']:.2f} s, query {stats['query_id']}"
        )
    elif stats:
        err.print(f"duckdb: {len(result.rows):,} rows in {stats['seconds']:.3f} s")


def _summarise_etl(results: list[EtlResult]) -> str:
    """Where the rows went (per table) and how their times were read: a user querying `logs` must be able
    to see that the Apache lines are in `apache_logs`, and how many events carry a guessed time."""
    done = [r for r in results if not r.skipped]
    clean = sum(r.manifest.clean_rows for r in done)
    quarantined = sum(r.manifest.quarantined_rows for r in done)
    duplicates = sum(r.manifest.duplicates for r in done)
    skipped = len(results) - len(done)
    tables: Counter[str] = Counter()
    times: Counter[str] = Counter()
    for r in done:
        tables.update(r.manifest.tables)
        times.update(r.manifest.time_sources)
    text = f"etl: {len(done)} raw objects → {clean:,} clean rows"
    if tables:
        text += " (" + ", ".join(f"{name} {count:,}" for name, count in sorted(tables.items())) + ")"
    text += f", {quarantined:,} quarantined"
    if duplicates:
        text += f", {duplicates:,} repeated events dropped"
    if skipped:
        text += f" ({skipped} already done)"
    guessed = {source: count for source, count in times.items() if source != "parsed" and count}
    if guessed:
        text += "; time not in the line, taken from " + ", ".join(
            f"the {TIME_SOURCE_WORDS.get(source, source)} for {count:,}" for source, count in sorted(guessed.items())
        )
    return text


def _etl_pending(
    config: Config, opened: Lake, workers: int | None, *, force: bool = False, document: dict[str, Any] | None = None
) -> None:
    """Run the ETL on every raw object without a committed run, not only on the ones this command wrote:
    an interrupted earlier run leaves pending objects that would otherwise stay unqueryable.

    With `document` (--format json) the summary goes into it as "etl" and it is printed, once, before an
    error of the run is raised."""
    from loglake.cli.progress import etl_objects
    from loglake.lake.raw_zone import list_raw_objects

    keys = list(list_raw_objects(opened.store)) if force else pending_raw_objects(opened)
    if not keys:
        if document is None:
            out.print("etl: nothing to do, every raw object has been processed")
        else:
            print_json({**document, "etl": etl_summary([], 0.0)})
        return
    if any(rule.mode == "hash" for rule in config.etl.redact):
        from loglake.transform.redaction import hash_key

        hash_key()  # a missing or short key is one error for the run, not one per raw object
    started = time.perf_counter()
    run = etl_objects(opened, keys, config.etl, err, workers=workers, force=force)
    if document is None:
        out.print(f"{_summarise_etl(run.results)} in {time.perf_counter() - started:.2f} s")
    else:
        print_json({**document, "etl": etl_summary(run.results, time.perf_counter() - started)})
    error = run.error()
    if error is not None:  # after the others were processed and summarised
        raise error


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, globs (quote them), or - for stdin.")],
    lake: LakeOption = None,
    log_group: Annotated[str | None, typer.Option(help="Log group for these files (default: local).")] = None,
    multiline_start: Annotated[
        str | None, typer.Option(help="Regex: a line starts an event iff it matches (replaces the trace rule).")
    ] = None,
    hold_partial_line: Annotated[
        bool, typer.Option(help="Leave an unterminated last line for the next run (live files).")
    ] = False,
    refile: Annotated[
        bool, typer.Option(help="Ingest files already filed under another log group again (their events count twice).")
    ] = False,
    flush_partial: Annotated[
        bool, typer.Option(help="Write a trailing partial container line now, not when its last part arrives.")
    ] = False,
    etl: Annotated[bool, typer.Option(help="Run the ETL on every pending raw object.")] = True,
    workers: Annotated[int | None, typer.Option(help="Raw objects processed side by side.")] = None,
    output: FormatOption = "table",
    follow: Annotated[
        bool, typer.Option("--follow", "-F", help="Keep reading as tail -F does (rotation, truncation); Ctrl-C ends.")
    ] = False,
    flush_seconds: Annotated[float, typer.Option(help="With --follow: write and ETL new lines this often.")] = 5.0,
    flush_events: Annotated[int, typer.Option(help="With --follow: or as soon as this many lines wait.")] = 10_000,
    rotate_wait: Annotated[
        float, typer.Option(help="With --follow: seconds a renamed file is still read before it is closed.")
    ] = 5.0,
) -> None:
    """Read log files into the raw zone (resuming where the last run stopped), then run the ETL.

    --follow keeps reading them (and stdin) until Ctrl-C, which writes the last lines and runs the ETL."""
    check_format(output)
    if follow and output != "table":
        raise typer.BadParameter("--follow prints a line per flush; --format json is for a one-off ingest")
    config, opened = _open(lake, create=True)
    options = FileSourceOptions(
        log_group=log_group or config.ingest.get("log_group", "local"),
        boundary=EventBoundary.from_regex(multiline_start or config.ingest.get("multiline_start") or None),
        hold_partial_line=hold_partial_line or follow,
        refile=refile,
        flush_partial=flush_partial,
        **({"batch_events": flush_events} if follow else {}),
    )
    from loglake.cli.progress import ingest_files

    source = FileSource(opened.store, options)
    if follow:
        _follow(
            config,
            opened,
            source,
            paths,
            FollowOptions(flush_seconds, flush_events, rotate_wait_seconds=rotate_wait),
            workers,
        )
        return
    files = expand_paths(paths)
    refusals = [reason for path in files if (reason := source.refusal(path))]
    if refusals:  # before anything is read, so a refused command changes nothing
        more = f" ({len(refusals) - 1} more files likewise)" if len(refusals) > 1 else ""
        raise ConfigError(refusals[0] + more)
    started = time.perf_counter()
    reports = ingest_files([(source, path) for path in files], err)
    if output == "json":
        document: dict[str, Any] = {
            "lake": opened.store.uri,
            "files": [
                {"path": r.path, "events": r.events, "bytes": r.bytes, "objects": len(r.objects), "note": r.note}
                for r in reports
            ],
            "events": sum(r.events for r in reports),
            "seconds": round(time.perf_counter() - started, 3),
        }
        if etl:
            _etl_pending(config, opened, workers, document=document)
        else:
            print_json({**document, "etl": None})
        return
    for report in reports:
        note = f" ({report.note})" if report.note else ""
        out.print(
            f"{escape(report.path)}: {report.events:,} events, {report.bytes:,} bytes, "
            f"{len(report.objects)} objects{note}"
        )
    out.print(
        f"ingest: {sum(r.events for r in reports):,} events into {escape(opened.store.uri)} "
        f"in {time.perf_counter() - started:.2f} s"
    )
    if etl:
        _etl_pending(config, opened, workers)


def _follow(
    config: Config,
    opened: Lake,
    source: FileSource,
    patterns: list[str],
    options: FollowOptions,
    workers: int | None,
) -> None:
    """`ingest --follow`: a file named but not there yet is waited for, as tail -F does; Ctrl-C (or SIGTERM)
    ends with a last flush and an ETL run on everything pending."""
    import signal
    import threading

    from loglake.sources.follow import Flush
    from loglake.sources.follow import follow as follow_files

    paths: list[str] = []
    for pattern in patterns:
        waited = pattern != "-" and not any(ch in pattern for ch in "*?[") and not Path(pattern).expanduser().exists()
        paths.extend([str(Path(pattern).expanduser())] if waited else expand_paths([pattern]))
    refusals = [reason for path in paths if Path(path).is_file() and (reason := source.refusal(path))]
    if refusals:
        raise ConfigError(refusals[0])
    stop = threading.Event()

    def finish(signum: int, _frame: object) -> None:
        stop.set()
        signal.signal(signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler)

    previous = {sig: signal.signal(sig, finish) for sig in (signal.SIGINT, signal.SIGTERM)}

    def show(flush: Flush) -> None:
        moved = ", ".join(
            f"{escape(Path(r.path).name if r.path != '-' else 'stdin')} {r.events:,}" for r in flush.reports if r.events
        )
        where = f" ({moved})" if moved else ""
        out.print(f"follow ({flush.reason}): {flush.events:,} events{where}; {_summarise_etl(flush.etl.results)}")

    err.print(
        f"following {', '.join(escape(p) for p in paths)} into {escape(opened.store.uri)}: a flush every "
        f"{options.flush_seconds:g} s or {options.flush_events:,} lines; Ctrl-C writes the last lines and stops",
        soft_wrap=True,
    )
    started = time.perf_counter()
    try:
        summary = follow_files(opened, source, paths, config.etl, stop, options, on_flush=show, workers=workers)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    out.print(
        f"follow: {summary.events:,} events in {summary.flushes} flushes, {summary.objects} raw objects, "
        f"{summary.rotations} rotations, {summary.truncations} truncations in {time.perf_counter() - started:.1f} s"
    )


@app.command("etl")
def etl_command(
    lake: LakeOption = None,
    force: Annotated[bool, typer.Option(help="Re-run every raw object, also those already done (re-drive).")] = False,
    output_format: Annotated[
        str | None,
        typer.Option(
            "--output-format",
            help=f"One of {', '.join(clean_formats.FORMATS)} (default: {clean_formats.DEFAULT_FORMAT}).",
        ),
    ] = None,
    table_format: Annotated[
        str | None,
        typer.Option(
            "--table-format", help="hive or iceberg, for tables this run creates (default: hive; docs/lake-layout.md)."
        ),
    ] = None,
    workers: Annotated[int | None, typer.Option(help="Raw objects processed side by side.")] = None,
    output: FormatOption = "table",
) -> None:
    """Run the ETL on raw objects that have none yet (or on all of them with --force)."""
    check_format(output)
    config, opened = _open(lake)
    document = {"lake": opened.store.uri} if output == "json" else None
    settings = config.with_etl(output_format=output_format, table_format=table_format)
    _etl_pending(settings, opened, workers, force=force, document=document)


def _parse_time(value: str | None, name: str) -> int | None:
    """ISO 8601 (UTC if no zone) or epoch milliseconds."""
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{name} must be ISO 8601 (2026-11-26T10:00:00Z) or epoch ms, not {value!r}") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000)


@app.command()
def collect(
    log_groups: Annotated[list[str], typer.Argument(help="Log group names, or prefixes ending in '*' (quote them).")],
    lake: LakeOption = None,
    start: Annotated[
        str | None, typer.Option(help="Backfill from (ISO 8601 or epoch ms) instead of the checkpoint.")
    ] = None,
    end: Annotated[str | None, typer.Option(help="Backfill up to (ISO 8601 or epoch ms) instead of now.")] = None,
    overlap_minutes: Annotated[int, typer.Option(help="Re-read this much of the recent past for late events.")] = 15,
    slice_minutes: Annotated[int, typer.Option(help="Time slice per raw object (divides a day).")] = 15,
    calls_per_second: Annotated[float, typer.Option(help="Client-side limit on CloudWatch API calls.")] = 5.0,
    max_attempts: Annotated[int, typer.Option(help="Attempts per API call (retries back off with jitter).")] = 8,
    etl: Annotated[bool, typer.Option(help="Run the ETL on every pending raw object.")] = True,
    workers: Annotated[int | None, typer.Option(help="Raw objects processed side by side.")] = None,
) -> None:
    """Pull CloudWatch Logs into the raw zone, incrementally from the checkpoint or over --start/--end."""
    from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions, CollectReport

    config, opened = _open(lake, create=True)
    options = CollectorOptions(
        log_groups=tuple(log_groups),
        start_ms=_parse_time(start, "--start"),
        end_ms=_parse_time(end, "--end"),
        slice_ms=slice_minutes * 60_000,
        overlap_ms=overlap_minutes * 60_000,
        calls_per_second=calls_per_second,
        max_attempts=max_attempts,
    )
    started = time.perf_counter()
    with err.status("collecting") as status, recording(opened.store, "collect") as figures:

        def show(report: CollectReport) -> None:
            status.update(
                f"collecting: {report.groups} groups, {len(report.streams)} streams, {report.events:,} events, "
                f"{report.bytes / 1e6:.1f} MB, {report.api_calls} API calls"
            )

        report = CloudWatchCollector(opened.store, options).collect(show)
        figures.update(collect_figures(report))
    out.print(
        f"collect: {report.groups} log groups, {len(report.streams)} streams, {report.events:,} events, "
        f"{len(report.written)} raw objects written ({report.bytes / 1e6:.1f} MB; {report.unchanged} unchanged), "
        f"{report.api_calls} API calls "
        f"in {time.perf_counter() - started:.2f} s"
    )
    if etl:
        _etl_pending(config, opened, workers)


@app.command("import-export")
def import_export_command(
    location: Annotated[str, typer.Argument(help="s3://bucket/prefix of a CreateExportTask output.")],
    log_group: Annotated[str, typer.Option(help="The log group the export was made from.")],
    kind: Annotated[
        str, typer.Option(help="export (CloudWatch Logs export) or cloudtrail (CloudTrail log files, AWSLogs/...).")
    ] = "export",
    lake: LakeOption = None,
    etl: Annotated[bool, typer.Option(help="Run the ETL on every pending raw object.")] = True,
    workers: Annotated[int | None, typer.Option(help="Raw objects processed side by side.")] = None,
) -> None:
    """Backfill from a CloudWatch Logs export in S3, or import CloudTrail log files (one event per record)."""
    from loglake.sources.cloudwatch_export import import_export

    config, opened = _open(lake, create=True)
    started = time.perf_counter()
    with err.status("importing"):
        report = import_export(opened.store, location, log_group, kind=kind)
    out.print(
        f"import-export: {report.objects_read} export objects, {report.events:,} events, "
        f"{len(report.written)} raw objects in {time.perf_counter() - started:.2f} s"
    )
    if etl:
        _etl_pending(config, opened, workers)
    if refused := report.refusal_message():  # after the others were imported and processed
        raise ExportError(refused)


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the file.")] = Path("loglake.toml"),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented loglake.toml."""
    from loglake.config import TEMPLATE

    if path.exists() and not force:
        raise ConfigError(f"{path} exists; keep it, or overwrite it with `loglake init --force {path}`")
    path.write_text(TEMPLATE)
    out.print(f"wrote {escape(str(path))}")


@app.command()
def query(
    sql: Annotated[str | None, typer.Argument(help="One read-only query, in Athena (Trino) SQL.")] = None,
    saved: Annotated[str | None, typer.Option(help="Run a saved query instead (see `loglake saved`).")] = None,
    param: Annotated[list[str] | None, typer.Option(help="name=value for the saved query (repeatable).")] = None,
    lake: LakeOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.")] = "table",
    dialect: Annotated[str, typer.Option(help="athena (translated to DuckDB) or duckdb (run as is).")] = "athena",
    engine: EngineOption = "duckdb",
    explain: Annotated[
        bool, typer.Option(help="Show the partitions, files and bytes it would read; do not run.")
    ] = False,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Also save the result (.parquet, .csv, .json); never cut.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(help=f"Rows the table shows (default: {TABLE_ROW_LIMIT:,}); csv, json and --out are never cut."),
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Show every row of the table.")] = False,
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Run SQL over the lake: every clean table is a view of its name (logs by default), plus quarantine.

    --since/--until keep, in every lake table the query reads, only the rows in the range (partition
    pruning on dt/hour plus the exact timestamp)."""
    period = time_range(since, until)
    if output not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    if limit is not None and limit < 1:
        raise typer.BadParameter(f"--limit must be 1 or more, not {limit} (--all shows every row)")
    if limit is not None and show_all:
        raise typer.BadParameter("give either --limit N or --all")
    if output != "table" and (limit is not None or show_all):
        raise typer.BadParameter(
            f"--limit and --all cut only the table; --format {output} prints every row (use LIMIT in the SQL)"
        )
    shown = None if show_all else (limit or TABLE_ROW_LIMIT)
    if dialect not in ("athena", "duckdb"):
        raise typer.BadParameter("--dialect must be athena or duckdb")
    if (sql is None) == (saved is None):
        raise typer.BadParameter("give either SQL or --saved NAME")
    if saved is not None:
        from loglake.query.saved_queries import parse_params, saved_query

        sql = saved_query(saved, parse_params(param or []))
    assert sql is not None
    config, opened = _open(lake)
    if explain:
        from dataclasses import asdict

        from loglake.query.explain import explain as plan_scan
        from loglake.query.explain import render_plan

        if output == "csv":
            raise typer.BadParameter("--explain prints a table or json, not csv")
        with DuckDBEngine(opened.store) as local:
            plans = plan_scan(local, sql, period)
        if output == "json":
            print_json({"plans": [asdict(plan) for plan in plans], "time_range": period and period.as_dict()})
        else:
            sys.stdout.write(render_plan(plans))
        return
    if period is not None and saved is not None:
        sql = saved_query(saved, parse_params(param or []), period)  # its own tables, whether the lake has them
    elif period is not None:
        sql = _ranged(sql, period, opened, dialect)
    runner = _engine(engine, config, opened)
    hint = None
    try:
        result = runner.query(sql, dialect=dialect)
        if dialect == "athena" and is_empty_answer(result):
            from loglake.catalog.duckdb_views import clean_tables
            from loglake.query.dialect import referenced_tables

            hint = empty_answer_hint(runner, sql, referenced_tables(sql), clean_tables(opened.store))
    finally:
        runner.close()
    sys.stdout.write(render(result, output, limit=shown))
    cut = output == "table" and shown is not None and len(result.rows) > shown
    if output == "table" and not cut and (bars := histogram(result)) is not None:
        sys.stdout.write("\n" + bars)
    if out_file is not None:
        write_result(result, out_file)
        err.print(f"saved {len(result.rows):,} rows to {escape(str(out_file))}", soft_wrap=True)
    elif cut:
        assert shown is not None
        err.print(escape(rows_not_shown_hint(len(result.rows), shown)), soft_wrap=True)
    _print_stats(result)
    if hint:
        err.print(escape(hint), soft_wrap=True)


def _ranged(sql: str, period: TimeRange, opened: Lake, dialect: str) -> str:
    """The query limited to the range; a query that reads no lake table is a usage error (exit 2)."""
    from loglake.catalog.duckdb_views import clean_tables

    try:
        return apply_time_range(sql, period, clean_tables(opened.store), dialect=dialect)
    except TimeRangeError as exc:
        raise typer.BadParameter(str(exc)) from None


@app.command()
def saved(
    name: Annotated[str | None, typer.Argument(help="Run this saved query (default: list them).")] = None,
    param: Annotated[list[str] | None, typer.Option(help="name=value for the saved query (repeatable).")] = None,
    lake: LakeOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help=f"One of {', '.join(FORMATS)}.")] = "table",
    engine: EngineOption = "duckdb",
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """List the saved queries and their parameters, or run one (as `loglake query --saved NAME`).

    Every saved query takes --since/--until."""
    from loglake.query.saved_queries import SAVED_QUERIES

    if name is not None:
        query(
            sql=None, saved=name, param=param, lake=lake, output=output, dialect="athena", engine=engine,
            explain=False, out_file=None, limit=None, show_all=False, since=since, until=until,
        )  # fmt: skip
        return
    if output == "json":
        print_json(
            [
                {
                    "name": q.name,
                    "description": q.description,
                    "params": {n: {"kind": p.kind, "default": p.default, "help": p.help} for n, p in q.params.items()},
                }
                for q in SAVED_QUERIES.values()
            ]
        )
        return
    for saved_one in SAVED_QUERIES.values():
        params = ", ".join(f"{n}={p.default}" for n, p in saved_one.params.items()) or "none"
        out.print(f"[bold]{saved_one.name}[/] — {saved_one.description}\n  params: {escape(params)}")
    err.print("run one with `loglake saved NAME [--param k=v] [--since 1h] [--until ...]`")


@app.command()
def verify(
    lake: LakeOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    engine: EngineOption = "duckdb",
    since: SinceOption = None,
    until: UntilOption = None,
) -> None:
    """Check, with SQL, that clean + quarantined = distinct raw events for every raw object. Exit 1 if not.

    --since/--until check only the raw objects holding an event in the range (each one whole)."""
    check_format(output)
    period = time_range(since, until)
    config, opened = _open(lake)
    runner = _engine(engine, config, opened)
    try:
        report = check_conservation(runner, opened.store, on_athena=engine == "athena", time_range=period)
    finally:
        runner.close()
    if output == "json":
        print_json({**report.as_dict(), **({"time_range": period.as_dict()} if period else {})})
    else:
        for check in report.objects:
            if check.status not in ("ok", "pending"):
                out.print(
                    f"[red]{check.status}[/]: {escape(check.raw_object)} raw={check.raw_events} "
                    f"clean={check.clean_events} quarantined={check.quarantined_events}"
                )
        totals = report.totals()
        verdict = "[green]OK[/]" if report.ok else "[red]FAILED[/]"
        scope = f" with events in {period.describe()}" if period else ""
        out.print(
            f"{verdict} {len(report.objects)} raw objects{scope}: {totals['raw_events']:,} raw events = "
            f"{totals['clean_events']:,} clean + {totals['quarantined_events']:,} quarantined"
        )
    pending = [check.raw_object for check in report.objects if check.status == "pending"]
    if pending:
        shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
        err.print(
            f"{len(pending)} raw objects are pending (not processed by the ETL, so not queryable yet): "
            f"{escape(shown)}; run `loglake etl{_lake_flag(lake)}`",
            soft_wrap=True,
        )
    for check in report.objects:
        if check.status == "unreadable":  # --force would fail again: the object itself must be restored
            err.print(
                f"unreadable raw object {escape(check.raw_object)}: {escape(check.reason)}; {FIX}", soft_wrap=True
            )
    broken = [check for check in report.objects if check.status not in ("ok", "pending", "unreadable")]
    if broken:
        err.print(
            f"{len(broken)} raw objects do not reconcile; re-run their ETL with `loglake etl --force{_lake_flag(lake)}`"
            " (see docs/troubleshooting.md)",
            soft_wrap=True,
        )
    if not report.ok:
        raise typer.Exit(1)


@app.command()
def status(
    lake: LakeOption = None,
    since: Annotated[
        str, typer.Option(help="Count quarantine over events from this long ago (24h, 15m, 2d) or this ISO time.")
    ] = "24h",
    until: UntilOption = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table, json or prometheus.")] = "table",
    engine: EngineOption = "duckdb",
) -> None:
    """How the pipeline is doing: each log group's newest event and lag, pending and unreadable raw objects,
    quarantine by reason over --since, and the last collect/etl/compaction runs."""
    from loglake.query import status as lake_status

    if output not in ("table", "json", "prometheus"):
        raise typer.BadParameter("--format must be table, json or prometheus")
    now = datetime.now(UTC)
    try:
        window = TimeRange.parse(since, until, now=now)
    except TimeRangeError as exc:
        raise typer.BadParameter(str(exc)) from None
    assert window is not None and window.since is not None
    config, opened = _open(lake)
    runner = _engine(engine, config, opened)
    try:
        report = lake_status.lake_status(opened, runner, window.since, window.until or now, now)
    finally:
        runner.close()
    render = {"json": lake_status.render_json, "prometheus": lake_status.render_prometheus}
    sys.stdout.write(render.get(output, lake_status.render_text)(report))
    if report.pending:
        err.print(
            f"{len(report.pending)} raw objects are pending (not processed by the ETL, so not queryable yet); "
            f"run `loglake etl{_lake_flag(lake)}`",
            soft_wrap=True,
        )
    if report.unreadable:
        err.print(f"{len(report.unreadable)} raw objects are set aside as unreadable; {FIX}", soft_wrap=True)
    for kind, run in sorted(report.runs.items()):
        if not run.ok:
            err.print(f"the last {kind} run failed: {escape(run.error)}", soft_wrap=True)


def _lake_flag(lake: str | None) -> str:
    """The --lake part of a command to suggest, as the user gave it."""
    return f" --lake {lake}" if lake else ""


@app.command()
def compact(
    lake: LakeOption = None,
    table: Annotated[list[str] | None, typer.Option(help="Only this clean table (repeatable; default: all).")] = None,
    older_than: Annotated[
        str, typer.Option("--older-than", help="Only hours that ended at least this long ago (30m, 1h, 2d).")
    ] = "1h",
    target_size: Annotated[
        str,
        typer.Option("--target-size", help="Size of the files written (128MB, 1GiB); an hour below it is one file."),
    ] = "128MB",
    grace: Annotated[
        str, typer.Option(help="Replaced files are deleted this long after (a query that listed them reads them).")
    ] = "1h",
    rewrite_stale: Annotated[
        bool,
        typer.Option(
            "--rewrite-stale",
            help="Rewrite every hour of a table an earlier loglake wrote with another `timestamp` type; then retype.",
        ),
    ] = False,
    not_read_by_athena: Annotated[
        bool,
        typer.Option(
            NOT_READ_FLAG,
            help="Athena does not read this S3 lake: compact its hive tables without asking Glue (Athena reads "
            "a hive table's whole hour, so it would count compacted events twice until the replaced files go).",
        ),
    ] = False,
    database: Annotated[
        str | None,
        typer.Option(
            help="Glue database Athena reads the lake through (default: $LOGLAKE_GLUE_DATABASE, then loglake.toml's "
            "athena database, then loglake): a hive table registered there is not compacted. Only this database "
            "is checked."
        ),
    ] = None,
) -> None:
    """Rewrite the small clean files of closed hours into large ones; queries count every event once throughout
    (on Athena, for Iceberg tables only: a hive table Athena reads is refused, docs/lake-layout.md)."""
    from loglake.catalog.duckdb_views import clean_tables
    from loglake.lake.compaction import compact as run_compaction
    from loglake.lake.compaction import parse_duration, parse_size

    if database is not None:
        checked_database(database)
    older_than_s = parse_duration(older_than, "--older-than")
    target = parse_size(target_size, "--target-size")
    grace_s = parse_duration(grace, "--grace")
    config, opened = _open(lake)
    known = clean_tables(opened.store)
    for name in table or []:
        if name not in known:
            raise ConfigError(f"no clean table {name!r}; tables: {', '.join(known)} (see loglake tables)")
    given = [("--table", name) for name in table or []]  # the user's options, for the commands suggested
    given += [("--database", database)] if database else []
    options = {"--older-than": (older_than, "1h"), "--target-size": (target_size, "128MB"), "--grace": (grace, "1h")}
    given += [(flag, value) for flag, (value, default) in options.items() if value != default]
    given += [("--rewrite-stale", "")] if rewrite_stale else []

    def command(**changed: str) -> str:
        """The user's compact command, `changed` options replaced: --grace as grace=..."""
        flags = [(f, changed.pop(f[2:].replace("-", "_"), v)) for f, v in given]
        flags += [(f"--{name.replace('_', '-')}", value) for name, value in changed.items()]
        return f"loglake compact{_lake_flag(lake)}" + "".join(
            f" {flag}" + (f" {shlex.quote(value)}" if value else "") for flag, value in flags
        )

    # S3 Tables maintains its tables itself (lake/iceberg.py), before any other check: one named is refused,
    # the others are compacted without them
    for name in table or []:
        refuse_maintenance(opened.store, name, "loglake compact")
    managed = [] if table else [name for name in known if in_s3tables(opened.store, name)]
    if managed:
        err.print(f"left to S3 Tables, which compacts them itself: {', '.join(managed)}", soft_wrap=True)
        known = [name for name in known if name not in managed]
    if not rewrite_stale:
        _check_iceberg_grace(opened, config.lake, table or known, grace_s, grace, command(grace="15m"))
    if not not_read_by_athena:
        _check_athena(
            opened, config.lake, table or known, glue_database(database, config.athena), grace_s, grace, command()
        )
    if rewrite_stale:
        _rewrite_stale(opened, table or known, target, grace_s, lake)
        return
    with recording(opened.store, "compaction") as figures:  # the last run, for `loglake status`
        report = run_compaction(
            opened.store, table or known, older_than_s=older_than_s, target_bytes=target, grace_s=grace_s
        )
        figures.update(report.totals())
    totals = report.totals()
    out.print(
        f"compacted {totals['partitions']} table-hours: {totals['inputs']:,} files into {totals['outputs']:,} "
        f"({totals['rows']:,} rows); deleted {totals['deleted']:,} replaced files"
    )
    if totals["busy"]:
        err.print(
            f"{totals['busy']} table-hours were being compacted by another run and were left to it; "
            f"run `loglake compact{_lake_flag(lake)}` again later",
            soft_wrap=True,
        )
    conflicts = sum(1 for p in report.partitions if p.status == "conflict")
    if conflicts:
        err.print(
            f"{conflicts} table-hours changed while they were compacted (an ETL re-run) and were left as they were; "
            f"run `loglake compact{_lake_flag(lake)}` again",
            soft_wrap=True,
        )
        raise typer.Exit(1)


def _check_iceberg_grace(
    opened: Lake, lake_uri: str, tables: list[str], grace_s: float, grace: str, fixed: str
) -> None:
    """On an S3 lake, the ETL's Lambdas write an Iceberg table's data files up to MIN_GRACE_S before they commit
    them, and expiry deletes an uncommitted file once the time in its name is older than the grace: with less,
    it could delete a file a commit then references (the stack's maintenance has the same floor). A local lake
    keeps any grace: its ETL runs are the user's own, whom --grace 0 asks to run none meanwhile."""
    from loglake.lake.iceberg import is_iceberg
    from loglake.lake.iceberg_athena import MIN_GRACE_S

    if not lake_uri.startswith("s3://") or grace_s >= MIN_GRACE_S:
        return
    names = [name for name in tables if is_iceberg(opened.store, name)]
    if names:
        raise ConfigError(
            f"--grace {grace} is under {MIN_GRACE_S} s for the Iceberg table{'s' if len(names) > 1 else ''} "
            f"{', '.join(names)} of an S3 lake: expiry would delete data files an ETL invocation (up to "
            f"{MIN_GRACE_S} s) has written but not committed yet, and its commit would then reference missing "
            f"files; nothing was compacted: run `{fixed}`"
        )


def _check_athena(
    opened: Lake, lake_uri: str, tables: list[str], database: str, grace_s: float, grace: str, command: str
) -> None:
    """compact's Athena guard (catalog/athena_guard.py). Refused, it still deletes what earlier compactions
    replaced, past the grace: Athena counts those files twice, and this is the only run that deletes them."""
    from loglake.lake.compaction import collect

    try:
        check_not_read_by_athena(lake_uri, tables, database, command)
    except AthenaReadsTableError as refused:
        done = collect(opened.store, tables, grace_s)
        said = [f"{refused}. Nothing was compacted"]
        if done.deleted:
            said.append(f"it deleted {done.deleted:,} files earlier compactions replaced, which Athena counted twice")
        if done.waiting:
            said.append(
                f"{done.waiting:,} more such files are within the grace (or wait for a re-drive): `{command}` "
                f"deletes them once --grace ({grace}) has passed"
            )
        if done.busy:
            said.append(f"{done.busy:,} table-hours were held by another run and were left to it")
        raise AthenaReadsTableError("; ".join(said)) from None


def _rewrite_stale(opened: Lake, tables: list[str], target: int, grace_s: float, lake: str | None) -> None:
    """`compact --rewrite-stale`: each stale table rewritten hour by hour, retyped once all are."""
    from loglake.lake.compaction import rewrite_stale

    for name in tables:
        report = rewrite_stale(opened.store, name, target_bytes=target, grace_s=grace_s)
        if not report.partitions:
            continue  # not stale
        left = [p.partition for p in report.partitions if p.status not in ("compacted", "nothing")]
        if left:
            raise StaleTableError(
                f"{len(left)} of {len(report.partitions)} hours of {name} were busy or changed while rewritten "
                f"(first {left[0]}); its type is unchanged and it stays refused: run "
                f"`loglake compact{_lake_flag(lake)} --table {name} --rewrite-stale` again"
            )
        totals = report.totals()
        out.print(
            f"rewrote {name}: {len(report.partitions)} table-hours, {totals['inputs']:,} files into "
            f"{totals['outputs']:,} ({totals['rows']:,} rows); its `timestamp` now has the current type"
        )


@app.command()
def tables(lake: LakeOption = None, output: FormatOption = "table") -> None:
    """List the clean tables and their columns, with each column's type and where it comes from."""
    check_format(output)
    _config, opened = _open(lake)
    registry = SchemaRegistry(opened.store)
    names = sorted(registry.tables())
    if output == "json":
        print_json({"tables": [_table_document(registry, name) for name in names]})
        return
    if not names:
        out.print("no tables yet: run `loglake ingest FILE` first")
    for name in names:
        schema = registry.get(name)
        assert schema is not None
        out.print(f"[bold]{name}[/] ({len(schema.columns)} columns, formats: {', '.join(schema.formats)})")
        if (cap := schema.column_cap) is not None:
            out.print(
                f"  keys past max_columns ({cap.max_columns}), or holding a redacted value, are in JSON column "
                f"{cap.column} (since version {cap.version}, {escape(cap.by)})"
            )
        for column in schema.columns:
            widened = " (widened)" if len(column.history) > 1 else ""
            out.print(f"  {column.name:<32} {column.type:<10} {escape(column.source)}{widened}")


def _table_document(registry: SchemaRegistry, name: str) -> dict[str, Any]:
    schema = registry.get(name)
    assert schema is not None
    cap = schema.column_cap
    return {
        "name": name,
        "formats": list(schema.formats),
        "extra_column": None if cap is None else {"column": cap.column, "max_columns": cap.max_columns},
        "columns": [
            {"name": c.name, "type": c.type, "source": c.source, "widened": len(c.history) > 1} for c in schema.columns
        ],
    }


@app.command()
def search(
    pattern: Annotated[str, typer.Argument(help="Text to find, or /regex/ (/regex/i ignores case).")],
    lake: LakeOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    group: Annotated[
        list[str] | None, typer.Option(help="Only this log group, or a glob such as '/aws/lambda/*' (repeatable).")
    ] = None,
    table: Annotated[list[str] | None, typer.Option(help="Only this clean table (repeatable; default: all).")] = None,
    column: Annotated[
        list[str] | None, typer.Option(help="Search this column instead of message (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Newest matches shown.")] = 100,
    ignore_case: Annotated[bool, typer.Option("--ignore-case", "-i", help="Match regardless of case.")] = False,
    index: Annotated[bool, typer.Option(help="Use the skip index to leave out files without the term.")] = True,
    output: FormatOption = "table",
) -> None:
    """Find events whose message matches, newest first, like `filter @message like /x/` in Logs Insights.

    Only the files that can hold a match are read: the partitions in --since/--until, less the files whose
    skip index lacks the pattern's words."""
    from loglake.cli.terminal import print_matches
    from loglake.query.search import Pattern
    from loglake.query.search import search as run_search

    check_format(output)
    if limit < 1:
        raise typer.BadParameter(f"--limit must be 1 or more, not {limit}")
    period = time_range(since, until)
    _config, opened = _open(lake)
    found = Pattern.parse(pattern, ignore_case=ignore_case)
    result = run_search(
        opened.store, found, columns=column, tables=table, groups=group, time_range=period, limit=limit, use_index=index
    )
    if output == "json":
        print_json({"pattern": pattern, "time_range": period and period.as_dict(), **result.as_dict()})
    else:
        print_matches(result, found, out, err)


@app.command()
def ddl(
    table: Annotated[
        str | None, typer.Argument(help="One clean table (default: all, plus raw and quarantine).")
    ] = None,
    lake: LakeOption = None,
    location: Annotated[
        str | None, typer.Option(help="s3://bucket/prefix/ of the lake as Athena sees it (default: the lake's).")
    ] = None,
    database: Annotated[str | None, typer.Option(help="Qualify tables with this Glue database.")] = None,
    since_version: Annotated[
        int | None, typer.Option(help="Print only what changed since this registry version (ALTER TABLE).")
    ] = None,
) -> None:
    """Print Athena DDL generated from the schema registry: tables with partition projection."""
    from loglake.catalog import athena_ddl
    from loglake.lake import iceberg_athena
    from loglake.lake.iceberg import is_iceberg, s3tables_marker
    from loglake.lake.iceberg import namespace as iceberg_namespace

    if database is not None:
        checked_database(database)
    config, opened = _open(lake)
    where = location or config.lake
    registry = SchemaRegistry(opened.store)
    names = [table] if table else sorted(registry.tables())
    statements: list[str] = []
    for name in names:
        schema = registry.get(name)
        if schema is None:
            known = ", ".join(sorted(registry.tables())) or "none yet"
            raise ConfigError(f"no table {name!r} in this lake (tables: {known}); see `loglake tables`")
        marker = s3tables_marker(opened.store, name)  # from the marker: a CLI opened without the table bucket too
        if marker is not None:  # Athena reads it through the s3tablescatalog federation
            bucket = str(marker.get("table_bucket_arn", "")).rsplit("/", 1)[-1]
            statements.append(
                f"-- {name} lives in S3 Tables: no DDL; Athena reads it as "
                f'"s3tablescatalog/{bucket}"."{iceberg_namespace(opened.store)}"."{name}" once the table bucket '
                "is integrated with AWS analytics services (the Glue federation, docs/deploy.md)"
            )
            continue
        if is_iceberg(opened.store, name):  # CREATE TABLE ... 'table_type' = 'ICEBERG'; never a DROP TABLE
            statements.append(
                iceberg_athena.table_ddl(schema, where, database)
                if since_version is None
                else f"-- {name} is an Iceberg table: each ETL commit changes its schema in the catalog"
            )
            continue
        if since_version is None:
            statements.append(athena_ddl.clean_table_ddl(schema, where, database))
            continue
        changes = athena_ddl.schema_changes_ddl(schema, since_version, database)
        statements += changes
        if any("DROP TABLE" in change for change in changes):
            statements.append(athena_ddl.clean_table_ddl(schema, where, database))
    if table is None and since_version is None:
        statements.append(athena_ddl.raw_table_ddl(where, database))
        statements.append(
            athena_ddl.quarantine_table_ddl(where, database, athena_ddl.earliest_quarantine_dt(opened.store))
        )
    sys.stdout.write("\n\n".join(statements) + ("\n" if statements else "-- no changes\n"))


catalog_app = typer.Typer(help="The Glue Data Catalog.", cls=PlainHelpGroup, no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("sync")
def catalog_sync(
    lake: LakeOption = None,
    location: Annotated[str | None, typer.Option(help="s3://bucket/prefix/ of the lake (default: the lake's).")] = None,
    database: Annotated[
        str | None,
        typer.Option(
            help="Glue database (default: $LOGLAKE_GLUE_DATABASE, then loglake.toml's athena database, then loglake)."
        ),
    ] = None,
    partitions: Annotated[bool, typer.Option(help="Also register the dt/hour partitions found in the lake.")] = False,
) -> None:
    """Create or update the Glue database and tables from the schema registry (idempotent)."""
    from loglake.catalog.glue_sync import GlueCatalog

    if database is not None:
        checked_database(database)  # before the lake is opened (on S3, an AWS call)
    config, opened = _open(lake)
    name = glue_database(database, config.athena)
    report = GlueCatalog(name).sync(
        opened.store, location or config.lake, partitions=partitions, raw_location=config.raw
    )
    out.print(
        f"catalog {escape(name)}: created {report.created or 'none'}, updated {report.updated or 'none'}, "
        f"unchanged {report.unchanged or 'none'}"
        + (f", {report.partitions_added} partitions added" if partitions else "")
    )


@app.command()
def serve(
    lake: LakeOption = None,
    engine: EngineOption = "duckdb",
    host: Annotated[str, typer.Option(help="Address to listen on (another than 127.0.0.1 exposes the lake).")] = (
        "127.0.0.1"
    ),
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: 8765, or the next free one; 0: any free port).")
    ] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the console in the default browser.")] = False,
) -> None:
    """A web console for the lake: query, events over time, search, tables, quarantine and health.

    Prints a URL with a random token (every request needs it); stop it with Ctrl-C."""
    from loglake.console.launch import serve_console

    if engine not in ("duckdb", "athena"):
        raise typer.BadParameter("--engine must be duckdb or athena")
    _config, opened = _open(lake)
    serve_console(opened, engine, lambda: load_config(lake), host, port, open_browser, out.print)


@app.command()
def demo(
    folder: Annotated[
        Path, typer.Option("--dir", help="Demo folder for the generated logs (recreated on each run).")
    ] = Path("loglake-demo"),
    lake: Annotated[
        Path | None, typer.Option("--lake", help="The demo's lake (recreated on each run; default: DIR/lake).")
    ] = None,
    events: Annotated[int, typer.Option(help="Events to generate (one simulated day).")] = 200_000,
    workers: Annotated[int | None, typer.Option(help="Raw objects processed side by side.")] = None,
) -> None:
    """Generate a day of logs from six services and run ingest → ETL → query → verify, with timings."""
    from loglake.demo.run import run_demo

    if not run_demo(folder, events, out, err, lake_path=lake, workers=workers):
        raise typer.Exit(1)


for _command in (deploy_commands.package, deploy_commands.template, deploy_commands.deploy, deploy_commands.destroy):
    app.command()(_command)


@app.command()
def version() -> None:
    """Print loglake's version."""
    out.print(__version__)


def main() -> None:
    """Every failure is one line on stderr: 1 when loglake could not do it, 2 when the command line is wrong."""
    from typer.exceptions import TyperException

    try:
        code = app(standalone_mode=False, prog_name="loglake")  # not "python -m loglake" in usage lines
    except LoglakeError as exc:
        _fail(str(exc), 1)
    except (typer.Abort, KeyboardInterrupt):
        code = 130
    except TyperException as exc:  # click's usage errors, as typer ships click
        ctx = getattr(exc, "ctx", None)
        path = ctx.command_path.split(" ", 1) if ctx is not None else []
        command = f" {path[1]}" if len(path) > 1 else ""
        if not exc.format_message().strip():  # `loglake` alone: the help was the answer, nothing went wrong
            sys.exit(getattr(exc, "exit_code", 2))
        _fail(f"{exc.format_message()} (see `loglake{command} --help`)", getattr(exc, "exit_code", 2))
    except Exception as exc:
        if type(exc).__module__.startswith("botocore"):
            _fail(_aws_message(exc), 1)
        raise
    if code == 130:  # typer turns Ctrl-C into exit code 130
        _fail("interrupted: nothing half-written is kept; run the command again to finish the work", 130)
    sys.exit(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    err.print(f"[red]error:[/] {escape(' '.join(message.split()))}", soft_wrap=True)
    sys.exit(code)


def _aws_message(exc: Exception) -> str:
    """AWS client set-up failures (no region, no credentials, unreachable endpoint) as what to do."""
    name = type(exc).__name__
    if name == "NoRegionError":
        return "no AWS region is configured: set AWS_REGION (`export AWS_REGION=us-east-1`) or run `aws configure`"
    if name in ("NoCredentialsError", "PartialCredentialsError"):
        return f"{exc}: set AWS credentials (environment, profile or role), see `aws configure`"
    return f"AWS call failed: {exc}"

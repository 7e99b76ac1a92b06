"""What several commands share at the terminal: --since/--until, --format table|json, and search's output.

`--format json` prints one JSON document on stdout and nothing else there (progress, notes and hints go
to stderr), so `loglake CMD --format json | jq` always parses.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from loglake.query.search import Pattern, SearchResult
from loglake.query.time_range import TimeRange, TimeRangeError
from loglake.transform.etl import EtlResult

SinceOption = Annotated[
    str | None,
    typer.Option(help="Only events from this time on: 15m, 1h, 2d (before now, UTC) or ISO 8601 (2026-11-29T10:00Z)."),
]
UntilOption = Annotated[
    str | None, typer.Option(help="Only events before this time (same forms as --since; excluded).")
]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table (for people) or json (one document).")]


def time_range(since: str | None, until: str | None) -> TimeRange | None:
    """The range the flags give; a value that is not a time is a usage error (exit 2) with an example."""
    try:
        return TimeRange.parse(since, until)
    except TimeRangeError as exc:
        raise typer.BadParameter(str(exc)) from None


def check_format(output: str, allowed: tuple[str, ...] = ("table", "json")) -> None:
    if output not in allowed:
        raise typer.BadParameter(f"--format must be {' or '.join(allowed)}, not {output!r}")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def print_json(document: Any) -> None:
    """The command's one JSON document on stdout."""
    sys.stdout.write(orjson.dumps(document, default=_default, option=orjson.OPT_INDENT_2).decode() + "\n")
    sys.stdout.flush()


def etl_summary(results: list[EtlResult], seconds: float) -> dict[str, Any]:
    """What `etl` (and ingest's ETL) did, as data: the same figures as the summary line."""
    done = [r for r in results if not r.skipped]
    tables: Counter[str] = Counter()
    times: Counter[str] = Counter()
    for r in done:
        tables.update(r.manifest.tables)
        times.update(r.manifest.time_sources)
    return {
        "raw_objects": len(done),
        "already_done": len(results) - len(done),
        "clean_rows": sum(r.manifest.clean_rows for r in done),
        "quarantined_rows": sum(r.manifest.quarantined_rows for r in done),
        "duplicates": sum(r.manifest.duplicates for r in done),
        "tables": dict(sorted(tables.items())),
        "time_sources": dict(sorted(times.items())),
        "seconds": round(seconds, 3),
    }


def highlighted(
    text: str, pattern: Pattern, style: str = "bold black on yellow", spans: list[tuple[int, int]] | None = None
) -> Text:
    """The text with each match styled (`spans`: found already); lines of a multi-line message stay lines."""
    shown = Text(text)
    for start, end in pattern.spans(text) if spans is None else spans:
        shown.stylize(style, start, end)
    return shown


def print_matches(result: SearchResult, pattern: Pattern, out: Console, err: Console) -> None:
    """One event per line: time, log group (and table when several were searched), the message highlighted."""
    several = len({row["table"] for row in result.rows}) > 1
    extra = [c for c in result.columns if c not in ("table", "timestamp", "log_group", "log_stream", "message")]
    texts = [[str(row[c]) if row[c] is not None else "" for c in ("message", *extra)] for row in result.rows]
    found = iter(pattern.spans_of([text for row_texts in texts for text in row_texts]))  # one DuckDB call
    for row, row_texts in zip(result.rows, texts, strict=True):
        when = row["timestamp"].isoformat(sep=" ", timespec="milliseconds") if row["timestamp"] else "-"
        line = Text(f"{when} ", style="dim")
        line.append(f"{row['log_group']}{' ' + row['table'] if several else ''} ", style="cyan")
        line.append_text(highlighted(row_texts[0], pattern, spans=next(found)))
        for column, text in zip(extra, row_texts[1:], strict=True):
            line.append(f"  {column}=", style="dim")
            line.append_text(highlighted(text, pattern, spans=next(found)))
        out.print(line, soft_wrap=True)
    plan = result.plan
    shown = len(result.rows)
    more = f" (newest {shown:,} shown: --limit N for more)" if result.matches > shown else ""
    index = (f"; {plan.skipped_by_index:,} skipped by the skip index" if plan.index_used else "") + (
        f", {plan.read_without_index:,} without an index read" if plan.read_without_index else ""
    )
    err.print(
        escape(
            f"search: {result.matches:,} matches{more}; read {plan.files_read:,} of {plan.files_in_range:,} files "
            f"in range ({plan.files_total:,} in the tables searched){index}; {plan.message_bytes_read:,} message "
            f"bytes in {result.seconds:.2f} s" + (f"; {plan.note}" if plan.note else "")
        ),
        soft_wrap=True,
    )

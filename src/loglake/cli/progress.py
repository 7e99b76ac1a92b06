"""Ingest and ETL with progress bars: shared by the commands and the demo."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)

from loglake.lake.open import Lake
from loglake.pipeline import EtlRun, run_etl_objects
from loglake.sources.local_files import FileReport, FileSource
from loglake.transform.etl import EtlResult
from loglake.transform.settings import EtlSettings


def ingest_files(sources: list[tuple[FileSource, str]], console: Console) -> list[FileReport]:
    """Ingest each (source, path); one bar over all bytes, since files can be big."""
    sizes = [0 if path == "-" else Path(path).stat().st_size for _source, path in sources]
    reports: list[FileReport] = []
    with Progress(
        TextColumn("[bold]ingest[/] {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("{task.fields[events]:,} events"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=sum(sizes) or None, events=0)
        for source, path in sources:
            progress.update(task, description=Path(path).name if path != "-" else "stdin")

            def advance(nbytes: int, nevents: int) -> None:
                progress.update(task, advance=nbytes, events=progress.tasks[0].fields["events"] + nevents)

            reports.append(source.ingest(path, advance))
    return reports


def etl_objects(
    lake: Lake, keys: list[str], settings: EtlSettings, console: Console, *, workers: int | None, force: bool = False
) -> EtlRun:
    """Every object is attempted; the run says which could not be processed (the caller reports them)."""
    if not keys:
        return EtlRun()
    with Progress(
        TextColumn("[bold]etl[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("objects"),
        TextColumn("{task.fields[rows]:,} rows"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("etl", total=len(keys), rows=0)

        def done(result: EtlResult) -> None:
            rows = result.manifest.clean_rows + result.manifest.quarantined_rows
            progress.update(task, advance=1, rows=progress.tasks[0].fields["rows"] + rows)

        return run_etl_objects(lake, keys, settings, on_done=done, workers=workers, force=force)

"""Clean output formats, one plug-in module each: how the ETL writes a table's files and how every
reader (DuckDB views, explain, Athena DDL, the Glue catalog) reads them back.

A format is an object with the OutputFormat interface below. Adding one is a new module in this package
plus its line in FORMATS; nothing else names a format. The lake's layout is in lake/clean_zone.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from loglake.errors import ConfigError
from loglake.lake.formats.jsonl import JSONL
from loglake.lake.formats.parquet import PARQUET
from loglake.lake.formats.storage import AthenaStorage, files_sql

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "AthenaStorage",
    "OutputFormat",
    "files_sql",
    "format_of_key",
    "get_format",
]


class OutputFormat(Protocol):
    """What the ETL, the views, explain and the catalogs need to know about one clean file format."""

    @property
    def name(self) -> str:
        """As configured (`output_format`) and recorded in the registry's `formats`."""
        ...

    @property
    def description(self) -> str:
        """A few words for people (the config template, help): `zstd`, `gzip JSON lines`."""
        ...

    @property
    def suffix(self) -> str:
        """Ends every clean key of this format (lake/keys.clean_key)."""
        ...

    @property
    def copy_options(self) -> str:
        """DuckDB COPY ... TO options that write it (PARTITION_BY is added by the writer)."""
        ...

    @property
    def ingest_copy_options(self) -> str:
        """copy_options for the ETL's files, one set per raw object: they may trade bytes for CPU (compaction,
        where it runs, rewrites them with copy_options)."""
        ...

    @property
    def column_chunks(self) -> bool:
        """Whether files say where each column's bytes are (footers): explain counts a scan's bytes from them."""
        ...

    @property
    def athena(self) -> AthenaStorage:
        """How Athena and Glue declare a table of it."""
        ...

    def row_group_options(self, rows: int) -> str:
        """COPY options that cut a file's rows into groups of at most `rows`, so that FILE_SIZE_BYTES can
        end a file between two of them (compaction's target size); '' where the format has no groups."""
        ...

    def reader(
        self, files: str | Sequence[str], columns: dict[str, str], *, hive: bool = True, filename: bool = False
    ) -> str:
        """A DuckDB table expression over `files` (one glob, or a list of paths) with `columns` where the
        format does not describe itself; `hive` adds the typed dt/hour partitions, `filename` each file's."""
        ...

    def scanned_bytes(self, con: Any, files: Sequence[str], columns: Sequence[str] | None) -> int | None:
        """What a scan of `columns` (all when None) of `files` reads, for explain; None without column_chunks."""
        ...


FORMATS: dict[str, OutputFormat] = {f.name: f for f in (PARQUET, JSONL)}
"""Every clean output format, by name. Register a new plug-in here."""
DEFAULT_FORMAT = PARQUET.name


def get_format(name: str) -> OutputFormat:
    """The format called `name`, or a ConfigError that lists the ones there are."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ConfigError(f"output format must be one of {sorted(FORMATS)}, not {name!r}") from None


def format_of_key(key: str) -> OutputFormat | None:
    """The format a clean key was written in, from its suffix; None for a key no format writes."""
    return next((f for f in FORMATS.values() if key.endswith(f.suffix)), None)

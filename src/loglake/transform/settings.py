"""ETL settings, from loglake.toml's [etl] table, flags, or the Lambda's environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from loglake.errors import ConfigError
from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.lake.formats import DEFAULT_FORMAT, OutputFormat, get_format
from loglake.lake.iceberg import DEFAULT_TABLE_FORMAT, check_table_format
from loglake.transform.redaction import RedactRule

TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
MAX_COLUMNS_LIMIT = 20_000
"""Above this a table is too wide to be useful (and each row's fields are looked up once per column)."""


@dataclass(frozen=True)
class Route:
    """Log groups matching `log_group` (a glob: `*`, `?`, `[...]`) are read as `format` and/or written to
    `table`. A forced format sends lines it does not match to quarantine (reason format_mismatch)."""

    log_group: str
    format: str | None = None
    table: str | None = None

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> Route:
        unknown = set(entry) - {"log_group", "format", "table"}
        if unknown or "log_group" not in entry:
            raise ConfigError(f"a route has log_group and format and/or table, not {sorted(entry)}")
        route = cls(str(entry["log_group"]), entry.get("format"), entry.get("table"))
        from loglake.transform.parsers import PARSERS

        names = sorted(p.name for p in PARSERS)
        if route.format is not None and route.format not in names:
            raise ConfigError(f"route {route.log_group!r}: unknown format {route.format!r}; formats: {names}")
        if route.table is not None and not TABLE_NAME.fullmatch(route.table):
            raise ConfigError(f"route {route.log_group!r}: table names are [a-z][a-z0-9_]*, not {route.table!r}")
        if route.format is None and route.table is None:
            raise ConfigError(f"route {route.log_group!r} names neither a format nor a table")
        return route


@dataclass(frozen=True)
class EtlSettings:
    output_format: str = DEFAULT_FORMAT
    """A name in lake/formats.FORMATS: parquet (zstd), or jsonl (gzip JSON lines)."""
    max_depth: int = 5
    """Nested objects are flattened to this many levels; deeper values are kept as JSON text."""
    separator: str = "_"
    table: str = DEFAULT_TABLE
    """The table of generic logs (JSON, logfmt, text); AWS formats have their own (see docs/formats.md)."""
    routes: tuple[Route, ...] = field(default_factory=tuple)
    redact: tuple[RedactRule, ...] = field(default_factory=tuple)
    """Opt-in redaction rules (see transform/redaction.py), applied before rows reach the clean zone."""
    max_columns: int = 500
    """Columns a table may get from keys found in JSON; keys past it go, exact, to the table's `extra` column
    (a JSON object), so one event with thousands of keys cannot make a table of thousands of columns."""
    table_format: str = DEFAULT_TABLE_FORMAT
    """hive (files in dt=/hour= folders, the default) or iceberg (the same Parquet files committed to an
    Iceberg table: lake/iceberg.py); it decides new tables, an existing Iceberg table stays one."""
    skip_index: bool = True
    """Write each clean file's skip index (lake/skip_index.py), which lets `search` skip files that cannot
    hold a term. It costs the ETL about a third more CPU; without it `search` reads every file in range
    (answers are the same). Compaction writes the index of the files it makes either way."""

    def __post_init__(self) -> None:
        get_format(self.output_format)  # a ConfigError naming the formats there are
        check_table_format(self.table_format, self.output_format)
        if not 1 <= self.max_depth <= 32:
            raise ConfigError(f"max_depth must be between 1 and 32, not {self.max_depth}")
        if not 1 <= self.max_columns <= MAX_COLUMNS_LIMIT:
            raise ConfigError(f"max_columns must be between 1 and {MAX_COLUMNS_LIMIT:,}, not {self.max_columns}")
        if not re.fullmatch(r"[a-z0-9_]{1,4}", self.separator):
            raise ConfigError(f"separator must be 1-4 of [a-z0-9_], not {self.separator!r}")
        if not TABLE_NAME.fullmatch(self.table):
            raise ConfigError(f"table names are [a-z][a-z0-9_]*, not {self.table!r}")
        routes = tuple(r if isinstance(r, Route) else Route.from_config(r) for r in self.routes)
        object.__setattr__(self, "routes", routes)
        rules = tuple(r if isinstance(r, RedactRule) else RedactRule.from_config(r) for r in self.redact)
        object.__setattr__(self, "redact", rules)

    @property
    def format(self) -> OutputFormat:
        """The plug-in that writes (and reads back) this run's clean files."""
        return get_format(self.output_format)

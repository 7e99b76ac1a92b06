"""ETL settings, from loglake.toml's [etl] table, flags, or the Lambda's environment."""

from __future__ import annotations

import re
from dataclasses import dataclass

from loglake.errors import ConfigError

OUTPUT_FORMATS = {"parquet": ".parquet", "jsonl": ".json.gz"}


@dataclass(frozen=True)
class EtlSettings:
    output_format: str = "parquet"
    """parquet (zstd), or jsonl: gzip JSON lines, as the mission's original design stored processed JSON."""
    max_depth: int = 5
    """Nested objects are flattened to this many levels; deeper values are kept as JSON text."""
    separator: str = "_"
    table: str = "logs"

    def __post_init__(self) -> None:
        if self.output_format not in OUTPUT_FORMATS:
            raise ConfigError(f"output format must be one of {sorted(OUTPUT_FORMATS)}, not {self.output_format!r}")
        if not 1 <= self.max_depth <= 32:
            raise ConfigError(f"max_depth must be between 1 and 32, not {self.max_depth}")
        if not re.fullmatch(r"[a-z0-9_]{1,4}", self.separator):
            raise ConfigError(f"separator must be 1-4 of [a-z0-9_], not {self.separator!r}")

    @property
    def suffix(self) -> str:
        return OUTPUT_FORMATS[self.output_format]

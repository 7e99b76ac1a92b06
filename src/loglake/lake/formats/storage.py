"""What the format plug-ins share: the Athena/Glue storage descriptor and the SQL list of files."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from loglake.sql_quoting import sql_string


@dataclass(frozen=True)
class AthenaStorage:
    """A table's storage as Athena DDL says it and as Glue's StorageDescriptor holds it."""

    serde: str
    input_format: str
    output_format: str
    ddl: str
    """The DDL clause after the columns: `STORED AS PARQUET`, or a ROW FORMAT SERDE and STORED AS."""
    properties: dict[str, str] = field(default_factory=dict)
    """Table properties the format adds (compression)."""

    def glue(self) -> dict[str, Any]:
        """The InputFormat, OutputFormat and SerdeInfo entries of a Glue StorageDescriptor."""
        return {
            "InputFormat": self.input_format,
            "OutputFormat": self.output_format,
            "SerdeInfo": {"SerializationLibrary": self.serde},
        }


def files_sql(files: str | Sequence[str]) -> str:
    """A reader's first argument: one glob as a string literal, or a list of paths as a list literal."""
    if isinstance(files, str):
        return sql_string(files)
    return "[" + ", ".join(sql_string(f) for f in files) + "]"

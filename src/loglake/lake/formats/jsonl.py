"""gzip JSON lines (`output_format = "jsonl"`), as the original design stored processed JSON: readable
by any tool, but every query reads whole files (no column chunks, no footers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loglake.lake.clean_zone import HIVE_OPTIONS
from loglake.lake.formats.storage import AthenaStorage, files_sql
from loglake.sql_quoting import sql_struct

JSON_SERDE = "org.openx.data.jsonserde.JsonSerDe"
JSON_LINES_STORAGE = AthenaStorage(
    serde=JSON_SERDE,
    input_format="org.apache.hadoop.mapred.TextInputFormat",
    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    ddl=f"ROW FORMAT SERDE '{JSON_SERDE}'\nSTORED AS TEXTFILE",
)
"""Also how the raw and quarantine zones (gzip JSON lines too) are declared to Athena and Glue."""
GZIP = "compression = 'gzip'"
"""Said, not guessed: DuckDB guesses from the name, and a '?' in a folder's name (a lake in `g?/`) hides it."""


class JsonLines:
    name = "jsonl"
    suffix = ".json.gz"
    copy_options = "FORMAT json, COMPRESSION gzip"
    ingest_copy_options = copy_options
    description = "gzip JSON lines"
    column_chunks = False
    athena = JSON_LINES_STORAGE

    def row_group_options(self, rows: int) -> str:
        return ""  # a JSON-lines file can end after any line

    def reader(
        self, files: str | Sequence[str], columns: dict[str, str], *, hive: bool = True, filename: bool = False
    ) -> str:
        """JSON has no schema of its own: `columns` types every field (dt/hour come from the path)."""
        stored = {name: type_ for name, type_ in columns.items() if not hive or name not in ("dt", "hour")}
        options = HIVE_OPTIONS if hive else "hive_partitioning = false"
        named = ", filename = true" if filename else ""
        return (
            f"read_json({files_sql(files)}, format = 'newline_delimited', {GZIP}, "
            f"columns = {sql_struct(stored)}{named}, {options})"
        )

    def scanned_bytes(self, con: Any, files: Sequence[str], columns: Sequence[str] | None) -> int | None:
        return None


JSONL = JsonLines()

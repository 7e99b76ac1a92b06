"""Parquet (zstd), the default: columnar, typed, and read column by column (footers say where each
column chunk is, which explain and S3 range reads use)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from loglake.lake.clean_zone import HIVE_OPTIONS
from loglake.lake.formats.storage import AthenaStorage, files_sql
from loglake.sql_quoting import sql_string


class Parquet:
    name = "parquet"
    suffix = ".parquet"
    copy_options = "FORMAT parquet, COMPRESSION zstd"
    ingest_copy_options = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"
    """zstd's level 1, not DuckDB's default 3: on the 34 benchmark formats' 50,000-line objects the write cost 15.6%
    less CPU and the files 2.9% fewer bytes in all, but 9 formats' files (JSON's and CloudTrail's among them) 0.6-12%
    more bytes, so compaction, which writes fewer, larger files to be read for longer, keeps the default
    (benchmarks/README.md, 2026-12-01, benchmarks/write_level.py)."""
    description = "zstd"
    column_chunks = True
    athena = AthenaStorage(
        serde="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        ddl="STORED AS PARQUET",
        properties={"parquet.compression": "ZSTD"},
    )

    def row_group_options(self, rows: int) -> str:
        return f"ROW_GROUP_SIZE {int(rows)}"

    def reader(
        self, files: str | Sequence[str], columns: dict[str, str], *, hive: bool = True, filename: bool = False
    ) -> str:
        """Files written before a column existed lack it: union_by_name reads them side by side."""
        options = HIVE_OPTIONS if hive else "hive_partitioning = false"
        named = ", filename = true" if filename else ""
        return f"read_parquet({files_sql(files)}, union_by_name = true{named}, {options})"

    def scanned_bytes(self, con: Any, files: Sequence[str], columns: Sequence[str] | None) -> int | None:
        """The compressed column chunks of `columns`, from the footers: how Athena bills a Parquet scan."""
        if not files or (columns is not None and not columns):
            return 0
        where = ""
        if columns is not None:
            where = "WHERE path_in_schema IN (" + ", ".join(sql_string(c) for c in columns) + ")"
        (total,) = con.execute(
            f"SELECT coalesce(sum(total_compressed_size), 0) FROM parquet_metadata({files_sql(files)}) {where}"
        ).fetchall()[0]
        return int(total)


PARQUET = Parquet()

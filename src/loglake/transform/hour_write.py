"""The clean COPY of one object's table into hive folders (dt=/hour=), without DuckDB's partitioned write
when the object's rows all fall in one hour.

Why: `COPY ... (PARTITION_BY (dt, hour))` costs 30-60 ms of CPU more per 50,000-row object than the same COPY
to one file, even with one constant partition key (benchmarks/README.md, "Clean write without PARTITION_BY"),
and most collector objects lie within one hour. dt and hour are strftime of the event time that `timestamp`
stores, so the written file's min and max `timestamp` (Parquet statistics, read from its footer) prove it:
when both fall in the same hour and no row lacks one, every row has that dt and hour, and the file is exactly
the one partition the partitioned write would have made (the same rows in the same order, the same columns and
DuckDB types; dt and hour stay folder names, not columns). One difference is in the Parquet schema only: a plain
COPY marks a column DuckDB proves has no NULL (a constant, a NOT NULL result) `required` where the partitioned
write marks every column `optional`, a few bytes less per column chunk. Both are plain Parquet; a review read
tables mixing them through DuckDB (IS NULL filters too), pyarrow.dataset and the Iceberg path with the same
answers. Otherwise the file is dropped and the partitioned COPY runs as before.

An object whose rows span hours would pay the one-file COPY for nothing, so the path taken follows what the
previous object of the same stream and table turned out to be (one partition or several): a stream's objects
are alike, and a wrong guess costs time, never a different output.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from loglake.lake.clean_zone import timestamp_is_epoch_ms
from loglake.lake.formats import OutputFormat
from loglake.sql_quoting import sql_string

_DT = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOUR = re.compile(r"\d{2}")

_spans: dict[tuple[str, str], int] = {}
"""Partitions the previous clean write of (stream, table) made in this process: 1 tries the one-file path."""
_spans_lock = threading.Lock()
_REMEMBERED = 10_000
"""Streams remembered at most: a long run over many streams starts over rather than grow without bound."""


def write(con: Any, query: str, folder: Path, fmt: OutputFormat, table: str, stream: str) -> None:
    """Write `query`'s rows (with their `dt` and `hour` columns) into `folder`/dt=.../hour=.../ as
    `COPY ... PARTITION_BY (dt, hour)` does, by one plain COPY when they prove to lie within one hour."""
    if fmt.suffix == ".parquet" and _spans.get((stream, table), 1) == 1:
        single = folder.parent / f"{folder.name}.one-hour{fmt.suffix}"
        con.execute(
            f"COPY (SELECT * EXCLUDE (dt, hour) FROM ({query})) TO {sql_string(str(single))} "
            f"({fmt.ingest_copy_options})"
        )
        hour = one_hour(con, single, table)
        if hour is not None:
            partition = folder / f"dt={hour[0]}" / f"hour={hour[1]}"
            partition.mkdir(parents=True)
            single.rename(partition / f"data_0{fmt.suffix}")
            _remember(stream, table, 1)
            return
        single.unlink()
    con.execute(f"COPY ({query}) TO {sql_string(str(folder))} ({fmt.ingest_copy_options}, PARTITION_BY (dt, hour))")
    _remember(stream, table, sum(1 for _ in folder.glob("dt=*/hour=*")) if folder.exists() else 0)


def one_hour(con: Any, path: Path, table: str) -> tuple[str, str] | None:
    """(dt, hour) of every row of the Parquet file at `path`, from its `timestamp` statistics; None when the
    rows span hours, some lack a timestamp, the file has no rows or no statistics, or the names would not be
    plain digits (DuckDB's folder names for those are left to DuckDB)."""
    value = "epoch_ms(CAST({} AS BIGINT))" if timestamp_is_epoch_ms(table) else "CAST({} AS TIMESTAMP)"
    low, high = value.format("stats_min_value"), value.format("stats_max_value")
    row = con.execute(
        f"""
        SELECT strftime(min({low}), '%Y-%m-%d'), strftime(min({low}), '%H'),
               date_trunc('hour', min({low})) = date_trunc('hour', max({high})),
               count(*) = count(stats_min_value) AND count(*) = count(stats_max_value),
               coalesce(sum(stats_null_count), -1), coalesce(sum(row_group_num_rows), 0)
        FROM parquet_metadata({sql_string(str(path))}) WHERE path_in_schema = 'timestamp'
        """
    ).fetchone()
    dt, hour, same_hour, all_stats, nulls, rows = row
    if not (same_hour and all_stats and nulls == 0 and rows > 0):
        return None
    if not (_DT.fullmatch(str(dt)) and _HOUR.fullmatch(str(hour))):
        return None
    return str(dt), str(hour)


def _remember(stream: str, table: str, partitions: int) -> None:
    with _spans_lock:
        if len(_spans) >= _REMEMBERED and (stream, table) not in _spans:
            _spans.clear()
        _spans[(stream, table)] = partitions


def forget() -> None:
    """Forget every stream's previous write (tests: each starts on the one-file path)."""
    with _spans_lock:
        _spans.clear()

"""Iceberg schemas and DataFile entries from what DuckDB knows of the Parquet files it wrote (no pyarrow).

pyiceberg's `add_files` and `parquet_file_to_data_file` read each footer with pyarrow; pyarrow is 166 MB
unzipped and the Lambda zip holds 250 MB. DuckDB's `parquet_metadata` gives the same footer: per column
chunk its compressed size, value count, null count and min/max, and per row group its first page's offset.
This module turns them into the entry pyiceberg would have made: the same metrics modes (table property
`write.metadata.metrics.*`, strings truncated to 16 characters unless `full`), the same single-value
binary encoding of the bounds (pyiceberg's own `DataFileStatistics`), and the identity partition values
dt and hour from the bounds of their source columns. tests/lake/test_iceberg_no_pyarrow.py compares the
entries with pyiceberg+pyarrow's for the same files.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, cast

from loglake.errors import ConfigError, InvariantError
from loglake.lake.store import glob_escape
from loglake.sql_quoting import sql_string

_DEFAULT_MODE = "truncate(16)"
_TRUNCATE = re.compile(r"^truncate\((\d+)\)$")


_PRIMITIVES = {
    "boolean": "BooleanType",
    "tinyint": "IntegerType",
    "smallint": "IntegerType",
    "integer": "IntegerType",
    "bigint": "LongType",
    "float": "FloatType",
    "double": "DoubleType",
    "varchar": "StringType",
    "blob": "BinaryType",
    "date": "DateType",
    "timestamp": "TimestampType",
    "timestamp with time zone": "TimestamptzType",
}
"""DuckDB type ids and the Iceberg types pyiceberg gives the Arrow types of their Parquet columns."""


def _iceberg_type(duck: Any, ids: Iterator[int]) -> Any:
    """The Iceberg type of a DuckDB type (structs, lists and maps too; every field optional but map keys)."""
    from pyiceberg import types as t

    kind = str(duck.id)
    if kind in _PRIMITIVES:
        return getattr(t, _PRIMITIVES[kind])()
    if kind == "struct":
        return t.StructType(
            *(
                t.NestedField(field_id=next(ids), name=str(name), field_type=_iceberg_type(child, ids), required=False)
                for name, child in duck.children
            )
        )
    if kind == "list":
        element_id = next(ids)
        return t.ListType(element_id, _iceberg_type(duck.children[0][1], ids), element_required=False)
    if kind == "map":
        key_id, value_id = next(ids), next(ids)
        children = dict(duck.children)
        key, value = _iceberg_type(children["key"], ids), _iceberg_type(children["value"], ids)
        return t.MapType(key_id, key, value_id, value, value_required=False)
    raise ConfigError(
        f"a clean column of DuckDB type {duck} has no Iceberg type in loglake's commit path; nothing committed: "
        "keep this table as table_format = 'hive'"
    )


def _read(path: str) -> str:
    """The file's own columns: not hive partitions guessed from its dt=/hour= path (hour would be VARCHAR)."""
    return f"read_parquet({sql_string(glob_escape(path))}, hive_partitioning = false)"


def file_schema(con: Any, paths: list[str]) -> Any:
    """The union of the files' schemas as a pyiceberg Schema (all columns optional, ids in file order)."""
    from pyiceberg.schema import Schema
    from pyiceberg.types import NestedField

    columns: dict[str, Any] = {}
    for path in paths:
        rel = con.sql(f"SELECT * FROM {_read(path)}")
        for name, duck in zip(rel.columns, rel.types, strict=True):
            if str(columns.setdefault(str(name), duck)) != str(duck):
                raise InvariantError(f"column {name!r} is {columns[str(name)]} and {duck} in the files of one run")
    ids = itertools.count(len(columns) + 1)
    fields = [
        NestedField(field_id=n, name=name, field_type=_iceberg_type(duck, ids), required=False)
        for n, (name, duck) in enumerate(columns.items(), start=1)
    ]
    return Schema(*fields)


def _leaf_ids(schema: Any) -> dict[str, tuple[int, str, Any]]:
    """Parquet's path of each leaf column -> (Iceberg field id, column name, type), as pyiceberg maps them:
    a list's element is `<name>.list.element`, a map's `<name>.key_value.key|value`."""
    from pyiceberg import types as t

    found: dict[str, tuple[int, str, Any]] = {}

    def visit(path: list[str], names: list[str], fid: int, field_type: Any) -> None:
        if isinstance(field_type, t.StructType):
            for f in field_type.fields:
                visit([*path, f.name], [*names, f.name], f.field_id, f.field_type)
        elif isinstance(field_type, t.ListType):
            visit([*path, "list", "element"], [*names, "element"], field_type.element_id, field_type.element_type)
        elif isinstance(field_type, t.MapType):
            visit([*path, "key_value", "key"], [*names, "key"], field_type.key_id, field_type.key_type)
            visit([*path, "key_value", "value"], [*names, "value"], field_type.value_id, field_type.value_type)
        else:
            found[".".join(path)] = (fid, ".".join(names), field_type)

    for f in schema.fields:
        visit([f.name], [f.name], f.field_id, f.field_type)
    return found


def _mode(properties: dict[str, str], column: str, field_type: Any) -> tuple[str, int | None]:
    """(none | counts | truncate | full, length): pyiceberg's plan (truncation only for strings and binary)."""
    from pyiceberg.types import BinaryType, StringType

    mode = properties.get(f"write.metadata.metrics.column.{column}") or properties.get(
        "write.metadata.metrics.default", _DEFAULT_MODE
    )
    mode = mode.strip().lower()
    if (match := _TRUNCATE.match(mode)) is not None:
        if isinstance(field_type, StringType | BinaryType):
            return "truncate", int(match[1])
        return "full", None
    if mode not in ("none", "counts", "full"):
        raise ConfigError(f"unsupported Iceberg metrics mode {mode!r} for column {column!r}")
    return mode, None


class _Bounds:
    """The min and max of one column over the row groups: the interface DataFileStatistics reads."""

    def __init__(self, field_type: Any, trunc_length: int | None) -> None:
        self.primitive_type = field_type
        self.trunc_length = trunc_length
        self.current_min: Any = None
        self.current_max: Any = None

    def update(self, low: Any, high: Any) -> None:
        if low is not None:
            self.current_min = low if self.current_min is None else min(low, self.current_min)
        if high is not None:
            self.current_max = high if self.current_max is None else max(high, self.current_max)

    def min_as_bytes(self) -> bytes | None:
        from pyiceberg.conversions import to_bytes
        from pyiceberg.transforms import TruncateTransform

        if self.current_min is None:
            return None
        value = self.current_min
        if self.trunc_length is not None:
            value = TruncateTransform(width=self.trunc_length).transform(self.primitive_type)(value)
        return to_bytes(self.primitive_type, value)

    def max_as_bytes(self) -> bytes | None:
        from pyiceberg.conversions import to_bytes
        from pyiceberg.types import BinaryType, StringType
        from pyiceberg.utils.truncate import truncate_upper_bound_binary_string, truncate_upper_bound_text_string

        if self.current_max is None:
            return None
        value: Any = self.current_max
        if isinstance(self.primitive_type, StringType):
            value = truncate_upper_bound_text_string(value, self.trunc_length)
        elif isinstance(self.primitive_type, BinaryType):
            value = truncate_upper_bound_binary_string(value, self.trunc_length)
        return None if value is None else to_bytes(self.primitive_type, value)


def _value(field_type: Any, text: str | None) -> Any:
    """A footer statistic as DuckDB prints it, as the Python value pyarrow's statistics would give."""
    from pyiceberg import types as t

    if text is None:
        return None
    if isinstance(field_type, t.StringType):
        return text
    if isinstance(field_type, t.IntegerType | t.LongType):
        return int(text)
    if isinstance(field_type, t.FloatType | t.DoubleType):
        return float(text)
    if isinstance(field_type, t.BooleanType):
        return text == "true"
    if isinstance(field_type, t.DateType):
        return date.fromisoformat(text)
    if isinstance(field_type, t.TimestampType | t.TimestamptzType):
        return datetime.fromisoformat(text)
    return None  # binary: DuckDB prints it escaped; no bounds rather than wrong ones


def data_file(con: Any, path: str, uri: str, size: int, metadata: Any) -> Any:
    """The DataFile of the Parquet file at local `path` (DuckDB-written), committed as `uri` to the table
    of `metadata` (its current schema, default spec and properties)."""
    from pyiceberg.io.fileformat import DataFileStatistics
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

    schema = metadata.schema()
    properties = dict(metadata.properties)
    rows = con.execute(
        "SELECT row_group_id, row_group_num_rows, path_in_schema, column_id, num_values, total_compressed_size, "
        "stats_null_count, stats_min_value, stats_max_value, dictionary_page_offset, data_page_offset "
        f"FROM parquet_metadata({sql_string(glob_escape(path))}) ORDER BY row_group_id, column_id"
    ).fetchall()
    ((record_count,),) = con.execute(
        f"SELECT num_rows FROM parquet_file_metadata({sql_string(glob_escape(path))})"
    ).fetchall()
    column_sizes: dict[int, int] = {}
    value_counts: dict[int, int] = {}
    null_counts: dict[int, int] = {}
    bounds: dict[int, _Bounds] = {}
    unset: set[int] = set()
    split_offsets: list[int] = []
    leaves = _leaf_ids(schema)
    for _group, _n, column, position, values, compressed, nulls, low, high, dictionary, data in rows:
        if position == 0:
            split_offsets.append(dictionary if dictionary is not None and dictionary < data else data)
        leaf = leaves.get(str(column).replace(", ", "."))
        if leaf is None:
            raise InvariantError(f"column {column!r} of {uri} is not in the table's schema")
        fid, name, field_type = leaf
        column_sizes[fid] = column_sizes.get(fid, 0) + int(compressed)
        mode, length = _mode(properties, name, field_type)
        if mode == "none":
            continue
        value_counts[fid] = value_counts.get(fid, 0) + int(values)
        if nulls is None and low is None and high is None:
            unset.add(fid)  # no statistics in this chunk: pyiceberg drops the column's counts and bounds
            continue
        if nulls is not None:
            null_counts[fid] = null_counts.get(fid, 0) + int(nulls)
        if mode == "counts" or "." in name:  # nested: counts only, as pyiceberg
            continue
        agg = bounds.setdefault(fid, _Bounds(field_type, length))
        agg.update(_value(field_type, low), _value(field_type, high))
    for fid in unset:
        bounds.pop(fid, None)
        null_counts.pop(fid, None)
    statistics = DataFileStatistics(
        record_count=int(record_count),
        column_sizes=column_sizes,
        value_counts=value_counts,
        null_value_counts=null_counts,
        nan_value_counts={},
        column_aggregates=cast(Any, bounds),
        split_offsets=sorted(split_offsets),
    )
    return DataFile.from_args(
        content=DataFileContent.DATA,
        file_path=uri,
        file_format=FileFormat.PARQUET,
        partition=statistics.partition(metadata.spec(), schema),
        file_size_in_bytes=size,
        sort_order_id=None,
        spec_id=metadata.default_spec_id,
        equality_ids=None,
        key_metadata=None,
        **statistics.to_serialized_dict(),
    )

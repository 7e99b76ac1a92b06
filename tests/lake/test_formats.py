"""Clean output formats as plug-ins (lake/formats): every registered format round-trips a table through
its writer and its reader, declares itself to Athena and Glue, and a new one needs only registering."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import Ingest
from loglake.catalog.athena_ddl import clean_table_ddl
from loglake.catalog.glue_sync import clean_table_input
from loglake.errors import ConfigError
from loglake.lake.clean_zone import HIVE_OPTIONS
from loglake.lake.formats import DEFAULT_FORMAT, FORMATS, AthenaStorage, files_sql, format_of_key, get_format
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry, TableSchema
from loglake.query.engine import DuckDBEngine
from loglake.query.explain import explain
from loglake.sql_quoting import sql_struct
from loglake.transform.settings import EtlSettings

COLUMNS = {"timestamp": "TIMESTAMP", "message": "VARCHAR", "n": "BIGINT"}
ROWS = [
    (datetime(2026, 11, 29, 7, 1), "a", 1, date(2026, 11, 29), 7),
    (datetime(2026, 11, 29, 7, 2), "b", None, date(2026, 11, 29), 7),
    (datetime(2026, 11, 30, 23, 59), "c'd", 3, date(2026, 11, 30), 23),
]


def _write(fmt_name: str, folder: Path, options: str = "copy_options") -> list[str]:
    """Write ROWS as the ETL (`ingest_copy_options`) or compaction (`copy_options`) does, PARTITION_BY dt,
    hour; return the files."""
    fmt = FORMATS[fmt_name]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (timestamp TIMESTAMP, message VARCHAR, n BIGINT, dt VARCHAR, hour VARCHAR)")
    for ts, message, n, dt, hour in ROWS:
        con.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [ts, message, n, str(dt), f"{hour:02d}"])
    con.execute(f"COPY t TO '{folder}' ({getattr(fmt, options)}, PARTITION_BY (dt, hour))")
    con.close()
    return sorted(str(p) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("options", ["copy_options", "ingest_copy_options"])
@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_round_trips_through_writer_and_reader(name: str, options: str, tmp_path: Path) -> None:
    fmt = FORMATS[name]
    files = _write(name, tmp_path / "t", options)
    assert len(files) == 2 and all(format_of_key(f) is fmt for f in files)
    con = duckdb.connect()
    by_glob = fmt.reader(f"{tmp_path}/t/*/*/*{fmt.suffix}", COLUMNS)
    by_list = fmt.reader(files, COLUMNS)
    select = "SELECT timestamp, message, n, dt, hour FROM {} ORDER BY timestamp"
    assert con.execute(select.format(by_glob)).fetchall() == ROWS
    assert con.execute(select.format(by_list)).fetchall() == ROWS
    assert {row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {by_list}").fetchall()} >= {"message", "dt", "hour"}
    typed = con.execute(f"SELECT DISTINCT typeof(dt), typeof(hour) FROM {by_list}").fetchall()
    assert typed == [("DATE", "INTEGER")]
    named = con.execute(f"SELECT DISTINCT filename FROM {fmt.reader(files, COLUMNS, filename=True)} ORDER BY 1")
    assert [row[0] for row in named.fetchall()] == files
    flat = con.execute(f"SELECT count(*) FROM {fmt.reader(files, {'message': 'VARCHAR'}, hive=False)}").fetchall()
    assert flat == [(3,)]


def test_scanned_bytes_comes_from_parquet_footers_only(tmp_path: Path) -> None:
    con = duckdb.connect()
    parquet = _write("parquet", tmp_path / "p")
    chunks = con.execute(
        f"SELECT path_in_schema, sum(total_compressed_size) FROM parquet_metadata({files_sql(parquet)}) GROUP BY 1"
    ).fetchall()
    sizes = {str(column): int(size) for column, size in chunks}
    assert FORMATS["parquet"].scanned_bytes(con, parquet, ["message"]) == sizes["message"]
    assert FORMATS["parquet"].scanned_bytes(con, parquet, None) == sum(sizes.values())
    assert FORMATS["parquet"].scanned_bytes(con, parquet, []) == 0
    assert FORMATS["jsonl"].scanned_bytes(con, _write("jsonl", tmp_path / "j"), None) is None
    assert (FORMATS["parquet"].column_chunks, FORMATS["jsonl"].column_chunks) == (True, False)


def test_athena_and_glue_descriptors_per_format() -> None:
    parquet = clean_table_ddl(TableSchema("logs", formats=["parquet"]), "s3://b/p/")
    jsonl = clean_table_ddl(TableSchema("logs", formats=["jsonl"]), "s3://b/p/")
    assert "\nSTORED AS PARQUET\nLOCATION 's3://b/p/clean/logs/'" in parquet
    assert "'parquet.compression' = 'ZSTD'" in parquet
    assert "PARTITIONED BY (\n  `dt` date,\n  `hour` int\n)\n" in parquet
    assert "\nROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\nSTORED AS TEXTFILE\nLOCATION" in jsonl
    assert "parquet.compression" not in jsonl
    assert clean_table_ddl(TableSchema("logs"), "s3://b/p/") == parquet  # no format recorded: the default
    glue = {name: clean_table_input(TableSchema("logs", formats=[name]), "s3://b/p/") for name in FORMATS}
    assert {name: g["StorageDescriptor"]["SerdeInfo"] for name, g in glue.items()} == {
        "parquet": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        "jsonl": {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
    }
    assert glue["parquet"]["StorageDescriptor"]["InputFormat"] == (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    )
    assert glue["jsonl"]["StorageDescriptor"]["OutputFormat"] == (
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    )
    assert glue["parquet"]["PartitionKeys"] == [{"Name": "dt", "Type": "date"}, {"Name": "hour", "Type": "int"}]
    with pytest.raises(ConfigError, match="re-run `loglake etl --force --output-format parquet`"):
        clean_table_input(TableSchema("logs", formats=["parquet", "jsonl"]), "s3://b/p/")


def test_an_unknown_format_is_refused_with_the_names_there_are() -> None:
    assert (DEFAULT_FORMAT, get_format("jsonl").suffix, format_of_key("clean/logs/x.txt")) == (
        "parquet",
        ".json.gz",
        None,
    )
    with pytest.raises(ConfigError, match=r"^output format must be one of \['jsonl', 'parquet'\], not 'orc'$"):
        EtlSettings(output_format="orc")


class _Csv:
    """A format as a new plug-in module would define it: nothing else in loglake names it."""

    name = "csv"
    description = "gzip CSV"
    suffix = ".csv.gz"
    copy_options = "FORMAT csv, HEADER true, COMPRESSION gzip"
    ingest_copy_options = copy_options
    column_chunks = False
    athena = AthenaStorage(
        serde="org.apache.hadoop.hive.serde2.OpenCSVSerde",
        input_format="org.apache.hadoop.mapred.TextInputFormat",
        output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        ddl="ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\nSTORED AS TEXTFILE",
        properties={"skip.header.line.count": "1"},
    )

    def row_group_options(self, rows: int) -> str:
        return ""

    def reader(
        self, files: str | Sequence[str], columns: dict[str, str], *, hive: bool = True, filename: bool = False
    ) -> str:
        stored = {k: v for k, v in columns.items() if not hive or k not in ("dt", "hour")}
        options = HIVE_OPTIONS if hive else "hive_partitioning = false"
        named = ", filename = true" if filename else ""
        return (
            f"read_csv({files_sql(files)}, header = true, union_by_name = true, "
            f"column_types = {sql_struct(stored)}{named}, {options})"
        )

    def scanned_bytes(self, con: Any, files: Sequence[str], columns: Sequence[str] | None) -> int | None:
        return None


def test_a_new_format_needs_only_its_registration(
    lake: Lake, ingest_lines: Ingest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(FORMATS, "csv", _Csv())
    ingest_lines(
        b'{"timestamp":"2026-11-29T07:00:00Z","n":1}\nplain ERROR x\n', settings=EtlSettings(output_format="csv")
    )
    keys = list(lake.store.list("clean/"))
    assert len(keys) == 2 and all(k.endswith(".csv.gz") for k in keys)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT n, level FROM logs ORDER BY n NULLS LAST").rows == [(1, None), (None, "ERROR")]
        (plan,) = explain(engine, "SELECT n FROM logs")
        assert (plan.table, plan.files, plan.bytes) == ("logs", [], 0)
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None and schema.formats == ["csv"]
    ddl = clean_table_ddl(schema, "s3://b/p/")
    assert "\nROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'\nSTORED AS TEXTFILE\n" in ddl
    assert "'skip.header.line.count' = '1'" in ddl

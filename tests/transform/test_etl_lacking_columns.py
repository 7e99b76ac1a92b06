"""Columns a parser knows an object lacks (FieldPlan.lacking: VPC's fields its flow log format does not have) are
left out of the object's clean files, stay in the registry, and read as NULL: through the views, after compaction,
beside files of another format that fills them. Iceberg files keep every column (the table's schema grows from them).

The flow records: AWS's documentation (tests/events/aws_formats/vpc_docs_examples.json, "TCP flag sequence",
MIT-0, tests/events/ATTRIBUTION.md) in their custom format; OURS_V2 are ours: the same flows in the default format
(version 2, its 14 fields), so that both objects' rows fall in one hour.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from conftest import write_messages
from loglake.lake import iceberg
from loglake.lake.clean_zone import envelope
from loglake.lake.compaction import compact, live_files
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

SAMPLES = Path(__file__).parents[1] / "events" / "aws_formats"
_FLAGS = json.loads((SAMPLES / "vpc_docs_examples.json").read_text())["groups"][7]
HEADER: str = _FLAGS["format"]
DOC_V3: list[str] = _FLAGS["records"][0]["lines"][:2]
OURS_V2 = [
    "2 123456789010 eni-1235b8ca123456789 52.213.180.42 10.0.0.62 43416 5001 6 8 568 1566848875 1566848933 ACCEPT OK",
    "2 123456789010 eni-1235b8ca123456789 10.0.0.62 52.213.180.42 5001 43416 6 7 376 1566848875 1566848933 ACCEPT OK",
]
V2_COLUMNS = {
    *("version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol"),
    *("packets", "bytes", "start", "end", "action", "log_status"),
    *("date", "day"),  # derived from start: filled whatever the format
}
TABLE = "vpc_flow_logs"


def _etl(lake: Lake, objects: int, settings: EtlSettings | None = None) -> None:
    assert len(run_etl(lake, pending_raw_objects(lake), settings or EtlSettings(), workers=1)) == objects


def _rows(lake: Lake, sql: str) -> list[tuple[Any, ...]]:
    with DuckDBEngine(lake.store) as engine:
        return [tuple(row) for row in engine.query(sql).rows]


def _file_columns(lake: Lake) -> list[set[str]]:
    """The columns each live clean file of the table holds (its own schema, not the view's)."""
    con = duckdb.connect()
    found = []
    for key in live_files(lake.store, TABLE):
        with lake.store.local_file(key) as path:
            reader = (
                f"read_parquet('{path}')"
                if key.endswith(".parquet")
                else f"read_json('{path}', format = 'newline_delimited', compression = 'gzip')"
            )
            found.append({str(r[0]) for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()})
    con.close()
    return found


def _registry_columns(lake: Lake) -> dict[str, str]:
    schema = SchemaRegistry(lake.store).get(TABLE)
    assert schema is not None
    return {c.name: c.type for c in schema.columns}


@pytest.mark.parametrize("output_format", ["parquet", "jsonl"])
def test_default_format_file_leaves_lacking_columns_out_and_reads_them_as_null(lake: Lake, output_format: str) -> None:
    write_messages(lake.store, "/vpc/default", OURS_V2)
    _etl(lake, 1, EtlSettings(output_format=output_format))
    registry = _registry_columns(lake)
    payload = set(registry) - set(envelope(TABLE))
    # The registry (and so every view and Athena table) keeps all of AWS's columns; each file only the 16 filled.
    assert {"vpc_id", "tcp_flags", "tgw_id", "reject_reason", "packets_lost_ttl_expired"} <= payload
    assert (registry["vpc_id"], registry["tcp_flags"], registry["packets_lost_ttl_expired"]) == (
        "VARCHAR",
        "INTEGER",
        "BIGINT",
    )
    files = _file_columns(lake)
    assert len(files) == 1
    assert files[0] & payload == V2_COLUMNS
    assert len(payload - files[0]) == len(payload) - len(V2_COLUMNS) > 40
    assert _rows(
        lake, "SELECT srcaddr, dstport, bytes, vpc_id, tcp_flags, tgw_id, version FROM vpc_flow_logs ORDER BY event_id"
    ) == [
        ("52.213.180.42", 5001, 568, None, None, None, 2),
        ("10.0.0.62", 43416, 376, None, None, None, 2),
    ]
    assert _rows(lake, "SELECT DISTINCT typeof(vpc_id), typeof(tcp_flags) FROM vpc_flow_logs") == [
        ("VARCHAR", "INTEGER")
    ]


def test_files_of_two_formats_read_together_and_compact_into_every_column(lake: Lake) -> None:
    write_messages(lake.store, "/vpc/default", OURS_V2)
    write_messages(lake.store, "/vpc/custom", [HEADER, *DOC_V3])
    _etl(lake, 2)
    files = _file_columns(lake)
    assert len(files) == 2
    assert sorted("vpc_id" in columns for columns in files) == [False, True]
    query = (
        "SELECT log_group, srcaddr, srcport, bytes, packets, vpc_id, subnet_id, tcp_flags, type, version "
        "FROM vpc_flow_logs ORDER BY log_group, event_id"
    )
    want = [
        (
            "/vpc/custom",
            "52.213.180.42",
            43416,
            568,
            8,
            "vpc-abcdefab012345678",
            "subnet-aaaaaaaa012345678",
            2,
            "IPv4",
            3,
        ),
        ("/vpc/custom", "10.0.0.62", 5001, 376, 7, "vpc-abcdefab012345678", "subnet-aaaaaaaa012345678", 18, "IPv4", 3),
        ("/vpc/default", "52.213.180.42", 43416, 568, 8, None, None, None, None, 2),
        ("/vpc/default", "10.0.0.62", 5001, 376, 7, None, None, None, None, 2),
    ]
    assert _rows(lake, query) == want
    report = compact(lake.store, [TABLE], older_than_s=0, grace_s=0)
    assert [p.status for p in report.partitions] == ["compacted"]
    files = _file_columns(lake)
    assert len(files) == 1 and {"vpc_id", "tcp_flags", "tgw_id"} <= files[0]
    assert _rows(lake, query) == want
    with DuckDBEngine(lake.store) as engine:
        assert check_conservation(engine, lake.store).ok


def test_iceberg_files_keep_every_column(lake: Lake) -> None:
    """An Iceberg table's schema is its files' (lake/iceberg.py): a default-format object first must still give it
    every VPC column, or AWS's documented queries naming vpc_id would fail on it."""
    write_messages(lake.store, "/vpc/default", OURS_V2)
    _etl(lake, 1, EtlSettings(table_format="iceberg"))
    fields = {f.name for f in iceberg.catalog(lake.store).load_table(("loglake", TABLE)).schema().fields}
    assert set(_registry_columns(lake)) <= fields
    assert {"vpc_id", "tcp_flags", "tgw_id"} <= fields
    assert _rows(lake, "SELECT count(*), count(vpc_id), count(srcaddr) FROM vpc_flow_logs") == [(2, 0, 2)]

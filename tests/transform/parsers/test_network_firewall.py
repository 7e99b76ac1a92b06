"""AWS Network Firewall logs: OpenTelemetry's test records (tests/events/aws_formats, see ATTRIBUTION.md) and
our records in the Network Firewall guide's format through the ETL into AWS's `anf_logs` table, and AWS's
documented Athena query (tests/events/athena_sql/athena_querying-network-firewall-logs.sql) run unchanged
over it, its answer asserted.

No example record of the Network Firewall guide was available to copy (its pages are not in the stored
awsdocs repositories); the LOCAL records and the parser's EXAMPLES are ours, in its documented format.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from conftest import CliRun, athena_documented, write_messages
from loglake.catalog.athena_ddl import clean_table_ddl
from loglake.lake.open import Lake, open_lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.parsers.network_firewall import EXAMPLES
from loglake.transform.settings import EtlSettings

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
ANF = athena_documented("athena_querying-network-firewall-logs.sql")
OTEL = (SAMPLES / "network_firewall_otel.log").read_text().splitlines()
FLOW, ALERT = (example.message for example in EXAMPLES)


def _again(seconds: int) -> str:
    """Our flow record once more, `seconds` later (another record of the same address pair)."""
    record = json.loads(FLOW)
    record["event_timestamp"] = str(int(record["event_timestamp"]) + seconds)
    record["event"]["timestamp"] = record["event"]["timestamp"].replace(":10:01.", f":10:{1 + seconds:02d}.")
    return json.dumps(record)


LOCAL = [FLOW, ALERT, _again(10), _again(20)]


@pytest.fixture(scope="module")
def lake_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("anf") / "lake")


@pytest.fixture(scope="module")
def anf_lake(lake_path: str) -> Lake:
    lake: Lake = open_lake(lake_path)
    write_messages(lake.store, "/anf/otel", OTEL, id_prefix="otel#")
    write_messages(lake.store, "/anf/local", LOCAL, id_prefix="local#")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


@pytest.fixture(scope="module")
def engine(anf_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(anf_lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_every_record_lands_with_every_field(anf_lake: Lake, engine: DuckDBEngine) -> None:
    assert sorted(SchemaRegistry(anf_lake.store).tables()) == ["anf_logs"]
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    got = rows(engine, "SELECT firewall_name, availability_zone, event_timestamp, event, CAST(timestamp AS VARCHAR), "
                       "time_source FROM anf_logs WHERE log_group = '/anf/otel' ORDER BY event_id")  # fmt: skip
    base = {"timestamp": None, "app_proto": None, "tls_inspected": None}
    where = ("test-firewall", "us-east-1a", None)  # OpenTelemetry writes event_timestamp as ISO text: no BIGINT
    at = ("2025-10-20 10:30:45.123", "parsed")  # no event.timestamp: the event_timestamp text, read as a time
    assert got == [
        (*where, {**base, "flow_id": 1234567891, "event_type": "netflow", "src_ip": "192.168.1.100",
                  "src_port": 54322, "dest_ip": "10.0.1.51", "dest_port": 80, "proto": "TCP",
                  "netflow": {"pkts": 150, "bytes": 45000, "start": "2025-10-20T10:30:40.000Z",
                              "finish": "2025-10-20T10:30:45.000Z", "age": 5, "min_ttl": 64, "max_ttl": 64},
                  "alert": None}, *at),
        (*where, {**base, "flow_id": 1234567890, "event_type": "alert", "src_ip": "192.168.1.100",
                  "src_port": 54321, "dest_ip": "10.0.1.50", "dest_port": 443, "proto": "TCP", "netflow": None,
                  "alert": {"action": "allowed", "signature_id": 2027758, "rev": 3,
                            "signature": "ET MALWARE Suspicious TLS Connection", "category": "Malware",
                            "severity": 1}}, *at),
        (*where, {**base, "flow_id": 1234567892, "event_type": "tls", "src_ip": "192.168.1.100", "src_port": 54323,
                  "dest_ip": "10.0.1.52", "dest_port": 443, "proto": "TCP", "netflow": None, "alert": None}, *at),
    ]  # fmt: skip
    # Field order within `event` is the table's: AWS's, then ours.
    result = engine.query("SELECT event FROM anf_logs LIMIT 1")
    assert list(result.rows[0][0]) == [
        "timestamp", "flow_id", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "app_proto",
        "netflow", "tls_inspected", "alert",
    ]  # fmt: skip


def test_network_firewall_documented_query(engine: DuckDBEngine) -> None:
    # [2] Requests per source and destination pair, most first: our flow three times, every other once.
    found = rows(engine, ANF[2])
    assert found[0] == (3, "203.0.113.4", 55501, "192.0.2.3", 111)
    assert sorted(found[1:]) == [
        (1, "10.16.197.56", 49157, "10.16.197.55", 8883),
        (1, "192.168.1.100", 54321, "10.0.1.50", 443),
        (1, "192.168.1.100", 54322, "10.0.1.51", 80),
        (1, "192.168.1.100", 54323, "10.0.1.52", 443),
    ]
    # The netflow's `end`, named `finish` as in AWS's table, and the bytes of our three flows.
    assert rows(engine, "SELECT count(*), sum(event.netflow.bytes), min(event.netflow.finish) FROM anf_logs "
                        "WHERE log_group = '/anf/local' AND event.event_type = 'netflow'") == [
        (3, 180, "2020-10-13T22:09:31.006481+0000")
    ]  # fmt: skip


def test_documented_query_through_loglake_query(anf_lake: Lake, lake_path: str, run_cli: CliRun) -> None:
    code, out, err = run_cli("query", "--lake", lake_path, "-f", "csv", ANF[2])
    assert (code, err.split(" in ")[0]) == (0, "duckdb: 5 rows")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["count", "src_ip", "src_port", "dest_ip", "dest_port"]
    assert table[1] == ["3", "203.0.113.4", "55501", "192.0.2.3", "111"]
    assert len(table) == 6


def test_other_json_is_not_claimed(tmp_path: Path) -> None:
    """JSON with a `firewall_name` but no `event` (or a null one) is no Network Firewall record."""
    lake = open_lake(str(tmp_path / "lake"))
    write_messages(
        lake.store,
        "/anf/other",
        ['{"firewall_name": "fw", "availability_zone": "us-east-1a"}', '{"firewall_name": "fw", "event": null}', FLOW],
    )
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert rows(engine, "SELECT event_id, format FROM logs ORDER BY 1") == [("e0", "json"), ("e1", "json")]
        assert rows(engine, "SELECT event_id FROM anf_logs") == [("e2",)]


def test_athena_ddl_has_aws_columns_and_types(anf_lake: Lake) -> None:
    schema = SchemaRegistry(anf_lake.store).get("anf_logs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    ours = dict(re.findall(r"^  `(\w+)` (\w+)", ddl, flags=re.M))
    aws = dict(re.findall(r"^  (\w+) (\w+)", ANF[1], flags=re.M))
    assert aws == {"firewall_name": "string", "availability_zone": "string", "event_timestamp": "bigint",
                   "event": "struct"}  # fmt: skip
    assert {name: ours.get(name) for name in aws} == aws
    event = re.search(r"^  `event` (.*?),?$", ddl, flags=re.M)
    assert event is not None
    assert "netflow:struct<pkts:int,bytes:bigint,start:string,finish:string,age:int,min_ttl:int,max_ttl:int>" in (
        event.group(1)
    )

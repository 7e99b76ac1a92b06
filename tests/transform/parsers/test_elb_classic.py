"""Classic Load Balancer access logs: the Classic Load Balancer guide's four example entries and
OpenTelemetry's test lines (tests/events/aws_formats, see ATTRIBUTION.md) through the ETL into AWS's
`elb_logs` table, and AWS's documented Athena queries (tests/events/athena_sql/
athena_elasticloadbalancer-classic-logs.sql) run unchanged over it, their answers asserted.

The LOCAL records are ours, in the guide's format: AWS's first query looks for 4XX and 5XX answers from
the backends, which the documented entries (all 200 or TCP) do not have.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
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
from loglake.transform.settings import EtlSettings

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
ELB = athena_documented("athena_elasticloadbalancer-classic-logs.sql")
DOCS = (SAMPLES / "elb_classic_docs.log").read_text().splitlines()
OTEL = (SAMPLES / "elb_classic_otel.log").read_text().splitlines()
_REQUEST = '"GET http://www.example.com:80/{path} HTTP/1.1" "curl/7.38.0" - -'
LOCAL = [
    "2015-05-13T23:40:00.000001Z my-loadbalancer 192.168.131.39:2817 10.0.0.2:80 0.000050 0.002000 0.000040 "
    f"503 503 0 100 {_REQUEST.format(path='a')}",
    "2015-05-13T23:41:00.000002Z other-lb 192.168.131.40:2818 10.0.0.1:80 0.000050 0.003000 0.000040 "
    f"404 404 0 100 {_REQUEST.format(path='b')}",
    # No backend answered: the load balancer's own 504, the backend's status '-'.
    f"2015-05-13T23:42:00.000003Z my-loadbalancer 192.168.131.41:2819 - -1 -1 -1 504 - 0 0 {_REQUEST.format(path='c')}",
]


@pytest.fixture(scope="module")
def lake_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("elb") / "lake")


@pytest.fixture(scope="module")
def elb_lake(lake_path: str) -> Lake:
    lake: Lake = open_lake(lake_path)
    write_messages(lake.store, "/elb/docs", DOCS + OTEL, id_prefix="docs#")
    write_messages(lake.store, "/elb/local", LOCAL, id_prefix="local#")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


@pytest.fixture(scope="module")
def engine(elb_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(elb_lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_every_documented_entry_lands_with_every_field(elb_lake: Lake, engine: DuckDBEngine) -> None:
    assert sorted(SchemaRegistry(elb_lake.store).tables()) == ["elb_logs"]
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    columns = ("timestamp, elb_name, request_ip, request_port, backend_ip, backend_port, request_processing_time, "
               "backend_processing_time, client_response_time, elb_response_code, backend_response_code, "
               "received_bytes, sent_bytes, request_verb, url, protocol, user_agent, ssl_cipher, ssl_protocol, level")  # fmt: skip
    got = rows(engine, f"SELECT {columns} FROM elb_logs WHERE log_group = '/elb/docs' ORDER BY event_id")
    at = datetime(2015, 5, 13, 23, 39, 43, 945958)
    head = (at, "my-loadbalancer", "192.168.131.39", 2817, "10.0.0.1", 80)
    http = ("GET", "http://www.example.com:80/", "HTTP/1.1", "curl/7.38.0")
    https = ("GET", "https://www.example.com:443/", "HTTP/1.1", "curl/7.38.0")
    assert got == [
        (*head, 0.000073, 0.001048, 0.000057, "200", "200", 0, 29, *http, None, None, None),
        (*head, 0.000086, 0.001048, 0.001337, "200", "200", 0, 57, *https, "DHE-RSA-AES128-SHA", "TLSv1.2", None),
        (*head, 0.001069, 0.000028, 0.000041, None, None, 82, 305, None, None, None, None, None, None, None),
        (*head, 0.001065, 0.000015, 0.000023, None, None, 57, 502, None, None, None, None,
         "ECDHE-ECDSA-AES128-GCM-SHA256", "TLSv1.2", None),
        # OpenTelemetry's two lines: the HTTPS entry with other timings, then the same without a backend.
        (*head, 0.000086, 0.001048, 0.001337, "200", "200", 0, 57, *https, "DHE-RSA-AES128-SHA", "TLSv1.2", None),
        (*head[:4], None, None, 0.000086, 0.001048, 0.001337, "200", "200", 0, 57, *https, "DHE-RSA-AES128-SHA",
         "TLSv1.2", None),
    ]  # fmt: skip
    assert rows(engine, "SELECT DISTINCT time_source FROM elb_logs") == [("parsed",)]


def test_elb_documented_queries(engine: DuckDBEngine) -> None:
    # [2] Backends that answered 4XX or 5XX (AWS's `timestamp` string is the envelope's TIMESTAMP here).
    assert sorted(rows(engine, ELB[2])) == [
        (datetime(2015, 5, 13, 23, 40, 0, 1), "my-loadbalancer", "10.0.0.2", "503"),
        (datetime(2015, 5, 13, 23, 41, 0, 2), "other-lb", "10.0.0.1", "404"),
    ]
    # [3] Backend time per backend and load balancer; records without a backend are left out (Athena:
    # backend_ip is '' there, NULL here: `<> ''` drops both).
    got = {(elb, ip): total for total, elb, ip in rows(engine, ELB[3])}
    assert got == {
        ("my-loadbalancer", "10.0.0.1"): pytest.approx(0.001048 * 3 + 0.000028 + 0.000015),
        ("my-loadbalancer", "10.0.0.2"): pytest.approx(0.002),
        ("other-lb", "10.0.0.1"): pytest.approx(0.003),
    }


def test_documented_query_through_loglake_query(elb_lake: Lake, lake_path: str, run_cli: CliRun) -> None:
    code, out, err = run_cli("query", "--lake", lake_path, "-f", "csv", ELB[2])
    assert (code, err.split(" in ")[0]) == (0, "duckdb: 2 rows")
    assert sorted(list(csv.reader(io.StringIO(out)))[1:]) == [
        ["2015-05-13 23:40:00.000001", "my-loadbalancer", "10.0.0.2", "503"],
        ["2015-05-13 23:41:00.000002", "other-lb", "10.0.0.1", "404"],
    ]


def test_lines_of_other_formats_and_broken_records_are_not_claimed(tmp_path: Path) -> None:
    """A record without its SSL fields, one with a status that is no number, and an ALB connection log
    record (same time shape) are no Classic Load Balancer records."""
    lake = open_lake(str(tmp_path / "lake"))
    cut = DOCS[0].rsplit(" ", 2)[0]
    bad_status = DOCS[0].replace(" 200 200 ", " OK 200 ")
    connection = (SAMPLES / "alb_connection_docs.log").read_text().splitlines()[0]
    write_messages(lake.store, "/elb/broken", [cut, bad_status, connection, DOCS[1]])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert rows(engine, "SELECT event_id, format FROM logs ORDER BY 1") == [("e0", "text"), ("e1", "text")]
        assert rows(engine, "SELECT event_id FROM alb_connection_logs") == [("e2",)]
        assert rows(engine, "SELECT event_id FROM elb_logs") == [("e3",)]


def test_athena_ddl_has_aws_columns_and_types(elb_lake: Lake) -> None:
    """Every column of AWS's table with AWS's type, but `timestamp`: the envelope's (see the parser)."""
    schema = SchemaRegistry(elb_lake.store).get("elb_logs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    ours = dict(re.findall(r"^  `(\w+)` (\w+),?$", ddl, flags=re.M))
    aws = re.findall(r"^ (\w+) (string|int|double|bigint),?$", ELB[1], flags=re.M)
    assert len(aws) == 19
    assert {name: ours.get(name) for name, _t in aws} == {**dict(aws), "timestamp": "timestamp"}

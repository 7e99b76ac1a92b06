"""ALB connection logs: the ELB guide's two example entries (tests/events/aws_formats, see ATTRIBUTION.md)
through the ETL into AWS's `alb_connection_logs` table, and AWS's documented Athena queries
(tests/events/athena_sql/athena_alb-connection-logs.sql) run unchanged over it, their answers asserted.

The LOCAL records are ours, in the guide's format: AWS's second query looks at January to March 2024,
which the documented entries (October 2023) do not reach.
"""

from __future__ import annotations

import csv
import io
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
from loglake.transform.settings import EtlSettings

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
CONN = athena_documented("athena_alb-connection-logs.sql")
DOCS = (SAMPLES / "alb_connection_docs.log").read_text().splitlines()
SUBJECT = "CN=amazondomains.com,O=endEntity,L=Seattle,ST=Washington,C=US"
VALIDITY = "NotBefore=2023-09-21T22:43:21Z;NotAfter=2026-06-17T22:43:21Z"


def _local(time: str, client: str, latency: str, status: str, trace: str) -> str:
    """One of our records: the guide's first entry with another time, client, latency and status."""
    return (
        f"{time} {client} 36280 443 TLSv1.3 TLS_AES_128_GCM_SHA256 {latency} "
        f'"{SUBJECT}" {VALIDITY} FEF257372D5C14D4 {status} TID_{trace}'
    )


LOCAL = [
    _local("2024-02-01T10:00:00.000001Z", "198.51.100.1", "2.500", "Success", "01"),
    _local("2024-02-02T10:00:00.000002Z", "198.51.100.2", "1.000", "Success", "02"),
    _local("2024-04-01T10:00:00.000003Z", "198.51.100.3", "3.000", "Success", "03"),  # after the range
    _local("2024-02-03T10:00:00.000004Z", "198.51.100.4", "-", "Failed:ClientCertExpired", "04"),
    _local("2024-02-04T10:00:00.000005Z", "198.51.100.4", "-", "Failed:ClientCertRevoked", "05"),
    # A plain HTTP connection: no TLS, every TLS field '-' (NULL here).
    '2024-02-05T10:00:00.000006Z 198.51.100.5 61814 80 - - - "-" - - - TID_06',
]


@pytest.fixture(scope="module")
def lake_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("alb-conn") / "lake")


@pytest.fixture(scope="module")
def conn_lake(lake_path: str) -> Lake:
    lake: Lake = open_lake(lake_path)
    write_messages(lake.store, "/alb/connections", DOCS, id_prefix="docs#")
    write_messages(lake.store, "/alb/local", LOCAL, id_prefix="local#")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


@pytest.fixture(scope="module")
def engine(conn_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(conn_lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_every_documented_entry_lands_with_every_field(conn_lake: Lake, engine: DuckDBEngine) -> None:
    assert sorted(SchemaRegistry(conn_lake.store).tables()) == ["alb_connection_logs"]
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    got = rows(engine, "SELECT time, client_ip, client_port, listener_port, tls_protocol, tls_cipher, "
                       "tls_handshake_latency, leaf_client_cert_subject, leaf_client_cert_validity, "
                       "leaf_client_cert_serial_number, tls_verify_status, conn_trace_id, tls_keyexchange, "
                       "extra_fields, day, level, CAST(timestamp AS VARCHAR) FROM alb_connection_logs "
                       "WHERE log_group = '/alb/connections' ORDER BY event_id")  # fmt: skip
    head = ("2023-10-04T17:05:15.514108Z", "203.0.113.1", 36280, 443, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")
    cert = (SUBJECT, VALIDITY, "FEF257372D5C14D4")
    tail = (None, None, "2023/10/04")
    assert got == [
        (*head, 4.036, *cert, "Success", "TID_3180a73013c8ca4bac2f731159d4b0fe", *tail, None,
         "2023-10-04 17:05:15.514108"),
        (*head, None, *cert, "Failed:ClientCertUntrusted", "TID_1c71a68d70587445ad5127ff8b2687d7", *tail, "ERROR",
         "2023-10-04 17:05:15.514108"),
    ]  # fmt: skip


def test_alb_connection_documented_queries(engine: DuckDBEngine) -> None:
    # [2] Connections whose verification did not succeed, per client. The plain HTTP connection has no
    # status ('-': NULL here), so it is not counted; Athena, which keeps '-', would count it once.
    assert rows(engine, CONN[2]) == [("198.51.100.4", 2), ("203.0.113.1", 1)]
    # [3] Handshakes of 2 s or more between 2024-01-01 and 2024-03-20: ours of February 1st only.
    result = engine.query(CONN[3])
    found = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    assert [(r["client_ip"], r["tls_handshake_latency"], r["conn_trace_id"], r["day"]) for r in found] == [
        ("198.51.100.1", 2.5, "TID_01", "2024/02/01")
    ]


def test_documented_query_through_loglake_query(conn_lake: Lake, lake_path: str, run_cli: CliRun) -> None:
    code, out, err = run_cli("query", "--lake", lake_path, "-f", "csv", CONN[2])
    assert (code, err.split(" in ")[0]) == (0, "duckdb: 2 rows")
    assert list(csv.reader(io.StringIO(out))) == [
        ["client_ip", "count"],
        ["198.51.100.4", "2"],
        ["203.0.113.1", "1"],
    ]


def test_access_log_lines_and_broken_records_are_not_claimed(tmp_path: Path) -> None:
    """A record without its trace id, one whose port is no number, and a Classic Load Balancer entry (same
    time shape) are no connection log records."""
    lake = open_lake(str(tmp_path / "lake"))
    no_trace = DOCS[0].rsplit(" ", 1)[0]
    bad_port = DOCS[0].replace(" 36280 443 ", " 36280 https ")
    classic = (SAMPLES / "elb_classic_docs.log").read_text().splitlines()[0]
    write_messages(lake.store, "/alb/broken", [no_trace, bad_port, classic, DOCS[0]])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert rows(engine, "SELECT event_id, format FROM logs ORDER BY 1") == [("e0", "text"), ("e1", "text")]
        assert rows(engine, "SELECT event_id FROM elb_logs") == [("e2",)]
        assert rows(engine, "SELECT event_id FROM alb_connection_logs") == [("e3",)]


def test_athena_ddl_has_aws_columns_and_types(conn_lake: Lake) -> None:
    schema = SchemaRegistry(conn_lake.store).get("alb_connection_logs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    ours = dict(re.findall(r"^  `(\w+)` (\w+),?$", ddl, flags=re.M))
    aws = re.findall(r"^ +(\w+) (string|int|double),?$", CONN[1], flags=re.M)
    assert len(aws) == 12
    assert {name: ours.get(name) for name, _t in aws} == dict(aws)
    assert (ours["tls_keyexchange"], ours["extra_fields"], ours["day"]) == ("string", "string", "string")

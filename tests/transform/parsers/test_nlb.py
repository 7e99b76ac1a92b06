"""Network Load Balancer access logs: the ELB guide's example entries and OpenTelemetry's test lines
(tests/events/aws_formats, see ATTRIBUTION.md) through the ETL into AWS's `nlb_tls_logs` table, and AWS's
documented Athena queries (tests/events/athena_sql/athena_networkloadbalancer-classic-logs.sql) run
unchanged over it, their answers asserted.

The LOCAL records are ours, in the guide's format: AWS's last query looks at the past 30 days and at
TLS 1.3, which the documented entries (2018, 2020, TLS 1.2) cannot show.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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
NLB = athena_documented("athena_networkloadbalancer-classic-logs.sql")
DOCS = (SAMPLES / "nlb_docs.log").read_text().splitlines()
OTEL = (SAMPLES / "nlb_otel.log").read_text().splitlines()
CERT = "arn:aws:acm:us-east-2:671290407336:certificate/2a108f19-aded-46b0-8493-c63eb1ef4a99"
CERT_2 = "arn:aws:acm:us-east-2:671290407336:certificate/00000000-0000-4000-8000-000000000002"
NOW = datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def _local(days: float, client: str, cert: str, cipher: str, protocol: str, handshake: str) -> str:
    """One of our records: the guide's ALPN entry with another time, client, certificate and TLS outcome."""
    fields = DOCS[1].split(" ")
    fields[2] = (NOW - timedelta(days=days)).isoformat()
    fields[5] = f"{client}:40000"
    fields[8] = handshake
    fields[12], fields[14], fields[15] = cert, cipher, protocol
    return " ".join(fields)


LOCAL = [
    _local(1, "198.51.100.1", CERT_2, "TLS_AES_128_GCM_SHA256", "tlsv13", "40"),
    _local(2, "198.51.100.2", "-", "-", "-", "-"),  # a handshake that failed: no certificate, no cipher
    _local(40, "72.21.218.154", CERT, "ECDHE-RSA-AES128-SHA", "tlsv12", "7"),  # older than 30 days
]


@pytest.fixture(scope="module")
def lake_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("nlb") / "lake")


@pytest.fixture(scope="module")
def nlb_lake(lake_path: str) -> Lake:
    lake: Lake = open_lake(lake_path)
    write_messages(lake.store, "/nlb/docs", DOCS + OTEL, id_prefix="docs#")
    write_messages(lake.store, "/nlb/local", LOCAL, id_prefix="local#")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


@pytest.fixture(scope="module")
def engine(nlb_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(nlb_lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_every_documented_entry_lands_with_every_field(nlb_lake: Lake, engine: DuckDBEngine) -> None:
    assert sorted(SchemaRegistry(nlb_lake.store).tables()) == ["nlb_tls_logs"]
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    got = engine.query("SELECT * EXCLUDE (timestamp, time_source, message, log_group, log_stream, ingestion_time, "
                       "source, raw_object, dt, hour) FROM nlb_tls_logs WHERE log_group = '/nlb/docs' "
                       "ORDER BY event_id")  # fmt: skip
    records = [dict(zip(got.columns, row, strict=True)) for row in got.rows]
    common = {
        "level": None, "format": "nlb", "type": "tls", "version": "2.0",
        "elb": "net/my-network-loadbalancer/c6e77e28c25b2234", "listener_id": "g3d4b5e8bb8464cd",
        "client_ip": "72.21.218.154", "client_port": 51341, "target_ip": "172.100.100.185", "target_port": 443,
        "tcp_connection_time_ms": 5.0, "tls_handshake_time_ms": 2.0, "received_bytes": 98, "sent_bytes": 246,
        "incoming_tls_alert": None, "cert_arn": CERT, "certificate_serial": None,
        "tls_cipher_suite": "ECDHE-RSA-AES128-SHA", "tls_protocol_version": "tlsv12", "tls_named_group": None,
        "domain_name": "my-network-loadbalancer-c6e77e28c25b2234.elb.us-east-2.amazonaws.com",
        "extra_fields": None,
    }  # fmt: skip
    no_alpn = {"alpn_fe_protocol": None, "alpn_be_protocol": None, "alpn_client_preference_list": None}
    alpn = {"alpn_fe_protocol": "h2", "alpn_be_protocol": "h2", "alpn_client_preference_list": '"h2","http/1.1"'}
    assert records == [
        {"event_id": "docs#0", **common, "time": "2018-12-20T02:59:40", **no_alpn, "tls_connection_creation_time": None},
        {"event_id": "docs#1", **common, "time": "2020-04-01T08:51:42", **alpn, "tls_connection_creation_time": None},
        {"event_id": "docs#2", **common, "time": "2018-12-20T02:59:40", **no_alpn,
         "tls_connection_creation_time": "2018-12-20T02:59:30"},
        {"event_id": "docs#3", **common, "time": "2020-04-01T08:51:42", **alpn,
         "tls_connection_creation_time": "2020-04-01T08:51:20"},
    ]  # fmt: skip
    # The event time is the record's `time` (UTC), not the delivery time.
    assert rows(engine, "SELECT DISTINCT CAST(timestamp AS VARCHAR), time_source FROM nlb_tls_logs "
                        "WHERE log_group = '/nlb/docs' ORDER BY 1") == [
        ("2018-12-20 02:59:40", "parsed"), ("2020-04-01 08:51:42", "parsed")
    ]  # fmt: skip


def test_nlb_documented_queries(engine: DuckDBEngine) -> None:
    # [2] How many times each certificate is used: '-' (no certificate) is NULL here, '-' in Athena.
    assert sorted(rows(engine, NLB[2]), key=str) == [(1, CERT_2), (1, None), (5, CERT)]
    # [3] TLS versions before 1.3, per client: the documented entries and our 40-day-old one.
    assert rows(engine, NLB[3]) == [("tlsv12", 5, "72.21.218.154")]
    # [4] The slowest handshakes first (NULL last, as in Trino).
    result = engine.query(NLB[4])
    assert len(result.columns) == 11 + 23 + 2 + 2  # the envelope, AWS's columns, ours two, dt and hour
    handshake = result.columns.index("tls_handshake_time_ms")
    assert [row[handshake] for row in result.rows] == [40.0, 7.0, 2.0, 2.0, 2.0, 2.0, None]
    # [5] Cipher suites and versions of the past 30 days, '-' left out: our record of yesterday only.
    assert rows(engine, NLB[5]) == [("TLS_AES_128_GCM_SHA256", "tlsv13", 1)]


def test_documented_query_through_loglake_query(nlb_lake: Lake, lake_path: str, run_cli: CliRun) -> None:
    code, out, err = run_cli("query", "--lake", lake_path, "-f", "csv", NLB[3])
    assert (code, err.split(" in ")[0]) == (0, "duckdb: 1 rows")
    assert list(csv.reader(io.StringIO(out))) == [
        ["tls_protocol_version", "num_connections", "client_ip"],
        ["tlsv12", "5", "72.21.218.154"],
    ]


def test_broken_and_foreign_lines_are_not_claimed(tmp_path: Path) -> None:
    """A record cut before domain_name, or with a port that is no number, is no NLB record: it stays text."""
    lake = open_lake(str(tmp_path / "lake"))
    cut = " ".join(DOCS[0].split(" ")[:17])
    bad_port = DOCS[0].replace("72.21.218.154:51341", "72.21.218.154:x")
    write_messages(lake.store, "/nlb/broken", [cut, bad_port, "tls is fine today", DOCS[1]])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert rows(engine, "SELECT event_id, format FROM logs ORDER BY 1") == [
            ("e0", "text"), ("e1", "text"), ("e2", "text")
        ]  # fmt: skip
        assert rows(engine, "SELECT event_id FROM nlb_tls_logs") == [("e3",)]


def test_athena_ddl_has_aws_columns_and_types(nlb_lake: Lake) -> None:
    schema = SchemaRegistry(nlb_lake.store).get("nlb_tls_logs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    ours = dict(re.findall(r"^  `(\w+)` (\w+),?$", ddl, flags=re.M))
    aws = re.findall(r"^ +(\w+) (string|int|double|bigint),?$", NLB[1], flags=re.M)
    assert len(aws) == 23
    assert {name: ours.get(name) for name, _t in aws} == dict(aws)
    assert (ours["tls_connection_creation_time"], ours["extra_fields"]) == ("string", "string")


def test_extra_fields_join_only_past_the_22nd_token() -> None:
    """extra_fields joins the tokens after the 22nd only where there are some (the empty slice's join cost
    13 ms per 50,000 records), and gives what the join gave: NULL for none, '' or `-` (the column's nullif)."""
    import duckdb

    from loglake.transform.parsers.nlb import COLUMNS

    new = next(c.value for c in COLUMNS if c.name == "extra_fields")
    assert new.startswith("CASE WHEN len({s}) > 22 THEN ")
    old = "array_to_string({s}[23:], ' ')"
    lines = [" ".join(f"t{i}" for i in range(1, n + 1)) for n in (1, 18, 21, 22, 23, 24, 30)]
    lines += ["a " * 21 + "b", "a " * 22, "a " * 22 + "-", "a " * 22 + " ", "a " * 23 + "\u00e9  \r", ""]
    nullable = "nullif(nullif({e}, ''), '-')"
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT l, {nullable.format(e=old.replace('{s}', 's'))}, {nullable.format(e=new.replace('{s}', 's'))} "
            "FROM (SELECT l, string_split(l, ' ') AS s FROM unnest($lines::VARCHAR[]) AS t(l))",
            {"lines": [*lines, None]},
        )
        .fetchall()
    )
    assert len(rows) == 14 and [r for r in rows if r[1] != r[2]] == []
    assert sorted((r[2] for r in rows if r[2] is not None), key=str) == [
        " ", "a \u00e9  \r", "t23", "t23 t24", "t23 t24 t25 t26 t27 t28 t29 t30",
    ]  # fmt: skip

"""Route 53 Resolver query logs: the Route 53 guide's example records (tests/events/aws_formats, see
ATTRIBUTION.md) through the ETL into AWS's `r53_rlogs` table, and AWS's documented Athena queries
(tests/events/athena_sql/athena_querying-r53-resolver-logs.sql) run unchanged over it, their answers asserted.

The LOCAL records are ours, in the guide's format: AWS's queries look at the first eight minutes of
2020-09-24, at names under example.com, at queries without an answer and at the answer 203.0.113.16.
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
from loglake.transform.settings import EtlSettings

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
R53 = athena_documented("athena_querying-r53-resolver-logs.sql")
DOCS = (SAMPLES / "route53_resolver_docs.log").read_text().splitlines()
DOCS_2020 = (SAMPLES / "route53_resolver_docs_2020.log").read_text().splitlines()
INSTANCE = "i-0a1b2c3d4e5f60001"


def _local(when: str, name: str, rcode: str, answers: list[tuple[str, str]], port: int, **srcids: str) -> str:
    """One of our records, with the guide's fields and another time, name, outcome and source."""
    record = json.loads(DOCS[0])
    for key in ("firewall_rule_group_id", "firewall_rule_action", "firewall_domain_list_id"):
        del record[key]
    record.update(query_timestamp=when, query_name=name, rcode=rcode, query_type="A", srcport=str(port))
    record.update(srcaddr=f"10.0.0.{port - 52995}", srcids=srcids or {"instance": INSTANCE})
    record["answers"] = [{"Rdata": data, "Type": type_, "Class": "IN"} for data, type_ in answers]
    return json.dumps(record)


LOCAL = [
    _local("2020-09-24T00:05:00Z", "www.example.com.", "NOERROR", [("203.0.113.16", "A")], 53000),
    _local("2020-09-24T00:07:59Z", "api.example.com.", "NXDOMAIN", [], 53001,
           resolver_endpoint="rslvr-in-0123456789abcdef0"),
    _local("2020-09-24T00:09:00Z", "other.example.org.", "NOERROR",
           [("x.example.org.", "CNAME"), ("203.0.113.16", "A")], 53002),  # after the eight minutes
    _local("2020-09-23T23:59:59Z", "mail.example.com.", "SERVFAIL", [], 53003),  # before them
]  # fmt: skip


@pytest.fixture(scope="module")
def lake_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("r53") / "lake")


@pytest.fixture(scope="module")
def r53_lake(lake_path: str) -> Lake:
    lake: Lake = open_lake(lake_path)
    write_messages(lake.store, "/r53/docs", DOCS + DOCS_2020, id_prefix="docs#")
    write_messages(lake.store, "/r53/local", LOCAL, id_prefix="local#")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


@pytest.fixture(scope="module")
def engine(r53_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(r53_lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_every_documented_record_lands_with_every_field(r53_lake: Lake, engine: DuckDBEngine) -> None:
    assert sorted(SchemaRegistry(r53_lake.store).tables()) == ["r53_rlogs"]
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    got = engine.query("SELECT * EXCLUDE (time_source, message, log_group, log_stream, ingestion_time, source, "
                       "raw_object, dt, hour) FROM r53_rlogs WHERE log_group = '/r53/docs' ORDER BY event_id")  # fmt: skip
    records = [dict(zip(got.columns, row, strict=True)) for row in got.rows]
    assert [{k: str(v) if k == "timestamp" else v for k, v in r.items()} for r in records] == [
        {
            "timestamp": "2021-02-04 17:51:55", "level": None, "event_id": "docs#0", "format": "route53_resolver",
            "version": "1.100000", "account_id": "111122223333", "region": "us-east-1", "vpc_id": "vpc-7example",
            "query_timestamp": "2021-02-04T17:51:55Z", "query_name": "15.3.4.32.in-addr.arpa.",
            "query_type": "PTR", "query_class": "IN", "rcode": "NOERROR",
            "answers": [{"Rdata": "203.0.113.9", "Type": "PTR", "Class": "IN"}], "srcaddr": "4.5.64.102",
            "srcport": 56067, "transport": "UDP",
            "srcids": {"instance": "i-0d15cd0d3example", "resolver_endpoint": None, "resolver_network_interface": None},
            "firewall_rule_action": "BLOCK", "firewall_rule_group_id": "rslvr-frg-01234567890abcdef",
            "firewall_domain_list_id": "rslvr-fdl-01234567890abcdef",
        },
        # The guide's 2020 example: trailing commas (DuckDB's JSON reader accepts them, as for any JSON
        # line), an address with a typo kept as written, and `resolver-endpoint` spelled with a hyphen,
        # which is not Resolver's key: NULL.
        {
            "timestamp": "2020-07-27 16:32:20", "level": None, "event_id": "docs#1", "format": "route53_resolver",
            "version": "1.000000", "account_id": "111122223333", "region": "us-west-2", "vpc_id": "vpc-7example",
            "query_timestamp": "2020-07-27T16:32:20Z", "query_name": "api.example.com.", "query_type": "A",
            "query_class": "IN", "rcode": "NOERROR",
            "answers": [{"Rdata": data, "Type": "A", "Class": "IN"}
                        for data in ("192.0.2e.44", "198.51.100.6", "203.0.113.8", "203.0.113.9")],
            "srcaddr": "192.0.2.15", "srcport": 50637, "transport": "UDP",
            "srcids": {"instance": "i-0d15cd0d3example", "resolver_endpoint": None, "resolver_network_interface": None},
            "firewall_rule_action": None, "firewall_rule_group_id": None, "firewall_domain_list_id": None,
        },
    ]  # fmt: skip


def test_r53_documented_queries(engine: DuckDBEngine) -> None:
    # [2] Any ten rows: all six.
    assert len(rows(engine, R53[2])) == 6
    # [3] Newest query first.
    result = engine.query(R53[3])
    stamps = [row[result.columns.index("query_timestamp")] for row in result.rows]
    assert stamps == ["2021-02-04T17:51:55Z", "2020-09-24T00:09:00Z", "2020-09-24T00:07:59Z", "2020-09-24T00:05:00Z",
                      "2020-09-23T23:59:59Z", "2020-07-27T16:32:20Z"]  # fmt: skip
    # [4] Between midnight and 00:08 on 2020-09-24 (AWS's text says 8am; its pattern says 00:08).
    assert rows(engine, R53[4]) == [
        ("2020-09-24T00:07:59Z", None, "10.0.0.6", 53001, "api.example.com.", "NXDOMAIN"),
        ("2020-09-24T00:05:00Z", INSTANCE, "10.0.0.5", 53000, "www.example.com.", "NOERROR"),
    ]
    # [5] Names under example.com, newest first.
    assert [(r[0], r[4], len(r[6])) for r in rows(engine, R53[5])] == [
        ("2020-09-24T00:07:59Z", "api.example.com.", 0),
        ("2020-09-24T00:05:00Z", "www.example.com.", 1),
        ("2020-09-23T23:59:59Z", "mail.example.com.", 0),
        ("2020-07-27T16:32:20Z", "api.example.com.", 4),
    ]
    # [6] Queries without an answer.
    assert sorted(rows(engine, R53[6])) == [
        ("2020-09-23T23:59:59Z", INSTANCE, "10.0.0.8", 53003, "mail.example.com.", "SERVFAIL", []),
        ("2020-09-24T00:07:59Z", None, "10.0.0.6", 53001, "api.example.com.", "NXDOMAIN", []),
    ]
    # [7] Queries answered 203.0.113.16, one row per such answer.
    assert sorted(rows(engine, R53[7])) == [
        ("2020-09-24T00:05:00Z", INSTANCE, "10.0.0.5", 53000, "www.example.com.", "NOERROR", "203.0.113.16"),
        ("2020-09-24T00:09:00Z", INSTANCE, "10.0.0.7", 53002, "other.example.org.", "NOERROR", "203.0.113.16"),
    ]


def test_documented_query_through_loglake_query(r53_lake: Lake, lake_path: str, run_cli: CliRun) -> None:
    code, out, err = run_cli("query", "--lake", lake_path, "-f", "csv", R53[4])
    assert (code, err.split(" in ")[0]) == (0, "duckdb: 2 rows")
    assert list(csv.reader(io.StringIO(out)))[1:] == [
        ["2020-09-24T00:07:59Z", "", "10.0.0.6", "53001", "api.example.com.", "NXDOMAIN"],
        ["2020-09-24T00:05:00Z", INSTANCE, "10.0.0.5", "53000", "www.example.com.", "NOERROR"],
    ]


def test_other_json_is_not_claimed(tmp_path: Path) -> None:
    """JSON without `rcode` or `query_name` is no Resolver record: generic JSON, in logs."""
    lake = open_lake(str(tmp_path / "lake"))
    record = json.loads(DOCS[0])
    no_rcode = json.dumps({k: v for k, v in record.items() if k != "rcode"})
    write_messages(lake.store, "/r53/other", [no_rcode, '{"query_timestamp": "x", "query_name": null}', DOCS[0]])
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert rows(engine, "SELECT event_id, format FROM logs ORDER BY 1") == [("e0", "json"), ("e1", "json")]
        assert rows(engine, "SELECT event_id FROM r53_rlogs") == [("e2",)]


def test_athena_ddl_has_aws_columns_and_types(r53_lake: Lake) -> None:
    schema = SchemaRegistry(r53_lake.store).get("r53_rlogs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    ours = dict(re.findall(r"^  `(\w+)` (\w+)", ddl, flags=re.M))
    aws = dict(re.findall(r"^  (\w+)\s+(\w+)", R53[1], flags=re.M))
    assert len(aws) == 14
    assert {name: ours.get(name) for name in aws} == aws

"""CloudFront standard logs: AWS's own example log file (tests/events/aws_formats/cloudfront_docs.log, see
ATTRIBUTION.md) through the ETL into AWS's `cloudfront_logs` table, and AWS's documented Athena example
queries (tests/events/athena_sql/athena_cloudfront-logs.sql) run unchanged over it.

The LOCAL records are ours, in the guide's format: AWS's first query sums the bytes of June 9-11, 2018,
a range that AWS's example file (December 2019) does not reach.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from conftest import Ingest, athena_documented, write_messages
from loglake.catalog.athena_ddl import clean_table_ddl
from loglake.lake.open import Lake, open_lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

SAMPLE = Path(__file__).parents[2] / "events" / "aws_formats" / "cloudfront_docs.log"
CF = athena_documented("athena_cloudfront-logs.sql")
DOC_LINES = SAMPLE.read_text().splitlines()
HEADERS = DOC_LINES[:2]
RECORDS = DOC_LINES[2:]


def _local(day: str, clock: str, sc_bytes: int, ip: str) -> str:
    """One of our records: the guide's first record with another date, time, size and viewer address."""
    fields = RECORDS[0].split("\t")
    fields[0:5] = [day, clock, "IAD89-C1", str(sc_bytes), ip]
    return "\t".join(fields)


LOCAL = [
    _local("2018-06-08", "23:59:59", 1000, "198.51.100.1"),  # the day before the documented range
    _local("2018-06-09", "00:00:00", 200, "198.51.100.2"),
    _local("2018-06-11", "23:59:59", 30, "198.51.100.3"),
    _local("2018-06-12", "00:00:00", 4000, "198.51.100.4"),  # the day after
]


@pytest.fixture(scope="module")
def cf_lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    lake: Lake = open_lake(str(tmp_path_factory.mktemp("cloudfront") / "lake"))
    write_messages(lake.store, "/cloudfront/docs", DOC_LINES, id_prefix="docs#", stream="E2EXAMPLE")
    write_messages(lake.store, "/cloudfront/local", LOCAL, id_prefix="local#", stream="E2EXAMPLE")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


@pytest.fixture(scope="module")
def engine(cf_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(cf_lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_records_land_in_cloudfront_logs_and_headers_in_logs(cf_lake: Lake, engine: DuckDBEngine) -> None:
    assert sorted(SchemaRegistry(cf_lake.store).tables()) == ["cloudfront_logs", "logs"]
    found = rows(engine, "SELECT log_group, format, count(*) FROM cloudfront_logs GROUP BY 1, 2 ORDER BY 1")
    assert found == [("/cloudfront/docs", "cloudfront", 6), ("/cloudfront/local", "cloudfront", 4)]
    # The two header lines are no requests: they stay in `logs` as text, each once, and nothing is dropped.
    assert rows(engine, "SELECT event_id, format, message FROM logs ORDER BY event_id") == [
        ("docs#0", "text", "#Version: 1.0"),
        ("docs#1", "text", HEADERS[1]),
    ]
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    report = check_conservation(engine, cf_lake.store)
    assert report.ok
    assert report.totals()["clean_events"] == 12


def test_columns_have_aws_names_and_types(engine: DuckDBEngine) -> None:
    got = rows(engine, "SELECT date, time, location, bytes, request_ip, method, host, uri, status, referrer, "
                       "result_type, host_header, request_protocol, request_bytes, time_taken, ssl_protocol, "
                       "response_result_type, http_version, c_port, time_to_first_byte, "
                       "x_edge_detailed_result_type, sc_content_type, sc_content_len, sc_range_start, extra_fields, "
                       "level FROM cloudfront_logs WHERE log_group = '/cloudfront/docs' ORDER BY event_id")  # fmt: skip
    hit = (date(2019, 12, 4), "21:02:31", "LAX1", 392, "192.0.2.100", "GET", "d111111abcdef8.cloudfront.net",
           "/index.html", 200, None, "Hit", "d111111abcdef8.cloudfront.net", "https", 23)  # fmt: skip
    tls = ("TLSv1.2", "Hit", "HTTP/2.0", 11040)
    assert got[0] == (*hit, 0.001, *tls, 0.001, "Hit", "text/html", 78, None, None, None)
    assert got[1] == (*hit, 0.0, *tls, 0.0, "Hit", "text/html", 78, None, None, None)
    # The guide's third record ends with an empty field after sc-range-end: nothing there to keep.
    assert got[2] == got[0]
    assert got[3] == (
        date(2019, 12, 13), "22:36:27", "SEA19-C1", 900, "192.0.2.200", "GET", "d111111abcdef8.cloudfront.net",
        "/favicon.ico", 502, "http://www.example.com/", "Error", "www.example.com", "http", 675, 0.102, None, "Error",
        "HTTP/1.1", 25260, 0.102, "OriginDnsError", "text/html", 507, None, None, "ERROR",
    )  # fmt: skip
    assert len(got) == 6
    typed = ", ".join(f"typeof({c})" for c in ("date", "bytes", "status", "time_taken", "fle_encrypted_fields"))
    assert engine.query(f"SELECT DISTINCT {typed} FROM cloudfront_logs", dialect="duckdb").rows == [
        ("DATE", "BIGINT", "INTEGER", "DOUBLE", "INTEGER")
    ]
    # The event time is the record's date and time (UTC), not the delivery time.
    assert rows(engine, "SELECT min(timestamp), max(timestamp) FROM cloudfront_logs WHERE log_group LIKE '%docs'") == [
        (*(rows(engine, "SELECT TIMESTAMP '2019-12-04 21:02:31', TIMESTAMP '2019-12-13 22:37:02'")[0]),)
    ]


def test_cloudfront_documented_queries(engine: DuckDBEngine) -> None:
    # June 9 to 11, 2018: our records of the 9th and the 11th, not those of the 8th and the 12th.
    assert rows(engine, CF[2]) == [(230,)]
    # SELECT DISTINCT *: every record is its own request (request ids differ), 10 records, LIMIT 10.
    result = engine.query(CF[3])
    ids = sorted(row[result.columns.index("request_id")] for row in result.rows)
    assert len(ids) == 10
    assert ids == sorted(r.split("\t")[14] for r in RECORDS + LOCAL)


def test_records_of_every_length_and_extra_fields(tmp_path: Path) -> None:
    """A record may end after any field from the 12th (cs-uri-query) on, never skip one; past the 33rd
    field, the rest is kept in extra_fields. Fewer than 12 fields is no CloudFront record: text."""
    full = RECORDS[3].split("\t")
    cut = ["\t".join(full[:n]) for n in range(11, 34)] + [RECORDS[3] + "\tNewField\tMore"]
    lake = open_lake(str(tmp_path / "lake"))
    write_messages(lake.store, "/cloudfront/cut", cut)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    later = ["cookie", "result_type", "request_id", "host_header", "request_protocol", "request_bytes",
             "time_taken", "xforwarded_for", "ssl_protocol", "ssl_cipher", "response_result_type", "http_version",
             "fle_status", "fle_encrypted_fields", "c_port", "time_to_first_byte", "x_edge_detailed_result_type",
             "sc_content_type", "sc_content_len", "sc_range_start", "sc_range_end"]  # fmt: skip
    with DuckDBEngine(lake.store) as engine:
        columns = ", ".join(["event_id", "query_string", *later, "extra_fields"])
        got = {row[0]: row[1:] for row in rows(engine, f"SELECT {columns} FROM cloudfront_logs")}
        assert rows(engine, "SELECT event_id, format FROM logs") == [("e0", "text")]
        assert check_conservation(engine, lake.store).ok
    values = (None, None, "Error", "1pkpNfBQ39sYMnjjUQjmH2w1wdJnbHYTbag21o_3OfcQgPzdL2RSSQ==", "www.example.com",
              "http", 675, 0.102, None, None, None, "Error", "HTTP/1.1", None, None, 25260, 0.102, "OriginDnsError",
              "text/html", 507, None, None)  # fmt: skip
    assert len(got) == 23
    for present in range(22):  # 12 + present fields; query_string and cookie are '-' in this record
        assert got[f"e{present + 1}"] == (*values[: present + 1], *[None] * (21 - present), None)
    assert got["e23"] == (*values, "NewField\tMore")


def test_a_delivered_log_file_ingested_as_is(ingest_lines: Ingest, query: Any) -> None:
    """A log file as CloudFront delivers it (once gunzipped), headers and all, through `ingest`: tabs survive."""
    ingest_lines(SAMPLE.read_bytes(), name="E2EXAMPLE.2019-12-13-22.abcd1234", log_group="/cf")
    # 3 x 392 + 3 x 900 bytes; "#F" sorts before "#V".
    assert query("SELECT count(*), sum(bytes), count_if(status = 502) FROM cloudfront_logs") == [(6, 3876, 3)]
    assert query("SELECT message FROM logs ORDER BY message") == [(HEADERS[1],), (HEADERS[0],)]


def test_athena_ddl_has_aws_columns_and_types(cf_lake: Lake) -> None:
    """The generated Athena table holds every column of AWS's documented one, with AWS's type; the one
    difference is FLOAT, which the registry keeps as double (see the parser's docstring)."""
    schema = SchemaRegistry(cf_lake.store).get("cloudfront_logs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    ours = dict(re.findall(r"^  `(\w+)` (\w+),?$", ddl, flags=re.M))
    aws = re.findall(r"^  `?(\w+)`? (\w+),?$", CF[1], flags=re.M)
    assert len(aws) == 33
    expected = {"STRING": "string", "BIGINT": "bigint", "INT": "int", "DATE": "date", "FLOAT": "double"}
    assert {name: ours.get(name) for name, _t in aws} == {name: expected[type_] for name, type_ in aws}
    assert ours["extra_fields"] == "string"


def test_the_groups_come_from_the_tab_split_with_the_regex_values() -> None:
    """The write read the 34 groups with one regexp_extract per record (0.28 s CPU per 50,000); the plan now
    builds the same struct from the line's tab-separated tokens (0.04 s): equal on every line of the pattern."""
    import duckdb

    from loglake.sql_quoting import sql_string
    from loglake.transform.parsers.base import LINE, RegexParser
    from loglake.transform.parsers.cloudfront import CloudFrontParser

    parser = CloudFrontParser()
    plan = parser.plan(None, 5)
    assert "__ll_cloudfront" not in plan.staging and list(plan.derived) == ["__ll_cloudfront", "__ll_cf_time"]
    assert "regexp" not in plan.derived["__ll_cloudfront"]
    first = RECORDS[0].split("\t")
    lines = [
        *(RECORDS[0], "\t".join(first[:12]), "\t".join(first[:13]), "\t".join(first[:24]), "\t".join(first[:26])),
        *("\t".join([*first, "x"]), "\t".join([*first, "x", "", "y z"]), "\t".join([*first, ""])),
        *("\t".join(first[:12]) + "\t", "\t".join(first[:33]) + "\t\t", RECORDS[0] + "\r\n", RECORDS[0] + "\n"),
        "\t".join([*first[:5], "GËT", "ünï cödé", "", " ", *first[9:20]]),
        "\t".join([*first[:12], "a\nb"]),  # an LF inside a field: `[^\t]` takes it
        *("\t".join(first[:11]), "2019-12-04 21:02:31\tx", RECORDS[0] + "\tx\ny", ""),  # none of the pattern
    ]
    line = LINE.format(m="message")
    old = RegexParser.staged(parser, "message")
    rows = duckdb.execute(
        f"SELECT regexp_full_match({line}, {sql_string(parser.pattern)}), {old}, {plan.derived['__ll_cloudfront']} "
        f"FROM (SELECT message, {plan.staging['__ll_cf_tokens']} AS __ll_cf_tokens "
        "FROM (SELECT unnest(?::VARCHAR[]) AS message, generate_subscripts(?, 1) AS i) ORDER BY i)",
        [lines, lines],
    ).fetchall()
    assert [r[0] for r in rows] == [True] * 14 + [False] * 4
    assert [r[1] for r in rows[:14]] == [r[2] for r in rows[:14]]
    extra = [r[2]["extra_fields"] for r in rows[:14]]
    assert extra == ["", "", "", "", "", "x", "x\t\ty z", "", "", "\t", "", "", "", ""]
    assert [r[2]["sc_range_end"] for r in rows[:14]].count("") == 7  # the lines of fewer than 33 fields


def test_the_time_string_is_a_column_of_its_own() -> None:
    """ll_parse_time names its argument in each branch of its cascade: CloudFront's time, a CASE over the
    custom field order, was copied into every one, and planning them cost about 40 ms per object (the time of
    50,000 records: 59 -> 18 ms). It is now a derived column, after the struct it reads."""
    from loglake.transform.parsers.cloudfront import CloudFrontParser

    plan = CloudFrontParser().plan(None, 5)
    assert plan.time == "__ll_cf_time"
    assert list(plan.derived) == ["__ll_cloudfront", "__ll_cf_time"]
    assert plan.derived["__ll_cf_time"].startswith("CASE WHEN __ll_cf_custom THEN coalesce(")
    assert plan.derived["__ll_cf_time"].endswith("ELSE __ll_cloudfront.date || ' ' || __ll_cloudfront.time END")

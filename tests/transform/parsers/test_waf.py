"""AWS WAF logs: the WAF guide's six example records (tests/events/aws_formats/waf_docs.log, see
ATTRIBUTION.md) through the ETL into AWS's `waf_logs` table, and AWS's documented Athena queries
(tests/events/athena_sql/athena_waf-logs.sql) over it, their answers asserted.

All fourteen of AWS's example queries run unchanged, those that compute with WAF's millisecond
`timestamp` (`from_unixtime(timestamp/1000)`, statements 4, 7, 8, 10 and 11) included: `waf_logs` keeps
AWS's BIGINT `timestamp` (lake/clean_zone.py TIMESTAMP_TYPES), and --since/--until filter it exactly.

The LOCAL records are ours, made from the guide's first record: AWS's queries look at March 2021, at a
client 53.21.198.66, at rate-based blocks from Ireland and at one rule id, none of which the guide's
records (2019 to 2021-09) have. The RECENT ones are an hour, three days and twenty days old when the test
runs, for the queries that look back from now() a day or ten (their answers do not depend on the hour).
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from conftest import CliRun, athena_documented, benchmark_module, macro_connection, write_messages
from loglake.catalog.athena_ddl import clean_table_ddl
from loglake.catalog.glue_sync import clean_table_input
from loglake.lake.open import Lake, open_lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.parsers.base import json_fields_present, json_text_fields
from loglake.transform.parsers.waf import WafParser
from loglake.transform.settings import EtlSettings

SAMPLES = Path(__file__).parents[2] / "events" / "aws_formats"
WAF = athena_documented("athena_waf-logs.sql")
DOCS = (SAMPLES / "waf_docs.log").read_text().splitlines()
ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop/5933d6d9-0000-4000-8000-000000000001"
RULE = "e9dd190d-7a43-4c06-bcea-409613d9506e"


def _local(day: str, client: str, country: str, action: str, rule: str, rule_type: str, **more: Any) -> str:
    """One of our records: the guide's first one, at noon UTC of `day` (or `at`), from `client`, another outcome."""
    at = more.pop("at", "12:00:00")
    return _record(int(datetime.fromisoformat(f"{day}T{at}+00:00").timestamp() * 1000), client, country, action,
                   rule, rule_type, **more)  # fmt: skip


def _record(ms: int, client: str, country: str, action: str, rule: str, rule_type: str, **more: Any) -> str:
    record = json.loads(DOCS[0])
    record["timestamp"] = ms
    record.update(webaclId=ACL, action=action, terminatingRuleId=rule, terminatingRuleType=rule_type)
    record["httpRequest"].update(clientIp=client, country=country, uri=more.pop("uri", "/"))
    record["httpRequest"]["headers"] += more.pop("headers", [])
    record.update(more)
    return json.dumps(record, separators=(",", ":"))


_COUNTED = {
    "ruleGroupId": "AWS#AWSManagedRulesCommonRuleSet",
    "terminatingRule": None,
    "nonTerminatingMatchingRules": [
        {"ruleId": "NoUserAgent_HEADER", "action": "COUNT", "overriddenAction": None, "ruleMatchDetails": []}
    ],
    "excludedRules": None,
}
LOCAL = [
    _local("2021-03-10", "53.21.198.66", "US", "ALLOW", "Default_Action", "REGULAR",
           headers=[{"name": "Referer", "value": "https://www.amazon.com/"}], ruleGroupList=[_COUNTED]),
    _local("2021-03-11", "198.51.100.7", "IE", "BLOCK", "RateLimit", "RATE_BASED"),
    _local("2021-03-12", "198.51.100.7", "IE", "BLOCK", "RateLimit", "RATE_BASED"),
    _local("2021-04-02", "198.51.100.8", "IE", "BLOCK", "RateLimit", "RATE_BASED"),  # after March
    _local("2021-03-15", "192.0.2.44", "US", "BLOCK", RULE, "REGULAR", uri="/login", at="12:07:45"),
]  # fmt: skip
NOW_MS = int(time.time() * 1000)
HOUR_MS, DAY_MS = 3_600_000, 86_400_000
EXCLUDED = [{"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": "SQLi_BODY"}]
_SQLI_GROUP = {"ruleGroupId": "AWS#AWSManagedRulesSQLiRuleSet", "terminatingRule": None,
               "nonTerminatingMatchingRules": [], "excludedRules": EXCLUDED}  # fmt: skip


def _recent(ago_ms: int, client: str) -> str:
    """Allowed, behind a proxy (X-Forwarded-For), a managed rule group with an excluded rule."""
    forwarded = [{"name": "X-Forwarded-For", "value": client}]
    return _record(NOW_MS - ago_ms, client, "DE", "ALLOW", "Default_Action", "REGULAR", headers=forwarded,
                   ruleGroupList=[_SQLI_GROUP])  # fmt: skip


RECENT = [_recent(HOUR_MS, "203.0.113.5"), _recent(3 * DAY_MS, "203.0.113.6"), _recent(20 * DAY_MS, "203.0.113.7")]


@pytest.fixture(scope="module")
def lake_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("waf") / "lake")


@pytest.fixture(scope="module")
def waf_lake(lake_path: str) -> Lake:
    lake: Lake = open_lake(lake_path)
    write_messages(lake.store, "/waf/docs", DOCS, id_prefix="docs#")
    write_messages(lake.store, "/waf/local", LOCAL, id_prefix="local#")
    write_messages(lake.store, "/waf/recent", RECENT, id_prefix="recent#")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


@pytest.fixture(scope="module")
def engine(waf_lake: Lake) -> Iterator[DuckDBEngine]:
    with DuckDBEngine(waf_lake.store) as opened:
        yield opened


def rows(engine: DuckDBEngine, sql: str) -> list[tuple[Any, ...]]:
    return engine.query(sql).rows


def test_every_documented_record_lands_with_its_fields(waf_lake: Lake, engine: DuckDBEngine) -> None:
    assert sorted(SchemaRegistry(waf_lake.store).tables()) == ["waf_logs"]
    assert rows(engine, "SELECT count(*) FROM quarantine") == [(0,)]
    got = rows(engine, "SELECT timestamp, formatversion, terminatingruleid, terminatingruletype, "
                       "action, httpsourcename, httpsourceid, region, date, len(httprequest.headers), "
                       "httprequest.uri, httprequest.httpmethod, responsecodesent, requestheadersinserted, "
                       "captcharesponse, labels FROM waf_logs WHERE log_group = '/waf/docs' ORDER BY event_id")  # fmt: skip
    apigw = ("APIGW", "123456789012:b34myvfw0b:pen-test", "us-east-1", "2021/09/23")
    label = [{"name": "value"}]
    assert got == [
        (1576280412771, 1, "STMTest_SQLi_XSS", "REGULAR", "BLOCK", "-", "-", "ap-southeast-2",
         "2019/12/13", 4, "/myUri", "GET", None, None, None, label),
        (1592357192516, 1, "Default_Action", "REGULAR", "ALLOW", "-", "-", "cloudfront", "2020/06/17",
         4, "/myUri", "GET", None, None, None, label),
        (1592361810888, 1, "RG-Reference", "GROUP", "BLOCK", "-", "-", "cloudfront", "2020/06/17", 5,
         "/myUri", "GET", None, None, None, label),
        (1576280412771, 1, "STMTest_SQLi_XSS", "REGULAR", "BLOCK", "ALB", "alb", "ap-southeast-2",
         "2019/12/13", 0, "", "POST", None, None, None, label),
        (1632420429309, 1, "Default_Action", "REGULAR", "ALLOW", *apigw, 20, "/pen-test/pets", "GET",
         None, [{"name": "x-amzn-waf-test-header-name", "value": "test-header-value"}], None, None),
        (1632420416512, 1, "captcha-rule", "REGULAR", "CAPTCHA", *apigw, 17, "/pen-test/pets", "GET",
         "405", None, {"responseCode": "405", "solveTimestamp": "0", "failureReason": "TOKEN_MISSING"}, None),
    ]  # fmt: skip
    nested = rows(engine, "SELECT terminatingrulematchdetails, rulegrouplist, nonterminatingmatchingrules, "
                          "httprequest.headers[4] FROM waf_logs WHERE log_group = '/waf/docs' ORDER BY event_id")  # fmt: skip
    sqli = {"conditionType": "SQL_INJECTION", "sensitivityLevel": "HIGH", "location": "HEADER"}
    assert nested[0][0] == [{**sqli, "matchedData": ["10", "AND", "1"]}]
    # The guide's second record names a header value `myValue`, not `value`: its value is NULL.
    assert nested[1][2:] == (
        [{"ruleId": "TestRule", "action": "COUNT",
          "ruleMatchDetails": [{**sqli, "matchedData": ["10", "and", "1"]}], "captchaResponse": None}],
        {"name": "myHeader", "value": None},
    )  # fmt: skip
    assert nested[2][1] == [
        {
            "ruleGroupId": "arn:aws:wafv2:us-east-1:123456789012:global/rulegroup/hello-world/"
            "c05lb698-1f11-4m41-aef4-99a506d53f4b",
            "terminatingRule": {"ruleId": "RuleA-XSS", "action": "BLOCK", "ruleMatchDetails": None},
            "nonTerminatingMatchingRules": [
                {"ruleId": "RuleB-SQLi", "action": "COUNT", "overriddenAction": None,
                 "ruleMatchDetails": [{**sqli, "sensitivityLevel": "LOW", "matchedData": ["10", "and", "1"]}]}
            ],
            "excludedRules": None,
        }
    ]  # fmt: skip
    assert nested[4][2] == [
        {"ruleId": "captcha-rule", "action": "CAPTCHA", "ruleMatchDetails": [],
         "captchaResponse": {"responseCode": "0", "solveTimestamp": "1632420429"}}
    ]  # fmt: skip


def test_waf_documented_queries(engine: DuckDBEngine) -> None:
    # [3] Referers containing "amazon" in March 2021: ours (the guide's APIGW record is of September).
    assert rows(engine, WAF[3]) == [(1,)]
    # [5] Rule-group rules counted (not blocked): ours.
    counted = [{"ruleId": "NoUserAgent_HEADER", "action": "COUNT", "overriddenAction": None, "ruleMatchDetails": []}]
    assert rows(engine, WAF[5]) == [(1, "-", "53.21.198.66", "AWS#AWSManagedRulesCommonRuleSet", counted)]
    # [6] Custom rules counted, by times matched: the guide's COUNT and CAPTCHA records.
    assert sorted(rows(engine, WAF[6])) == [
        (1, "-", "3.3.3.3", "TestRule", "COUNT"),
        (1, "123456789012:b34myvfw0b:pen-test", "72.21.198.65", "captcha-rule", "CAPTCHA"),
    ]
    # [9] One client in March 2021.
    result = engine.query(WAF[9])
    assert [row[result.columns.index("date")] for row in result.rows] == ["2021/03/10"]
    # [12] Blocked by a rate-based rule in March, per client; [13] from Ireland, any day.
    assert rows(engine, WAF[12]) == [(2, "198.51.100.7")]
    assert rows(engine, WAF[13]) == [(3, "IE")]
    # [14] Blocked requests by web ACL, rule, client and URI.
    stm = "arn:aws:wafv2:ap-southeast-2:111122223333:regional/webacl/STMTest/1EXAMPLE-2ARN-3ARN-4ARN-123456EXAMPLE"
    rg = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/hello-world/5933d6d9-9dde-js82-v8aw-9ck28nv9"
    json_acl = "arn:aws:wafv2:ap-southeast-2:123456789012:regional/webacl/test/111"
    found = rows(engine, WAF[14])
    assert found[0] == (2, ACL, "RateLimit", "198.51.100.7", "/")  # ORDER BY count DESC
    assert sorted(found) == sorted(
        [
            (2, ACL, "RateLimit", "198.51.100.7", "/"),
            (1, ACL, "RateLimit", "198.51.100.8", "/"),
            (1, ACL, RULE, "192.0.2.44", "/login"),
            (1, json_acl, "STMTest_SQLi_XSS", "1.1.1.1", ""),
            (1, rg, "RG-Reference", "3.3.3.3", "/myUri"),
            (1, stm, "STMTest_SQLi_XSS", "1.1.1.1", "/myUri"),
        ]
    )
    # [15] One rule id; [16] blocked clients of March 2021.
    assert rows(engine, WAF[15]) == [(1, ACL, "BLOCK", "192.0.2.44", "/login")]
    assert rows(engine, WAF[16]) == [("198.51.100.7", 2, "IE"), ("192.0.2.44", 1, "US")]


def test_documented_queries_through_loglake_query(waf_lake: Lake, lake_path: str, run_cli: CliRun) -> None:
    code, out, err = run_cli("query", "--lake", lake_path, "-f", "csv", WAF[16])
    assert (code, err.split(" in ")[0]) == (0, "duckdb: 2 rows")
    assert list(csv.reader(io.StringIO(out))) == [
        ["clientip", "ipcount", "country"], ["198.51.100.7", "2", "IE"], ["192.0.2.44", "1", "US"]
    ]  # fmt: skip
    # A query that divides the timestamp runs as on Athena (integer division: whole seconds).
    code, out, err = run_cli("query", "--lake", lake_path, "-f", "csv", WAF[10])
    assert (code, err.split(" in ")[0]) == (0, "duckdb: 4 rows")
    assert sorted(list(csv.reader(io.StringIO(out)))[1:]) == [
        ["2021-03-10 12:00", "53.21.198.66", "1"], ["2021-03-11 12:00", "198.51.100.7", "1"],
        ["2021-03-12 12:00", "198.51.100.7", "1"], ["2021-03-15 12:05", "192.0.2.44", "1"],
    ]  # fmt: skip


def _iso_seconds(ms: int) -> str:
    """to_iso8601(from_unixtime(ms/1000)) in Athena: the division is an integer one, so whole seconds."""
    return datetime.fromtimestamp(ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_queries_that_compute_with_the_milliseconds(engine: DuckDBEngine) -> None:
    """Statements 4, 7, 8, 10 and 11 divide WAF's millisecond `timestamp`, as AWS's BIGINT column allows."""
    group = "AWS#AWSManagedRulesSQLiRuleSet"
    excluded = json.dumps(EXCLUDED, separators=(",", ":"))
    # [4] Rule groups with excluded rules, last 10 days: the records of an hour and of three days ago.
    assert sorted(rows(engine, WAF[4])) == [(1, "203.0.113.5", excluded, group), (1, "203.0.113.6", excluded, group)]
    # [7] Any 10 requests (LIMIT without ORDER BY), each with its time in ISO 8601, whole seconds.
    every = {
        (_iso_seconds(record["timestamp"]), record["httpSourceName"], record["httpSourceId"],
         record["httpRequest"]["clientIp"])
        for record in map(json.loads, DOCS + LOCAL + RECENT)
    }  # fmt: skip
    seven = engine.query(WAF[7])
    assert seven.columns == ["time_iso_8601", "httpsourcename", "httpsourceid", "httprequest"]
    got = [(iso, name, source, request["clientIp"]) for iso, name, source, request in seven.rows]
    assert len(set(got)) == 10 and set(got) <= every and len(every) == 14
    # [8] The last day: the record of an hour ago only.
    eight = rows(engine, WAF[8])
    assert [(iso, name, source, request["clientIp"]) for iso, name, source, request in eight] == [
        (_iso_seconds(NOW_MS - HOUR_MS), "-", "-", "203.0.113.5")
    ]
    # [10] Requests per client per five minutes in March 2021 (12:07:45 falls in 12:05).
    assert sorted(rows(engine, WAF[10])) == [
        ("2021-03-10 12:00", "53.21.198.66", 1), ("2021-03-11 12:00", "198.51.100.7", 1),
        ("2021-03-12 12:00", "198.51.100.7", 1), ("2021-03-15 12:05", "192.0.2.44", 1),
    ]  # fmt: skip
    # [11] X-Forwarded-For clients of the last 10 days (not the guide's APIGW record of 2021, nor 20 days ago).
    assert sorted(rows(engine, WAF[11])) == [("203.0.113.5", 1), ("203.0.113.6", 1)]


def test_timestamp_is_the_records_milliseconds(engine: DuckDBEngine) -> None:
    """AWS's column: WAF's own number, exact; the event time (dt, hour, time_source) is the same instant."""
    millis = rows(engine, "SELECT timestamp, dt, hour, time_source FROM waf_logs WHERE log_group = '/waf/docs' "
                          "ORDER BY event_id")  # fmt: skip
    expected = []
    for line in DOCS:
        moment = datetime.fromtimestamp(json.loads(line)["timestamp"] / 1000, UTC)
        expected.append((json.loads(line)["timestamp"], moment.date(), moment.hour, "parsed"))
    assert millis == expected
    assert rows(engine, "SELECT typeof(timestamp), count(*) FROM waf_logs GROUP BY 1") == [("BIGINT", 14)]


def test_since_and_until_filter_the_milliseconds(lake_path: str, run_cli: CliRun) -> None:
    """--since/--until cut waf_logs by its BIGINT `timestamp` exactly, as every other table by its TIMESTAMP."""
    count = "SELECT count(*) AS n FROM waf_logs"
    code, out, _err = run_cli("query", "--lake", lake_path, "-f", "csv", "--since", "2h", count)
    assert (code, out) == (0, "n\n1\n")
    cut = ("--since", "2021-03-11T12:00:00Z", "--until", "2021-03-15T12:07:45Z")  # ms exact: the 15th's is out
    code, out, _err = run_cli("query", "--lake", lake_path, "-f", "csv", *cut, count)
    assert (code, out) == (0, "n\n2\n")
    code, out, _err = run_cli("query", "--lake", lake_path, "-f", "csv", "--since", "2021-03-15T12:07:45Z",
                              "--until", "2021-03-15T12:07:45.001Z", "SELECT terminatingruleid FROM waf_logs")  # fmt: skip
    assert (code, out) == (0, f"terminatingruleid\n{RULE}\n")


def test_other_json_is_not_claimed(tmp_path: Path) -> None:
    """JSON without `webaclId` or without `httpRequest` is no WAF record (generic JSON, in logs); a record cut
    short is broken JSON, quarantined with its reason as any other."""
    lake = open_lake(str(tmp_path / "lake"))
    no_request = {k: v for k, v in json.loads(DOCS[0]).items() if k != "httpRequest"}
    write_messages(
        lake.store,
        "/waf/other",
        [json.dumps(no_request), '{"webaclId": null, "httpRequest": {}}', DOCS[0][:-1], DOCS[0]],
    )
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    with DuckDBEngine(lake.store) as engine:
        assert rows(engine, "SELECT event_id, format FROM logs ORDER BY 1") == [
            ("e0", "json"), ("e1", "json")
        ]  # fmt: skip
        assert rows(engine, "SELECT event_id, reason FROM quarantine") == [("e2", "invalid_json")]
        assert rows(engine, "SELECT event_id FROM waf_logs") == [("e3",)]


def test_athena_ddl_has_aws_columns(waf_lake: Lake) -> None:
    """Every column of AWS's table with AWS's types (`timestamp` bigint, the milliseconds), STRUCT and ARRAY
    where AWS has them, and AWS's partition columns `region` and `date` as strings."""
    schema = SchemaRegistry(waf_lake.store).get("waf_logs")
    assert schema is not None
    ddl = clean_table_ddl(schema, "s3://my-lake/prefix", "loglake")
    assert isinstance(sqlglot.parse_one(ddl.rstrip(";"), read="athena"), exp.Create)
    ours = dict(re.findall(r"^  `(\w+)` (\w+)", ddl, flags=re.M))
    aws = dict(re.findall(r"^\s*`(\w+)` (\w+)", WAF[2], flags=re.M))
    assert len(aws) == 17
    assert {name: ours.get(name) for name in aws} == aws
    assert aws["timestamp"] == "bigint"
    glue = clean_table_input(schema, "s3://my-lake/prefix")["StorageDescriptor"]["Columns"]
    assert {"Name": "timestamp", "Type": "bigint"} in glue
    assert (ours["region"], ours["date"]) == ("string", "string")


_WAF_PATHS = (["$.webaclId", "$.httpRequest"], ["$.requestId", "$.ecs_task_arn"])
_OLD_FOUND = json_text_fields(
    "message",
    [*_WAF_PATHS[0], *_WAF_PATHS[1]],
    "k[1] IS NOT NULL AND k[2] IS NOT NULL AND k[3] IS NULL AND k[4] IS NULL",
)
"""WafParser.sure's field test before `json_fields_present`: a json_valid, then a json_extract_string of the four."""

_SURE_LINES = [
    '{"webaclId":"a","httpRequest":{}}',
    '{"webaclId":"a","httpRequest":{},"requestId":null,"ecs_task_arn":null}',
    '{"webaclId":"a","httpRequest":{},"requestId":"r"}',
    '{"webaclId":"a","httpRequest":{},"requestId":{}}',
    '{"webaclId":"a","httpRequest":{},"requestId":"NULL"}',
    '{"webaclId":"a","httpRequest":{},"ecs_task_arn":""}',
    '{"webaclId":"a","httpRequest":null}',
    '{"webaclId":null,"httpRequest":{}}',
    '{"webaclId":"NULL","httpRequest":"null"}',
    '{"webaclId":0,"httpRequest":false}',
    '{"webaclId":[],"httpRequest":[null]}',
    '{"webaclId":"a","webaclId":null,"httpRequest":1}',
    '{"webaclId":null,"webaclId":"a","httpRequest":1}',
    '{"WebaclId":"a","httpRequest":{}}',
    '{"webacl\\u0049d":"a","httpRequest":{}}',
    '{"httpRequest":{"webaclId":"a","requestId":"r"},"x":"\\"webaclId\\""}',
    '{"webaclId":"é\\r\\n","httpRequest":{"uri":"\\u00e9 ü"}}',
    '{"webaclId":"a","httpRequest":{"args":"' + "x" * 100_000 + '"}}',
    '{"webaclId":"a","httpRequest":{},"n":1e400,"m":-0,"big":123456789012345678901234567890}',
    '{"webaclId":"a","httpRequest":' + "[" * 200 + "]" * 200 + "}",
    '{"webaclId" : "a" , "httpRequest" : {"args":""}}\r\n',
    '{"webaclId":"a","httpRequest":{}}\n',
    ' {"webaclId":"a","httpRequest":{}}',
    '[{"webaclId":"a","httpRequest":{}}]',
    '{"webaclId":"a","httpRequest":{}',
    '{"webaclId":"a","httpRequest":{}}x',
    '{"webaclId":"a","httpRequest":{},}',
    '{"webaclId":"a","httpRequest":{},"x":NaN}',
    '{"webaclId":"a","httpRequest":{},"x":Infinity}',
    '{"webaclId":\'a\',"httpRequest":{}}',
    '{"webaclId":"a\x01","httpRequest":{}}',
    '{"webaclId":"a","httpRequest":{}} {"webaclId":"b"}',
    '{"webaclId":"a","httpRequest":{}}\x00',
    "webaclId httpRequest",
    '"webaclId"',
    "",
]
_SURE_CLAIMS = [
    True, True, False, False, False, False, False, False, True, True, True, True, False, False, True, False, True, True,
    True, True, True, True, True, False, False, False, True, True, True, False, False, False, False, False, False, False,
]  # fmt: skip
"""What the field test says of each of _SURE_LINES: DuckDB's reader (both forms') takes a trailing comma, NaN,
Infinity and a key spelt with `\\u` escapes; the first of duplicate keys counts; a second document, a NUL or
a control character in a string is not JSON."""


def test_sure_reads_its_fields_with_one_parse_and_the_old_answer() -> None:
    """`sure` validated each record, then parsed it again to write its four fields out as text; `json_fields_present` asks
    their types from one parse in TRY (0.41 -> 0.32 s per 50,000 WAF records in the classifying statement).
    Both forms side by side in one statement (so that rows that are not JSON share a chunk with rows that are:
    TRY's row-by-row pass) on crafted records, AWS's and the benchmark's WAF records and every line of the
    other AWS formats' corpus files; and the whole `sure` with the old field test put back."""
    generated = benchmark_module("parser_throughput").GENERATORS["waf"]
    rng = random.Random(8)
    corpus = [line for path in sorted(SAMPLES.iterdir()) for line in path.read_text().splitlines()]
    lines = _SURE_LINES + DOCS + [generated(rng, i) for i in range(50)] + corpus
    new = json_fields_present("message", *_WAF_PATHS)
    assert new.count("json_type(") == 1 and "json_valid" not in new and "TRY(" in new
    sure = WafParser().sure("message")
    assert new in sure
    rows = (
        macro_connection()
        .execute(
            f"SELECT i, {new}, {_OLD_FOUND}, {sure}, {sure.replace(new, _OLD_FOUND)} "
            "FROM (SELECT unnest($m::VARCHAR[]) AS message, unnest(range(len($m))) AS i) ORDER BY i",
            {"m": lines * 3},  # over 2,048 rows: several chunks
        )
        .fetchall()
    )
    assert len(rows) == 3 * len(lines) > 2048
    assert [(r[1], r[3]) for r in rows] == [(r[2], r[4]) for r in rows]
    claims = [r[1] for r in rows[: len(lines)]]
    assert claims[: len(_SURE_LINES)] == _SURE_CLAIMS
    assert claims[len(_SURE_LINES) : len(_SURE_LINES) + len(DOCS) + 50] == [True] * (len(DOCS) + 50)
    # the corpus's WAF lines are waf_docs.log's: no line of another format is claimed
    assert sum(claims) == _SURE_CLAIMS.count(True) + len(DOCS) + 50 + len(DOCS)

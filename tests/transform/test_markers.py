"""The JSON shapes' markers (transform/markers.py): found in one pass, and every line keeps its parser."""

from __future__ import annotations

import duckdb

from conftest import PARSER_EXAMPLES, classifying_connection
from loglake.sql_quoting import sql_string
from loglake.transform import etl, markers
from loglake.transform.parsers import PARSERS
from loglake.transform.settings import EtlSettings

MARKED = [p for p in PARSERS if markers.markers(p)]
# Lines that hold a marker but are not the shape's, a marker with a blank before the brace, and lines
# with the shape's key but not its literal as declared (escaped, or no quotes).
LINES = [
    *PARSER_EXAMPLES,
    '{"eventVersion": "1.08"}',
    ' {"webaclId": 1, "httpRequest": {}}',
    '\t{"query_timestamp": "x", "query_name": "y", "rcode": "z"}',
    '{"\\u0065ventVersion": "1.08", "eventSource": "s3.amazonaws.com"}',
    "eventVersion: 1.08 eventSource: s3",
    '["firewall_name", "event"]',
    "",
    # A needle (markers.needle) without its marker, the marker split by a blank, escape or case, non-ASCII
    # and CR/LF around it: the needle test must leave each line to the parsers the marker test gives it.
    '{"Version": "1.08", "eventSource": "s3.amazonaws.com", "eventType": "AwsApiCall"}',
    '{"event Version": "1.08", "eventSource": "s3.amazonaws.com"}',
    '{"EventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventType": "x"}',
    '{"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventType": "AwsApiCall"}',
    '{"eventVersion" : "1.08",\r\n "eventSource": "é.amazonaws.com"}',
    '{"requestid": "r", "httpMethod": "GET"}',
    '{"requestId": "r", "httpMethod": "GET"}',
    '{"requestId": "r", "routeKey": "$default"}',
    ' \r\n{"requestId": "r", "httpMethod": "GET"}',
    '{"rId": "r", "Id": "x", "httpMethod": "GET", "webaclid": "w", "httpRequest": {}}',
    '{"webaclId": "w", "httpRequest": {"clientIp": "1.2.3.4"}}',
    '{"webaclId": "w", "httpRequest": {}, "requestId": "r"}',
    '{"webaclId":"","httpRequest":null}',
    '{"ecs_task_arn": "arn", "container_name": "c"}',
    '{"ecs_task_arn ": "arn", "container_name": "c", "x": "ecs_task_arn"}',
    '{"ecs_task_Arn": "arn", "container_name": "c"}',
    '{"query_timestamp": "t", "query_name": "q", "rcode": "NOERROR"}',
    '{"query_timestamp": "t", "query_name": "q"}',
    '{"query_timestamp\\u0022: "t", "query_name": "q", "rcode": "NOERROR"}',
    '{"firewall_name": "f", "event": {}}',
    '{"firewall_nameX": "f", "event": {}, "firewall_name": null}',
    '{"type": "platform.start", "record": {}}',
    '{"type": "platform", "record": {}, "x": "platform."}',
    '{"type": "Platform.start"}',
    '{"eventVersion": "1", "eventSource": "x", "webaclId": "w", "httpRequest": {}, "query_timestamp": "t"}',
    '{"eventVersion": "1", "eventSource": "x"',
    '{"firewall_name": "f", "event": {}} trailing',
    '{"x": "Version\\" Id\\" platform. query_timestamp\\" firewall_name\\" ecs_task_arn\\""}',
]


def _parsers(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    return [row[0] for row in con.execute(f"SELECT {sql} FROM raw_lines ORDER BY rowid").fetchall()]


def test_the_json_shapes_declare_markers_their_detection_requires() -> None:
    """Each marker is a `contains` (or the start) that the parser's own detection tests before claiming, so
    a message without it is never claimed: declaring it changes no answer."""
    assert [p.name for p in MARKED] == [
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "ecs_firelens", "waf", "route53_resolver"),
        "network_firewall",
    ]
    for parser in MARKED:
        detect = parser.detect("message")
        for marker in markers.markers(parser):
            assert f"contains(message, {sql_string(marker)})" in detect, parser.name
        assert "starts_with(message, '{')" in detect or "ltrim(message" in detect, parser.name  # JSON_START


def test_gated_detection_gives_every_line_the_same_parser() -> None:
    con = classifying_connection(LINES)
    plain, _table = etl._routing(EtlSettings())
    gated, _table = etl._routing(EtlSettings(), marked=True)
    marked = markers.marked_sql(PARSERS)
    assert marked is not None
    con.execute(f"CREATE TEMP TABLE marked AS SELECT {marked} AS {markers.MARKED}, message FROM raw_lines")
    want = _parsers(con, plain)
    got = [row[0] for row in con.execute(f"SELECT {gated} FROM marked ORDER BY rowid").fetchall()]
    assert got == want
    claimed = {p.name for p in MARKED} & set(want)
    assert claimed == {p.name for p in MARKED}  # every shape claims one of its examples
    assert want[len(PARSER_EXAMPLES) : len(PARSER_EXAMPLES) + 4] == ["json", "json", "json", "json"]
    assert want[len(PARSER_EXAMPLES) + 7 :] == [
        *("json", "json", "json", "cloudtrail", "cloudtrail", "json"),
        *("apigateway_json", "apigateway_json", "apigateway_json", "json", "waf", "waf", "json"),
        *("ecs_firelens", "json", "json", "route53_resolver", "json", "json", "network_firewall", "json"),
        *("lambda_platform_json", "json", "json", "cloudtrail", "json", "json", "json"),
    ]


def test_each_shape_is_tested_only_where_the_needle_of_its_marker_is() -> None:
    """`contains(m, '"eventVersion"')` jumps to every quote of a JSON line: 22-30 ms per 50,000 Route 53 or
    Network Firewall records for each shape tested before theirs. Its needle (from the last capital, else
    without the quote) starts at a rare byte: 4-6 ms. A message holding the marker holds the needle."""
    assert {m: markers.needle(m) for p in MARKED for m in markers.markers(p)} == {
        '"platform.': "platform.",
        '"eventVersion"': 'Version"',
        '"requestId"': 'Id"',
        '"ecs_task_arn"': 'ecs_task_arn"',
        '"webaclId"': 'Id"',
        '"query_timestamp"': 'query_timestamp"',
        '"firewall_name"': 'firewall_name"',
    }
    for parser in MARKED:
        (marker,) = markers.markers(parser)
        assert marker.endswith(markers.needle(marker)), parser.name
        gated = markers.gated(parser, "DETECT")
        assert gated == (
            f"(CASE WHEN {markers.MARKED} THEN (CASE WHEN contains(message, {sql_string(markers.needle(marker))}) "
            "THEN DETECT ELSE false END) ELSE false END)"
        )
    sql = etl._classify_sql(EtlSettings(), frozenset())
    assert sql.count("(CASE WHEN contains(message, 'Id\"') THEN") == 3  # API Gateway JSON, WAF's early test, WAF
    assert sql.count("(CASE WHEN contains(message, 'Version\"') THEN") == 1
    assert markers.gated(next(p for p in PARSERS if p.name == "json"), "DETECT") == "DETECT"  # no markers


def test_classification_scans_for_all_markers_once() -> None:
    """Seven `contains` over every JSON line cost 0.08 s per 50,000 lines; one alternation 0.02 s."""
    sql = etl._classify_sql(EtlSettings(), frozenset())
    pattern = '"ecs_task_arn"|"eventVersion"|"firewall_name"|"platform\\.|"query_timestamp"|"requestId"|"webaclId"'
    assert sql.count(f"regexp_matches(message, '{pattern}')") == sql.count("regexp_matches(message, '\"") == 1
    assert sql.count(f"(CASE WHEN {markers.MARKED} THEN") == len(MARKED) + 1  # and WAF's early test (WafParser.sure)
    assert markers.MARKED not in sql.split("AS __ll_table")[1].split("FROM")[0]  # not kept in `classified`
    without = etl._classify_sql(EtlSettings(), frozenset(p.name for p in MARKED))
    assert markers.MARKED not in without  # no marked parser left: no scan

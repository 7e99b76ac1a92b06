"""Detection and time expressions of the JSON shapes made cheaper in round 9 (issue 13, item 4; h-json9): each
new expression against the one it replaced (kept here as it was at 8dd5176), value by value, on crafted records
(nulls, JSON null, escapes, CR/LF, non-ASCII, duplicate keys, huge values, text that is not JSON or only nearly),
the benchmark's lines of every JSON shape and AWS's documented records; each shape pinned (fails on 8dd5176)."""

from __future__ import annotations

import random
from pathlib import Path

from conftest import benchmark_module, classified_rows, macro_connection
from loglake.transform import etl, timestamps
from loglake.transform.parsers.apigateway_json import ApiGatewayJsonParser
from loglake.transform.parsers.cloudtrail import CloudTrailParser
from loglake.transform.parsers.waf import WafParser

SAMPLES = Path(__file__).resolve().parents[2] / "events" / "aws_formats"
_SHAPES = (
    "cloudtrail",
    "waf",
    "apigateway_json",
    "ecs_firelens",
    "container_docker",
    "otlp_json",
    "route53_resolver",
    "network_firewall",
    "lambda_platform_json",
    "json",
)

CLOUDTRAIL_DETECT_8DD5176 = (
    "(CASE WHEN starts_with(message, '{') THEN (CASE WHEN contains(message, '\"eventVersion\"') THEN "
    "list_transform([json_extract_string(CASE WHEN json_valid(message) THEN message END, ['$.eventVersion', "
    "'$.eventSource', '$.eventType', '$.userIdentity'])], lambda k: k[1] IS NOT NULL AND (k[2] IS NOT NULL OR "
    "k[3] IS NOT NULL OR k[4] IS NOT NULL))[1] ELSE false END) ELSE false END)"
)
APIGATEWAY_DETECT_8DD5176 = (
    "(CASE WHEN contains(message, '\"requestId\"') AND (contains(message, '\"httpMethod\"') OR "
    "contains(message, '\"routeKey\"')) THEN (CASE WHEN starts_with(message, '{') THEN true WHEN substr(message, 1, 1) "
    "IN (' ', chr(9), chr(10), chr(13)) THEN starts_with(ltrim(message, ' \t\r\n'), '{') ELSE false END) AND "
    "json_extract_string(CASE WHEN json_valid(message) THEN message END, '$.requestId') IS NOT NULL ELSE false END)"
)


def _generated(per_shape: int) -> list[str]:
    """The benchmark's lines (parser_throughput.GENERATORS) of every JSON shape."""
    generators = benchmark_module("parser_throughput").GENERATORS
    rng = random.Random(9)
    return [generators[name](rng, i) for name in _SHAPES for i in range(per_shape)]


def _documented() -> list[str]:
    """AWS's documented records: every line of tests/events/aws_formats."""
    return [line for path in sorted(SAMPLES.iterdir()) for line in path.read_text().splitlines() if line.strip()]


_CT = '{"eventVersion": "1.08", "eventSource": "s3.amazonaws.com", "eventName": "GetObject"'
CLOUDTRAIL_LINES = [
    _CT + "}",
    _CT + ', "userIdentity": {"type": "Root"}}',
    '{"eventVersion": "1.08", "eventType": "AwsCloudTrailInsight"}',
    '{"eventVersion": "1.08", "userIdentity": null}',
    '{"eventVersion": null, "eventSource": "s3"}',
    '{"eventVersion": "1.08"}',
    '{"formatVersion": 1, "webaclId": "arn", "httpRequest": {"httpVersion": "HTTP/1.1"}}',
    '{"xeventVersion": "1.08", "eventSource": "s3"}',
    '{"xeventVersion": "1", "\\u0065ventVersion": "1.08", "eventSource": "s3"}',
    '{"eventVersion" : "1.08", "eventSource": "s3"}',
    '{"EventVersion": "1.08", "eventSource": "s3"}',
    '{"event\\u0056ersion": "1.08", "eventSource": "s3"}',
    '{"note": "\\"eventVersion\\"", "eventSource": "s3"}',
    '{"eventVersion": "1.08", "eventSource": "s3"',
    '{"eventVersion": "1.08", "eventSource": "s3"} trailing',
    '{"eventVersion": "1.08", "eventSource": "s3",}',
    '{"eventVersion": "1.08", "eventSource": "s3", "eventVersion": null}',
    '{"eventVersion": null, "eventVersion": "1.08", "eventSource": "s3"}',
    '{"eventVersion": "ünï\\r\\n", "eventSource": "é"}\r\n',
    '{"eventVersion": 1e400, "eventSource": NaN}',
    '{"eventVersion": "1.08", "eventSource": "' + chr(1) + '"}',
    '{"eventVersion": "1.08", "requestParameters": ' + "[" * 200 + "]" * 200 + ', "eventSource": "s3"}',
    '{"eventVersion": "1.08", "eventSource": "s3", "x": "' + "v" * 100_000 + '"}',
    '{"a": "' + "eventVersion" * 1000 + '", "eventVersion": "1.08", "eventSource": "s3"}',
    ' {"eventVersion": "1.08", "eventSource": "s3"}',
    '[{"eventVersion": "1.08", "eventSource": "s3"}]',
    "eventVersion eventSource",
    'ventVersion"',
    "",
    None,
]


def _claims(expressions: list[str], messages: list[str | None]) -> list[tuple[object, ...]]:
    """Each expression's value on each message, in the order given, on the ETL's macros."""
    return (
        macro_connection()
        .execute(
            f"SELECT {', '.join(expressions)} FROM (SELECT unnest($m::VARCHAR[]) AS message, "
            "unnest(range(len($m))) AS i) ORDER BY i",
            {"m": messages},
        )
        .fetchall()
    )


def test_cloudtrail_looks_for_its_marker_from_the_rare_letter_first() -> None:
    """`contains(m, 'ventVersion"')` in a CASE before `contains(m, '"eventVersion"')`: a line holding the second
    holds the first, so the claims are 8dd5176's on every line (WAF's records, whose `"formatVersion"` reaches this
    test, every JSON shape's benchmark lines, AWS's records and the crafted ones, several chunks over)."""
    new = CloudTrailParser().detect("message")
    assert new.index("contains(message, 'ventVersion\"')") < new.index("contains(message, '\"eventVersion\"')")
    lines = [*CLOUDTRAIL_LINES, *_generated(60), *_documented()] * 2
    rows = _claims([new, CLOUDTRAIL_DETECT_8DD5176], lines)
    assert [r[0] for r in rows] == [r[1] for r in rows]
    assert [r[0] for r in rows[: len(CLOUDTRAIL_LINES)]] == [
        *(True, True, True, False, False, False, False, False, False, True, False, False, False, False, False),
        *(True, True, False, True, True, False, True, True, True, False, False, False, False, False, False),
    ]
    assert sum(bool(r[0]) for r in rows) == 2 * (11 + 60)  # the crafted ones, the benchmark's CloudTrail lines


APIGATEWAY_LINES = [
    '{"requestId": "r1", "httpMethod": "GET", "status": "200"}',
    '{"requestId": "r1", "routeKey": "GET /pets"}',
    '{"requestId": null, "httpMethod": "GET"}',
    '{"requestId": "", "httpMethod": "GET"}',
    '{"requestId": "NULL", "httpMethod": "GET"}',
    '{"requestId": 7, "httpMethod": "GET"}',
    '{"requestId": {"a": 1}, "httpMethod": "GET"}',
    '{"requestId": [], "httpMethod": "GET"}',
    '{"requestId": null, "requestId": "r1", "httpMethod": "GET"}',
    '{"requestId": "r1", "requestId": null, "httpMethod": "GET"}',
    '{"\\u0072equestId": "r1", "x": "\\"requestId\\"", "httpMethod": "GET"}',
    '{"httpRequest": {"requestId": "r1", "httpMethod": "GET"}, "note": "\\"requestId\\""}',
    '{"requestId": "r1", "httpMethod": "GET"',
    '{"requestId": "r1", "httpMethod": "GET"} trailing',
    '{"requestId": "r1", "httpMethod": "GET"}{"b": 2}',
    '{"requestId": "r1", "httpMethod": "GET",}',
    '{"requestId": "r1", "httpMethod": NaN}',
    '{"requestId": "r1", "httpMethod": 1e400}',
    "{'requestId': 'r1', \"httpMethod\": \"GET\"}",
    '{"requestId": "r1' + chr(1) + '", "httpMethod": "GET"}',
    '{"requestId": "r1' + chr(0) + '", "httpMethod": "GET"}',
    '{"requestId": "r1", "httpMethod": "GET", "deep": ' + "[" * 200 + "]" * 200 + "}",
    '  \t{"requestId": "r1", "httpMethod": "GET"}',
    '\r\n{"requestId": "r1", "httpMethod": "GET"}\r\n',
    '{"requestId": "ünï", "httpMethod": "é\\r\\n"}',
    '{"requestId": "' + "r" * 100_000 + '", "httpMethod": "GET"}',
    '[{"requestId": "r1", "httpMethod": "GET"}]',
    '"requestId" "httpMethod"',
    "",
    None,
]


def test_apigateway_json_reads_request_id_with_one_parse_and_rejects_nothing() -> None:
    """Detection's `requestId` test from base.json_fields_present (one parse, no json_valid): 8dd5176's claims on
    every line. `reject` is None: JSON's `NOT json_valid(message)` was false on every line detection claims (the
    only way a line gets this parser), checked here on the same lines."""
    parser = ApiGatewayJsonParser()
    new = parser.detect("message")
    assert "json_valid(" not in new
    assert "TRY(json_type(message, ['$.requestId']))" in new
    assert parser.reject("message") is None
    lines = [*APIGATEWAY_LINES, *_generated(60), *_documented()] * 2
    rows = _claims([new, APIGATEWAY_DETECT_8DD5176, "json_valid(message)"], lines)
    assert [r[0] for r in rows] == [r[1] for r in rows]
    assert all(r[2] for r in rows if r[0])  # the old reject, NOT json_valid, is false wherever a line is claimed
    assert [r[0] for r in rows[: len(APIGATEWAY_LINES)]] == [
        *(True, True, False, True, True, True, True, True, False, True, False, False, False, False, False),
        *(True, True, True, False, False, False, True, True, True, True, True, False, False, False, False),
    ]
    assert sum(bool(r[0]) for r in rows) == 2 * (16 + 60)  # the crafted ones, the benchmark's API Gateway lines


def test_waf_time_is_read_from_its_number() -> None:
    """WAF's time: timestamps.EPOCH_MS_NUMBER's macro of the BIGINT json_transform reads, against 8dd5176's
    ll_parse_time(CAST(timestamp AS VARCHAR)) (with its parse_time_expression, no time_format), on records whose
    timestamp is milliseconds, seconds, microseconds, negative, 0, null, absent, a string, a float, huge."""
    parser = WafParser()
    base = '{"webaclId": "arn:aws:wafv2:us-east-1:1:regional/webacl/a/b", "httpRequest": {}, '
    stamps = ["1576280412771", "1576280412", "1576280412771000", "-1576280412771", "0", "null", '"1576280412771"']
    stamps += ["1576280412771.5", "9999999999999", "1000000000000", "999999999999", "99999999999999999999", "1e3"]
    records = [base + f'"timestamp": {t}}}' for t in stamps] + [base[:-2] + "}"]
    records += _generated(0) + [r for r in _documented() if '"webaclId"' in r]
    records += [benchmark_module("parser_throughput").GENERATORS["waf"](random.Random(1), i) for i in range(50)]
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, records)
    plan = parser.plan(con, 5)
    assert plan.time_format == timestamps.EPOCH_MS_NUMBER
    new = timestamps.parse_time_expression(plan.time, "1795780800000", plan.time_format)
    old = timestamps.parse_time_expression(f"CAST({plan.time} AS VARCHAR)", "1795780800000", None)
    assert new.startswith("ll_parse_time_epoch_ms_number(") and old.startswith("ll_parse_time(CAST(")
    staged = etl.staged_rows(parser.name, parser.table, plan)
    rows = con.execute(f"SELECT i, {new}, {old} FROM ({staged}) ORDER BY i").fetchall()
    assert len(rows) == len(records)
    assert [r[1] for r in rows] == [r[2] for r in rows]
    # not a comparison of NULLs: NULL for a negative number, 0, null, 12 and 20 digits, 1e3 and the absent key
    assert sum(r[1] is not None for r in rows) == len(records) - 7

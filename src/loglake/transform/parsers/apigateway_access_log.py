"""apigateway_access_log: API Gateway access logs in AWS's CLF template, into `apigateway_logs`.

The template (`$context.identity.sourceIp $context.identity.caller $context.identity.user
[$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status
$context.responseLength $context.requestId $context.extendedRequestId`) gives columns named after the
$context variables in snake_case, the same names the JSON template's keys get (apigateway_json), so
both variants share one table. `status` is INTEGER and `response_length` BIGINT in both (NUMERIC_KEYS);
`-`, which API Gateway writes for a missing value, is NULL.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Column, Example, RegexParser

NUMERIC_KEYS = {
    "status": "INTEGER",
    "responseLength": "BIGINT",
    "integrationStatus": "INTEGER",
    "integrationLatency": "BIGINT",
    "responseLatency": "BIGINT",
    "requestTimeEpoch": "BIGINT",
}
"""Numeric $context variables by the key AWS's templates give them: typed the same in both variants."""


def status_level(status: str) -> str:
    """SQL: the level of a response by its $context.status (SQL text, a number or not): ERROR from 500 up,
    else NULL (a 4xx is the client's error, not the API's). Both variants use it, so they agree."""
    return f"CASE WHEN TRY_CAST({status} AS INTEGER) >= 500 THEN 'ERROR' END"


class ApiGatewayAccessLogParser(RegexParser):
    name = "apigateway_access_log"
    table = "apigateway_logs"
    pattern = (
        # HTTP APIs log the route key ("GET /pets") where REST APIs log the resource path.
        r'(\S+) (\S+) +(\S+) \[([^\]]+)\] "(\S+) (.+) (\S+)" (\d{3}) (\S+) ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
        r"[0-9a-f]{4}-[0-9a-f]{12})(?: (\S+))?"
    )
    # The request id (a UUID) near the end: a regex over 60 characters instead of the whole line, and only
    # where those hold a '-' (a combined access line's user agent often does not).
    guard = (
        "(CASE WHEN contains({m}, '] \"') AND contains(right({m}, 60), '-') THEN "
        "regexp_matches(right({m}, 60), '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}') "
        "ELSE false END)"
    )
    groups = (
        "ip", "caller", "user", "request_time", "http_method", "resource_path", "protocol", "status",
        "response_length", "request_id", "extended_request_id",
    )  # fmt: skip
    # Keyed like the JSON template's keys, so both variants fill the same columns.
    columns = tuple(
        Column(group, NUMERIC_KEYS.get(key, "VARCHAR"), f"{{s}}.{group}", key=key)
        for group, key in zip(
            groups,
            ("ip", "caller", "user", "requestTime", "httpMethod", "resourcePath", "protocol", "status",
             "responseLength", "requestId", "extendedRequestId"),
            strict=True,
        )
    )  # fmt: skip
    time = "{s}.request_time"
    level = status_level("{s}.status")


EXAMPLES = [
    Example(
        '198.51.100.7 - - [28/Nov/2026:10:15:01 +0000] "GET /pets HTTP/1.1" 200 512 '
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef Dv0HJFmLoAMFp_w=",
        {
            "ip": "198.51.100.7",
            "caller": None,
            "http_method": "GET",
            "resource_path": "/pets",
            "status": 200,
            "response_length": 512,
            "request_id": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "extended_request_id": "Dv0HJFmLoAMFp_w=",
            "timestamp": "2026-11-28 10:15:01",
        },
    ),
]

"""apigateway_access_log: API Gateway access logs in AWS's CLF template, into `apigateway_logs`.

The template (`$context.identity.sourceIp $context.identity.caller $context.identity.user
[$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status
$context.responseLength $context.requestId $context.extendedRequestId`) gives columns named after the
$context variables in snake_case, the same names the JSON template's keys get (apigateway_json), so
both variants share one table. `status` is INTEGER and `response_length` BIGINT in both (NUMERIC_KEYS);
`-`, which API Gateway writes for a missing value, is NULL.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, ParsePlan, RegexParser, between_brackets, cut_or_regex

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

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from a struct that _by_quotes makes (the regex's own groups)."""
        plan = super().plan(con, max_depth)
        return replace(plan, staging={}, derived=_by_quotes(self.pattern, self.groups, self.struct_column))


_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_HEAD = r'[^\s"\[\]]+'
_WORD = r'[^\s"]+'
SHAPE = rf'{_HEAD} {_HEAD} {_HEAD} \[[^\]"\n]+\] "{_WORD} [^"\n]+ {_WORD}" \d{{3}} {_WORD} {_UUID}(?: {_WORD})?'
"""The lines that _by_quotes reads with string functions: single spaces, no quote but the request's two, no
bracket in the first three fields, no LF in the time or the path. Every line of SHAPE matches the pattern
(each part is a part of the pattern's, piece by piece)."""


def _by_quotes(pattern: str, groups: tuple[str, ...], struct: str) -> dict[str, str]:
    """Derived columns that end in `struct`: the groups regexp_extract gives for `pattern`, read with string
    functions from a line of SHAPE (split at its two quotes, then at spaces), the whole pattern's
    regexp_extract from any other line. The 11 groups cost about 0.3 s per 50,000 lines (kept during
    classification as the likely format's); the full match (RE2's DFA) and the splits a fraction of it.

    Why the groups are the same. A line here matched the pattern (detection); RE2 gives the groups of its first
    parse in the backtracking order. On a line of SHAPE: ip, caller and user are the first three words (none
    holds a space, each is followed by one); the time runs from the first `[` (the three words hold
    none) to the first `]` after it (the time holds none). In the quoted
    request the method is its first word (no space in it); `(.+)` is greedy and the protocol holds no space,
    so the protocol is the request's last word and the path everything between (spaces included). After the
    closing quote come single-space words: status, length, request id and, when the line has one more word,
    the extended request id (the greedy choice, which succeeds); absent, it is '' as regexp_extract gives it."""
    c = f"{struct}_"
    line, fast, parts, head, request, words, tail = (
        f"{c}{n}" for n in ("line", "fast", "parts", "head", "request", "words", "tail")
    )
    method, protocol = f"{words}[1]", f"{words}[-1]"
    values = {
        "ip": f"split_part({head}, ' ', 1)",
        "caller": f"split_part({head}, ' ', 2)",
        "user": f"split_part({head}, ' ', 3)",
        "request_time": between_brackets(head),
        "http_method": method,
        "resource_path": f"substr({request}, length({method}) + 2, "
        f"length({request}) - length({method}) - length({protocol}) - 2)",
        "protocol": protocol,
        "status": f"{tail}[2]",
        "response_length": f"{tail}[3]",
        "request_id": f"{tail}[4]",
        "extended_request_id": f"coalesce({tail}[5], '')",
    }
    assert list(values) == list(groups)
    return {
        line: LINE.format(m="message"),
        fast: f"regexp_full_match({line}, {sql_string(SHAPE)})",
        parts: f"CASE WHEN {fast} THEN string_split({line}, '\"') END",
        head: f"{parts}[1]",
        request: f"{parts}[2]",
        words: f"string_split({request}, ' ')",
        tail: f"string_split({parts}[3], ' ')",
        struct: cut_or_regex(fast, values, line, pattern, groups),
    }


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

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


END = r"-[0-9a-f]{12}(?: \S+)?[\r\n]*$"
r"""The guard's regex: how every line the pattern accepts ends, the request id's last 13 characters and the
optional extended request id, then the message's trailing run of CR and LF that LINE drops (`$` is the end of
the text: RE2 matches a pattern anchored at the end backwards from it). A message the parser claims is its
line and that run, and its line ends in the pattern's `-[0-9a-f]{12}(?: (\S+))?` (the UUID's last group, the
optional group), so the guard holds on each; a line it fails the pattern would refuse. It replaced a search for
the whole UUID in `right(m, 60)` (`right` alone cost 11-16 ms per 50,000 lines): 27 -> 9 ms per 50,000 API
Gateway lines, 15 -> 8 ms per 50,000 combined access-log lines (benchmarks/README.md). That search also refused
a line whose extended request id (22-23 characters or more, by its line end) pushed the id out of the 60: such a
line went to access_log, whose pattern accepts it too."""


class ApiGatewayAccessLogParser(RegexParser):
    name = "apigateway_access_log"
    table = "apigateway_logs"
    pattern = (
        # HTTP APIs log the route key ("GET /pets") where REST APIs log the resource path.
        r'(\S+) (\S+) +(\S+) \[([^\]]+)\] "(\S+) (.+) (\S+)" (\d{3}) (\S+) ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-'
        r"[0-9a-f]{4}-[0-9a-f]{12})(?: (\S+))?"
    )
    guard = f"(CASE WHEN contains({{m}}, '] \"') THEN regexp_matches({{m}}, {sql_string(END)}) ELSE false END)"
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
    time_format = "clf"  # AWS's template: its times skip the cascade's tests before CLF's (27 -> 19 ms per 50,000)
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


def of_shape(parts: str, head: str) -> str:
    r"""SQL: true for a line of SHAPE among those the pattern accepts (the plan reads only these), by string tests of
    its split at quotes (`parts`, `head` its first piece) instead of SHAPE's full match (RE2 over the whole line,
    ~24 ms per 50,000 API Gateway lines; the struct 67 -> 50 ms with these tests). A line it refuses takes the
    regex: never a wrong value, at worst the slower path (a time holding `[` or two spaces in a row, which SHAPE
    accepts).

    Why each line it accepts is of SHAPE. The pattern is `G1 G2 +G3 \[G4\] "G5 G6 G7" G8 G9 G10( G11)?`.
    - Exactly two quotes (three pieces): they are the pattern's two, so no group holds a quote, and `head` is
      `G1 G2 +G3 [G4] ` (it ends in `] `).
    - No two spaces in a row in `head`: ` +` is one space. No LF in `head` (tested: the pattern's G4, `[^\]]+`,
      could hold one, SHAPE's cannot; G1-G3 are `\S+`).
    - The first `]` of `head` is its last but one character, the pattern's `\]`: G1-G3 hold none (G4 holds none
      by the pattern).
    - `head` holds one `[` (two pieces at `[`): the pattern's `\[`, so G1-G4 hold none.
    Then G1-G3 are `[^\s"\[\]]+`, G4 `[^\]"\n]+`, G5, G7, G9 and G11 `[^\s"]+` (`\S+`, no quote), G6
    `[^"\n]+` (`.+`, no quote), with single spaces where SHAPE has them: the line is of SHAPE."""
    return (
        f"coalesce(len({parts}) = 3 AND NOT contains({head}, '  ') AND NOT contains({head}, chr(10)) "
        f"AND len(string_split({head}, '[')) = 2 AND strpos({head}, ']') = length({head}) - 1, false)"
    )


def _by_quotes(pattern: str, groups: tuple[str, ...], struct: str) -> dict[str, str]:
    """Derived columns that end in `struct`: the groups regexp_extract gives for `pattern`, read with string
    functions from a line of SHAPE (of_shape; split at its two quotes, then at spaces), the whole pattern's
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
        parts: f"string_split({line}, '\"')",
        head: f"{parts}[1]",
        fast: of_shape(parts, head),
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

"""access_log: Apache and nginx access lines, common (CLF) and combined, into AWS's `apache_logs` table.

The first seven columns are those of AWS's documented Athena table for Apache logs (strings, as AWS
declares them, so its example queries, `WHERE server_status = '404'`, run unchanged on Athena); the same
two numbers are also typed, `status_code` (INTEGER) and `bytes_sent` (BIGINT), so `sum(bytes_sent)` and
`status_code >= 500` work. The request is also split into method, path and protocol, and combined lines
add referrer and user agent. nginx's default `main` format (combined plus "$http_x_forwarded_for") is
accepted too. Apache's `vhost_combined` (and Debian's `vhost_common`) put the virtual host first,
`%v:%p` or `%v`: it becomes `vhost` and `vhost_port`. A `%{X-Forwarded-For}i` in the client's place
gives a list (`203.0.113.9, 10.0.0.1`): `client_ip` is its first address (the client, as the proxies
report it) and `forwarded_for` the whole list as written. `-` is NULL. The time is the bracketed CLF time.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, ParsePlan, RegexParser, cut_or_regex, text
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
# More than two spaces in the request line: the path has spaces; else the usual `METHOD PATH [PROTOCOL]`.
_REQUEST = (
    "CASE WHEN length({{s}}.client_request) - length(replace({{s}}.client_request, ' ', '')) > 2 "
    "THEN regexp_extract({{s}}.client_request, {}, 1) ELSE regexp_extract({{s}}.client_request, {}, 1) END"
)


class AccessLogParser(RegexParser):
    name = "access_log"
    table = "apache_logs"
    pattern = (
        # Apache's vhost_combined/vhost_common begin with `%v:%p` or `%v` (never a comma: see the client).
        r"(?:([^\s,]+?)(?::(\d+))? )?"
        # The client may be an X-Forwarded-For list (`%{X-Forwarded-For}i` in place of `%h`): `a, b`.
        r"(\S+(?:, \S+)*) (\S+) (\S+) \[([^\]]+)\] "
        + _QUOTED
        + r" (\d{3}|-) (\d+|-)"
        # Referrer and agent are quoted, or a bare "-"; a cut-off line may lose the agent's closing quote.
        + rf'(?: (?:{_QUOTED}|-) (?:"((?:[^"\\]|\\.)*)"?|-)(?: {_QUOTED})?)?'
        # Fields some servers append (response time, upstream, ...) are kept in extra_fields.
        + r"(?: (.*))?"
    )
    guard = "contains({m}, '] \"')"
    groups = (
        "vhost",
        "vhost_port",
        "client_ip",
        "client_id",
        "user_id",
        "request_received_time",
        "client_request",
        "server_status",
        "returned_obj_size",
        "referrer",
        "user_agent",
        "forwarded_for",
        "extra_fields",
    )
    columns = (
        # client_ip is one address: the first of a forwarded list (the client, as the proxies report it).
        Column("client_ip", "VARCHAR", "trim(split_part({s}.client_ip, ',', 1))"),
        *(text(g) for g in groups[3:9]),
        text("server_status", "INTEGER", name="status_code"),
        text("returned_obj_size", "BIGINT", name="bytes_sent"),
        Column("request_method", "VARCHAR", r"regexp_extract({s}.client_request, '^(\S+) ', 1)"),
        # A path with spaces (logged as the client sent it, `GET /a[ ]b HTTP/1.1`) runs to the last word.
        Column("request_path", "VARCHAR", _REQUEST.format(r"'^\S+ (.+) \S+$'", r"'^\S+ (\S+)'")),
        Column("request_protocol", "VARCHAR", _REQUEST.format(r"' (\S+)$'", r"'^\S+ \S+ (\S+)$'")),
        text("referrer"),
        text("user_agent"),
        # The whole list where the client's place holds one; else nginx's trailing "$http_x_forwarded_for".
        Column(
            "forwarded_for",
            "VARCHAR",
            "CASE WHEN contains({s}.client_ip, ',') THEN {s}.client_ip ELSE {s}.forwarded_for END",
        ),
        text("vhost"),
        text("vhost_port", "INTEGER"),
        text("extra_fields"),
    )
    time = "{s}.request_received_time"
    time_format = "clf"

    ahead_of = (
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json"),
        *("waf", "route53_resolver", "network_firewall", "json", "lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        "apigateway_access_log",
    )
    """Every parser before this one in PARSERS: a combined line passed the guards of S3 (often) and API Gateway's
    CLF (its `] "`, then a search for its request id at the line's end), and the scans of API Gateway JSON's and
    VPC's guards, before its own detection. Classification tests `sure` before the first of them
    (etl._shortcuts), and this parser's detection stays where it is for the lines `sure` is not sure of."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them. True where the message ends with `"` (tested first) and matches SURE whole, and no VPC
        or CloudFront header of the object makes their detection count fields (their `custom`, a value per
        object: etl._settled); false elsewhere, where the CASE goes on in PARSERS order.

        `detect`: the guard's `] "` is the time's `]` and the request's quote; the pattern matches the line (the
        message: it ends with `"`, so base.LINE is the message) without the virtual host: the address, the two
        words and the time are its `\\S+` words and `[^\\]]+` (the time holds no `]`), the three quoted fields
        hold no `"` or backslash (`(?:[^"\\\\]|\\\\.)*`), the status `\\d{3}`, the size `\\d+|-`, and the
        referrer and the agent are the optional quoted pair; the same parse as SHAPE's (_by_quotes).

        No parser of `ahead_of` claims such a message. SURE's line: the address (hex digits, `.` and `:`), a
        blank, two words without blanks, tabs, CR, LF, `[` or `"`, a blank, the CLF time (28 characters, one
        blank, no tab), a blank, then the request, status, size, referrer and agent; its only `"` are the
        quoted fields' six, and the line ends with the agent's. Each blank-free word ends at a blank, so the
        patterns' `[^ ]*` and `\\S+` fields, anchored at the start, take the words whole. The first quote comes
        after the 35th character: characters 1-35 hold no tab.

        - the JSON shapes and generic JSON: their guards or detections need `{` first, or a blank, tab, CR or LF
          then `{` (here a hex digit, `.` or `:`); alb: `h`, `w` or `g` first; nlb: `tls `; lambda_platform:
          `START`, `END`, `REPORT`, `INIT_...` or `XRAY` as the first word (each has a letter past `f`);
        - lambda_text: `[` first, or a full match starting `\\d{4}-`; elb_classic and alb_connection: their
          patterns start `[0-9]{4}-`: the address has no `-`, and where it is shorter than five characters,
          the blank after it falls among the first four;
        - vpc_flow_log (not custom): its pattern's last word is `OK`, `NODATA` or `SKIPDATA` (here `"` ends the
          line); cloudfront (not custom): a tab at 11; cloudfront_realtime: a tab at 15;
        - s3_access_log: `([^ ]*) ([^ ]*) \\[` at the start: the address, the first word, then `[` where the
          second word starts (it holds no `[`);
        - apigateway_access_log: its `"(\\S+) (.+) (\\S+)" (\\d{3}) (\\S+) ` and a request id
          (`[0-9a-f]{8}-...`) before the end or a last word: the `"` before ` (\\d{3})` follows a non-blank,
          so it closes a quoted field; only the request's is followed by a blank and three digits, then the
          size and either the end or ` "` (the referrer), where the request id's hex digit is needed.

        Per 50,000 combined lines the classifying statement's CPU went 0.176 -> 0.150 s (object 0.73 s;
        benchmarks/README.md). Other lines pay the `"` test at their end (about 3 ms per 50,000; JSON's end with
        `}`); ALB's, which end with `"`, also SURE's match, which fails at their first character."""
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN suffix({message}, '\"') "
            f"THEN regexp_full_match({message}, {sql_string(SURE)}) ELSE false END)"
        )

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from a struct that _by_quotes makes (the regex's own groups)."""
        plan = super().plan(con, max_depth)
        return replace(plan, staging={}, derived=_by_quotes(self.pattern, self.groups, self.struct_column))


_TOKEN = r'[^\s,\["]+'
_PLAIN = r'"[^"\\]*"'
SHAPE = rf'{_TOKEN} {_TOKEN} {_TOKEN} \[[^\]\["]+\] {_PLAIN} (?:\d{{3}}|-) (?:\d+|-)(?: {_PLAIN} {_PLAIN})?'
"""The common and combined lines that _by_quotes reads with string functions: three tokens without a comma,
`[` or `"`, a time without brackets or quotes, and quoted fields without a backslash."""
SURE = (
    rf"[0-9A-Fa-f.:]+ {_TOKEN} {_TOKEN} \[\d\d/[A-Z][a-z][a-z]/\d{{4}}:\d\d:\d\d:\d\d [+-]\d{{4}}\] "
    rf"{_PLAIN} \d{{3}} (?:\d+|-) {_PLAIN} {_PLAIN}"
)
"""The combined line as Apache and nginx write it, matched whole (AccessLogParser.sure): the client's address (IPv4
or IPv6), two words, the CLF time, the quoted request, the status, the size, the quoted referrer and agent.
A line of SHAPE."""


def _by_quotes(pattern: str, groups: tuple[str, ...], struct: str) -> dict[str, str]:
    """Derived columns that end in `struct`: the groups regexp_extract gives for `pattern`, read with string
    functions from a line of SHAPE (split at its quotes, then at spaces), the whole pattern's regexp_extract
    from any other line. The regex's 13 groups cost 0.22 s per 50,000 lines; SHAPE's full match (RE2's DFA)
    and the splits about a third of it.

    Why the groups are the same. A line here matched the pattern (detection), and RE2 gives the groups of its
    first parse in the backtracking order. On a line of SHAPE the optional vhost comes first: present, it
    would be the first token, and the user the fourth, which must be followed by ` [`; the fourth token is
    the time's first word, and what follows it is a word of the time (no `[` in it) or the quoted request,
    so no parse has a vhost. The client list is one token (no comma). The three tokens, the time (up to the
    only `]`) and the quoted fields (up to the next quote: no backslash escapes one) are then forced, and the
    optional referrer and agent are present when the line has them (the greedy choice, which succeeds).
    Groups the parse leaves out (vhost, port, forwarded list, extra fields) are '', as regexp_extract
    gives them."""
    c = f"{struct}_"
    line, fast, parts = f"{c}line", f"{c}fast", f"{c}parts"
    head = f"{parts}[1]"
    # The time: after the head's only `[`, up to its `] ` at the end.
    time = f"substr({head}, strpos({head}, '[') + 1, length({head}) - strpos({head}, '[') - 2)"
    values = {
        "client_ip": f"split_part({head}, ' ', 1)",
        "client_id": f"split_part({head}, ' ', 2)",
        "user_id": f"split_part({head}, ' ', 3)",
        "request_received_time": time,
        "client_request": f"{parts}[2]",
        "server_status": f"split_part({parts}[3], ' ', 2)",
        "returned_obj_size": f"split_part({parts}[3], ' ', 3)",
        "referrer": f"coalesce({parts}[4], '')",
        "user_agent": f"coalesce({parts}[6], '')",
    }
    return {
        line: LINE.format(m="message"),
        fast: f"NOT contains({line}, '\\') AND regexp_full_match({line}, {sql_string(SHAPE)})",
        parts: f"CASE WHEN {fast} THEN string_split({line}, '\"') END",
        struct: cut_or_regex(fast, values, line, pattern, groups),
    }


EXAMPLES = [
    Example(
        '127.0.0.1 bob frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
        {
            "client_ip": "127.0.0.1",
            "client_id": "bob",
            "user_id": "frank",
            "request_received_time": "10/Oct/2000:13:55:36 -0700",
            "client_request": "GET /apache_pb.gif HTTP/1.0",
            "server_status": "200",
            "returned_obj_size": "2326",
            "status_code": 200,
            "bytes_sent": 2326,
            "request_method": "GET",
            "request_path": "/apache_pb.gif",
            "request_protocol": "HTTP/1.0",
            "referrer": None,
            "timestamp": "2000-10-10 20:55:36",
        },
    ),
    Example(
        '172.17.0.1 - - [31/Mar/2021:12:04:07 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/7.75.0" "-"',
        {"client_id": None, "user_id": None, "user_agent": "curl/7.75.0", "referrer": None, "forwarded_for": None},
    ),
    Example(
        '0.0.0.0 - - [04/Oct/2022:04:34:49 +0000] "" 400 0 "" ""',
        {
            "client_request": None,
            "request_method": None,
            "server_status": "400",
            "status_code": 400,
            "bytes_sent": 0,
            "user_agent": None,
        },
    ),
    Example(  # a 304 sends no body: Apache writes `-` for the size
        '192.0.2.5 - - [04/Oct/2022:04:35:00 +0000] "GET /logo.png HTTP/1.1" 304 - "-" "Mozilla/5.0"',
        {"server_status": "304", "status_code": 304, "returned_obj_size": None, "bytes_sent": None},
    ),
    Example(  # Apache's vhost_combined: %v:%p first
        "www.example.com:443 203.0.113.9 - - [26/Nov/2026:10:00:00 +0100] "
        '"GET /index.html HTTP/1.1" 200 5120 "https://www.example.com/" "Mozilla/5.0 (X11; Linux x86_64)"',
        {
            "vhost": "www.example.com",
            "vhost_port": 443,
            "client_ip": "203.0.113.9",
            "client_id": None,
            "user_id": None,
            "client_request": "GET /index.html HTTP/1.1",
            "status_code": 200,
            "bytes_sent": 5120,
            "referrer": "https://www.example.com/",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
            "forwarded_for": None,
            "timestamp": "2026-11-26 09:00:00",
        },
    ),
    Example(
        'shop.example.org:80 198.51.100.4 - alice [26/Nov/2026:10:00:01 +0000] "POST /cart HTTP/1.1" 302 - '
        '"https://shop.example.org/item/7" "curl/8.5.0"',
        {
            "vhost": "shop.example.org",
            "vhost_port": 80,
            "client_ip": "198.51.100.4",
            "user_id": "alice",
            "request_method": "POST",
            "server_status": "302",
            "returned_obj_size": None,
            "bytes_sent": None,
        },
    ),
    Example(  # Debian's vhost_common: %v without the port
        'intranet.example.net 192.0.2.10 - - [26/Nov/2026:10:00:02 +0000] "GET /wiki/ HTTP/1.1" 200 812',
        {"vhost": "intranet.example.net", "vhost_port": None, "client_ip": "192.0.2.10", "bytes_sent": 812},
    ),
    Example(  # %{X-Forwarded-For}i in place of %h
        '203.0.113.9, 10.0.0.1 - - [26/Nov/2026:10:00:03 +0000] "GET /api/v1/items?page=2 HTTP/1.1" 200 1432 '
        '"-" "okhttp/4.12.0"',
        {
            "client_ip": "203.0.113.9",
            "forwarded_for": "203.0.113.9, 10.0.0.1",
            "vhost": None,
            "request_path": "/api/v1/items?page=2",
            "status_code": 200,
            "user_agent": "okhttp/4.12.0",
            "timestamp": "2026-11-26 10:00:03",
        },
    ),
    Example(  # a three-hop list behind a vhost
        "api.example.com:443 198.51.100.23, 10.1.0.5, 10.1.0.9 - - [26/Nov/2026:10:00:04 +0000] "
        '"GET /health HTTP/1.1" 204 0 "-" "kube-probe/1.30"',
        {
            "vhost": "api.example.com",
            "vhost_port": 443,
            "client_ip": "198.51.100.23",
            "forwarded_for": "198.51.100.23, 10.1.0.5, 10.1.0.9",
            "client_id": None,
            "status_code": 204,
            "bytes_sent": 0,
        },
    ),
    Example(  # a path with spaces, as the client sent it (Fluentd's nginx parser test)
        '192.0.2.7 - - [26/Nov/2026:10:00:05 +0000] "GET /a[ ]b HTTP/1.1" 404 196 "-" "curl/8.5.0"',
        {"request_method": "GET", "request_path": "/a[ ]b", "request_protocol": "HTTP/1.1", "status_code": 404},
    ),
]

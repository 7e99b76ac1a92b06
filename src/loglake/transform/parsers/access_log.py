"""access_log: Apache and nginx access lines, common (CLF) and combined, into AWS's `apache_logs` table.

The first seven columns are those of AWS's documented Athena table for Apache logs (strings, as AWS
declares them, so its example queries, `WHERE server_status = '404'`, run unchanged on Athena); the same
two numbers are also typed, `status_code` (INTEGER) and `bytes_sent` (BIGINT), so `sum(bytes_sent)` and
`status_code >= 500` work. The request is also split into method, path and protocol, and combined lines
add referrer and user agent. nginx's default `main` format (combined plus "$http_x_forwarded_for") is
accepted too. `-` is NULL. The time is the bracketed CLF time.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Column, Example, RegexParser, text

_QUOTED = r'"((?:[^"\\]|\\.)*)"'


class AccessLogParser(RegexParser):
    name = "access_log"
    table = "apache_logs"
    pattern = (
        r"(\S+) (\S+) (\S+) \[([^\]]+)\] "
        + _QUOTED
        + r" (\d{3}|-) (\d+|-)"
        # Referrer and agent are quoted, or a bare "-"; a cut-off line may lose the agent's closing quote.
        + rf'(?: (?:{_QUOTED}|-) (?:"((?:[^"\\]|\\.)*)"?|-)(?: {_QUOTED})?)?'
        # Fields some servers append (response time, upstream, ...) are kept in extra_fields.
        + r"(?: (.*))?"
    )
    guard = "contains({m}, '] \"')"
    groups = (
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
        *(text(g) for g in groups[:7]),
        text("server_status", "INTEGER", name="status_code"),
        text("returned_obj_size", "BIGINT", name="bytes_sent"),
        Column("request_method", "VARCHAR", r"regexp_extract({s}.client_request, '^(\S+) ', 1)"),
        Column("request_path", "VARCHAR", r"regexp_extract({s}.client_request, '^\S+ (\S+)', 1)"),
        Column("request_protocol", "VARCHAR", r"regexp_extract({s}.client_request, '^\S+ \S+ (\S+)$', 1)"),
        text("referrer"),
        text("user_agent"),
        text("forwarded_for"),
        text("extra_fields"),
    )
    time = "{s}.request_received_time"


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
]

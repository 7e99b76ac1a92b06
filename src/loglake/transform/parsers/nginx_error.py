"""nginx_error: nginx's error log, `2021/04/01 13:02:31 [error] 31#31: *1 message, client: ..., ...`,
into `nginx_error_logs`. The context nginx appends (client, server, request, upstream, host, referrer)
becomes columns; `msg` is the text before it. Names follow VRL's parse_nginx_log (error format).
"""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Column, Example, RegexParser, text


def _context(name: str, label: str, quoted: bool = False) -> Column:
    value = r'"([^"]*)"' if quoted else r"([^,]*)"
    return Column(name, "VARCHAR", f"regexp_extract({{s}}.rest, {sql_string(', ' + label + ': ' + value)}, 1)", ())


class NginxErrorParser(RegexParser):
    name = "nginx_error"
    table = "nginx_error_logs"
    pattern = r"(?s)(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(\w+)\] (\d+)#(\d+): (?:\*(\d+) )?(.*)"
    guard = "substr({m}, 5, 1) = '/' AND substr({m}, 20, 2) = ' ['"
    groups = ("ts", "severity", "pid", "tid", "cid", "rest")
    columns = (
        text("severity"),
        text("pid", "BIGINT"),
        text("tid", "BIGINT"),
        text("cid", "BIGINT"),
        Column("msg", "VARCHAR", r"regexp_extract({s}.rest, '^(.*?)(?:, client: .*)?$', 1)", ()),
        _context("client", "client"),
        _context("server", "server"),
        _context("request", "request", quoted=True),
        _context("upstream", "upstream", quoted=True),
        _context("host", "host", quoted=True),
        _context("referrer", "referrer", quoted=True),
    )
    time = "replace({s}.ts, '/', '-')"
    level = "ll_level({s}.severity)"


EXAMPLES = [
    Example(
        '2021/04/01 13:02:31 [error] 31#31: *1 open() "/usr/share/nginx/html/not-found" failed '
        '(2: No such file or directory), client: 172.17.0.1, server: localhost, request: "POST /not-found HTTP/1.1", '
        'host: "localhost:8081"',
        {
            "severity": "error",
            "pid": 31,
            "tid": 31,
            "cid": 1,
            "client": "172.17.0.1",
            "server": "localhost",
            "request": "POST /not-found HTTP/1.1",
            "host": "localhost:8081",
            "msg": 'open() "/usr/share/nginx/html/not-found" failed (2: No such file or directory)',
            "level": "ERROR",
            "timestamp": "2021-04-01 13:02:31",
        },
    ),
    Example(
        "2021/06/17 19:25:59 [notice] 133309#133309: signal process started",
        {"cid": None, "client": None, "msg": "signal process started", "level": "INFO"},
    ),
]

"""apache_error: Apache httpd's error log, `[time] [module:severity] [pid N:tid M] [client ip:port] message`,
into `apache_error_logs`. A line needs httpd 2.4's `[pid ...]` block, or httpd's own time
(`[Sun Dec 04 04:47:44 2005]`, as 2.2 writes it), so a generic `[time] [level] text` line stays text.
The time may be httpd's own (with or without microseconds), CLF, or ISO-like (`2021-06-04 15:40:27.138633`,
`2021/06/03 09:30:50`, taken as UTC without a zone): whatever ErrorLogFormat writes, the time is read by
the ETL's one time reader (transform/timestamps.py), and a time it cannot read is flagged in
`time_source`, never guessed. Names follow VRL's parse_apache_log (error format); the thread id is `tid`
(BIGINT, as `pid`) and the text `msg`.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Column, Example, RegexParser, text


class ApacheErrorParser(RegexParser):
    name = "apache_error"
    table = "apache_error_logs"
    pattern = (
        r"(?s)\[([^\]]+)\] \[(?:([^:\]]+):)?([a-z0-9]+)\](?: \[pid (\d+)(?::tid (\d+))?\])?"
        r"(?: \[client ([^\]]+):(\d+)\])? (.*)"
    )
    # httpd 2.4 writes [pid ...]; older versions do not, but then the time is httpd's own, weekday first.
    guard = (
        "starts_with({m}, '[') AND "
        "(contains({m}, '] [pid ') OR substr({m}, 2, 3) IN ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'))"
    )
    groups = ("ts", "module", "severity", "pid", "tid", "client", "client_port", "msg")
    columns = (
        text("module"),
        text("severity"),
        text("pid", "BIGINT"),
        text("tid", "BIGINT"),
        text("client"),
        text("client_port", "INTEGER"),
        Column("msg", "VARCHAR", "{s}.msg", ()),
    )
    time = "{s}.ts"
    level = "ll_level({s}.severity)"


EXAMPLES = [
    Example(  # httpd 2.2: no pid block
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        {
            "severity": "notice",
            "pid": None,
            "msg": "workerEnv.init() ok /etc/httpd/conf/workers2.properties",
            "timestamp": "2005-12-04 04:47:44",
        },
    ),
    Example(
        "[01/Mar/2021:12:00:19 +0000] [ab:alert] [pid 4803:tid 3814] [client 147.159.108.175:24259] "
        "I will bypass the haptic COM bandwidth",
        {
            "module": "ab",
            "severity": "alert",
            "pid": 4803,
            "tid": 3814,
            "client": "147.159.108.175",
            "client_port": 24259,
            "msg": "I will bypass the haptic COM bandwidth",
            "level": "FATAL",
            "timestamp": "2021-03-01 12:00:19",
        },
    ),
    Example(
        "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:41716] "
        "File does not exist: /usr/local/apache2/htdocs/favicon.ico",
        {
            "module": "core",
            "severity": "error",
            "tid": 4328636416,
            "level": "ERROR",
            "timestamp": "2000-10-11 14:32:52.123456",
        },
    ),
]

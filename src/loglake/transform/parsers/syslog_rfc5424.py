"""syslog_rfc5424: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`, into the `syslog` table.

Columns follow VRL's parse_syslog names (appname, procid, msgid, ...); the free text is `msg`, because
`message` is the verbatim line in every loglake table. Structured data stays one text column
(`structured_data`, e.g. `[exampleSDID@32473 iut="3"]`), where VRL makes one object per SD-ID.
The level comes from the severity (err → ERROR, warning → WARN, notice → INFO).
"""

from __future__ import annotations

from dataclasses import replace

from loglake.transform.parsers.base import Column, Example, RegexParser
from loglake.transform.parsers.syslog_fields import pri_columns, severity_level

# SD elements; like VRL, a space after '=' is tolerated (some senders write `key= "value"`).
_SD = r'(?:\[[^\s\]=]+(?: [^\s=\]]+= ?"(?:[^"\\]|\\.)*")*\])+'

HEAD = r"(?:<\d{1,3}>)?\d{1,2} (?:-|\d{4}-\d\d-\d\dT\S+) \S+ \S+ \S+ \S+"
"""PRI, version, time, host, app, procid and msgid: tokens without whitespace (`\\S`, the PRI's `<\\d>`), one
space between two, so the `k`-th field is `string_split(head, ' ')[k]` (the first holds the PRI's `<...>`)."""


def _token(k: int) -> str:
    """SQL: the head's `k`-th space-separated token. One string_split, indexed: DuckDB computes the split once
    for all seven mentions in the write (50,000 benchmark heads: 22 ms of CPU, seven split_part calls 89)."""
    return f"string_split({{s}}.head, ' ')[{k}]"


_PRI = "CASE WHEN prefix({s}.head, '<') THEN substr({s}.head, 2, strpos({s}.head, '>') - 2) ELSE '' END"
"""The PRI's digits: between the leading `<` and the first `>` (`\\d` holds none); '' without a PRI."""
_VERSION = f"substr({_token(1)}, strpos({_token(1)}, '>') + 1)"
"""The first token after its PRI (a token without PRI is digits: no `>`, strpos 0, the whole token)."""


class SyslogRfc5424Parser(RegexParser):
    """Three groups, not nine: classification extracts the likely format's groups plus the whole line, and RE2's
    one-pass submatch engine takes at most four (50,000 benchmark lines: nine groups and the whole 224 ms of
    CPU, three and the whole 48). The regex is the same language with fewer captures, so it claims the same
    lines and takes the same parse; the six head fields are cut from the head with string functions."""

    name = "syslog_rfc5424"
    table = "syslog"
    # PRI may be absent (`1 2015-08-05T21:58:59.693Z host ...`: a relay stripped it; OpenTelemetry's
    # allow_skip_pri_header reads such lines): then facility, severity and level are NULL.
    pattern = rf"(?s)({HEAD}) (-|{_SD})(?: (.*))?"
    guard = (
        "(starts_with({m}, '<') AND contains(substr({m}, 2, 4), '>')) "
        "OR (substr({m}, 2, 1) = ' ' AND substr({m}, 7, 1) = '-' AND substr({m}, 13, 1) = 'T')"
    )
    groups = ("head", "structured_data", "msg")
    columns = (
        *(replace(c, value=c.value.replace("{s}.pri", _PRI)) for c in pri_columns()),
        Column("version", "INTEGER", _VERSION),
        Column("hostname", "VARCHAR", _token(3)),
        Column("appname", "VARCHAR", _token(4)),
        Column("procid", "VARCHAR", _token(5)),
        Column("msgid", "VARCHAR", _token(6)),
        Column("structured_data", "VARCHAR", "{s}.structured_data"),
        Column("msg", "VARCHAR", "{s}.msg", ()),
    )
    time = f"nullif({_token(2)}, '-')"
    level = severity_level().replace("{s}.pri", _PRI)


EXAMPLES = [
    Example(
        '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3"] '
        "An application event log entry...",
        {
            "facility": "local4",
            "severity": "notice",
            "version": 1,
            "hostname": "mymachine.example.com",
            "appname": "evntslog",
            "procid": None,
            "msgid": "ID47",
            "structured_data": '[exampleSDID@32473 iut="3"]',
            "msg": "An application event log entry...",
            "level": "INFO",
            "timestamp": "2003-10-11 22:14:15.003",
        },
    ),
    Example(
        "<34>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        {
            "facility": "auth",
            "severity": "crit",
            "procid": "8710",
            "msg": "%% It's time to make the do-nuts.",
            "level": "FATAL",
            "timestamp": "2003-08-24 12:14:15.000003",
        },
    ),
    Example(  # no PRI: a relay stripped it (OpenTelemetry's RFC5424SkipPriAbsent case has the same shape)
        "1 2026-11-26T10:00:00.5Z web-01 nginx 812 - - reload",
        {
            "facility": None,
            "severity": None,
            "level": None,
            "version": 1,
            "hostname": "web-01",
            "appname": "nginx",
            "procid": "812",
            "msgid": None,
            "structured_data": None,
            "msg": "reload",
            "timestamp": "2026-11-26 10:00:00.5",
        },
    ),
]

"""What the syslog formats share: the PRI value, split into facility and severity names (as VRL names them),
and the BSD-style line's groups and columns (RFC 3164, and rsyslog's file format with an RFC 3339 time)."""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Column, text

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
    "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5",
    "local6", "local7",
)  # fmt: skip
SEVERITIES = ("emerg", "alert", "crit", "err", "warning", "notice", "info", "debug")


def _names(values: tuple[str, ...]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def pri_columns(group: str = "pri") -> tuple[Column, Column]:
    """facility and severity from PRI (0..191); a missing or out-of-range PRI gives NULL for both."""
    pri = f"TRY_CAST(nullif({{s}}.{group}, '') AS INTEGER)"
    valid = f"CASE WHEN {pri} BETWEEN 0 AND 191 THEN {pri} END"
    return (
        Column("facility", "VARCHAR", f"list_extract({_names(FACILITIES)}, {valid} // 8 + 1)"),
        Column("severity", "VARCHAR", f"list_extract({_names(SEVERITIES)}, {valid} % 8 + 1)"),
    )


def severity_level(group: str = "pri") -> str:
    """SQL: the loglake level of the PRI's severity (emerg/alert/crit → FATAL, err → ERROR, warning → WARN,
    notice/info → INFO, debug → DEBUG); NULL without a PRI or with one outside 0..191 (as severity)."""
    pri = f"TRY_CAST(nullif({{s}}.{group}, '') AS INTEGER)"
    valid = f"CASE WHEN {pri} BETWEEN 0 AND 191 THEN {pri} END"
    return f"list_extract(['FATAL', 'FATAL', 'FATAL', 'ERROR', 'WARN', 'INFO', 'INFO', 'DEBUG'], {valid} % 8 + 1)"


BSD_GROUPS = ("pri", "ts", "hostname", "appname", "procid", "msg")
"""`<PRI>TIME host app[pid]: msg`: the groups of RFC 3164 and of rsyslog's file format, in order."""


def bsd_columns() -> tuple[Column, ...]:
    """The columns of a BSD-style syslog line (one `syslog` table for both layouts)."""
    return (
        *pri_columns(),
        text("hostname"),
        text("appname"),
        text("procid"),
        Column("msg", "VARCHAR", "{s}.msg", ()),
    )


HEAD_GROUPS = ("ts", "hostname", "appname", "bracket")
"""The groups of a BSD-shaped head pattern (BSD syslog's and rsyslog's HEAD): the time, host, tag and the pid's
bracket whole, the PRI's digits ungrouped (four groups: RE2's one-pass engine)."""


def head_length(line: str, head: str, separators: int) -> str:
    """SQL: the length of a head's match at the start of `line` (`head`: its HEAD_GROUPS struct), which holds the
    PRI's `<...>` (up to the first `>`: `\\d` holds none), the time, the host, the tag, the bracket and
    `separators` more characters (the spaces after the time and host, and a colon when the head's has one).
    length and substr both count code points (a host or tag may hold non-ASCII letters)."""
    pri_end = f"CASE WHEN prefix({line}, '<') THEN strpos({line}, '>') ELSE 0 END"
    parts = " + ".join(f"length({head}.{g})" for g in HEAD_GROUPS)
    return f"({pri_end} + {parts} + {separators})"


def head_cut(line: str, head: str, msg: str) -> dict[str, str]:
    """SQL: BSD_GROUPS' values cut from a line whose head matched: the PRI the digits between the leading `<`
    and the first `>`, the pid the bracket's inside, the message `msg` (SQL: the text after the head)."""
    return {
        "pri": f"CASE WHEN prefix({line}, '<') THEN substr({line}, 2, strpos({line}, '>') - 2) ELSE '' END",
        "ts": f"{head}.ts",
        "hostname": f"{head}.hostname",
        "appname": f"{head}.appname",
        "procid": f"substr({head}.bracket, 2, length({head}.bracket) - 2)",
        "msg": msg,
    }


def head_groups(line: str, head_pattern: str) -> str:
    """SQL: the HEAD_GROUPS struct of `head_pattern`'s match at the start of `line` (all '' where none)."""
    names = "[" + ", ".join(f"'{g}'" for g in HEAD_GROUPS) + "]"
    return f"regexp_extract({line}, {sql_string('^' + head_pattern)}, {names})"

"""What the syslog formats share: the PRI value, split into facility and severity names (as VRL names them),
and the BSD-style line's groups and columns (RFC 3164, and rsyslog's file format with an RFC 3339 time)."""

from __future__ import annotations

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

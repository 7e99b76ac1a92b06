"""mysql_error: the MySQL and MariaDB error log, as RDS and Aurora deliver it to CloudWatch Logs
(`/aws/rds/instance/<db>/error`), into `mysql_error_logs`.

MySQL 8.0 writes `<time> <thread> [<prio>] [<error code>] [<subsystem>] <text>`; 5.7 has no code or
subsystem (`2019-03-05T18:54:20.123456Z 0 [Note] ...`); MariaDB and 5.6 write a space instead of `T` and
no zone (`2019-03-05 18:54:20 140234 [Note] ...`, local time, read as UTC as RDS runs in UTC). The columns
take the names of MySQL's own `performance_schema.error_log` table: `thread_id`, `prio`, `error_code`,
`subsystem`, `data` (the text).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Example, ParsePlan, RegexParser, regex_groups, text

PREFIX = (
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?) +(\d+) "
    r"\[(System|ERROR|Error|Warning|Note|Info)\](?: \[(MY-\d+)\])?(?: \[(\w+)\])? ?"
)
"""The pattern without its last group: `(?s)(.*)` matches whatever follows, so the whole pattern matches a
line exactly when PREFIX matches at its start, and (leftmost-first: the first parse in priority order wins,
and every parse of PREFIX is followed by a match of `(.*)`) its groups are PREFIX's first match at the
start, then `data`, the text after it. PREFIX reads no CR or LF (digits, `-`, `T`, `:`, `.`, `Z`, `+`,
spaces, brackets, `\\w`), and its match is ASCII. As nginx_error's PREFIX (the same argument)."""


def _prefix_cut(line: str, head: str) -> str:
    """SQL: the struct of the pattern's groups from `head` (PREFIX's groups at the start of `line`, `whole`
    its match) and the text after it, or the whole pattern's regexp_extract where PREFIX does not match
    (never on a line detection claimed; there the regex gives the same struct). RE2's submatch engine over
    `(.*)` read the whole line (68 ms CPU per 50,000 lines, in classification as the likely format's
    extraction, 77 with its guard); PREFIX's extraction stops after the prefix (42)."""
    fields = ", ".join(f"{g} := {head}.{g}" for g in MysqlErrorParser.groups[:-1])
    cut = f"struct_pack({fields}, data := substr({line}, length({head}.whole) + 1))"
    regex = regex_groups(line, MysqlErrorParser.pattern, MysqlErrorParser.groups)
    return f"CASE WHEN {head}.whole <> '' THEN {cut} ELSE {regex} END"


class MysqlErrorParser(RegexParser):
    name = "mysql_error"
    table = "mysql_error_logs"
    pattern = "(?s)" + PREFIX + "(.*)"
    # After the 19 characters of date and time comes `.`, a zone or the space: a Java or Python logging line
    # (`2026-11-26 14:03:07,412 ERROR [main] ...`) passed the rest of the guard, and its full match paid for
    # the whole (multi-line) message (58 ms per 50,000 stack traces); the same lines fail the pattern.
    guard = (
        "substr({m}, 5, 1) = '-' AND substr({m}, 11, 1) IN ('T', ' ') "
        "AND substr({m}, 20, 1) IN ('.', 'Z', '+', '-', ' ') AND contains(left({m}, 60), '] ')"
    )
    groups = ("ts", "thread_id", "prio", "error_code", "subsystem", "data")
    columns = (
        text("thread_id", "BIGINT"),
        text("prio"),
        text("error_code"),
        text("subsystem"),
        text("data", nulls=()),
    )
    time = "{s}.ts"
    level = "ll_level(CASE {s}.prio WHEN 'Note' THEN 'INFO' WHEN 'System' THEN 'INFO' ELSE {s}.prio END)"

    def matches(self, message: str) -> str:
        """PREFIX at the start of the message: the pattern's full match of the line, which RE2 tests without
        reading the rest. The line is the message less a trailing run of CR and LF, which PREFIX cannot read,
        so it starts with PREFIX exactly when the message does."""
        return f"regexp_matches({message}, {sql_string('^(?:' + PREFIX + ')')})"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of RegexParser, read from the struct _prefix_cut makes (the regex's own groups). With
        its own detection and plan the parser is not likely_format's: classification runs PREFIX's test, and
        the write cuts the line once."""
        s = self.struct_column
        line, head = f"{s}_line", f"{s}_head"
        names = "[" + ", ".join(sql_string(g) for g in ("whole", *self.groups[:-1])) + "]"
        derived = {
            line: LINE.format(m="message"),
            head: f"regexp_extract({line}, {sql_string('^(' + PREFIX + ')')}, {names})",
            s: _prefix_cut(line, head),
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived)


EXAMPLES = [
    Example(
        "2024-01-15T10:23:45.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.",
        {
            "thread_id": 0,
            "prio": "Warning",
            "error_code": "MY-010068",
            "subsystem": "Server",
            "data": "CA certificate ca.pem is self signed.",
            "level": "WARN",
            "timestamp": "2024-01-15 10:23:45.123456",
        },
    ),
    Example(  # MySQL 5.7
        "2019-03-05T18:54:20.123456Z 0 [Note] Event Scheduler: Loaded 0 events",
        {
            "prio": "Note",
            "error_code": None,
            "subsystem": None,
            "data": "Event Scheduler: Loaded 0 events",
            "level": "INFO",
        },
    ),
    Example(  # MariaDB
        "2019-03-05 18:54:20 140234 [ERROR] Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5'",
        {"thread_id": 140234, "prio": "ERROR", "level": "ERROR", "timestamp": "2019-03-05 18:54:20"},
    ),
]

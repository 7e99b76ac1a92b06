"""mysql_error: the MySQL and MariaDB error log, as RDS and Aurora deliver it to CloudWatch Logs
(`/aws/rds/instance/<db>/error`), into `mysql_error_logs`.

MySQL 8.0 writes `<time> <thread> [<prio>] [<error code>] [<subsystem>] <text>`; 5.7 has no code or
subsystem (`2019-03-05T18:54:20.123456Z 0 [Note] ...`); MariaDB and 5.6 write a space instead of `T` and
no zone (`2019-03-05 18:54:20 140234 [Note] ...`, local time, read as UTC as RDS runs in UTC). The columns
take the names of MySQL's own `performance_schema.error_log` table: `thread_id`, `prio`, `error_code`,
`subsystem`, `data` (the text).
"""

from __future__ import annotations

from loglake.transform.parsers.base import Example, PrefixParser, text

PREFIX = (
    r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?) +(\d+) "
    r"\[(System|ERROR|Error|Warning|Note|Info)\](?: \[(MY-\d+)\])?(?: \[(\w+)\])? ?"
)
"""The pattern without its last group, `data` (base.PrefixParser's argument). It reads no CR or LF (digits, `-`,
`T`, `:`, `.`, `Z`, `+`, spaces, brackets, `\\w`), and its match is ASCII. RE2's submatch engine over `(.*)`
read the whole line (68 ms CPU per 50,000 lines, in classification as the likely format's extraction, 77 with
its guard); the prefix's extraction stops after it (42)."""


class MysqlErrorParser(PrefixParser):
    name = "mysql_error"
    table = "mysql_error_logs"
    prefix = PREFIX
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

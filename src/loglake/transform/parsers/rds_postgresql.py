"""rds_postgresql: PostgreSQL server logs as RDS and Aurora deliver them to CloudWatch Logs
(`/aws/rds/instance/<db>/postgresql`, `/aws/rds/cluster/<cluster>/postgresql`), into `postgresql_logs`.

RDS's `log_line_prefix` is `%t:%r:%u@%d:[%p]:` and cannot be changed: the time with its zone
(`2022-03-09 10:45:02 UTC`), the client as `host(port)` (`[local]` for a Unix socket, empty for a
background process), `user@database`, `[pid]`, then PostgreSQL's severity and the text. AWS documents no
table; the columns take the names of PostgreSQL's own csvlog: `remote_host` and `remote_port` (%r),
`user_name`, `database_name`, `process_id`, `error_severity`, and `msg` for the text (`message` is the
envelope's verbatim line). A multi-line statement stays one event, its lines in `msg`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Example, ParsePlan, PrefixParser, cut_or_regex, text

_LEVEL = {
    "DEBUG1": "DEBUG", "DEBUG2": "DEBUG", "DEBUG3": "DEBUG", "DEBUG4": "DEBUG", "DEBUG5": "DEBUG",
    "INFO": "INFO", "NOTICE": "INFO", "LOG": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "FATAL": "FATAL",
    "PANIC": "FATAL",
}  # fmt: skip


PREFIX = (
    r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Z]{2,5}):"
    r"(\[local\]|[^():@\[]*|[0-9A-Fa-f:.]+)(?:\((\d+)\))?:"
    r"([^@:]*)@([^:]*):\[(\d+)\]:"
    r"([A-Z]+[0-9]?):  ?"
)
"""The pattern without its last group, `msg` (base.PrefixParser's argument). Every parse of it ends with a space (after
the severity's colon), so none reads the message's trailing CR and LF: it matches the message's start exactly
when it matches the line's (the message less that run), with the same groups, though the host, user and
database classes hold CR, LF and non-ASCII. DuckDB's `length` and `substr` both count code points, so
the cut after a non-ASCII match is where the regex's last group starts. As the likely format, its whole pattern's
eight groups (and the line as a ninth) were extracted in classification, RE2's submatch engine reading the whole
statement: 140 ms per 50,000 lines; the prefix's test (DFA, stopping after it) costs 14 and the prefix's groups
54 (benchmarks/README.md, 2026-11-30 h-text)."""

HEAD = (
    r"(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Z]{2,5}):"
    r"((?:\[local\]|[^():@\[]*)(?:\(\d+\))?):([^@:]*@[^:]*):(\[\d+\]:[A-Z]+[0-9]?:  ?)"
)
"""PREFIX without the host's third alternative (an IPv6 address, which holds colons), in four groups: the time,
`host(port)`, `user@database`, and `[pid]:SEVERITY:` with its spaces. Four groups or fewer is RE2's one-pass
engine (each character decides the branch: `[local]` starts with `[`, which the second alternative excludes):
19 ms per 50,000 lines, where PREFIX's seven groups (and its match) took 54."""


class RdsPostgresqlParser(PrefixParser):
    name = "rds_postgresql"
    table = "postgresql_logs"
    prefix = PREFIX
    # `YYYY-MM-DD HH:MM:SS` then a zone: the space and colons are where PostgreSQL's %t puts them.
    guard = "substr({m}, 11, 1) = ' ' AND substr({m}, 5, 1) = '-' AND contains(left({m}, 120), ':[')"
    groups = ("log_time", "remote_host", "remote_port", "user_name", "database_name", "process_id",
              "error_severity", "msg")  # fmt: skip
    columns = (
        text("remote_host"),
        text("remote_port", "INTEGER"),
        text("user_name"),
        text("database_name"),
        text("process_id", "BIGINT"),
        text("error_severity"),
        text("msg", nulls=()),
    )
    time = "{s}.log_time"
    level = "CASE {s}.error_severity " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _LEVEL.items()) + " END"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The columns of PrefixParser, read from HEAD's four groups at the line's start and cut with string
        functions; the whole pattern's regexp_extract where HEAD does not match (an IPv6 client, or a line
        detection did not claim). Where HEAD matches, PREFIX matches the same text in the same parse (HEAD is
        PREFIX less the host's last alternative, so its parses are PREFIX's first ones in priority order; only
        the groups differ), and the cut gives PREFIX's groups: the host (`[local]` or a run without `(`) is
        `host(port)` before its `(`, the port the digits after it less the `)` ('' without one, as regexp_extract
        gives an absent group); the user (no `@`) is `user@database` before its first `@`, the database after it;
        the pid is `[pid]` less its brackets and the severity (no `:`) what follows up to the next `:`. The message
        starts after the match, whose length is its four groups' plus the three colons between them (length and
        substr, like strpos and left in the cuts, count code points)."""
        s = self.struct_column
        line, head = f"{s}_line", f"{s}_head"
        at = f"strpos({head}.user_db, '@')"
        matched = f"length({head}.log_time) + length({head}.host_port) + length({head}.user_db) + length({head}.tail)"
        values = {
            "log_time": f"{head}.log_time",
            "remote_host": f"split_part({head}.host_port, '(', 1)",
            "remote_port": f"rtrim(split_part({head}.host_port, '(', 2), ')')",
            "user_name": f"left({head}.user_db, {at} - 1)",
            "database_name": f"substr({head}.user_db, {at} + 1)",
            "process_id": f"substr(split_part({head}.tail, ']', 1), 2)",
            "error_severity": f"split_part({head}.tail, ':', 2)",
            "msg": f"substr({line}, {matched} + 4)",
        }
        names = "['log_time', 'host_port', 'user_db', 'tail']"
        derived = {
            line: LINE.format(m="message"),
            head: f"regexp_extract({line}, {sql_string('^' + HEAD)}, {names})",
            s: cut_or_regex(f"{head}.log_time <> ''", values, line, self.pattern, self.groups),
        }
        # HEAD's time group and PREFIX's are timestamps.ZONE_NAMED: the cascade's tests are already paid.
        return replace(super().plan(con, max_depth), derived=derived, time_format="matched_zone_named")


EXAMPLES = [
    Example(
        "2022-03-09 10:45:02 UTC:10.0.1.25(54321):postgres@mydb:[12345]:LOG:  connection authorized: "
        "user=postgres database=mydb SSL enabled (protocol=TLSv1.2, cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256)",
        {
            "remote_host": "10.0.1.25",
            "remote_port": 54321,
            "user_name": "postgres",
            "database_name": "mydb",
            "process_id": 12345,
            "error_severity": "LOG",
            "msg": "connection authorized: user=postgres database=mydb SSL enabled (protocol=TLSv1.2, "
            "cipher=ECDHE-RSA-AES256-GCM-SHA384, bits=256)",
            "level": "INFO",
            "timestamp": "2022-03-09 10:45:02",
        },
    ),
    Example(  # a background process: no client, user or database
        "2022-03-09 10:50:00 UTC::@:[4312]:LOG:  checkpoint starting: time",
        {"remote_host": None, "remote_port": None, "user_name": None, "database_name": None, "process_id": 4312},
    ),
    Example(
        '2022-03-09 10:51:13 UTC:[local]:rdsadmin@rdsadmin:[9876]:ERROR:  relation "foo" does not exist at '
        "character 15",
        {"remote_host": "[local]", "error_severity": "ERROR", "level": "ERROR", "database_name": "rdsadmin"},
    ),
    Example(  # a statement over several lines stays one event
        "2022-03-09 10:52:00 UTC:10.0.1.25(54322):app@shop:[12346]:STATEMENT:  SELECT *\n\tFROM orders\n\tWHERE id = 1",
        {"error_severity": "STATEMENT", "msg": "SELECT *\n\tFROM orders\n\tWHERE id = 1", "level": None},
    ),
]

"""mysql_general: the MySQL general query log, as RDS and Aurora deliver it to CloudWatch Logs
(`/aws/rds/instance/<db>/general`), into `mysql_general_logs`.

A record is `<time>\\t<thread id> <command>\\t<argument>`. The columns take the names of MySQL's own
`mysql.general_log` table: `thread_id`, `command_type` (`Connect`, `Query`, `Init DB`, `Quit`, ...) and
`argument`. The file's banner lines (`Tcp port: 3306  Unix socket: ...`, `Time  Id Command  Argument`) are
no records: they stay in `logs` as text.
"""

from __future__ import annotations

from loglake.transform.parsers.base import Example, PrefixParser, text

PREFIX = r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)\t *(\d+) ([A-Z][A-Za-z ]*?)\t"
"""The pattern without its last group, `argument` (base.PrefixParser's argument). It reads no CR or LF (digits,
`-`, `T`, `:`, `.`, `Z`, `+`, tabs, spaces, ASCII letters)."""


class MysqlGeneralParser(PrefixParser):
    name = "mysql_general"
    table = "mysql_general_logs"
    prefix = PREFIX
    guard = "substr({m}, 5, 1) = '-' AND substr({m}, 11, 1) = 'T' AND contains(left({m}, 40), chr(9))"
    groups = ("ts", "thread_id", "command_type", "argument")
    columns = (text("thread_id", "BIGINT"), text("command_type"), text("argument", nulls=()))
    time = "{s}.ts"


EXAMPLES = [
    Example(
        "2024-01-15T10:23:45.123456Z\t   12 Query\tSELECT 1",
        {
            "thread_id": 12,
            "command_type": "Query",
            "argument": "SELECT 1",
            "timestamp": "2024-01-15 10:23:45.123456",
        },
    ),
    Example(
        "2024-01-15T10:23:44.000001Z\t   12 Connect\tadmin@10.0.0.1 on shop using TCP/IP",
        {"command_type": "Connect", "argument": "admin@10.0.0.1 on shop using TCP/IP"},
    ),
    Example("2024-01-15T10:23:46.5Z\t   12 Init DB\tshop", {"command_type": "Init DB", "argument": "shop"}),
]

"""mysql_slow: the MySQL and MariaDB slow query log, as RDS and Aurora deliver it to CloudWatch Logs
(`/aws/rds/instance/<db>/slowquery`: one event per query, its `# Time`, `# User@Host` and `# Query_time`
lines and the statement), into `mysql_slow_logs`.

The columns take the names of MySQL's own `mysql.slow_log` table: `user_host`, `thread_id`, `query_time`
and `lock_time` (seconds, DOUBLE), `rows_sent`, `rows_examined`, `db` (from a `use db;` line) and
`sql_text` (the statement, `SET timestamp=...;` left out). The event time is `# Time` when it is an
ISO time (5.7, 8.0), else the query's `SET timestamp` (5.6 and MariaDB write `# Time: 210323 16:15:04`).
"""

from __future__ import annotations

from loglake.transform.parsers.base import Example, RegexParser, text


class MysqlSlowParser(RegexParser):
    name = "mysql_slow"
    table = "mysql_slow_logs"
    pattern = (
        r"(?s)(?:# Time: ([^\n]*)\n)?# User@Host: ([^\n]*?)(?:\s+Id:\s*(\d+))?\n"
        r"(?:# [^\n]*\n)*?"
        r"# Query_time: ([0-9.]+)\s+Lock_time: ([0-9.]+)\s+Rows_sent: (\d+)\s+Rows_examined: (\d+)[^\n]*\n"
        r"(?:# [^\n]*\n)*"
        r"(?:use ([^;\n]+);\n)?(?:SET timestamp=(\d+);\n)?(.*)"
    )
    guard = "starts_with({m}, '# ')"
    groups = ("time", "user_host", "thread_id", "query_time", "lock_time", "rows_sent", "rows_examined", "db",
              "set_timestamp", "sql_text")  # fmt: skip
    columns = (
        text("user_host"),
        text("thread_id", "BIGINT"),
        text("query_time", "DOUBLE"),
        text("lock_time", "DOUBLE"),
        text("rows_sent", "BIGINT"),
        text("rows_examined", "BIGINT"),
        text("db"),
        text("sql_text", nulls=()),
    )
    time = "CASE WHEN substr({s}.time, 5, 1) = '-' THEN {s}.time ELSE nullif({s}.set_timestamp, '') END"


EXAMPLES = [
    Example(
        "# Time: 2021-03-23T16:15:04.587137Z\n"
        "# User@Host: admin[admin] @  [10.0.0.1]  Id:    18\n"
        "# Query_time: 10.001235  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0\n"
        "SET timestamp=1616516094;\n"
        "SELECT SLEEP(10);",
        {
            "user_host": "admin[admin] @  [10.0.0.1]",
            "thread_id": 18,
            "query_time": 10.001235,
            "lock_time": 0.0,
            "rows_sent": 1,
            "rows_examined": 0,
            "db": None,
            "sql_text": "SELECT SLEEP(10);",
            "timestamp": "2021-03-23 16:15:04.587137",
        },
    ),
    Example(  # MySQL 5.6: a two-digit year in # Time (not read), `use db;`, the time from SET timestamp
        "# Time: 210323 16:15:04\n"
        "# User@Host: app[app] @ ip-10-0-0-2.ec2.internal [10.0.0.2]  Id:   442\n"
        "# Query_time: 2.500000  Lock_time: 0.000120 Rows_sent: 0  Rows_examined: 100000\n"
        "use shop;\n"
        "SET timestamp=1616516104;\n"
        "UPDATE orders SET state = 'x' WHERE created < NOW();",
        {
            "db": "shop",
            "rows_examined": 100000,
            "timestamp": "2021-03-23 16:15:04",
            "sql_text": "UPDATE orders SET state = 'x' WHERE created < NOW();",
        },
    ),
]

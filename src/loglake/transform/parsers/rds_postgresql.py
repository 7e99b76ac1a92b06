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

from loglake.transform.parsers.base import Example, RegexParser, text

_LEVEL = {
    "DEBUG1": "DEBUG", "DEBUG2": "DEBUG", "DEBUG3": "DEBUG", "DEBUG4": "DEBUG", "DEBUG5": "DEBUG",
    "INFO": "INFO", "NOTICE": "INFO", "LOG": "INFO", "WARNING": "WARN", "ERROR": "ERROR", "FATAL": "FATAL",
    "PANIC": "FATAL",
}  # fmt: skip


class RdsPostgresqlParser(RegexParser):
    name = "rds_postgresql"
    table = "postgresql_logs"
    pattern = (
        r"(?s)(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [A-Z]{2,5}):"
        r"(\[local\]|[^():@\[]*|[0-9A-Fa-f:.]+)(?:\((\d+)\))?:"
        r"([^@:]*)@([^:]*):\[(\d+)\]:"
        r"([A-Z]+[0-9]?):  ?(.*)"
    )
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

"""mysql_slow: the MySQL and MariaDB slow query log, as RDS and Aurora deliver it to CloudWatch Logs
(`/aws/rds/instance/<db>/slowquery`: one event per query, its `# Time`, `# User@Host` and `# Query_time`
lines and the statement), into `mysql_slow_logs`.

The columns take the names of MySQL's own `mysql.slow_log` table: `user_host`, `thread_id`, `query_time`
and `lock_time` (seconds, DOUBLE), `rows_sent`, `rows_examined`, `db` (from a `use db;` line) and
`sql_text` (the statement, `SET timestamp=...;` left out). The event time is `# Time` when it is an
ISO time (5.7, 8.0), else the query's `SET timestamp` (5.6 and MariaDB write `# Time: 210323 16:15:04`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Example, ParsePlan, RegexParser, cut_or_regex, text
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS

_AFTER_TIME = (
    r"# User@Host: ([^\n]*?)(?:\s+Id:\s*(\d+))?\n"
    r"(?:# [^\n]*\n)*?"
    r"# Query_time: ([0-9.]+)\s+Lock_time: ([0-9.]+)\s+Rows_sent: (\d+)\s+Rows_examined: (\d+)[^\n]*\n"
)
PREFIX = r"(?:# Time: ([^\n]*)\n)?" + _AFTER_TIME
"""The pattern up to its `# Query_time` line. What follows it in the pattern (`# ` lines, `use db;`, `SET
timestamp=...;`: each optional, then `(?s)(.*)`) matches whatever follows, so the pattern matches a line exactly
when PREFIX matches at its start. Detection tests that on the line (base.LINE: PREFIX ends in an LF, which the
line end that LINE drops could hold); RE2 stops after the prefix (32 against 42 ms per 50,000 queries)."""
_TAIL = r"(?:# [^\n]*\n)*(?:use ([^;\n]+);\n)?(?:SET timestamp=(\d+);\n)?(.*)"

SHAPE = (
    r"^(# Time: [^\n]*\n# User@Host: ([^\n\]]*\] @ [^\n\]]*\])  Id: +(\d+)\n"
    r"# Query_time: [0-9.]+  Lock_time: [0-9.]+ Rows_sent: \d+  Rows_examined: \d+\nSET timestamp=(\d+);\n)"
)
"""The usual slow query of MySQL 5.7 and 8.0 (`# Time`, `# User@Host: user[user] @ host [ip]  Id: N`, `# Query_time`
with MySQL's own spacing, `SET timestamp`, then the statement), whose groups the plan cuts (MysqlSlowParser.plan).
Groups: the head (up to the statement), user_host, thread_id, set_timestamp. RE2 extracts them with its one-pass
engine (each character decides the path, four groups at most): 40 ms per 50,000 queries against 157 for the whole
pattern's ten groups."""


SURE = r"^# Time: (?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z|\d{6} [ \d]\d:\d\d:\d\d)\n" + _AFTER_TIME + r"[^\r\n]"
"""A query as MySQL writes it (MysqlSlowParser.sure): the `# Time` line first, with an ISO time in UTC (5.7, 8.0)
or MySQL 5.6's and MariaDB's `%y%m%d %H:%M:%S` (the hour padded with a blank), then PREFIX's lines after its
optional `# Time` line, then a character that is no CR or LF (the statement's first)."""


class MysqlSlowParser(RegexParser):
    name = "mysql_slow"
    table = "mysql_slow_logs"
    pattern = "(?s)" + PREFIX + _TAIL
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

    ahead_of = (
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json"),
        *("waf", "route53_resolver", "network_firewall", "json", "lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        *("apigateway_access_log", "access_log", "nginx_error", "apache_error", "container_cri", "rds_postgresql"),
        *("mysql_error", "mysql_general"),
    )
    """Every parser before this one in PARSERS: a slow query paid each one's guard (API Gateway JSON's, API
    Gateway's CLF and access_log's scans of the whole query among them) before its own detection: 0.20 s of the
    classifying statement's CPU per 50,000 queries, 0.12 s with mysql_slow first (benchmarks/README.md).
    Classification tests `sure` before the first of them (etl._shortcuts), and this parser's detection stays where
    it is for the queries `sure` is not sure of."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them. True where the message starts as SURE says (`# Time: ` tested first) and no VPC or
        CloudFront header of the object makes their detection count fields (their `custom`, a value per object:
        etl._settled); false elsewhere, where the CASE goes on in PARSERS order.

        `detect`: the guard's `# ` starts SURE; PREFIX matches at the start of the line (base.LINE: the message
        without its trailing run of CR and LF), its optional `# Time` line taking SURE's (`[^\\n]*`: the time has
        no LF) and the rest SURE's own lines: they end before a character that is no CR or LF, so the trailing
        run comes after them, and the line holds them.

        No parser of `ahead_of` claims such a message; with the characters at 1-based positions each reads (all
        ASCII in the `# Time` line, so a position is a byte, and base.LINE has the same first characters): `#`
        at 1, a blank at 2, `Time:` at 3-7, a blank at 8, digits at 9-14, and the time ends at the first LF:

        - the JSON shapes and generic JSON: their guards or detections need `{` first, or a blank, tab, CR or LF
          then `{`; lambda_platform: `START`, `END`, `REPORT`, `INIT_...` or `XRAY` first; alb: `h`, `w` or `g`
          first; nlb: `tls `; apache_error: `[` first; vpc_flow_log (not custom): a digit first;
        - a character at 5 (here `m`): `-` for elb_classic, alb_connection, rds_postgresql, mysql_error and
          mysql_general, `/` for nginx_error; at 11 (here a digit): `[` at 1 or `T` for lambda_text, a tab for
          cloudfront (not custom), `.` for cloudfront_realtime, `T` for container_cri;
        - s3_access_log: its pattern's first two fields `[^ ]*`, each followed by a blank, then `[`: the words
          `#` and `Time:` end at the blanks at 2 and 8, and a digit is at 9;
        - apigateway_access_log and access_log: their patterns read words from the start (`\\S+`, which stops at
          a blank or an LF; access_log's optional virtual host `[^\\s,]+?` and port before a blank; no word here
          holds `,`) and need ` [` after the third (apigateway_access_log: `\\S+ \\S+ +\\S+ \\[`) or the
          third or fourth (access_log); the words are `#`, `Time:`, then the ISO time, followed by the LF, or
          the six digits, followed by a blank and a digit or a second blank, then the clock, followed by the LF.

        Per 50,000 queries the classifying statement's CPU went 0.15 -> 0.12 s and the object's 0.65 -> 0.61 s, no
        index (benchmarks/README.md, h-mysql11). Other lines pay the `# Time: ` test."""
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN starts_with({message}, '# Time: ') "
            f"THEN regexp_matches({message}, {sql_string(SURE)}) ELSE false END)"
        )

    def matches(self, message: str) -> str:
        """PREFIX at the line's start: the whole pattern's full match (PREFIX's docstring argues it)."""
        return f"regexp_matches({LINE.format(m=message)}, {sql_string('^(?:' + PREFIX + ')')})"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        r"""The regex's ten groups, cut from SHAPE's match where the query has that shape, else the whole
        pattern's groups.

        Why the cut is the regex's parse on a line SHAPE matches at its start (RE2 takes the first parse in
        priority order: an optional block is tried first, a lazy one skipped first): the `# Time` line is
        taken (`[^\n]*`: its text up to the first LF); the user and host hold no LF, and the only `Id:`
        followed by blanks and digits up to the line's end is the one SHAPE read (a second would lie in those
        blanks and digits), so the shortest user_host before `\s+Id:` is the text before the blanks that
        follow its `]`, and the digits are the thread id (no blank or digit run can reach across the LF: the
        next line starts with `#`); no `# ` line comes before `# Query_time`, whose four numbers are the 3rd,
        6th, 8th and 11th pieces of the line split at spaces with MySQL's spacing; `SET timestamp` is no `# `
        or `use` line, its digits are set_timestamp, and the statement is the rest of the line after the head
        (substr counts characters as length does). Groups a parse leaves out (`db`) are ''. Compared with the
        regex on crafted queries in tests/transform/parsers/test_mysql_slow.py."""
        s = self.struct_column
        line, head, numbers = f"{s}_line", f"{s}_head", f"{s}_numbers"
        cut = {
            "time": f"substr({head}.whole, 9, strpos({head}.whole, chr(10)) - 9)",
            "user_host": f"{head}.user_host",
            "thread_id": f"{head}.thread_id",
            "query_time": f"{numbers}[3]",
            "lock_time": f"{numbers}[6]",
            "rows_sent": f"{numbers}[8]",
            "rows_examined": f"{numbers}[11]",
            "set_timestamp": f"{head}.set_timestamp",
            "sql_text": f"substr({line}, length({head}.whole) + 1)",
        }
        names = "['whole', 'user_host', 'thread_id', 'set_timestamp']"
        derived = {
            line: LINE.format(m="message"),
            head: f"regexp_extract({line}, {sql_string(SHAPE)}, {names})",
            numbers: f"string_split(split_part({head}.whole, chr(10), 3), ' ')",
            s: cut_or_regex(f"{head}.whole <> ''", cut, line, self.pattern, self.groups),
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived)


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

"""mysql_general: the MySQL general query log, as RDS and Aurora deliver it to CloudWatch Logs
(`/aws/rds/instance/<db>/general`), into `mysql_general_logs`.

A record is `<time>\\t<thread id> <command>\\t<argument>`. The columns take the names of MySQL's own
`mysql.general_log` table: `thread_id`, `command_type` (`Connect`, `Query`, `Init DB`, `Quit`, ...) and
`argument`. The file's banner lines (`Tcp port: 3306  Unix socket: ...`, `Time  Id Command  Argument`) are
no records: they stay in `logs` as text.
"""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Example, PrefixParser, text
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS

PREFIX = r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)\t *(\d+) ([A-Z][A-Za-z ]*?)\t"
"""The pattern without its last group, `argument` (base.PrefixParser's argument). It reads no CR or LF (digits,
`-`, `T`, `:`, `.`, `Z`, `+`, tabs, spaces, ASCII letters)."""

SURE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\t *\d+ [A-Z][A-Za-z ]*?\t"
"""How RDS writes a record (MysqlGeneralParser.sure): the UTC time with microseconds (27 characters), a tab, the
thread id (blanks, then digits), a blank, the command, a tab: PREFIX with that time."""


class MysqlGeneralParser(PrefixParser):
    name = "mysql_general"
    table = "mysql_general_logs"
    prefix = PREFIX
    guard = "substr({m}, 5, 1) = '-' AND substr({m}, 11, 1) = 'T' AND contains(left({m}, 40), chr(9))"
    groups = ("ts", "thread_id", "command_type", "argument")
    columns = (text("thread_id", "BIGINT"), text("command_type"), text("argument", nulls=()))
    time = "{s}.ts"
    # The time group is timestamps.ISO_FRACTION with `T`: the cascade's tests are already paid.
    time_format = "matched_iso_fraction"

    ahead_of = (
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json"),
        *("waf", "route53_resolver", "network_firewall", "json", "lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        *("apigateway_access_log", "access_log", "nginx_error", "apache_error", "container_cri", "rds_postgresql"),
        "mysql_error",
    )
    """Every parser before this one in PARSERS: a record passed Lambda text's guard (`T` at 11) and paid its full
    match, and every other parser's guard, before its own detection: 0.16 s of the classifying statement's CPU
    per 50,000 records, 0.11 s with mysql_general first (benchmarks/README.md). Classification tests `sure` before
    the first of them (etl._shortcuts), and this parser's detection stays where it is for the records `sure` is
    not sure of."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them. True where the message starts as SURE says (a tab at 28 tested first), holds no `] `,
        and no VPC or CloudFront header of the object makes their detection count fields (their `custom`, a value
        per object: etl._settled); false elsewhere, where the CASE goes on in PARSERS order.

        `detect`: the guard's `-` at 5 and `T` at 11 are SURE's, and its tab at 28 lies within `left(m, 40)`;
        PREFIX matches at the start (its time, `\\t *`, `\\d+`, blank, command and tab take SURE's).

        No parser of `ahead_of` claims such a message; with the characters at 1-based positions each reads (all
        ASCII up to the command's tab, so a position is a byte): a digit at 1-4, `-` at 5, `T` at 11, `.` at 20,
        `Z` at 27, a tab at 28, then blanks, the thread's digits and a blank:

        - the JSON shapes and generic JSON: their guards or detections need `{` first, or a blank, tab, CR or LF
          then `{`; lambda_platform: `START`, `END`, `REPORT`, `INIT_...` or `XRAY` first; alb: `h`, `w` or `g`
          first; nlb: `tls `; apache_error: `[` first; nginx_error: `/` at 5; cloudfront (not custom): a tab at
          11; cloudfront_realtime: `.` at 11; rds_postgresql: a blank at 11; elb_classic and alb_connection:
          `Z ` at 27 (here `Z` and a tab);
        - lambda_text: `[` first, or the time, `\\s+` and a request id: 8 letters or digits, then `-`; `\\s+`
          takes the tab and the blanks (a request id starts with no blank), and from the thread's first digit
          the digits run to a blank: a blank among the first 8 characters, or a digit or a blank at the 9th;
        - vpc_flow_log (not custom): its pattern's first field `\\d+` then a blank (here `-` after four digits);
        - container_cri: the time, then a blank before `stdout` or `stderr`: its time (`\\.\\d{1,9}` and a
          zone) ends at the `Z` at 27, and a tab follows it;
        - mysql_error: the time, then ` +`: its time ends after the seconds (19), within or after the fraction,
          or at the `Z` (27), and `.`, a digit, `Z` or the tab follows it, never a blank;
        - s3_access_log, apigateway_access_log and access_log: their guards need `] ` (`] "` for the latter two).

        Per 50,000 records the classifying statement's CPU went 0.15 -> 0.09 s and the object's 0.45 -> 0.38 s, no
        index (benchmarks/README.md, h-mysql11). Other lines pay the tab test, and those with a tab at 28 SURE's
        test."""
        shaped = f"regexp_matches({message}, {sql_string(SURE)}) AND NOT contains({message}, '] ')"
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN substr({message}, 28, 1) = chr(9) "
            f"THEN (CASE WHEN {shaped} THEN true ELSE false END) ELSE false END)"
        )


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

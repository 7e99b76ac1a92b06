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
from loglake.transform.parsers.base import Example, ParsePlan, PrefixParser, text
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS

_TIME = r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"
_PRIO = "System|ERROR|Error|Warning|Note|Info"

PREFIX = "(" + _TIME + r") +(\d+) \[(" + _PRIO + r")\](?: \[(MY-\d+)\])?(?: \[(\w+)\])? ?"
"""The pattern without its last group, `data` (base.PrefixParser's argument). It reads no CR or LF (digits, `-`,
`T`, `:`, `.`, `Z`, `+`, spaces, brackets, `\\w`), and its match is ASCII. RE2's submatch engine over `(.*)`
read the whole line (68 ms CPU per 50,000 lines, in classification as the likely format's extraction, 77 with
its guard); the prefix's extraction stops after it (42)."""

USUAL = "(" + _TIME + r") +(\d+) \[((?:" + _PRIO + r")\] \[MY-\d+)\] \[(\w+\] ?)"
"""MySQL 8.0's line, with its error code and subsystem, in four groups: the time, the thread, `prio] [MY-code` and
`subsystem]` with the space after it. Each character decides the next step, and four groups is what RE2 extracts
with its one-pass engine: 36 ms per 50,000 lines, where PREFIX's five groups and its match took 118 (its optional
brackets and space are ambiguous: after `]`, a space may begin the code, the subsystem or the text)."""


SURE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \d{1,20} \[(?:" + _PRIO + r")\] "
"""How RDS writes a MySQL 8.0 or 5.7 line (MysqlErrorParser.sure): the UTC time with microseconds (27 characters),
a blank, the thread (at most 20 digits), a blank, the level in brackets and a blank."""


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
    # The time group is timestamps.ISO_FRACTION (_TIME): the cascade's tests are already paid.
    time_format = "matched_iso_fraction"
    level = "ll_level(CASE {s}.prio WHEN 'Note' THEN 'INFO' WHEN 'System' THEN 'INFO' ELSE {s}.prio END)"

    ahead_of = (
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json"),
        *("waf", "route53_resolver", "network_firewall", "json", "lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        *("apigateway_access_log", "access_log", "nginx_error", "apache_error", "container_cri", "rds_postgresql"),
    )
    """Every parser before this one in PARSERS: a MySQL 8.0 or 5.7 line passed the guards of Classic ELB, ALB
    connections, Lambda text, CRI and S3 and paid their full matches before its own detection (about 50 ms per
    50,000 lines). Classification tests `sure` before the first of them (etl._shortcuts), and this parser's
    detection stays where it is for the lines `sure` is not sure of."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them. True where the message starts as SURE says (`Z ` at 27 tested first), holds no `"`
        and no ` - `, and no VPC or CloudFront header of the object makes their detection count fields (their
        `custom`, a value per object: etl._settled); false elsewhere, where the CASE goes on in PARSERS order.

        `detect`: the guard's `-` at 5, `T` at 11 and `.` at 20 are SURE's; the `] ` after the level ends by the
        59th character (27 for the time, a blank, 20 digits, ` [`, 7 for `Warning`, `] `), within `left(m, 60)`;
        and PREFIX matches at the start (its time, ` +`, `\\d+` and level take SURE's; the rest is optional).

        No parser of `ahead_of` claims such a message; with the characters at 1-based positions each reads (all
        ASCII up to the level's `] `, so a position is a byte, and base.LINE, which only drops a trailing run of
        CR and LF, has the same first characters):

        - the JSON shapes and generic JSON: their guards or detections need `{` first, or a blank then `{` (here a
          digit); lambda_platform: `START`, `END`, `REPORT`, `INIT_...` or `XRAY` first; alb: `h`, `w` or `g`
          first; nlb: `tls `; apache_error: `[` first; nginx_error: `/` at 5; cloudfront (not custom): a tab at
          11; cloudfront_realtime: a tab at 15; rds_postgresql: a blank at 11 (here `T`, `-`, a digit and `T`);
        - vpc_flow_log (not custom): its pattern's first field `\\d+` then a blank (here `-` after four digits);
        - lambda_text: `[` first, or the time, blanks (here the one at 28) and a request id: 8 letters or digits
          (29-36), then `-` (37); the thread's digits from 29 end in a blank among 29-37, or fill 29-37;
        - elb_classic: the time up to the first `Z` (`[0-9:.]+Z`), a blank, a name without blanks (the thread),
          a blank, then `[^ ]*:` in the next word: that word is `[<level>]`, followed by a blank, without `:`;
        - alb_connection: the time, a blank, a word (the thread), a blank, then `[0-9]*` and a blank: here `[`;
        - container_cri: the time's `Z` (it ends its zone), then ` stdout` or ` stderr`: here a blank and a digit;
        - s3_access_log: its ninth field `("[^"]*"|-)` stands between two blanks, so a line it matches holds `"`
          or ` - ` (the line is a prefix of the message);
        - access_log and apigateway_access_log: their guards need `] "`.

        Per 50,000 MySQL 8.0 or 5.7 lines the classifying statement's CPU went 0.13 -> 0.08 s and the object's
        0.36 -> 0.31 s (benchmarks/README.md). Other lines pay the `Z ` test; Classic ELB's and ALB connections',
        which pass it, also the `"` test (their `"` ends it): within the noise of their objects."""
        shaped = (
            f"NOT contains({message}, '\"') AND regexp_matches({message}, {sql_string(SURE)}) "
            f"AND NOT contains({message}, ' - ')"
        )
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN substr({message}, 27, 2) = 'Z ' "
            f"THEN (CASE WHEN {shaped} THEN true ELSE false END) ELSE false END)"
        )

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """PrefixParser's plan, whose head (the prefix's match and groups) is cut from USUAL's four groups where
        USUAL matches at the line's start: the chain 139 -> 87 ms per 50,000 lines. USUAL is PREFIX with both
        optional brackets present: where it matches, PREFIX's first parse in priority order takes the same time,
        spaces, thread and level (each part ends at the first character it cannot hold), then both brackets (a
        greedy option that can match is taken, and what follows it always matches), then the space if there is
        one, so its match and groups are USUAL's. The level holds no `]` and the code no `]` either, so
        `prio] [MY-code` is cut at its `]`, and `subsystem]` too; the first ` [` of the line is the level's
        (the time and the thread hold none), so the match ends where the two groups and the three characters
        between them end after it (all ASCII: positions are code points and bytes alike). Elsewhere (MySQL 5.7
        and MariaDB lines, a code without a subsystem) the prefix's extraction, as before. A line USUAL matches
        holds `] [MY-`, so lines without it skip USUAL: the `contains` costs 6 ms per 50,000 lines, USUAL's
        failing test on MySQL 5.7's lines 17."""
        plan = super().plan(con, max_depth)
        s = self.struct_column
        line, usual, head = f"{s}_line", f"{s}_usual", f"{s}_head"
        level_code, subsystem = f"{usual}.prio_code", f"{usual}.subsystem_end"
        cut = (
            f"whole := left({line}, strpos({line}, ' [') + 4 + length({level_code}) + length({subsystem})), "
            f"ts := {usual}.ts, thread_id := {usual}.thread_id, "
            f"prio := left({level_code}, strpos({level_code}, ']') - 1), "
            f"error_code := substr({level_code}, strpos({level_code}, ']') + 3), "
            f"subsystem := left({subsystem}, strpos({subsystem}, ']') - 1)"
        )
        names = "['ts', 'thread_id', 'prio_code', 'subsystem_end']"
        extraction = f"regexp_extract({line}, {sql_string('^' + USUAL)}, {names})"
        derived = {
            line: plan.derived[line],
            usual: f"CASE WHEN contains({line}, '] [MY-') THEN {extraction} END",
            head: f"CASE WHEN {usual}.ts <> '' THEN struct_pack({cut}) ELSE {plan.derived[head]} END",
            s: plan.derived[s],
        }
        return replace(plan, derived=derived)


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

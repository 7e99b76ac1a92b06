"""apache_error: Apache httpd's error log, `[time] [module:severity] [pid N:tid M] [client ip:port] message`,
into `apache_error_logs`. A line needs httpd 2.4's `[pid ...]` block, httpd's own time
(`[Sun Dec 04 04:47:44 2005]`, as 2.2 writes it), or httpd's `[module:level]` block (a custom
ErrorLogFormat without `%P`), so a generic `[time] [level] text` line stays text. The module may be empty
(`[:error]`, as mod_php writes); the client may have no port (`[client 1.2.3.4]`, every 2.2 line).
Between the pid block and the client, ErrorLogFormat's `%F` (`mod_foo.c(123):`) becomes `source_file` and
`source_line`, and `%E` (`(70007)The timeout specified has expired:`, also after the client in 2.2)
becomes `apr_status` and `apr_error`; `msg` is the text after them.
The time may be httpd's own (with or without microseconds), CLF, or ISO-like (`2021-06-04 15:40:27.138633`,
`2021/06/03 09:30:50`, taken as UTC without a zone): whatever ErrorLogFormat writes, the time is read by
the ETL's one time reader (transform/timestamps.py), and a time it cannot read is flagged in
`time_source`, never guessed. Names follow VRL's parse_apache_log (error format); the thread id is `tid`
(BIGINT, as `pid`) and the text `msg`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, ParsePlan, RegexParser, regex_groups, text
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS

# `[client 1.2.3.4]` has no port (2.2 never writes one); `host:port` has one colon. An IPv6 client has
# several: httpd 2.4's core block (with [pid ...]) always appends the port, 2.2 never does.
_HAS_PORT = (
    "(regexp_full_match({s}.client, '[^:]+:\\d+') OR ({s}.pid <> '' AND regexp_full_match({s}.client, '.*:.*:\\d+')))"
)
CLIENT = f"CASE WHEN {_HAS_PORT} THEN regexp_extract({{s}}.client, '^(.*):\\d+$', 1) ELSE {{s}}.client END"
"""SQL over the regex's groups `{s}`: the client's address (without its port)."""
CLIENT_PORT = f"CASE WHEN {_HAS_PORT} THEN regexp_extract({{s}}.client, ':(\\d+)$', 1) END"
"""SQL over the regex's groups `{s}`: the client's port, where it has one."""

PREFIX = (
    r"\[([^\]]+)\] \[(?:([^:\]]*):)?([a-z0-9]+)\](?: \[pid (\d+)(?::tid (\d+))?\])?"
    # ErrorLogFormat's %F (`mod_foo.c(123):`, at debug levels) and %E (`(70007)The timeout ...:`) come
    # before the client in 2.4; httpd 2.2 writes the APR error after the client.
    r"(?: ([\w.-]+\.c(?:c|pp)?)\((\d+)\):)?(?: \((-?\d+)\)([^:\[\]]*):)?"
    r"(?: \[client ([^\]]+)\])?(?: \((-?\d+)\)([^:\[\]]*):)? "
)
"""The pattern without its last group, `msg` (`(?s)(.*)`, which matches whatever follows). So the pattern matches
a line exactly when PREFIX matches at its start. Detection tests that on the message: PREFIX's every match ends
in a space, never in the run of CR and LF that the line (base.LINE) drops from the message's end, and nothing
in it looks past its match, so it matches the message at its start exactly when it matches the line there."""

SHAPE = r"^(\[[^\]]+\] \[[^:\]]*:[a-z0-9]+\] \[pid (\d+):tid (\d+)\] \[client ([^\]:\n]+:\d+)\] )(?:[^(]|\z)"
"""httpd 2.4's usual line, `[time] [module:level] [pid P:tid T] [client host:port] text` (the text not starting
with `(`), whose groups the plan cuts (ApacheErrorParser.plan). Groups: the head (up to the text), pid, tid,
client. RE2 extracts them with its one-pass engine (each character decides the path, four groups at most):
about 24 ms per 50,000 lines against 106 for the whole pattern's thirteen groups."""


SURE = (
    r"^\[(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d\d "
    r"\d\d:\d\d:\d\d(?:\.\d+)? \d{4}\] \[(?:[^:\]]*:)?[a-z0-9]+\] "
)
"""How httpd writes its time and level (ApacheErrorParser.sure): `[Www Mmm dd hh:mm:ss(.ffffff) yyyy]` (its own
time, as 2.2 and 2.4 write it, with or without microseconds), a blank, the level block of PREFIX (`[level]` or
`[module:level]`) and a blank."""


class ApacheErrorParser(RegexParser):
    name = "apache_error"
    table = "apache_error_logs"
    pattern = "(?s)" + PREFIX + "(.*)"
    # httpd 2.4 writes [pid ...]; older versions do not, but then the time is httpd's own, weekday first.
    # A custom ErrorLogFormat without %P still has httpd's `[module:level]` block (module may be empty).
    guard = (
        "starts_with({m}, '[') AND "
        "(contains({m}, '] [pid ') OR substr({m}, 2, 3) IN ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun') OR "
        "(contains({m}, '] [') AND regexp_matches(left({m}, 96), "
        "'^\\[[^\\]]+\\] \\[[\\w-]*:(?:emerg|alert|crit|error|warn|notice|info|debug|trace[1-8])\\] ')))"
    )
    groups = (
        "ts", "module", "severity", "pid", "tid", "source_file", "source_line", "apr_status", "apr_error",
        "client", "apr_status_after", "apr_error_after", "msg",
    )  # fmt: skip
    columns = (
        text("module"),
        text("severity"),
        text("pid", "BIGINT"),
        text("tid", "BIGINT"),
        Column("client", "VARCHAR", "{s}.client_host"),
        Column("client_port", "INTEGER", "{s}.client_port"),
        Column("msg", "VARCHAR", "{s}.msg", ()),
        text("source_file"),
        text("source_line", "INTEGER"),
        Column("apr_status", "INTEGER", "coalesce(nullif({s}.apr_status, ''), {s}.apr_status_after)"),
        Column("apr_error", "VARCHAR", "coalesce(nullif({s}.apr_error, ''), {s}.apr_error_after)"),
    )
    time = "{s}.ts"
    time_format = "ctime"  # httpd's own: its lines skip the cascade's six other tests (118 -> 30 ms per 50,000)
    level = "ll_level({s}.severity)"

    ahead_of = (
        *("lambda_platform_json", "cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json"),
        *("waf", "route53_resolver", "network_firewall", "json", "lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        *("apigateway_access_log", "access_log", "nginx_error"),
    )
    """Every parser before this one in PARSERS: an httpd line (`[` first) passed the guards of Lambda text and
    often S3 and paid their full matches, and the `] "` search of both CLF formats, before its own detection.
    Classification tests `sure` before the first of them (etl._shortcuts), and this parser's detection stays
    where it is for the lines `sure` is not sure of."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them. True where the message starts as SURE says (`[` at 1 tested first) and no VPC or
        CloudFront header of the object makes their detection count fields (their `custom`, a value per object:
        etl._settled); false elsewhere, where the CASE goes on in PARSERS order.

        `detect`: the guard's `[` at 1 and weekday at 2-4 are SURE's; and PREFIX matches at the start (its time
        `[^\\]]+` takes SURE's, which holds no `]`, its level block is SURE's, the blocks after it are optional
        and its last blank is the one after the level block).

        No parser of `ahead_of` claims such a message. SURE's time is ASCII, so a position is a byte; it is
        `[`, the weekday (2-4), a blank (5), the month (6-8), a blank (9), the day's two digits (10-11), a
        blank (12), the time's digits, `:` and `.` (from 13), a blank and the year's digits before `]`; base.LINE,
        which only drops a trailing run of CR and LF, has the same first characters. Its blank-separated words
        are `[Www`, `Mmm`, `dd`, `hh:mm:ss(.f)` and `yyyy]`: none holds a comma, only the first holds `[`.

        - the JSON shapes and generic JSON: their guards or detections need `{` first, or a blank, tab, CR or LF
          then `{` (here `[`); lambda_platform: `START`, `END`, `REPORT`, `INIT_...` or `XRAY` first; alb: `h`,
          `w` or `g` first; nlb: `tls `; nginx_error: `/` at 5; cloudfront (not custom): a tab at 11;
          cloudfront_realtime: a tab at 15 (here a digit or `:`);
        - vpc_flow_log (not custom): a digit first; elb_classic and alb_connection: their patterns' first
          four characters are digits (`[0-9]{4}`);
        - lambda_text: `[`, `[A-Za-z]+` and `]` first (here a blank at 5 after three letters), or a digit first;
        - s3_access_log: `([^ ]*) ([^ ]*) \\[` at the start: the first two words (`[Www`, `Mmm`, each ending
          at a blank) then `[` at 10 (here a digit);
        - apigateway_access_log: `(\\S+) (\\S+) +(\\S+) \\[` at the start: `[Www`, `Mmm`, one blank (10 is
          a digit), `dd`, then `[` at 13 (here a digit);
        - access_log: an optional virtual host (`[^\\s,]+?` and port before a blank: the first word whole),
          then the client list (`\\S+(?:, \\S+)*`: one word, as none ends in a comma), two words, and ` [`:
          the word after them is the fourth (`hh:...`) or, after a virtual host, the fifth (`yyyy]`), each
          starting with a digit.

        Per 50,000 httpd 2.4 lines the classifying statement's CPU went 0.157 -> 0.130 s (object 0.70 s;
        benchmarks/README.md). Other lines pay the `[` test (about 3 ms per 50,000); lines starting with `[`
        (Lambda text's), also SURE's match, which stops within a few characters where the weekday or blanks
        differ."""
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN starts_with({message}, '[') "
            f"THEN regexp_matches({message}, {sql_string(SURE)}) ELSE false END)"
        )

    def matches(self, message: str) -> str:
        """PREFIX at the message's start (its docstring argues it is the whole pattern's full match of the line):
        RE2 stops after the prefix instead of reading the whole line (19 against 26 ms per 50,000 lines)."""
        return f"regexp_matches({message}, {sql_string('^(?:' + PREFIX + ')')})"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        r"""The regex's thirteen groups plus the client's address and port (`client_host`, `client_port`), cut
        from SHAPE's match where the line has that shape, else the whole pattern's groups (`_rx`) and the
        client's two SQL expressions over them (CLIENT, CLIENT_PORT), as before.

        Why the cut is the regex's parse on a line SHAPE matches at its start (RE2 takes the first parse in
        priority order, and every optional block is tried first): the time is the text between the leading `[`
        and the first `]` (it holds no `]`); the second block, `M:S` up to the next `]`, is the text between
        the first and the second `] [` (neither the time nor the block holds a `]`), its module the text before
        its only `:` (`[^:\]]*`), its level the text after it; the pid block matches, and the text after it is
        followed by the space of the next block, so it is taken, with its digits; `%F` cannot start with `[`,
        `%E` starts with `(`: both skipped before ` [client`; the client block is taken (`[^\]]+` is the
        same text), and the text after its `] ` does not start with `(`, so the APR error after it is skipped
        and `msg` is the rest of the line after the head (substr counts characters as length does). Groups a
        parse leaves out are '' (regexp_extract's value for them). The client `host:port` has one `:`, no LF,
        and digits after the colon: CLIENT's `[^:]+:\d+` holds and `^(.*):\d+$` gives the host, CLIENT_PORT's
        `:(\d+)$` the digits; split_part gives the same two. Compared with the regex on crafted lines in
        tests/transform/parsers/test_apache_error.py."""
        s = self.struct_column
        line, head, block, rx = f"{s}_line", f"{s}_head", f"{s}_block", f"{s}_rx"
        cut = {
            "ts": f"substr({line}, 2, strpos({line}, ']') - 2)",
            "module": f"split_part({block}, ':', 1)",
            "severity": f"split_part({block}, ':', 2)",
            "pid": f"{head}.pid",
            "tid": f"{head}.tid",
            "client": f"{head}.client",
            "msg": f"substr({line}, length({head}.whole) + 1)",
            "client_host": f"split_part({head}.client, ':', 1)",
            "client_port": f"split_part({head}.client, ':', 2)",
        }
        names = (*self.groups, "client_host", "client_port")
        fast = ", ".join(f"{g} := {cut.get(g, chr(39) * 2)}" for g in names)
        slow = ", ".join(f"{g} := {rx}.{g}" for g in self.groups)
        slow += f", client_host := {CLIENT.replace('{s}', rx)}, client_port := {CLIENT_PORT.replace('{s}', rx)}"
        derived = {
            line: LINE.format(m="message"),
            head: f"regexp_extract({line}, {sql_string(SHAPE)}, ['whole', 'pid', 'tid', 'client'])",
            block: f"split_part({head}.whole, '] [', 2)",
            rx: f"CASE WHEN {head}.whole = '' THEN {regex_groups(line, self.pattern, self.groups)} END",
            s: f"CASE WHEN {head}.whole <> '' THEN struct_pack({fast}) ELSE struct_pack({slow}) END",
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived)


EXAMPLES = [
    Example(  # httpd 2.2: no pid block
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
        {
            "severity": "notice",
            "pid": None,
            "msg": "workerEnv.init() ok /etc/httpd/conf/workers2.properties",
            "timestamp": "2005-12-04 04:47:44",
        },
    ),
    Example(
        "[01/Mar/2021:12:00:19 +0000] [ab:alert] [pid 4803:tid 3814] [client 147.159.108.175:24259] "
        "I will bypass the haptic COM bandwidth",
        {
            "module": "ab",
            "severity": "alert",
            "pid": 4803,
            "tid": 3814,
            "client": "147.159.108.175",
            "client_port": 24259,
            "msg": "I will bypass the haptic COM bandwidth",
            "level": "FATAL",
            "timestamp": "2021-03-01 12:00:19",
        },
    ),
    Example(
        "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:41716] "
        "File does not exist: /usr/local/apache2/htdocs/favicon.ico",
        {
            "module": "core",
            "severity": "error",
            "tid": 4328636416,
            "level": "ERROR",
            "timestamp": "2000-10-11 14:32:52.123456",
        },
    ),
    Example(  # httpd 2.2 with a client: 2.2 writes no port
        "[Tue Mar 08 10:34:31 2005] [error] [client 192.0.2.44] Directory index forbidden by rule: /var/www/html/",
        {
            "module": None,
            "severity": "error",
            "pid": None,
            "client": "192.0.2.44",
            "client_port": None,
            "msg": "Directory index forbidden by rule: /var/www/html/",
            "timestamp": "2005-03-08 10:34:31",
        },
    ),
    Example(  # 2.4 with a module writing its own client block without a port
        "[Thu Nov 26 10:00:00.123456 2026] [security2:error] [pid 2113:tid 140225] [client 203.0.113.9] "
        "ModSecurity: Access denied with code 403 (phase 2).",
        {
            "module": "security2",
            "pid": 2113,
            "tid": 140225,
            "client": "203.0.113.9",
            "client_port": None,
            "msg": "ModSecurity: Access denied with code 403 (phase 2).",
            "timestamp": "2026-11-26 10:00:00.123456",
        },
    ),
    Example(  # mod_php logs with an empty module
        "[Thu Nov 26 10:00:01.482112 2026] [:error] [pid 2241] [client 198.51.100.7:53312] "
        "PHP Warning:  Undefined variable $user in /var/www/html/index.php on line 12",
        {
            "module": None,
            "severity": "error",
            "pid": 2241,
            "tid": None,
            "client": "198.51.100.7",
            "client_port": 53312,
            "msg": "PHP Warning:  Undefined variable $user in /var/www/html/index.php on line 12",
            "level": "ERROR",
        },
    ),
    Example(
        "[Thu Nov 26 10:00:02 2026] [:warn] [pid 77:tid 78] PHP Deprecated:  Creation of dynamic property",
        {"module": None, "severity": "warn", "pid": 77, "tid": 78, "client": None, "level": "WARN"},
    ),
    Example(  # %E (the APR error) before the client
        "[Thu Nov 26 10:00:03.000123 2026] [proxy_fcgi:error] [pid 4242:tid 139878] (70007)The timeout specified "
        "has expired: [client 203.0.113.9:51234] AH01075: Error dispatching request to : (polling), "
        "referer: https://www.example.com/",
        {
            "module": "proxy_fcgi",
            "pid": 4242,
            "tid": 139878,
            "apr_status": 70007,
            "apr_error": "The timeout specified has expired",
            "source_file": None,
            "source_line": None,
            "client": "203.0.113.9",
            "client_port": 51234,
            "msg": "AH01075: Error dispatching request to : (polling), referer: https://www.example.com/",
        },
    ),
    Example(  # %F (source file and line, debug levels) before the client
        "[Thu Nov 26 10:00:04.100000 2026] [ssl:debug] [pid 1310:tid 1311] ssl_engine_kernel.c(2377): "
        "[client 2001:db8::7:40112] AH02043: SSL virtual host for servername www.example.com found",
        {
            "module": "ssl",
            "severity": "debug",
            "source_file": "ssl_engine_kernel.c",
            "source_line": 2377,
            "apr_status": None,
            "client": "2001:db8::7",
            "client_port": 40112,
            "msg": "AH02043: SSL virtual host for servername www.example.com found",
            "level": "DEBUG",
        },
    ),
    Example(  # 2.2: the APR error comes after the client
        "[Tue Mar 08 10:34:31 2005] [error] [client 192.0.2.44] (13)Permission denied: access to /index.html denied",
        {
            "client": "192.0.2.44",
            "client_port": None,
            "apr_status": 13,
            "apr_error": "Permission denied",
            "msg": "access to /index.html denied",
        },
    ),
    Example(  # a custom ErrorLogFormat with ISO times (%{cu}t) and no pid block
        "[2026-11-26 10:00:00.123456] [core:error] [client 203.0.113.9:58211] AH00037: Symbolic link not "
        "allowed or link target not accessible: /var/www/html/current",
        {
            "module": "core",
            "severity": "error",
            "pid": None,
            "client": "203.0.113.9",
            "client_port": 58211,
            "msg": "AH00037: Symbolic link not allowed or link target not accessible: /var/www/html/current",
            "timestamp": "2026-11-26 10:00:00.123456",
            "time_source": "parsed",
        },
    ),
    Example(
        "[2026-11-26 10:00:05.5] [mpm_event:notice] [pid 1:tid 2] AH00489: Apache/2.4.62 (Debian) configured",
        {"module": "mpm_event", "pid": 1, "tid": 2, "timestamp": "2026-11-26 10:00:05.5", "time_source": "parsed"},
    ),
    Example(  # a zone name the time reader cannot resolve (CEST): the time is not invented
        "[2026-11-26 10:00:00.123456 CEST] [core:error] AH00037: Symbolic link not allowed",
        {"module": "core", "pid": None, "time_source": "source", "msg": "AH00037: Symbolic link not allowed"},
    ),
]

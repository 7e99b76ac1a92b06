"""syslog_rsyslog_file: rsyslog's RSYSLOG_FileFormat, the default of current Debian's /var/log/syslog:
`[<PRI>]2026-11-26T10:00:00.123456+01:00 HOST TAG[PID]: MSG`, into the `syslog` table.

The line is BSD syslog's (syslog_rfc3164) with an RFC 3339 time (year, fraction and offset, so the time
is read exactly, never given a year) in place of `Mmm dd hh:mm:ss`. A parser of its own rather than a
second time layout in syslog_rfc3164, because the line is stricter and must stay so: many application
lines begin with an ISO time and a word, so the host is required (rsyslog always writes it), the time
must carry its zone (`+04:00`, `+0400` or `Z`), the tag must end with `:`, and a level word in the host's
place (`INFO main: ...`) is an application's line, not syslog. Columns and names are syslog_rfc3164's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Example, ParsePlan, RegexParser, cut_or_regex
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS
from loglake.transform.parsers.syslog_fields import (
    BSD_GROUPS,
    bsd_columns,
    head_cut,
    head_groups,
    head_length,
    severity_level,
)
from loglake.transform.timestamps import RFC3339

_LEVEL_HOST = r"^(?:<\d+>)?\S+ (?i:trace|debug|info|notice|warn|warning|error|err|crit|critical|alert|emerg|fatal) "

PREFIX = (
    # The offset may lack its colon (`+0400`, as strftime's %z writes it: Beats' tz-offset fixture).
    rf"(?:<(\d{{1,3}})>)?({RFC3339}) "
    r"([^\s\[\]:=\"]+) ([^\s\[\]:=\"]+)(?:\[([^\]\s]*)\])?:"
)
"""The pattern up to the tag's `:`, without `(?: (.*))?` (the message). It reads no CR or LF (digits, `<>-T:.Z+`,
spaces, and classes that exclude `\\s`), and it matches a text's start in at most one way, so at one length: the
PRI is there exactly when the text starts with `<` (the time starts with a digit), and each later part ends at
the first character it cannot hold (the host and tag at the space, `[` or `:` after them, the pid at `]`). So the
whole pattern matches a line exactly when PREFIX matches at its start and is followed by a space or nothing, and
its groups are PREFIX's, then the text after that space ('' where there is none, as regexp_extract gives a group
the match leaves out)."""


HEAD = rf"(?:<\d{{1,3}}>)?({RFC3339}) ([^\s\[\]:=\"]+) ([^\s\[\]:=\"]+)(\[[^\]\s]*\])?:"
"""PREFIX with four groups (the time, host, tag and the pid's bracket whole) and the PRI's digits ungrouped:
each character decides its path, so RE2 extracts them with its one-pass engine (it does up to four groups)."""

SURE = (
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d "
    + r"[^\s\[\]:=\"]+ [^\s\[\]:=\"]+(?:\[[^\]\s]*\])?:(?: |[\r\n]*\z)"
)
"""How rsyslog's RSYSLOG_FileFormat writes a line (SyslogRsyslogFileParser.sure): the time with microseconds and
the offset with its colon (32 characters), a blank, then PREFIX's host, tag, `[pid]` and colon, followed by a
blank or the line end, as `matches` reads them."""

_SHAPE = "____-__-__T__:__:__._________:__ %"
"""SURE's first 33 characters as a LIKE pattern: `-` at 5 and 8, `T` at 11, `:` at 14 and 17, `.` at 20, `:` at 30
and a blank at 33 (`_` any one character)."""


class SyslogRsyslogFileParser(RegexParser):
    name = "syslog_rsyslog_file"
    table = "syslog"
    pattern = "(?s)" + PREFIX + "(?: (.*))?"
    guard = "substr({m}, 11, 1) = 'T' OR (substr({m}, 1, 1) = '<' AND contains(left({m}, 16), 'T'))"
    groups = BSD_GROUPS
    columns = bsd_columns()
    time = "{s}.ts"
    level = severity_level()

    def matches(self, message: str) -> str:
        """The pattern's full match of the line, as PREFIX at the message's start followed by a space, or by
        nothing but the line end (a run of CR and LF, which LINE drops): RE2 stops after the prefix, where the
        full match read the whole line (53 -> 20 ms per 50,000 lines). `2026-11-26T10:00:00Z INFO main:
        started` is an application's line, not host INFO's."""
        head = sql_string("^(?:" + PREFIX + r")(?: |[\r\n]*\z)")
        return f"(regexp_matches({message}, {head}) AND NOT regexp_matches({message}, {sql_string(_LEVEL_HOST)}))"

    ahead_of = (
        *("lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        *("apigateway_access_log", "access_log", "nginx_error", "apache_error", "container_cri", "rds_postgresql"),
        *("mysql_error", "mysql_general", "mysql_slow", "syslog_rfc5424", "syslog_rfc3164"),
    )
    """Every line format before this one in PARSERS: an rsyslog line passed the guards of Lambda text, CRI, MySQL's
    error log and, where its text holds `] `, S3's, and paid their tests before its own detection. Classification
    tests `sure` before the first of them (etl._shortcuts), and this parser's detection stays where it is for the
    lines `sure` is not sure of. The JSON shapes and generic JSON, first in PARSERS, are left out: on a line that
    starts with a digit their tests read the first characters and the JSON marker column, so `sure` comes right
    after them, and a JSON line, which they claim, never pays it; nor does a MySQL error line that mysql_error's
    `sure` (tested before every parser) takes. Per 50,000 lines, the CASE with both syslog `sure`s before every parser
    cost MySQL's error lines 9 ms more and JSON lines 4, after the JSON parsers 2 each (benchmarks/README.md)."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them. True where the message starts as SURE says (_SHAPE's LIKE tested first: SURE's first 33
        characters are ASCII, one byte each, so a line SURE matches is like _SHAPE),
        its host is no level word (_LEVEL_HOST), it holds no `] "`, and no VPC or CloudFront header of the object
        makes their detection count fields (their `custom`, a value per object: etl._settled); false elsewhere,
        where the CASE goes on in PARSERS order.

        `detect`: the guard's `T` at 11 is SURE's; SURE's time is one of RFC3339's, and the rest of SURE is
        PREFIX's host, tag, bracket and colon followed by a blank or a run of CR and LF to the end, so `matches`'
        first regex matches; its second is _LEVEL_HOST, tested as is.

        No parser of `ahead_of` claims such a message; with the characters at 1-based positions each reads (all
        ASCII up to the blank at 33, so a position is a byte, and base.LINE, which only drops a trailing run of
        CR and LF, has the same first characters; `\\d` is ASCII in RE2):

        - lambda_platform: `START`, `END`, `REPORT`, `INIT_...` or `XRAY` first; alb: `h`, `w` or `g`
          first; nlb: `tls `; apache_error: `[` first; mysql_slow: `# `; nginx_error: `/` at 5 (here `-`);
          cloudfront (not custom): a tab at 11; cloudfront_realtime: a tab at 15; rds_postgresql: a blank at 11
          (here `T`); elb_classic and alb_connection: `Z ` at 27 (here `+` or `-`); syslog_rfc5424: `<` first or
          a blank at 2; syslog_rfc3164: `<` first or a blank at 4;
        - vpc_flow_log (not custom): its pattern's first field `\\d+` then a blank (here `-` after four digits);
        - lambda_text: `[` first, or a time whose fraction `\\.\\d+` ends in `Z`, or whose seconds do: here
          `.` at 20 and the fraction's six digits end at `+` or `-`;
        - mysql_error, mysql_general and container_cri read a time from the start (MySQL's zone optional, CRI's
          not), and each of its matches here ends at 19, 21-26 or 32, followed by `.`, a digit, `+` or `-`, or
          the blank at 33; mysql_general needs a tab there, mysql_error and container_cri a blank, so the time is
          the 32 characters;
        - mysql_error: then ` +`, the thread's digits and ` \\[`: the thread would be the host (all digits), and
          the character after its blank the tag's first, no `[`;
        - container_cri: then `stdout` or `stderr` (the host may be either), a blank, a capital (the tag's
          first character), and `:` with another capital, or a blank, an LF or the line's end: here the tag's
          next character (no blank, LF or `:`), `[`, or `:` followed by a blank or the end, never by a capital;
        - s3_access_log: its first two fields `[^ ]*`, each followed by a blank, then `[`: here the time, the
          host, then the tag's first character, no `[`;
        - access_log and apigateway_access_log: their guards need `] "`.

        Per 50,000 rsyslog lines the classifying statement's CPU went 0.18-0.21 -> 0.12-0.14 s and the object's
        down 11-14% (benchmarks/README.md). Other lines pay the LIKE (1-3 ms per 50,000 lines; `substr` at 30 and
        33 cost 6), which ends at the first character unlike _SHAPE's."""
        shaped = (
            f"regexp_matches({message}, {sql_string(SURE)}) AND NOT contains({message}, '] \"') "
            f"AND NOT regexp_matches({message}, {sql_string(_LEVEL_HOST)})"
        )
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN {message} LIKE {sql_string(_SHAPE)} "
            f"THEN (CASE WHEN {shaped} THEN true ELSE false END) ELSE false END)"
        )

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The time, host, tag and `[pid]` of HEAD's match at the line's start (four groups: RE2's one-pass
        engine, 17 ms per 50,000 lines, where the whole pattern's six groups over the whole line took 61), the
        rest cut with string functions where that match is followed by a space or ends the line; elsewhere the
        whole pattern's regexp_extract (never on a line detection claimed). Where HEAD matches, it matched what
        PREFIX matches (the same text, its groups grouped differently), so, by PREFIX's docstring, the cut gives
        the pattern's groups: the PRI is the digits between the leading `<` and the first `>` (`\\d` holds no
        `>`), the pid the bracket's inside, and the match's length the sum of its parts' (the PRI's `<...>` ends
        at that `>`, then the time, two spaces, the host, the tag, the bracket and the colon); length and substr
        both count code points (a host or tag may hold non-ASCII letters).

        The time is RFC3339's group in both (or '' where the regex does not match), so it takes ll_parse_time's
        `matched_rfc3339` path: its TIMESTAMPTZ cast without the cascade's tests (timestamps.MATCHED_FORMATS)."""
        s = self.struct_column
        line, head = f"{s}_line", f"{s}_head"
        length = head_length(line, head, 3)
        ends = f"(substr({line}, {length} + 1, 1) = ' ' OR length({line}) = {length})"
        derived = {
            line: LINE.format(m="message"),
            head: head_groups(line, HEAD),
            s: cut_or_regex(
                f"{head}.ts <> '' AND {ends}",
                head_cut(line, head, f"substr({line}, {length} + 2)"),
                line,
                self.pattern,
                self.groups,
            ),
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived, time_format="matched_rfc3339")


EXAMPLES = [
    Example(
        "2026-11-26T10:00:00.123456+01:00 web-01 systemd[1]: Started session-4.scope - Session 4 of User admin.",
        {
            "facility": None,
            "severity": None,
            "hostname": "web-01",
            "appname": "systemd",
            "procid": "1",
            "msg": "Started session-4.scope - Session 4 of User admin.",
            "level": None,
            "timestamp": "2026-11-26 09:00:00.123456",
            "time_source": "parsed",
        },
    ),
    Example(
        "2026-11-26T10:00:01.000042+00:00 db-02 kernel: [12345.678901] EXT4-fs (sda1): re-mounted. Quota mode: none.",
        {
            "hostname": "db-02",
            "appname": "kernel",
            "procid": None,
            "msg": "[12345.678901] EXT4-fs (sda1): re-mounted. Quota mode: none.",
            "timestamp": "2026-11-26 10:00:01.000042",
        },
    ),
    Example(  # with <PRI> ($template with %PRI% or a relay's copy)
        "<86>2026-11-26T10:00:02.5-05:00 bastion sshd[48211]: Accepted publickey for deploy from 198.51.100.23 "
        "port 50322 ssh2: ED25519 SHA256:0aZ",
        {
            "facility": "authpriv",
            "severity": "info",
            "hostname": "bastion",
            "appname": "sshd",
            "procid": "48211",
            "msg": "Accepted publickey for deploy from 198.51.100.23 port 50322 ssh2: ED25519 SHA256:0aZ",
            "level": "INFO",
            "timestamp": "2026-11-26 15:00:02.5",
        },
    ),
    Example(
        "<27>2026-11-26T10:00:03Z web-01 CRON[9911]: (root) error: pam_unix(cron:session): failure",
        {
            "facility": "daemon",
            "severity": "err",
            "appname": "CRON",
            "procid": "9911",
            "level": "ERROR",
            "timestamp": "2026-11-26 10:00:03",
        },
    ),
]

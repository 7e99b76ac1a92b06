"""syslog_rfc3164: BSD syslog, `<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, into the `syslog` table.

PRI and HOST are optional (many relays drop them), as is the colon after the tag. The line carries no
year: the event's year is the record's own, or the year before when the record's would put the event more
than a day after the record (timestamps.py, docs/etl.md). Names as in syslog_rfc5424; the tag is `appname`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Example, ParsePlan, PrefixParser, cut_or_regex
from loglake.transform.parsers.header_fields import HEADERS_COUNT_FIELDS
from loglake.transform.parsers.syslog_fields import (
    BSD_GROUPS,
    bsd_columns,
    head_cut,
    head_groups,
    head_length,
    severity_level,
)

_TIME = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2}"
_MONTHS = "('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')"
_WORD = r"[^\s\[\]:-][^\s\[\]:]*"

PREFIX = (
    # The month is a month's name: `<13>Foo 11 22:14:15 host msg` is no BSD syslog line (libbeat rejects it).
    rf"(?:<(\d{{1,3}})>)?({_TIME}) "
    # Neither host nor tag begins with `-`: syslogd's `--- last message repeated 2 times ---` has neither.
    rf"(?:({_WORD}) )?({_WORD})(?:\[([^\]\s]*)\])?:? "
)
"""The pattern up to the message's `(.*)`. It reads no CR or LF (digits, month letters, `<>[]:`, spaces and
classes that exclude `\\s`), so PrefixParser's detection (PREFIX at the message's start) is the full match's."""

HEAD = rf"(?:<\d{{1,3}}>)?([A-Z][a-z][a-z] +\d{{1,2}} \d{{2}}:\d{{2}}:\d{{2}}) ({_WORD}) ({_WORD})(\[[^\]\s]*\])?:? "
"""PREFIX's usual shape, a host present, with four groups (the time, host, tag and the pid's bracket whole) and
the PRI's digits ungrouped: each character decides its path (a word ends at the first space, `[` or `:`), so RE2
extracts them with its one-pass engine."""


def _shape(message: str) -> str:
    """SQL: the message starts as PREFIX's match does, by LIKE (`_` any one character): a PRI of 1-3 digits in
    `<>`, or none, then three characters (the month) and a blank. Cheaper than `substr` at 4 (3 ms per 50,000
    lines), and it spares syslog_rfc5424's lines (`<165>1 2026-...`) PREFIX's regex (6 ms)."""
    pri = " OR ".join(f"{message} LIKE '<{'_' * n}>___ %'" for n in (1, 2, 3))
    return f"(CASE WHEN prefix({message}, '<') THEN {pri} ELSE {message} LIKE '___ %' END)"


class SyslogRfc3164Parser(PrefixParser):
    name = "syslog_rfc3164"
    table = "syslog"
    prefix = PREFIX
    guard = "substr({m}, 1, 1) = '<' OR substr({m}, 4, 1) = ' '"
    groups = BSD_GROUPS
    columns = bsd_columns()
    # `Mar  7`: the day's padding space goes; a time without a run of spaces is already what the regex would
    # make of it, and skips it (0.02 s per 50,000 lines).
    time = "CASE WHEN contains({s}.ts, '  ') THEN regexp_replace({s}.ts, ' +', ' ', 'g') ELSE {s}.ts END"
    time_format = "syslog"
    level = severity_level()

    ahead_of = (
        *("lambda_platform", "lambda_text", "vpc_flow_log"),
        *("alb", "nlb", "elb_classic", "alb_connection", "s3_access_log", "cloudfront", "cloudfront_realtime"),
        *("apigateway_access_log", "access_log", "nginx_error", "apache_error", "container_cri", "rds_postgresql"),
        *("mysql_error", "mysql_general", "mysql_slow", "syslog_rfc5424"),
    )
    """Every line format before this one in PARSERS: a BSD syslog line with a PRI passed syslog_rfc5424's guard and
    paid its full match, and every line paid the other parsers' tests before its own detection. Classification
    tests `sure` before the first of them (etl._shortcuts), and this parser's detection stays where it is for the
    lines `sure` is not sure of. The JSON shapes and generic JSON, first in PARSERS, are left out (as in
    SyslogRsyslogFileParser.ahead_of): on a line that starts with `<` or a month's name their tests read the first
    characters and the JSON marker column, and a JSON line, which they claim, never pays `sure`."""

    def sure(self, message: str) -> str:
        """SQL: this parser claims the message (`detect`), and none of `ahead_of` can: what the CASE would give it
        after testing them. True where the message starts as _shape says (tested first), PREFIX matches at its
        start (`detect`'s regex), it holds no `] "`, and no VPC or CloudFront header of the object makes their
        detection count fields (their `custom`, a value per object: etl._settled); false elsewhere, where the CASE
        goes on in PARSERS order.

        `detect`: PREFIX's match starts the message with its PRI's `<`, 1-3 digits and `>`, or with nothing, then
        a month's three letters and a blank (all ASCII, a byte each): the guard's `<` first or blank at 4, and
        _shape's LIKE.

        No parser of `ahead_of` claims such a message. PREFIX starts it with `<`, 1-3 digits and `>`, or with
        nothing, then a month's name (its first letter one of `JFMASOND`), one or more blanks, the day's 1-2
        digits, a blank and the time's digits; base.LINE, which only drops a trailing run of CR and LF, starts
        the same way. So:

        - lambda_platform: `START`, `END`, `REPORT`, `INIT_...` or `XRAY` first (here `<` or a month's name, none
          of `STA`, `END`, `REP`, `INI`, `XRA`); alb: `h`, `w` or `g` first; nlb: `tls `;
          apache_error: `[` first; mysql_slow: `# `; lambda_text: `[` or a digit first;
        - vpc_flow_log (not custom): a character from `1` to `9` first (`<` and capitals sort after `9`);
          elb_classic, alb_connection, cloudfront (not custom), cloudfront_realtime, nginx_error, container_cri,
          rds_postgresql, mysql_error and mysql_general: their patterns start with four or ten digits at the start
          (`^` or a full match);
        - s3_access_log: its first two fields `[^ ]*`, each followed by a blank, then `[`: the line's first two
          blanks are in its time, and after the second comes a blank, the day's digit (two or more blanks after
          the month) or the hour's digit (one blank);
        - access_log and apigateway_access_log: their guards need `] "`;
        - syslog_rfc5424: after its optional PRI `<\\d{1,3}>` (here the line's own, or none) a digit, its
          version: here a month's first letter, or `<` where it skips its PRI.

        Per 50,000 BSD syslog lines the classifying statement's CPU went 0.16-0.17 -> 0.13 s and the object's
        down 5% (benchmarks/README.md). Other lines pay _shape's test (2-3 ms per 50,000 lines; syslog_rfc5424's,
        whose `<` leads to three LIKEs, 4-5), and the few that pass it PREFIX's anchored match."""
        shaped = f"regexp_matches({message}, {sql_string('^(?:' + PREFIX + ')')}) AND NOT contains({message}, '] \"')"
        return (
            f"(CASE WHEN {HEADERS_COUNT_FIELDS} THEN false WHEN {_shape(message)} "
            f"THEN (CASE WHEN {shaped} THEN true ELSE false END) ELSE false END)"
        )

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The time, host, tag and `[pid]` of HEAD's match at the line's start (four groups: RE2's one-pass
        engine), the PRI, pid and message cut with string functions; elsewhere (no host, or a line detection
        did not claim) the whole pattern's regexp_extract.

        Why the cut gives the pattern's groups where HEAD matches: the pattern is leftmost-first, and its
        optional host comes first, so it takes the parse with a host wherever one exists. HEAD is that parse
        (the same parts in the same order, the host required): the host is the line's first word after the
        time (a word holds no space, so it ends at the space after it), the tag the longest word after it (a
        shorter one would be followed by a word's character, which is none of `[`, `:` or space), the bracket
        taken where `:? ` follows it, the colon where the space follows it. So the groups are HEAD's, the PRI
        is the digits between the leading `<` and the first `>` (the time starts with a letter, `\\d` holds no
        `>`), the pid the bracket's inside, and the message the text after HEAD's match: its length is the
        PRI's `<...>` (up to that `>`), the time, two spaces, host, tag, bracket, then `:` where the character
        after the bracket is one, and the last space. length and substr both count code points (a host or tag
        may hold non-ASCII letters).

        The time string is a time of HEAD with a month's name (the cut's test) or the pattern's group ('' where the
        regex does not match), respaced (`time`): a full match of TIME_FORMATS['syslog'] with single spaces, so
        it takes ll_parse_time's `matched_syslog` path, without the fast path's two full matches
        (timestamps.MATCHED_FORMATS); the class keeps `syslog`, what any other plan of its time would use."""
        s = self.struct_column
        line, head = f"{s}_line", f"{s}_head"
        before_colon = head_length(line, head, 2)
        colon = f"CASE WHEN substr({line}, {before_colon} + 1, 1) = ':' THEN 1 ELSE 0 END"
        cut = head_cut(line, head, f"substr({line}, {before_colon} + {colon} + 2)")
        fast = f"{head}.ts <> '' AND left({head}.ts, 3) IN {_MONTHS}"
        derived = {
            line: LINE.format(m="message"),
            head: head_groups(line, HEAD),
            s: cut_or_regex(fast, cut, line, self.pattern, self.groups),
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived, time_format="matched_syslog")


EXAMPLES = [
    Example(
        "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        {
            "facility": "auth",
            "severity": "crit",
            "hostname": "mymachine",
            "appname": "su",
            "procid": None,
            "msg": "'su root' failed for lonvick on /dev/pts/8",
            "level": "FATAL",
        },
    ),
    Example(
        "<133>Jun 13 16:33:35 haproxy[73411]: Proxy sticky-servers started.",
        {
            "facility": "local0",
            "severity": "notice",
            "hostname": None,
            "appname": "haproxy",
            "procid": "73411",
            "msg": "Proxy sticky-servers started.",
        },
    ),
    Example(
        "Mar  7 04:02:16 avas clamd[11165]: /var/amavis/amavis-20040307T033734-10329/parts/part-00003: "
        "Worm.Mydoom.F FOUND",
        {"facility": None, "hostname": "avas", "appname": "clamd", "procid": "11165", "level": None},
    ),
]

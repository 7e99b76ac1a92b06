"""syslog_rfc3164 detects its lines by the pattern's prefix and cuts the PRI, pid and message after a one-pass
extraction of its usual head (syslog_rfc3164.PREFIX, HEAD): the same claims and the same groups as the whole
pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import pytest
from test_syslog_rsyslog_file import NOISE, check_shortcut

from conftest import benchmark_lines, classified_rows, prefix_against_regex
from loglake.sql_quoting import sql_string
from loglake.transform import timestamps
from loglake.transform.etl import staged_rows
from loglake.transform.parsers.syslog_rfc3164 import HEAD, PREFIX, SyslogRfc3164Parser

_T = "Oct 11 22:14:15"
_CLAIMED = [
    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    "Mar  7 04:02:16 avas clamd[11165]: /var/amavis/parts/part-00003: Worm.Mydoom.F FOUND",
    "<38>Nov 26 00:00:01 web-1 sshd[42]: Accepted publickey for user1 from 10.0.0.1 port 2222 ssh2",
    "<0>Jan 1 00:00:00 h t: one-digit day",
    "<191>Dec    31 23:59:59 h t[]: empty pid, a run of spaces",
    "<999>Feb 29 12:00:00 h t[x]: PRI past 191",
    f"{_T} h t words without a colon",
    f"{_T} h t: ",
    f"{_T} h t:  two spaces  ",
    f"{_T} h t[7]: ",
    f"{_T} h t[1] bracket then space",
    f"{_T} h t: first\nsecond\r\n",
    f"{_T} h t: x\r\n\r\n",
    f"{_T} h t: \ttab",
    f"{_T} hôst-ü tâg[ß]: ünïcödé ✓ 日本",
    f"{_T} he\u0301 te\u0301[1]: combining marks",
    f"{_T} 日本 タグ[１]: full-width pid",
    f"{_T} h t[1]: a [b] c: d",
    f"{_T} h t-: x=\"quoted\" 'q'",
    f"{_T} h t: x\u00a0nbsp",
    # 20: no host (the cut's shape fails, the regex reads them)
    "<133>Jun 13 16:33:35 haproxy[73411]: Proxy sticky-servers started.",
    f"{_T} su: no host",
    f"{_T} h t",
    f"{_T} h t:",
    f"{_T} h t:\n",
    f"{_T} h t[1]",
    f"{_T} h t[1]:",
    f"{_T} h t:x glued",
    f"{_T} h t[1]:x glued",
    f"{_T} h t[a b]: space in pid",
    f"{_T} h  t: two spaces before the tag",
    f"{_T} h -t: dash tag",
    f"{_T} h t]x: bracket",
    f"{_T} h t\r: CR in the tag",
    f"{_T} h\u00a0t: nbsp in the host",
]
_REFUSED = [
    f"{_T}  h t: two spaces before the host",
    f"{_T} h\tt: tab",
    f"{_T} -h t: dash host",
    f"{_T} --- last message repeated 2 times ---",
    f"{_T} h:t: x",
    f"{_T} h",
    f"{_T} ",
    "Foo 11 22:14:15 h t: no month",
    "oct 11 22:14:15 h t: lower case",
    "Oct 111 22:14:15 h t: three-digit day",
    "Oct 11 2:14:15 h t: one-digit hour",
    "Oct １1 22:14:15 h t: full-width digit",
    "<1234>Oct 11 22:14:15 h t: four-digit PRI",
    "<>Oct 11 22:14:15 h t: empty PRI",
    "<13> Oct 11 22:14:15 h t: space after PRI",
    f" {_T} h t: leading space",
    f"\n{_T} h t: leading LF",
    "<34>1 2026-11-26T10:00:00Z mymachine su 42 ID47 - 'su root' failed",
    "",
    "\r\n",
]


def test_prefix_detection_and_head_cut_give_the_whole_pattern_s_claims_and_groups() -> None:
    parser = SyslogRfc3164Parser()
    lines = [*_CLAIMED, *_REFUSED]
    claims, after, con, rows = prefix_against_regex(parser, lines)
    s = parser.struct_column
    assert claims == [True] * 35 + [False] * 20
    assert len(after) == 55
    picked = [after[i] for i in (0, 1, 4, 7, 8, 11, 14, 15, 20, 22)]
    assert [(r["pri"], r["ts"], r["hostname"], r["appname"], r["procid"], r["msg"]) for r in picked] == [
        ("34", _T, "mymachine", "su", "", "'su root' failed for lonvick on /dev/pts/8"),
        ("", "Mar  7 04:02:16", "avas", "clamd", "11165", "/var/amavis/parts/part-00003: Worm.Mydoom.F FOUND"),
        ("191", "Dec    31 23:59:59", "h", "t", "", "empty pid, a run of spaces"),
        ("", _T, "h", "t", "", ""),
        ("", _T, "h", "t", "", " two spaces  "),
        ("", _T, "h", "t", "", "first\nsecond"),
        ("", _T, "hôst-ü", "tâg", "ß", "ünïcödé ✓ 日本"),
        ("", _T, "he\u0301", "te\u0301", "1", "combining marks"),
        ("133", "Jun 13 16:33:35", "", "haproxy", "73411", "Proxy sticky-servers started."),
        ("", _T, "", "h", "", "t"),
    ]
    # The cut served every claimed line with a host (HEAD matched), the regex those without one; of the refused
    # lines HEAD (its month a class) matches `Foo`'s, which the month test sends to the regex too.
    cut = con.execute(f"SELECT {s}_head.ts <> '' FROM ({rows}) ORDER BY i").fetchall()
    assert [c for (c,) in cut] == [True] * 20 + [False] * 15 + [False] * 7 + [True] + [False] * 12

    # HEAD is PREFIX with the host required and its groups moved: the same text with every parenthesis,
    # the host's `?` and the PRI's and month's forms dropped.
    def bare(pattern: str) -> str:
        return pattern.replace("(?:", "(").replace("(", "").replace(")", "").replace("?", "")

    month = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
    assert bare(HEAD).replace("[A-Z][a-z][a-z]", month) == bare(PREFIX)
    assert parser.pattern == "(?s)" + PREFIX + "(.*)"


def test_the_time_takes_the_matched_syslog_path_with_the_cascade_s_values() -> None:
    """The plan's time string (HEAD's time with a month's name, or the pattern's group, respaced) is '' or a
    single-spaced full match of the syslog time on every line, claimed or not: so its `matched_syslog` path (no
    full match) reads what ll_parse_time_syslog read, here against record times around the year's turn."""
    parser = SyslogRfc3164Parser()
    plan = parser.plan(None, 5)
    assert plan.time_format == "matched_syslog" and parser.time_format == "syslog"
    lines = [*_CLAIMED, *_REFUSED, "Feb 29 12:00:00 h t: leap day", "Dec 31 23:59:59 h t: x", "Jan  1 00:00:00 h t: x"]
    con = duckdb.connect()
    con.execute(timestamps.MACROS)
    classified_rows(con, parser.name, parser.table, lines)
    fast = timestamps.parse_time_expression(plan.time, "r", plan.time_format)
    cascade = timestamps.parse_time_expression(plan.time, "r", parser.time_format)
    staged = staged_rows(parser.name, parser.table, plan)
    rows = con.execute(
        f"SELECT i, r, {plan.time}, {fast}, {cascade}, ll_parse_time({plan.time}, r) FROM ({staged}), "
        "(SELECT unnest([1795780800000, 1767225600000, 1740787200000, 1772323200000]) AS r) ORDER BY i, r"
    ).fetchall()
    assert len(rows) == len(lines) * 4
    syslog = timestamps.TIME_FORMATS["syslog"][0]
    assert [r[2] for r in rows if r[2] != "" and not (re.fullmatch(syslog, r[2]) and "  " not in r[2])] == []
    assert [r[:2] for r in rows if not r[3] == r[4] == r[5]] == []
    # Not a comparison of NULLs: the refused lines' time is '' (Foo's too), a Feb 29 is read in 2024 only.
    assert sum(r[3] is not None for r in rows) == 4 * 34 + 1 + 1 + 4 * 2
    feb29 = [r[3] for r in rows if r[0] == len(lines) - 3]
    assert feb29 == [datetime(2024, 2, 29, 12, 0), None, None, None]  # read on 2025-03-01 (the first record time)


# Classification's shortcut (SyslogRfc3164Parser.sure, tested before every parser ahead of it: etl._shortcuts).
_N = "<13>Nov 26 00:00:00"
_SURE_CRAFTED = [
    # sure: BSD syslog lines, with and without PRI and host, and text that each earlier parser's guard or pattern reads
    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    "Mar  7 04:02:16 avas clamd[11165]: /var/amavis/parts/part-00003: Worm.Mydoom.F FOUND",
    "<133>Jun 13 16:33:35 haproxy[73411]: Proxy sticky-servers started.",
    "<0>Jan 1 00:00:00 h t: one-digit day",
    "<191>Dec    31 23:59:59 h t[]: a run of blanks",
    "Sep 26 00:00:00 START RequestId: 1 Version: $LATEST",
    f"{_N} h t:x glued: the host is the tag",
    f"{_N} h t words without a colon",
    f"{_N} h t: first\nsecond\r\n",
    f"{_N} h t: x\r\n",
    f"{_N} h t: \ttab\t1\t2",
    f"{_N} hôst-ü tâg[ß]: ünïcödé ✓ 日本",
    f"{_N} http tls: a b c d e f g h",
    f"{_N} stdout F: x",
    f"{_N} 1 [Note] digits for a tag",
    f"{_N} t: x [10/Oct/2000:13:55:36 -0700] GET / HTTP/1.0 200 2326 (no quote after the bracket)",
    f'{_N} h t: say "hi" - a quote and a dash',
    f"{_N} h t: [x] ] [ ] y " + "z" * 40,
    f"{_N} h t: \x0b\t\x00 control characters",
    f"{_N} h t: " + "long text " * 10_000,
]
"""Lines `sure` takes: BSD syslog lines, with line ends, non-ASCII, control characters, a long text, and hosts, tags
and text that other parsers' guards and patterns read."""
_NOT_SURE = [
    # another parser's (the whole order gives it to them): sure leaves them to the CASE
    f'{_N} t: [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',  # access_log's (its virtual host first)
    f'{_N} [t] "GET / HTTP/1.1" 200 5 01234567-89ab-cdef-0123-456789abcdef',  # API Gateway's CLF
    '<165>1 2026-11-26T00:00:00.000000Z host app 1 ID [m@1 a="1"] syslog_rfc5424',
    "<13>1 - h a - - - Nov 26 00:00:00 h t: x",
    # BSD syslog's (or text's), not sure: `] "`, other months, PRIs, spacing
    f'{_N} h t: x [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',
    f'{_N} h t: ] "',
    "<13>Foo 11 22:14:15 h t: no month",
    "nov 26 00:00:00 h t: lower case",
    "<1234>Nov 26 00:00:00 h t: four-digit PRI",
    "<>Nov 26 00:00:00 h t: empty PRI",
    f"{_N} --- last message repeated 2 times ---",
    f"{_N}",
    f"{_N} h",
    f"{_N}  h t: two blanks",
    f"{_N}\th t: a tab",
    "<13>Nov 26 0:00:00 h t: one-digit hour",
    "<13>Nov 126 00:00:00 h t: three-digit day",
    "<13>Nov 26 00:00:00.123 h t: fraction",
    f" {_N} h t: leading blank",
    f"\n{_N} h t: leading LF",
    "",
]
"""Lines `sure` does not take, each next to a line it takes."""
_NOT_SURE_PARSERS = [
    *("access_log", "apigateway_access_log", "syslog_rfc5424", "syslog_rfc5424", "syslog_rfc3164", "syslog_rfc3164"),
    *("text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "text"),
    *("text", "text"),
]
"""The parser of each line of _NOT_SURE, as the CASE in PARSERS order gives it."""
_CUSTOM = [
    "version vpc-id subnet-id srcaddr dstaddr action log-status",  # VPC's header: its `custom` is true
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    f"{_T} h t: a b",  # VPC's 7 fields
    f"{_T} h t: a\tb\tc\td\te\tf",  # CloudFront's 6 fields
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there, and
its BSD syslog lines of 7 words or 6 tab-separated fields are theirs, as the whole order gives them."""


def test_sure_lines_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """SyslogRfc3164Parser.sure before every line format (test_syslog_rsyslog_file.check_shortcut) on the crafted lines
    and 400 benchmark lines (half without PRI); `sure` reads PREFIX's match as detection does (the same SQL)."""
    bench = benchmark_lines("syslog_rfc3164", 200, 7)
    bench += [line[line.index(">") + 1 :] for line in bench]
    crafted = (_SURE_CRAFTED, _NOT_SURE, _NOT_SURE_PARSERS)
    parser = SyslogRfc3164Parser()
    regex = f"regexp_matches(message, {sql_string('^(?:' + PREFIX + ')')})"
    assert regex in parser.detect("message") and regex in parser.sure("message")
    check_shortcut(parser, bench, crafted, _CUSTOM, [*NOISE, "<38>", "<1>", "Jan ", "Oct", "  "], monkeypatch)

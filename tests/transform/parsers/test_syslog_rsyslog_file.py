"""syslog_rsyslog_file detects its lines by the pattern's prefix and cuts the rest of the line after a one-pass
extraction of its head (syslog_rsyslog_file.PREFIX, HEAD): the same claims and the same groups as the whole
pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

import pytest

from conftest import (
    PARSER_EXAMPLES,
    benchmark_lines,
    every_format_lines,
    golden_messages,
    is_object_header,
    matched_time_rows,
    mutate,
    prefix_against_regex,
    shortcut_runs,
    sure_lines_claimed,
)
from loglake.sql_quoting import sql_string
from loglake.transform import etl, timestamps
from loglake.transform.parsers import PARSERS
from loglake.transform.parsers.base import RegexParser
from loglake.transform.parsers.syslog_rsyslog_file import _LEVEL_HOST, HEAD, PREFIX, SyslogRsyslogFileParser

_T = "2026-11-26T10:00:00.123456+01:00"
_LINES = [
    f"{_T} web-01 systemd[1]: Started session-4.scope - Session 4 of User admin.",
    "2026-11-26T10:00:01.000042+00:00 db-02 kernel: [12345.678901] EXT4-fs (sda1): re-mounted.",
    "<86>2026-11-26T10:00:02.5-05:00 bastion sshd[48211]: Accepted publickey for deploy",
    "<27>2026-11-26T10:00:03Z web-01 CRON[9911]: (root) error: pam_unix(cron:session): failure",
    "<5>2026-11-26T10:00:03+0400 h t: zone without colon",
    "<191>2026-11-26T10:00:03Z h t[]: empty pid",
    f"{_T} h t:",
    f"{_T} h t: ",
    f"{_T} h t:  two spaces  ",
    f"{_T} h t[7]:",
    f"{_T} h t:\n",
    f"{_T} h t:\r\n\r\n",
    f"{_T} h t: first\nsecond\r\n",
    f"{_T} h t: \ttab",
    f"{_T} hôst-ü tâg[ß]: ünïcödé ✓ 日本",
    f"{_T} he\u0301 te\u0301[1]: combining marks",
    f"{_T} h t[1]: a [b] c: d",
    f"{_T} h t: x=\"quoted\" 'q'",
    f"{_T} h t:x glued",
    f"{_T} h t[1]:x glued",
    f"{_T} h t[1] x: bracket then space",
    f"{_T} h t[a b]: space in pid",
    f"{_T} h  t: two spaces before the tag",
    f"{_T}  h t: two spaces before the host",
    f"{_T} h: no tag",
    f"{_T} h t",
    f"{_T} INFO main: started",
    f"<13>{_T} warn main: started",
    "2026-11-26T10:00:00 h t: no zone",
    "2026-11-26T10:00:00.1234567890Z h t: ten fraction digits",
    "<1234>2026-11-26T10:00:00Z h t: four-digit PRI",
    "<>2026-11-26T10:00:00Z h t: empty PRI",
    "2026-11-26 10:00:00Z h t: space for the T",
    f" {_T} h t: leading space",
    f"\n{_T} h t: leading LF",
    f"{_T} h t\r: CR in the tag",
    "",
    "\r\n",
]


def test_prefix_detection_and_head_cut_give_the_whole_pattern_s_claims_and_groups() -> None:
    parser = SyslogRsyslogFileParser()
    guard = str(parser.guard).replace("{m}", "message")
    full = RegexParser.matches(parser, "message")
    old_claim = f"(CASE WHEN {guard} THEN ({full} AND NOT regexp_matches(message, {sql_string(_LEVEL_HOST)})) "
    old_claim += "ELSE false END)"
    claims, after, con, rows = prefix_against_regex(parser, _LINES, old_claim)
    s = parser.struct_column
    assert claims == [True] * 18 + [False] * 20
    assert len(after) == 38
    picked = [after[i] for i in (2, 5, 6, 8, 14, 15)]
    assert [(r["pri"], r["hostname"], r["appname"], r["procid"], r["msg"]) for r in picked] == [
        ("86", "bastion", "sshd", "48211", "Accepted publickey for deploy"),
        ("191", "h", "t", "", "empty pid"),
        ("", "h", "t", "", ""),
        ("", "h", "t", "", " two spaces  "),
        ("", "hôst-ü", "tâg", "ß", "ünïcödé ✓ 日本"),
        ("", "he\u0301", "te\u0301", "1", "combining marks"),
    ]
    # HEAD matched every claimed line (the cut served them), the glued ones (`t:x`: there the regex did) and the
    # level word's (the pattern matches them; detection's second test refuses them).
    cut = con.execute(f"SELECT {s}_head.ts <> '' FROM ({rows}) ORDER BY i").fetchall()
    assert [c for (c,) in cut] == [True] * 20 + [False] * 6 + [True, True] + [False] * 10
    # HEAD is PREFIX with its groups moved: the same text with every parenthesis dropped.
    assert HEAD.replace("(?:", "(").replace("(", "").replace(")", "") == PREFIX.replace("(?:", "(").replace(
        "(", ""
    ).replace(")", "")
    assert parser.pattern == "(?s)" + PREFIX + "(?: (.*))?"


def test_the_time_takes_the_matched_rfc3339_path_with_the_cascade_s_values() -> None:
    """The time group is timestamps.RFC3339 in PREFIX and HEAD, so the struct's time is '' or a full match of it
    on every line, claimed or not, and its `matched_rfc3339` path (a cast, no test) reads what ll_parse_time read:
    here on the crafted lines and on times of every RFC 3339 shape (fractions of 1-9 digits, `Z`, `+0400`,
    leap days, 23:59:60, 24:00, years 0001 and 9999, days out of range)."""
    parser = SyslogRsyslogFileParser()
    plan = parser.plan(None, 5)
    assert plan.time_format == "matched_rfc3339" and plan.time == "__ll_syslog_rsyslog_file.ts"
    assert f"({timestamps.RFC3339}) " in PREFIX and PREFIX.count("(") - PREFIX.count("(?:") == 5
    assert HEAD.startswith(rf"(?:<\d{{1,3}}>)?({timestamps.RFC3339}) ")
    times = [
        *("2024-02-29T23:59:60Z", "2026-02-29T00:00:00Z", "2026-11-26T24:00:00+00:00", "0001-01-01T00:00:00+01:00"),
        *("9999-12-31T23:59:59.999999999-14:00", "2026-11-31T10:00:00Z", "2026-11-26T10:00:00.1+0400"),
        *(f"2026-11-26T10:00:00.{'123456789'[:n]}-05:30" for n in range(1, 10)),
    ]
    lines = [*_LINES, *(f"{t} h t: x" for t in times)]
    rows = matched_time_rows(parser, lines, timestamps.RFC3339)
    assert len(rows) == len(lines) == 54
    # Not a comparison of NULLs: NULL where the pattern reads no time (''), and for the three added times that are
    # no instant (23:59:60, Feb 29 2026, Nov 31); 24:00 is the next day's midnight.
    assert [r[0] for r in rows if r[3] is None] == [*range(18, 26), *range(28, 40), 43]
    assert rows[40][3] == datetime(2026, 11, 27) and rows[44][3] == datetime(2026, 11, 26, 6, 0, 0, 100000)


# Classification's shortcut (SyslogRsyslogFileParser.sure, tested before every parser ahead of it: etl._shortcuts).
_SURE_CRAFTED = [
    # sure: RSYSLOG_FileFormat's lines, with hosts, tags and text that each earlier parser's guard or pattern reads
    f"{_T} web-01 systemd[1]: Started session-4.scope - Session 4 of User admin.",
    "2026-11-26T10:00:01.000042-05:00 db-02 kernel: [12345.678901] EXT4-fs (sda1): re-mounted.",
    f"{_T} h t:",
    f"{_T} h t[7]:",
    f"{_T} h t[]: empty pid",
    f"{_T} h t:\r\n",
    f"{_T} h t:\n\n",
    f"{_T} h t: first\nsecond\r\n",
    f"{_T} h t: \ttab\t1\t2",
    f"{_T} hôst-ü tâg[ß]: ünïcödé ✓ 日本",
    f"{_T} stdout F: CRI's stream for a host",
    f"{_T} stderr P[1]: x",
    f"{_T} 12345 t: [Note] digits for a host, MySQL's level after",
    f"{_T} 12345678-1234-1234-1234-123456789012 INFO: a request id for a host",
    f"{_T} http tls: a b c d e f g h",
    f"{_T} h t: x [10/Oct/2000:13:55:36 -0700] GET / HTTP/1.0 200 2326 (no quote after the bracket)",
    f'{_T} h t: say "hi" - a quote and a dash',
    f"{_T} h t: [x] ] [ ] y " + "z" * 40,
    f"{_T} infos t: not a level word",
    f"{_T} h INFO: a level word for a tag",
    f"{_T} h t: \x0b\t\x00 control characters",
    f"{_T} h t: " + "long text " * 10_000,
]
"""Lines `sure` takes: rsyslog's file format with microseconds and an offset, with line ends, non-ASCII, control
characters, a long text, and hosts, tags and text that other parsers' guards and patterns read."""
_NOT_SURE = [
    # another parser's (the whole order gives it to them): sure leaves them to the CASE
    f'{_T} h t: x [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',  # access_log's
    f'{_T} h t: [t] "GET / HTTP/1.1" 200 5 01234567-89ab-cdef-0123-456789abcdef',  # API Gateway's CLF
    f"{_T} stdout F x",  # CRI's
    f"{_T} stdout F:X x",
    f"{_T} 12345 [Note] x",  # MySQL's error log
    f"{_T}\t1 Query\tSELECT 1",  # MySQL's general log
    "2026-11-26T10:00:00.123456Z 12345678-1234-1234-1234-123456789012 INFO x",  # Lambda text's
    # rsyslog's (or text's), not sure: `] "`, other times, a level for a host, no colon, spacing
    f'{_T} web kernel: [1] "x"',
    f"{_T} INFO main: started",
    f"{_T} Warning t: level words in any case",
    "2026-11-26T10:00:00.123456Z h t: Z",
    "2026-11-26T10:00:00+01:00 h t: no fraction",
    "2026-11-26T10:00:00.123+01:00 h t: milliseconds",
    "2026-11-26T10:00:00.123456+0100 h t: no colon in the offset",
    f"<13>{_T} h t: PRI",
    f"{_T} h t x",
    f"{_T} h t:x glued",
    f"{_T} h t:\rx",
    f"{_T}  h t: two blanks",
    f"{_T} h  t: two blanks",
    f"{_T} h t[1 2]: x",
    f"{_T} h: no tag",
    f"{_T} h=1 t: x",
    "२०२६-11-26T10:00:00.123456+01:00 h t: Devanagari digits",
    f" {_T} h t: leading blank",
    f"\n{_T} h t: leading LF",
    "",
]
"""Lines `sure` does not take, each next to a line it takes."""
_NOT_SURE_PARSERS = [
    *("access_log", "apigateway_access_log", "container_cri", "container_cri", "mysql_error", "mysql_general"),
    *("lambda_text", "syslog_rsyslog_file", "text", "text", "syslog_rsyslog_file", "syslog_rsyslog_file"),
    *("syslog_rsyslog_file", "syslog_rsyslog_file", "syslog_rsyslog_file", "text", "text", "text", "text", "text"),
    *("text", "text", "text", "text", "text", "text", "text"),
]
"""The parser of each line of _NOT_SURE, as the CASE in PARSERS order gives it."""
_CUSTOM = [
    "version vpc-id subnet-id srcaddr dstaddr action log-status",  # VPC's header: its `custom` is true
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    f"{_T} h t: a b c d",  # VPC's 7 fields
    f"{_T} h t: a\tb\tc\td\te\tf",  # CloudFront's 6 fields
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there, and
its rsyslog lines of 7 words or 6 tab-separated fields are theirs, as the whole order gives them."""

NOISE = [
    *(" ", "  ", "\t", "\n", "\r\n", "\r", '"', " - ", "-", "]", "] ", '] "', "[", ":", "0", "9", ".", "Z", "T"),
    *("+02:00", "é", "日", "\x0b", "=", "INFO ", "[Note] ", "stdout F ", "stdout ", "F", "<13>", "{", "# ", "/", ","),
    *("12345678-1234-1234-1234-123456789012 ", '"GET / HTTP/1.1" ', "[10/Oct/2000:13:55:36 -0700] ", "1" * 20),
    *("Nov 26 ", "1 ", "tls ", "http ", "START "),
]
"""What `mutated` inserts or puts in place: the characters and words that sure and the earlier parsers' guards and
patterns read (blanks, quotes, ` - `, brackets, digits, the time's characters, line ends, level words, other
formats' first words, a request id, an access log's time and request, a long number)."""


def mutated(lines: list[str], noise: list[str], seed: int) -> list[str]:
    """Each of `lines` with 1-3 insertions, deletions or replacements from `noise`, half of them in the first 45
    characters (where `sure` and the other parsers' guards read)."""
    rng = random.Random(seed)
    made = []
    for line in lines:
        line = mutate(line, rng, noise, 46)
        made.append(line)
    return made


def check_shortcut(
    parser: Any,
    bench: list[str],
    crafted: tuple[list[str], list[str], list[str]],
    custom: list[str],
    noise: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`parser`'s shortcut (its `sure`, tested before the first of its ahead_of) against the CASE in PARSERS order:
    crafted lines (`crafted`: the lines sure takes, those it does not and their parsers), `bench` (the benchmark's
    lines of the format, all sure), 20 lines of every format, every parser's examples and test_typed_golden.py's
    messages (without their VPC and CloudFront headers, so that `sure` is tested), each also with CR LF, the benchmark
    lines mutated three times with `noise` (a tenth of them or more still sure), and the
    crafted, benchmark and corpus lines again after `custom`'s VPC and CloudFront headers (`sure` is false there;
    custom's last two lines are theirs): each line keeps the parser the whole order gives it. And every parser of
    ahead_of, its own detection, is false on each of these lines that `sure` takes."""
    sure_lines, not_sure, not_sure_parsers = crafted
    generated = every_format_lines(20, 13)
    lines = [*sure_lines, *not_sure]
    names = [p.name for p in PARSERS]
    first = names.index("lambda_platform")  # after the JSON shapes and generic JSON, before every line format
    assert names[first - 1] == "json"
    assert etl._shortcuts(names)[parser.name] == "lambda_platform"
    assert parser.ahead_of == tuple(names[first : names.index(parser.name)])
    corpus = [*PARSER_EXAMPLES, *golden_messages()]
    headless = [line for line in corpus if not is_object_header(line)]
    assert len(headless) < len(corpus)
    changed = [line for seed in range(3) for line in mutated(bench, noise, seed)]
    objects = [
        [*lines, *bench, *generated, *(line + "\r\n" for line in generated), *changed],
        [*lines, *headless, *(line + "\r\n" for line in headless)],
        [*custom, *lines, *bench, *corpus],
    ]
    for k, (old, sure) in enumerate(shortcut_runs(parser, objects, monkeypatch)):
        if k == 0:
            assert sure[: len(lines)] == [j < len(sure_lines) for j in range(len(lines))]
            assert sure[len(lines) : len(lines) + len(bench)] == [True] * len(bench)
            assert old[len(sure_lines) : len(lines)] == not_sure_parsers
            assert len(changed) // 10 < sum(sure[-len(changed) :]) < len(changed)
        elif k == 2:
            assert not any(sure)
            assert old[2:4] == ["vpc_flow_log", "cloudfront"]
    taken = sure_lines_claimed(parser, [*lines, *bench, *generated, *headless, *changed])
    assert taken >= len(sure_lines) + len(bench)


def test_sure_lines_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """SyslogRsyslogFileParser.sure before every line format: check_shortcut on the crafted lines and 400 benchmark lines
    (half with other offsets)."""
    bench = benchmark_lines("syslog_rsyslog_file", 200, 7)
    bench += [line.replace("+00:00", "-07:30", 1) for line in bench]
    crafted = (_SURE_CRAFTED, _NOT_SURE, _NOT_SURE_PARSERS)
    check_shortcut(SyslogRsyslogFileParser(), bench, crafted, _CUSTOM, NOISE, monkeypatch)

"""mysql_error detects its lines by the pattern's prefix and cuts the text after it (mysql_error.PREFIX): the
same claims and the same groups as the whole pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from conftest import (
    PARSER_EXAMPLES,
    benchmark_lines,
    benchmark_module,
    first_shortcut_runs,
    prefix_against_regex,
    sure_lines_claimed,
)
from loglake.transform.parsers.mysql_error import PREFIX, MysqlErrorParser

_LINES = [
    "2024-01-15T10:23:45.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.",
    "2019-03-05T18:54:20.123456Z 0 [Note] Event Scheduler: Loaded 0 events",
    "2019-03-05 18:54:20 140234 [ERROR] Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5'",
    "2019-03-05T18:54:20+02:00 7 [System] [MY-1] [Server] x\n",
    "2019-03-05T18:54:20-05:00 7 [Info] y\r\n",
    "2019-03-05T18:54:20Z 7 [Error] [Server] z",
    "2019-03-05 18:54:20  140234 [Note]  two spaces ",
    "2019-03-05 18:54:20 1 [Note]",
    "2019-03-05 18:54:20 1 [Note] ",
    "2019-03-05 18:54:20 1 [Note]\n\n",
    "2019-03-05 18:54:20 1 [Note][MY-1] glued",
    "2019-03-05 18:54:20 1 [Note] [MY-1]",
    "2019-03-05 18:54:20 1 [Note] [MY-1] [Sub]",
    "2019-03-05 18:54:20 1 [Note] [MY-x] [Sub] not a code",
    "2019-03-05 18:54:20 1 [Note] [Sub] [MY-1] order",
    "2019-03-05 18:54:20 1 [Note] [Sub x] spaced",
    "2019-03-05 18:54:20 1 [Note] ünïcödé ✓ 日本\nsecond line\r\n",
    "2019-03-05 18:54:20 1 [Note] \tab",
    "2019-03-05 18:54:20.5 1 [Note] frac",
    "2019-03-05 18:54:20. 1 [Note] dot only",
    "2019-03-05 18:54:20+0200 1 [Note] zone without colon",
    "2019-03-05 18:54:20 x [Note] no thread",
    "2019-03-05 18:54:20 1 [note] lower",
    "2019-03-05 18:54:20 1 [Note",
    "2019-03-05X18:54:20 1 [Note] x",
    "2026-11-26 14:03:07,412 ERROR [main] c.e.Inventory - reserve failed\njava.lang.X: y\n\tat a.b(c)\n",
    "\n2019-03-05 18:54:20 1 [Note] leading LF",
    " 2019-03-05 18:54:20 1 [Note] leading space",
    "",
    "\r\n",
]


def test_prefix_detection_and_cut_give_the_whole_pattern_s_claims_and_groups() -> None:
    parser = MysqlErrorParser()
    claims, after, con, rows = prefix_against_regex(parser, _LINES)
    s = parser.struct_column
    assert claims == [True] * 7 + [False, True, False] + [True] * 9 + [False] * 11  # 7, 9: no `] `
    assert len(after) == 30
    assert [row["data"] for row in after][:19] == [
        *("CA certificate ca.pem is self signed.", "Event Scheduler: Loaded 0 events"),
        *("Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5'", "x", "y", "z", " two spaces "),
        *("", "", "", "[MY-1] glued", "", "", "[MY-x] [Sub] not a code", "[MY-1] order", "[Sub x] spaced"),
        *("ünïcödé ✓ 日本\nsecond line", "\tab", "frac"),
    ]
    assert [(row["error_code"], row["subsystem"]) for row in after][11:15] == [
        ("MY-1", ""),
        ("MY-1", "Sub"),
        ("", ""),
        ("", "Sub"),
    ]
    # The cut served every line the pattern matches (claimed or not); the regex the others (all its groups '').
    whole = con.execute(f"SELECT {s}_head.whole <> '' FROM ({rows}) ORDER BY i").fetchall()
    assert [w for (w,) in whole] == [True] * 19 + [False] * 11
    assert PREFIX in parser.pattern and parser.pattern == "(?s)" + PREFIX + "(.*)"


_T = "2019-03-05T18:54:20.123456Z"
_USUAL = [  # MySQL 8.0's shape (code and subsystem), then its near misses
    f"{_T} 0 [Warning] [MY-010068] [Server] text",
    f"{_T} 0 [System] [MY-1] [Server]",
    f"{_T} 0 [Note] [MY-1] [Server] ",
    f"{_T} 0 [Note] [MY-1] [Server]  two spaces",
    f"{_T} 0 [Note] [MY-1] [Server][glued] bracket",
    f"{_T} 0 [Note] [MY-1] [Server] [Other] a third bracket",
    f"{_T} 0 [Note] [MY-1] [Server]\ta tab",
    f"{_T} 0 [Note] [MY-1] [Server]x",
    f"{_T} 0 [Note] [MY-1] [Server]] two brackets",
    f"{_T} 0 [ERROR] [MY-1] [InnoDB] CR LF\r\n",
    f"{_T} 0 [Error] [MY-1] [_9] LF\n\n",
    f"{_T} 0 [Info] [MY-1] [Server] \r",
    f"{_T} 0 [Note] [MY-1] [Server] ünïcödé ✓ 日本\nsecond line",
    "2019-03-05 18:54:20 140234 [Note] [MY-1] [Server] MariaDB's time",
    "2019-03-05T18:54:20+02:00   12 [Note] [MY-1] [Server] spaces and a zone",
    "2019-03-05T18:54:20.123456789012345678901234567890-05:00 1 [Note] [MY-1] [Server] thirty fraction digits",
    f"{_T} {'9' * 40} [Note] [MY-{'7' * 40}] [{'S' * 200}] huge values",
    f"{_T} 1 [Note] [MY-1] [Server] " + "long text " * 10_000,
    f"{_T} 0 [Note] [MY-1] text, no subsystem",
    f"{_T} 0 [Note] [MY-1]",
    f"{_T} 0 [Note] [MY-1] [Sub x] spaced subsystem",
    f"{_T} 0 [Note] [MY-1] [Sërver] non-ASCII subsystem",
    f"{_T} 0 [Note] [MY-1] [Ser-ver] a dash",
    f"{_T} 0 [Note] [MY-1] [] empty subsystem",
    f"{_T} 0 [Note] [MY-1][Server] glued",
    f"{_T} 0 [Note] [MY-1]  [Server] two spaces",
    f"{_T} 0 [Note] [MY-] [Server] no code digits",
    f"{_T} 0 [Note] [MY-1x] [Server] letter in the code",
    f"{_T} 0 [Note] [MY-١٢] [Server] Arabic-Indic digits",
    f"{_T} 0 [Note] [my-1] [Server] lower-case code",
    f"{_T} 0 [Note] [Server] [MY-1] swapped",
    f"{_T} 0 [Note] text ] [MY-1] [Server] later",
    f"{_T} 0 [Note]] [MY-1] [Server] bracket after the level",
    f"{_T} 0 [note] [MY-1] [Server] lower-case level",
    f"{_T} 0 [Notes] [MY-1] [Server] longer level",
    f"{_T} x [Note] [MY-1] [Server] no thread",
    f"{_T}0 [Note] [MY-1] [Server] no space",
    f"{_T}\t0 [Note] [MY-1] [Server] a tab",
    "2019-03-05T18:54:20. 0 [Note] [MY-1] [Server] a dot only",
    "2019-03-05T18:54:20+0200 0 [Note] [MY-1] [Server] zone without colon",
    f"{_T} {'1' * 60} [Note] [MY-1] [Server] `] ` past the guard's 60 characters",
    f" {_T} 0 [Note] [MY-1] [Server] leading space",
]


def test_the_usual_line_s_head_is_cut_from_four_groups_as_the_prefix_gives_it() -> None:
    """MySQL 8.0's lines (USUAL) take four one-pass groups and a cut; every other line the prefix's extraction:
    on the crafted lines, Beats' MySQL 8.0.15 log, every parser's examples (neighbouring formats) and lines of
    the benchmark's date-led formats, each also with CR LF, the plan's struct is the whole pattern's groups and
    detection claims what it claimed (conftest.prefix_against_regex)."""
    generators = benchmark_module("parser_throughput").GENERATORS
    rng = random.Random(7)
    neighbours = [
        generators[name](rng, i)
        for name in ("mysql_error", "mysql_general", "rds_postgresql", "container_cri", "stack_trace")
        for i in range(40)
    ]
    beats = (Path(__file__).parent / "vectors" / "platform" / "beats_mysql_error_8.0.15.log").read_text().splitlines()
    corpus = [*beats, *PARSER_EXAMPLES, *neighbours]
    lines = [*_USUAL, *_LINES, *corpus, *(line + "\r\n" for line in corpus)]
    parser = MysqlErrorParser()
    claims, after, con, rows = prefix_against_regex(parser, lines)
    s = parser.struct_column
    usual = [bool(u) for (u,) in con.execute(f"SELECT {s}_usual.ts <> '' FROM ({rows}) ORDER BY i").fetchall()]
    # USUAL serves the first 18 and the one the guard refuses (`] ` past 60 characters: 15, 16 and 40 unclaimed)
    assert usual[: len(_USUAL)] == [True] * 18 + [False] * 22 + [True, False]
    assert claims[: len(_USUAL)] == [True] * 15 + [False] * 2 + [True] * 16 + [False] * 9
    assert [n for n, u in enumerate(usual[len(_USUAL) : len(_USUAL) + len(_LINES)]) if u] == [0, 3, 12]
    assert sum(usual[len(_USUAL) + len(_LINES) :]) == 2 * (13 + 1 + 40)  # Beats' 8.0 lines, the example, the bench's
    assert [(r["prio"], r["error_code"], r["subsystem"], r["data"]) for r in after[:12]] == [
        ("Warning", "MY-010068", "Server", "text"),
        ("System", "MY-1", "Server", ""),
        ("Note", "MY-1", "Server", ""),
        ("Note", "MY-1", "Server", " two spaces"),
        ("Note", "MY-1", "Server", "[glued] bracket"),
        ("Note", "MY-1", "Server", "[Other] a third bracket"),
        ("Note", "MY-1", "Server", "\ta tab"),
        ("Note", "MY-1", "Server", "x"),
        ("Note", "MY-1", "Server", "] two brackets"),
        ("ERROR", "MY-1", "InnoDB", "CR LF"),
        ("Error", "MY-1", "_9", "LF"),
        ("Info", "MY-1", "Server", ""),
    ]
    assert after[12]["data"] == "ünïcödé ✓ 日本\nsecond line"
    assert [(r["ts"], r["thread_id"]) for r in after[13:16]] == [
        ("2019-03-05 18:54:20", "140234"),
        ("2019-03-05T18:54:20+02:00", "12"),
        ("2019-03-05T18:54:20.123456789012345678901234567890-05:00", "1"),
    ]
    assert (after[16]["thread_id"], after[16]["error_code"], after[16]["subsystem"]) == (
        "9" * 40,
        "MY-" + "7" * 40,
        "S" * 200,
    )
    assert PREFIX == (  # as before USUAL shared its parts
        r"(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?) +(\d+) "
        r"\[(System|ERROR|Error|Warning|Note|Info)\](?: \[(MY-\d+)\])?(?: \[(\w+)\])? ?"
    )
    assert after[17]["data"] == ("long text " * 10_000)[:-1] + " "
    assert [(r["error_code"], r["subsystem"], r["data"]) for r in after[18:21]] == [
        ("MY-1", "", "text, no subsystem"),
        ("MY-1", "", ""),
        ("MY-1", "", "[Sub x] spaced subsystem"),
    ]


# Classification's shortcut (MysqlErrorParser.sure, tested before every parser ahead of mysql_error: etl._shortcuts).
_S = "2026-11-26T00:00:00.000000Z"
_SURE_CRAFTED = [
    # sure: RDS's MySQL 8.0 and 5.7 lines, with text that each earlier parser's guard or pattern reads
    f"{_S} 0 [Warning] [MY-010055] [Server] IP address '10.0.0.1' could not be resolved: Name or service not known",
    f"{_S} 0 [Note] Event Scheduler: Loaded 0 events",
    f"{_S} 12 [System] [MY-013169] [Server] /rdsdbbin/mysql/bin/mysqld (mysqld 8.0.28) initializing as process 1",
    f"{_S} 9 [Warning] [MY-010055] [Server] Access denied for user 'app'@'10.0.0.5' (using password: YES)",
    f"{_S} 3 [Note] Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5' (Got an error reading packets)",
    f"{_S} {'1' * 20} [Warning] twenty digits: `] ` ends at the 59th character",
    f"{_S} 0 [ERROR] [MY-1] [InnoDB] CR LF\r\n",
    f"{_S} 0 [Error] LF LF\n\n",
    f"{_S} 0 [Info] lone CR\r",
    f"{_S} 0 [Note] ünïcödé ✓ 日本\nsecond line\r\n",
    f"{_S} 0 [Note] ",
    f"{_S} 0 [Note]  two blanks",
    f"{_S} 0 [Note] [MY-1] [Server] x] y [z] 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
    f"{_S} 0 [Note] a b c d e f 200 g h i j k l m n o p q r s t u v w x y z: S3's fields without `-` or a quote",
    f"{_S} 0 [Note] x] y [10/Oct/2000:13:55:36 -0700] GET / HTTP/1.0 200 2326",
    f"{_S} 0 [Note] a\tb\tc\td\te\tf",
    f"{_S} 0 [Note] a b c d",
    f"{_S} 0 [Note] START RequestId: 1 Version: $LATEST",
    f"{_S} 0 [Note] tls 2.0 x stdout F {{log:1}} <13>1 # Time: -x x- --",
    f"{_S} 0 [Note] x:[1]:LOG:  y\t\tz",
    f"{_S} 0 [Note] 2026/11/26 00:00:00 [error] 1#1: x\n\tat a.b(c)\n  File x",
    f"{_S} 0 [Note] 12345678-1234-1234-1234-123456789012 INFO x",
    f"{_S} 0 [Note] \x0b\t\x00 control characters",
    f"{_S} 0 [Note] " + "long text " * 10_000,
    f"2019-03-05T18:54:20.123456Z {'9' * 7} [Note] InnoDB: Buffer pool(s) load completed at 190305 18:54:20",
]
"""Lines `sure` takes: MySQL 8.0 and 5.7 lines as RDS writes them (the time in UTC with microseconds), with line
ends, non-ASCII, control characters, a long text, and text that other parsers' guards and patterns read."""
_S3_DASHES = f"{_S} 0 [Note] a b c d e - 200 g h i j k l - m"
"""S3's pattern matches it (a blank at the 65th character: S3's guard): S3 claims it, not sure (` - `)."""
_S3_QUOTES = f'{_S} 0 [Note] aa b c d e "GET / HTTP/1.1" 200 g h i j k l "ua" m'
"""S3's again, with its quoted fields: not sure (`"`)."""
_NOT_SURE = [
    # another parser's (the whole order gives it to them): sure leaves them to the CASE
    _S3_DASHES,
    _S3_QUOTES,
    f'{_S} 0 [Note] x [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',  # access_log's
    f'{_S} 0 [Note] [t] "GET / HTTP/1.1" 200 5 01234567-89ab-cdef-0123-456789abcdef',  # API Gateway's CLF
    f'{_S} 0 [Note]:80 10.0.0.1:80 0.1 0.1 0.1 200 200 0 0 "GET / HTTP/1.1"',  # Classic ELB's
    f'{_S} 0 1 443 TLSv1.2 X 0.1 "CN=x" NotBefore a b TID_1',  # ALB connections'
    f"{_S} 12345678-1234-1234-1234-123456789012 INFO [Note] x",  # Lambda text's
    f"[INFO] {_S} 12345678-1234-1234-1234-123456789012 [Note] x",
    f"{_S} stdout F 0 [Note] x",  # CRI's
    # mysql_error's (or text's), not sure: other times, spacing, threads and levels, a quote or ` - `
    f"{_S} 0 [Note] x - y",
    f'{_S} 0 [Note] say "hi"',
    f"{_S} 0 [Note]",
    f"{_S} 0 [Note]x",
    f"{_S} 0 [Note]\tx",
    f"{_S} 0 [Note]\r\n",
    f"{_S}  0 [Note] two blanks before the thread",
    f"{_S}\t0 [Note] a tab",
    f"{_S} {'1' * 21} [Note] 21 digits",
    f"{_S} {'1' * 40} [Note] `] ` past the guard's 60 characters",
    f"{_S} x [Note] no thread",
    f"{_S} 0 [note] lower case",
    f"{_S} 0 [Notes] longer",
    f"{_S} 0 [WARN] another word",
    f"{_S} 0 [Note][MY-1] glued",
    "2019-03-05 18:54:20 140234 [ERROR] Aborted connection 12 to db: 'shop' user: 'app' host: '10.0.0.5'",
    "2019-03-05 18:54:20.123456Z 1 [Note] a blank for T",
    "2019-03-05T18:54:20.123456+02:00 7 [Note] a zone",
    "2019-03-05T18:54:20.123Z 7 [Note] milliseconds",
    "2019-03-05T18:54:20Z 7 [Note] no fraction",
    "2019-03-05T18:54:20.1234567Z 7 [Note] seven digits",
    "२०१९-03-05T18:54:20.123456Z 7 [Note] Devanagari digits",
    "2019-03-05T18:54:20.12345６Z 7 [Note] a full-width digit",
    f" {_S} 0 [Note] leading blank",
    f"\n{_S} 0 [Note] leading LF",
    f"{_S[:26]}\rZ 0 [Note] CR",
    "",
]
"""Lines `sure` does not take, each next to a line it takes."""
_NOT_SURE_PARSERS = [
    *("s3_access_log", "s3_access_log", "access_log", "apigateway_access_log", "elb_classic", "alb_connection"),
    *("lambda_text", "lambda_text", "container_cri", "mysql_error", "mysql_error", "text", "text", "text", "text"),
    *("mysql_error", "text", "mysql_error", "text", "text", "text", "text", "text", "mysql_error", "mysql_error"),
    *("mysql_error", "mysql_error", "mysql_error", "mysql_error", "mysql_error", "text", "text", "text", "text"),
    *("text", "text"),
]
"""The parser of each line of _NOT_SURE, as the CASE in PARSERS order gives it."""
_CUSTOM = [
    "version vpc-id subnet-id srcaddr dstaddr action log-status",  # VPC's header: its `custom` is true
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    f"{_S} 0 [Note] a b c d",  # VPC's 7 fields
    f"{_S} 0 [Note] a\tb\tc\td\te\tf",  # CloudFront's 6 fields
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there, and
its MySQL lines of 7 words or 6 tab-separated fields are theirs, as the whole order gives them."""


def test_sure_lines_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classification tests MysqlErrorParser.sure before every parser ahead of it; each line keeps the parser the
    CASE in PARSERS order gives it: crafted lines and near misses, 400 benchmark lines (MySQL 8.0's and the same as
    5.7 writes them), 20 lines of every format, every parser's examples and test_typed_golden.py's messages, each
    also with CR LF, and the crafted and benchmark lines again in an object whose VPC and CloudFront headers make
    those parsers count fields (`sure` is false there)."""
    bench = benchmark_lines("mysql_error", 200, 13)
    bench += [line.replace(" [MY-010055] [Server]", "") for line in bench]  # MySQL 5.7's shape
    crafted = (_SURE_CRAFTED, _NOT_SURE, _NOT_SURE_PARSERS)
    old = first_shortcut_runs(MysqlErrorParser(), crafted, bench, _CUSTOM, monkeypatch)[1]
    assert old[:4] == ["text", "vpc_flow_log", "vpc_flow_log", "cloudfront"]  # the header of 7 words is VPC's


def test_no_parser_before_claims_a_line_sure_takes() -> None:
    """Every parser of MysqlErrorParser.ahead_of, its own detection, is false on every crafted line and benchmark
    line that `sure` takes (what the CASE's order needs), and mysql_error's is true."""
    bench = benchmark_lines("mysql_error", 200, 5)
    lines = [*_SURE_CRAFTED, *_NOT_SURE, *bench, *(line.replace(" [MY-010055] [Server]", "") for line in bench)]
    assert sure_lines_claimed(MysqlErrorParser(), lines) == len(_SURE_CRAFTED) + 400


def test_the_time_takes_the_matched_iso_fraction_path_with_the_cascade_s_values() -> None:
    """The time group of PREFIX and USUAL is timestamps.ISO_FRACTION, so the struct's time is '' or a full match of
    it on every line, claimed or not, and the `matched_iso_fraction` path (no test) reads what ll_parse_time read:
    on the crafted lines and on times with fractions of 9 and 10 digits, offsets, Feb 29 2026 and 24:00."""
    from datetime import datetime

    from conftest import matched_time_rows
    from loglake.transform import timestamps
    from loglake.transform.parsers.mysql_error import _TIME, USUAL

    parser = MysqlErrorParser()
    assert parser.plan(None, 5).time_format == "matched_iso_fraction" and timestamps.ISO_FRACTION == _TIME
    assert PREFIX.startswith(f"({_TIME}) ") and USUAL.startswith(f"({_TIME}) ")
    times = [
        *("2026-11-26T10:00:00.123456789Z", "2026-11-26T10:00:00.1234567890Z", "2026-11-26 10:00:00.1234567890"),
        *("2026-11-26T10:00:00.5+05:30", "2026-02-29 10:00:00", "2026-11-26 24:00:00-01:00"),
    ]
    lines = [*_LINES, *(f"{t} 1 [Note] [MY-1] [Server] x" for t in times)]
    rows = matched_time_rows(parser, lines, timestamps.ISO_FRACTION)
    assert len(rows) == len(lines) == 36
    # Not a comparison of NULLs: every claimed line's time is read but those of 10 fraction digits and Feb 29 2026.
    assert [r[0] for r in rows if r[1] and r[3] is None] == [31, 32, 34]
    assert [r[0] for r in rows if r[1]] == [*range(7), 8, *range(10, 19), *range(30, 36)]
    assert rows[35][3] == datetime(2026, 11, 27, 1) and rows[30][3] == datetime(2026, 11, 26, 10, 0, 0, 123456)

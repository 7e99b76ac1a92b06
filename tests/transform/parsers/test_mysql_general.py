"""mysql_general detects its lines by the pattern's prefix and cuts the argument after it (mysql_general.PREFIX):
the same claims and the same groups as the whole pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

import random

import pytest

from conftest import (
    benchmark_lines,
    first_shortcut_runs,
    mutate,
    prefix_against_regex,
    sure_lines_claimed,
)
from loglake.transform.parsers.mysql_general import PREFIX, MysqlGeneralParser

_LINES = [
    "2024-01-15T10:23:45.123456Z\t   12 Query\tSELECT 1",
    "2024-01-15T10:23:44.000001Z\t   12 Connect\tadmin@10.0.0.1 on shop using TCP/IP",
    "2024-01-15T10:23:46.5Z\t   12 Init DB\tshop",
    "2024-01-15T10:23:46Z\t12 Quit\t",
    "2024-01-15T10:23:46+02:00\t7 Query\tSELECT 'a\tb'\n",
    "2024-01-15T10:23:46-05:00\t7 Query\tSELECT 1\r\n",
    "2024-01-15T10:23:46\t7 Query\tno zone",
    "2024-01-15T10:23:46.5Z\t7 Query\t  spaced  ",
    "2024-01-15T10:23:46.5Z\t7 Query\tSELECT 'ünïcödé ✓ 日本'\nFROM t\r\n",
    "2024-01-15T10:23:46.5Z\t7 Query\t\n\n",
    "2024-01-15T10:23:46.5Z\t7 Query\t\tdouble tab",
    "2024-01-15T10:23:46.5Z\t7 Prepare Execute Close stmt\tx",
    "2024-01-15T10:23:46.5Z\t7 Query \ttrailing space in the command",
    "2024-01-15T10:23:46.5Z\t7 Q\ty",
    "2024-01-15T10:23:46.5Z\t7 Query",
    "2024-01-15T10:23:46.5Z\t7 query\tlower",
    "2024-01-15T10:23:46.5Z\t7  Query\ttwo spaces",
    "2024-01-15T10:23:46.5Z\tx Query\tno id",
    "2024-01-15T10:23:46.5Z 7 Query\tspace for the tab",
    "2024-01-15T10:23:46.Z\t7 Query\tdot only",
    "2024-01-15T10:23:46+0200\t7 Query\tzone without colon",
    "2024-01-15 10:23:46\t7 Query\tspace for the T",
    "2024-01-15T10:23:46.5Z\t7 Qüery\tnon-ASCII command",
    "2024-01-15T10:23:46.5Z\t7 Query\r\tCR before the tab",
    "Time                 Id Command    Argument",
    "Tcp port: 3306  Unix socket: /tmp/mysql.sock",
    " 2024-01-15T10:23:46.5Z\t7 Query\tleading space",
    "\n2024-01-15T10:23:46.5Z\t7 Query\tleading LF",
    "",
    "\r\n",
]


def test_prefix_detection_and_cut_give_the_whole_pattern_s_claims_and_groups() -> None:
    parser = MysqlGeneralParser()
    claims, after, con, rows = prefix_against_regex(parser, _LINES)
    s = parser.struct_column
    assert claims == [True] * 14 + [False] * 4 + [False] * 12
    assert len(after) == 30
    assert [row["argument"] for row in after][:14] == [
        *("SELECT 1", "admin@10.0.0.1 on shop using TCP/IP", "shop", "", "SELECT 'a\tb'", "SELECT 1", "no zone"),
        *("  spaced  ", "SELECT 'ünïcödé ✓ 日本'\nFROM t", "", "\tdouble tab", "x", "trailing space in the command"),
        "y",
    ]
    assert [(row["thread_id"], row["command_type"]) for row in after][11:14] == [
        ("7", "Prepare Execute Close stmt"),
        ("7", "Query "),
        ("7", "Q"),
    ]
    # The cut served every line the pattern matches (claimed or not); the regex the others (all its groups '').
    whole = con.execute(f"SELECT {s}_head.whole <> '' FROM ({rows}) ORDER BY i").fetchall()
    assert [w for (w,) in whole] == [True] * 14 + [False] * 16
    assert parser.pattern == "(?s)" + PREFIX + "(.*)"


# Classification's shortcut (MysqlGeneralParser.sure, tested before every parser ahead of mysql_general:
# etl._shortcuts).
_G = "2026-11-26T00:00:00.000000Z"
_SURE_CRAFTED = [
    # sure: records as RDS writes them, with text that each earlier parser's guard or pattern reads
    f"{_G}\t   12 Query\tSELECT * FROM orders WHERE id = 1",
    f"{_G}\t12 Connect\tadmin@10.0.0.1 on shop using TCP/IP",
    f"{_G}\t    7 Init DB\tshop",
    f"{_G}\t 7 Quit\t",
    f"{_G}\t7 Prepare Execute Close stmt\tx",
    f"{_G}\t7 Query \ttrailing space in the command",
    f"{_G}\t7 Q\ty",
    f"{_G}\t7 Query\t\tdouble tab",
    f"{_G}\t1234567 Query\t-1234-1234-1234-123456789012 INFO seven digits: Lambda text's request id",
    f"{_G}\t12345678 Query\t-1234-1234-1234-123456789012 INFO eight digits",
    f"{_G}\t123456789 Query\t-1234-1234-1234-123456789012 INFO nine digits",
    f"{_G}\t{'9' * 40} Query\tforty digits",
    f"{_G}\t1 Quit\t stdout F: ' std' in the first 39 characters (CRI's guard)",
    f"{_G}\t1 Query\tOK DATA 1 2 3 ACCEPT OK: VPC's guard",
    f"{_G}\t1 Query\t[Note]\t[MY-1]\t[Server]: mysql_error's words without a blank after `]`",
    f'{_G}\t1 Query\tSELECT \'{{"requestId": 1, "httpMethod": "GET", "webaclId": 2}}\'',
    f"{_G}\t1 Query\tSELECT 'a - b \"c\" [d]' - a quote and ` - `, `]` without a blank",
    f'{_G}\t1 Query\tx [10/Oct/2000:13:55:36 -0700]"GET / HTTP/1.0" 200 2326',
    f"{_G}\t1 Query\ta\tb\tc\td\te\tf",
    f"{_G}\t1 Query\tSTART RequestId: tls 2.0 <13>1 # Time: 2026/11/26 00:00:00 [error]1#1: x:[1]:LOG:  y",
    f"{_G}\t1 Query\tSELECT 1\r\n",
    f"{_G}\t1 Query\tSELECT 1\n\n",
    f"{_G}\t1 Query\tSELECT 1\r",
    f"{_G}\t1 Query\tSELECT 'ünïcödé ✓ 日本'\nFROM t\r\n",
    f"{_G}\t1 Query\t\x0b\x00 control characters",
    f"{_G}\t1 Query\t" + "long text " * 10_000,
    f"2019-03-05T18:54:20.123456Z\t{'9' * 7} Query\tSELECT 1",
]
"""Records `sure` takes: MySQL general log records as RDS writes them (the time in UTC with microseconds), with
line ends, non-ASCII, control characters, a long text, and text that other parsers' guards and patterns read."""
_S3 = f"{_G}\t1 Query\txx [t] a b c d e - 200 g h i j k l - m"
"""S3's pattern matches it (a blank at the 65th character: S3's guard): S3 claims it, not sure (`] `)."""
_NOT_SURE = [
    # another parser's (the whole order gives it to them): sure leaves it to the CASE
    _S3,
    # mysql_general's, not sure: `] `, other times
    f"{_G}\t1 Query\tSELECT '[a] b'",
    f'{_G}\t1 Query\tx [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',
    f'{_G}\t1 Query\t[t] "GET / HTTP/1.1" 200 5 01234567-89ab-cdef-0123-456789abcdef',
    "2026-11-26T00:00:00.123Z\t1 Query\tmilliseconds",
    "2026-11-26T00:00:00Z\t1 Query\tno fraction",
    "2026-11-26T00:00:00.1234567Z\t1 Query\tseven digits",
    "2026-11-26T00:00:00.000000+02:00\t1 Query\ta zone",
    "2026-11-26T00:00:00.000000\t1 Query\tno zone",
    # text's: not a record, or not at the start
    "2026-11-26T00:00:00.00000Z\t\t1 Query\tfive digits, a tab at 28",
    f"{_G} 1 Query\ta blank for the tab",
    f"{_G}\t\t1 Query\ttwo tabs",
    f"{_G}\tx Query\tno thread",
    f"{_G}\t1  Query\ttwo blanks",
    f"{_G}\t1 query\tlower case",
    f"{_G}\t1 Qüery\tnon-ASCII command",
    f"{_G}\t1 Query",
    f"{_G}\t1 Query\r\tCR before the tab",
    f"{_G}\t1 Query\n\tLF before the tab",
    "2026-11-26 00:00:00.000000Z\t1 Query\ta blank for T",
    "२०२६-11-26T00:00:00.000000Z\t1 Query\tDevanagari digits",
    "2026-11-26T00:00:00.00000６Z\t1 Query\ta full-width digit",
    f" {_G}\t1 Query\tleading blank",
    f"\n{_G}\t1 Query\tleading LF",
    "Time                 Id Command    Argument",
    "",
]
"""Lines `sure` does not take, each next to a line it takes."""
_NOT_SURE_PARSERS = ["s3_access_log"] + ["mysql_general"] * 8 + ["text"] * 17
"""The parser of each line of _NOT_SURE, as the CASE in PARSERS order gives it."""
_VPC_RECORD = f"{_G}\t1 Query\tSELECT * FROM t"
_CUSTOM = [
    "version vpc-id subnet-id srcaddr dstaddr",  # VPC's header of 5 fields: its `custom` is true
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    _VPC_RECORD,
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there, and
a record of 5 words (split at blanks) is VPC's, as the whole order gives it."""


def _bench(seed: int) -> list[str]:
    """200 of the benchmark's records, and the same with other commands and arguments."""
    bench = benchmark_lines("mysql_general", 200, seed)
    other = [line.replace("Query\tSELECT", "Connect\tapp@10.0.0.5 on shop using TCP/IP SELECT") for line in bench]
    return [*bench, *other]


_NOISE = [
    *(" ", "  ", "\t", "\n", "\r\n", "\r", '"', "] ", '] "', "[", "{", ":", "0", "9", ".", "Z", "T", "-", "+02:00"),
    *("é", "日", "\x0b", "[Note] ", "stdout ", "START ", "tls ", "<13>", "# ", "/", ",", "OK ", "Query\t", "a"),
    *("12345678-1234-1234-1234-123456789012 ", '"GET / HTTP/1.1" ', "[10/Oct/2000:13:55:36 -0700] ", "1" * 9),
]
"""What _mutated inserts or puts in place: the characters and words that sure and the earlier parsers' guards and
patterns read."""


def _mutated(count: int) -> list[str]:
    """The benchmark's records, each with 1-3 insertions, deletions or replacements from _NOISE, half of them in the
    first 40 characters."""
    rng = random.Random(37)
    records = _bench(11)
    lines = []
    for i in range(count):
        line = records[i % len(records)]
        line = mutate(line, rng, _NOISE, 40)
        lines.append(line)
    return lines


def test_sure_records_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classification tests MysqlGeneralParser.sure before every parser ahead of it; each line keeps the parser the
    CASE in PARSERS order gives it: crafted records and near misses, 400 benchmark records, 2,000 mutated ones, 20
    lines of every format, every parser's examples and test_typed_golden.py's messages, each also with CR LF, and
    crafted and benchmark records again in an object whose VPC and CloudFront headers make those parsers count
    fields (`sure` is false there)."""
    crafted = (_SURE_CRAFTED, _NOT_SURE, _NOT_SURE_PARSERS)
    parser = MysqlGeneralParser()
    mutated, old = first_shortcut_runs(parser, crafted, _bench(13), _CUSTOM, monkeypatch, mutated=_mutated(2000))
    assert 200 < sum(mutated) < 1800  # the mutations hit and miss what sure reads
    assert old[:3] == ["text", "text", "vpc_flow_log"]  # the record of 5 words is VPC's


def test_no_parser_before_claims_a_record_sure_takes() -> None:
    """Every parser of MysqlGeneralParser.ahead_of, its own detection, is false on every crafted, benchmark and
    mutated record that `sure` takes (what the CASE's order needs), and mysql_general's is true."""
    lines = [*_SURE_CRAFTED, *_NOT_SURE, *_bench(5), *_mutated(2000)]
    assert sure_lines_claimed(MysqlGeneralParser(), lines) > len(_SURE_CRAFTED) + 400 + 200


def test_the_time_takes_the_matched_iso_fraction_path_with_the_cascade_s_values() -> None:
    """PREFIX's time group is timestamps.ISO_FRACTION with `T` only, so the struct's time is '' or a full match of
    it on every line, claimed or not, and the `matched_iso_fraction` path (no test) reads what ll_parse_time read:
    on the crafted lines and on times with fractions of 9 and 10 digits, offsets, Feb 29 2026 and 24:00."""
    from datetime import datetime

    from conftest import matched_time_rows
    from loglake.transform import timestamps

    parser = MysqlGeneralParser()
    assert parser.plan(None, 5).time_format == "matched_iso_fraction"
    assert PREFIX.startswith("(" + timestamps.ISO_FRACTION.replace("[T ]", "T") + ")\\t")
    times = [
        *("2026-11-26T10:00:00.123456789Z", "2026-11-26T10:00:00.1234567890Z", "2026-11-26T10:00:00.1234567890"),
        *("2026-11-26T10:00:00.5+05:30", "2026-02-29T10:00:00", "2026-11-26T24:00:00-01:00"),
    ]
    lines = [*_LINES, *(f"{t}\t7 Query\tx" for t in times)]
    rows = matched_time_rows(parser, lines, timestamps.ISO_FRACTION)
    assert len(rows) == len(lines) == 36
    # Not a comparison of NULLs: every claimed line's time is read but those of 10 fraction digits and Feb 29 2026.
    assert [r[0] for r in rows if r[1] and r[3] is None] == [31, 32, 34]
    assert sum(r[1] for r in rows) == 20
    assert rows[35][3] == datetime(2026, 11, 27, 1) and rows[30][3] == datetime(2026, 11, 26, 10, 0, 0, 123456)

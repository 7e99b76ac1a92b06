"""Access-log groups read with string functions (parsers/access_log.py _by_quotes) are the regex's own groups: on
every line the pattern accepts, the struct the plan stages equals regexp_extract of the whole pattern, and the
lines outside SHAPE (vhost, forwarded list, escapes, extra fields) take the regex."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_apache_error import corpus_lines

from conftest import (
    PARSER_EXAMPLES,
    benchmark_lines,
    classified_same_without_shortcut,
    cut_against_regex,
    first_shortcut_runs,
    golden_messages,
    sure_count,
    sure_lines_claimed,
)
from loglake.transform.parsers.access_log import EXAMPLES, AccessLogParser

JC = Path(__file__).parent / "vectors" / "jc" / "common-log-format.log"  # jc's test vectors (vectors/jc)
AGENT = '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"'
FAST = [
    '10.1.2.3 - user7 [26/Nov/2026:10:00:00 +0000] "GET /items/1?page=2 HTTP/1.1" 200 5120 "https://e.com/p" ' + AGENT,
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 304 - "-" "-"',
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "" 400 0 "" ""',
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /a[ ]b HTTP/1.1" 404 196 "-" "curl/8.5.0"',  # brackets in the path
    '10.1.2.3 - - [26/Nov/2026:10:00:00] "GET / HTTP/1.1" 200 1',  # common, a time without a space
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /caf\u00e9/e\u0301 HTTP/1.1" 200 1 "-" "\U0001f600"',
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /a\tb HTTP/1.1" 200 1 "-" "a\tb"',  # tabs inside quotes
    '10.1.2.3 - - [26/Nov/2026, 10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # `, ` in the time
]
SLOW = [
    '10.1.2.3 - us[er [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # `[` in the user
    'www.example.com:443 10.1.2.3 - - [26/Nov/2026:10:00:00 +0100] "GET / HTTP/1.1" 200 5120 "-" "curl/8"',  # vhost
    'intranet 10.1.2.3 - - [26/Nov/2026:10:00:02 +0000] "GET /wiki/ HTTP/1.1" 200 812',  # vhost_common
    '203.0.113.9, 10.0.0.1 - - [26/Nov/2026:10:00:03 +0000] "GET / HTTP/1.1" 200 1 "-" "okhttp/4.12.0"',  # a list
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET /a\\"b HTTP/1.1" 200 1 "-" "x\\\\y"',  # escapes
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl" "10.9.8.7"',  # nginx main
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "curl" 0.004 upstream',  # extra fields
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 - -',  # bare dashes
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "cut-off',  # no closing quote
    '10.1.2.3 - - [26/Nov/2026:10:00:00 [+0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # `[` in the time
    'a b c d [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # four tokens: a vhost
    'a b c [x] [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1',  # the time in the fifth token
    '10.1.2.3 - "u" [26/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # a quote in a token
]


def _staged(lines: list[str]) -> list[tuple[str, object, object, bool]]:
    return cut_against_regex(AccessLogParser(), lines)


def test_access_log_struct_by_quotes_equals_the_whole_patterns_groups() -> None:
    lines = [e.message for e in EXAMPLES] + JC.read_text().splitlines() + FAST + SLOW
    rows = _staged(lines)
    assert len(rows) == len(lines) - 4  # all but jc's two unparsable lines and two empty ones
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    fast = {message for message, _expected, _got, is_fast in rows if is_fast}
    assert fast >= set(FAST) and not fast & set(SLOW)
    assert len(fast) == 24  # FAST and 16 of the module's examples and jc's lines


def test_access_log_fast_values() -> None:
    """The values themselves, for the line shapes the fast path reads (the equality above could hide a
    regex that moved with it)."""
    (row,) = _staged([FAST[0]])
    assert row[2] == {
        "vhost": "",
        "vhost_port": "",
        "client_ip": "10.1.2.3",
        "client_id": "-",
        "user_id": "user7",
        "request_received_time": "26/Nov/2026:10:00:00 +0000",
        "client_request": "GET /items/1?page=2 HTTP/1.1",
        "server_status": "200",
        "returned_obj_size": "5120",
        "referrer": "https://e.com/p",
        "user_agent": AGENT.strip('"'),
        "forwarded_for": "",
        "extra_fields": "",
    }
    assert row[3] is True


# Classification's shortcut (AccessLogParser.sure, tested before every parser ahead of access_log: etl._shortcuts).
_C = "[10/Oct/2000:13:55:36 -0700]"
_UUID = "01234567-89ab-cdef-0123-456789abcdef"
_SURE_CRAFTED = [
    # sure: combined lines as Apache and nginx write them, with text that each earlier parser's guard or pattern reads
    f'10.1.2.3 - user7 {_C} "GET /items/1?page=2 HTTP/1.1" 200 5120 "https://e.com/p" {AGENT}',
    f'2001:db8::7 - - {_C} "GET / HTTP/1.1" 304 - "-" "-"',  # IPv6, no size
    f'::1 - - {_C} "" 400 0 "" ""',  # empty fields
    f'1 - - {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # a short address: its blank at 2
    f'12345 - - {_C} "a b c d e f g h" 200 1 "-" "-"',  # VPC's first word
    f'abcd - - {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # hex letters
    f'a b c {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # S3's `[` one word later
    f'10.1.2.3 - - {_C} "GET /x HTTP/1.1" 200 5 "{_UUID}" "{_UUID} x"',  # API Gateway's request id, quoted
    f'10.1.2.3 - - {_C} "GET /x HTTP/1.1 200 5 {_UUID}" 200 5 "-" "-"',  # and inside the request
    f'10.1.2.3 - - {_C} "GET /a[ ]b HTTP/1.1" 404 196 "-" "curl/8.5.0"',  # brackets in the path
    f'10.1.2.3 - - {_C} "GET /a\tb HTTP/1.1" 200 1 "-" "a\tb\tc\td\te\tf"',  # tabs inside quotes
    f'10.1.2.3 - - {_C} "GET /caf\u00e9 HTTP/1.1" 200 1 "-" "\U0001f600 \x0b\x00"',  # non-ASCII, control characters
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 "-" "a\nb\r\n"',  # LF inside the agent
    f'10.1.2.3 - - {_C} "START RequestId: 1 tls {{log:1}} OK" 200 1 "-" "NODATA"',
    f'10.1.2.3 x\x0by u {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # a vertical tab: not in RE2's `\s`
    f'10.1.2.3 - - [10/Oct/2000:13:55:36 +0000] "{"x" * 50_000}" 200 1 "-" "-"',  # a long request
]
"""Lines `sure` takes: combined lines with an IPv4 or IPv6 client, with line ends, non-ASCII, control characters,
tabs, a long request, and text that other parsers' guards and patterns read."""
_NOT_SURE = [
    # another parser's (the whole order gives it to them), ending with `"` as a combined line: sure leaves them
    f'10.1.2.3 - - {_C} "GET /x HTTP/1.1" 200 5 {_UUID} "x"',  # API Gateway's CLF, a last word
    f'10.1.2.3 - - {_C} "GET /x HTTP/1.1" 200 5 "-" {_UUID} "x"',  # (not API Gateway's: access_log's)
    f'ab cd {_C} 10.0.0.1 arn:aws:iam::1:usr/a 3E57427F REST.GET.OBJECT k "GET / HTTP/1.1" 200 - 1 1 1 1 1 "-" "ua"',  # S3's
    f'2026-11-26T00:00:00.000Z {_UUID} INFO - {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # Lambda text's
    f'2026-11-26T00:00:00.000Z {_UUID} INFO {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # three words before the time
    # access_log's (or text's), not sure: other clients, times, fields and line ends
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1',  # common
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 - -',
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 "-" "curl" "10.9.8.7"',  # nginx main
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 "-" "-"\r\n',
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 "-" "-" ',
    f'www.example.com:443 10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 5120 "-" "curl/8"',  # vhost
    f'203.0.113.9, 10.0.0.1 - - {_C} "GET / HTTP/1.1" 200 1 "-" "okhttp/4.12.0"',  # a forwarded list
    f'host.example.com - - {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # a host name
    f'10.1.2.3 - - {_C} "GET /a\\"b HTTP/1.1" 200 1 "-" "x"',  # escapes
    f'10.1.2.3 - us[er {_C} "GET / HTTP/1.1" 200 1 "-" "-"',
    f'10.1.2.3 - "u" {_C} "GET / HTTP/1.1" 200 1 "-" "-"',
    f'10.1.2.3 -  - {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # two blanks
    f'10.1.2.3\t- - {_C} "GET / HTTP/1.1" 200 1 "-" "-"',
    '10.1.2.3 - - [26/Nov/2026:10:00:00] "GET / HTTP/1.1" 200 1 "-" "-"',  # no zone
    '10.1.2.3 - - [26/nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
    '10.1.2.3 - - [6/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
    '10.1.2.3 - - [26/Nov/2026:10:00:00 +00:00] "GET / HTTP/1.1" 200 1 "-" "-"',
    '10.1.2.3 - - [26/Nov/2026:10:00:00.123 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
    '10.1.2.3 - - [26/Nov/2026:1\uff10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',  # a full-width digit
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" - 1 "-" "-"',  # `-` status
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 2000 1 "-" "-"',
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 - "-"',
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 "-" "cut-off',
    f' 10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 1 "-" "-"',  # a leading blank
    '"',
    "",
]
"""Lines `sure` does not take, each next to a line it takes."""
_NOT_SURE_PARSERS = [
    *("apigateway_access_log", "access_log", "s3_access_log", "lambda_text", "lambda_text", "access_log"),
    "access_log",
    *("access_log", "access_log", "access_log", "access_log", "access_log", "access_log", "access_log"),
    *("access_log", "access_log", "text", "text", "access_log", "access_log", "access_log", "access_log"),
    *("access_log", "access_log", "access_log", "text", "access_log", "access_log", "text", "text", "text"),
]
"""The parser of each line of _NOT_SURE, as the CASE in PARSERS order gives it."""
_CUSTOM = [
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end",  # VPC's
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    f'10.1.2.3 - - {_C} "GET / HTTP/1.1" 200 5 "-" "curl"',  # VPC's 12 fields
    f'10.1.2.3 - - {_C} "GET/ HTTP/1.1" 200 5 "-" "a\tb\tc\td\te\tf"',  # CloudFront's 6 fields (11 words)
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there, and
its combined lines of 12 words or 6 tab-separated fields are theirs, as the whole order gives them."""


def _bench(seed: int) -> list[str]:
    """400 benchmark lines (parser_throughput.py's combined lines), and the same with IPv6 clients."""
    lines = benchmark_lines("access_log", 200, seed)
    return [*lines, *(re.sub(r"^10\.(\d+)\.(\d+)\.(\d+) ", r"2001:db8::\1:\2:\3 ", line) for line in lines)]


def test_sure_lines_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classification tests AccessLogParser.sure before every parser ahead of access_log; each line keeps the parser
    the CASE in PARSERS order gives it: crafted lines and near misses, 400 benchmark lines, 20 lines of every format,
    every parser's examples and test_typed_golden.py's messages, each also with CR LF, and the crafted and benchmark
    lines again in an object whose VPC and CloudFront headers make those parsers count fields (`sure` is false
    there)."""
    corpus = [*PARSER_EXAMPLES, *golden_messages(), *(line for line in JC.read_text().splitlines())]
    crafted = (_SURE_CRAFTED, _NOT_SURE, _NOT_SURE_PARSERS)
    old = first_shortcut_runs(AccessLogParser(), crafted, _bench(13), _CUSTOM, monkeypatch, corpus=corpus)[1]
    assert old[:4] == ["text", "text", "vpc_flow_log", "cloudfront"]  # the header of 7 words is not VPC's 12


def test_no_parser_before_claims_a_line_sure_takes() -> None:
    """Every parser of AccessLogParser.ahead_of, its own detection, is false on every crafted line and benchmark line
    that `sure` takes (what the CASE's order needs), and access_log's is true."""
    bench = _bench(5)
    lines = [*_SURE_CRAFTED, *_NOT_SURE, *bench]
    assert sure_lines_claimed(AccessLogParser(), lines) == len(_SURE_CRAFTED) + 400


@pytest.mark.parametrize("path", ["guarded", "large", "lambda_text", "logfmt"])
@pytest.mark.parametrize("headers", [False, True], ids=["plain", "headers"])
def test_shortcut_keeps_every_line_s_parser_in_classify_lines(
    monkeypatch: pytest.MonkeyPatch, headers: bool, path: str
) -> None:
    """AccessLogParser.sure against the CASE without it, through etl.classify_lines (markers, settled values, the LINE
    column) on the small object's guard pass and the large object's path (without a likely format, and with Lambda
    text's or logfmt's groups read from their column): corpus_lines (test_apache_error.py) with 2,000 mutated combined
    lines and the crafted lines, with and without the VPC and CloudFront headers: the same format, reason and table on
    every line."""
    lines = corpus_lines("access_log", headers, path, [*_SURE_CRAFTED, *_NOT_SURE])
    new = classified_same_without_shortcut(lines, monkeypatch, "access_log", path)
    taken = sure_count(AccessLogParser(), lines)
    if headers:
        assert taken == 0
    else:
        assert [row[0] for row in new[-len(_NOT_SURE) :]] == _NOT_SURE_PARSERS
        assert taken > (400 if path == "guarded" else 550)  # bench, crafted, mutated
    assert [row[0] for row in new].count("access_log") > (1350 if path == "guarded" else 1550)

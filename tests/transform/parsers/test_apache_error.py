"""apache_error detects its lines by the pattern's prefix and cuts the groups of httpd 2.4's usual line
(apache_error.SHAPE): the same claims, groups and column values as the whole pattern's full match and
extraction with the column expressions of before, on crafted lines."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from conftest import (
    PARSER_EXAMPLES,
    VPC_CLOUDFRONT_HEADERS,
    benchmark_lines,
    benchmark_module,
    classified_rows,
    classified_same_without_shortcut,
    every_format_lines,
    first_shortcut_runs,
    golden_messages,
    is_object_header,
    macro_connection,
    mutate,
    sure_count,
    sure_lines_claimed,
)
from loglake.transform import etl, likely_format
from loglake.transform.parsers.apache_error import (
    CLIENT,
    CLIENT_PORT,
    PREFIX,
    SHAPE,
    ApacheErrorParser,
)
from loglake.transform.parsers.base import Column, RegexParser, text

_T = "[Wed Oct 11 14:32:52.123456 2000]"
_HEAD = f"{_T} [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:41716] "
_LINES = [
    _HEAD + "File does not exist: /usr/local/apache2/htdocs/favicon.ico",  # the usual shape
    _HEAD,  # no text
    _HEAD + "\n",
    _HEAD + "\r\n",
    _HEAD.rstrip() + "\r\n",  # no space before the line end: no match
    _HEAD + "x\r\n\r\n",
    _HEAD + "(13)Permission denied: access to /index.html denied",  # the APR error after the client
    _HEAD + "(13)no colon",
    _HEAD + "(x) y: z",
    _HEAD + "\nsecond line\r\nthird",
    _HEAD + "] [ brackets ] [pid 1:tid 2] [client 1.2.3.4:5] twice",
    _HEAD + "[client 9.9.9.9:1] again",
    _HEAD + " two spaces",
    _HEAD + "ünïcödé ✓ 日本",
    _HEAD.replace("core:error", ":error"),  # an empty module
    _HEAD.replace("core:error", "error") + "no module",
    _HEAD.replace("core:error", "mod x[y:notice") + "a module with a space and a bracket",
    _HEAD.replace("core:error", "core:ERROR") + "upper case level",
    _HEAD.replace("core:error", "core:err:or") + "two colons",
    _HEAD.replace("core:error", "core:trace8") + "digits",
    _HEAD.replace(_T, "[Mër Öct 11 14:32:52 2000]") + "non-ASCII time",
    _HEAD.replace(_T, "[e\u0301\U0001f986 11 14:32:52 2000]") + "combining mark and emoji",
    _HEAD.replace(_T, "[a[b]") + "a bracket in the time",
    _HEAD.replace(_T, "[01/Mar/2021:12:00:19 +0000]") + "CLF",
    _HEAD.replace(_T, "[2026-11-26 10:00:00.123456]") + "ISO",
    _HEAD.replace(_T, "[]") + "empty time",
    _HEAD.replace(_T, "[line\nfeed]") + "LF in the time",
    _HEAD.replace("35708:tid 4328636416", "35708") + "no tid",
    _HEAD.replace("35708:tid 4328636416", "35708:tid x") + "tid not digits",
    _HEAD.replace("35708:tid 4328636416", "\uff11:tid 2") + "full-width digit",
    _HEAD.replace("35708:tid 4328636416", "99999999999999999999:tid 2") + "pid past BIGINT",
    _HEAD.replace("[pid 35708:tid 4328636416] ", "") + "no pid block",
    _HEAD.replace("] [client", "]  [client") + "two spaces before the client",
    _HEAD.replace("] [client", "][client") + "no space before the client",
    _HEAD.replace("] [client", "] mod_x.c(12): [client") + "%F",
    _HEAD.replace("] [client", "] (70007)The timeout specified has expired: [client") + "%E",
    _HEAD.replace("72.15.99.187:41716", "72.15.99.187") + "no port",
    _HEAD.replace("72.15.99.187:41716", "2001:db8::7:40112") + "IPv6",
    _HEAD.replace("72.15.99.187:41716", "-:80") + "dash host",
    _HEAD.replace("72.15.99.187:41716", ":80") + "no host",
    _HEAD.replace("72.15.99.187:41716", "a\nb:80") + "LF in the client",
    _HEAD.replace("72.15.99.187:41716", "host:") + "no port digits",
    _HEAD.replace("72.15.99.187:41716", "h:99999999999") + "port past INTEGER",
    _HEAD.replace("72.15.99.187:41716", "h:0080") + "leading zeros",
    _HEAD.replace("72.15.99.187:41716", "hôst ✓:8") + "non-ASCII host",
    _HEAD.replace("[client 72.15.99.187:41716] ", "") + "no client",
    "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    "[Tue Mar 08 10:34:31 2005] [error] [client 192.0.2.44] (13)Permission denied: access denied",
    "[Thu Nov 26 10:00:04.100000 2026] [ssl:debug] [pid 1310:tid 1311] ssl_engine_kernel.c(2377): "
    "[client 2001:db8::7:40112] AH02043: SSL virtual host",
    " " + _HEAD + "leading space",
    "[Sun Dec 04 04:47:44 2005] [notice]",
    "[Sun Dec 04 04:47:44 2005] [notice]\n",
    "plain words",
    "",
    "\r\n",
]
_CLAIMED = 46
_FAST = 24


class _Before(RegexParser):
    """The parser as it was (commit da68c6c): the whole pattern's full match and groups, the client's columns
    over them."""

    name = ApacheErrorParser.name
    table = ApacheErrorParser.table
    pattern = ApacheErrorParser.pattern
    guard = ApacheErrorParser.guard
    groups = ApacheErrorParser.groups
    columns = tuple(
        Column(c.name, c.type, CLIENT if c.name == "client" else CLIENT_PORT)
        if c.name in ("client", "client_port")
        else c
        for c in ApacheErrorParser.columns
    )
    time = ApacheErrorParser.time
    time_format = ApacheErrorParser.time_format
    level = ApacheErrorParser.level


def _values(con: Any, parser: RegexParser) -> list[tuple[Any, ...]]:
    plan = parser.plan(con, 5)
    rows = etl.staged_rows(parser.name, parser.table, plan)
    exprs = ", ".join([plan.time, plan.level, *(f.expression for f in plan.fields)])
    return con.execute(f"SELECT i, {exprs} FROM ({rows}) ORDER BY i").fetchall()


def test_prefix_detection_and_the_cut_give_the_whole_pattern_s_claims_groups_and_columns() -> None:
    parser, before = ApacheErrorParser(), _Before()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, _LINES)
    claims = con.execute(
        f"SELECT {parser.detect('message')}, {before.detect('message')} FROM classified ORDER BY i"
    ).fetchall()
    assert [new for new, _ in claims] == [old for _, old in claims]
    assert sum(new for new, _ in claims) == _CLAIMED
    con.execute(f"DELETE FROM classified WHERE NOT {before.detect('message')}")
    # Every column, the time string and the level, as before.
    assert _values(con, parser) == _values(con, before)
    # The staged groups are the regex's, and the cut read the lines of the usual shape.
    plan = parser.plan(con, 5)
    rows = etl.staged_rows(parser.name, parser.table, plan)
    s = parser.struct_column
    groups = ", ".join(f"{s}.{g}" for g in parser.groups)
    after = con.execute(f"SELECT {groups}, {s}_head.whole <> '' FROM ({rows}) ORDER BY i").fetchall()
    old = before.plan(con, 5)
    old_rows = etl.staged_rows(before.name, before.table, old)
    was = con.execute(f"SELECT {groups} FROM ({old_rows}) ORDER BY i").fetchall()
    assert [row[:-1] for row in after] == was
    assert len(was) == _CLAIMED and sum(row[-1] for row in after) == _FAST
    assert [row[-1] for row in after][:4] == [True, True, True, True]
    first = dict(zip(parser.groups, after[0][:-1], strict=True))
    assert first == {
        **dict.fromkeys(parser.groups, ""),
        "ts": _T[1:-1],
        "module": "core",
        "severity": "error",
        "pid": "35708",
        "tid": "4328636416",
        "client": "72.15.99.187:41716",
        "msg": "File does not exist: /usr/local/apache2/htdocs/favicon.ico",
    }


def test_the_pattern_is_the_prefix_then_the_text_and_the_shape_is_one_pass_sized() -> None:
    parser = ApacheErrorParser()
    assert parser.pattern == "(?s)" + PREFIX + "(.*)" and PREFIX.endswith(" ")
    assert re.compile(SHAPE.replace(r"\z", "$")).groups == 4  # RE2's one-pass engine extracts 4 groups at most
    assert not likely_format.eligible(parser)
    assert {c.name for c in parser.columns} == {c.name for c in _Before.columns} and text("x").value == "{s}.x"


# Classification's shortcut (ApacheErrorParser.sure, tested before every parser ahead of apache_error: etl._shortcuts).
_W = "[Wed Oct 11 14:32:52.123456 2000]"
_UUID = "01234567-89ab-cdef-0123-456789abcdef"
_SURE_CRAFTED = [
    # sure: httpd's own time and a level block, with text that each earlier parser's guard or pattern reads
    f"{_W} [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:41716] File does not exist: /favicon.ico",
    "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    "[Tue Mar 08 10:34:31 2005] [error] [client 192.0.2.44] (13)Permission denied: access to /index.html denied",
    "[Thu Nov 26 10:00:01.482112 2026] [:error] [pid 2241] [client 198.51.100.7:53312] PHP Warning:  $user",
    "[Mon Jan 01 00:00:00 1999] [mpm_event:notice] [pid 1:tid 2] AH00489: Apache/2.4.62 (Debian) configured",
    "[Fri Feb 29 23:59:59.1 2024] [x-y:trace8] one digit of fraction",
    "[Sat Sep 30 12:00:00.123456789 2026] [ssl:debug] nine digits of fraction",
    f"{_W} [mod x[y:info] a module with a blank and a bracket",
    f"{_W} [:warn] ",
    f"{_W} [warn]  two blanks",
    f'{_W} [core:error] [client 10.0.0.1:5] x [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',
    f'{_W} [core:error] a b c "GET / HTTP/1.1" 200 5 {_UUID}',
    f"{_W} [core:error] a b c d e - 200 g h i j k l - m n o p q r s t u v w x y z: S3's fields and dashes",
    f'{_W} [core:error] aa b c d e "GET / HTTP/1.1" 200 g h i j k l "ua" m: S3\'s quoted fields',
    f"{_W} [core:error] a\tb\tc\td\te\tf",
    f"{_W} [core:error] a b c d",
    f'{_W} [core:error] START RequestId: 1 Version: $LATEST tls 1.0 x stdout F {{"log":1}} <13>1 # Time: x',
    f"{_W} [core:error] [INFO] 2026-11-26T00:00:00.000Z 12345678-1234-1234-1234-123456789012 x",
    f"{_W} [core:error] 2026/11/26 00:00:00 [error] 1#1: x\n\tat a.b(c)\n  File x",
    f"{_W} [core:error] CR LF\r\n",
    f"{_W} [core:error] LF LF\n\n",
    f"{_W} [core:error] lone CR\r",
    f"{_W} [core:error] ünïcödé ✓ 日本\nsecond line\r\n",
    f"{_W} [core:error] \x0b\t\x00 control characters",
    f"{_W} [core:error] " + "long text " * 10_000,
    "[Wed Oct 11 14:32:52 2000] [core:error] [pid 1] glued[client x] text",
]
"""Lines `sure` takes: httpd's own time (2.2 and 2.4, with and without a fraction) and a level block, with line ends,
non-ASCII, control characters, a long text, and text that other parsers' guards and patterns read."""
_NOT_SURE = [
    # another parser's (the whole order gives it to them), starting as httpd's line does: sure leaves them
    '[Wed Oct 11 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',  # access_log's: `[` at 13
    '[Wed Oct 11 14:32:52 [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',  # with a virtual host
    '[Wed Oct, 11 14:32:52 2000] [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',  # a client list
    f'[Wed Oct  11 [10/Oct/2000:13:55:36 +0000] "GET /x HTTP/1.1" 200 5 {_UUID}',  # API Gateway's CLF
    "[Wed Oct [11/Oct/2000:13:55:36 -0700] 10.0.0.1 arn:iam::1:user/a 3E57427F REST.GET.OBJECT k "
    '"GET /k HTTP/1.1" 200 - 1 1 1 1 "-" "ua" -',  # S3's: `[` at 10
    # the same, with a time and a level block as PREFIX reads them, but not httpd's time: SURE needs httpd's
    '[Wed Oct 11] [error] "GET / HTTP/1.0" 200 5',  # access_log's
    f'[Wed Oct  11] [error] "GET /x HTTP/1.1" 200 5 {_UUID}',  # API Gateway's
    '[Wed Oct [x] [error] arn:iam::1:user/ab 3E57427F REST.GET.OBJECT k "GET /k HTTP/1.1" 200 - 1 1 1 1 "-" "ua" -',
    "[INFO] 2026-11-26T00:00:00.000Z 12345678-1234-1234-1234-123456789012 [Wed Oct 11 14:32:52 2000] [core:error] x",
    "[Wed]\t2026-11-26T00:00:00.000Z\t12345678-1234-1234-1234-123456789012\t[core:error] x",  # Lambda text's
    # apache_error's (or text's), not sure: other times, spacing and level blocks
    _HEAD.replace(_T, "[01/Mar/2021:12:00:19 +0000]") + "CLF",
    _HEAD.replace(_T, "[2026-11-26 10:00:00.123456]") + "ISO",
    f"{_W} [core:ERROR] upper case level",
    f"{_W} [core:error]x",
    f"{_W} [core:error]",
    f"{_W} [core:error]\r\n",
    f"{_W}  [core:error] two blanks",
    f"{_W}[core:error] glued",
    f"{_W} core:error no block",
    "[Wed Oct 1 14:32:52 2000] [core:error] one digit of day",
    "[Wed Oct  1 14:32:52 2000] [core:error] a blank for a digit",
    "[Wed Oct 11 14:32:52. 2000] [core:error] a dot without digits",
    "[Wed Oct 11 14:32:52 20000] [core:error] five digits of year",
    "[Wed Oct 11 4:32:52 2000] [core:error] one digit of hour",
    "[Wed Oct 11 14:32:52 2000 CEST] [core:error] a zone",
    "[wed oct 11 14:32:52 2000] [core:error] lower case",
    "[Wed Okt 11 14:32:52 2000] [core:error] another language",
    "[Wen Oct 11 14:32:52 2000] [core:error] no weekday",
    "[Wed\tOct 11 14:32:52 2000] [core:error] a tab",
    "[Wed Oct 1１ 14:32:52 2000] [core:error] a full-width digit",
    f" {_W} [core:error] leading blank",
    f"\n{_W} [core:error] leading LF",
    "[Wed",
    "",
]
"""Lines `sure` does not take, each next to a line it takes."""
_NOT_SURE_PARSERS = [
    *("access_log", "access_log", "access_log", "apigateway_access_log", "s3_access_log", "access_log"),
    *("apigateway_access_log", "s3_access_log", "lambda_text"),
    *("lambda_text", "apache_error", "apache_error", "text", "text", "text", "text", "text", "text", "text"),
    *("apache_error", "apache_error", "apache_error", "apache_error", "apache_error", "apache_error"),
    *("apache_error", "apache_error", "apache_error", "apache_error", "apache_error", "text", "text", "text"),
    "text",
]
"""The parser of each line of _NOT_SURE, as the CASE in PARSERS order gives it."""
_CUSTOM = [
    "version vpc-id subnet-id srcaddr dstaddr action log-status",  # VPC's header: its `custom` is true
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    "[Wed Oct 11 14:32:52 2000] [core:error] a",  # VPC's 7 fields
    f"{_W} [core:error] x a\tb\tc\td\te\tf",  # CloudFront's 6 fields (8 words)
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there, and
its httpd lines of 7 words or 6 tab-separated fields are theirs, as the whole order gives them."""


def _bench(seed: int) -> list[str]:
    """400 benchmark lines: httpd 2.4's (parser_throughput.py), and the same without a fraction, as 2.2 writes."""
    lines = benchmark_lines("apache_error", 200, seed)
    return [*lines, *(re.sub(r"\.\d{6} ", " ", line, count=1) for line in lines)]


def test_sure_lines_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classification tests ApacheErrorParser.sure before every parser ahead of apache_error; each line keeps the
    parser the CASE in PARSERS order gives it: crafted lines and near misses, 400 benchmark lines, 20 lines of every
    format, every parser's examples and test_typed_golden.py's messages, each also with CR LF, and the crafted and
    benchmark lines again in an object whose VPC and CloudFront headers make those parsers count fields (`sure` is
    false there)."""
    crafted = (_SURE_CRAFTED, _NOT_SURE, _NOT_SURE_PARSERS)
    old = first_shortcut_runs(ApacheErrorParser(), crafted, _bench(13), _CUSTOM, monkeypatch)[1]
    assert old[:4] == ["text", "vpc_flow_log", "vpc_flow_log", "cloudfront"]  # the line of 7 words is VPC's


def test_no_parser_before_claims_a_line_sure_takes() -> None:
    """Every parser of ApacheErrorParser.ahead_of, its own detection, is false on every crafted line and benchmark
    line that `sure` takes (what the CASE's order needs), and apache_error's is true."""
    bench = _bench(5)
    lines = [*_SURE_CRAFTED, *_NOT_SURE, *bench, *(line + "\r\n" for line in bench)]
    assert sure_lines_claimed(ApacheErrorParser(), lines) == len(_SURE_CRAFTED) + 800


_NOISE = [
    *(" ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", '"', '] "', " - ", "-", "[", "]", "] [", ":", ",", ".", "/", "0"),
    *("9", "é", "日", "{", "START ", "tls ", "# ", "<13>", "Wed ", "Oct ", "2000] ", "[core:error] ", "[error] "),
    *("[pid 1:tid 2] ", "[client 10.0.0.1:5] ", "[10/Oct/2000:13:55:36 -0700] ", '"GET / HTTP/1.1" 200 5 ', '"-" '),
    *("01234567-89ab-cdef-0123-456789abcdef", "2026-11-26T00:00:00.000Z ", "10.0.0.1 ", "a:80 ", "\\"),
]
"""What mutations insert or put in place: the characters and words that the shortcuts and the earlier parsers' guards
and patterns read (blanks, line ends, quotes, brackets, digits, the times' characters, httpd's blocks, a CLF time and
request, other formats' first words, a request id, an address and a port)."""


def mutated(name: str, count: int, seed: int) -> list[str]:
    """The benchmark's lines of format `name`, each with 1-3 insertions, deletions or replacements from _NOISE, half
    of them in the first 45 characters."""
    rng = random.Random(seed)
    make = benchmark_module("parser_throughput").GENERATORS[name]
    lines = []
    for i in range(count):
        line = make(rng, i)
        line = mutate(line, rng, _NOISE, 46)
        lines.append(line)
    return lines


def corpus_lines(name: str, headers: bool, path: str, extra: list[str]) -> list[str]:
    """Every parser's examples, the golden messages, 100 benchmark lines of every format and 2,000 mutated lines of
    format `name`, with the VPC and CloudFront headers first or without lines those would take as headers; a small
    object (its last 4,000 lines) for the guard pass; then `extra`."""
    generated = every_format_lines(100, 19)
    lines = [*PARSER_EXAMPLES, *golden_messages(), *generated, *mutated(name, 2000, 31)]
    lines = [line for line in lines if not is_object_header(line)]
    lines = lines[-4_000:] if path == "guarded" else lines
    return [*(VPC_CLOUDFRONT_HEADERS if headers else []), *lines, *extra]


@pytest.mark.parametrize("path", ["guarded", "large", "lambda_text", "logfmt"])
@pytest.mark.parametrize("headers", [False, True], ids=["plain", "headers"])
def test_shortcut_keeps_every_line_s_parser_in_classify_lines(
    monkeypatch: pytest.MonkeyPatch, headers: bool, path: str
) -> None:
    """ApacheErrorParser.sure against the CASE without it, through etl.classify_lines (markers, settled values, the
    LINE column) on the small object's guard pass and the large object's path (without a likely format, and with
    Lambda text's or logfmt's groups read from their column): corpus_lines with 2,000 mutated httpd lines and the
    crafted lines, with and without the VPC and CloudFront headers: the same format, reason and table on every line."""
    lines = corpus_lines("apache_error", headers, path, [*_SURE_CRAFTED, *_NOT_SURE])
    new = classified_same_without_shortcut(lines, monkeypatch, "apache_error", path)
    taken = sure_count(ApacheErrorParser(), lines)
    if headers:  # 7 blank-separated words are VPC's there
        assert taken == 0
    else:
        assert [row[0] for row in new[-len(_NOT_SURE) :]] == _NOT_SURE_PARSERS
        assert taken > (450 if path == "guarded" else 550)  # bench, crafted, mutated
    assert [row[0] for row in new].count("apache_error") > (1300 if path == "guarded" else 1400)

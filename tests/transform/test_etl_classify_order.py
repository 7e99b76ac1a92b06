"""Classification's shortcuts (etl._shortcuts: WafParser.sure, logfmt's kept_sure, MysqlErrorParser.sure): a parser is
tested early where it is sure, and every line keeps the parser that the whole PARSERS order gives it."""

from __future__ import annotations

import random
import re

import pytest

from conftest import (
    PARSER_EXAMPLES,
    VPC_CLOUDFRONT_HEADERS,
    benchmark_module,
    classified_events,
    classified_same_without_shortcut,
    classifying_connection,
    every_format_lines,
    golden_messages,
    is_object_header,
    mutate,
    sure_count,
)
from loglake.transform import etl, likely_format, markers
from loglake.transform.parsers import PARSERS, logfmt
from loglake.transform.parsers.mysql_error import MysqlErrorParser
from loglake.transform.settings import EtlSettings

# WAF records that one of the parsers WAF is now tested ahead of claims (or nearly does), records of those
# parsers that hold WAF's fields, and edges: escaped keys, JSON nulls, duplicate keys, blanks before the
# brace, a line end, non-ASCII, invalid JSON, not JSON.
CRAFTED = [
    '{"webaclId":"a","httpRequest":{"httpMethod":"GET"},"requestId":"r"}',
    '{"webaclId":"a","httpRequest":{"httpMethod":"GET"},"requestId":null}',
    '{"webaclId":"a","httpRequest":{},"requestId":"r"}',
    '{"webaclId":"a","httpRequest":{},"routeKey":"GET /x","requestId":"r"}',
    '{"webaclId":"a","httpRequest":{},"request\\u0049d":"r","httpMethod":"GET"}',
    '{"webaclId":"é","httpRequest":{"uri":"\\u00e9"},"requestId":"ü","httpMethod":"GET"}',
    '{"webaclId":"a","httpRequest":{},"requestId":"r","httpMethod":"GET"}\r\n',
    '{"log":"x\\n","stream":"stdout","time":"2026-11-30T08:00:00Z","attrs":{},"webaclId":"a","httpRequest":{}}',
    '{"log":"x","webaclId":"a","httpRequest":{}}',
    '{"log":"\\"webaclId\\":1,\\"httpRequest\\":{}","stream":"stdout","time":"2026-11-30T08:00:00Z"}',
    '{"ecs_task_arn":"arn:x","container_name":"c","webaclId":"a","httpRequest":{}}',
    '{"webaclId":"a","httpRequest":{},"ecs_task_arn":"arn:x"}',
    '{"webaclId":"a","httpRequest":{},"ecs_task_arn":null,"container_name":"c"}',
    '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}],"webaclId":"a","httpRequest":{}}',
    '{"resourceLogs":"x","webaclId":"a","httpRequest":{}',
    '{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","webaclId":"a","httpRequest":{}}',
    '{"type":"platform.start","webaclId":"a","httpRequest":{}}',
    '{"webaclId":"a","webaclId":null,"httpRequest":1}',
    '{"webaclId":null,"httpRequest":{}}',
    ' {"webaclId":"a","httpRequest":{}}',
    '{"webaclId":"a","httpRequest":{}',
    '{"httpRequest":{"webaclId":"a"}}',
    '{"xwebaclId":1,"web\\u0061clId":"a","httpRequest":{}}',
    '{"requestId":"r","httpMethod":"GET"}',
    "webaclId httpRequest requestId",
    "",
]
"""The parser of each line of CRAFTED, as the CASE in PARSERS order gave it before the shortcut."""
CRAFTED_PARSERS = [
    *("apigateway_json", "waf", "waf", "apigateway_json", "waf", "apigateway_json", "apigateway_json"),
    *("waf", "waf", "container_docker", "ecs_firelens", "waf", "waf", "otlp_json", "json", "cloudtrail"),
    *("lambda_platform_json", "waf", "json", "json", "json", "json", "json", "apigateway_json", "text", "text"),
]


def _classify(lines: list[str], excluded: frozenset[str], marked: bool) -> list[str]:
    con = classifying_connection(lines)
    parser_sql, _table = etl._routing(EtlSettings(), excluded, marked=marked)
    found = markers.marked_sql(PARSERS) if marked else "NULL"
    query = f"SELECT {parser_sql} FROM (SELECT *, rowid AS n, {found} AS {markers.MARKED} FROM raw_lines) ORDER BY n"
    return [str(row[0]) for row in con.execute(query).fetchall()]


@pytest.mark.parametrize("marked", [False, True], ids=["plain", "marked"])
@pytest.mark.parametrize("excluded", [frozenset(), frozenset({"container_docker", "otlp_json"})], ids=["all", "cut"])
def test_every_line_keeps_its_parser(monkeypatch: pytest.MonkeyPatch, excluded: frozenset[str], marked: bool) -> None:
    """The CASE with the shortcut against the CASE in plain PARSERS order (no shortcut), on every parser's
    examples, the golden messages, the benchmark's lines of every format and CRAFTED."""
    generated = every_format_lines(25, 13)
    lines = [*PARSER_EXAMPLES, *golden_messages(), *generated, *CRAFTED]
    new = _classify(lines, excluded, marked)
    monkeypatch.setattr(etl, "_shortcuts", lambda order, likely=None: {})
    old = _classify(lines, excluded, marked)
    moved = [(line, o, n) for line, o, n in zip(lines, old, new, strict=True) if o != n]
    assert moved == []
    assert len(generated) == 25 * 34
    if not excluded:
        assert new[-len(CRAFTED) :] == CRAFTED_PARSERS
        assert new.count("waf") == 7 + 2 + 25 + 7  # golden, examples, benchmark lines, crafted


def test_waf_is_tested_before_the_json_shapes_it_passed_where_it_is_sure() -> None:
    """A WAF record paid API Gateway JSON's whole detection (a validation and a parse, about 0.1 s of CPU
    per 50,000 records) and three more shapes' before WAF's own; `sure` is tested before them, and WAF's
    detection stays in its place for the records it cannot be sure of."""
    parser_sql, _table = etl._routing(EtlSettings())
    names = {p.name for p in PARSERS}
    order = [name for name in re.findall(r"THEN '(\w+)'", parser_sql) if name in names]
    # The `sure` of stack_trace, mysql_slow, mysql_general, mysql_error, apache_error and access_log, before every
    # parser (their tests: test_stack_trace.py, test_mysql_*.py, test_apache_error.py, test_access_log.py)
    assert order[:6] == ["stack_trace", "mysql_slow", "mysql_general", "mysql_error", "apache_error", "access_log"]
    order = order[6:]
    assert order[:5] == ["lambda_platform_json", "cloudtrail", "waf", "apigateway_json", "container_docker"]
    assert len(order) == len(PARSERS) + 3  # WAF's and the two syslog parsers' (after the JSON shapes) twice
    assert order.count("waf") == 2
    assert order.index("waf", 3) == order.index("otlp_json") + 1
    assert parser_sql.count("'$.ecs_task_arn']") == 1  # WAF's fields and the two keys: one parse
    # The unquoted name first: `"` is everywhere in a JSON line, and contains() scans for the first byte.
    assert parser_sql.count("""contains(message, 'webaclId"') AND contains(message, '"webaclId"')""") == 1


def test_shortcut_only_where_every_parser_between_is_ruled_out() -> None:
    """`sure` rules out only WafParser.ahead_of: with any other parser between, no shortcut."""
    shapes = ["cloudtrail", "apigateway_json", "container_docker", "ecs_firelens", "otlp_json", "waf", "json"]
    assert etl._shortcuts(shapes) == {"waf": "apigateway_json"}
    assert etl._shortcuts([s for s in shapes if s not in ("apigateway_json", "container_docker")]) == {
        "waf": "ecs_firelens"
    }
    assert etl._shortcuts(["apigateway_json", "json", "waf"]) == {}
    assert etl._shortcuts(["cloudtrail", "waf", "apigateway_json"]) == {}


S3_PAIRS = 'a=1 b="x [t] 1 2 3 4 5 - - 6 7 8 9 10 ' + "y" * 24 + ' - 12"'
"""A line of two pairs that S3's pattern matches (a blank at its 65th character: S3's guard): S3 claims it."""
ACCESS_PAIRS = 'h=1 i=2 u="3 [t] " r=" 200 5 "'
"""Pairs that access_log's pattern matches (host, ident, user, `[t]`, the request ` r=`, status, bytes): its."""

# logfmt lines (and near misses) for logfmt's shortcut (logfmt.kept_sure, tested first where logfmt is the likely
# format): each guard's characters where a logfmt line can hold them (a leading blank, `] ` in a quoted or bare
# value, a line end, CR, tab or VT separators), the words the earlier parsers' patterns start with as keys, the
# other parsers' own lines, duplicate keys, non-ASCII, JSON, and the counts of fields that a VPC or CloudFront
# header makes those parsers claim.
LOGFMT_CRAFTED = [
    'a=1 b="x y"',
    " a=1 b=2",
    "  a=1",
    'a=1 b="[x] y"',
    'a=1 b="x] \\"GET / HTTP/1.1\\" 200"',
    'host=1.2.3.4 ident="- - [10/Oct/2000:13:55:36 -0700] \\"GET / HTTP/1.0\\" 200 2326"',
    'a="x\\"] y"',
    'ts=2026-11-26T10:00:00Z level=info msg="] "',
    "a=1 b=] c=2",
    S3_PAIRS,
    ACCESS_PAIRS,
    "a=x] b=1",
    "a=1 ]",
    "a=]",
    "START=1 RequestId=2",
    "START RequestId: 1 a=2",
    "tls=1 a=2",
    "http=1 b=2",
    "h2=x",
    "Jan=1 b=2",
    "Jan  1 00:00:00 host app: a=1",
    "a=1\n",
    "a=1\r\n",
    "a=1\n\n\r",
    "a=1\nb=2",
    'a=1\n  File "x"',
    "a=1\n\tat a.b(c)",
    "a=1 a=2",
    "a=1 b=2 a=3",
    "a=1\tb=2",
    "a=1\x0bb=2",
    "a=1\rb=2",
    "a=1 \t b=2 ",
    '{"a":1}',
    ' {"a":"b=c"}',
    "_a=1",
    "@a=1",
    "a.b/c-d#e@f=1",
    'a="é ✓" b=ü',
    "a=",
    'a=""',
    "=1",
    "a==1",
    "a=b=c",
    'a="x"b=1',
    "# a=1",
    "<13>a=1",
    "[a]=1",
    "1a=1",
    "2026-11-26T10:00:00Z a=1",
    "version=2 account-id=1",
    "a=1 b=2 c=3 d=4 e=5 f=6 g=7",
    'a=1 b=2 c=3 d=4 e=5 f=6 g="x y"',
    "a=1\tb=2\tc=3\td=4\te=5\tf=6",
    "a=1\tb=2\tc=3\td=4\te=5\tf=6\n",
    "#Fields:a=1",
    " ".join(f"k{n}=v" for n in range(40)),
    " ".join(f"k{n % 39}=v" for n in range(40)),
    'a="\\u00e9\\t" b="\\x"',
    "",
]
_LOGFMT_NOISE = [
    *("]", "] ", '] "', " ", "  ", '"', "\\", "=", "{", "[", "\t", "\n", "\r\n", "\x0b", "0", "9", "-", ":"),
    *("START ", "tls ", "Jan ", "http ", "# ", "<13>", "é", "✓", "\tat a.b(c)", '  File "', "a=", " b=1", "T"),
]


def _mutated(count: int) -> list[str]:
    """The benchmark's logfmt lines, each with 1-3 insertions, deletions or replacements from _LOGFMT_NOISE."""
    rng = random.Random(29)
    make = benchmark_module("parser_throughput").GENERATORS["logfmt"]
    lines = []
    for i in range(count):
        line = make(rng, i)
        line = mutate(line, rng, _LOGFMT_NOISE)
        lines.append(line)
    return lines


def _classify_likely(lines: list[str], monkeypatch: pytest.MonkeyPatch, shortcut: bool) -> list[tuple[object, ...]]:
    """classify_lines over `lines` with logfmt as the likely format: (format, reason, table, kept pairs) per
    event, with logfmt's shortcut or (`shortcut` false) without it (every other shortcut kept)."""
    real = etl._shortcuts
    monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1)
    monkeypatch.setattr(likely_format, "guess", lambda messages: "logfmt")
    monkeypatch.setattr(etl, "_shortcuts", real if shortcut else lambda order, likely=None: real(order))
    return classified_events(lines, "logfmt", f"format, __ll_reason, __ll_table, {logfmt.KEPT}")


@pytest.mark.parametrize("headers", [False, True], ids=["plain", "headers"])
def test_logfmt_s_shortcut_keeps_every_line_s_parser(monkeypatch: pytest.MonkeyPatch, headers: bool) -> None:
    """Where logfmt is the likely format, its shortcut (kept_sure, before every parser) against the CASE without
    it: every parser's examples, the golden messages, 2,500 benchmark lines of every format, 3,000 mutated logfmt
    lines and LOGFMT_CRAFTED, with and without the VPC and CloudFront headers (their `custom`): the same format,
    reason, table and kept pairs on every line."""
    generated = every_format_lines(2500, 5)
    lines = [*PARSER_EXAMPLES, *golden_messages(), *generated, *_mutated(3000)]
    # Without headers, the examples' and golden messages' out: neither parser counts fields, the shortcut is taken.
    lines = [*VPC_CLOUDFRONT_HEADERS, *lines] if headers else [line for line in lines if not is_object_header(line)]
    lines += LOGFMT_CRAFTED
    new = _classify_likely(lines, monkeypatch, shortcut=True)
    old = _classify_likely(lines, monkeypatch, shortcut=False)
    moved = [(line, o[:3], n[:3]) for line, o, n in zip(lines, old, new, strict=True) if o != n]
    assert moved == []
    formats = [row[0] for row in new]
    assert formats.count("logfmt") >= 2500 + 800  # the mutations leave about 900 of 3,000 logfmt
    crafted = dict(zip(LOGFMT_CRAFTED, formats[-len(LOGFMT_CRAFTED) :], strict=True))
    assert crafted["a=1 b=] c=2"] == crafted[" a=1 b=2"] == crafted["a=1\r\n"] == "logfmt"
    assert crafted["a=1 a=2"] == "text"
    assert (crafted[S3_PAIRS], crafted[ACCESS_PAIRS]) == ("s3_access_log", "access_log")  # `] `: no shortcut
    seven, six = "a=1 b=2 c=3 d=4 e=5 f=6 g=7", "a=1\tb=2\tc=3\td=4\te=5\tf=6"
    assert (crafted[seven], crafted[six]) == (("vpc_flow_log", "cloudfront") if headers else ("logfmt", "logfmt"))


def test_no_parser_before_logfmt_claims_a_line_its_shortcut_takes() -> None:
    """Each parser of LogfmtParser.ahead_of (every parser before logfmt) runs its own detection on every line
    kept_sure takes (the benchmark's lines of every format, mutated logfmt lines, LOGFMT_CRAFTED, the examples and
    the golden messages): none claims one. And kept_sure takes the benchmark's logfmt lines."""
    generated = every_format_lines(200, 17)
    start = 200 * sorted(benchmark_module("parser_throughput").GENERATORS).index("logfmt")
    logfmt_at = slice(start, start + 200)
    lines = [*PARSER_EXAMPLES, *golden_messages(), *generated, *_mutated(2000), *LOGFMT_CRAFTED]
    names = [p.name for p in PARSERS]
    assert logfmt.LogfmtParser.ahead_of == tuple(names[: names.index("logfmt")])
    by_name = {p.name: p for p in PARSERS}
    settled = (*getattr(by_name["vpc_flow_log"], "settled", ()), *getattr(by_name["cloudfront"], "settled", ()))
    assert settled == logfmt._CUSTOM_FIELDS
    con = classifying_connection([])  # no header: VPC's and CloudFront's defaults
    con.execute(
        f"CREATE TEMP TABLE taken AS SELECT message FROM (SELECT message, {logfmt.kept_pairs('message')} AS "
        f"{logfmt.KEPT} FROM (SELECT unnest($m::VARCHAR[]) AS message)) WHERE {logfmt.kept_sure('message')}",
        {"m": lines},
    )
    taken = {row[0] for row in con.execute("SELECT message FROM taken").fetchall()}
    own = set(generated[logfmt_at])
    assert {line for line in generated if line in taken} == own  # the benchmark's logfmt lines, and only those
    assert len(taken) > 700  # distinct lines
    for name in logfmt.LogfmtParser.ahead_of:
        claims = con.execute(f"SELECT message FROM taken WHERE {by_name[name].detect('message')}").fetchall()
        assert claims == [], name


_MYSQL_NOISE = [
    *(" ", "  ", "\t", "\n", "\r\n", "\r", '"', " - ", "-", "]", "] ", "[", ":", "0", "9", ".", "Z", "T", "+02:00"),
    *("é", "日", "\x0b", "[Note] ", "[MY-1] ", "[Server] ", "stdout ", "START ", "tls ", "{", "<13>", "# ", "/", ","),
    *("12345678-1234-1234-1234-123456789012 ", '"GET / HTTP/1.1" ', "[10/Oct/2000:13:55:36 -0700] ", "1" * 20, "x:80 "),
]
"""What the mutations of _mysql_mutated insert or put in place: the characters and words that sure and the earlier
parsers' guards and patterns read (blanks, quotes, ` - `, brackets, digits, the time's characters, line ends, other
formats' first words, a request id, an access log's time and request, a long thread)."""


_MYSQL_THEIRS = [
    "2026-11-26T00:00:00.000000Z 0 [Note] a b c d e - 200 g h i j k l - m",
    '2026-11-26T00:00:00.000000Z 0 [Note] aa b c d e "GET / HTTP/1.1" 200 g h i j k l "ua" m',
    '2026-11-26T00:00:00.000000Z 0 [Note] x [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326',
    '2026-11-26T00:00:00.000000Z 0 [Note] [t] "GET / HTTP/1.1" 200 5 01234567-89ab-cdef-0123-456789abcdef',
]
"""MySQL 8.0-shaped lines whose text S3's pattern (a blank at the 65th character, `-` or quoted fields), access_log's
and API Gateway's CLF match: theirs, and not sure (` - ` or `"`)."""


def _mysql_mutated(count: int) -> list[str]:
    """The benchmark's MySQL error lines (every other one as MySQL 5.7 writes it, without code and subsystem), each
    with 1-3 insertions, deletions or replacements from _MYSQL_NOISE, half of them in the first 45 characters."""
    rng = random.Random(31)
    make = benchmark_module("parser_throughput").GENERATORS["mysql_error"]
    lines = []
    for i in range(count):
        line = make(rng, i)
        line = line.replace(" [MY-010055] [Server]", "") if i % 2 else line
        line = mutate(line, rng, _MYSQL_NOISE, 46)
        lines.append(line)
    return lines


@pytest.mark.parametrize("path", ["guarded", "large", "lambda_text", "logfmt"])
@pytest.mark.parametrize("headers", [False, True], ids=["plain", "headers"])
def test_mysql_error_s_shortcut_keeps_every_line_s_parser(
    monkeypatch: pytest.MonkeyPatch, headers: bool, path: str
) -> None:
    """MysqlErrorParser.sure (before every parser ahead of mysql_error) against the CASE without it, through
    etl.classify_lines on the small object's guard pass and the large object's path (without a likely format, and
    with Lambda text's or logfmt's groups read from their column): every parser's examples, the golden messages, 150
    benchmark lines of every format, 3,000 mutated MySQL error lines and _MYSQL_THEIRS, with and without the VPC and
    CloudFront headers (their `custom`): the same format, reason and table on every line."""
    generated = every_format_lines(150, 19)
    mutated = _mysql_mutated(3000)
    lines = [*PARSER_EXAMPLES, *golden_messages(), *generated, *mutated]
    # Without headers, the examples' and golden messages' out: neither parser counts fields, the shortcut is taken.
    lines = [*VPC_CLOUDFRONT_HEADERS, *lines] if headers else [line for line in lines if not is_object_header(line)]
    if path == "guarded":
        lines = lines[-4_000:]  # a small object: the guard pass
        assert not any(is_object_header(line) for line in lines)
        lines = [*VPC_CLOUDFRONT_HEADERS, *lines] if headers else lines
    lines += _MYSQL_THEIRS
    new = classified_same_without_shortcut(lines, monkeypatch, "mysql_error", path)
    assert [row[0] for row in new[-4:]] == ["s3_access_log", "s3_access_log", "access_log", "apigateway_access_log"]
    taken = sure_count(MysqlErrorParser(), lines)
    formats = [row[0] for row in new]
    if headers:
        assert taken == 0
    else:
        assert taken > (550 if path == "guarded" else 700)  # a fifth of the mutated lines, and the benchmark's
    assert formats.count("mysql_error") > (700 if path == "guarded" else 850)


_MYSQL_LINE = "2026-11-26T00:00:00.000000Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed."
_HTTPD_LINE = "[Tue Mar 08 10:34:31 2005] [error] [client 192.0.2.44] (13)Permission denied: access to /index.html"


@pytest.mark.parametrize("headers", [False, True], ids=["plain", "headers"])
def test_a_large_object_keeps_the_shortcuts_its_first_or_last_line_is_sure_of(
    monkeypatch: pytest.MonkeyPatch, headers: bool
) -> None:
    """etl._sure_of: a large object's CASE tests early only the shortcuts whose `sure` holds for its first or last
    line (and the likely parser's), here mysql_error's; httpd lines inside it go through the order, and every
    line gets the same format, reason and table as with every shortcut. After a VPC or CloudFront header no `sure`
    holds (their `custom`), so none is kept."""
    lines = [*(VPC_CLOUDFRONT_HEADERS if headers else []), _MYSQL_LINE, *([_HTTPD_LINE, '{"a": 1}'] * 3000), '{"a": 2}']
    likely = likely_format.guess([lines[0], lines[-1]])
    monkeypatch.setattr(etl, "_GUARD_PASS_MAX_ROWS", -1)
    kept: list[frozenset[str] | None] = []
    real = etl._sure_of
    monkeypatch.setattr(etl, "_sure_of", lambda *args: kept.append(real(*args)) or kept[-1])
    gated = classified_events(lines, likely, "format, __ll_reason, __ll_table")
    expected = set() if headers else {"mysql_error"}
    assert kept == [frozenset(expected | ({likely} if likely else set()))]
    monkeypatch.setattr(etl, "_sure_of", lambda *args: None)
    every = classified_events(lines, likely, "format, __ll_reason, __ll_table")
    assert gated == every
    formats = [row[0] for row in gated]
    assert formats.count("apache_error") == 3000
    assert formats.count("json") == 3001
    assert formats.count("mysql_error") == 1


def test_the_case_tests_early_only_the_shortcuts_it_is_given() -> None:
    """`_routing`'s sure_of: the shortcuts of the parsers it names and no others; None keeps every one."""
    names = {p.name for p in PARSERS}

    def first_whens(sure_of: frozenset[str] | None) -> list[str]:
        parser_sql, _table = etl._routing(EtlSettings(), sure_of=sure_of)
        return [name for name in re.findall(r"THEN '(\w+)'", parser_sql) if name in names][:3]

    assert first_whens(frozenset({"mysql_error"})) == ["mysql_error", "lambda_platform_json", "cloudtrail"]
    assert first_whens(frozenset()) == ["lambda_platform_json", "cloudtrail", "apigateway_json"]
    assert first_whens(None)[:2] == ["stack_trace", "mysql_slow"]


def test_sure_of_reuses_its_prepared_statement_and_leaves_long_ends_to_every_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On one connection `_sure_of` prepares its tests once and answers for each object's own ends; ends longer
    than _SURE_ENDS_MAX_CHARS together keep every shortcut (None); a quote, a backslash or a NUL in an end is
    inlined as it is."""
    con = classifying_connection(['{"a": 1}'])
    settled = etl._settled(con)
    answers = [
        etl._sure_of(con, ends, frozenset(), None, settled)
        for ends in ([_MYSQL_LINE, '{"a": 1}'], ['{"a": 1}', _HTTPD_LINE], ["x", "y"], [_HTTPD_LINE + "'\\\x00", None])
    ]
    mysql, httpd = frozenset({"mysql_error"}), frozenset({"apache_error"})
    assert answers == [mysql, httpd, frozenset(), httpd]
    prepared = con.execute("SELECT count(*) FROM duckdb_prepared_statements() WHERE name LIKE '__ll_sure_%'")
    assert prepared.fetchone() == (1,)
    monkeypatch.setattr(etl, "_SURE_ENDS_MAX_CHARS", len(_MYSQL_LINE) + 7)
    assert etl._sure_of(con, [_MYSQL_LINE, '{"a": 1}'], frozenset(), None, settled) is None
    assert etl._sure_of(con, [_MYSQL_LINE, "{}"], frozenset(), "logfmt", settled) == mysql | {"logfmt"}

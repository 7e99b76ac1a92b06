"""The shapes of SQL that make the parsers fast (issue 13, item 4), checked on the SQL the parsers plan:
timings move with the machine, the shapes do not. test_typed_golden.py checks that the values did not move."""

from __future__ import annotations

import re

import duckdb

from conftest import RecordingConnection
from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import ParsePlan
from loglake.transform.parsers.vpc_flow_log import VpcFlowLogParser


def _vpc_plan(lines: list[str]) -> dict[str, str]:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE raw_lines AS SELECT unnest($lines::VARCHAR[]) AS message", {"lines": lines})
    parser = VpcFlowLogParser()
    for statement in parser.setup():
        con.execute(statement)
    return {f.path[0]: f.expression for f in parser.plan(con, 5).fields}


def _vpc_plan_of(lines: list[str]) -> ParsePlan:
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE raw_lines AS SELECT unnest($lines::VARCHAR[]) AS message", {"lines": lines})
    parser = VpcFlowLogParser()
    for statement in parser.setup():
        con.execute(statement)
    return parser.plan(con, 5)


def test_vpc_columns_read_constant_positions() -> None:
    """A lookup of each field's position in the field order, per column and per row, cost 0.4 s per 50,000
    records: the plan reads the object's order once and writes each column's token index as a constant."""
    default = _vpc_plan(["2 123456789010 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1418530010 1418530070 ACCEPT OK"])
    assert default["srcaddr"] == "nullif(nullif(__ll_vpc_flow_log[4], ''), '-')"
    assert default["end"] == "TRY_CAST(nullif(nullif(__ll_vpc_flow_log[12], ''), '-') AS BIGINT)"
    assert default["vpc_id"] == "NULL::VARCHAR"
    custom = _vpc_plan(["instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr"])
    assert custom["srcaddr"] == "nullif(nullif(__ll_vpc_flow_log[3], ''), '-')"
    assert custom["instance_id"] == "nullif(nullif(__ll_vpc_flow_log[1], ''), '-')"
    assert custom["version"] == "NULL::INTEGER"
    assert not [column for column, sql in default.items() if "list_position" in sql]


def test_vpc_absent_fields_are_typed_nulls_and_the_time_a_derived_column() -> None:
    """Binding cost, paid by every object whatever its size: the nullif/TRY_CAST chain of each of the 46
    columns a default record lacks cost ~3.5 ms of planning, and the time's token lookup, which ll_parse_time
    names in each branch of its cascade, ~2 ms. An absent field is a NULL of its column's type (the chain
    gave NULL too: compared below), and the time is a derived column named once."""
    from loglake.transform.parsers.vpc_flow_log import FIELDS

    line = "2 123456789010 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1418530010 1418530070 ACCEPT OK"
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE raw_lines AS SELECT unnest($lines::VARCHAR[]) AS message", {"lines": [line]})
    parser = VpcFlowLogParser()
    for statement in parser.setup():
        con.execute(statement)
    plan = parser.plan(con, 5)
    assert plan.time == "__ll_vpc_time"
    assert plan.derived["__ll_vpc_time"] == "__ll_vpc_flow_log[11]"
    absent = [f for f in plan.fields if f.expression.startswith("NULL::")]
    assert len(absent) == len(FIELDS) - 14 == 46
    assert {f.expression for f in absent} == {"NULL::VARCHAR", "NULL::INTEGER", "NULL::BIGINT"}
    for f in absent:  # the chain the old plan wrote for an absent field: same value, same type
        old = "nullif(nullif(NULL::VARCHAR, ''), '-')"
        old = old if f.type == "VARCHAR" else f"TRY_CAST({old} AS {f.type})"
        assert con.execute(f"SELECT {old}, typeof({old}), {f.expression}, typeof({f.expression})").fetchall() == [
            (None, f.type, None, f.type)
        ]
    # Without a start field (a custom order), the time string is a typed NULL as before.
    custom = VpcFlowLogParser()
    con.execute("CREATE OR REPLACE TEMP TABLE raw_lines AS SELECT 'srcaddr dstaddr' AS message")
    for statement in custom.setup():
        con.execute(statement)
    assert custom.plan(con, 5).derived["__ll_vpc_time"] == "NULL::VARCHAR"


def test_vpc_tokens_are_a_derived_column_over_the_staged_line() -> None:
    """The tokens' SQL names the line 9 times, and each was a copy of LINE's CASE to plan (~2 ms per object):
    the line is a staging column, the tokens a derived column over it, giving the tokens of the message on
    every line (line ends, runs and edges of spaces, tabs, quotes, non-ASCII, empty)."""
    from loglake.transform.parsers.base import LINE

    plan = _vpc_plan_of(["2 123456789010 eni-1 1.2.3.4 5.6.7.8 1 2 6 1 1 1418530010 1418530070 ACCEPT OK"])
    assert plan.staging == {"__ll_vpc_line": LINE.format(m="message")}
    assert list(plan.derived) == ["__ll_vpc_flow_log", "__ll_vpc_time"]
    tokens = plan.derived["__ll_vpc_flow_log"]
    assert "chr(10)" not in tokens and tokens.count("__ll_vpc_line") == 9
    staged = VpcFlowLogParser().staged("message")  # the tokens of the message, as before
    lines = ["", " ", "  ", "a", " a  b ", "a b", "a\tb  c", "  x", "2 1 eni-1 - - - - - - - 1 2 - NODATA\r\n"]
    lines += ["a b\n", "a b \r\n", " a b", "a b ", " \n", "\r\n", "a\r\nb \n\r", 'a "b c" d', "é ü  ñ\r", "\n a"]
    rows = duckdb.execute(
        f"SELECT {staged}, {tokens} FROM (SELECT message, {plan.staging['__ll_vpc_line']} AS __ll_vpc_line "
        "FROM (SELECT unnest($lines::VARCHAR[]) AS message))",
        {"lines": lines},
    ).fetchall()
    assert [old for old, _ in rows] == [new for _, new in rows]
    assert [len(new) for _, new in rows] == [1, 1, 1, 1, 2, 2, 2, 1, 14, 2, 2, 2, 2, 1, 1, 1, 4, 3, 2]


def test_regex_extraction_is_anchored() -> None:
    """regexp_extract searches from every position unless the pattern is anchored; anchored at both ends it
    extracts the match that detection's regexp_full_match found, up to 1.7x faster."""
    from loglake.transform.parsers import PARSERS
    from loglake.transform.parsers.base import RegexParser

    regex_parsers = [p for p in PARSERS if isinstance(p, RegexParser)]
    assert len(regex_parsers) >= 10
    for parser in regex_parsers:
        assert f"'^(?:{parser.pattern.replace(chr(39), chr(39) * 2)})$'" in parser.staged("message"), parser.name


def test_cloudtrail_parses_each_record_once_per_step() -> None:
    """A json_extract_string per column parsed each CloudTrail record 22 times (and detection 4 times):
    detection's four fields come from one path list; the clean query's columns from one json_transform
    (test_cloudtrail_speed.py::test_cloudtrail_parses_each_record_once)."""
    from loglake.transform.parsers.cloudtrail import CloudTrailParser

    parser = CloudTrailParser()
    plan = parser.plan(None, 5)
    assert [s.count("json_transform(") for s in plan.staging.values()] == [1]
    assert len(plan.fields) == 24
    assert parser.detect("message").count("json_extract_string(") == 1


def test_logfmt_pairs_are_extracted_once_per_step() -> None:
    """logfmt extracted keys and values as two regex groups (two passes over the line) in detection (keys
    twice), in the plan and again in the write. Detection now extracts the pairs once, bare (no groups);
    the plan makes each row's map once in a temp table, and the write reads it from there."""
    from loglake.transform.parsers.logfmt import LogfmtParser

    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT * FROM (VALUES "
        "('a=1 b=\"x y\" c=true', 'logfmt'), ('a=2 b= c=false', 'logfmt'), ('not logfmt', 'text')) "
        "AS t(message, format)"
    )
    parser = LogfmtParser()
    assert parser.detect("message").count("regexp_extract_all(") == 1
    plan = parser.plan(con, 5)
    assert [(f.path[0], f.type) for f in plan.fields] == [("a", "BIGINT"), ("b", "VARCHAR"), ("c", "BOOLEAN")]
    assert "regexp" not in " ".join(plan.staging.values())
    staging = ", ".join(f"{sql} AS {name}" for name, sql in plan.staging.items())
    values = ", ".join(f.expression for f in plan.fields)
    rows = con.execute(
        f"SELECT {values} FROM (SELECT *, {staging} FROM classified WHERE format = 'logfmt') ORDER BY 1"
    ).fetchall()
    assert rows == [(1, "x y", True), (2, "", False)]


def test_logfmt_type_verdicts_test_each_value_once() -> None:
    """The verdicts (BIGINT, DOUBLE, BOOLEAN) ran the digits regex and the BIGINT cast twice per value: each
    test is now a column the verdicts share (0.12 s -> 0.09 s per 50,000 lines of 7 pairs)."""
    from loglake.transform.parsers.logfmt import LogfmtParser

    con = RecordingConnection(duckdb.connect())
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT * FROM (VALUES ('a=1 b=2.5 c=true d=99999999999999999999 e=-', "
        "'logfmt'), ('a=-3 b=7 c=FALSE d=1 e=x', 'logfmt')) AS t(message, format)"
    )
    plan = LogfmtParser().plan(con, 5)
    assert [(f.path[0], f.type) for f in plan.fields] == [
        ("a", "BIGINT"),
        ("b", "DOUBLE"),
        ("c", "BOOLEAN"),
        ("d", "VARCHAR"),  # beyond BIGINT: never a rounded DOUBLE
        ("e", "VARCHAR"),
    ]
    (verdicts,) = [sql for sql in con.statements if "bool_and(" in sql]
    assert verdicts.count("regexp_full_match(") == 1 and verdicts.count("AS BIGINT)") == 1


def test_vpc_tokens_split_at_single_spaces_without_a_regex() -> None:
    """regexp_split_to_array(trim(line), ' +') cost 0.11 s per 50,000 default records, string_split 0.03 s: a
    line without a run of spaces takes string_split; the two agree on every line (runs, edges, tabs, empty)."""
    from loglake.transform.parsers.vpc_flow_log import VpcFlowLogParser

    staged = VpcFlowLogParser().staged("message")
    assert "ELSE string_split(CASE WHEN prefix(" in staged
    assert staged.startswith("CASE WHEN contains(") and staged.count("regexp_split_to_array(") == 1
    lines = ["", " ", "  ", "a", " a  b ", "a b", "a\tb  c", "  x", "2 1 eni-1 - - - - - - - 1 2 - NODATA\r\n", "a b\n"]
    lines += ["a b \r\n", " a b", "a b ", " \n"]
    rows = duckdb.execute(
        f"SELECT regexp_split_to_array(trim(rtrim(message, chr(10) || chr(13))), ' +') AS by_regex, {staged} "
        "FROM (SELECT unnest($lines::VARCHAR[]) AS message)",
        {"lines": lines},
    ).fetchall()
    assert [expected for expected, _ in rows] == [got for _, got in rows]
    assert [len(got) for _, got in rows] == [1, 1, 1, 1, 2, 2, 2, 1, 14, 2, 2, 2, 2, 1]


def test_bsd_syslog_time_is_respaced_only_when_it_has_a_run_of_spaces() -> None:
    """The time's regexp_replace(' +' -> ' ') ran on every line (0.02 s per 50,000); it is the identity on
    a time without a run of spaces, so only `Mar  7 ...` (a padded day) pays it."""
    from loglake.transform.parsers.syslog_rfc3164 import SyslogRfc3164Parser

    time = SyslogRfc3164Parser().plan(None, 5).time
    assert time.startswith("CASE WHEN contains(") and time.count("regexp_replace(") == 1
    rows = duckdb.execute(
        f"SELECT {time} FROM (SELECT {{'ts': ts}} AS __ll_syslog_rfc3164 FROM unnest($ts::VARCHAR[]) AS t(ts))",
        {"ts": ["Mar  7 04:02:16", "Oct 11 22:14:15", "Mar   7 04:02:16", "Nov 26  00:00:01"]},
    ).fetchall()
    assert [r[0] for r in rows] == ["Mar 7 04:02:16", "Oct 11 22:14:15", "Mar 7 04:02:16", "Nov 26 00:00:01"]


def _same_answers(old: str, new: str, lines: list[str]) -> list[bool | None]:
    """Evaluate two guards (SQL over {m}) on `lines`; they must agree on each; the answers."""
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE t AS SELECT unnest($lines::VARCHAR[]) AS m", {"lines": lines})
    rows = con.execute(f"SELECT {old.replace('{m}', 'm')}, {new.replace('{m}', 'm')} FROM t ORDER BY rowid").fetchall()
    assert [a for a, _ in rows] == [b for _, b in rows]
    return [a for a, _ in rows]


GUARD_LINES = [
    *(f"{kind} 2026-11-26T00:00:00Z app/x" for kind in ("http", "https", "h2", "ws", "wss", "grpcs")),
    *("http", "https", "h2x 1", "w 1", "g", "grpc 1", "HTTP 1", " http 1", "", "h", "x http"),
    '198.51.100.7 - - [28/Nov/2026:10:15:01 +0000] "GET /pets HTTP/1.1" 200 512 '
    "c6af9ac6-7b61-11e6-9a41-93e8deadbeef Dv0HJFmLoAMFp_w=",
    '10.0.0.1 - - [26/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.4.0"',
    '10.0.0.1 - - [26/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "https://e.com/" "Mozilla/5.0"',
    *('{"a": 1}', ' {"a": 1}', '\t{"a": 1}', '\r\n{"a": 1}', "\n", " ", "  x{", "{", "a{", "\u00a0{"),
]


def test_alb_guard_splits_only_lines_that_begin_as_an_alb_type() -> None:
    """split_part over every line that reaches ALB (all but JSON, Lambda and VPC ones) cost 14 ms per 50,000
    access-log lines; testing the first character first, 3 ms. Same answer: every type begins with h, w or g."""
    from loglake.transform.parsers.alb import AlbParser

    old = "split_part({m}, ' ', 1) IN ('http', 'https', 'h2', 'ws', 'wss', 'grpcs')"
    guard = AlbParser.guard
    assert guard is not None and guard.startswith("(CASE WHEN substr({m}, 1, 1) IN ('h', 'w', 'g') THEN")
    assert _same_answers(old, guard, GUARD_LINES)[:8] == [True] * 8


_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
_APIGW = f'198.51.100.7 - - [28/Nov/2026:10:15:01 +0000] "GET /pets HTTP/1.1" 200 512 {_ID}'
API_GATEWAY_LINES = [
    *GUARD_LINES,
    _APIGW,
    *(f"{_APIGW}{end}" for end in ("\n", "\r\n", "\n\r\n", "\r", " ", "\t", " \n", "\n ", "x", "-")),
    *(f"{_APIGW} {ext}" for ext in ("Dv0HJFmLoAMFp_w=", "x\n", "x\r\n", "x y", "x ", '"x"', "caf\u00e9", "\u00a0", "")),
    _APIGW.upper(),  # an upper-case id: the pattern wants lower-case hex
    _APIGW[:-1],  # 11 hex digits at the end
    _APIGW.replace("-93e8deadbeef", "-93e8deadbeeg"),
    _APIGW.replace("-93e8deadbeef", "93e8deadbeef"),
    _APIGW.replace(_ID, f"{_ID}{_ID}"),
    _APIGW.replace('] "', ']  "'),
    _APIGW.replace('] "', ']"'),
    _APIGW.replace("/pets", "/p\nq"),
    _APIGW.replace("/pets", "/\u00e9t\u00e9 \U0001f600"),
    f"{_APIGW} Dv0HJFmLoAMFp_w= {_ID}",  # a third word after the id: the pattern refuses it
    f'{_APIGW.replace(_ID, "x")} "Mozilla/5.0 {_ID}"',  # an access line whose agent ends in an id
    f'10.0.0.1 - - [26/Nov/2026:00:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "agent-{_ID[-12:]}"',
]


def test_api_gateway_guard_reads_the_line_end_backwards_without_right() -> None:
    """`right(m, 60)` alone cost 11-16 ms per 50,000 lines and the UUID's search in it 18-26 ms; the guard is a
    regex anchored at the end (RE2 reads it backwards): 27 -> 9 ms per 50,000 API Gateway lines, 15 -> 8 per
    50,000 combined access-log lines. Detection (guard, then the full match) gives the same answer on these lines;
    the old guard also refused lines with an extended request id over ~23 characters, which the pattern accepts
    (test_apigateway_access_log.py's test_a_long_extended_request_id_is_claimed)."""
    from loglake.transform.parsers.apigateway_access_log import ApiGatewayAccessLogParser

    parser = ApiGatewayAccessLogParser()
    uuid = "'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'"
    old_guard = (
        f"(CASE WHEN contains({{m}}, '] \"') AND contains(right({{m}}, 60), '-') THEN "
        f"regexp_matches(right({{m}}, 60), {uuid}) ELSE false END)"
    )
    old = f"(CASE WHEN {old_guard} THEN {parser.matches('{m}')} ELSE false END)"
    guard = ApiGatewayAccessLogParser.guard
    assert guard is not None and "right(" not in guard and "regexp_matches({m}, '-[0-9a-f]{12}(?: " in guard
    answers = _same_answers(old, parser.detect("{m}"), API_GATEWAY_LINES)
    assert answers.count(True) == 13
    # The guard alone holds on every line the parser claims.
    assert _same_answers(parser.detect("{m}"), f"({parser.detect('{m}')} AND {guard})", API_GATEWAY_LINES)


def test_api_gateway_shape_is_tested_on_the_split_not_by_a_full_match() -> None:
    """SHAPE's full match read the whole line again after detection's (24 ms per 50,000 lines); string tests of the
    split at quotes, which the cut needs anyway, decide it (the struct 67 -> 50 ms). test_apigateway_access_log.py
    compares them with SHAPE on crafted lines."""
    from loglake.transform.parsers.apigateway_access_log import ApiGatewayAccessLogParser

    derived = ApiGatewayAccessLogParser().plan(None, 5).derived
    s = ApiGatewayAccessLogParser().struct_column
    assert list(derived) == [f"{s}_{n}" for n in ("line", "parts", "head", "fast", "request", "words", "tail")] + [s]
    assert derived[f"{s}_parts"] == f"string_split({s}_line, '\"')"
    assert "regexp" not in derived[f"{s}_fast"] and f"len({s}_parts) = 3" in derived[f"{s}_fast"]


def test_api_gateway_time_takes_the_clf_path() -> None:
    """AWS's CLF template writes `$context.requestTime` as CLF: the fast path tests that format first (a string of
    another format still takes the cascade, timestamps.TIME_FORMATS), 27 -> 19 ms per 50,000 times."""
    from loglake.transform.parsers.apigateway_access_log import ApiGatewayAccessLogParser

    plan = ApiGatewayAccessLogParser().plan(None, 5)
    assert plan.time_format == "clf" and plan.time == "__ll_apigateway_access_log.request_time"


def test_json_detection_trims_only_a_message_that_begins_with_a_blank() -> None:
    """ltrim copied every message that reached generic JSON (8 ms per 50,000 lines); now only one that
    begins with a blank is trimmed. Same answer on every line."""
    from loglake.transform.parsers.json_object import JsonObjectParser

    old = "starts_with(ltrim({m}, ' \t\r\n'), '{')"
    new = JsonObjectParser().detect("{m}")
    assert new.startswith("(CASE WHEN starts_with({m}, '{') THEN true WHEN substr({m}, 1, 1) IN")
    assert _same_answers(old, new, GUARD_LINES).count(True) == 5


def test_line_end_is_trimmed_only_from_a_message_that_has_one() -> None:
    """rtrim(message, CR LF) walks the whole text (0.12 s per 50,000 S3 records, paid by every parser that reads
    the line): LINE trims only a message that ends in CR or LF, and then with a regex anchored at the end of
    the text (stack traces: 62 -> 8 ms per 50,000), which is the same text on every message."""
    from loglake.transform.parsers.base import LINE

    assert LINE.startswith("CASE WHEN suffix({m}, chr(10)) OR suffix({m}, chr(13)) THEN regexp_replace(")
    assert "rtrim" not in LINE
    lines = ["", "\n", "\r\n", "\r", "a", "a\n", "a\r\n", "a\n\r\n", "a\nb", "\na", "a \n", "é\r\n", "日本\n", "x\ty"]
    lines += ["a\n\nb\n\n", "\r\r", "a\n \n", "a\rb\r", "r\\n\n", "\n\t", "at x(y)\n" * 40]
    rows = duckdb.execute(
        f"SELECT rtrim(m, chr(10) || chr(13)), {LINE.format(m='m')} FROM (SELECT unnest($lines::VARCHAR[]) AS m)",
        {"lines": lines},
    ).fetchall()
    assert [old for old, _ in rows] == [new for _, new in rows]
    assert [new for _, new in rows] == [
        *("", "", "", "", "a", "a", "a", "a", "a\nb", "\na", "a ", "é", "日本", "x\ty"),
        *("a\n\nb", "", "a\n ", "a\rb", "r\\n", "\n\t", "at x(y)\n" * 39 + "at x(y)"),
    ]


def test_mysql_error_guard_reads_the_character_after_the_seconds() -> None:
    """Java and Python logging lines (`2026-11-26 14:03:07,412 ERROR [main] ...`) passed MySQL's guard and
    paid its full match over the whole message (58 ms per 50,000 stack traces): the pattern needs `.`, a
    zone or a space after the 19 characters of date and time. Same detection on every line."""
    from loglake.transform.parsers.mysql_error import MysqlErrorParser

    parser = MysqlErrorParser()
    guard = parser.guard
    assert guard is not None and "substr({m}, 20, 1) IN ('.', 'Z', '+', '-', ' ')" in guard
    old_guard = "substr({m}, 5, 1) = '-' AND substr({m}, 11, 1) IN ('T', ' ') AND contains(left({m}, 60), '] ')"
    old = f"(CASE WHEN {old_guard} THEN {parser.matches('{m}')} ELSE false END)"
    lines = [
        "2024-01-15T10:23:45.123456Z 0 [Warning] [MY-010068] [Server] CA certificate ca.pem is self signed.",
        "2019-03-05T18:54:20.123456Z 0 [Note] Event Scheduler: Loaded 0 events",
        "2019-03-05 18:54:20 140234 [ERROR] Aborted connection 12 to db: 'shop'",
        "2019-03-05T18:54:20+02:00 7 [System] [MY-1] [Server] x\n",
        "2019-03-05T18:54:20-05:00 7 [Info] y",
        "2019-03-05T18:54:20Z 7 [Error] z",
        "2019-03-05 18:54:20  140234 [Note] two spaces",
        "2026-11-26 14:03:07,412 ERROR [main] c.e.Inventory - reserve failed\njava.lang.X: y\n\tat a.b(c)\n",
        "2026-11-26 14:03:07.412 7 [Note] dot then digits",
        "2026-11-26 14:03:07,412 7 [Note] comma",
        "2026-11-26T14:03:07 [main] x",
        "2026-11-26T14:03:0 7 [Note] short",
        "2026-11-26",
        "",
        "ü" * 30 + "] ",
    ]
    answers = _same_answers(old, parser.detect("{m}"), lines)
    assert answers == [True] * 7 + [False, True] + [False] * 6


_OLD_LOGFMT_ENTRIES = (  # logfmt's pairs as (key, raw value) structs from the grouped regex, as they were
    "list_transform(regexp_extract_all(CASE WHEN suffix(message, chr(10)) OR suffix(message, chr(13)) THEN "
    r"""regexp_replace(message, '[\r\n]+\z', '') ELSE message END, '([A-Za-z_@][\w.\-/@#]*)=("(?:[^"\\]|\\.)*"|"""
    r"""[^\s"]*)', 0), lambda p: struct_pack(key := substr(p, 1, strpos(p, '=') - 1), """
    "value := substr(p, strpos(p, '=') + 1)))"
)


def test_logfmt_rows_keep_two_lists_not_a_map() -> None:
    """Each row's pairs were a MAP (map_from_entries: 0.14 s per 50,000 lines of 7 pairs, hashing keys that
    detection already proved distinct); they are now two lists, keys and values (0.05 s), and a column
    reads its key's first position. Every value equals the map's on crafted lines: keys missing from some
    rows, empty and `-` values, escaped quotes, non-ASCII, CR/LF, a key that is a prefix of another."""
    from loglake.transform.parsers import logfmt
    from loglake.transform.parsers.logfmt import LogfmtParser

    lines = [
        'a=1 b="x y" c=true',
        "a=2 b= c=false d=-",
        'b="say \\"hi\\" \\\\ back" ab=3 a_b=é',
        '   d=""   a=-5   \r\n',
        "é=no a=1",  # not logfmt: its own row, format text
        'ts=2026-11-26T10:00:00Z level=warn msg="naïve café" a.b/c@d#e=ok\n',
    ]
    con = RecordingConnection(duckdb.connect())
    con.con.execute(
        "CREATE TEMP TABLE classified AS SELECT message, "
        f"CASE WHEN {LogfmtParser().detect('message')} THEN 'logfmt' ELSE 'text' END AS format "
        "FROM (SELECT unnest($lines::VARCHAR[]) AS message)",
        {"lines": lines},
    )
    plan = LogfmtParser().plan(con, 50)
    (staged,) = [sql for sql in con.statements if "__ll_logfmt_pairs AS" in sql]
    assert "map_from_entries(" not in staged and "map(" not in staged
    staging = ", ".join(f"{sql} AS {name}" for name, sql in plan.staging.items())
    unquoted = f"lambda e: struct_pack(key := e.key, value := {logfmt._unquote('e.value')})"
    old_map = f"map_from_entries(list_transform({_OLD_LOGFMT_ENTRIES}, {unquoted}))"  # as it was
    keys = [f.path[0] for f in plan.fields]
    assert keys == ["a", "a.b/c@d#e", "a_b", "ab", "b", "c", "d", "level", "msg", "ts"]
    new = ", ".join(logfmt._lookup(logfmt._MAP, k) for k in keys)
    old = ", ".join(f"__ll_old[{sql_string(k)}]" for k in keys)
    rows = con.con.execute(
        f"SELECT [{new}], [{old}] FROM (SELECT *, rowid AS rid, {staging}, {old_map} AS __ll_old FROM classified "
        "WHERE format = 'logfmt') ORDER BY rid"
    ).fetchall()
    assert len(rows) == 5
    assert [n for n, _old in rows] == [o for _new, o in rows]
    assert rows[2][0] == [None, None, "é", "3", 'say "hi" \\ back', None, None, None, None, None]
    assert rows[3][0] == ["-5", None, None, None, None, None, "", None, None, None]


LOGFMT_EDGE_LINES = [
    'a=1 b="x y" c=true',
    "a=2 b= c=false d=-",  # empty and `-` values; a key missing from other rows
    'b="say \\"hi\\" \\\\ back" ab=3 a_b=é',  # escapes, a key that prefixes another, non-ASCII
    '   d=""   a=-5   \r\n',  # extra spaces, an empty quoted value, CR/LF
    "a=1\tb=2\x0bc",  # a vertical tab separates (go-logfmt): `c` is a standalone key, not logfmt (test_logfmt.py)
    'a="x"b=c e=f=g p=C:\\dir',  # '=' in a bare value: go-logfmt's syntax error, not logfmt
    'q="a=b c" r=""',  # '=' and a blank inside quotes
    'ts=2026-11-26T10:00:00Z level=warn msg="naïve café" a.b/c@d#e=ok\n',
    "a=1 a=2",  # a repeated key: not logfmt
    "é=no a=1",  # not logfmt
    'a=b="x y"',  # '=' and '"' in a bare value: not logfmt (it was one pair, a = 'b=', issue 13 item 1)
    "",
]


def _logfmt_classified(con: duckdb.DuckDBPyConnection, lines: list[str], kept: bool) -> None:
    """`classified` as classification leaves it: logfmt's rows, and the kept pairs when `kept`."""
    from loglake.transform.parsers import logfmt
    from loglake.transform.parsers.logfmt import LogfmtParser

    column = f", CASE WHEN {LogfmtParser().detect('message')} THEN {logfmt.kept_pairs('message')} END AS {logfmt.KEPT}"
    con.execute(
        "CREATE OR REPLACE TEMP TABLE classified AS SELECT message, "
        f"CASE WHEN {LogfmtParser().detect('message')} THEN 'logfmt' ELSE 'text' END AS format"
        f"{column if kept else ''} FROM (SELECT unnest($lines::VARCHAR[]) AS message)",
        {"lines": lines},
    )


def test_logfmt_kept_pairs_are_the_write_s_column_without_a_table() -> None:
    """Classification kept each logfmt row's pairs as a list of structs; the plan turned them into two lists
    in a temp table (0.06 s per 50,000 lines of 7 pairs) that the write joined by rowid (0.03 s). It now
    keeps the two lists themselves, which the verdicts and the write read from `classified`. The pairs are
    found by a regex without groups (0.11 -> 0.08 s). Every value equals the old path's (the map of the
    grouped regex's matches) on crafted lines."""
    from loglake.transform.parsers import logfmt
    from loglake.transform.parsers.logfmt import LogfmtParser

    con = RecordingConnection(duckdb.connect())
    _logfmt_classified(con.con, LOGFMT_EDGE_LINES, kept=True)
    plan = LogfmtParser().plan(con, 50)
    assert plan.staging == {logfmt._MAP: logfmt.KEPT}
    assert not [sql for sql in con.statements if "CREATE" in sql]
    assert "(" not in logfmt._PAIR_MATCH.replace("(?:", "")  # no groups
    unquoted = f"lambda e: struct_pack(key := e.key, value := {logfmt._unquote('e.value')})"
    old_map = f"map_from_entries(list_transform({_OLD_LOGFMT_ENTRIES}, {unquoted}))"
    keys = [f.path[0] for f in plan.fields]
    assert keys == ["a", "a.b/c@d#e", "a_b", "ab", "b", "c", "d", "level", "msg", "q", "r", "ts"]
    new = ", ".join(logfmt._lookup(logfmt._MAP, k) for k in keys)
    old = ", ".join(f"__ll_old[{sql_string(k)}]" for k in keys)
    rows = con.con.execute(
        f"SELECT message, [{new}], [{old}], map_keys(__ll_old) = {logfmt._MAP}.k FROM (SELECT *, rowid AS rid, "
        f"{logfmt.KEPT} AS {logfmt._MAP}, {old_map} AS __ll_old FROM classified WHERE format = 'logfmt') ORDER BY rid"
    ).fetchall()
    assert [line for line, *_ in rows] == [LOGFMT_EDGE_LINES[n] for n in (0, 1, 2, 3, 6, 7)]
    assert [n for _line, n, _old, _same in rows] == [o for _line, _new, o, _same in rows]
    assert all(same for *_, same in rows)  # the same keys, in the same order
    by_line = {line: dict(zip(keys, new, strict=True)) for line, new, _old, _same in rows}
    assert by_line['q="a=b c" r=""'] == {**dict.fromkeys(keys), "q": "a=b c", "r": ""}


_LOGFMT_CUT_LINES = [  # LOGFMT_EDGE_LINES and more: a key quoted in one row only, leading blanks of each kind
    *LOGFMT_EDGE_LINES,
    'a=x b=plain c="true" msg=""',
    "\ta=1 b=2",  # a tab before the first key: not claimed (keys start after spaces only)
    "\u00a0a=1",  # ltrim strips a no-break space; the full match never took it
    "\u3000a=1 b=2",
    "\u212a=1",  # the Kelvin sign lowers to `k`: not a key
    '_a=1 @b=2 msg="x \\"q\\" y" ok=""',
    "9a=1",
    " \r\na=1",
    "   =1",
    'a=-0 b=1e400 c=007 d="12" e=TRUE msg="naïve\r" f=',
    'a=3 b=4.5 c=8 d=- e=false ts=2026-11-26T10:00:01Z level="info"\r',
]


def _old_logfmt_shaped(message: str) -> str:
    """logfmt's shape test before 2026-11-30 15:00: spaces, then a key's first character, then the full match."""
    from loglake.transform.parsers import logfmt
    from loglake.transform.parsers.base import LINE

    return (
        f"(CASE WHEN NOT contains({message}, '=') THEN false "
        f"WHEN NOT (lower(substr(ltrim({message}), 1, 1)) BETWEEN 'a' AND 'z' "
        f"OR substr(ltrim({message}), 1, 1) IN ('_', '@')) THEN false "
        f"WHEN NOT regexp_full_match({LINE.format(m=message)}, {sql_string(logfmt.LINE_PATTERN)}) THEN false "
        "ELSE true END)"
    )


def test_logfmt_values_are_cut_where_they_are_read() -> None:
    """Classification cut and unquoted every pair's value (two lambdas over every pair: 30-35 ms per 50,000
    lines of 7 pairs); it now keeps the keys and the matches, and a value is cut where it is read: in the
    write's column of its key (unquoted only for a key that a quote begins somewhere in the batch), and in
    the verdicts over distinct pairs. The shape test is one full match (` *` then pairs) without ltrim's
    first-character test. Every value and type equals the old lists' on crafted lines, and every shape
    answer the old test's."""
    from loglake.transform.parsers import logfmt
    from loglake.transform.parsers.logfmt import LogfmtParser

    kept = logfmt.kept_pairs("message")
    assert kept.count("lambda") == 2 and "replace(replace(" not in kept  # the matches' list, and the keys: no values
    assert "ltrim(" not in kept and kept.count("regexp_full_match(") == 1
    con = RecordingConnection(duckdb.connect())
    _logfmt_classified(con.con, _LOGFMT_CUT_LINES, kept=True)
    plan = LogfmtParser().plan(con, 50)
    (verdicts,) = [sql for sql in con.statements if "bool_and(" in sql]
    assert "SELECT DISTINCT k, m FROM" in verdicts
    old_lists = (  # the two lists as classification kept them before: keys and unquoted values
        f"list_transform([{logfmt._matches('message')}], lambda m: struct_pack(k := list_transform(m, lambda p: "
        f"{logfmt._KEY}), v := list_transform(list_transform(m, lambda p: {logfmt._VALUE}), lambda v: "
        f"{logfmt._unquote('v')})))[1]"
    )
    old_lookup = "__ll_old.v[list_position(__ll_old.k, {key})]"
    types = {f.path[0]: f.type for f in plan.fields}
    assert types == {
        "@b": "BIGINT", "_a": "BIGINT", "a": "VARCHAR", "a.b/c@d#e": "VARCHAR", "a_b": "VARCHAR", "ab": "BIGINT",
        "b": "VARCHAR", "c": "VARCHAR", "d": "BIGINT", "e": "BOOLEAN", "f": "VARCHAR", "level": "VARCHAR",
        "msg": "VARCHAR", "ok": "VARCHAR", "q": "VARCHAR", "r": "VARCHAR", "ts": "VARCHAR",
    }  # fmt: skip
    cheap = {f.path[0] for f in plan.fields if "starts_with(" not in f.expression}  # never quoted: not unquoted
    assert cheap == {"@b", "_a", "a", "a.b/c@d#e", "a_b", "ab", "e", "f", "ts"}
    new = ", ".join(f"({f.expression})::VARCHAR" for f in plan.fields)
    old = ", ".join(
        f"({old_lookup.format(key=sql_string(f.path[0]))})::VARCHAR"
        if f.type == "VARCHAR"
        else f"TRY_CAST({old_lookup.format(key=sql_string(f.path[0]))} AS {f.type})::VARCHAR"
        for f in plan.fields
    )
    rows = con.con.execute(
        f"SELECT message, [{new}], [{old}] FROM (SELECT *, rowid AS rid, {logfmt.KEPT} AS {logfmt._MAP}, "
        f"{old_lists} AS __ll_old FROM classified WHERE format = 'logfmt') ORDER BY rid"
    ).fetchall()
    claimed = [0, 1, 2, 3, 6, 7, 12, 17, 21, 22]
    assert [line for line, *_ in rows] == [_LOGFMT_CUT_LINES[n] for n in claimed]
    assert [n for _line, n, _old in rows] == [o for _line, _new, o in rows]
    by_line = {line: dict(zip(types, values, strict=True)) for line, values, _old in rows}
    assert by_line['a=x b=plain c="true" msg=""'] == {
        **dict.fromkeys(types),
        "a": "x",
        "b": "plain",
        "c": "true",
        "msg": "",
    }
    assert by_line[_LOGFMT_CUT_LINES[17]] == {
        **dict.fromkeys(types), "_a": "1", "@b": "2", "msg": 'x "q" y', "ok": ""
    }  # fmt: skip
    old_shape = _old_logfmt_shaped("message")
    new_shape = logfmt._shaped("message", "true")
    answers = con.con.execute(
        f"SELECT {new_shape}, {old_shape} FROM (SELECT unnest($lines::VARCHAR[]) AS message, "
        "generate_subscripts($lines::VARCHAR[], 1) AS n) ORDER BY n",
        {"lines": _LOGFMT_CUT_LINES},
    ).fetchall()
    assert [new for new, _old in answers] == [old for _new, old in answers]
    assert [n for n, (new, _old) in enumerate(answers) if new] == [0, 1, 2, 3, 6, 7, 8, 12, 17, 21, 22]


def test_logfmt_distinct_keys_compares_few_keys_pairwise() -> None:
    """Detection's distinct-keys test hashed each line's keys (list_distinct: 0.04 s per 50,000 lines of 7
    keys); up to 32 keys it now checks that each key's first position is its own (0.01 s), past that it
    still hashes. The answers are list_distinct's on crafted key lists and on the edge lines."""
    from loglake.transform.parsers import logfmt
    from loglake.transform.parsers.logfmt import LogfmtParser

    claim = logfmt.kept_claim()
    assert "list_position(" in claim and claim.count("list_distinct(") == 1  # the hashed test: past 32 keys only
    many = [f"k{n}" for n in range(40)]
    lists = [[], ["a"], ["a", "a"], ["a", "b", "a"], ["a", "b", "c", "b"], ["A", "a"], ["é", "e", "É"]]
    lists += [["a", "a "], ["", ""], many[:32], [*many[:31], "k0"], many[:33], [*many[:32], "k5"], many, [*many, "k39"]]
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT len(list_distinct(k)) = len(k), {logfmt._distinct_keys('k')} "
        "FROM (SELECT unnest($lists::VARCHAR[][]) AS k)",
        {"lists": lists},
    ).fetchall()
    assert [new for _old, new in rows] == [old for old, _new in rows]
    assert [new for _old, new in rows][:11] == [True, True, False, False, False, True, True, True, False, True, False]
    assert [new for _old, new in rows][11:] == [True, False, True, False]
    _logfmt_classified(con, LOGFMT_EDGE_LINES, kept=True)
    old_detect = (
        LogfmtParser().detect("message").replace(logfmt._distinct_keys("k"), "len(list_distinct(k)) = len(k)")
    )  # as it was
    answers = con.execute(
        f"SELECT {old_detect}, {LogfmtParser().detect('message')}, {claim} FROM classified"
    ).fetchall()
    assert [new for _old, new, _claim in answers] == [old for old, _new, _claim in answers]
    assert [claim for _old, _new, claim in answers] == [old for old, _new, _claim in answers]
    assert [old for old, _new, _claim in answers] == [True] * 4 + [False, False, True, True] + [False] * 4


def test_logfmt_casts_only_where_the_text_can_pass() -> None:
    """The type verdicts cast every value to BIGINT and DOUBLE, though a failed cast is slow (0.13 us) and most
    values fail one: BIGINT is now cast only where the text is an integer, DOUBLE only where it is another JSON
    number (verdicts 0.09 -> 0.06 s per 50,000 lines of 7 pairs). On crafted values (signs, zeros, BIGINT's edges,
    decimals, exponents, blanks, hex, underscores, non-ASCII digits, inf/nan, booleans' cases, `-` and empty)
    a column is typed only where the typed value reads back as written (test_logfmt.py has the reasons)."""
    from loglake.transform.parsers.logfmt import LogfmtParser

    values = ["1", "-3", "+7", "007", "9223372036854775807", "9223372036854775808", "-9223372036854775808"]
    values += ["-9223372036854775809", "99999999999999999999", "2.5", "1e3", ".5", "5.", "inf", "nan", "0x10"]
    values += ['" 12"', '"12 "', "1_000", "١٢", "TRUE", "False", "yes", "-", "", "x", "12a", "+", "--1", "1.5e400"]
    lines = [f"v{n}={value}" for n, value in enumerate(values)]
    lines += ["m=1", "m=2.5", "n=99999999999999999999", "n=2.5", "o=1", "o=-", "p=true", "p=", "q=1", "q=x"]
    con = RecordingConnection(duckdb.connect())
    _logfmt_classified(con.con, lines, kept=True)
    plan = LogfmtParser().plan(con, 100)
    (verdicts,) = [sql for sql in con.statements if "bool_and(" in sql]
    assert "CASE WHEN whole_text THEN TRY_CAST(v AS BIGINT) END" in verdicts
    assert "CASE WHEN numeric AND NOT whole_text THEN TRY_CAST(v AS DOUBLE) END" in verdicts
    new_types = {f.path[0]: f.type for f in plan.fields}
    typed = {values[int(k[1:])]: t for k, t in new_types.items() if k.startswith("v") and t != "VARCHAR"}
    assert typed == {
        "1": "BIGINT", "-3": "BIGINT", "9223372036854775807": "BIGINT", "-9223372036854775808": "BIGINT",
        "2.5": "DOUBLE", "1e3": "DOUBLE", "TRUE": "BOOLEAN", "False": "BOOLEAN",
    }  # fmt: skip
    assert [new_types[k] for k in "mnopq"] == ["DOUBLE", "VARCHAR", "BIGINT", "BOOLEAN", "VARCHAR"]


def test_stack_trace_cuts_names_at_colon_and_hints_the_level() -> None:
    """A Java trace's second line and a Python traceback's whole text were regexp_extract'ed for the exception
    (31 and 17 ms CPU per 25,000 traces, now 15 and 12): where the text before the first `: ` of the line is a
    whole name, the line is cut there. The level's search over the first 256 characters runs only where one
    of its literals is (25 -> 10 ms per 25,000 tracebacks, which have none). Values: test_stack_trace.py."""
    from loglake.transform.parsers.stack_trace import StackTraceParser

    derived = StackTraceParser().plan(None, 5).derived
    cut = "struct_pack(type := __ll_stack_trace_head, message := substr(__ll_stack_trace_line, "
    assert derived["__ll_stack_trace_head"] == "split_part(__ll_stack_trace_line, ': ', 1)"
    assert cut in derived["__ll_stack_trace_second"] and cut in derived["__ll_stack_trace_exception"]
    # The word right after a digit time first (test_stack_trace.py::test_level_after_the_digit_time_is_the_search_s_word).
    level = derived["__ll_stack_trace_level"]
    assert level.startswith("CASE WHEN __ll_stack_trace_digits IS NOT NULL AND starts_with(")
    assert "WHEN contains(__ll_stack_trace, 'ALERT') OR contains(__ll_stack_trace, 'CRIT') OR " in level


def test_mysql_error_detects_its_prefix_and_cuts_the_text_after_it() -> None:
    """As MySQL's likely format, classification extracted the whole pattern's groups (77 ms CPU per 50,000
    lines with the guard, and kept them in `classified`): the pattern ends in `(?s)(.*)`, so detection tests
    its prefix at the start and the plan extracts the prefix's groups and cuts `data` (classification 0.21 ->
    0.13 s, the write 0.13 -> 0.18 s per object). Same claims and groups: test_mysql_error.py."""
    from loglake.transform import likely_format
    from loglake.transform.parsers.mysql_error import PREFIX, MysqlErrorParser

    parser = MysqlErrorParser()
    assert parser.matches("{m}") == f"regexp_matches({{m}}, {sql_string('^(?:' + PREFIX + ')')})"
    assert not likely_format.eligible(parser)
    plan = parser.plan(None, 5)
    assert plan.staging == {} and list(plan.derived) == [
        f"__ll_mysql_error{x}" for x in ("_line", "_usual", "_head", "")
    ]  # `_usual`: test_mysql_error_cuts_the_head_of_the_usual_line_from_four_groups
    assert "data := substr(__ll_mysql_error_line, length(__ll_mysql_error_head.whole) + 1)" in str(plan.derived)


def test_mysql_error_cuts_the_head_of_the_usual_line_from_four_groups() -> None:
    """The prefix's match and five groups took RE2's submatch engine (118 ms per 50,000 lines; the optional code,
    subsystem and space are ambiguous): a MySQL 8.0 line (code and subsystem) is read from USUAL's four groups
    (one-pass, 36 ms) and cut; the chain 139 -> 87 ms. Only lines that hold `] [MY-` try USUAL, and the others
    take the prefix's extraction as before. Same groups: test_mysql_error.py."""
    from loglake.transform.parsers.mysql_error import USUAL, MysqlErrorParser

    plan = MysqlErrorParser().plan(None, 5)
    s = "__ll_mysql_error"
    names = "['ts', 'thread_id', 'prio_code', 'subsystem_end']"
    assert plan.derived[f"{s}_usual"] == (
        f"CASE WHEN contains({s}_line, '] [MY-') THEN regexp_extract({s}_line, {sql_string('^' + USUAL)}, {names}) END"
    )
    assert re.compile(USUAL).groups == 4  # RE2's one-pass engine takes four groups at most
    assert plan.derived[f"{s}_head"].startswith(f"CASE WHEN {s}_usual.ts <> '' THEN struct_pack(whole := left(")
    assert plan.derived[f"{s}_head"].count("regexp_extract") == 1  # the prefix's, where USUAL does not serve


def test_mysql_general_detects_its_prefix_and_cuts_the_argument_after_it() -> None:
    """As the likely format of its objects, MySQL's general log had the whole pattern's groups extracted in
    classification (RE2's submatch engine over the `(.*)` of every line): the pattern ends in `(?s)(.*)`, so
    detection tests its prefix at the start and the plan extracts the prefix's groups and cuts `argument`
    (classification 0.22 -> 0.11 s per 50,000-line object). Same claims and groups: test_mysql_general.py."""
    from loglake.transform import likely_format
    from loglake.transform.parsers.mysql_general import PREFIX, MysqlGeneralParser

    parser = MysqlGeneralParser()
    assert parser.matches("{m}") == f"regexp_matches({{m}}, {sql_string('^(?:' + PREFIX + ')')})"
    assert not likely_format.eligible(parser)
    plan = parser.plan(None, 5)
    assert plan.staging == {} and list(plan.derived) == [f"__ll_mysql_general{x}" for x in ("_line", "_head", "")]
    assert "argument := substr(__ll_mysql_general_line, length(__ll_mysql_general_head.whole) + 1)" in str(plan.derived)


def test_rsyslog_detects_its_prefix_and_cuts_after_a_one_pass_head() -> None:
    """rsyslog's full match read the whole line (53 ms per 50,000 lines alone) and its six groups took RE2's
    submatch engine over the whole line (61 ms): detection tests the prefix up to the tag's colon and what
    follows it, and the plan extracts four groups of the head (one-pass, 17 ms) and cuts the rest. Same claims
    and groups: test_syslog_rsyslog_file.py."""
    from loglake.transform.parsers.syslog_rsyslog_file import HEAD, PREFIX, SyslogRsyslogFileParser

    parser = SyslogRsyslogFileParser()
    assert parser.matches("{m}").startswith(f"(regexp_matches({{m}}, {sql_string('^(?:' + PREFIX + ')')[:-1]}")
    plan = parser.plan(None, 5)
    s = "__ll_syslog_rsyslog_file"
    assert plan.staging == {} and list(plan.derived) == [f"{s}{x}" for x in ("_line", "_head", "")]
    assert plan.derived[f"{s}_head"] == (
        f"regexp_extract({s}_line, {sql_string('^' + HEAD)}, ['ts', 'hostname', 'appname', 'bracket'])"
    )
    assert HEAD.count("(") - HEAD.count("(?:") == 4


def test_lambda_report_is_read_from_one_extraction_where_it_has_the_usual_shape() -> None:
    """Twelve label regexes each searched a REPORT line (the columns, time and level: 127 ms CPU per 50,000
    lines). A line of the usual shape was then tested by a full match, split at tabs and each column cut its
    piece with split_part (all columns 72-80 ms); now one anchored extraction of four groups (RE2's one-pass
    engine: the full match's cost) gives three values and a tail that one split at spaces cuts (49 ms).
    Values: test_lambda_platform.py."""
    from loglake.transform.parsers.lambda_platform import LambdaPlatformParser

    plan = LambdaPlatformParser().plan(None, 5)
    assert list(plan.derived) == ["__ll_lambda_platform_cut", "__ll_lambda_platform_tail"]
    cut = plan.derived["__ll_lambda_platform_cut"]
    assert cut.startswith("regexp_extract(__ll_lambda_platform, '^REPORT RequestId: ([0-9a-f-]+)\\tDuration: ")
    assert cut.endswith(", ['request_id', 'duration_ms', 'billed_duration_ms', 'rest'])")
    assert "regexp_full_match" not in cut and "split_part" not in " ".join(f.expression for f in plan.fields)
    assert plan.derived["__ll_lambda_platform_tail"] == "string_split(__ll_lambda_platform_cut.rest, ' ')"
    assert all(
        f.expression.count("CASE WHEN __ll_lambda_platform_cut.request_id <> '' THEN ") == 1
        and f.expression.count(" ELSE regexp_extract(") == 1
        for f in plan.fields
    )


def test_stack_trace_time_skips_a_bare_traceback() -> None:
    """A bare Python traceback has no time, but text_time_expression searched its first 256 characters for
    a CLF time (15 ms CPU per 25,000 tracebacks): it runs only where the trace has a `[` or another start."""
    from loglake.transform.parsers.stack_trace import StackTraceParser

    time = StackTraceParser().plan(None, 5).derived["__ll_stack_trace_time"]
    assert time.startswith(
        "CASE WHEN starts_with(__ll_stack_trace, 'Traceback (most recent call last):') "
        "AND NOT contains(__ll_stack_trace, '[') THEN NULL ELSE coalesce("
    )


def test_stack_trace_takes_cheap_tests_before_its_regexes() -> None:
    """Per 50,000 traces (CPU): detection tests two sure cases that start at an LF before _FRAME's search
    (20.8 -> 8.9 ms); the time takes the digits' whole match, without the groups' engine, before
    text_time_expression (24 -> 13 ms per 25,000 Java traces); a frame line is tested by its literals before
    the two anchored regexes (40 -> 31 ms); a first line that starts with a digit is no exception line (14.0
    -> 5.9 ms per 25,000 Java traces). The object: 0.456 -> 0.396 s. Values: test_stack_trace.py."""
    from loglake.transform.parsers.stack_trace import StackTraceParser

    parser = StackTraceParser()
    assert parser.matches("m") == (
        "(CASE WHEN contains(m, chr(10) || '  File \"') OR regexp_matches(m, '\\n\\tat [\\w$.<>/]+\\(') THEN true "
        "ELSE regexp_matches(m, '(?m)^\\s+(?:at [\\w$.<>/]+\\(|File \\\")') END)"
    )
    derived = parser.plan(None, 5).derived
    assert derived["__ll_stack_trace_time"].split(" ELSE ")[1].startswith("coalesce(__ll_stack_trace_digits, ")
    assert derived["__ll_stack_trace_digits"].startswith(
        "CASE WHEN substr(__ll_stack_trace, 1, 1) BETWEEN '0' AND '9' "
        "THEN nullif(regexp_extract(__ll_stack_trace, '^(?:(?:\\d{4}(?:-\\d{2}-\\d{2}|/\\d{2}/\\d{2})"
    )
    assert derived["__ll_stack_trace_kinds"].startswith(
        "list_transform(string_split(__ll_stack_trace, chr(10)), lambda x: CASE WHEN starts_with(x, '  File \"') "
        "THEN 1 WHEN NOT contains(x, 'at ') AND NOT contains(x, 'File \"') THEN 0 WHEN regexp_matches("
    )
    assert (
        "WHEN substr(__ll_stack_trace, 1, 1) BETWEEN '0' AND '9' THEN split_part(" in derived["__ll_stack_trace_line"]
    )


def test_otlp_parses_each_record_once_into_a_struct() -> None:
    """OTLP JSON's columns read one json_transform of the message (a STRUCT with the attribute lists, the
    scope's and record's fields as JSON leaves), not a json_extract path list whose record the scalar fields
    then parsed again: the clean query of 50,000 records, one thread, 345-363 -> 275-317 ms (a Parquet COPY
    484 -> 397 ms). plan() finds both lists' keys in one statement, from one transform per row. Values:
    test_json_shapes_speed.py's test_otlp_one_transform_gives_the_old_columns. Where classification kept that
    transform (etl.claimed_columns), plan() and the write read it and parse nothing: test_otlp_json.py."""
    from loglake.transform.parsers.otlp_json import OtlpJsonParser

    con = RecordingConnection(duckdb.connect())
    con.execute("CREATE TEMP TABLE classified AS SELECT '{}' AS message, 'otlp_json' AS format")
    plan = OtlpJsonParser().plan(con, 5)
    assert len(con.statements) == 3  # whether classification kept the transform, then the keys of both lists
    assert "WITH lists AS MATERIALIZED (SELECT json_transform(message, " in con.statements[2]
    assert list(plan.staging) == ["__ll_otlp_log"]
    assert plan.staging["__ll_otlp_log"].startswith('json_transform(message, \'{"resourceLogs":[{"resource":')
    assert plan.staging["__ll_otlp_log"].endswith("')['resourceLogs'][1]")
    assert list(plan.derived) == [
        "__ll_otlp_resource",
        "__ll_otlp_attributes",
        "__ll_otlp_text",
        "__ll_otlp_scope",
        "__ll_otlp_time",
    ]
    assert (
        plan.derived["__ll_otlp_text"].count("json_extract_string(__ll_otlp_log['scopeLogs'][1]['logRecords'][1][") == 9
    )
    written = " ".join([*plan.staging.values(), *plan.derived.values(), *(f.expression for f in plan.fields)])
    assert "json_extract(message" not in written
    assert "json_extract_string(message" not in written
    kept = RecordingConnection(duckdb.connect())
    kept.execute(
        "CREATE TEMP TABLE classified AS SELECT '{}' AS message, 'otlp_json' AS format, "
        f"{plan.staging['__ll_otlp_log']} AS __ll_otlp_log"
    )
    from_kept = OtlpJsonParser().plan(kept, 5)
    assert from_kept.staging == {} and from_kept.derived == plan.derived
    assert "json_transform(" not in kept.statements[2] and "unnest(__ll_otlp_log['resource']" in kept.statements[2]


def test_apache_error_detects_its_prefix_and_cuts_its_usual_line() -> None:
    """As the likely format, classification extracted the whole pattern's 13 groups (106 ms CPU per 50,000
    lines: more than four groups leave RE2's one-pass engine) and the client's two columns ran three regexes
    (42 ms). Detection now tests the pattern's prefix at the start (19 against 26 ms), and the plan extracts
    four groups of httpd 2.4's usual line with a one-pass pattern (24 ms) and cuts the rest with string
    functions (the derived chain about 50 ms); the whole regex only for other lines. Classification 0.197 ->
    0.100 s per object. Values: test_apache_error.py."""
    from loglake.transform import likely_format
    from loglake.transform.parsers.apache_error import PREFIX, SHAPE, ApacheErrorParser

    parser = ApacheErrorParser()
    assert parser.matches("m") == f"regexp_matches(m, {sql_string('^(?:' + PREFIX + ')')})"
    assert not likely_format.eligible(parser)
    plan = parser.plan(None, 5)
    s = "__ll_apache_error"
    assert plan.staging == {} and list(plan.derived) == [s + x for x in ("_line", "_head", "_block", "_rx", "")]
    assert plan.derived[s + "_head"] == (
        f"regexp_extract({s}_line, {sql_string(SHAPE)}, ['whole', 'pid', 'tid', 'client'])"
    )
    assert plan.derived[s + "_rx"].startswith(f"CASE WHEN {s}_head.whole = '' THEN regexp_extract(")
    fields = {f.path[0]: f.expression for f in plan.fields}
    assert "regexp" not in fields["client"] + fields["client_port"]


def test_mysql_slow_detects_its_prefix_and_cuts_its_usual_query() -> None:
    """As the likely format, classification extracted the whole pattern's 10 groups (157 ms CPU per 50,000
    queries, RE2's backtracking engine: a lazy user and more than four groups). Detection now tests the pattern's
    prefix at the line's start (32 against 42 ms), and the plan extracts four groups of the usual query with a
    one-pass pattern (40 ms), splits the `# Query_time` line at spaces and cuts the rest; the whole regex only
    for other queries. Values: test_mysql_slow.py."""
    from loglake.transform import likely_format
    from loglake.transform.parsers.base import LINE
    from loglake.transform.parsers.mysql_slow import PREFIX, SHAPE, MysqlSlowParser

    parser = MysqlSlowParser()
    assert parser.matches("m") == f"regexp_matches({LINE.format(m='m')}, {sql_string('^(?:' + PREFIX + ')')})"
    assert not likely_format.eligible(parser)
    plan = parser.plan(None, 5)
    s = "__ll_mysql_slow"
    assert plan.staging == {} and list(plan.derived) == [s + x for x in ("_line", "_head", "_numbers", "")]
    assert plan.derived[s + "_head"] == (
        f"regexp_extract({s}_line, {sql_string(SHAPE)}, ['whole', 'user_host', 'thread_id', 'set_timestamp'])"
    )
    assert plan.derived[s + "_numbers"] == f"string_split(split_part({s}_head.whole, chr(10), 3), ' ')"


def test_bsd_syslog_detects_its_prefix_and_cuts_after_a_one_pass_head() -> None:
    """As its objects' likely format, BSD syslog's six groups were extracted over the whole line in
    classification (62 ms per 50,000 lines): detection tests the prefix (10 ms), and the plan extracts four
    groups of the usual head, its month a class (one-pass, 15 ms; the twelve names' alternation made RE2 leave
    the one-pass engine: 34 ms), and cuts the rest. Same claims and groups: test_syslog_rfc3164.py."""
    from loglake.transform import likely_format
    from loglake.transform.parsers.syslog_rfc3164 import HEAD, PREFIX, SyslogRfc3164Parser

    parser = SyslogRfc3164Parser()
    assert parser.matches("{m}") == f"regexp_matches({{m}}, {sql_string('^(?:' + PREFIX + ')')})"
    assert not likely_format.eligible(parser)
    plan = parser.plan(None, 5)
    s = "__ll_syslog_rfc3164"
    assert plan.staging == {} and list(plan.derived) == [f"{s}{x}" for x in ("_line", "_head", "")]
    assert plan.derived[f"{s}_head"] == (
        f"regexp_extract({s}_line, {sql_string('^' + HEAD)}, ['ts', 'hostname', 'appname', 'bracket'])"
    )
    assert HEAD.count("(") - HEAD.count("(?:") == 4 and "|" not in HEAD
    assert plan.derived[s].count("regexp_") == 1  # the whole pattern's extraction, where HEAD does not serve


def test_container_cri_cuts_a_one_line_event_after_a_one_pass_head() -> None:
    """CRI's plan split every event into its lines and extracted four groups of each over the whole line (58 ms
    per 50,000 lines, and the columns read a list): a one-line event is cut after three groups of its head
    (one-pass, 10 ms) into one struct; the list serves partial lines only. Same values: test_container_cri.py."""
    from loglake.transform.parsers.container_cri import HEAD, ContainerCriParser

    plan = ContainerCriParser().plan(None, 5)
    s = "__ll_container_cri"
    assert plan.staging == {} and list(plan.derived) == [f"{s}{x}" for x in ("_line", "_head", "_lines", "")]
    assert plan.derived[f"{s}_head"] == f"regexp_extract({s}_line, {sql_string(HEAD)}, ['time', 'stream', 'logtag'])"
    assert plan.derived[f"{s}_lines"].startswith(f"CASE WHEN NOT contains({s}_line, chr(10)) AND {s}_head.time <> ''")
    assert [f.expression for f in plan.fields] == [
        f"nullif({s}.time, '')",
        f"nullif({s}.stream, '')",
        f"nullif({s}.logtag, '')",
        f"{s}.log",
    ]
    assert plan.time == f"{s}.time"


def test_rds_postgresql_detects_its_prefix_and_cuts_after_a_one_pass_head() -> None:
    """As its objects' likely format, RDS PostgreSQL had its eight groups (and the line) extracted in
    classification, RE2's submatch engine over the whole statement (140 ms per 50,000 lines): detection tests the
    prefix (14 ms), and the plan extracts four groups of its usual head (one-pass, 19 ms; the prefix's seven
    groups took 54) and cuts the rest. Same claims and groups: test_rds_postgresql.py."""
    from loglake.transform import likely_format
    from loglake.transform.parsers.rds_postgresql import HEAD, PREFIX, RdsPostgresqlParser

    parser = RdsPostgresqlParser()
    assert parser.matches("{m}") == f"regexp_matches({{m}}, {sql_string('^(?:' + PREFIX + ')')})"
    assert not likely_format.eligible(parser)
    plan = parser.plan(None, 5)
    s = "__ll_rds_postgresql"
    assert plan.staging == {} and list(plan.derived) == [f"{s}{x}" for x in ("_line", "_head", "")]
    assert plan.derived[f"{s}_head"] == (
        f"regexp_extract({s}_line, {sql_string('^' + HEAD)}, ['log_time', 'host_port', 'user_db', 'tail'])"
    )
    assert HEAD.count("(") - HEAD.count("(?:") - HEAD.count(r"\(") - HEAD.count("[^(") == 4
    assert plan.derived[s].count("regexp_") == 1  # the whole pattern's extraction, where HEAD does not serve


def test_nginx_error_head_is_a_one_pass_extraction_of_four_groups() -> None:
    """PrefixParser's head extracted the prefix's whole match and its five groups, RE2's backtracking engine
    (89 ms CPU per 50,000 lines, in the object's COPY 93 against 33 ms). HEAD's four groups (the whole match,
    pid, tid, cid) keep its one-pass engine; the time and the level are cut from the whole match, and the
    whole pattern is extracted only where HEAD does not match. Values: test_nginx_error.py."""
    from loglake.transform.parsers.nginx_error import HEAD, PREFIX, NginxErrorParser

    plan = NginxErrorParser().plan(None, 5)
    s = "__ll_nginx_error"
    assert list(plan.derived) == [f"{s}{x}" for x in ("_line", "_head", "", "_after")]
    assert plan.derived[f"{s}_head"] == f"regexp_extract({s}_line, {sql_string(HEAD)}, ['whole', 'pid', 'tid', 'cid'])"
    # PREFIX without the time's and the level's groups, in one group: the same matches, four groups
    ungrouped = PREFIX.replace(r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)", r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d")
    assert "^(" + ungrouped.replace(r"\[(\w+)\]", r"\[\w+\]") + ")" == HEAD
    assert plan.derived[s].startswith(f"CASE WHEN {s}_head.whole <> '' THEN struct_pack(ts := left(")
    assert plan.derived[s].count("regexp_extract(") == 1  # the whole pattern's, where HEAD does not match

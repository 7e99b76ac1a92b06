"""API Gateway CLF access-log groups read with string functions (parsers/apigateway_access_log.py _by_quotes)
are the regex's own groups: on every line the pattern accepts, the struct the plan stages equals
regexp_extract of the whole pattern, and the lines outside SHAPE take the regex."""

from __future__ import annotations

import duckdb

from conftest import cut_against_regex
from loglake.sql_quoting import sql_string
from loglake.transform.parsers.apigateway_access_log import EXAMPLES, SHAPE, ApiGatewayAccessLogParser

ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
TIME = "[28/Nov/2026:10:15:01 +0000]"
FAST = [
    f'198.51.100.7 - - {TIME} "GET /pets HTTP/1.1" 200 512 {ID} Dv0HJFmLoAMFp_w=',
    f'198.51.100.7 - - {TIME} "GET /pets HTTP/1.1" 200 512 {ID}',  # no extended request id
    f'198.51.100.7 AIDAEXAMPLE arn:aws:iam::1:user/u {TIME} "POST /pets/{{id}} HTTP/2.0" 502 - {ID} x',
    f'2001:db8::1 - - {TIME} "GET /pets/1 /2 HTTP/1.1" 404 12 {ID} y=',  # spaces in the path
    f'198.51.100.7 - - {TIME} "GET /a  b  HTTP/1.1" 200 5 {ID} y',  # runs of spaces in the path
    f'198.51.100.7 - - {TIME} "GET /caf\u00e9 \U0001f600 HTTP/1.1" 200 5 {ID} y',  # beyond ASCII
    f'198.51.100.7 - - {TIME} "GET /a\tb HTTP/1.1" 200 5 {ID} y',  # a tab inside the path
    f'198.51.100.7 - - {TIME} "$default - HTTP/1.1" 200 5 {ID} y',  # HTTP API route key
    f'198.51.100.7 - - [28/Nov/2026:10:15:01 +0000 x] "GET /p HTTP/1.1" 200 5 {ID} y\r\n',  # CR LF at the end
]
SLOW = [
    f'198.51.100.7 -  - {TIME} "GET /pets HTTP/1.1" 200 512 {ID} x',  # two spaces before the user
    f'198.51.100.7 - - {TIME} "GET /pe"ts HTTP/1.1" 200 512 {ID} x',  # a quote in the path
    f'198.51.100.7 - - {TIME} "GET /pets HTTP/1.1" 200 512 {ID} "x"',  # a quoted extended id
    f'198.51.100.7 - u"x {TIME} "GET /pets HTTP/1.1" 200 512 {ID} x',  # a quote in the user
    f'198.51.100.7 - - [28/Nov/2026:10:15:01 "+0000] "GET /pets HTTP/1.1" 200 512 {ID} x',  # a quote in the time
    f'198.51.100.7 - [u] {TIME} "GET /pets HTTP/1.1" 200 512 {ID} x',  # brackets in the user
    f'198.51.100.7 - - {TIME} "GET /a\nb HTTP/1.1" 200 5 {ID} y',  # LF in the path: `.` does not match it
    f'198.51.100.7 - - {TIME} "GET /pets HTTP/1.1\t" 200 512 {ID} x',  # no: protocol ends at the tab
]
# Lines the pattern accepts that of_shape's string tests must send to the right path (SHAPE's, or the regex).
EDGES = [
    f'198.51.100.7 - - [28/Nov/2026:10:15:01  +0000] "GET /p HTTP/1.1" 200 5 {ID} y',  # two spaces in the time
    f'198.51.100.7 - - [28/Nov/2026\n10:15:01 +0000] "GET /p HTTP/1.1" 200 5 {ID} y',  # LF in the time
    f'198.51.100.7 - - [28/Nov/2026:10:15:01\r+0000] "GET /p HTTP/1.1" 200 5 {ID} y',  # CR in the time
    f'198.51.100.7 - - [28/[Nov/2026:10:15:01 +0000] "GET /p HTTP/1.1" 200 5 {ID} y',  # `[` in the time
    f'198.51.100.7 - [u {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # `[` opening the user
    f'198.51.100.7 [c - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # `[` opening the caller
    f'[198.51.100.7 - - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # `[` opening the ip
    f'198.51[.100.7 - - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # `[` inside the ip
    f'198.51.100.7] - - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # `]` in the ip
    f'198.51.100.7 - u] {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # `]` in the user
    f'198.51.100.7 - [u] [x] {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # a bracketed user, then more
    f'198.51.100.7  - - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # two spaces after the ip: the pattern refuses
    f'198.51.100.7 -   - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # three spaces before the user
    f'caf\u00e9 \u00e9 \U0001f600 [28/Nov/2026:10:15:01 \u00e9] "G\u00e9T /\u00e9 H\u00e9" 200 \u00e9 {ID} \u00e9',
    f'198.51.100.7 - - {TIME} "GET /p[x] HTTP/1.1" 200 5 {ID} y]',  # brackets after the head
    f'198.51.100.7 - - [] "GET /p HTTP/1.1" 200 5 {ID} y',  # an empty time: the pattern refuses
    f'198.51.100.7 - - [ ] "GET /p HTTP/1.1" 200 5 {ID}\n',  # a blank time
    f'198.51.100.7 - - {TIME} "GET   HTTP/1.1" 200 5 {ID} y',  # a path of one space
    f'198.51.100.7 - - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y"',  # a third quote
    f'198.51.100.7\t- - {TIME} "GET /p HTTP/1.1" 200 5 {ID} y',  # a tab after the ip: the pattern refuses
]


def _staged(lines: list[str]) -> list[tuple[str, object, object, bool]]:
    return cut_against_regex(ApiGatewayAccessLogParser(), lines)


def test_struct_by_quotes_equals_the_whole_patterns_groups() -> None:
    lines = [e.message for e in EXAMPLES] + FAST + SLOW
    rows = _staged(lines)
    accepted = {message for message, *_ in rows}
    assert accepted == set(lines) - {SLOW[-2], SLOW[-1]}  # the pattern refuses an LF in the path, a tab at the end
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    fast = {message for message, _expected, _got, is_fast in rows if is_fast}
    assert fast == {e.message for e in EXAMPLES} | set(FAST)


def test_string_tests_take_only_lines_of_shape() -> None:
    """of_shape replaced SHAPE's full match over the whole line: on every line the pattern accepts it holds only
    where SHAPE does (so the cut reads only lines its argument covers), and the struct is the regex's groups."""
    lines = [e.message for e in EXAMPLES] + FAST + SLOW + EDGES
    rows = _staged(lines)
    assert [message for message, expected, got, _fast in rows if expected != got] == []
    con = duckdb.connect()
    of_shape = {message: fast for message, _expected, _got, fast in rows}
    shape = dict(
        con.execute(
            f"SELECT m, regexp_full_match(regexp_replace(m, '[\\r\\n]+\\z', ''), {sql_string(SHAPE)}) "
            "FROM unnest($lines::VARCHAR[]) AS t(m)",
            {"lines": list(of_shape)},
        ).fetchall()
    )
    assert [m for m in of_shape if of_shape[m] and not shape[m]] == []
    assert [m for m in of_shape if shape[m] and not of_shape[m]] == [EDGES[0], EDGES[3]]  # spaces, `[` in the time
    assert len(rows) == 32 and sum(of_shape.values()) == 14


def test_fast_values() -> None:
    rows = {message: got for message, _expected, got, _fast in _staged(FAST[1:4])}
    assert rows[FAST[1]]["extended_request_id"] == "" and rows[FAST[1]]["request_id"] == ID
    assert [rows[FAST[2]][k] for k in ("caller", "user", "http_method", "resource_path", "status")] == [
        "AIDAEXAMPLE",
        "arn:aws:iam::1:user/u",
        "POST",
        "/pets/{id}",
        "502",
    ]
    assert [rows[FAST[3]][k] for k in ("ip", "resource_path", "protocol", "response_length")] == [
        "2001:db8::1",
        "/pets/1 /2",
        "HTTP/1.1",
        "12",
    ]
    assert rows[FAST[3]]["request_time"] == "28/Nov/2026:10:15:01 +0000"


def test_classification_matches_and_the_plan_splits() -> None:
    """The likely format kept its 11 groups from classification (RE2's submatch engine over the whole line);
    with its own plan it is no longer eligible, so classification runs the full match only."""
    from loglake.transform import likely_format

    assert not likely_format.eligible(ApiGatewayAccessLogParser())


def test_a_long_extended_request_id_is_claimed() -> None:
    """The guard looked for the request id in the message's last 60 characters: a line whose extended request id
    (or its line end) pushed it out went to access_log (its combined pattern accepts the line), though this
    pattern accepts it. The guard now reads the line's end as the pattern does (apigateway_access_log.END)."""
    con = duckdb.connect()
    head = f'198.51.100.7 - - {TIME} "GET /pets HTTP/1.1" 200 512 {ID} '
    lines = [head + "x" * n + end for n in (16, 23, 24, 60) for end in ("", "\r\n")]
    detect = ApiGatewayAccessLogParser().detect("m")
    con.execute("CREATE TEMP TABLE t AS SELECT unnest($lines::VARCHAR[]) AS m", {"lines": lines})
    assert [claimed for (claimed,) in con.execute(f"SELECT {detect} FROM t ORDER BY rowid").fetchall()] == [True] * 8

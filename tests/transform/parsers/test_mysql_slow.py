"""mysql_slow detects its queries by the pattern's prefix and cuts the groups of the usual slow query
(mysql_slow.SHAPE): the same claims, groups and column values as the whole pattern's full match and
extraction, on crafted queries."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from conftest import (
    benchmark_lines,
    classified_rows,
    first_shortcut_runs,
    macro_connection,
    mutate,
    sure_lines_claimed,
)
from loglake.transform import etl, likely_format
from loglake.transform.parsers.base import RegexParser
from loglake.transform.parsers.mysql_slow import PREFIX, SHAPE, MysqlSlowParser

_TIME = "# Time: 2021-03-23T16:15:04.587137Z\n"
_USER = "# User@Host: admin[admin] @  [10.0.0.1]  Id:    18\n"
_QUERY = "# Query_time: 10.001235  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0\n"
_SET = "SET timestamp=1616516094;\n"
_USUAL = _TIME + _USER + _QUERY + _SET
_LINES = [
    _USUAL + "SELECT SLEEP(10);",  # the usual shape
    _USUAL,  # no statement
    _USUAL + "\n",
    _USUAL + "\r\n",
    _USUAL.rstrip("\n"),  # the line ends at `;`: SET is the statement
    _USUAL + "SELECT 1;\nSELECT 2;\r\n\r\n",
    _USUAL + "use shop;\nSELECT 1;",  # `use` after SET: the statement
    _USUAL + "# a comment\nSELECT 1;",
    _USUAL + "ünïcödé ✓ 日本 '\"",
    _USUAL.replace("SET timestamp=1616516094;\n", "use shop;\nSET timestamp=1616516094;\n") + "SELECT 1;",
    _USUAL.replace("SET timestamp=1616516094;\n", "") + "SELECT 1;",  # no SET
    _USUAL.replace("SET timestamp=1616516094;", "SET timestamp=x;") + "SELECT 1;",
    _USUAL.replace(_TIME, "") + "SELECT 1;",  # no # Time
    _USUAL.replace(_TIME, "# Time: 210323 16:15:04\n") + "SELECT 1;",  # 5.6's time: the time from SET
    _USUAL.replace(_TIME, "# Time: \n") + "empty time",
    _USUAL.replace(_TIME, "# Time: 2021-03-23T16:15:04Z\r\n") + "CR in the time",
    _USUAL.replace(_TIME, "# Time: tïmé ✓\n") + "non-ASCII time",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]  Id: 18\n") + "one blank",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1] Id: 18\n") + "one blank before Id",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]  Id:18\n") + "no blank after Id:",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]\tId:\t18\n") + "tabs",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]\n") + "no Id",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]  Id:    x\n") + "Id not digits",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]  Id:    18 \n") + "blank after the id",
    _USUAL.replace(_USER, "# User@Host: a  Id: 1[a] @  [10.0.0.1]  Id:    18\n") + "Id: in the user",
    _USUAL.replace(_USER, "# User@Host: a]b[a] @  [10.0.0.1]  Id:    18\n") + "a bracket in the user",
    _USUAL.replace(_USER, "# User@Host: app[app] @ ip-10-0-0-2.ec2.internal [10.0.0.2]  Id:   442\n") + "host",
    _USUAL.replace(_USER, "# User@Host: [] @  []  Id: 7\n") + "empty user",
    _USUAL.replace(_USER, "# User@Host: ädmïn[ädmïn] @  [10.0.0.1]  Id:    18\n") + "non-ASCII user",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]  Id:    99999999999999999999\n") + "big id",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]  Id:    18\r\n") + "CRLF",
    _USUAL.replace(_USER, "# User@Host: admin[admin] @  [10.0.0.1]  Id:    \uff11\n") + "full-width digit",
    _USUAL.replace(_QUERY, "# Query_time: 1.5 Lock_time: 0 Rows_sent: 1 Rows_examined: 2\n") + "single blanks",
    _USUAL.replace(_QUERY, "# Query_time: 1.5 Lock_time: 0 Rows_sent: 1  Rows_examined: 2\n") + "one blank before Lock",
    _USUAL.replace(_QUERY, "# Query_time: 1.5  Lock_time: 0  Rows_sent: 1  Rows_examined: 2\n")
    + "two before Rows_sent",
    _USUAL.replace(_QUERY, "# Query_time: 1.5  Lock_time: 0 Rows_sent: 1   Rows_examined: 2\n") + "three blanks",
    _USUAL.replace(_QUERY, _QUERY[:-1] + "  Rows_affected: 0\n") + "MariaDB's extra field",
    _USUAL.replace(_QUERY, _QUERY + "# Bytes_sent: 5\n") + "a # line after",
    _USUAL.replace(_QUERY, "# Schema: shop  Last_errno: 0\n" + _QUERY) + "a # line before",
    _USUAL.replace(_QUERY, "# Query_time: 1.2.3  Lock_time: . Rows_sent: 0  Rows_examined: 00\n") + "dots",
    _USUAL.replace(_QUERY, "# Query_time: 1e3  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\n") + "no match",
    _USUAL + "SELECT 1;\n# Query_time: 1  Lock_time: 1 Rows_sent: 1  Rows_examined: 1\nSET timestamp=5;\nx",
    "# Time: 2021-03-23T16:15:04Z\n# User@Host: x\n",  # no Query_time: not claimed
    "# Query_time: 1  Lock_time: 1 Rows_sent: 1  Rows_examined: 1\nSELECT 1;",  # no User@Host
    "# User@Host: x  Id: 5\n# Query_time: 1  Lock_time: 1 Rows_sent: 1  Rows_examined: 1\n",
    "# User@Host: x  Id:\n5\n# Query_time: 1  Lock_time: 1 Rows_sent: 1  Rows_examined: 1\nSELECT 1;",
    " " + _USUAL + "leading blank",
    "plain words",
    "",
    "\r\n",
]
_CLAIMED = 42
_FAST = 17


def _values(con: Any, parser: Any, plan: Any) -> list[tuple[Any, ...]]:
    rows = etl.staged_rows(parser.name, parser.table, plan)
    exprs = ", ".join([plan.time, plan.level, *(f.expression for f in plan.fields)])
    return con.execute(f"SELECT i, {exprs} FROM ({rows}) ORDER BY i").fetchall()


def test_prefix_detection_and_the_cut_give_the_whole_pattern_s_claims_groups_and_columns() -> None:
    parser = MysqlSlowParser()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, _LINES)
    guard = str(parser.guard).replace("{m}", "message")
    old_claim = f"(CASE WHEN {guard} THEN {RegexParser.matches(parser, 'message')} ELSE false END)"
    claims = con.execute(f"SELECT {parser.detect('message')}, {old_claim} FROM classified ORDER BY i").fetchall()
    assert [new for new, _ in claims] == [old for _, old in claims]
    assert sum(new for new, _ in claims) == _CLAIMED
    con.execute(f"DELETE FROM classified WHERE NOT {old_claim}")
    # Every column, the time string and the level: the plan as it was (the whole pattern's groups) and now.
    before = RegexParser.plan(parser, con, 5)
    assert _values(con, parser, parser.plan(con, 5)) == _values(con, parser, before)
    # The staged groups are the regex's, and the cut read the queries of the usual shape.
    s = parser.struct_column
    groups = ", ".join(f"{s}.{g}" for g in parser.groups)
    rows = etl.staged_rows(parser.name, parser.table, parser.plan(con, 5))
    after = con.execute(f"SELECT {groups}, {s}_head.whole <> '' FROM ({rows}) ORDER BY i").fetchall()
    old_rows = etl.staged_rows(parser.name, parser.table, before)
    was = con.execute(f"SELECT {groups} FROM ({old_rows}) ORDER BY i").fetchall()
    assert [row[:-1] for row in after] == was
    assert len(was) == _CLAIMED and sum(row[-1] for row in after) == _FAST
    first = dict(zip(parser.groups, after[0][:-1], strict=True))
    assert first == {
        "time": "2021-03-23T16:15:04.587137Z",
        "user_host": "admin[admin] @  [10.0.0.1]",
        "thread_id": "18",
        "query_time": "10.001235",
        "lock_time": "0.000000",
        "rows_sent": "1",
        "rows_examined": "0",
        "db": "",
        "set_timestamp": "1616516094",
        "sql_text": "SELECT SLEEP(10);",
    }


def test_the_pattern_is_the_prefix_then_what_matches_anything_and_the_shape_is_one_pass_sized() -> None:
    parser = MysqlSlowParser()
    assert parser.pattern.startswith("(?s)" + PREFIX) and parser.pattern.endswith(r";\n)?(.*)")
    assert re.compile(SHAPE).groups == 4  # RE2's one-pass engine extracts 4 groups at most
    assert not likely_format.eligible(parser)


# Classification's shortcut (MysqlSlowParser.sure, tested before every parser ahead of mysql_slow: etl._shortcuts).
_T = "# Time: 2026-11-26T00:00:00.000000Z\n"
_U = "# User@Host: app[app] @  [10.0.0.1]  Id:    18\n"
_Q = "# Query_time: 1.000000  Lock_time: 0.000000 Rows_sent: 1  Rows_examined: 0\n"
_HEAD = _T + _U + _Q
_SURE_CRAFTED = [
    # sure: queries as MySQL writes them, with text that each earlier parser's guard or pattern reads
    _HEAD + "SET timestamp=1764115200;\nSELECT SLEEP(1);",
    _HEAD + "use shop;\nSET timestamp=1764115200;\nUPDATE orders SET state = 'x' WHERE id = 1;",
    _HEAD + 'SELECT \'{"requestId": "1", "httpMethod": "GET", "eventVersion": "1", "webaclId": "w"}\';',
    _HEAD + "SELECT '10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326';",
    _HEAD + 'SELECT "a] "b" - c [t] "GET / HTTP/1.1" 200 5 01234567-89ab-cdef-0123-456789abcdef";',
    _HEAD + "SELECT 'a\tb\tc\td\te\tf\tg\th\ti\tj\tk\tl';",
    _HEAD + "SELECT 1 stdout F START RequestId: tls 2.0 <13>1 2026/11/26 00:00:00 [error] 1#1: x:[1]:LOG:  y",
    _HEAD + "x",
    _HEAD + 'SELECT 1;\n\tat a.b(c)\n  File "x", line 1\n',
    _HEAD + "SELECT 1;\r\n",
    _HEAD + "SELECT 1;\n\n",
    _HEAD + "SELECT 1;\r",
    _HEAD + "SELECT 'ünïcödé ✓ 日本';\nsecond line\r\n",
    _HEAD + "ü",
    _HEAD + "\x0b\t\x00 control characters",
    _HEAD + " leading blank",
    _HEAD + "SELECT '" + "long text " * 10_000 + "';",
    _HEAD.replace(_T, "# Time: 2026-11-26T00:00:00Z\n") + "SELECT 1; -- no fraction",
    _HEAD.replace(_T, "# Time: 2026-11-26T00:00:00.1Z\n") + "SELECT 1; -- one digit",
    _HEAD.replace(_T, "# Time: 210323 16:15:04\n") + "SET timestamp=1616516104;\nSELECT 1; -- 5.6, MariaDB",
    _HEAD.replace(_T, "# Time: 210323  6:15:04\n") + "SELECT 1; -- the hour padded with a blank",
    _HEAD.replace(_U, '# User@Host: a] "b[c] @ x [1.2.3.4]  Id: 1\n') + 'SELECT 1; -- `] "` in the user',
    _HEAD.replace(_U, "# User@Host: app[app] @  [10.0.0.1]\n") + "SELECT 1; -- no Id",
    _HEAD.replace(_U, "# User@Host: [] @  []  Id: 7\n") + "SELECT 1; -- empty user",
    _HEAD.replace(_U, "# User@Host: a\tb[c] @ h\t[1.2.3.4]  Id:\t1\n") + "SELECT 1; -- tabs",
    _HEAD.replace(_U, _U + "# Thread_id: 18  Schema: shop  QC_hit: No\n") + "SELECT 1; -- MariaDB's # line",
    _HEAD.replace(_Q, _Q[:-1] + "  Rows_affected: 0  Bytes_sent: 5\n") + "SELECT 1; -- MariaDB's fields",
    _HEAD.replace(_Q, "# Query_time: 1.5 Lock_time: 0 Rows_sent: 1 Rows_examined: 2\n") + "SELECT 1; -- single blanks",
    _HEAD + "SELECT 1;\n" + _HEAD + "SELECT 2; -- two queries",
    _HEAD.replace(_U, "# User@Host: x  Id:\n5\n") + "SELECT 1; -- an LF after Id: (`\\s*` takes it)",
]
"""Queries `sure` takes: MySQL's slow queries with a `# Time` line (ISO time in UTC, or 5.6's and MariaDB's), with
line ends, non-ASCII, control characters, a long statement, and text that other parsers' guards and patterns read
(JSON keys, `] "`, an access log's time and request, tabs, other formats' first words)."""
_NOT_SURE = [
    # text's: no LF ends the # Query_time line once the line end is dropped (base.LINE)
    _HEAD,
    _HEAD + "\n",
    _HEAD + "\r\n",
    # mysql_slow's, not sure: a line end first in the statement, no `# Time` line, other times
    _HEAD + "\nSELECT 1; -- an empty line first",
    _HEAD + "\rSELECT 1; -- a CR first",
    _HEAD.replace(_T, "") + "SELECT 1; -- no # Time",
    _HEAD.replace(_T, "# Time: 2026-11-26T00:00:00.000000+00:00\n") + "SELECT 1; -- a zone",
    _HEAD.replace(_T, "# Time: 2026-11-26 00:00:00\n") + "SELECT 1; -- a blank for T",
    _HEAD.replace(_T, "# Time: 2026-11-26T00:00:00.Z\n") + "SELECT 1; -- dot only",
    _HEAD.replace(_T, "# Time: 2026-11-26T00:00:00.000000Z \n") + "SELECT 1; -- a blank after the time",
    _HEAD.replace(_T, "# Time: 2026-11-26T00:00:00.000000Z\r\n") + "SELECT 1; -- CR LF after the time",
    _HEAD.replace(_T, "# Time:  2026-11-26T00:00:00.000000Z\n") + "SELECT 1; -- two blanks",
    _HEAD.replace(_T, "# Time: 21032 16:15:04\n") + "SELECT 1; -- five digits",
    _HEAD.replace(_T, "# Time: 210323 16:15:4\n") + "SELECT 1; -- one digit of seconds",
    _HEAD.replace(_T, "# Time: 210323\t16:15:04\n") + "SELECT 1; -- a tab",
    _HEAD.replace(_T, "# Time: २०२६-11-26T00:00:00.000000Z\n") + "SELECT 1; -- Devanagari digits",
    _HEAD.replace(_T, "# Time: \n") + "SELECT 1; -- empty time",
    # text's: not a slow query, or not at the start
    _HEAD.replace(_T, "# Time: 2026-11-26T00:00:00.000000Z\n# Time: 1\n") + "SELECT 1; -- two # Time",
    _HEAD.replace(_T, "#  Time: 2026-11-26T00:00:00.000000Z\n") + "SELECT 1; -- #, two blanks",
    _HEAD.replace(_T, "# time: 2026-11-26T00:00:00.000000Z\n") + "SELECT 1; -- lower case",
    _HEAD.replace(_U, "") + "SELECT 1; -- no # User@Host",
    _HEAD.replace(_Q, "") + "SELECT 1; -- no # Query_time",
    _HEAD.replace(_Q, "# Query_time: 1e3  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\n") + "SELECT 1;",
    _HEAD.replace(_Q, "#Query_time: 1  Lock_time: 0 Rows_sent: 0  Rows_examined: 0\n") + "SELECT 1;",
    " " + _HEAD + "SELECT 1; -- leading blank",
    "\n" + _HEAD + "SELECT 1; -- leading LF",
    "# Time: 2026-11-26T00:00:00.000000Z",
    "#Version: 1.0",
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method",
    "",
]
"""Queries and lines `sure` does not take, each next to a query it takes."""
_NOT_SURE_PARSERS = ["text"] * 3 + ["mysql_slow"] * 14 + ["text"] * 13
"""The parser of each line of _NOT_SURE, as the CASE in PARSERS order gives it."""
_VPC_QUERY = _HEAD.replace(_U, "# User@Host: a[a] @  [1]  Id: 1\n") + "SELECT 1;"
_CUSTOM = [
    " ".join(
        ("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes " * 2).split()[:18]
    ),
    "#Fields: date time c-ip sc-bytes x-edge-location cs-method",  # CloudFront's header: its `custom` too
    _VPC_QUERY,
]
"""An object whose headers make VPC's and CloudFront's detection read the field count: `sure` is false there, and
a query of 18 words (split at blanks) is VPC's, as the whole order gives it."""


def _bench(seed: int) -> list[str]:
    """200 of the benchmark's slow queries, and the same as MySQL 5.6 and MariaDB write them (`%y%m%d %H:%M:%S`)."""
    bench = benchmark_lines("mysql_slow", 200, seed)
    return [*bench, *(re.sub(r"Time: 20(\d\d)-(\d\d)-(\d\d)T(\S+)\.\d+Z", r"Time: \1\2\3 \4", q) for q in bench)]


_NOISE = [
    *(" ", "  ", "\t", "\n", "\r\n", "\r", '"', "] ", '] "', "[", "{", ":", "0", "9", ".", "Z", "T", "-", "#", "# "),
    *("é", "日", "\x0b", "# Time: ", "# User@Host: ", "Id: 1", "stdout ", "START ", "tls ", "<13>", "/", ","),
    *("12345678-1234-1234-1234-123456789012 ", '"GET / HTTP/1.1" ', "[10/Oct/2000:13:55:36 -0700] ", "x:80 "),
]
"""What _mutated inserts or puts in place: the characters and words that sure and the earlier parsers' guards and
patterns read."""


def _mutated(count: int) -> list[str]:
    """The benchmark's slow queries (every other one with 5.6's time), each with 1-3 insertions, deletions or
    replacements from _NOISE, half of them in the first 40 characters."""
    rng = random.Random(29)
    queries = _bench(7)
    lines = []
    for i in range(count):
        line = queries[i % len(queries)]
        line = mutate(line, rng, _NOISE, 40)
        lines.append(line)
    return lines


def test_sure_queries_keep_the_parser_the_whole_order_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classification tests MysqlSlowParser.sure before every parser ahead of it; each line keeps the parser the
    CASE in PARSERS order gives it: crafted queries and near misses, 400 benchmark queries (8.0's and the same with
    5.6's time), 2,000 mutated ones, 20 lines of every format, every parser's examples and test_typed_golden.py's
    messages, each also with CR LF, and crafted and benchmark queries again in an object whose VPC and CloudFront
    headers make those parsers count fields (`sure` is false there)."""
    crafted = (_SURE_CRAFTED, _NOT_SURE, _NOT_SURE_PARSERS)
    parser = MysqlSlowParser()
    mutated, old = first_shortcut_runs(parser, crafted, _bench(13), _CUSTOM, monkeypatch, mutated=_mutated(2000))
    assert 200 < sum(mutated) < 1800  # the mutations hit and miss what sure reads
    assert old[:3] == ["text", "text", "vpc_flow_log"]  # the query of 18 words is VPC's


def test_no_parser_before_claims_a_query_sure_takes() -> None:
    """Every parser of MysqlSlowParser.ahead_of, its own detection, is false on every crafted, benchmark and
    mutated query that `sure` takes (what the CASE's order needs), and mysql_slow's is true."""
    lines = [*_SURE_CRAFTED, *_NOT_SURE, *_bench(5), *_mutated(2000)]
    assert sure_lines_claimed(MysqlSlowParser(), lines) > len(_SURE_CRAFTED) + 400 + 200

"""mysql_slow detects its queries by the pattern's prefix and cuts the groups of the usual slow query
(mysql_slow.SHAPE): the same claims, groups and column values as the whole pattern's full match and
extraction, on crafted queries."""

from __future__ import annotations

import re
from typing import Any

from conftest import classified_rows, macro_connection
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

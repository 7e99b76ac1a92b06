"""mysql_general detects its lines by the pattern's prefix and cuts the argument after it (mysql_general.PREFIX):
the same claims and the same groups as the whole pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

from conftest import prefix_against_regex
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

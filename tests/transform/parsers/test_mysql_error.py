"""mysql_error detects its lines by the pattern's prefix and cuts the text after it (mysql_error.PREFIX): the
same claims and the same groups as the whole pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

from conftest import prefix_against_regex
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

"""CloudFront real-time records' groups from the tab split: the regex's values on every line of its pattern
(the standard logs' own test is in test_cloudfront.py)."""

from __future__ import annotations

import duckdb

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, RegexParser
from loglake.transform.parsers.cloudfront_realtime import _RECORD, CloudFrontRealtimeParser
from loglake.transform.parsers.tab_fields import struct_by_tabs


def test_struct_by_tabs_names_tokens_in_order() -> None:
    assert struct_by_tabs("t", ["a", "b", "rest"]) == (
        "struct_pack(a := coalesce(t[1], ''), b := coalesce(t[2], ''), "
        "rest := CASE WHEN len(t) < 3 THEN '' ELSE array_to_string(t[3:], chr(9)) END)"
    )


def test_realtime_groups_come_from_the_tab_split_with_the_regex_values() -> None:
    """The 46-group regexp_extract (in classification, as the likely format's kept groups, or in the write)
    is replaced by string_split and a struct of its tokens."""
    parser = CloudFrontRealtimeParser()
    plan = parser.plan(None, 5)
    assert list(plan.staging) == ["__ll_cloudfront_realtime_tokens"]
    assert (
        list(plan.derived) == ["__ll_cloudfront_realtime"] and "regexp" not in plan.derived["__ll_cloudfront_realtime"]
    )
    later = ["h: v", "h", "1", "E123", "d.cloudfront.net", "0.1", "0.2", "64496"]
    lines = [
        *("\t".join(_RECORD), "\t".join([*_RECORD, *later[:1]]), "\t".join([*_RECORD, *later[:5]])),
        *("\t".join([*_RECORD, *later]), "\t".join([*_RECORD, *later, "x", "", "y z"]), "\t".join([*_RECORD, ""])),
        *("\t".join([*_RECORD, *later, ""]), "\t".join(_RECORD) + "\r\n", "\t".join(["ünï", *_RECORD[1:]])),
        "\t".join([_RECORD[0], "a\nb", *_RECORD[2:]]),
        *("\t".join(_RECORD[:36]), "1598996474\t" + "\t".join(_RECORD[1:]), ""),  # none of the pattern
    ]
    line = LINE.format(m="message")
    rows = duckdb.execute(
        f"SELECT regexp_full_match({line}, {sql_string(parser.pattern)}), {RegexParser.staged(parser, 'message')}, "
        f"{plan.derived['__ll_cloudfront_realtime']} FROM (SELECT message, "
        f"{plan.staging['__ll_cloudfront_realtime_tokens']} AS __ll_cloudfront_realtime_tokens "
        "FROM (SELECT unnest(?::VARCHAR[]) AS message, generate_subscripts(?, 1) AS i) ORDER BY i)",
        [lines, lines],
    ).fetchall()
    assert [r[0] for r in rows] == [True] * 8 + [False] + [True] + [False] * 3
    matched = [r for r in rows if r[0]]
    assert [r[1] for r in matched] == [r[2] for r in matched]
    assert [r[2]["extra_fields"] for r in matched] == ["", "", "", "", "x\t\ty z", "", "", "", ""]
    assert [r[2]["asn"] for r in matched] == ["", "", "", "64496", "64496", "", "64496", "", ""]


def test_last_group_joins_only_where_there_are_tokens() -> None:
    names = ["a", "b", "c", "rest"]
    new = struct_by_tabs("t", names)
    assert "CASE WHEN len(t) < 4 THEN '' ELSE array_to_string(t[4:], chr(9)) END" in new
    old = new.replace(
        "CASE WHEN len(t) < 4 THEN '' ELSE array_to_string(t[4:], chr(9)) END", "array_to_string(t[4:], chr(9))"
    )
    lines = ["x", "x\ty", "x\ty\tz", "x\ty\tz\t", "x\ty\tz\tw", "x\ty\tz\tw\tv", "\t\t\t\t", "x\ty\tz\t\u00e9\r\n", ""]
    rows = (
        duckdb.connect()
        .execute(
            f"SELECT l, {old}, {new} FROM (SELECT l, string_split(l, chr(9)) AS t FROM unnest($lines::VARCHAR[]) AS u(l))",
            {"lines": [*lines, None]},
        )
        .fetchall()
    )
    assert len(rows) == 10 and [r for r in rows if r[1] != r[2]] == []
    assert [r[2]["rest"] for r in rows] == ["", "", "", "", "w", "w\tv", "\t", "\u00e9\r\n", "", None]

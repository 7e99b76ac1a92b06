"""syslog_rsyslog_file detects its lines by the pattern's prefix and cuts the rest of the line after a one-pass
extraction of its head (syslog_rsyslog_file.PREFIX, HEAD): the same claims and the same groups as the whole
pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb

from conftest import classified_rows, prefix_against_regex
from loglake.sql_quoting import sql_string
from loglake.transform import timestamps
from loglake.transform.etl import staged_rows
from loglake.transform.parsers.base import RegexParser
from loglake.transform.parsers.syslog_rsyslog_file import _LEVEL_HOST, HEAD, PREFIX, SyslogRsyslogFileParser

_T = "2026-11-26T10:00:00.123456+01:00"
_LINES = [
    f"{_T} web-01 systemd[1]: Started session-4.scope - Session 4 of User admin.",
    "2026-11-26T10:00:01.000042+00:00 db-02 kernel: [12345.678901] EXT4-fs (sda1): re-mounted.",
    "<86>2026-11-26T10:00:02.5-05:00 bastion sshd[48211]: Accepted publickey for deploy",
    "<27>2026-11-26T10:00:03Z web-01 CRON[9911]: (root) error: pam_unix(cron:session): failure",
    "<5>2026-11-26T10:00:03+0400 h t: zone without colon",
    "<191>2026-11-26T10:00:03Z h t[]: empty pid",
    f"{_T} h t:",
    f"{_T} h t: ",
    f"{_T} h t:  two spaces  ",
    f"{_T} h t[7]:",
    f"{_T} h t:\n",
    f"{_T} h t:\r\n\r\n",
    f"{_T} h t: first\nsecond\r\n",
    f"{_T} h t: \ttab",
    f"{_T} hôst-ü tâg[ß]: ünïcödé ✓ 日本",
    f"{_T} he\u0301 te\u0301[1]: combining marks",
    f"{_T} h t[1]: a [b] c: d",
    f"{_T} h t: x=\"quoted\" 'q'",
    f"{_T} h t:x glued",
    f"{_T} h t[1]:x glued",
    f"{_T} h t[1] x: bracket then space",
    f"{_T} h t[a b]: space in pid",
    f"{_T} h  t: two spaces before the tag",
    f"{_T}  h t: two spaces before the host",
    f"{_T} h: no tag",
    f"{_T} h t",
    f"{_T} INFO main: started",
    f"<13>{_T} warn main: started",
    "2026-11-26T10:00:00 h t: no zone",
    "2026-11-26T10:00:00.1234567890Z h t: ten fraction digits",
    "<1234>2026-11-26T10:00:00Z h t: four-digit PRI",
    "<>2026-11-26T10:00:00Z h t: empty PRI",
    "2026-11-26 10:00:00Z h t: space for the T",
    f" {_T} h t: leading space",
    f"\n{_T} h t: leading LF",
    f"{_T} h t\r: CR in the tag",
    "",
    "\r\n",
]


def test_prefix_detection_and_head_cut_give_the_whole_pattern_s_claims_and_groups() -> None:
    parser = SyslogRsyslogFileParser()
    guard = str(parser.guard).replace("{m}", "message")
    full = RegexParser.matches(parser, "message")
    old_claim = f"(CASE WHEN {guard} THEN ({full} AND NOT regexp_matches(message, {sql_string(_LEVEL_HOST)})) "
    old_claim += "ELSE false END)"
    claims, after, con, rows = prefix_against_regex(parser, _LINES, old_claim)
    s = parser.struct_column
    assert claims == [True] * 18 + [False] * 20
    assert len(after) == 38
    picked = [after[i] for i in (2, 5, 6, 8, 14, 15)]
    assert [(r["pri"], r["hostname"], r["appname"], r["procid"], r["msg"]) for r in picked] == [
        ("86", "bastion", "sshd", "48211", "Accepted publickey for deploy"),
        ("191", "h", "t", "", "empty pid"),
        ("", "h", "t", "", ""),
        ("", "h", "t", "", " two spaces  "),
        ("", "hôst-ü", "tâg", "ß", "ünïcödé ✓ 日本"),
        ("", "he\u0301", "te\u0301", "1", "combining marks"),
    ]
    # HEAD matched every claimed line (the cut served them), the glued ones (`t:x`: there the regex did) and the
    # level word's (the pattern matches them; detection's second test refuses them).
    cut = con.execute(f"SELECT {s}_head.ts <> '' FROM ({rows}) ORDER BY i").fetchall()
    assert [c for (c,) in cut] == [True] * 20 + [False] * 6 + [True, True] + [False] * 10
    # HEAD is PREFIX with its groups moved: the same text with every parenthesis dropped.
    assert HEAD.replace("(?:", "(").replace("(", "").replace(")", "") == PREFIX.replace("(?:", "(").replace(
        "(", ""
    ).replace(")", "")
    assert parser.pattern == "(?s)" + PREFIX + "(?: (.*))?"


def test_the_time_takes_the_matched_rfc3339_path_with_the_cascade_s_values() -> None:
    """The time group is timestamps.RFC3339 in PREFIX and HEAD, so the struct's time is '' or a full match of it
    on every line, claimed or not, and its `matched_rfc3339` path (a cast, no test) reads what ll_parse_time read:
    here on the crafted lines and on times of every RFC 3339 shape (fractions of 1-9 digits, `Z`, `+0400`,
    leap days, 23:59:60, 24:00, years 0001 and 9999, days out of range)."""
    parser = SyslogRsyslogFileParser()
    plan = parser.plan(None, 5)
    assert plan.time_format == "matched_rfc3339" and plan.time == "__ll_syslog_rsyslog_file.ts"
    assert f"({timestamps.RFC3339}) " in PREFIX and PREFIX.count("(") - PREFIX.count("(?:") == 5
    assert HEAD.startswith(rf"(?:<\d{{1,3}}>)?({timestamps.RFC3339}) ")
    times = [
        *("2024-02-29T23:59:60Z", "2026-02-29T00:00:00Z", "2026-11-26T24:00:00+00:00", "0001-01-01T00:00:00+01:00"),
        *("9999-12-31T23:59:59.999999999-14:00", "2026-11-31T10:00:00Z", "2026-11-26T10:00:00.1+0400"),
        *(f"2026-11-26T10:00:00.{'123456789'[:n]}-05:30" for n in range(1, 10)),
    ]
    lines = [*_LINES, *(f"{t} h t: x" for t in times)]
    con = duckdb.connect()
    con.execute(timestamps.MACROS)
    classified_rows(con, parser.name, parser.table, lines)
    fast = timestamps.parse_time_expression(plan.time, "1795780800000", plan.time_format)
    rows = con.execute(
        f"SELECT i, {plan.time}, {fast}, ll_parse_time({plan.time}, 1795780800000) "
        f"FROM ({staged_rows(parser.name, parser.table, plan)}) ORDER BY i"
    ).fetchall()
    assert len(rows) == len(lines) == 54
    assert [r[1] for r in rows if r[1] != "" and not re.fullmatch(timestamps.RFC3339, r[1])] == []
    assert [r[0] for r in rows if r[2] != r[3]] == []
    # Not a comparison of NULLs: NULL where the pattern reads no time (''), and for the three added times that are
    # no instant (23:59:60, Feb 29 2026, Nov 31); 24:00 is the next day's midnight.
    assert [r[0] for r in rows if r[2] is None] == [*range(18, 26), *range(28, 40), 43]
    assert rows[40][2] == datetime(2026, 11, 27) and rows[44][2] == datetime(2026, 11, 26, 6, 0, 0, 100000)

"""syslog_rsyslog_file detects its lines by the pattern's prefix and cuts the rest of the line after a one-pass
extraction of its head (syslog_rsyslog_file.PREFIX, HEAD): the same claims and the same groups as the whole
pattern's full match and extraction, on crafted lines."""

from __future__ import annotations

from conftest import prefix_against_regex
from loglake.sql_quoting import sql_string
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

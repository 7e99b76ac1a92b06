"""syslog_rfc5424's pattern captures three groups (the head, the structured data, the message) where it captured
nine, and its columns cut the head's fields with string functions: the same claims and the same column values,
time and level as the nine-group pattern kept here (the parser before the change), on crafted lines, every
parser's examples, the test vectors and the benchmark's lines, as written and mutated."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import duckdb

from conftest import PARSER_EXAMPLES, classified_rows
from loglake.transform.etl import staged_rows
from loglake.transform.parsers.base import Column, RegexParser, text
from loglake.transform.parsers.syslog_fields import pri_columns, severity_level
from loglake.transform.parsers.syslog_rfc5424 import _SD, HEAD, SyslogRfc5424Parser

_OLD_PATTERN = (
    rf"(?s)(?:<(\d{{1,3}})>)?(\d{{1,2}}) (-|\d{{4}}-\d\d-\d\dT\S+) (\S+) (\S+) (\S+) (\S+) (-|{_SD})(?: (.*))?"
)


class _NineGroups(RegexParser):
    """The parser as it was before the head (commit 21a27b2): nine groups, a column per group."""

    name = "syslog_rfc5424"
    table = "syslog"
    pattern = _OLD_PATTERN
    guard = SyslogRfc5424Parser.guard
    groups = ("pri", "version", "ts", "hostname", "appname", "procid", "msgid", "structured_data", "msg")
    columns = (
        *pri_columns(),
        text("version", "INTEGER"),
        text("hostname"),
        text("appname"),
        text("procid"),
        text("msgid"),
        text("structured_data"),
        Column("msg", "VARCHAR", "{s}.msg", ()),
    )
    time = "nullif({s}.ts, '-')"
    level = severity_level()


_T = "2026-11-26T10:00:00.5Z"
_SD_ESCAPED = r'[a@1 q="say \"hi\"" b="x\]y" c="back\\"][b@2 k= "v w"]'
CRAFTED = [
    f'<165>1 {_T} host app 812 ID47 [ex@32473 iut="3"] msg text',
    f"1 {_T} web-01 nginx 812 - - reload",
    f"<0>1 {_T} h a p m -",
    f"<191>99 {_T} h a p m - ",
    f"<192>1 {_T} h a p m - PRI out of range",
    f"<1234>1 {_T} h a p m - four-digit PRI",
    f"<>1 {_T} h a p m - empty PRI",
    f"<34 1 {_T} h a p m - no closing bracket",
    f"<34>123 {_T} h a p m - three-digit version",
    f"<34> 1 {_T} h a p m - space after PRI",
    "<34>1 - h a p m - nil time",
    "<34>1 - - - - - -",
    "<34>1 - - - - - - -",
    "1 - - - - - -",
    f"<34>1 {_T} - - - - - all nil",
    f"<34>1 {_T} h a p m {_SD_ESCAPED} several SD, escaped quote and ]",
    f"<34>1 {_T} h a p m {_SD_ESCAPED}",
    f'<34>1 {_T} h a p m [x@1 a="1"][y@2] glued elements',
    f'<34>1 {_T} h a p m [x@1 a="1"] [y@2] a space between elements',
    f"<34>1 {_T} h a p m [x@1] ",
    f"<34>1 {_T} h a p m [x@1]",
    f"<34>1 {_T} h a p m [x@1]msg glued to SD",
    f'<34>1 {_T} h a p m [x@1 a="1] unterminated',
    f'<34>1 {_T} h a p m [x@1 a="multi\nline"] SD across lines',
    f"<34>1 {_T} h a p m [x@1 a=1] unquoted value",
    f"<34>1 {_T} h a p m [] empty SD",
    f"<34>1 {_T} h a p m -- two dashes",
    f"<34>1 {_T} h a p m -x",
    f"<34>1 {_T} h a p m - first\nsecond\r\n",
    f"<34>1 {_T} h a p m - msg\r\n\r\n",
    f"<34>1 {_T} h a p m -\n",
    f"<34>1 {_T} h a p m -\r",
    f"<34>1 {_T} h a p m - \ttab first",
    f"<34>1 {_T} h\ta p m - tab in a field",
    f"<34>1 {_T} h  a p m - two spaces",
    f"<34>1 {_T} h a p m",
    f"<34>1 {_T} h a p",
    f"<34>1 {_T} hôst-ü äpp ß ✓ - ünïcödé 日本",
    f"<34>1 {_T} he\u0301 a\u00a0b p m - NBSP in a field",
    f"<34>1 {_T} h a\u3000b p m - ideographic space",
    f"<34>1 {_T} h a p m\x0bv - vertical tab",
    f"<34>1 {_T} h<1> a>b p m - brackets in fields",
    "<34>1 2026-11-26 10:00:00Z h a p m - space for the T",
    "<34>1 203-10-11T22:14:15.003Z h a p m - three-digit year",
    "<34>1 2026-11-26Tx h a p m - odd time",
    "1 2015-08-05T21:58:59.693Z host app 1 - - relay stripped the PRI",
    f" <34>1 {_T} h a p m - leading space",
    f"\n<34>1 {_T} h a p m - leading LF",
    "<34>Nov 26 10:00:00 web-1 sshd[42]: Accepted publickey",
    '<13>1 - - [26/Nov/2026:10:00:00 +0000] "GET - HTTP/1.1" 200 5',
    "2026-11-26T10:00:00.123456+01:00 web-01 systemd[1]: Started",
    "ts=2026-11-26T10:00:00Z level=info msg=x",
    f"<34>1 {_T} h a p m - " + "x" * 70_000,
    f'<34>1 {_T} {"h" * 5_000} a p m [x@1 a="{"v" * 5_000}"] huge fields',
    "",
    "\r\n",
    "1",
]
_CHARS = [*'0123456789 -T<>[]="\\\t\r\n@é日', "\u00a0", "  ", "- ", '"]', "] "]


def _strings(value: Any) -> list[str]:
    """Every string in a JSON document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _corpus() -> list[str]:
    """Crafted lines, every parser's examples, the vectors' strings and lines, and RFC 5424 lines of the benchmark's
    shape; then each RFC 5424-looking one with one to three edits anywhere (a fixed seed)."""
    vectors = Path(__file__).parent / "vectors"
    lines = [*CRAFTED, *PARSER_EXAMPLES]
    for path in sorted(vectors.rglob("*")):
        if path.suffix == ".json":
            lines += _strings(json.loads(path.read_text(encoding="utf-8")))
        elif path.suffix in (".out", ".log"):
            lines += path.read_text(encoding="utf-8").splitlines()
    rng = random.Random(5424)
    lines += [
        f"<165>1 2026-11-26T10:{i % 60:02d}:00Z host-{i % 16} app-{i % 5} {rng.randrange(100, 9999)} ID{i % 50} "
        f'[meta@32473 iut="{i % 9}" src="batch"] job {i} finished'
        for i in range(1_000)
    ]
    seeds = [line for line in dict.fromkeys(lines) if line[:1] in "<1" and len(line) < 2_000]
    for line in seeds * 4:
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(line) + 1)
            edit = rng.choice(_CHARS)
            line = rng.choice(
                [line[:at] + edit + line[at + 1 :], line[:at] + edit + line[at:], line[:at] + line[at + 1 :]]
            )
        lines.append(line)
    return list(dict.fromkeys(lines))


def _values(con: Any, parser: RegexParser) -> list[tuple[Any, ...]]:
    """Per line of `classified`: its position, the parser's claim, then its plan's column values, time string
    and level."""
    plan = parser.plan(None, 5)
    values = ", ".join([*(f.expression for f in plan.fields), plan.time, plan.level])
    return con.execute(
        f"SELECT i, {parser.detect('message')}, {values} FROM ({staged_rows(parser.name, parser.table, plan)}) "
        "ORDER BY i"
    ).fetchall()


def test_three_groups_give_the_nine_group_pattern_s_claims_and_values() -> None:
    lines = _corpus()
    con = duckdb.connect()
    classified_rows(con, SyslogRfc5424Parser.name, SyslogRfc5424Parser.table, lines)
    old, new = _values(con, _NineGroups()), _values(con, SyslogRfc5424Parser())
    assert len(lines) == len(old) == len(new) > 5_000
    assert [a[1] for a in old] == [b[1] for b in new]  # the same claims
    # The same values on every claimed line (the write reads no other: on a line the pattern does not match the
    # head is '' and its tokens past the first NULL, where the nine groups were '').
    assert [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a[1] and a != b] == []
    claimed = [row for row in new if row[1]]
    assert 1_000 < len(claimed) < len(lines) - 1_000  # both kinds, many of each
    unclaimed = [5, 6, 7, 8, 9, 13, 21, 22, 24, 25, 26, 27, 33, 34, 35, 36, 42, 43, 46, 47, 48, 50, 51, 54, 55, 56]
    assert [i for i, row in enumerate(new[: len(CRAFTED)]) if not row[1]] == unclaimed
    by_line = dict(zip(lines, new, strict=False))
    # facility, severity, version, hostname, appname, procid, msgid, structured_data, msg, time, level
    assert by_line[CRAFTED[0]][2:] == (
        "local4", "notice", 1, "host", "app", "812", "ID47", '[ex@32473 iut="3"]', "msg text", _T, "INFO",
    )  # fmt: skip
    assert by_line[CRAFTED[1]][2:] == (None, None, 1, "web-01", "nginx", "812", None, None, "reload", _T, None)
    assert by_line["<34>1 - - - - - - -"][2:] == ("auth", "crit", 1, None, None, None, None, None, "-", None, "FATAL")
    assert by_line[CRAFTED[15]][9:11] == (_SD_ESCAPED, "several SD, escaped quote and ]")
    assert by_line[CRAFTED[23]][9:11] == ('[x@1 a="multi\nline"]', "SD across lines")
    assert by_line[CRAFTED[28]][10] == "first\nsecond"
    assert by_line[CRAFTED[37]][5:11] == ("hôst-ü", "äpp", "ß", "✓", None, "ünïcödé 日本")


def test_the_head_is_the_old_pattern_s_first_seven_groups_without_their_parentheses() -> None:
    """The same regex language (only captures moved), so RE2 claims the same lines and takes the same parse."""

    def bare(pattern: str) -> str:
        return pattern.replace("(?:", "(").replace("(", "").replace(")", "")

    assert bare(SyslogRfc5424Parser.pattern) == bare(_OLD_PATTERN)
    assert SyslogRfc5424Parser.pattern == f"(?s)({HEAD}) (-|{_SD})(?: (.*))?"
    assert SyslogRfc5424Parser.pattern.count("(") - SyslogRfc5424Parser.pattern.count("(?") == 3

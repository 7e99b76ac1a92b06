"""apache_error detects its lines by the pattern's prefix and cuts the groups of httpd 2.4's usual line
(apache_error.SHAPE): the same claims, groups and column values as the whole pattern's full match and
extraction with the column expressions of before, on crafted lines."""

from __future__ import annotations

import re
from typing import Any

from conftest import classified_rows, macro_connection
from loglake.transform import etl, likely_format
from loglake.transform.parsers.apache_error import (
    CLIENT,
    CLIENT_PORT,
    PREFIX,
    SHAPE,
    ApacheErrorParser,
)
from loglake.transform.parsers.base import Column, RegexParser, text

_T = "[Wed Oct 11 14:32:52.123456 2000]"
_HEAD = f"{_T} [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:41716] "
_LINES = [
    _HEAD + "File does not exist: /usr/local/apache2/htdocs/favicon.ico",  # the usual shape
    _HEAD,  # no text
    _HEAD + "\n",
    _HEAD + "\r\n",
    _HEAD.rstrip() + "\r\n",  # no space before the line end: no match
    _HEAD + "x\r\n\r\n",
    _HEAD + "(13)Permission denied: access to /index.html denied",  # the APR error after the client
    _HEAD + "(13)no colon",
    _HEAD + "(x) y: z",
    _HEAD + "\nsecond line\r\nthird",
    _HEAD + "] [ brackets ] [pid 1:tid 2] [client 1.2.3.4:5] twice",
    _HEAD + "[client 9.9.9.9:1] again",
    _HEAD + " two spaces",
    _HEAD + "ünïcödé ✓ 日本",
    _HEAD.replace("core:error", ":error"),  # an empty module
    _HEAD.replace("core:error", "error") + "no module",
    _HEAD.replace("core:error", "mod x[y:notice") + "a module with a space and a bracket",
    _HEAD.replace("core:error", "core:ERROR") + "upper case level",
    _HEAD.replace("core:error", "core:err:or") + "two colons",
    _HEAD.replace("core:error", "core:trace8") + "digits",
    _HEAD.replace(_T, "[Mër Öct 11 14:32:52 2000]") + "non-ASCII time",
    _HEAD.replace(_T, "[e\u0301\U0001f986 11 14:32:52 2000]") + "combining mark and emoji",
    _HEAD.replace(_T, "[a[b]") + "a bracket in the time",
    _HEAD.replace(_T, "[01/Mar/2021:12:00:19 +0000]") + "CLF",
    _HEAD.replace(_T, "[2026-11-26 10:00:00.123456]") + "ISO",
    _HEAD.replace(_T, "[]") + "empty time",
    _HEAD.replace(_T, "[line\nfeed]") + "LF in the time",
    _HEAD.replace("35708:tid 4328636416", "35708") + "no tid",
    _HEAD.replace("35708:tid 4328636416", "35708:tid x") + "tid not digits",
    _HEAD.replace("35708:tid 4328636416", "\uff11:tid 2") + "full-width digit",
    _HEAD.replace("35708:tid 4328636416", "99999999999999999999:tid 2") + "pid past BIGINT",
    _HEAD.replace("[pid 35708:tid 4328636416] ", "") + "no pid block",
    _HEAD.replace("] [client", "]  [client") + "two spaces before the client",
    _HEAD.replace("] [client", "][client") + "no space before the client",
    _HEAD.replace("] [client", "] mod_x.c(12): [client") + "%F",
    _HEAD.replace("] [client", "] (70007)The timeout specified has expired: [client") + "%E",
    _HEAD.replace("72.15.99.187:41716", "72.15.99.187") + "no port",
    _HEAD.replace("72.15.99.187:41716", "2001:db8::7:40112") + "IPv6",
    _HEAD.replace("72.15.99.187:41716", "-:80") + "dash host",
    _HEAD.replace("72.15.99.187:41716", ":80") + "no host",
    _HEAD.replace("72.15.99.187:41716", "a\nb:80") + "LF in the client",
    _HEAD.replace("72.15.99.187:41716", "host:") + "no port digits",
    _HEAD.replace("72.15.99.187:41716", "h:99999999999") + "port past INTEGER",
    _HEAD.replace("72.15.99.187:41716", "h:0080") + "leading zeros",
    _HEAD.replace("72.15.99.187:41716", "hôst ✓:8") + "non-ASCII host",
    _HEAD.replace("[client 72.15.99.187:41716] ", "") + "no client",
    "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    "[Tue Mar 08 10:34:31 2005] [error] [client 192.0.2.44] (13)Permission denied: access denied",
    "[Thu Nov 26 10:00:04.100000 2026] [ssl:debug] [pid 1310:tid 1311] ssl_engine_kernel.c(2377): "
    "[client 2001:db8::7:40112] AH02043: SSL virtual host",
    " " + _HEAD + "leading space",
    "[Sun Dec 04 04:47:44 2005] [notice]",
    "[Sun Dec 04 04:47:44 2005] [notice]\n",
    "plain words",
    "",
    "\r\n",
]
_CLAIMED = 46
_FAST = 24


class _Before(RegexParser):
    """The parser as it was (commit da68c6c): the whole pattern's full match and groups, the client's columns
    over them."""

    name = ApacheErrorParser.name
    table = ApacheErrorParser.table
    pattern = ApacheErrorParser.pattern
    guard = ApacheErrorParser.guard
    groups = ApacheErrorParser.groups
    columns = tuple(
        Column(c.name, c.type, CLIENT if c.name == "client" else CLIENT_PORT)
        if c.name in ("client", "client_port")
        else c
        for c in ApacheErrorParser.columns
    )
    time = ApacheErrorParser.time
    time_format = ApacheErrorParser.time_format
    level = ApacheErrorParser.level


def _values(con: Any, parser: RegexParser) -> list[tuple[Any, ...]]:
    plan = parser.plan(con, 5)
    rows = etl.staged_rows(parser.name, parser.table, plan)
    exprs = ", ".join([plan.time, plan.level, *(f.expression for f in plan.fields)])
    return con.execute(f"SELECT i, {exprs} FROM ({rows}) ORDER BY i").fetchall()


def test_prefix_detection_and_the_cut_give_the_whole_pattern_s_claims_groups_and_columns() -> None:
    parser, before = ApacheErrorParser(), _Before()
    con = macro_connection()
    classified_rows(con, parser.name, parser.table, _LINES)
    claims = con.execute(
        f"SELECT {parser.detect('message')}, {before.detect('message')} FROM classified ORDER BY i"
    ).fetchall()
    assert [new for new, _ in claims] == [old for _, old in claims]
    assert sum(new for new, _ in claims) == _CLAIMED
    con.execute(f"DELETE FROM classified WHERE NOT {before.detect('message')}")
    # Every column, the time string and the level, as before.
    assert _values(con, parser) == _values(con, before)
    # The staged groups are the regex's, and the cut read the lines of the usual shape.
    plan = parser.plan(con, 5)
    rows = etl.staged_rows(parser.name, parser.table, plan)
    s = parser.struct_column
    groups = ", ".join(f"{s}.{g}" for g in parser.groups)
    after = con.execute(f"SELECT {groups}, {s}_head.whole <> '' FROM ({rows}) ORDER BY i").fetchall()
    old = before.plan(con, 5)
    old_rows = etl.staged_rows(before.name, before.table, old)
    was = con.execute(f"SELECT {groups} FROM ({old_rows}) ORDER BY i").fetchall()
    assert [row[:-1] for row in after] == was
    assert len(was) == _CLAIMED and sum(row[-1] for row in after) == _FAST
    assert [row[-1] for row in after][:4] == [True, True, True, True]
    first = dict(zip(parser.groups, after[0][:-1], strict=True))
    assert first == {
        **dict.fromkeys(parser.groups, ""),
        "ts": _T[1:-1],
        "module": "core",
        "severity": "error",
        "pid": "35708",
        "tid": "4328636416",
        "client": "72.15.99.187:41716",
        "msg": "File does not exist: /usr/local/apache2/htdocs/favicon.ico",
    }


def test_the_pattern_is_the_prefix_then_the_text_and_the_shape_is_one_pass_sized() -> None:
    parser = ApacheErrorParser()
    assert parser.pattern == "(?s)" + PREFIX + "(.*)" and PREFIX.endswith(" ")
    assert re.compile(SHAPE.replace(r"\z", "$")).groups == 4  # RE2's one-pass engine extracts 4 groups at most
    assert not likely_format.eligible(parser)
    assert {c.name for c in parser.columns} == {c.name for c in _Before.columns} and text("x").value == "{s}.x"

"""nginx_error: nginx's error log, `2021/04/01 13:02:31 [error] 31#31: *1 message, client: ..., ...`,
into `nginx_error_logs`. The context nginx appends (client, server, request, upstream, host, referrer)
becomes columns; `msg` is the text before it. Names follow VRL's parse_nginx_log (error format).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Column, Example, ParsePlan, PrefixParser, cut_or_regex, text

_MSG = "^(.*?)(?:, client: .*)?$"


def _msg(rest: str) -> str:
    """SQL: the text before the context, `_MSG`'s group, without the regex on a line without a line feed.

    RE2 ran its submatch engine over the whole line for `.*?` (0.44 s per 50,000 lines). Why `split_part`
    gives the group on a line without LF: `.` matches any character but LF and `$` is the end of the text,
    so the lazy group stops at the first place where `, client: ` and the rest of the line follow, or
    else takes the whole line: the first occurrence of `, client: ` when there is one (the rest after it
    has no LF), else the line: `split_part(rest, ', client: ', 1)`, which is the text before the first
    occurrence, or the whole text. A line with an LF (nginx writes none) takes the regex."""
    return (
        f"CASE WHEN contains({rest}, chr(10)) THEN regexp_extract({rest}, {sql_string(_MSG)}, 1) "
        f"ELSE split_part({rest}, ', client: ', 1) END"
    )


_QUOTED = ("request", "upstream", "host", "referrer")
_QUOTED_VALUE = r'"([^"]*)"'
_AFTER = "__ll_nginx_error_after"
"""A struct (a derived column): per quoted label, `split_part(rest, ', <label>: "', 2)`."""


def _context(name: str, label: str, quoted: bool = False) -> Column:
    """The context field's value: the group of `, <label>: ([^,]*)` (or `"([^"]*)"`), the first match's.

    Why split_part gives it. The separator `, <label>: ` (`: "`) starts with the only comma it holds, so
    its occurrences do not overlap; `split_part(rest, sep, 2)` is the text after the first occurrence, up
    to the second one or the end ('' without one, as the regex). Unquoted, `[^,]*` always matches there and
    takes the text up to the next comma, which comes no later than the second occurrence (it starts with
    one): the text of that piece before its first comma. Quoted, where that piece holds a quote, the regex
    matches at the first occurrence and the group ends at that quote; where it holds none, the regex decides.
    Each regex searched the whole line: 17-21 ms per 50,000 lines, the split about half."""
    if not quoted:
        return Column(
            name, "VARCHAR", f"split_part(split_part({{s}}.rest, {sql_string(f', {label}: ')}, 2), ',', 1)", ()
        )
    piece = f"{_AFTER}.{label}"
    regex = f"regexp_extract({{s}}.rest, {sql_string(f', {label}: ' + _QUOTED_VALUE)}, 1)"
    return Column(
        name, "VARCHAR", f"CASE WHEN contains({piece}, '\"') THEN split_part({piece}, '\"', 1) ELSE {regex} END", ()
    )


PREFIX = r"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d) \[(\w+)\] (\d+)#(\d+): (?:\*(\d+) )?"
"""The pattern without its last group, `rest` (base.PrefixParser's argument). It reads no CR or LF, and its match
is ASCII (digits, `/`, `:`, `[`, `]`, `#`, `*`, spaces and `\\w`). Detection 41 -> 9 ms per 50,000 lines; the cut
90 -> 45 ms against RE2's submatch engine over `(.*)`, and with the detection 0.10 -> 0.05 s."""


HEAD = r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[\w+\] (\d+)#(\d+): (?:\*(\d+) )?)"
"""PREFIX at the line's start with four groups: its whole match, then pid, tid and cid (PREFIX's own groups
without the time's and the level's). RE2 extracts at most four groups of a pattern each character decides
with its one-pass engine: 31 ms per 50,000 lines, where PrefixParser's six groups (the whole match and
PREFIX's five) took its backtracking engine, 89 ms."""


def _head_cuts(head: str, line: str) -> dict[str, str]:
    r"""SQL: the pattern's groups cut from HEAD's groups `head`, where HEAD matched (base.cut_or_regex takes the
    regex elsewhere).

    Why the cut is PREFIX's groups: HEAD is PREFIX with the time's and the level's groups dropped and one
    around all of it; groups do not change which text RE2's leftmost-first parse matches, so the whole match
    and pid, tid and cid are PrefixParser's. A match is never empty (it starts with digits), so '' is no
    match. The time, `\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`, is the match's first 19 characters (RE2's `\d`
    is ASCII: one character each); ` [` follows, so the level starts at the 22nd and ends before the first
    `]` (`\w+` is ASCII word characters, and no `]` comes before it). `rest` is the text after the match.
    In the object's COPY, the line, the head and this struct: 128 -> 78 ms CPU per 50,000 lines."""
    whole = f"{head}.whole"
    return {
        "ts": f"left({whole}, 19)",
        "severity": f"substr({whole}, 22, strpos({whole}, ']') - 22)",
        "pid": f"{head}.pid",
        "tid": f"{head}.tid",
        "cid": f"{head}.cid",
        "rest": f"substr({line}, length({whole}) + 1)",
    }


class NginxErrorParser(PrefixParser):
    name = "nginx_error"
    table = "nginx_error_logs"
    prefix = PREFIX
    guard = "substr({m}, 5, 1) = '/' AND substr({m}, 20, 2) = ' ['"
    groups = ("ts", "severity", "pid", "tid", "cid", "rest")
    columns = (
        text("severity"),
        text("pid", "BIGINT"),
        text("tid", "BIGINT"),
        text("cid", "BIGINT"),
        Column("msg", "VARCHAR", _msg("{s}.rest"), ()),
        _context("client", "client"),
        _context("server", "server"),
        _context("request", "request", quoted=True),
        _context("upstream", "upstream", quoted=True),
        _context("host", "host", quoted=True),
        _context("referrer", "referrer", quoted=True),
    )
    time = "replace({s}.ts, '/', '-')"
    level = "ll_level({s}.severity)"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """PrefixParser's plan with its head read by HEAD (_head_cuts), and the quoted context values after
        `rest`'s labels, cut once."""
        plan = super().plan(con, max_depth)
        s = self.struct_column
        head, line = f"{s}_head", f"{s}_line"
        derived = {
            **plan.derived,
            head: f"regexp_extract({line}, {sql_string(HEAD)}, ['whole', 'pid', 'tid', 'cid'])",
            s: cut_or_regex(f"{head}.whole <> ''", _head_cuts(head, line), line, self.pattern, self.groups),
        }
        after = ", ".join(f"{q} := split_part({s}.rest, {sql_string(f', {q}: ' + chr(34))}, 2)" for q in _QUOTED)
        # Both ways give `ts` as the pattern's group (or '' where it does not match), so its `-` form is a full
        # match of ISO_SECONDS or '': the cascade's tests are already paid (timestamps.MATCHED_FORMATS).
        return replace(plan, derived={**derived, _AFTER: f"struct_pack({after})"}, time_format="matched_iso_seconds")


EXAMPLES = [
    Example(
        '2021/04/01 13:02:31 [error] 31#31: *1 open() "/usr/share/nginx/html/not-found" failed '
        '(2: No such file or directory), client: 172.17.0.1, server: localhost, request: "POST /not-found HTTP/1.1", '
        'host: "localhost:8081"',
        {
            "severity": "error",
            "pid": 31,
            "tid": 31,
            "cid": 1,
            "client": "172.17.0.1",
            "server": "localhost",
            "request": "POST /not-found HTTP/1.1",
            "host": "localhost:8081",
            "msg": 'open() "/usr/share/nginx/html/not-found" failed (2: No such file or directory)',
            "level": "ERROR",
            "timestamp": "2021-04-01 13:02:31",
        },
    ),
    Example(
        "2021/06/17 19:25:59 [notice] 133309#133309: signal process started",
        {"cid": None, "client": None, "msg": "signal process started", "level": "INFO"},
    ),
]

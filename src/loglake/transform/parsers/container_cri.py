"""container_cri: Kubernetes/EKS container logs in the CRI format (containerd, CRI-O), into `container_logs`.

A CRI line is `<time> <stream> <tag> <log>`: the runtime's RFC 3339 time (nanoseconds, `Z` or an offset),
`stdout` or `stderr`, `F` for a full line or `P` for a partial one (the runtime splits lines longer than
its buffer, 16 KiB by default), then the container's text. Columns keep the runtime's names: `time` as the
runtime wrote it (also the event time), `stream`, `logtag` and `log`.

Partial lines are joined at the source, before the raw zone (sources/multiline.py): a `P` line and the
lines after it up to the next `F` line of a file are one raw event, its message the lines verbatim,
separated by line breaks. So one raw event is one clean row, and conservation holds. Here `log` is the
contents of those lines concatenated (a partial line ends without a line break), `time` and `stream` are
the first line's, and `logtag` the last line's (`F` once the line is complete; `P` when the file ended
before its `F` line).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import LINE, Column, Example, FixedSchemaParser, ParsePlan

_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})"
STD_WITHIN = 39
"""Characters of a line within which a CRI line's ` std` (of ` stdout`/` stderr`) ends: the longest `_TIME` (35,
tests/transform/parsers/test_container_cri.py derives it from the pattern) and those four."""
_ONE = r"(\S+) (stdout|stderr) ([A-Z](?::[A-Z])*)(?: (.*))?"
"""One CRI line, as groups (the time is checked by the detection pattern)."""
_LINE = rf"{_TIME} (?:stdout|stderr) [A-Z](?::[A-Z])*(?: [^\n]*)?"
MATCH = rf"{_LINE}(?:\n{_LINE})*"
HEAD = r"^(\S+) (stdout|stderr) ([A-Z](?::[A-Z])*)(?: |\z)"
"""A one-line event's time, stream and tag, followed by the space before its text or by the line's end: three
groups, RE2's one-pass engine (10 ms per 50,000 lines, where _ONE's four over the whole line, in a list of the
event's lines, took 58)."""


class ContainerCriParser(FixedSchemaParser):
    name = "container_cri"
    table = "container_logs"
    # An RFC 3339 time with `T`, then ` stdout` or ` stderr`: cheap; the regex then checks each line. The time
    # is 20 to 35 ASCII characters (`\.\d{1,9}`, `Z` or `+hh:mm`), so ` std` ends by STD_WITHIN: without that test
    # MySQL's and rsyslog's ISO lines each paid the regex (~10 ms per 50,000, benchmarks/README.md, h-order7).
    guard = (
        "substr({m}, 11, 1) = 'T' AND substr({m}, 5, 1) = '-' AND substr({m}, 20, 1) IN ('.', 'Z', '+', '-') "
        f"AND contains(left({{m}}, {STD_WITHIN}), ' std')"
    )
    columns = (
        Column("time", "VARCHAR", "{s}.time", ()),
        Column("stream", "VARCHAR", "{s}.stream", ()),
        Column("logtag", "VARCHAR", "{s}.logtag", ()),
        Column("log", "VARCHAR", "{s}.log", cast=False),
    )
    time = "{s}.time"
    time_format = "matched_rfc3339"  # the detection matched _TIME, a part of RFC 3339 (timestamps.MATCHED_FORMATS)

    def matches(self, message: str) -> str:
        return f"regexp_full_match({LINE.format(m=message)}, '{MATCH}')"

    def staged(self, message: str) -> str:
        lines = f"string_split({LINE.format(m=message)}, chr(10))"
        return f"list_transform({lines}, lambda x: regexp_extract(x, '{_ONE}', ['time', 'stream', 'logtag', 'log']))"

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The event's time and stream (its first line's), tag (its last line's) and text (its lines' texts
        joined), as one struct: cut from HEAD's match where the event is one line, else read from `staged`'s
        list of each line's groups (a partial line and its end). On a one-line event that HEAD matches, _ONE's
        leftmost match starts at the line's start too and parses it the same way (`\\S+` up to the first space,
        the tag as long as it goes, both greedy), and its text is what follows the space after the tag, to the
        line's end (`.` reads all but LF, and the line has none), or '' where the tag ends the line: the line
        from the position after the time, the stream's six letters, the tag and three spaces (length and substr
        count code points). Where HEAD does not match (never on a line detection claimed) the list serves."""
        s = self.struct_column
        line, head, lines = f"{s}_line", f"{s}_head", f"{s}_lines"
        one = f"NOT contains({line}, chr(10)) AND {head}.time <> ''"
        text = f"substr({line}, length({head}.time) + length({head}.logtag) + 10)"
        joined = f"array_to_string(list_transform({lines}, lambda x: coalesce(x.log, '')), '')"
        derived = {
            line: LINE.format(m="message"),
            head: f"regexp_extract({line}, {sql_string(HEAD)}, ['time', 'stream', 'logtag'])",
            lines: f"CASE WHEN {one} THEN NULL ELSE {self.staged(line)} END",
            s: f"CASE WHEN {one} THEN struct_pack(time := {head}.time, stream := {head}.stream, "
            f"logtag := {head}.logtag, log := {text}) ELSE struct_pack(time := {lines}[1].time, "
            f"stream := {lines}[1].stream, logtag := {lines}[-1].logtag, log := {joined}) END",
        }
        return replace(super().plan(con, max_depth), staging={}, derived=derived)


EXAMPLES = [
    Example(  # OpenTelemetry collector-contrib, container operator tests (Apache-2.0)
        "2024-04-13T07:59:37.505201169Z stdout F standalone containerd line which is awesome!",
        {
            "time": "2024-04-13T07:59:37.505201169Z",
            "stream": "stdout",
            "logtag": "F",
            "log": "standalone containerd line which is awesome!",
            "timestamp": "2024-04-13 07:59:37.505201",
        },
    ),
    Example(  # CRI-O writes the local offset
        "2024-04-13T07:59:37.505201169-10:00 stderr F standalone crio line which is awesome!",
        {"stream": "stderr", "logtag": "F", "timestamp": "2024-04-13 17:59:37.505201"},
    ),
    Example(  # a partial line and its end, joined by the file source into one event
        "2024-04-13T07:59:37.505201169Z stdout P standalone containerd line which i\n"
        "2024-04-13T07:59:37.505201169Z stdout F s awesome!",
        {"logtag": "F", "log": "standalone containerd line which is awesome!"},
    ),
    Example(  # an empty line
        "2023-10-06T00:17:10.113242941Z stdout F ",
        {"log": "", "stream": "stdout"},
    ),
]

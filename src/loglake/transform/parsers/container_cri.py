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

from loglake.transform.parsers.base import LINE, Column, Example, FixedSchemaParser

_TIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})"
_ONE = r"(\S+) (stdout|stderr) ([A-Z](?::[A-Z])*)(?: (.*))?"
"""One CRI line, as groups (the time is checked by the detection pattern)."""
_LINE = rf"{_TIME} (?:stdout|stderr) [A-Z](?::[A-Z])*(?: [^\n]*)?"
MATCH = rf"{_LINE}(?:\n{_LINE})*"


class ContainerCriParser(FixedSchemaParser):
    name = "container_cri"
    table = "container_logs"
    # An RFC 3339 time with `T` then a space: cheap; the regex then checks each line.
    guard = "substr({m}, 11, 1) = 'T' AND substr({m}, 5, 1) = '-' AND substr({m}, 20, 1) IN ('.', 'Z', '+', '-')"
    columns = (
        Column("time", "VARCHAR", "{s}[1].time", ()),
        Column("stream", "VARCHAR", "{s}[1].stream", ()),
        Column("logtag", "VARCHAR", "{s}[-1].logtag", ()),
        Column("log", "VARCHAR", "array_to_string(list_transform({s}, lambda x: coalesce(x.log, '')), '')", cast=False),
    )
    time = "{s}[1].time"

    def matches(self, message: str) -> str:
        return f"regexp_full_match({LINE.format(m=message)}, '{MATCH}')"

    def staged(self, message: str) -> str:
        lines = f"string_split({LINE.format(m=message)}, chr(10))"
        return f"list_transform({lines}, lambda x: regexp_extract(x, '{_ONE}', ['time', 'stream', 'logtag', 'log']))"


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

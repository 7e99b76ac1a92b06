"""container_docker: Docker's `json-file` container logs (`/var/lib/docker/containers/<id>/<id>-json.log`,
EKS nodes before containerd), into `container_logs`.

A record is `{"log": "...\\n", "stream": "stdout", "time": "<RFC 3339, ns>"}`, `attrs` when the daemon adds
labels or env (`--log-opt labels=...`). Columns keep Docker's names: `log`, `stream`, `time` (also the
event time) and `attrs` (JSON text).

A JSON line is Docker's only when its keys are Docker's (`log`, `stream`, `time`, `attrs`): a record that
merely starts the same way and carries more (a Fluent Bit kubernetes-filter record with `kubernetes`, a
shipper's own fields) stays generic JSON, every key kept.

Docker splits a line longer than 16 KiB into records whose `log` does not end with a line break: such a
record and the records after it, up to one whose `log` ends the line, are joined at the source, before the
raw zone (sources/multiline.py), into one raw event whose message is the records verbatim, one per line.
Here `log` is their `log` values concatenated, without the final line break (the runtime's line terminator,
not the container's text; CRI lines do not carry it either); `time`, `stream` and `attrs` are the first
record's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from loglake.transform.parsers.base import LINE, Column, Example, FixedSchemaParser, ParsePlan

_LINES = f"string_split({LINE.format(m='{m}')}, chr(10))"
_TEXTS = "{s}_texts"
"""Per line of the event, its `log`, `time` and `stream` as text from one parse: json_extract_string with a list
of paths gives, per path, what it gives for that path alone (the same text, NULL where absent or null; with a
duplicate key, the first). One parse per line instead of four (three json_extract_string and json_extract):
the clean query's columns 156 -> 111 ms per 50,000 lines, one thread (benchmarks/README.md, h-jsonpath8)."""
_ATTRS = (
    "CASE WHEN contains({s}[1], 'attrs') OR contains({s}[1], '\\u') THEN json_extract({s}[1], '$.attrs')::VARCHAR END"
)
"""`attrs` as json_extract's JSON text (a string keeps its quotes, a null is `null`, unlike json_extract_string),
parsed only on a line that can hold the key: a key decodes to `attrs` only if the line holds those letters or
a `\\u` escape (no other JSON escape gives a letter). Docker adds `attrs` only with `--log-opt labels=...`."""
_LOG = "{s}_log"
"""The event's `log` values concatenated (a split line's records), in a SELECT of its own: the column names it
three times."""


def _docker_line(x: str) -> str:
    """SQL: the line `x` starts `{"log":` and is a JSON object whose keys are all Docker's, by an IN per key
    (list_has_all(['log', 'stream', 'time', 'attrs'], keys) cost 30 ms more per 50,000 lines).

    One parse: TRY(json_keys(x)), not json_valid(x) and json_keys(x). DuckDB's json_keys reads the text with
    json_valid's reader and flags (JSONCommon::ReadDocument, READ_FLAG), and a read error is json_keys' only
    error here (no path), so TRY gives NULL exactly where json_valid is false, and the coalesce then says false
    as the old CASE did. On valid JSON the list is json_keys' own: a line that starts `{"log":` is an object with
    a key, so list_bool_and of it is never NULL there."""
    keys = f"list_transform(TRY(json_keys({x})), lambda k: k IN ('log', 'stream', 'time', 'attrs'))"
    return f"""CASE WHEN starts_with({x}, '{{"log":') THEN coalesce(list_bool_and({keys}), false) ELSE false END"""


class ContainerDockerParser(FixedSchemaParser):
    name = "container_docker"
    table = "container_logs"
    # Docker writes `log` first, always.
    guard = """starts_with({m}, '{"log":')"""
    columns = (
        Column("time", "VARCHAR", f"{_TEXTS}[1][2]", ()),
        Column("stream", "VARCHAR", f"{_TEXTS}[1][3]", ()),
        # The last line break goes: `regexp_replace(log, '\\n$', '')` (RE2's `$` is the text's end) without a
        # regex, 16 ms per 50,000 lines; `left` counts code points, and LF is one.
        Column(
            "log", "VARCHAR", f"CASE WHEN suffix({_LOG}, chr(10)) THEN left({_LOG}, -1) ELSE {_LOG} END", cast=False
        ),
        Column("attrs", "VARCHAR", _ATTRS, ()),
    )
    time = f"{_TEXTS}[1][2]"
    # Docker writes RFC3339Nano (`2026-11-26T00:00:00.123456789Z`): such a time is cast without ll_iso's rewrites.
    time_format = "rfc3339"

    def matches(self, message: str) -> str:
        """Each line of the event a JSON object that starts `{"log":` and whose keys are all Docker's."""
        lines = _LINES.replace("{m}", message)
        valid = f"list_bool_and(list_transform({lines}, lambda x: {_docker_line('x')}))"
        return f"(contains({message}, '\"stream\":') AND {valid})"

    def staged(self, message: str) -> str:
        return _LINES.replace("{m}", message)

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        """The staged lines, then each line's texts (_TEXTS) and the joined log (_LOG), each in a SELECT of its own."""
        s = self.struct_column
        texts = _TEXTS.replace("{s}", s)
        derived = {
            texts: f"list_transform({s}, lambda x: json_extract_string(x, ['$.log', '$.time', '$.stream']))",
            _LOG.replace("{s}", s): f"array_to_string(list_transform({texts}, lambda x: x[1]), '')",
        }
        return replace(super().plan(con, max_depth), derived=derived)


EXAMPLES = [
    Example(  # OpenTelemetry collector-contrib, container operator tests (Apache-2.0)
        '{"log":"INFO: log line here","stream":"stdout","time":"2029-03-30T08:31:20.545192187Z"}',
        {
            "log": "INFO: log line here",
            "stream": "stdout",
            "time": "2029-03-30T08:31:20.545192187Z",
            "attrs": None,
            "timestamp": "2029-03-30 08:31:20.545192",
        },
    ),
    Example(  # a line split by Docker, joined by the file source into one event
        '{"log":"part one, ","stream":"stderr","time":"2019-01-01T11:11:11.111111111Z"}\n'
        '{"log":"part two\\n","stream":"stderr","time":"2019-01-01T11:11:11.111111112Z"}',
        {"log": "part one, part two", "stream": "stderr", "time": "2019-01-01T11:11:11.111111111Z"},
    ),
    Example(
        '{"log":"hello\\n","stream":"stdout","attrs":{"tag":"web"},"time":"2019-01-01T11:11:11.111111111Z"}',
        {"log": "hello", "attrs": '{"tag":"web"}'},
    ),
]

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

from loglake.transform.parsers.base import LINE, Column, Example, FixedSchemaParser

_LINES = f"string_split({LINE.format(m='{m}')}, chr(10))"


class ContainerDockerParser(FixedSchemaParser):
    name = "container_docker"
    table = "container_logs"
    # Docker writes `log` first, always.
    guard = """starts_with({m}, '{"log":')"""
    columns = (
        Column("time", "VARCHAR", "json_extract_string({s}[1], '$.time')", ()),
        Column("stream", "VARCHAR", "json_extract_string({s}[1], '$.stream')", ()),
        Column(
            "log",
            "VARCHAR",
            "regexp_replace(array_to_string(list_transform({s}, lambda x: json_extract_string(x, '$.log')), ''), "
            "'\\n$', '')",
            cast=False,
        ),
        Column("attrs", "VARCHAR", "json_extract({s}[1], '$.attrs')::VARCHAR", ()),
    )
    time = "json_extract_string({s}[1], '$.time')"

    def matches(self, message: str) -> str:
        lines = _LINES.replace("{m}", message)
        docker = "list_has_all(['log', 'stream', 'time', 'attrs'], json_keys(x))"
        valid = (
            f"list_bool_and(list_transform({lines}, lambda x: CASE WHEN json_valid(x) AND "
            f"starts_with(x, '{{\"log\":') THEN {docker} ELSE false END))"
        )
        return f"(contains({message}, '\"stream\":') AND {valid})"

    def staged(self, message: str) -> str:
        return _LINES.replace("{m}", message)


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

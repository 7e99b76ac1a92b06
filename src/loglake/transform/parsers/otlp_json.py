"""otlp_json: OpenTelemetry logs as OTLP JSON (the shape an OpenTelemetry Collector's file or S3 exporter
writes), into `otel_logs`, one row per log record.

Columns take the OpenTelemetry log data model's names: `severity_text`, `severity_number`, `body`,
`trace_id`, `span_id` (hex, as OTLP JSON writes them), `trace_flags` (the record's `flags`),
`observed_timestamp`, `event_name`, `dropped_attributes_count`, `scope_name`, `scope_version`; the event
time is `timeUnixNano`, or `observedTimeUnixNano` when the record has no time (as the data model says).
Every resource attribute and log attribute becomes a column named after the attribute, snake_case
(`service.name` → `service_name`; a log attribute named like a resource attribute gets `_2`), typed by
its OTLP value (`intValue` BIGINT, `doubleValue` DOUBLE, `boolValue` BOOLEAN, `stringValue` and
`bytesValue` VARCHAR; `arrayValue` and `kvlistValue` as their OTLP JSON text; a key whose kind differs
between records is VARCHAR). A `body` that is not a string is its OTLP JSON text too.

One row per raw event: an OTLP document holds many records, so `loglake ingest` splits each document
line into one raw event per log record (sources/local_files.py), each a one-record OTLP document with its
resource and scope. A document of several records that reaches the ETL whole (through CloudWatch Logs)
is quarantined with reason `otlp_not_split` rather than read as one row: nothing is dropped, and
`loglake ingest` reads it. So is a document whose one record is not at
`resourceLogs[0].scopeLogs[0].logRecords[0]` (or is not an object), which `loglake ingest` re-serialises
into that shape.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from loglake.lake.quarantine import Reason
from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Example, FieldPlan, ParsePlan
from loglake.transform.timestamps import LATEST_EPOCH_NS

_TEXT_PATHS = (
    "$.timeUnixNano",
    "$.observedTimeUnixNano",
    "$.severityText",
    "$.severityNumber",
    "$.traceId",
    "$.spanId",
    "$.flags",
    "$.eventName",
    "$.droppedAttributesCount",
)
_ATTRS = [{"key": "VARCHAR", "value": "JSON"}]


def _resource_logs(shape: dict[str, object], message: str = "message") -> str:
    """SQL: the message's `resourceLogs` entries, json_transform'ed into `shape` (a STRUCT each)."""
    structure = json.dumps({"resourceLogs": [shape]}, separators=(",", ":"))
    return f"json_transform({message}, {sql_string(structure)})['resourceLogs']"


def _first_log(shape: dict[str, object]) -> str:
    """SQL: the message's first `resourceLogs` entry, json_transform'ed into `shape` (a STRUCT)."""
    return f"{_resource_logs(shape)}[1]"


_LEAVES = {path[2:]: "JSON" for path in _TEXT_PATHS}
_SHAPE: dict[str, object] = {
    "resource": {"attributes": _ATTRS},
    "scopeLogs": [
        {
            "scope": {"name": "JSON", "version": "JSON"},
            "logRecords": [{**_LEAVES, "body": "JSON", "attributes": _ATTRS}],
        }
    ],
}
_STAGED = {"__ll_otlp_log": _first_log(_SHAPE)}
"""Everything the columns read, from one parse of the message into a STRUCT, without writing the record out
as JSON and parsing it again: the attribute lists as before (`[{key: VARCHAR, value: JSON}]`), every scalar
field and the body as a JSON leaf. Why the values are the old ones (`json_extract(message, path)`, then
json_extract_string or json_transform of it): json_transform follows a path as json_extract does (the first of
duplicate keys, keys compared exactly after unescaping, NULL where a step's value is not the object or array
the structure names), and a JSON leaf is the text json_extract writes there, except for a JSON null (NULL
instead of 'null', which every reader below maps to NULL as it did 'null'). The clean query of 50,000 records,
one thread: 345-363 -> 275-317 ms as a temp table, 484 -> 397 ms as a Parquet COPY
(tests/transform/parsers/test_json_shapes_speed.py compares every column on crafted documents)."""
_LOG = "__ll_otlp_log"
"""The first `resourceLogs` entry as _SHAPE's STRUCT: what every column reads (_STAGED in the write; kept from
classification where it ran there: OtlpJsonParser.claimed_columns)."""
_COUNT = "__ll_otlp_records"
"""Column of `classified` (OtlpJsonParser.claimed_columns): how many records the document holds, NULL for none."""


def _record_count(resource_logs: str) -> str:
    """SQL: how many records `resource_logs` (the transform's list) holds, NULL for none: as many as json_type's
    wildcard (`$.resourceLogs[*].scopeLogs[*].logRecords[*]`) matches, wherever either is 1. The transform
    follows the first of duplicate keys as a path step does; an entry that is not an object has no `scopeLogs`
    (a STRUCT of NULLs), a list that is not an array no entries (NULL), as the wildcard matches nothing there;
    every element of an array counts, whatever its type (tests/transform/parsers/test_otlp_json.py)."""
    return (
        f"list_sum(list_transform({resource_logs}, "
        "lambda r: list_sum(list_transform(r['scopeLogs'], lambda s: len(s['logRecords'])))))"
    )


_RECORD_PATH = "$.resourceLogs[0].scopeLogs[0].logRecords[0]"
"""Where the one record must be (reject)."""
_RECORD = "__ll_otlp_log['scopeLogs'][1]['logRecords'][1]"
_SCOPE = "__ll_otlp_log['scopeLogs'][1]['scope']"
_LISTS = _first_log({"resource": {"attributes": _ATTRS}, "scopeLogs": [{"logRecords": [{"attributes": _ATTRS}]}]})
"""Both attribute lists, from a transform smaller than _STAGED's: what plan() reads the attributes' keys from."""
_LIST_PATHS = {
    "__ll_otlp_resource": "['resource']['attributes']",
    "__ll_otlp_attributes": "['scopeLogs'][1]['logRecords'][1]['attributes']",
}


def _leaf_texts(leaves: list[str]) -> str:
    """SQL: json_extract_string's value of each JSON leaf, a VARCHAR list. The same value as before: the old
    columns read json_extract_string(record, '$.field') of the record json_extract wrote; each leaf is the
    field's value written by the same writer, and json_extract_string(leaf, '$') reads and writes it as the
    path did (a JSON null leaf is NULL, as the path's null was). A leaf's text between its quotes, where it
    holds no escape, costs more than this parse of a small text (30 against 24 ms per 50,000 records)."""
    return "[" + ", ".join(f"json_extract_string({leaf}, '$')" for leaf in leaves) + "]"


_DERIVED = {
    **{staged: f"__ll_otlp_log{path}" for staged, path in _LIST_PATHS.items()},
    "__ll_otlp_text": _leaf_texts([f"{_RECORD}[{sql_string(path[2:])}]" for path in _TEXT_PATHS]),
    "__ll_otlp_scope": _leaf_texts([f"{_SCOPE}['name']", f"{_SCOPE}['version']"]),
}
"""The attribute lists, the record's scalar fields and the scope's, from _STAGED's STRUCT. Before, the
record's fields were a json_extract_string path list over the record's JSON text (one more parse per row; a
json_extract_string per mention, before that, parsed the record 18 times: 0.27 s per 50,000 records)."""


_KINDS = {"stringValue": "VARCHAR", "intValue": "BIGINT", "doubleValue": "DOUBLE", "boolValue": "BOOLEAN"}
_ORIGINS = {"__ll_otlp_resource": "~0resource", "__ll_otlp_attributes": "~0attributes"}
"""Source pointers of attribute columns, `~`-prefixed so that they sort after the fixed fields: on a
name clash the data model's column keeps its name and the attribute gets `_2`."""


def any_value(value: str) -> str:
    """SQL: an OTLP AnyValue (JSON) as text: the scalar, or the array/kvlist as its JSON."""
    scalars = ", ".join(
        f"json_extract_string({value}, '$.{kind}')" for kind in ("stringValue", "intValue", "doubleValue", "boolValue")
    )
    return (
        f"coalesce({scalars}, json_extract_string({value}, '$.bytesValue'), "
        f"json_extract({value}, '$.arrayValue')::VARCHAR, json_extract({value}, '$.kvlistValue')::VARCHAR)"
    )


def _text(path: str) -> str:
    """SQL: the record's field at `path` (one of _TEXT_PATHS) as text, from the derived list."""
    return f"__ll_otlp_text[{_TEXT_PATHS.index(path) + 1}]"


def _nanos(path: str) -> str:
    return f"TRY_CAST({_text(path)} AS HUGEINT)"


def _micros(path: str) -> str:
    """SQL: an OTLP time (ns since epoch, a string or a number) in whole microseconds, BIGINT; 0 or absent is
    NULL, and so is a time past 9999-12-31 (make_timestamp would raise on it and fail the whole raw object):
    the event then takes the observed time, or the record's, as for a record without a time."""
    nanos = _nanos(path)
    return f"CASE WHEN {nanos} BETWEEN 1 AND {LATEST_EPOCH_NS} THEN CAST({nanos} // 1000 AS BIGINT) END"


def _time(path: str) -> str:
    """SQL: an OTLP time as a TIMESTAMP (NULL as _micros says)."""
    return f"make_timestamp({_micros(path)})"


_EPOCH_US = (10**15, 10**16 - 1)
"""Microsecond counts of 16 digits (2001-09-09 to 2286-11-20): the ones timestamps.TIME_FORMATS' `epoch_us`
reads (`\\d{16}`: make_timestamp of the number, the TIMESTAMP itself)."""


def event_time() -> str:
    """SQL: the event time string for ll_parse_time with time_format `epoch_us`: `timeUnixNano`, else
    `observedTimeUnixNano`, in microseconds. A count of 16 digits is written as its digits, which the
    `epoch_us` fast path reads with one small regex and make_timestamp; any other (before 2001, after 2286) as
    the ISO text it was written as before (`%Y-%m-%d %H:%M:%S.%f`), which does not match `epoch_us` and goes
    through the cascade as before. Either way ll_parse_time gives make_timestamp(microseconds): for the
    digits, directly; for the text, its ISO reading, exact to the microsecond, in the session's UTC. Formatting
    every time as text and reading it back cost about 45 ms of CPU per 50,000 records."""
    micros = f"coalesce({_micros('$.timeUnixNano')}, {_micros('$.observedTimeUnixNano')})"
    low, high = _EPOCH_US
    return (  # the lambda binds the count, computed once, to u
        f"list_transform([{micros}], lambda u: CASE WHEN u BETWEEN {low} AND {high} THEN CAST(u AS VARCHAR) "
        "ELSE strftime(make_timestamp(u), '%Y-%m-%d %H:%M:%S.%f') END)[1]"
    )


def _string(path: str) -> str:
    return f"nullif({_text(path)}, '')"


_FIXED = (
    ("observed_timestamp", "TIMESTAMP", _time("$.observedTimeUnixNano")),
    ("severity_text", "VARCHAR", _string("$.severityText")),
    ("severity_number", "INTEGER", f"TRY_CAST({_string('$.severityNumber')} AS INTEGER)"),
    ("body", "VARCHAR", any_value(f"{_RECORD}['body']")),
    ("trace_id", "VARCHAR", _string("$.traceId")),
    ("span_id", "VARCHAR", _string("$.spanId")),
    ("trace_flags", "INTEGER", f"TRY_CAST({_string('$.flags')} AS INTEGER)"),
    ("event_name", "VARCHAR", _string("$.eventName")),
    ("dropped_attributes_count", "INTEGER", f"TRY_CAST({_string('$.droppedAttributesCount')} AS INTEGER)"),
    ("scope_name", "VARCHAR", "nullif(__ll_otlp_scope[1], '')"),
    ("scope_version", "VARCHAR", "nullif(__ll_otlp_scope[2], '')"),
)


_SEVERITY = f"TRY_CAST({_string('$.severityNumber')} AS INTEGER)"
_LEVELS = (
    f"CASE WHEN {_SEVERITY} BETWEEN 1 AND 24 THEN "
    f"['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'][({_SEVERITY} - 1) // 4 + 1] END"
)
"""The data model's severity ranges (1-4 TRACE ... 21-24 FATAL); the text when the number is absent."""


_KIND = (
    "CASE "
    + " ".join(f"WHEN starts_with(a.value, '{{\"{kind}\":') THEN '{kind}'" for kind in _KINDS)
    + " ELSE json_keys(a.value)[1] END"
)
"""SQL: the first key of an attribute's value (a JSON leaf), its kind: json_keys(a.value)[1], read from the
text where it is one of _KINDS. Exact: the leaf is yyjson's minified writing of the parsed value, so its text
starts `{"intValue":` exactly when its first key is intValue (an escaped key is written unescaped; a quote in
a key is written escaped, so the key cannot end earlier). 78 -> 53 ms per 50,000 records (h-otlp8)."""


def _pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


class OtlpJsonParser:
    name = "otlp_json"
    table = "otel_logs"
    guard = """starts_with({m}, '{"resourceLogs":')"""
    """Detection's own first test: an object where no line passes it leaves this parser out of classification
    (etl._survey), and its claimed columns with it."""
    claimed_columns: ClassVar[dict[str, str]] = {
        _LOG: f"{_resource_logs(_SHAPE, '{m}')}[1]",
        _COUNT: _record_count(_resource_logs(_SHAPE, "{m}")),
    }
    """Computed in classification for the rows this parser claims and kept in `classified` (etl.claimed_columns):
    one json_transform of the document (both columns name the same expression, which DuckDB computes once) for
    the not-split test, plan()'s attribute keys and the write's columns, which each parsed the message before
    (json_type's record count; the transform of both attribute lists; _STAGED's transform)."""

    def setup(self) -> list[str]:
        return []

    def detect(self, message: str) -> str:
        return f"(CASE WHEN {self.guard.replace('{m}', message)} THEN json_valid({message}) ELSE false END)"

    def reject(self, message: str) -> tuple[str, Reason] | None:
        """Not one record, or not where the columns read it. Both tests ask json_type for the paths' matches:
        the wildcard gives one type per record (what json_extract gave, one JSON text per record, without
        writing each record out again), and json_type at the record's path is the type of what json_extract
        extracted there (NULL where nothing is), without extracting it: 0.22 s -> 0.08 s of CPU per 50,000
        records (tests/transform/parsers/test_json_shapes_speed.py). Now the count is read from the transform
        classification keeps (claimed_columns; the same answer: test_otlp_json.py), and json_type is asked only
        of a first record without any field the columns read."""
        # The one record must be where the columns read it: elsewhere (after an empty scope) the row would be
        # empty. `loglake ingest` writes every record there; a document from elsewhere is quarantined. A record
        # with a field of _SHAPE's is an object; only one without any (`{}`, or not an object: the transform makes
        # either a STRUCT of NULLs) asks json_type.
        fields = " OR ".join(f"{_RECORD}[{sql_string(f)}] IS NOT NULL" for f in (*_LEAVES, "body", "attributes"))
        where = (
            f"CASE WHEN {fields} THEN false ELSE coalesce(json_type({message}, '{_RECORD_PATH}'), '') <> 'OBJECT' END"
        )
        return f"({_COUNT} IS DISTINCT FROM 1 OR {where})", Reason.OTLP_NOT_SPLIT

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        fields = [FieldPlan(f"/{name}", type_, expression, (name,)) for name, type_, expression in _FIXED]
        kept = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = 'temp' AND table_name = 'classified' "
            f"AND column_name = {sql_string(_LOG)}"
        ).fetchall()[0][0]
        rows = f"FROM classified WHERE format = {sql_string(self.name)}"
        if kept:  # the lists of the transform classification kept (claimed_columns): no parse here or in the write
            source, lists, staging = rows, _LOG, {}
        else:  # both lists from one transform per row, kept for the two unnests (120 against 97 ms a statement
            # per list, each with its own transform, per 50,000 records, one thread)
            source, lists, staging = "FROM lists", "l", dict(_STAGED)
        unnests = " UNION ALL ".join(
            f"SELECT {n} AS origin, unnest({lists}{_LIST_PATHS[staged]}) AS a {source}"
            for n, staged in enumerate(_ORIGINS)
        )
        cte = "" if kept else f"WITH lists AS MATERIALIZED (SELECT {_LISTS} AS l {rows})"
        query = f"""
            {cte}
            SELECT origin, a.key, list(DISTINCT {_KIND} ORDER BY {_KIND}) FROM ({unnests})
            WHERE a.key IS NOT NULL AND a.key <> ''
            GROUP BY ALL ORDER BY ALL
        """
        origins = list(_ORIGINS.items())
        for n, key, kinds in con.execute(query).fetchall():
            staged, origin = origins[n]
            type_ = _KINDS.get(kinds[0], "VARCHAR") if len(kinds) == 1 else "VARCHAR"
            value = any_value(f"list_filter({staged}, lambda a: a.key = {sql_string(key)})[1].value")
            expression = value if type_ == "VARCHAR" else f"TRY_CAST({value} AS {type_})"
            fields.append(FieldPlan(f"/{origin}/{_pointer(key)}", type_, expression, (key,)))
        return ParsePlan(
            time="__ll_otlp_time",
            time_format="epoch_us",
            level=f"coalesce({_LEVELS}, ll_level({_string('$.severityText')}))",
            fields=fields,
            staging=staging,
            derived={**_DERIVED, "__ll_otlp_time": event_time()},  # ll_parse_time names its string 3 times
        )


_RESOURCE_JSON = (
    '{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}},'
    '{"key":"host.cpu","value":{"intValue":"8"}}]}'
)
EXAMPLES = [
    Example(
        '{"resourceLogs":[{"resource":' + _RESOURCE_JSON + ',"scopeLogs":[{"scope":{"name":"my.library",'
        '"version":"1.0.0"},"logRecords":[{"timeUnixNano":"1544712660300000000",'
        '"observedTimeUnixNano":"1544712660300000123","severityNumber":10,"severityText":"Information",'
        '"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",'
        '"body":{"stringValue":"Example log record"},"attributes":[{"key":"string.attribute",'
        '"value":{"stringValue":"some string"}},{"key":"boolean.attribute","value":{"boolValue":true}},'
        '{"key":"int.attribute","value":{"intValue":"10"}},{"key":"double.attribute","value":{"doubleValue":637.704}},'
        '{"key":"array.attribute","value":{"arrayValue":{"values":[{"stringValue":"many"}]}}}]}]}]}]}',
        {
            "service_name": "checkout",
            "host_cpu": 8,
            "scope_name": "my.library",
            "scope_version": "1.0.0",
            "severity_number": 10,
            "severity_text": "Information",
            "trace_id": "5b8efff798038103d269b633813fc60c",
            "span_id": "eee19b7ec3c1b174",
            "body": "Example log record",
            "string_attribute": "some string",
            "boolean_attribute": True,
            "int_attribute": 10,
            "double_attribute": 637.704,
            "array_attribute": '{"values":[{"stringValue":"many"}]}',
            "timestamp": "2018-12-13 14:51:00.3",
            "observed_timestamp": "2018-12-13 14:51:00.3",
            "level": "INFO",
        },
    ),
    Example(  # no time of its own: the observed time; a kvlist body as its OTLP JSON
        '{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[{"observedTimeUnixNano":'
        '"1700000000000000000","body":{"kvlistValue":{"values":[{"key":"a","value":{"intValue":"1"}}]}}}]}]}]}',
        {
            "timestamp": "2023-11-14 22:13:20",
            "body": '{"values":[{"key":"a","value":{"intValue":"1"}}]}',
            "severity_text": None,
            "trace_id": None,
        },
    ),
]

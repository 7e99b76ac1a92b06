"""ecs_firelens: Amazon ECS FireLens records (the JSON Fluent Bit forwards for a task's container), into
`container_logs`.

With FireLens, Fluent Bit adds the task's metadata to each line of a container's output:
`{"container_id": ..., "container_name": ..., "source": "stdout", "log": ..., "ecs_cluster": ...,
"ecs_task_arn": ..., "ecs_task_definition": ...}`. Columns keep those names, except `source`, which is
the envelope's column (where loglake read the event): FireLens's `source` is `stream`, the column Docker
and CRI lines fill with the same stdout/stderr. Keys Fluent Bit adds beyond these (filters, a parsed
`log`'s own keys) are kept, as JSON text, in `extra_fields`. The record has no time of its own: the event
time is the delivery's (CloudWatch's, Firehose's).
"""

from __future__ import annotations

from loglake.sql_quoting import sql_string
from loglake.transform.parsers.base import Column, Example, FixedSchemaParser, json_fields_present

KEYS = ("container_id", "container_name", "source", "log", "ecs_cluster", "ecs_task_arn", "ecs_task_definition")
_REMOVED = "{" + ", ".join(f'"{key}": null' for key in KEYS) + "}"
_IN = "(" + ", ".join(sql_string(key) for key in KEYS) + ")"
_STAGED = "json_extract_string({m}, [" + ", ".join(sql_string(f"$.{key}") for key in KEYS) + "])"
"""The record's KEYS as text, from one parse per row: json_extract_string with a list of paths gives, per
path, what it gives for that path alone (the same text, NULL where absent; with a duplicate key, the first),
so each column is what a json_extract_string per column gave, which parsed the record seven times
(tests/transform/parsers/test_json_shapes_speed.py)."""


_EXTRA = (
    f"CASE WHEN list_bool_and(list_transform(json_keys(message), lambda k: k IN {_IN})) THEN NULL "
    f"ELSE nullif(json_merge_patch(message, {sql_string(_REMOVED)})::VARCHAR, '{{}}') END"
)
"""The keys beyond KEYS as JSON text: json_merge_patch with every KEY null writes the record without them, `{}`
(then NULL) when it has no other key. A record whose keys are all KEYS (the record detection claimed is an
object with `ecs_task_arn`: its key list is not empty) is NULL without the merge, which parses and writes the
whole record: 90 -> 48 ms per 50,000 benchmark records, one thread; a record with other keys pays json_keys
(40 ms) on top of the merge."""


def _field(key: str) -> str:
    """SQL: the record's `key` (one of KEYS) as text, from the staged list."""
    return f"{{s}}[{KEYS.index(key) + 1}]"


def _string(name: str, key: str) -> Column:
    return Column(name, "VARCHAR", _field(key), ())


class EcsFirelensParser(FixedSchemaParser):
    name = "ecs_firelens"
    table = "container_logs"
    guard = "starts_with({m}, '{') AND contains({m}, '\"ecs_task_arn\"')"
    markers = ('"ecs_task_arn"',)
    columns = (
        _string("container_id", "container_id"),
        _string("container_name", "container_name"),
        _string("stream", "source"),
        Column("log", "VARCHAR", _field("log"), cast=False),
        _string("ecs_cluster", "ecs_cluster"),
        _string("ecs_task_arn", "ecs_task_arn"),
        _string("ecs_task_definition", "ecs_task_definition"),
        Column("extra_fields", "VARCHAR", _EXTRA, ()),
    )

    def matches(self, message: str) -> str:
        """Both fields present (not JSON null) from one parse (base.json_fields_present; json_text_fields
        validated the record and parsed it again: the classifying statement 134 -> 119 ms per 50,000 FireLens
        records, benchmarks/README.md, h-json9)."""
        return json_fields_present(message, ["$.ecs_task_arn", "$.container_name"], [])

    def staged(self, message: str) -> str:
        return _STAGED.replace("{m}", message)


EXAMPLES = [
    Example(  # written for loglake with the keys the ECS guide documents for FireLens (enable-ecs-log-metadata)
        '{"source": "stdout", "log": "116.82.105.169 - Homenick7462 197 [2018-11-27T21:53:38Z] '
        '\\"HEAD /enable/relationships/cross-platform/partnerships\\" 501 13886", '
        '"container_id": "e54cccfac2b87417f71877907f67879068420042828067ae0867e60a63529d35", '
        '"container_name": "/ecs-demo-6-container2-a4eafbb3d4c7f1e16e00", '
        '"ecs_cluster": "mycluster", '
        '"ecs_task_arn": "arn:aws:ecs:us-east-2:01234567891011:task/mycluster/3de392df-6bfa-470b-97ed-aa6f482cd7a6", '
        '"ecs_task_definition": "demo:7"}',
        {
            "stream": "stdout",
            "log": "116.82.105.169 - Homenick7462 197 [2018-11-27T21:53:38Z] "
            '"HEAD /enable/relationships/cross-platform/partnerships" 501 13886',
            "container_id": "e54cccfac2b87417f71877907f67879068420042828067ae0867e60a63529d35",
            "container_name": "/ecs-demo-6-container2-a4eafbb3d4c7f1e16e00",
            "ecs_cluster": "mycluster",
            "ecs_task_arn": "arn:aws:ecs:us-east-2:01234567891011:task/mycluster/3de392df-6bfa-470b-97ed-aa6f482cd7a6",
            "ecs_task_definition": "demo:7",
            "extra_fields": None,
        },
    ),
    Example(
        '{"source": "stderr", "log": "boom", "container_id": "abc", "container_name": "/app", '
        '"ecs_cluster": "c", "ecs_task_arn": "arn:aws:ecs:eu-west-1:111122223333:task/c/1", '
        '"ecs_task_definition": "app:1", "env": "prod"}',
        {"stream": "stderr", "log": "boom", "extra_fields": '{"env":"prod"}'},
    ),
]

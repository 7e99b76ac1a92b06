from __future__ import annotations

from pathlib import Path

import pytest

from loglake.errors import InvariantError
from loglake.lake.local_store import LocalStore
from loglake.lake.schema_registry import SchemaRegistry, TableSchema, widen


@pytest.mark.parametrize(
    ("old", "new", "result"),
    [
        ("BIGINT", "BIGINT", "BIGINT"),
        ("BIGINT", "DOUBLE", "DOUBLE"),
        ("DOUBLE", "BIGINT", "DOUBLE"),
        ("BIGINT", "VARCHAR", "VARCHAR"),
        ("BOOLEAN", "BIGINT", "VARCHAR"),
        ("VARCHAR", "DOUBLE", "VARCHAR"),
        ("INTEGER", "BIGINT", "BIGINT"),
        ("DOUBLE", "INTEGER", "DOUBLE"),
        ("DATE", "TIMESTAMP", "VARCHAR"),
        ('STRUCT("a" VARCHAR)', 'STRUCT("a" VARCHAR)', 'STRUCT("a" VARCHAR)'),
    ],
)
def test_widening(old: str, new: str, result: str) -> None:
    assert widen(old, new) == result


def test_columns_are_added_and_widened_never_dropped(tmp_path: Path) -> None:
    registry = SchemaRegistry(LocalStore(tmp_path))
    registry.update("logs", lambda s: s.merge([("status", "BIGINT", "/status")], "parquet", "raw/a"))
    registry.update("logs", lambda s: s.merge([("user", "VARCHAR", "/user")], "parquet", "raw/b"))
    schema = registry.update("logs", lambda s: s.merge([("status", "VARCHAR", "/status")], "jsonl", "raw/c"))
    assert [(c.name, c.type) for c in schema.columns] == [("status", "VARCHAR"), ("user", "VARCHAR")]
    status = schema.column("status")
    assert status is not None
    assert status.history == [
        {"type": "BIGINT", "by": "raw/a", "change": "added", "version": "1"},
        {"type": "VARCHAR", "by": "raw/c", "change": "widened BIGINT + VARCHAR -> VARCHAR", "version": "3"},
    ]
    assert schema.formats == ["parquet", "jsonl"]
    assert schema.version == 3
    stored = registry.get("logs")
    assert stored is not None and stored.to_json() == schema.to_json()
    assert list(registry.tables()) == ["logs"]


def test_a_name_cannot_change_its_source() -> None:
    schema = TableSchema("logs")
    schema.merge([("user_id", "BIGINT", "/userId")], "parquet", "raw/a")
    with pytest.raises(InvariantError, match="naming bug"):
        schema.merge([("user_id", "BIGINT", "/user/id")], "parquet", "raw/b")


def test_unchanged_merge_does_not_rewrite(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    registry = SchemaRegistry(store)
    registry.update("logs", lambda s: s.merge([("a", "BIGINT", "/a")], "parquet", "raw/a"))
    _data, version = store.read_versioned("schema/logs.json")
    registry.update("logs", lambda s: s.merge([("a", "BIGINT", "/a")], "parquet", "raw/b"))
    assert store.read_versioned("schema/logs.json")[1] == version


def test_an_envelope_column_is_never_widened_only_retyped() -> None:
    """`timestamp` TIMESTAMP + BIGINT would widen to VARCHAR (any other pair): for an envelope column that is
    a contract change (waf_logs' AWS milliseconds), refused by merge; `retype` records it instead."""
    schema = TableSchema("waf_logs")
    schema.merge([("timestamp", "TIMESTAMP", "envelope:timestamp"), ("n", "INTEGER", "/n")], "parquet", "raw/a")
    with pytest.raises(InvariantError, match=r"envelope column waf_logs.timestamp is TIMESTAMP, not BIGINT"):
        schema.merge([("timestamp", "BIGINT", "envelope:timestamp")], "parquet", "raw/b")
    assert schema.merge([("n", "BIGINT", "/n")], "parquet", "raw/b")  # a field's column still widens
    assert schema.retype("timestamp", "BIGINT", "raw/c")
    assert not schema.retype("timestamp", "BIGINT", "raw/d")  # once
    column = schema.column("timestamp")
    assert column is not None and column.type == "BIGINT"
    assert column.history[-1] == {
        "type": "BIGINT",
        "by": "raw/c",
        "change": "retyped TIMESTAMP -> BIGINT (the contract's type; files rewritten)",
        "version": "1",
    }
    with pytest.raises(InvariantError, match=r"waf_logs.n is no envelope column"):
        schema.retype("n", "VARCHAR", "raw/e")

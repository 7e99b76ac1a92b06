"""Clean tables whose files disagree with the schema registry on a column's type read under the registry's type."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import write_messages
from loglake.errors import ColumnTypeError
from loglake.lake import file_types
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry, TableSchema
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.transform.parsers.waf import EXAMPLES as WAF
from loglake.transform.settings import EtlSettings, Route

SETTINGS = EtlSettings(routes=(Route("/mix*", table="mixed"),))
JSON_LABELS = [
    json.dumps({"labels": "plain", "msg": "x"}),
    json.dumps({"labels": [{"name": "value"}], "msg": "y"}),
]


def _deliver(lake: Lake, group: str, messages: list[str], prefix: str) -> None:
    write_messages(lake.store, group, messages, id_prefix=prefix)
    run_etl(lake, pending_raw_objects(lake), SETTINGS, workers=1)


def _rows(lake: Lake, sql: str) -> list[tuple[Any, ...]]:
    with DuckDBEngine(lake.store) as engine:
        return engine.query(sql).rows


def _schema(lake: Lake) -> TableSchema:
    schema = SchemaRegistry(lake.store).get("mixed")
    assert schema is not None
    return schema


@pytest.mark.parametrize("waf_first", [True, False])
def test_waf_struct_list_and_json_text_read_as_the_registrys_varchar(lake: Lake, waf_first: bool) -> None:
    """WAF writes `labels` as STRUCT("name" VARCHAR)[], JSON as VARCHAR: the WAF file's value is the JSON
    text the ETL writes for the same value in a JSON record, in either order of arrival."""
    deliveries = [("/mix/a", [e.message for e in WAF], "w"), ("/mix/b", JSON_LABELS, "j")]
    for group, messages, prefix in deliveries if waf_first else deliveries[::-1]:
        _deliver(lake, group, messages, prefix)
    labels = _schema(lake).column("labels")
    assert labels is not None and labels.type == "VARCHAR"
    assert _rows(lake, "SELECT format, labels, msg FROM mixed ORDER BY format, msg") == [
        ("json", "plain", "x"),
        ("json", '[{"name":"value"}]', "y"),
        ("waf", '[{"name":"value"}]', None),
    ]


def test_integer_then_varchar_and_boolean_files_read_as_their_text(lake: Lake) -> None:
    """WAF's INTEGER formatversion, then JSON's string and boolean ones (three files): VARCHAR, each value
    as its own text (DuckDB's union_by_name alone read the BOOLEAN and INTEGER files as INTEGER: true -> 1)."""
    _deliver(lake, "/mix/a", [e.message for e in WAF], "w")
    _deliver(lake, "/mix/b", [json.dumps({"formatversion": "v2"})], "s")
    _deliver(lake, "/mix/c", [json.dumps({"formatversion": True})], "b")
    column = _schema(lake).column("formatversion")
    assert column is not None and column.type == "VARCHAR"
    assert _rows(lake, "SELECT log_group, formatversion FROM mixed ORDER BY log_group") == [
        ("/mix/a", "1"),
        ("/mix/b", "v2"),
        ("/mix/c", "true"),
    ]
    assert _rows(lake, "SELECT count(*) FROM mixed WHERE formatversion = 'true'") == [(1,)]


def test_boolean_and_bigint_files_of_a_varchar_column_keep_their_text(lake: Lake) -> None:
    """DuckDB unifies a BOOLEAN file and a BIGINT file as BIGINT, which silently read true as '1'."""
    _deliver(lake, "/mix/a", [json.dumps({"f": True}), json.dumps({"f": False})], "a")
    _deliver(lake, "/mix/b", [json.dumps({"f": 5})], "b")
    column = _schema(lake).column("f")
    assert column is not None and column.type == "VARCHAR"
    assert _rows(lake, "SELECT f FROM mixed ORDER BY f") == [("5",), ("false",), ("true",)]


def test_files_that_agree_are_read_once_as_before(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """The common case: every file has the registry's types, so the view describes the files together once
    and never one by one."""
    _deliver(lake, "/mix/a", [json.dumps({"n": 1, "s": "a"})], "a")
    _deliver(lake, "/mix/b", [json.dumps({"n": 2, "s": "b"})], "b")
    described: list[str] = []
    real = file_types._types

    def counted(con: Any, source: str) -> dict[str, str]:
        described.append(source)
        return real(con, source)

    monkeypatch.setattr(file_types, "_types", counted)
    assert _rows(lake, "SELECT n, s FROM mixed ORDER BY n") == [(1, "a"), (2, "b")]
    assert len(described) == 1 and described[0].count(".parquet") == 2


def test_a_file_type_the_registry_cannot_hold_is_refused_with_the_fix(lake: Lake) -> None:
    """A registry narrower than a file (here made so by hand) fails in one line naming table, column and
    fix, never with DuckDB's text."""
    _deliver(lake, "/mix/a", [json.dumps({"n": 1})], "a")
    _deliver(lake, "/mix/b", [json.dumps({"n": "x"})], "b")

    def narrow(schema: TableSchema) -> bool:
        column = schema.column("n")
        assert column is not None and column.type == "VARCHAR"
        column.type = "BIGINT"
        return True

    SchemaRegistry(lake.store).update("mixed", narrow)
    (varchar_file,) = [k for k in lake.store.list("clean/mixed/") if "%2Fmix%2Fb" in _raw_of(lake, k)]
    with pytest.raises(ColumnTypeError) as caught:
        _rows(lake, "SELECT n FROM mixed")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("table mixed: column n is BIGINT in the schema registry but VARCHAR in ")
    assert message.endswith(
        f"{varchar_file}, which BIGINT cannot hold; widen the registry from the raw zone with `loglake etl --force`"
    )


def _raw_of(lake: Lake, key: str) -> str:
    import duckdb

    path = lake.store.glob(key)
    return str(duckdb.sql(f"SELECT any_value(raw_object) FROM read_parquet('{path}')").fetchall()[0][0])

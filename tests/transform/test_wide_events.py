"""Wide events: thousands of JSON keys in one event, the column cap (`max_columns`) and its `extra` column.

Before, the ETL checked integer overflow with one aggregate per column: a 2,000-key event took half a
minute and 18,000 keys (a 256 KB CloudWatch event) did not finish. The times are in
benchmarks/wide_events.py; these tests pin the values.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import Deliver, Query
from loglake.cli.app import app
from loglake.config import load_config
from loglake.errors import ConfigError
from loglake.handlers.environment import etl_settings_from_environment
from loglake.lake.open import Lake
from loglake.lake.schema_registry import EXTRA_SOURCE, Column, ColumnCap, SchemaRegistry, TableSchema
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform.etl import process_raw_object
from loglake.transform.settings import EtlSettings


def schema_of(lake: Lake, table: str = "logs") -> TableSchema:
    schema = SchemaRegistry(lake.store).get(table)
    assert schema is not None
    return schema


def payload_columns(lake: Lake, table: str = "logs") -> list[tuple[str, str, str]]:
    return [(c.name, c.type, c.source) for c in schema_of(lake, table).columns if not c.source.startswith("envelope:")]


def conservation(lake: Lake) -> tuple[bool, int, int, int]:
    with DuckDBEngine(lake.store) as engine:
        report = check_conservation(engine, engine.store).as_dict()
    return report["ok"], report["raw_events"], report["clean_events"], report["quarantined_events"]


def test_an_event_with_2000_integer_keys_gets_500_columns_and_the_other_1500_exact_in_extra(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    doc = {f"k{i:04d}": i * 1_000_003 - 7 for i in range(2000)}
    results = deliver([json.dumps(doc)])
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(1, 0)]
    assert payload_columns(lake) == [(f"k{i:04d}", "BIGINT", f"/k{i:04d}") for i in range(500)] + [
        ("extra", "VARCHAR", EXTRA_SOURCE)
    ]
    assert schema_of(lake).column_cap == ColumnCap(500, results[0].manifest.raw_object, 1, "extra")
    row = query(f"SELECT {', '.join(f'k{i:04d}' for i in range(500))}, extra FROM logs")
    assert len(row) == 1
    assert list(row[0][:500]) == [i * 1_000_003 - 7 for i in range(500)]
    extra = json.loads(row[0][500])
    assert list(extra.items()) == [(f"k{i:04d}", i * 1_000_003 - 7) for i in range(500, 2000)]  # message order
    assert conservation(lake) == (True, 1, 1, 0)


def _value(i: int) -> Any:
    """Every JSON kind but objects (one key, one leaf), and integers beyond BIGINT and u64."""
    return [i, f's{i} "é" \\ ✓', i + 0.25, i % 2 == 0, [i, "x", None], 2**70 + i][i % 6]


def _column_value(i: int) -> Any:
    """Arrays are JSON text, and integers beyond BIGINT their digits."""
    value = _value(i)
    return json.dumps(value, separators=(",", ":")) if i % 6 == 4 else str(value) if i % 6 == 5 else value


def test_600_keys_with_cap_500_make_500_columns_and_extra_holds_exactly_the_other_100(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    wide = {f"k{i:03d}": _value(i) for i in range(600)}
    events = [json.dumps(wide), json.dumps({"k001": "b", "k552": 3}), json.dumps({"k000": 42})]
    results = deliver(events, settings=EtlSettings(max_columns=500))
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(3, 0)]
    kinds = ["BIGINT", "VARCHAR", "DOUBLE", "BOOLEAN", "VARCHAR", "VARCHAR"]  # 2^70 + i: text, never rounded
    assert payload_columns(lake) == [(f"k{i:03d}", kinds[i % 6], f"/k{i:03d}") for i in range(500)] + [
        ("extra", "VARCHAR", EXTRA_SOURCE)
    ]
    rows = query(f"SELECT event_id, {', '.join(f'k{i:03d}' for i in range(500))}, extra FROM logs ORDER BY event_id")
    assert [r[0] for r in rows] == ["e0", "e1", "e2"]
    assert list(rows[0][1:501]) == [_column_value(i) for i in range(500)]
    assert json.loads(rows[0][501]) == {f"k{i:03d}": _value(i) for i in range(500, 600)}
    assert len(json.loads(rows[0][501])) == 100
    assert (rows[1][2], rows[1][501]) == ("b", '{"k552":3}')
    assert (rows[2][1], rows[2][501]) == (42, None)
    assert conservation(lake) == (True, 3, 3, 0)


def test_a_full_table_keeps_its_columns_sends_new_keys_to_extra_and_a_retry_writes_the_same_bytes(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    capped = EtlSettings(max_columns=2)
    deliver([json.dumps({"a": 1, "b": 2, "c": 3})], settings=capped)
    version = schema_of(lake).version
    results = deliver([json.dumps({"b": 20, "d": 40, "a": 10})], settings=capped, timestamp=1_764_288_100_000)
    assert schema_of(lake).version == version  # nothing new to record: d went to extra
    assert query("SELECT a, b, extra FROM logs ORDER BY a") == [(1, 2, '{"c":3}'), (10, 20, '{"d":40}')]

    files = sorted(p for p in Path(lake.store.root, "clean").rglob("*.parquet"))  # type: ignore[attr-defined]
    before = [p.read_bytes() for p in files]
    again = process_raw_object(lake.store, results[0].manifest.raw_object, capped, force=True)
    assert not again.skipped and [p.read_bytes() for p in files] == before

    deliver([json.dumps({"e": 5, "d": 4})], settings=EtlSettings(max_columns=3), timestamp=1_764_288_200_000)
    schema = schema_of(lake)
    assert [c.name for c in schema.columns if c.source.startswith("/")] == ["a", "b", "d"]
    assert schema.column_cap == ColumnCap(3, schema.column_cap.by if schema.column_cap else "", version + 1, "extra")
    assert query("SELECT a, d, extra FROM logs ORDER BY timestamp") == [
        (1, None, '{"c":3}'),
        (10, None, '{"d":40}'),
        (None, 4, '{"e":5}'),
    ]
    assert conservation(lake) == (True, 3, 3, 0)


def test_extra_holds_whole_top_level_keys_first_of_repeated_keys_and_no_nulls(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    events = [
        '{"a": 1, "b": 2, "c": {"x": 1, "y": [1, {"z": null}]}, "d": {"e": {"f": "g"}}, "n": null}',
        '{"a": 2, "d": "now text", "c": {"x": 5}}',
        '{"a": 3, "n": null}',
        '{"a": 4, "d": 1, "d": 2}',
    ]
    deliver(events, settings=EtlSettings(max_columns=3))
    assert payload_columns(lake) == [
        ("a", "BIGINT", "/a"),
        ("b", "BIGINT", "/b"),
        ("c_x", "BIGINT", "/c/x"),
        ("extra", "VARCHAR", EXTRA_SOURCE),
    ]
    rows = query("SELECT a, b, c_x, extra FROM logs ORDER BY a")
    assert rows == [
        (1, 2, 1, '{"c":{"x":1,"y":[1,{"z":null}]},"d":{"e":{"f":"g"}}}'),
        (2, None, 5, '{"d":"now text","c":{"x":5}}'),
        (3, None, None, None),
        (4, None, None, '{"d":1}'),
    ]
    assert conservation(lake) == (True, 4, 4, 0)


def test_a_formats_declared_columns_are_never_capped(deliver: Deliver, query: Query, lake: Lake) -> None:
    events = [
        '{"a": 1, "b": "two"}',
        "2019-06-07T19:11:20.562Z\tc793869b-ee49-115b-a5b6-4fd21e8dedac\tERROR\tInvoke Error\n",
    ]
    deliver(events, settings=EtlSettings(max_columns=1))
    assert payload_columns(lake) == [
        ("request_id", "VARCHAR", "/requestId"),
        ("msg", "VARCHAR", "/msg"),
        ("extra", "VARCHAR", EXTRA_SOURCE),
    ]
    assert query("SELECT format, request_id, msg, extra FROM logs ORDER BY format") == [
        ("json", None, None, '{"a":1,"b":"two"}'),
        ("lambda_text", "c793869b-ee49-115b-a5b6-4fd21e8dedac", "Invoke Error", None),
    ]


def test_a_json_key_named_extra_is_extra_2_and_an_older_tables_extra_column_keeps_its_name(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    deliver(['{"extra": "mine", "z": 1}'], settings=EtlSettings(max_columns=1))
    assert payload_columns(lake) == [("extra_2", "VARCHAR", "/extra"), ("extra", "VARCHAR", EXTRA_SOURCE)]
    assert query("SELECT extra_2, extra FROM logs") == [("mine", '{"z":1}')]

    older = TableSchema("logs", [Column("extra", "BIGINT", "/extra", [])])  # named before `extra` was reserved
    refused, changed = older.apply_cap(set(), {"/extra", "/a", "/b"}, 2, "raw/x")
    assert (refused, changed) == (frozenset({"/b"}), True)
    assert older.column_cap == ColumnCap(2, "raw/x", 1, "extra_2")
    assert older.pointer_names() == {"/extra": "extra", EXTRA_SOURCE: "extra_2"}


def test_redaction_of_the_message_covers_the_keys_in_extra(deliver: Deliver, query: Query) -> None:
    rules = ({"fields": ["message"], "kinds": ["email"]},)
    deliver(['{"a": 1, "mail": "bob@example.com"}'], settings=EtlSettings(max_columns=1, redact=rules))  # type: ignore[arg-type]
    assert query("SELECT a, extra FROM logs") == [(1, '{"mail":"[REDACTED:email]"}')]


def test_integers_beyond_bigint_make_their_column_varchar_exact_and_signed_integers_stay_bigint(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    events = [
        '{"big": 9223372036854775807, "neg": -5, "deep": {"id": 1}, "huge": 1.5, "ok": 9000000000000000000}',
        '{"big": 9223372036854775808, "neg": 5, "deep": {"id": 18446744073709551616}, '
        '"huge": 123456789012345678901234567890, "ok": -9223372036854775808}',
    ]
    deliver(events)
    assert payload_columns(lake) == [
        ("big", "VARCHAR", "/big"),
        ("neg", "BIGINT", "/neg"),
        ("deep_id", "VARCHAR", "/deep/id"),
        ("huge", "VARCHAR", "/huge"),
        ("ok", "BIGINT", "/ok"),
    ]
    assert query("SELECT big, neg, deep_id, huge, ok FROM logs ORDER BY event_id") == [
        ("9223372036854775807", -5, "1", "1.5", 9_000_000_000_000_000_000),
        ("9223372036854775808", 5, "18446744073709551616", "123456789012345678901234567890", -(2**63)),
    ]


def test_integers_beyond_bigint_in_a_wide_event_widen_their_column_and_stay_exact_in_extra(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    doc: dict[str, Any] = {f"k{i:04d}": i for i in range(2000)}
    doc["k0007"], doc["k0300"], doc["k1500"] = 2**63, {"in": 2**64 + 1}, 2**64 + 3
    deliver([json.dumps(doc), json.dumps({"k0007": 1, "k0300": {"in": 2}})])
    types = {name: type_ for name, type_, _source in payload_columns(lake)}
    assert (types["k0006"], types["k0007"], types["k0300_in"], len(types)) == ("BIGINT", "VARCHAR", "VARCHAR", 501)
    rows = query("SELECT k0006, k0007, k0300_in, extra FROM logs ORDER BY event_id")
    assert [r[:3] for r in rows] == [(6, "9223372036854775808", "18446744073709551617"), (None, "1", "2")]
    assert json.loads(rows[0][3])["k1500"] == 2**64 + 3 and len(json.loads(rows[0][3])) == 1500
    assert rows[1][3] is None


def test_loglake_tables_says_the_cap_was_reached(deliver: Deliver, lake: Lake, tmp_path: Path) -> None:
    deliver([json.dumps({"a": 1, "b": 2})], settings=EtlSettings(max_columns=1))
    result = CliRunner().invoke(app, ["tables", "--lake", str(tmp_path / "lake")])
    assert result.exit_code == 0, result.output
    cap = schema_of(lake).column_cap
    assert cap is not None
    assert (
        "  keys past max_columns (1), or holding a redacted value, are in JSON column extra "
        f"(since version 1, {cap.by})\n" in result.stdout
    )
    assert "  extra                            VARCHAR    extra:max_columns\n" in result.stdout


def test_max_columns_comes_from_loglake_toml_and_from_the_lambda_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOGLAKE_LAKE", raising=False)
    monkeypatch.delenv("LOGLAKE_ETL_MAX_COLUMNS", raising=False)
    assert load_config(cwd=tmp_path).etl.max_columns == 500
    (tmp_path / "loglake.toml").write_text("[etl]\nmax_columns = 7\n")
    assert load_config(cwd=tmp_path).etl.max_columns == 7
    (tmp_path / "loglake.toml").write_text("[etl]\nmax_columns = 0\n")
    with pytest.raises(ConfigError, match="max_columns must be between 1 and 20,000, not 0"):
        load_config(cwd=tmp_path)
    assert etl_settings_from_environment().max_columns == 500
    monkeypatch.setenv("LOGLAKE_ETL_MAX_COLUMNS", "1200")
    assert etl_settings_from_environment().max_columns == 1200
    monkeypatch.setenv("LOGLAKE_ETL_MAX_COLUMNS", "lots")
    with pytest.raises(ConfigError, match="LOGLAKE_ETL_MAX_COLUMNS must be a whole number, not 'lots'"):
        etl_settings_from_environment()
    with pytest.raises(ConfigError, match="max_columns must be between 1 and 20,000, not 20001"):
        EtlSettings(max_columns=20_001)


def test_a_logfmt_line_past_the_cap_keeps_the_other_keys_exact_in_extra(
    deliver: Deliver, query: Query, lake: Lake
) -> None:
    """logfmt is open-schema too: a crafted line of 600 pairs gives the table 500 columns, not 600."""
    line = "level=info " + " ".join(f"k{i:03d}={i}" for i in range(599))
    results = deliver([line, "level=warn k001=7 zz=last"], settings=EtlSettings(max_columns=500))
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [(2, 0)]
    columns = payload_columns(lake)
    assert len(columns) == 501 and columns[-1] == ("extra", "VARCHAR", EXTRA_SOURCE)
    kept = {name for name, _type, _source in columns[:-1]}
    assert kept == {f"k{i:03d}" for i in range(500)}  # sorted pointers: /k000 ... /k499, then /level
    rows = query("SELECT level, k000, k001, k499, extra FROM logs ORDER BY event_id")
    assert rows[0][:4] == ("INFO", 0, 1, 499)  # the level is still read from its key
    assert json.loads(rows[0][4]) == {"level": "info"} | {f"k{i:03d}": str(i) for i in range(500, 599)}
    assert rows[1] == ("WARN", None, 7, None, '{"level":"warn","zz":"last"}')
    assert conservation(lake) == (True, 2, 2, 0)

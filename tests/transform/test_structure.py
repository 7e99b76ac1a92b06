from __future__ import annotations

import gzip
import importlib
import json
import random
from pathlib import Path

import duckdb
import pytest

from conftest import RecordingConnection, benchmark_module
from loglake.transform.structure import Leaf, group_structure, leaves


def structure_of(*docs: str) -> str:
    con = duckdb.connect()
    rows = ", ".join("(?)" for _ in docs)
    return str(
        con.execute(f"SELECT json_group_structure(d::JSON) FROM (VALUES {rows}) t(d)", list(docs)).fetchall()[0][0]
    )


def test_nested_objects_become_paths_with_types() -> None:
    found = leaves(structure_of('{"a":{"b":{"c":1,"d":"x"}},"e":true,"f":1.5}', '{"a":{"b":{"c":2}},"g":null}'), 5)
    assert found == [
        Leaf(("a", "b", "c"), "UBIGINT"),
        Leaf(("a", "b", "d"), "VARCHAR"),
        Leaf(("e",), "BOOLEAN"),
        Leaf(("f",), "DOUBLE"),
    ]  # g is null in every event: no column until a batch has a value


def test_arrays_conflicts_empty_objects_and_depth_limit() -> None:
    found = leaves(structure_of('{"tags":["a"],"x":1,"e":{},"deep":{"l2":{"l3":{"l4":1}}}}', '{"x":"one"}'), 2)
    assert found == [
        Leaf(("tags",), "JSON"),
        Leaf(("x",), "JSON"),
        Leaf(("e",), "JSON"),
        Leaf(("deep", "l2"), "JSON"),
    ]


def test_pointers_escape_every_key() -> None:
    assert Leaf(("a/b", "c~d", "e.f g"), "VARCHAR").pointer == "/a~1b/c~0d/e.f g"


def test_a_thousand_levels_do_not_recurse() -> None:
    deep = '{"a":' * 1000 + "1" + "}" * 1000
    assert leaves(structure_of(deep), 5) == [Leaf(("a",) * 5, "JSON")]


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError):
        leaves("{}", 0)


# group_structure against the aggregate it replaces (json_group_structure(x::JSON)), on every JSON corpus at hand.

_OLD_AGGREGATE = "json_group_structure(message::JSON)"
_GOLDEN = Path(__file__).parent / "parsers" / "typed_golden.json.gz"


def _structures(con: duckdb.DuckDBPyConnection, messages: list[str]) -> tuple[object, object]:
    con.execute("CREATE OR REPLACE TEMP TABLE batch AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    query = f"SELECT {_OLD_AGGREGATE}, {group_structure('message', 'rowid')} FROM batch"
    old, new = con.execute(query).fetchall()[0]
    return old, new


_SCALARS = ['"x"', '""', '"é\\u00e9\\n"', "0", "7", "-3", "1.5", "1e2", "-2.5E-3", "NaN", "-Infinity", "1e400",
            "18446744073709551615", "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
            "9223372036854775808", "123456789012345678901234567890", "true", "false", "null"]  # fmt: skip


def _random_value(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if depth < 6 and roll < 0.2:
        keys = rng.sample(["a", "b", "c", "é", "a/b", "~k", "", "x y", "A"], rng.randint(0, 4))
        return "{" + ",".join(f"{json.dumps(k)}:{_random_value(rng, depth + 1)}" for k in keys) + "}"
    if depth < 6 and roll < 0.3:
        return "[" + ", ".join(_random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    return rng.choice(_SCALARS)


def _crafted() -> dict[str, list[str]]:
    rng = random.Random(13)
    deep = '{"d":' * 60 + "1" + "}" * 60
    wide = "{" + ",".join(f'"k{i}":{i if i % 3 else json.dumps(str(i))}' for i in range(520)) + "}"
    return {
        "mixed types per key": ['{"a":1}', '{"a":"1"}', '{"a":1.5}', '{"a":true}', '{"a":{"b":1}}', '{"a":[1]}'],
        "integers of both signs": ['{"n":1}', '{"n":-1}', '{"m":-5}', '{"m":2.0}', '{"u":18446744073709551615}'],
        "nulls": ['{"a":null}', '{"a":null,"b":{"c":null}}', '{"b":{"c":2}}', '{"e":[null]}', '{"e":[]}'],
        "nested arrays and objects": ['{"a":[{"b":1},{"c":"x"}],"o":{"p":{"q":[[1],[2,"s"]]}}}', '{"o":{}}'],
        "deep nesting": [deep, '{"d":{"d":"flat"}}'],
        "wide near the column cap": [wide, '{"k1":"one","k520":5}'],
        "duplicate keys": ['{"a":1,"a":"x"}', '{"b":{"c":1,"c":{"d":2}},"b":3}', '{"a":2,"a":3}'],
        "unicode and escaped keys": ['{"é":1,"\\u00e9":"x","日本":true,"a\\"b":1,"a/b~c":2,"":3,"\\ud83d\\ude00":4}'],
        "spelling: blanks, trailing commas, escapes": [' { "k" : 1 , "s" : "\\u0041" , } \n', '\t{"k":2}\r\n'],
        "numbers": ['{"v":' + s + "}" for s in _SCALARS],
        "random": [_random_value(rng, 0) if i % 5 else "{}" for i in range(400)],
    }


def _json_batches() -> dict[str, list[str]]:
    from loglake.transform.parsers import PARSERS

    batches = _crafted()
    modules = [importlib.import_module(type(parser).__module__) for parser in PARSERS]
    examples = [e.message for module in modules for e in module.EXAMPLES if e.message.lstrip().startswith("{")]
    batches["examples"] = examples
    batches.update({f"example {i}": [m] for i, m in enumerate(examples)})
    with gzip.open(_GOLDEN, "rt") as golden:
        for n, group in enumerate(json.load(golden)["groups"]):
            batches[f"golden group {n}"] = [m for m in group if isinstance(m, str) and m.lstrip().startswith("{")]
    rng = random.Random(1)
    make_event = benchmark_module("etl_throughput").make_event
    batches["benchmark events"] = [make_event(rng, i) for i in range(2_000)]
    return {name: batch for name, batch in batches.items() if batch}


def test_group_structure_is_json_group_structure_on_every_corpus() -> None:
    con = duckdb.connect()
    batches = _json_batches()
    checked = 0
    for name, messages in batches.items():
        valid = [m for m in messages if con.execute("SELECT json_valid($1)", [m]).fetchall()[0][0]]
        assert valid == messages or name.startswith(("golden", "example")), name  # the plan sees json_valid lines
        if not valid:  # a multi-line example (no rows: test_no_rows_give_no_leaves_as_before)
            continue
        old, new = _structures(con, valid)
        assert new == old, name
        assert old is not None
        for depth in (1, 2, 5, 32):
            assert leaves(str(new), depth) == leaves(str(old), depth), (name, depth)
        checked += 1
    assert checked == 31, checked


def test_negative_zero_is_the_one_spelling_that_moves_and_stays_a_bigint_column() -> None:
    from loglake.transform.parsers.json_object import _TYPES

    con = duckdb.connect()
    for batch, old_kind, new_kind in [
        (['{"z":-0}'], "UBIGINT", "BIGINT"),
        (['{"z":-0}', '{"z":0}'], "UBIGINT", "HUGEINT"),
        (['{"z":-0}', '{"z":-1}'], "HUGEINT", "BIGINT"),
    ]:
        old, new = _structures(con, batch)
        assert (old, new) == (f'{{"z":"{old_kind}"}}', f'{{"z":"{new_kind}"}}')
        assert _TYPES[old_kind] == _TYPES[new_kind] == "BIGINT"


def test_no_rows_give_no_leaves_as_before() -> None:
    con = duckdb.connect()
    old, new = _structures(con, [])
    assert (old, new) == (None, '"NULL"')
    assert leaves(str(new), 5) == []


def test_the_json_plan_reads_the_structure_without_json_casts() -> None:
    """Pinned on the SQL's shape: json_group_structure(message::JSON) parsed each message twice and the
    joined batch twice (118 ms per 50,000 lines, 59 now)."""
    from loglake.transform.parsers.json_object import JsonObjectParser

    con = RecordingConnection(duckdb.connect())
    con.execute("CREATE TABLE classified AS SELECT '{\"a\":1}' AS message, 'json' AS format")
    plan = JsonObjectParser().plan(con, 5)
    assert [f.source for f in plan.fields] == ["/a"]
    structure = [s for s in con.statements if "json_structure" in s or "json_group_structure" in s]
    assert len(structure) == 1
    assert "json_group_structure" not in structure[0] and "::JSON" not in structure[0]
    assert "string_agg(message, ',' ORDER BY rowid)" in structure[0]


def test_the_json_plan_lists_keys_in_file_order_on_several_threads() -> None:
    """Over two row groups (122,880 rows each) DuckDB aggregates on one thread per row group; unordered, the
    structure joined the threads' documents in the order they finished, and its key order (the columns'
    order) changed from run to run: 7 or 8 of 20 plans in file order, on 2 and on 4 threads."""
    from loglake.transform.parsers.json_object import JsonObjectParser

    for threads in (2, 4):
        con = duckdb.connect(config={"threads": threads})
        con.execute(  # key k<n> first at line 10,000 n; the second row group holds k12 only
            "CREATE TEMP TABLE classified AS SELECT '{\"k' || (i // 10000)::VARCHAR || '\":1}' AS message, "
            "'json' AS format FROM range(130000) r(i)"
        )
        orders = [[f.source for f in JsonObjectParser().plan(con, 5).fields] for _ in range(8)]
        assert orders == [[f"/k{n}" for n in range(13)]] * 8, threads

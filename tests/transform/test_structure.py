from __future__ import annotations

import duckdb
import pytest

from loglake.transform.structure import Leaf, leaves


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

"""Column names for flattened fields: Athena-safe, stable across batches, collisions resolved in order.

A path's name is its keys in snake_case joined by the separator (`request.userId` → `request_user_id`).
Names are lowercase `[a-z0-9_]`, start with a letter, and are at most 128 characters. When a name is
already taken (by an envelope column, by another path in the schema registry, or by a path earlier
in sorted order in the same batch), `_2`, `_3`, ... is appended. Once a path has a name in the
registry it keeps it, so the mapping never changes under users' queries.

Names are given only while the table has room (`max_columns`, see TableSchema.apply_cap): a JSON field
past it gets no name, and its value is written to the table's `extra` column instead (`within_cap`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from loglake.errors import InvariantError
from loglake.lake.schema_registry import TableSchema
from loglake.transform.parsers.base import ParsePlan

_CAMEL_1 = re.compile(r"([a-z0-9])([A-Z])")
_CAMEL_2 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_MAX_NAME = 128


def snake_case(key: str) -> str:
    name = _CAMEL_2.sub(r"\1_\2", _CAMEL_1.sub(r"\1_\2", key)).lower()
    return _NON_WORD.sub("_", name).strip("_")


def base_name(path: tuple[str, ...], separator: str = "_") -> str:
    """`separator` is validated by the ETL settings to be `[a-z0-9_]+`, so it needs no escaping here."""
    parts = [snake_case(part) for part in path]
    name = separator.join(part for part in parts if part) or "field"
    if not name[0].isalpha():
        name = f"f_{name}"
    if len(name) > _MAX_NAME:
        digest = hashlib.sha256("\x00".join(path).encode()).hexdigest()[:8]
        name = f"{name[: _MAX_NAME - 9]}_{digest}"
    return name


def assign_names(
    pointers: Iterable[tuple[str, tuple[str, ...]]],
    known: Mapping[str, str],
    taken: Iterable[str],
    separator: str = "_",
) -> dict[str, str]:
    """Map each JSON pointer to a column name; `known` (pointer → name) wins, new names avoid `taken`."""
    used = set(taken) | set(known.values())
    names: dict[str, str] = {}
    for pointer, path in sorted(pointers):
        if pointer in known:
            names[pointer] = known[pointer]
            continue
        candidate = base = base_name(path, separator)
        n = 2
        while candidate in used:
            candidate = f"{base}_{n}"
            n += 1
        used.add(candidate)
        names[pointer] = candidate
    return names


def refused_fields(
    schema: TableSchema,
    plans: Mapping[str, ParsePlan],
    max_columns: int,
    cause: str,
    withheld: Callable[[set[str]], frozenset[str]] = lambda _found: frozenset(),
) -> tuple[frozenset[str], bool]:
    """The fields of a batch that get no column in `schema`'s table, and whether the schema changed: only
    fields of plans that can put them in `extra` (JSON, logfmt) are refused; a fixed format's fields never
    are. `withheld` picks, from the open-schema fields, those whose key must not become a name."""
    declared = {f.source for plan in plans.values() if plan.past_cap is None for f in plan.fields}
    found = {f.source for plan in plans.values() if plan.past_cap is not None for f in plan.fields}
    return schema.apply_cap(declared, found, max_columns, cause, withheld(found))


def within_cap(con: Any, table: str, plans: Mapping[str, ParsePlan], names: Mapping[str, str]) -> dict[str, ParsePlan]:
    """The plans to write `table` with: a plan with fields that have no name there (refused by the cap)
    writes them to `extra` instead."""
    capped: dict[str, ParsePlan] = {}
    for format_, plan in plans.items():
        refused = frozenset(f.source for f in plan.fields if f.source not in names)
        if refused and plan.past_cap is None:
            raise InvariantError(f"{table}: {format_} fields {sorted(refused)[:3]} have no column: registry bug")
        capped[format_] = plan.past_cap(plan, con, table, refused) if refused and plan.past_cap else plan
    return capped

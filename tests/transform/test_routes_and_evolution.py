"""Routes from loglake.toml, and schema evolution across batches for the open-schema formats."""

from __future__ import annotations

import pytest

from conftest import Deliver
from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.lake.schema_registry import SchemaRegistry
from loglake.query.engine import DuckDBEngine
from loglake.transform.settings import EtlSettings

VPC_LINE = (
    "2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK"
)


def test_a_route_forces_a_format_and_quarantines_what_does_not_match(lake: Lake, deliver: Deliver) -> None:
    settings = EtlSettings(routes=({"log_group": "/aws/vpc/*", "format": "vpc_flow_log"},))  # type: ignore[arg-type]
    deliver([VPC_LINE, "garbage in the flow log group"], log_group="/aws/vpc/main", settings=settings)
    deliver(["garbage elsewhere"], log_group="/app/web", settings=settings)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT srcaddr, bytes FROM vpc_flow_logs").rows == [("172.31.16.139", 4249)]
        assert engine.query("SELECT message, reason FROM quarantine").rows == [
            ("garbage in the flow log group", "format_mismatch")
        ]
        assert engine.query("SELECT message, format FROM logs").rows == [("garbage elsewhere", "text")]


def test_a_route_sends_a_log_group_to_its_own_table(lake: Lake, deliver: Deliver) -> None:
    settings = EtlSettings(routes=({"log_group": "/ecs/payments*", "table": "payments"},))  # type: ignore[arg-type]
    deliver(['{"amount": 12.5, "level": "info"}', "plain"], log_group="/ecs/payments-eu", settings=settings)
    with DuckDBEngine(lake.store) as engine:
        assert engine.query("SELECT format, amount FROM payments ORDER BY event_id").rows == [
            ("json", 12.5),
            ("text", None),
        ]
    assert sorted(SchemaRegistry(lake.store).tables()) == ["payments"]


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ({"log_group": "/a", "format": "nope"}, "unknown format 'nope'"),
        ({"log_group": "/a", "table": "Bad-Name"}, "table names are"),
        ({"log_group": "/a"}, "names neither a format nor a table"),
        ({"group": "/a", "format": "json"}, "a route has log_group"),
    ],
)
def test_bad_routes_are_refused(route: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EtlSettings(routes=(route,))  # type: ignore[arg-type]


def test_logfmt_fields_widen_across_batches_and_old_files_still_read(lake: Lake, deliver: Deliver) -> None:
    deliver(["op=put n=1", "op=get n=2"])
    deliver(["op=put n=2.5 added=yes"], timestamp=1_764_291_600_000)
    deliver(["op=del n=many"], timestamp=1_764_295_200_000)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query("SELECT op, n, added FROM logs ORDER BY timestamp").rows
    assert rows == [("put", "1", None), ("get", "2", None), ("put", "2.5", "yes"), ("del", "many", None)]
    schema = SchemaRegistry(lake.store).get("logs")
    assert schema is not None
    n = schema.column("n")
    assert n is not None and n.type == "VARCHAR"
    assert [h["change"] for h in n.history] == [
        "added",
        "widened BIGINT + DOUBLE -> DOUBLE",
        "widened DOUBLE + VARCHAR -> VARCHAR",
    ]

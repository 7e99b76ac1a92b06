"""docs/grafana/loglake.json: valid, current (examples/grafana_dashboard.py writes it), one panel per saved
query whose SQL is that query's with the dashboard's time range in the Athena plugin's macros; expanded as
the plugin expands them, each parses as Athena SQL and answers what `loglake saved NAME --since --until` does."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlglot

import loglake
from loglake.query.engine import DuckDBEngine
from loglake.query.saved_queries import SAVED_QUERIES, saved_query
from loglake.query.time_range import TimeRange

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "docs" / "grafana" / "loglake.json"
SINCE = datetime(2026, 1, 1, 10, 0, 0, tzinfo=UTC)
UNTIL = datetime(2026, 1, 2, 9, 45, 0, tzinfo=UTC)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("grafana_dashboard", ROOT / "examples" / "grafana_dashboard.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _panels() -> dict[str, dict[str, Any]]:
    document = json.loads(DASHBOARD.read_text())
    return {panel["title"]: panel for panel in document["panels"]}


def _expand(sql: str, since: datetime, until: datetime) -> str:
    """The macros as the Athena plugin expands them (pkg/athena/macros.go: dateFilter, timeFilter)."""
    return sql.replace("$__dateFilter(dt)", f"dt BETWEEN date '{since:%Y-%m-%d}' AND date '{until:%Y-%m-%d}'").replace(
        '$__timeFilter("timestamp")',
        f"\"timestamp\" BETWEEN TIMESTAMP '{since:%Y-%m-%d %H:%M:%S}' AND TIMESTAMP '{until:%Y-%m-%d %H:%M:%S}'",
    )


def test_the_dashboard_is_current_and_has_a_panel_per_saved_query() -> None:
    assert DASHBOARD.read_text() == _generator().render()
    panels = _panels()
    assert sorted(panels) == sorted(SAVED_QUERIES)
    assert len({panel["id"] for panel in panels.values()}) == len(SAVED_QUERIES) == 7
    for name, panel in panels.items():
        target = panel["targets"][0]
        assert panel["datasource"] == {"type": "grafana-athena-datasource", "uid": "${datasource}"}
        assert target["connectionArgs"]["database"] == "loglake"
        assert target["rawSQL"].count("$__dateFilter(dt)") >= 1, name
        assert target["rawSQL"].count('$__timeFilter("timestamp")') >= 1, name
        assert "$__" not in _expand(target["rawSQL"], SINCE, UNTIL)
    assert [p["type"] for p in panels.values()].count("timeseries") == 2


@pytest.mark.parametrize("name", sorted(SAVED_QUERIES))
def test_each_panel_parses_as_athena_sql_and_is_the_saved_query(name: str) -> None:
    panel_sql = _panels()[name]["targets"][0]["rawSQL"]
    expanded = sqlglot.parse_one(_expand(panel_sql, SINCE, UNTIL), read="athena")
    assert expanded.find(sqlglot.exp.Select) is not None
    # The saved query's own text, with its tables' rows limited: the same statement once the limits are taken out.
    stand_in = sqlglot.parse_one(_generator().panel_sql(name).replace("$__", "grafana_"), read="athena")
    plain = saved_query(name)
    for subquery in list(stand_in.find_all(sqlglot.exp.Subquery)):
        inner = subquery.this
        if isinstance(inner, sqlglot.exp.Select) and "GRAFANA_" in inner.sql(dialect="athena").upper():
            found = inner.find(sqlglot.exp.Table)
            assert found is not None
            table = found.copy()
            if subquery.alias != found.name:
                table.set("alias", subquery.args.get("alias"))
            subquery.replace(table)
    assert stand_in.sql(dialect="athena") == sqlglot.parse_one(plain, read="athena").sql(dialect="athena")


def _line(moment: datetime, level: str, route: str, ms: int) -> str:
    document = {"time": moment.isoformat(), "level": level, "msg": f"{level} on {route}"}
    return json.dumps({**document, "request": {"route": route, "latency_ms": ms}}) + "\n"


def test_panels_on_logs_answer_as_the_saved_query_with_since_and_until(tmp_path: Path) -> None:
    """Run locally (Athena SQL through DuckDB): the expanded panel and `saved NAME --since --until` agree."""
    start = datetime(2025, 12, 31, 12, 0, tzinfo=UTC)
    lines = []
    for n in range(96):  # every 30 minutes for two days: n = 44 (SINCE) .. 91 (09:30, before UNTIL) are in range
        lines.append(_line(start + timedelta(minutes=30 * n), "ERROR" if n % 3 == 0 else "INFO", f"/r{n % 4}", 10 + n))
    (tmp_path / "app.log").write_text("".join(lines))
    lake = loglake.connect(str(tmp_path / "lake"))
    assert lake.ingest(str(tmp_path / "app.log"), log_group="app").clean_rows == 96
    panels = _panels()
    with DuckDBEngine(lake.lake.store) as engine:
        for name in ("errors_per_service_per_hour", "top_error_fingerprints", "ingestion_lag", "latency_by_route"):
            expected = engine.query(saved_query(name, time_range=TimeRange(SINCE, UNTIL))).rows
            assert expected, name
            assert engine.query(_expand(panels[name]["targets"][0]["rawSQL"], SINCE, UNTIL)).rows == expected, name
    errors = lake.query(_expand(panels["errors_per_service_per_hour"]["targets"][0]["rawSQL"], SINCE, UNTIL))
    assert sum(row[2] for row in errors.rows) == 16  # n = 45, 48, ..., 90

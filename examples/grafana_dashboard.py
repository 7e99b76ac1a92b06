"""Write docs/grafana/loglake.json: a Grafana dashboard with one panel per saved query, for the Athena data
source on the Glue database that `loglake deploy` and `loglake catalog sync` create.

Each panel's SQL is the saved query's SQL (query/saved_queries.py) with the dashboard's time range applied
as `--since/--until` applies it, written with the Athena plugin's macros: `$__dateFilter(dt)` prunes the dt
partitions (partition projection), `$__timeFilter("timestamp")` is the exact bound. Run it again after a
saved query changes: `python examples/grafana_dashboard.py`; tests/test_grafana.py checks the file is current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import sqlglot

from loglake.query.saved_queries import SAVED_QUERIES, saved_query
from loglake.query.time_range import TimeRange

OUT = Path(__file__).resolve().parent.parent / "docs" / "grafana" / "loglake.json"
PLUGIN = "grafana-athena-datasource"
MACROS = {
    "GRAFANA_DATE_FILTER(dt)": "$__dateFilter(dt)",
    'GRAFANA_TIME_FILTER("timestamp")': '$__timeFilter("timestamp")',
}
"""Stand-ins that sqlglot parses (the time range is applied through it), and the macros they become."""
TIME_SERIES = {"errors_per_service_per_hour", "alb_5xx_rate"}
"""Saved queries with a time column to chart; the others are tables."""


class GrafanaRange(TimeRange):
    """A time range whose condition on a clean table is the dashboard's, in the plugin's macros."""

    def table_sql(self, table: str) -> str:
        return " AND ".join(MACROS)


def panel_sql(name: str) -> str:
    """The saved query `name` (default parameters) limited to the dashboard's time range."""
    ranged = str(saved_query(name, time_range=GrafanaRange()))
    text = sqlglot.transpile(ranged, read="athena", write="athena", pretty=True)[0]
    for stand_in, macro in MACROS.items():
        if stand_in not in text:
            raise AssertionError(f"{name}: {stand_in} is not in {text}")
        text = text.replace(stand_in, macro)
    return text


def dashboard(database: str = "loglake") -> dict[str, Any]:
    panels = []
    for n, query in enumerate(SAVED_QUERIES.values()):
        chart = query.name in TIME_SERIES
        panels.append(
            {
                "id": n + 1,
                "type": "timeseries" if chart else "table",
                "title": query.name,
                "description": f"{query.description} (loglake saved query {query.name})",
                "datasource": {"type": PLUGIN, "uid": "${datasource}"},
                "gridPos": {"h": 9, "w": 12, "x": 12 * (n % 2), "y": 9 * (n // 2)},
                "targets": [
                    {
                        "refId": "A",
                        "datasource": {"type": PLUGIN, "uid": "${datasource}"},
                        # sqlds formats: 0 time series, 1 table
                        "format": 0 if chart else 1,
                        "rawSQL": panel_sql(query.name),
                        "connectionArgs": {"region": "__default", "catalog": "__default", "database": database},
                    }
                ],
            }
        )
    return {
        "title": "loglake",
        "uid": "loglake-saved-queries",
        "description": "loglake's saved queries over the Glue database, through Athena (docs/grafana.md)",
        "tags": ["loglake", "athena"],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-24h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Athena data source",
                    "type": "datasource",
                    "query": PLUGIN,
                }
            ]
        },
        "panels": panels,
    }


def render(database: str = "loglake") -> str:
    return json.dumps(dashboard(database), indent=2) + "\n"


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    target.write_text(render())
    print(f"wrote {target}: {len(SAVED_QUERIES)} panels")

"""plain_text: any line that no other parser claims; the time and the level are still extracted.

Examples (message → timestamp, level):
    2026-11-26 14:03:07,412 ERROR [pool-2] c.e.Inventory - reserve failed → 2026-11-26 14:03:07.412, ERROR
    [2026-11-26T14:03:07+01:00] [warn] cache cold                         → 2026-11-26 13:03:07, WARN
    Start-Date: 2025-06-24  14:36:25                                      → 2025-06-24 14:36:25, NULL
    just some words with error in them                                   → record timestamp, NULL
The layouts read are listed in transform/timestamps.py; a line whose time is not read takes the record's
timestamp, and its `time_source` says so (`source`, or `ingestion` for files).
"""

from __future__ import annotations

from typing import Any

from loglake.lake.clean_zone import DEFAULT_TABLE
from loglake.lake.quarantine import Reason
from loglake.transform.levels import text_level_expression
from loglake.transform.parsers.base import Example, ParsePlan
from loglake.transform.timestamps import text_time_expression


class PlainTextParser:
    name = "text"
    table = DEFAULT_TABLE

    def setup(self) -> list[str]:
        return []

    def detect(self, message: str) -> str:
        return "true"

    def reject(self, message: str) -> tuple[str, Reason] | None:
        return None

    def plan(self, con: Any, max_depth: int) -> ParsePlan:
        # Staged: ll_parse_time reads its argument several times, and the search is the costly part.
        return ParsePlan(
            time="__ll_text_time",
            level=text_level_expression("message"),
            staging={"__ll_text_time": text_time_expression("message")},
        )


EXAMPLES = [
    Example(
        "2026-11-26 14:03:07,412 ERROR [pool-2] c.e.Inventory - reserve failed",
        {"timestamp": "2026-11-26 14:03:07.412", "level": "ERROR"},
    ),
    Example("[2026-11-26T14:03:07+01:00] [warn] cache cold", {"timestamp": "2026-11-26 13:03:07", "level": "WARN"}),
    Example("Start-Date: 2025-06-24  14:36:25", {"timestamp": "2025-06-24 14:36:25", "time_source": "parsed"}),
    Example(
        "update-alternatives 2025-06-24 14:36:53: run with --install /usr/bin/pager pager /bin/less 77",
        {"timestamp": "2025-06-24 14:36:53", "time_source": "parsed"},
    ),
    # The time is the record's: CloudWatch's own in the tests, so `source` (a file's would be `ingestion`).
    Example("just some words with error in them", {"level": None, "time_source": "source"}),
]

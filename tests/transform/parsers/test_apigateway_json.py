"""apigateway_json: the event's own time and level, as the CLF variant (apigateway_access_log) gives them.

The lines render AWS's documented HTTP API JSON access-log template (tests/events/aws_formats/
apigateway_templates.json, awsdocs/amazon-api-gateway-developer-guide, MIT-0) with example values, plus
`requestTimeEpoch`: the guide's variable tables (http-api-logging-variables.md, websocket-api-logging.md)
define $context.requestTime as CLF `dd/MMM/yyyy:HH:mm:ss +-hhmm` and $context.requestTimeEpoch as the
epoch time in milliseconds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from conftest import Deliver
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

RID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
NOV_26 = 1_795_651_200_000
"""2026-11-26T00:00:00Z in epoch milliseconds."""


def _line(**values: Any) -> str:
    """The documented HTTP API JSON template, rendered; a value of None leaves its key out."""
    template: dict[str, Any] = {
        "requestId": RID,
        "ip": "198.51.100.7",
        "requestTime": "26/Nov/2026:00:00:00 +0000",
        "httpMethod": "GET",
        "routeKey": "GET /pets",
        "status": "200",
        "protocol": "HTTP/1.1",
        "responseLength": "512",
    }
    template.update(values)
    return json.dumps({k: v for k, v in template.items() if v is not None})


def _rows(lake: Lake, sql: str) -> list[tuple[Any, ...]]:
    with DuckDBEngine(lake.store) as engine:
        return [tuple(row) for row in engine.query(sql).rows]


SELECT = (
    "SELECT event_id, format, CAST(timestamp AS VARCHAR), time_source, level, status FROM apigateway_logs "
    "ORDER BY length(event_id), event_id"
)


def test_time_from_request_time_epoch_first_then_request_time(lake: Lake, deliver: Deliver) -> None:
    deliver(
        [
            _line(),  # requestTime only
            _line(requestTime=None, requestTimeEpoch=str(NOV_26 + 123)),  # requestTimeEpoch only
            _line(requestTimeEpoch=str(NOV_26 + 456)),  # both: the epoch's milliseconds win
            _line(requestTime=None),  # neither: CloudWatch's time
            _line(requestTime="26/Nov/2026:25:61:00 +0000"),  # malformed: not read, CloudWatch's time
            _line(requestTime="yesterday", requestTimeEpoch=str(NOV_26 + 789)),  # malformed, epoch read
            _line(requestTime="26/Nov/2026:01:30:00 +0130"),  # an offset: UTC
            _line(requestTimeEpoch="-"),  # API Gateway's missing value: requestTime read
            _line(requestTime="-", requestTimeEpoch="17956512"),  # neither readable: CloudWatch's time
            _line(requestTime=None, requestTimeEpoch=NOV_26 + 7),  # an unquoted template: a JSON number
        ]
    )
    assert _rows(lake, SELECT) == [
        ("e0", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, 200),
        ("e1", "apigateway_json", "2026-11-26 00:00:00.123", "parsed", None, 200),
        ("e2", "apigateway_json", "2026-11-26 00:00:00.456", "parsed", None, 200),
        ("e3", "apigateway_json", "2025-11-28 00:00:00.003", "source", None, 200),
        ("e4", "apigateway_json", "2025-11-28 00:00:00.004", "source", None, 200),
        ("e5", "apigateway_json", "2026-11-26 00:00:00.789", "parsed", None, 200),
        ("e6", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, 200),
        ("e7", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, 200),
        ("e8", "apigateway_json", "2025-11-28 00:00:00.008", "source", None, 200),
        ("e9", "apigateway_json", "2026-11-26 00:00:00.007", "parsed", None, 200),
    ]
    assert _rows(lake, "SELECT count(*) FROM quarantine") == [(0,)]


def test_level_from_status_as_the_clf_variant_gives_it(lake: Lake, deliver: Deliver) -> None:
    clf = '198.51.100.7 - - [26/Nov/2026:00:00:00 +0000] "GET GET /pets HTTP/1.1" {} 512 ' + RID
    deliver(
        [
            _line(status="200"),
            _line(status="404"),
            _line(status="502"),
            _line(status="-"),
            _line(status=None),
            _line(status="500"),
            _line(status="499"),
            _line(status=503),  # an unquoted template: a JSON number
            clf.format(200),
            clf.format(404),
            clf.format(502),
            clf.format(500),
            clf.format(499),
        ]
    )
    assert _rows(lake, SELECT) == [
        ("e0", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, 200),
        ("e1", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, 404),
        ("e2", "apigateway_json", "2026-11-26 00:00:00", "parsed", "ERROR", 502),
        ("e3", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, None),
        ("e4", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, None),
        ("e5", "apigateway_json", "2026-11-26 00:00:00", "parsed", "ERROR", 500),
        ("e6", "apigateway_json", "2026-11-26 00:00:00", "parsed", None, 499),
        ("e7", "apigateway_json", "2026-11-26 00:00:00", "parsed", "ERROR", 503),
        ("e8", "apigateway_access_log", "2026-11-26 00:00:00", "parsed", None, 200),
        ("e9", "apigateway_access_log", "2026-11-26 00:00:00", "parsed", None, 404),
        ("e10", "apigateway_access_log", "2026-11-26 00:00:00", "parsed", "ERROR", 502),
        ("e11", "apigateway_access_log", "2026-11-26 00:00:00", "parsed", "ERROR", 500),
        ("e12", "apigateway_access_log", "2026-11-26 00:00:00", "parsed", None, 499),
    ]


def test_a_level_key_of_the_template_counts_below_a_5xx_status(lake: Lake, deliver: Deliver) -> None:
    deliver([_line(status="502", level="info"), _line(status="200", level="warn"), _line(status="200")])
    assert _rows(lake, "SELECT event_id, level FROM apigateway_logs ORDER BY event_id") == [
        ("e0", "ERROR"),
        ("e1", "WARN"),
        ("e2", None),
    ]


def test_a_file_line_without_a_readable_time_says_ingestion(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "access.log"
    path.write_text(_line(requestTime="not a time") + "\n" + _line(requestTime=None, status="504") + "\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    FileSource(lake.store, FileSourceOptions(log_group="/apigw/file")).ingest(str(path))
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    got = _rows(
        lake, "SELECT CAST(timestamp AS VARCHAR), time_source, level, status FROM apigateway_logs ORDER BY status"
    )
    # The file's mtime (1,700,000,000 s), a guess that time_source names as such.
    assert got == [("2023-11-14 22:13:20", "ingestion", None, 200), ("2023-11-14 22:13:20", "ingestion", "ERROR", 504)]


def test_time_and_level_hold_past_the_column_cap(lake: Lake, deliver: Deliver) -> None:
    """With 2 columns allowed, requestTime, requestTimeEpoch and status reach `extra` only: the
    time and level are still theirs (the capped plan keeps the fields they read)."""
    deliver(
        [_line(requestTimeEpoch=str(NOV_26 + 250), status="503"), _line(requestTime="-", status="404")],
        settings=EtlSettings(max_columns=2),
    )
    got = _rows(
        lake,
        "SELECT event_id, CAST(timestamp AS VARCHAR), time_source, level, "
        "json_extract_string(extra, '$.status') FROM apigateway_logs ORDER BY event_id",
    )
    assert got == [
        ("e0", "2026-11-26 00:00:00.25", "parsed", "ERROR", "503"),
        ("e1", "2025-11-28 00:00:00.001", "source", None, "404"),
    ]

"""Console requests found wrong in review: events with sub-millisecond times, Cancel and `limit` on search,
re-drives of exactly the row clicked, and a server bound to another loopback address."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from conftest import cancelled_midway
from console.console_lake import ROUTED, Settings, build_lake
from loglake.console.api import Console
from loglake.console.server import Server
from loglake.errors import QueryError
from loglake.lake.open import open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

CRI_LINES = [
    "2026-11-29T07:59:37.505201169Z stdout F GET /health took 3ms",
    "2026-11-29T07:59:37.505900000Z stdout F GET /health took 4ms",
    "2026-11-29T07:59:38.000001Z stderr F boom",
]
"""Container (CRI) lines with nanosecond times: two in the same millisecond."""


def open_url(url: str, token: str, data: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, headers={"x-loglake-token": token})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        return exc.code, json.loads(body) if body.startswith(b"{") else body.decode()


def test_an_event_with_sub_millisecond_digits_opens_with_its_neighbours(tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    path = tmp_path / "pod.log"
    path.write_text("\n".join(CRI_LINES) + "\n")
    FileSource(lake.store, FileSourceOptions(log_group="/k8s/pod")).ingest(str(path))
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    console = Console(lake, "duckdb")
    rows = console.search("took 3ms", None)["rows"]
    assert [(r["timestamp"].isoformat(), r["message"]) for r in rows] == [("2026-11-29T07:59:37.505201", CRI_LINES[0])]
    row = rows[0]
    event = console.event(
        row["table"], row["log_group"], row["log_stream"], row["timestamp"].isoformat(), row["message"]
    )
    assert (event["fields"]["log"], event["fields"]["timestamp"].isoformat()) == (
        "GET /health took 3ms",
        "2026-11-29T07:59:37.505201",
    )
    assert event["before"] == []
    assert [n["message"] for n in event["after"]] == CRI_LINES[1:]
    # the later event of the same millisecond has the earlier one before it
    later = console.event(row["table"], row["log_group"], row["log_stream"], "2026-11-29T07:59:37.505900", CRI_LINES[1])
    assert [n["message"] for n in later["before"]] == CRI_LINES[:1]
    assert [n["message"] for n in later["after"]] == CRI_LINES[2:]


def test_a_running_search_is_cancelled_by_its_request_id(console: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    from loglake.query.engine import lock_down as original  # what query/search.py calls on its connection

    def slow_lock_down(con: Any, directories: Any) -> None:
        original(con, directories)
        con.execute("SELECT count(*) FROM range(1000000) a, range(1000000) b").fetchall()  # 10^12 rows

    monkeypatch.setattr("loglake.query.search.lock_down", slow_lock_down)
    outcome = cancelled_midway(
        lambda: console.search("timeout", None, request_id="slow-search"), console.cancel, "slow-search"
    )
    assert len(outcome) == 1 and isinstance(outcome[0], QueryError)
    assert str(outcome[0]) == "cancelled: the query was interrupted; run it again to get its answer"
    assert console.cancel("slow-search") is False


@pytest.mark.parametrize(
    ("limit", "status"),
    [("1", 200), ("1000", 200), ("0", 400), ("1001", 400), ("-5", 400), ("ten", 400), ("1.5", 400)],
)
def test_search_limit_is_a_whole_number_from_1_to_1000(server: Server, limit: str, status: int) -> None:
    code, body = open_url(f"http://127.0.0.1:{server.port}/api/search?q=/timeout/i&limit={limit}", server.token)
    assert code == status, body
    if status == 200:
        assert (body["matches"], body["shown"]) == (2, min(2, int(limit)))
    else:
        assert body == {"error": f"limit={limit!r} is not a whole number in 1..1000"}


def test_a_page_offset_that_is_not_a_number_is_refused(server: Server) -> None:
    code, body = open_url(f"http://127.0.0.1:{server.port}/api/result/nope?offset=x", server.token)
    assert (code, body) == (400, {"error": "offset='x' is not a whole number >= 0"})


def test_a_redrive_takes_exactly_the_row_clicked(tmp_path: Path) -> None:
    lake = build_lake(tmp_path)
    settings = Settings(lake)
    console = Console(lake, "duckdb", settings)
    assert console.quarantine(None)["counts"] == [
        {"reason": "format_mismatch", "log_group": "/aws/vpc/main", "count": 2}
    ]
    settings.etl = EtlSettings()  # what re-drives now would clean the records
    for reason, group in (
        (None, "/aws/vpc/main"),
        ("format_mismatch", None),
        ("format_mismatch", ""),
        ("unknown", None),
    ):
        done = console.redrive(reason, group)  # a null is the NULL one, not "any"
        assert (done["raw_objects"], done["before"], done["after"]) == (0, 2, 2), (reason, group)
    server = Server(console, "127.0.0.1", 0).start()
    try:
        for body in (b"{}", b'{"reason": "format_mismatch"}', b"[]"):
            code, answer = open_url(f"http://127.0.0.1:{server.port}/api/redrive", server.token, body)
            assert code == 400, body
            assert answer["error"].startswith("give the reason and log_group of one row of the counts")
        row = json.dumps({"reason": "format_mismatch", "log_group": "/aws/vpc/main"}).encode()
        code, answer = open_url(f"http://127.0.0.1:{server.port}/api/redrive", server.token, row)
    finally:
        server.stop()
    assert code == 200
    assert (answer["raw_objects"], answer["before"], answer["after"]) == (1, 2, 0)
    assert ROUTED.routes  # the module's configuration is left as it was


def test_serve_on_another_loopback_address_answers_there(console: Console) -> None:
    server = Server(console, "127.0.0.2", 0).start()
    try:
        assert server.url.startswith(f"http://127.0.0.2:{server.port}/?token=")
        code, body = open_url(f"http://127.0.0.2:{server.port}/api/info", server.token)
        assert (code, body["engine"]) == (200, "duckdb")
        request = urllib.request.Request(
            f"http://127.0.0.2:{server.port}/api/info",
            headers={"x-loglake-token": server.token, "host": "evil.example"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
    finally:
        server.stop()


def test_a_redrive_of_the_unknown_reason_takes_the_records_without_one(tmp_path: Path) -> None:
    """The counts show a NULL reason as 'unknown' (and a NULL log group as null): re-driving that row takes them."""
    import gzip

    from loglake.lake.keys import QUARANTINE_PREFIX

    lake = build_lake(tmp_path)
    (key,) = list(lake.store.list(QUARANTINE_PREFIX))
    records = [json.loads(line) for line in gzip.decompress(lake.store.get(key)).splitlines()]
    assert len(records) == 2
    blanked = [{**record, "reason": None, "log_group": None} for record in records]
    lake.store.put(key, gzip.compress("".join(json.dumps(r) + "\n" for r in blanked).encode()))
    settings = Settings(lake)
    console = Console(lake, "duckdb", settings)
    assert console.quarantine(None)["counts"] == [{"reason": "unknown", "log_group": None, "count": 2}]
    settings.etl = EtlSettings()
    assert console.redrive("unknown", "/aws/vpc/main")["raw_objects"] == 0
    done = console.redrive("unknown", None)
    assert (done["raw_objects"], done["before"], done["after"]) == (1, 2, 0)

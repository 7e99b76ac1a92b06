"""Several raw objects in one DuckDB pass (issue 12, item 5): each object gets what a run of its own gives
(manifest, output keys, rows, quarantine), exactly once across retries, duplicates and kills, for about the
DuckDB statements of one object."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from conftest import T0, shared_passes, write_messages
from loglake.aws_events.s3_event import object_created_event
from loglake.errors import RawObjectError
from loglake.handlers.etl import handle_s3_event
from loglake.lake.keys import RawKey
from loglake.lake.local_store import CRASH_HOOK
from loglake.lake.open import Lake, open_lake
from loglake.lake.raw_zone import list_raw_objects
from loglake.lake.unreadable import unreadable_objects
from loglake.pipeline import run_etl_objects
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.transform import etl_batch, session
from loglake.transform.etl import EtlResult, process_raw_object
from loglake.transform.etl_batch import process_raw_objects
from loglake.transform.redaction import RedactRule
from loglake.transform.settings import EtlSettings, Route

HOUR_MS = 3_600_000


def _raw(lake: Lake, group: str, lines: list[dict[str, Any]]) -> None:
    records = [
        {"log_group": group, "log_stream": "s", "event_id": f"e{n}", "timestamp": T0 + n, "ingestion_time": None,
         "source": "cloudwatch", **line}
        for n, line in enumerate(lines)
    ]  # fmt: skip
    key = RawKey("cloudwatch", group, "s", f"{T0}-{T0 + HOUR_MS}-0").key
    lake.store.put(key, gzip.compress(b"".join(orjson.dumps(record) + b"\n" for record in records)))


def test_an_object_with_undecodable_bytes_is_not_batched_with_one_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """message_b64 is a column only of the files whose rows have one: planned together, both would have it."""
    alone, together = open_lake(str(tmp_path / "alone")), open_lake(str(tmp_path / "together"))
    for lake in (alone, together):
        _raw(lake, "/app/a", [{"message": _json(1)}])
        _raw(lake, "/app/b", [{"message": "caf\ufffd", "message_b64": "Y2Fm6Q=="}])
    keys = sorted(list_raw_objects(alone.store))
    sizes = shared_passes(monkeypatch)
    one_by_one = [process_raw_object(alone.store, key, EtlSettings()) for key in keys]
    batched = process_raw_objects(together.store, keys, EtlSettings())
    assert sizes == []
    assert [_manifest(r) for r in batched] == [_manifest(r) for r in one_by_one]
    assert [(r.manifest.clean_rows, r.manifest.quarantined_rows) for r in batched] == [(1, 0), (1, 0)]
    with DuckDBEngine(together.store) as engine:
        rows = engine.query("SELECT log_group, message_b64 FROM logs ORDER BY log_group").rows
        columns = [
            engine.query(f"SELECT * FROM read_parquet('{together.store.uri}/{key}')").columns
            for key in together.store.list("clean/")
        ]
    assert rows == [("/app/a", None), ("/app/b", "Y2Fm6Q==")]
    assert sorted("message_b64" in c for c in columns) == [False, True]


def _repeated(lake: Lake) -> None:
    """A raw object that holds one event twice (overlapping collector windows): the first copy counts."""
    lines = [
        {"log_group": "/app/e", "log_stream": "s", "event_id": event_id, "timestamp": T0 + n, "ingestion_time": None,
         "message": message, "source": "cloudwatch"}
        for n, (event_id, message) in enumerate([("e0", _json(9)), ("e1", _json(10)), ("e0", _json(11))])
    ]  # fmt: skip
    key = RawKey("cloudwatch", "/app/e", "s", f"{T0}-{T0 + HOUR_MS}-0").key
    lake.store.put(key, gzip.compress(b"".join(orjson.dumps(line) + b"\n" for line in lines)))


def _json(n: int, level: str = "info") -> str:
    return f'{{"level": "{level}", "msg": "m{n}", "n": {n}}}'


def _fill(lake: Lake) -> list[str]:
    """Six objects with the same JSON fields (each object alone is planned with the same columns), text,
    broken JSON, a repeated event, two hours."""
    write_messages(lake.store, "/app/a", [_json(1), _json(2, "warn")])
    write_messages(lake.store, "/app/b", [_json(3), '{"msg": broken', "plain text"])
    write_messages(lake.store, "/app/c", ["2025-11-28T00:00:01Z ERROR disk full", _json(4)], timestamp=T0 + HOUR_MS)
    write_messages(lake.store, "/app/d", [_json(5), _json(6)], id_prefix="x")
    write_messages(lake.store, "/app/d", [_json(7), _json(8)], id_prefix="y", stream="t")
    _repeated(lake)
    return sorted(list_raw_objects(lake.store))


def _manifest(result: EtlResult) -> dict[str, Any]:
    figures = dict(vars(result.manifest))
    for moment in ("committed_ms", "raw_version", "output_bytes", "raw_bytes"):  # of the run or of gzip's output
        figures.pop(moment)
    return figures


def _rows(lake: Lake, unreadable: str = "") -> dict[str, list[tuple[Any, ...]]]:
    with DuckDBEngine(lake.store) as engine:
        rows = {
            "logs": engine.query(
                "SELECT timestamp, time_source, level, message, log_group, log_stream, event_id, format, raw_object, "
                "dt, hour, level_2, msg, n FROM logs ORDER BY log_group, log_stream, event_id"
            ).rows,
            "quarantine": engine.query(
                "SELECT log_group, event_id, reason, raw_object, message FROM quarantine ORDER BY log_group, event_id"
            ).rows,
        }
        report = check_conservation(engine, lake.store)
    checks = [o for o in report.objects if o.raw_object != unreadable]
    assert [(o.status, o.reason) for o in checks] == [("ok", "")] * 6
    assert [o.status for o in report.objects if o.raw_object == unreadable] == (["unreadable"] if unreadable else [])
    assert (report.totals()["clean_events"], report.totals()["quarantined_events"]) == (12, 1)
    return rows


def test_a_batch_gives_each_object_what_a_run_of_its_own_gives(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    alone, together = open_lake(str(tmp_path / "alone")), open_lake(str(tmp_path / "together"))
    keys = _fill(alone)
    assert _fill(together) == keys
    settings = EtlSettings()
    sizes = shared_passes(monkeypatch)
    one_by_one = [process_raw_object(alone.store, key, settings) for key in keys]
    batched = process_raw_objects(together.store, keys, settings)
    assert sizes == [6]
    assert [_manifest(r) for r in batched] == [_manifest(r) for r in one_by_one]
    assert [
        (RawKey.parse(m.raw_object).log_group, m.raw_rows, m.events, m.clean_rows, m.quarantined_rows, m.time_sources)
        for m in (r.manifest for r in batched)
    ] == [
        ("/app/e", 3, 2, 2, 0, {"source": 2}),  # the repeated event counts once
        ("/app/a", 2, 2, 2, 0, {"source": 2}),
        ("/app/b", 3, 3, 2, 1, {"source": 2}),
        ("/app/c", 2, 2, 2, 0, {"parsed": 1, "source": 1}),
        ("/app/d", 2, 2, 2, 0, {"source": 2}),
        ("/app/d", 2, 2, 2, 0, {"source": 2}),
    ]
    assert [r.manifest.raw_bytes for r in batched] == [len(together.store.get(k)) for k in keys]
    assert sorted(together.store.list("")) == sorted(alone.store.list(""))  # the same keys, state included
    assert _rows(together) == _rows(alone)
    assert [r.schema_versions for r in batched] == [{"logs": 2}] * 6


def test_json_lines_redaction_and_routes_in_a_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch's clean and quarantine writes keep the settings' format, redaction and routes per row."""
    settings = EtlSettings(
        output_format="jsonl",
        redact=(RedactRule(kinds=("email",)),),
        routes=(Route("/app/d", table="dee"),),
    )
    alone, together = open_lake(str(tmp_path / "alone")), open_lake(str(tmp_path / "together"))
    keys = _fill(alone)
    assert _fill(together) == keys
    for lake in (alone, together):
        write_messages(lake.store, "/app/f", [_json(12, "a@example.com"), '{"msg": "cut b@example.com'])
    keys = sorted(list_raw_objects(alone.store))
    sizes = shared_passes(monkeypatch)
    one_by_one = [process_raw_object(alone.store, key, settings) for key in keys]
    batched = process_raw_objects(together.store, keys, settings)
    assert sizes == [7]
    assert [_manifest(r) for r in batched] == [_manifest(r) for r in one_by_one]
    assert sorted(together.store.list("")) == sorted(alone.store.list(""))
    assert [r.manifest.tables for r in batched if "dee" in r.manifest.tables] == [{"dee": 2}, {"dee": 2}]
    with DuckDBEngine(together.store) as engine:
        rows = engine.query("SELECT level_2, message FROM logs WHERE log_group = '/app/f'").rows
        quarantined = engine.query("SELECT message FROM quarantine WHERE log_group = '/app/f'").rows
    assert rows == [("[REDACTED:email]", '{"level": "[REDACTED:email]", "msg": "m12", "n": 12}')]
    assert quarantined == [('{"msg": "cut [REDACTED:email]',)]


def test_a_batch_costs_the_statements_of_one_object(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a small object costs is mostly per statement (binding, each regex compiled per run): a batch sends
    as many statements for six objects as for two, and one object at a time sends them all for each."""
    for n in range(6):
        write_messages(lake.store, f"/small/{n}", ['{"a": 1}', "plain text", '{"a": 2, "b": "x"}', '{"cut'])
    keys = sorted(list_raw_objects(lake.store))
    statements: list[str] = []
    init = session.Session.__init__

    class Counting:
        def __init__(self, con: Any) -> None:
            self._con = con

        def execute(self, *args: Any, **kwargs: Any) -> Any:
            statements.append(str(args[0]))
            return self._con.execute(*args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._con, name)

    def counting(self: session.Session, threads: int | None) -> None:
        init(self, threads)
        self.con = Counting(self.con)  # type: ignore[assignment]

    monkeypatch.setattr(session.Session, "__init__", counting)

    def sent(work: Callable[[], object]) -> int:
        statements.clear()
        worker = threading.Thread(target=work)  # a thread of its own: a connection of its own
        worker.start()
        worker.join()
        return len(statements)

    settings = EtlSettings()
    one = sent(lambda: process_raw_object(lake.store, keys[0], settings, force=True))
    two, four, six = (
        sent(lambda n=n: process_raw_objects(lake.store, keys[:n], settings, force=True)) for n in (2, 4, 6)
    )
    each = sent(lambda: [process_raw_object(lake.store, key, settings, force=True) for key in keys])
    assert each == 6 * one
    # Per object, a batch adds only the check of its own plans (a copy of its rows, its JSON plan): the same
    # few statements for each, a fifth of a run of its own at most.
    assert six - four == four - two and (four - two) // 2 <= one // 5


def test_objects_whose_fields_differ_share_passes_with_the_objects_planned_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Planned over the batch, `top` would be one JSON column (an object in one, text in the other) and `n`
    text for both: each object's files would differ from what a run of its own writes. The objects of one
    shape (0 and 2) still share a pass; the other runs alone (it used to be all three, one at a time)."""
    messages = [
        ['{"top": {"a": {"b": 1}}, "n": 1}'],
        ['{"top": "x", "n": "big"}'],
        ['{"top": {"a": {"b": 2}}, "n": 2}'],
    ]
    alone, together = open_lake(str(tmp_path / "alone")), open_lake(str(tmp_path / "together"))
    for lake in (alone, together):
        for n, lines in enumerate(messages):
            write_messages(lake.store, f"/app/{n}", lines)
    keys = sorted(list_raw_objects(alone.store))
    sizes = shared_passes(monkeypatch)
    one_by_one = [process_raw_object(alone.store, key, EtlSettings()) for key in keys]
    batched = process_raw_objects(together.store, keys, EtlSettings())
    assert sizes == [2]
    assert [_manifest(r) for r in batched] == [_manifest(r) for r in one_by_one]
    assert sorted(together.store.list("")) == sorted(alone.store.list(""))
    with DuckDBEngine(together.store) as engine:
        rows = engine.query("SELECT log_group, top, top_a_b, n FROM logs ORDER BY log_group").rows
    assert rows == [("/app/0", None, 1, "1"), ("/app/1", "x", None, "big"), ("/app/2", None, 2, "2")]


def test_retries_and_duplicate_notifications_of_a_batch_are_exactly_once(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = _fill(lake)
    sizes = shared_passes(monkeypatch)
    first = process_raw_objects(lake.store, [*keys, keys[1]], EtlSettings())
    assert [r.skipped for r in first] == [False] * 6 + [True]  # a key twice: done, then done already
    again = process_raw_objects(lake.store, keys, EtlSettings())
    assert [r.skipped for r in again] == [True] * 6
    outputs = sorted(lake.store.list("clean/"))
    forced = process_raw_objects(lake.store, keys, EtlSettings(), force=True)
    assert [r.skipped for r in forced] == [False] * 6
    assert sorted(lake.store.list("clean/")) == outputs  # rewritten under the same keys
    assert sizes == [6, 6]
    _rows(lake)


def test_an_unreadable_object_in_a_batch_is_set_aside_alone(lake: Lake) -> None:
    keys = _fill(lake)
    broken = RawKey("file", "/broken", "s", "0000000000000-0000").key
    lake.store.put(broken, b"not gzip at all")
    run = run_etl_objects(lake, [*keys[:2], broken, *keys[2:]], EtlSettings(), workers=1)
    assert [r.manifest.raw_object for r in run.results] == keys
    assert [(f.raw_object, f.set_aside) for f in run.failures] == [(broken, True)]
    assert list(unreadable_objects(lake.store)) == [broken]
    _rows(lake, unreadable=broken)


def test_the_lambda_raises_the_error_of_the_object_that_fails(lake: Lake) -> None:
    keys = _fill(lake)
    broken = RawKey("file", "/broken", "s", "0000000000000-0000").key
    lake.store.put(broken, b"not gzip at all")
    records = [r for k in [keys[0], broken, keys[1]] for r in object_created_event(lake.raw_bucket, k)["Records"]]
    with pytest.raises(RawObjectError, match=f"^{broken} is not a raw batch"):
        handle_s3_event({"Records": records}, lake, EtlSettings())
    # One at a time after the batch failed, every object, the one after the broken one too: none is left with
    # files no manifest commits, and a retry finds both done.
    assert [r.skipped for r in process_raw_objects(lake.store, keys[:2], EtlSettings())] == [True, True]


def test_a_table_refused_in_a_batch_leaves_no_files_without_a_manifest(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Object b goes to a table that is refused on every run (as a stale table is): the batch registers
    every table before it writes a file, and one at a time every object is tried, so a and c commit and
    only b's error is raised, on each of Lambda's attempts alike."""
    from loglake.errors import InvariantError
    from loglake.lake.manifests import read_manifest
    from loglake.transform import etl

    for group in ("a", "b", "c"):
        write_messages(lake.store, f"/app/{group}", ["text 1", "text 2"])
    keys = sorted(list_raw_objects(lake.store))
    check = etl.check_timestamp

    def refuse(schema: Any) -> None:
        if schema is not None and schema.table == "zz":
            raise InvariantError("zz is refused")
        check(schema)

    monkeypatch.setattr(etl, "check_timestamp", refuse)
    settings = EtlSettings(routes=(Route("/app/b", table="zz"),))
    records = [r for k in keys for r in object_created_event(lake.raw_bucket, k)["Records"]]
    for _attempt in range(3):
        with pytest.raises(InvariantError, match=r"^zz is refused$"):
            handle_s3_event({"Records": records}, lake, settings)
    manifests = [read_manifest(lake.store, RawKey.parse(k).object_id) for k in keys]
    assert [m is not None for m in manifests] == [True, False, True]
    committed = sorted(o for m in manifests if m is not None for o in m.outputs if o.startswith("clean/"))
    assert len(committed) == 2
    assert sorted(k for k in lake.store.list("clean/")) == committed  # no file of b, none uncommitted


@pytest.mark.parametrize("path", ["lambda", "pipeline"])
def test_objects_a_failed_batch_committed_are_reported_as_processed(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    """The second object's commit fails once (an S3 503): the first was committed by the batch and is reported
    processed (with its schema versions, which the Glue sync and the metrics read), not found done by the rerun."""
    from loglake.errors import StoreError

    for group in ("a", "b"):
        write_messages(lake.store, f"/app/{group}", ["text 1", "text 2"])
    keys = sorted(list_raw_objects(lake.store))
    commit, calls = etl_batch._commit, []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise StoreError("S3 answered 503")
        return commit(*args, **kwargs)

    monkeypatch.setattr(etl_batch, "_commit", flaky)
    if path == "lambda":
        records = [r for k in keys for r in object_created_event(lake.raw_bucket, k)["Records"]]
        results = handle_s3_event({"Records": records}, lake, EtlSettings())
    else:
        results = run_etl_objects(lake, keys, EtlSettings(), workers=1).results
    assert [(r.manifest.raw_object, r.skipped, r.schema_versions) for r in results] == [
        (keys[0], False, {"logs": 2}),
        (keys[1], False, {"logs": 2}),
    ]
    assert len(calls) == 2  # the second object ran again on its own (process_raw_object commits without _commit)


def test_a_pass_holds_at_most_max_batch_bytes_of_raw_objects(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """Logs compress 10-40x: a pass of many objects near the per-object cap would hold their lines at once."""
    keys = _fill(lake)
    sizes = sorted(len(lake.store.get(k)) for k in keys)
    cap = sizes[0] + sizes[1]  # the two smallest fit in one pass; no pass holds three
    passes: list[int] = []
    original = etl_batch._process_batch

    def counted(store: Any, batch: list[Any], *args: Any, **kwargs: Any) -> Any:
        passes.append(sum(item.raw_bytes for item in batch))
        return original(store, batch, *args, **kwargs)

    monkeypatch.setattr(etl_batch, "_process_batch", counted)
    monkeypatch.setattr(etl_batch, "MAX_BATCH_BYTES", cap)
    results = process_raw_objects(lake.store, keys, EtlSettings())
    assert [r.skipped for r in results] == [False] * 6
    assert passes and all(total <= cap for total in passes)
    _rows(lake)


_ETL = (
    "import sys; from loglake.lake.open import open_lake; from loglake.pipeline import run_etl; "
    "from loglake.lake.raw_zone import list_raw_objects; from loglake.transform.settings import EtlSettings; "
    "lake = open_lake(sys.argv[1]); run_etl(lake, sorted(list_raw_objects(lake.store)), EtlSettings(), "
    "workers=1, force=True)"
)


def test_a_batch_killed_before_any_write_then_run_again_counts_each_event_once(lake: Lake, tmp_path: Path) -> None:
    _fill(lake)
    process_raw_objects(lake.store, sorted(list_raw_objects(lake.store)), EtlSettings())
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLAKE_")}
    crashes = 0
    while True:
        copy = tmp_path / f"lake-{crashes + 1}"
        shutil.copytree(lake.store.uri, copy, ignore=shutil.ignore_patterns(".locks"))
        child = subprocess.run([sys.executable, "-c", _ETL, str(copy)], env=env | {CRASH_HOOK: str(crashes + 1)})
        again = open_lake(str(copy))
        _rows(again)  # every object rewritten under its keys: even before the re-run nothing counts twice
        if child.returncode == 0:
            break
        assert child.returncode == -signal.SIGKILL
        crashes += 1
        process_raw_objects(again.store, sorted(list_raw_objects(again.store)), EtlSettings(), force=True)
        _rows(again)
    # Each output, index and manifest of the five objects was a crash point.
    assert crashes >= len([k for k in lake.store.list("") if k.startswith(("clean/", "quarantine/", "state/etl/"))])


def test_objects_are_downloaded_as_their_pass_needs_them(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Lambda's /tmp is 512 MB by default: the local copies held at once are one pass's objects and the
    object being read, never the whole batch (all six were downloaded before the first pass)."""
    keys = _fill(lake)
    sizes = sorted(len(lake.store.get(k)) for k in keys)
    monkeypatch.setattr(etl_batch, "MAX_BATCH_BYTES", sizes[0] + sizes[1])  # no pass holds three
    monkeypatch.setattr(etl_batch, "MAX_OBJECT_BYTES", sizes[-1] - 1)  # the largest runs alone
    held: list[int] = [0]
    peak: list[int] = []
    original = lake.store.local_file

    @contextlib.contextmanager
    def counted(key: str) -> Iterator[Path]:
        with original(key) as path:
            held[0] += 1
            peak.append(held[0])
            try:
                yield path
            finally:
                held[0] -= 1

    monkeypatch.setattr(lake.store, "local_file", counted)
    passes = shared_passes(monkeypatch)
    results = process_raw_objects(lake.store, keys, EtlSettings())
    assert [r.skipped for r in results] == [False] * 6
    assert (len(peak), max(peak), held[0]) == (6, 2, 0)  # each object downloaded once
    assert passes == [2]
    _rows(lake)


def test_the_readable_objects_of_a_batch_share_a_pass_beside_an_unreadable_one(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One truncated object used to send the whole batch one object at a time; now only it runs alone (and
    raises, naming itself), after the others committed in one pass."""
    keys = _fill(lake)
    broken = RawKey("file", "/broken", "s", "0000000000000-0000").key
    lake.store.put(broken, b"not gzip at all")
    passes = shared_passes(monkeypatch)
    with pytest.raises(etl_batch.BatchError) as caught:
        process_raw_objects(lake.store, [*keys[:2], broken, *keys[2:]], EtlSettings(), one_at_a_time_on_error=False)
    assert passes == [6]
    assert sorted(caught.value.results) == keys and not any(r.skipped for r in caught.value.results.values())
    assert isinstance(caught.value.__cause__, RawObjectError) and broken in str(caught.value.__cause__)
    _rows(lake, unreadable=broken)


def test_a_record_whose_timestamp_is_not_a_number_is_found_by_the_probe(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe after a failed read casts every column (a count(*) read none, found every object readable, and
    sent the whole batch one object at a time): the others share a pass, the bad one runs alone."""
    keys = _fill(lake)
    bad = RawKey("file", "/bad", "s", "0000000000000-0000").key
    record = b'{"log_group":"/bad","log_stream":"s","event_id":"1","timestamp":"abc","message":"x"}\n'
    lake.store.put(bad, gzip.compress(record))
    passes = shared_passes(monkeypatch)
    with pytest.raises(etl_batch.BatchError) as caught:
        process_raw_objects(lake.store, [*keys[:2], bad, *keys[2:]], EtlSettings(), one_at_a_time_on_error=False)
    assert passes == [6]
    assert caught.value.failed == bad
    assert sorted(caught.value.results) == keys
    assert isinstance(caught.value.__cause__, RawObjectError) and bad in str(caught.value.__cause__)


def test_a_batch_shares_its_pass_under_a_small_memory_limit(
    lake: Lake, monkeypatch: pytest.MonkeyPatch, small_memory_sessions: None
) -> None:
    """Under a 400 MB memory limit on two threads (a 512 MB Lambda's share), the pass read with 512 MiB
    failed with Out of Memory (1 GiB buffers per thread), and every object ran alone after the probes."""
    keys = _fill(lake)
    passes = shared_passes(monkeypatch)
    alone: list[str] = []
    own = etl_batch.etl.process_raw_object

    def counted(store: Any, key: str, *args: Any, **kwargs: Any) -> EtlResult:
        alone.append(key)
        return own(store, key, *args, **kwargs)

    monkeypatch.setattr(etl_batch.etl, "process_raw_object", counted)
    results = process_raw_objects(lake.store, keys, EtlSettings(), threads=2)
    assert passes == [6] and alone == []
    assert [(r.manifest.events, r.manifest.clean_rows, r.manifest.quarantined_rows) for r in results] == [
        (2, 2, 0),
        (2, 2, 0),
        (3, 2, 1),
        (2, 2, 0),
        (2, 2, 0),
        (2, 2, 0),
    ]  # fmt: skip (by key: /app/e, then /app/a to /app/d)
    _rows(lake)


def test_an_object_with_a_line_longer_than_the_first_read_runs_alone_and_whole(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass reads with FIRST_READ_LINE_BYTES only (a pass at 512 MiB reserves 1 GiB buffers for every
    object): the object with a longer line runs alone, where it is read again with 512 MiB, whole."""
    keys = _fill(lake)
    long = "y" * (40 << 20)  # past the first read's buffer (twice FIRST_READ_LINE_BYTES)
    write_messages(lake.store, "/app/long", ["before", long, "after"])
    long_key = next(key for key in list_raw_objects(lake.store) if key not in keys)
    passes = shared_passes(monkeypatch)
    results = process_raw_objects(lake.store, [*keys, long_key], EtlSettings())
    assert passes == [6]
    assert (results[-1].manifest.events, results[-1].manifest.clean_rows) == (3, 3)
    with DuckDBEngine(lake.store) as engine:
        rows = engine.query(
            "SELECT event_id, length(message), md5(message) FROM logs WHERE log_group = '/app/long' ORDER BY event_id"
        ).rows
    assert [(event_id, length) for event_id, length, _md5 in rows] == [("e0", 6), ("e1", 40 << 20), ("e2", 5)]
    assert rows[1][2] == hashlib.md5(long.encode()).digest()  # Athena's md5: varbinary

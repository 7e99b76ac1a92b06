from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import pytest

from loglake.errors import ConfigError
from loglake.lake.open import Lake
from loglake.lake.raw_zone import decode_batch, list_raw_objects
from loglake.sources.local_files import FileSource, FileSourceOptions, expand_paths


def raw_records(lake: Lake) -> list[dict[str, object]]:
    return [r for key in list_raw_objects(lake.store) for r in decode_batch(lake.store.get(key))]  # type: ignore[misc]


def test_events_ids_and_offsets_are_deterministic(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"first line\nsecond line\r\nthird\n")
    report = FileSource(lake.store, FileSourceOptions(log_group="g")).ingest(str(path))
    assert (report.events, report.bytes, len(report.objects)) == (3, 30, 1)
    records = raw_records(lake)
    assert [r["message"] for r in records] == ["first line", "second line", "third"]
    ids = [str(r["event_id"]) for r in records]
    assert [i.split("-")[1] for i in ids] == ["000000000000000", "000000000000011", "000000000000024"]
    assert {r["log_group"] for r in records} == {"g"}
    assert {r["log_stream"] for r in records} == {str(path.resolve())}
    assert {r["source"] for r in records} == {"file"}
    assert report.objects[0].endswith("/000000000000000-000000000000030.json.gz")


def test_reingesting_the_same_file_adds_nothing(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"a\nb\n")
    source = FileSource(lake.store, FileSourceOptions(log_group="g"))
    first = source.ingest(str(path))
    before = {key: lake.store.get(key) for key in lake.store.list("raw/")}
    again = source.ingest(str(path))
    assert (again.events, again.objects, again.note) == (0, [], "no new data")
    assert {key: lake.store.get(key) for key in lake.store.list("raw/")} == before
    assert first.events == 2


def test_appended_lines_are_picked_up_next_run(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"a\nb\n")
    source = FileSource(lake.store, FileSourceOptions(log_group="g"))
    source.ingest(str(path))
    with path.open("ab") as handle:
        handle.write(b"c\nd\n")
    report = source.ingest(str(path))
    assert report.events == 2
    assert [r["message"] for r in raw_records(lake)] == ["a", "b", "c", "d"]
    assert len({r["event_id"] for r in raw_records(lake)}) == 4


def test_lost_checkpoint_is_recovered_from_the_raw_keys(lake: Lake, tmp_path: Path) -> None:
    """A crash after writing a batch but before saving the checkpoint must not duplicate the batch."""
    path = tmp_path / "app.log"
    path.write_bytes(b"a\nb\n")
    source = FileSource(lake.store, FileSourceOptions(log_group="g"))
    source.ingest(str(path))
    for key in list(lake.store.list("state/files/")):
        lake.store.delete(key)
    with path.open("ab") as handle:
        handle.write(b"c\n")
    report = source.ingest(str(path))
    assert report.events == 1
    assert [r["message"] for r in raw_records(lake)] == ["a", "b", "c"]


def test_a_replaced_file_is_a_new_generation(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"old 1\nold 2\nold 3\n")
    source = FileSource(lake.store, FileSourceOptions(log_group="g"))
    source.ingest(str(path))
    path.write_bytes(b"new 1\n")
    report = source.ingest(str(path))
    assert report.events == 1
    assert "replaced or truncated" in report.note
    records = raw_records(lake)
    assert sorted(str(r["message"]) for r in records) == ["new 1", "old 1", "old 2", "old 3"]
    assert len({r["event_id"] for r in records}) == 4  # the new generation never reuses an id


def test_batches_are_cut_at_event_boundaries(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_bytes(b"".join(b"line %d\n" % i for i in range(10)))
    report = FileSource(lake.store, FileSourceOptions(log_group="g", batch_events=4)).ingest(str(path))
    assert [len(decode_batch(lake.store.get(k))) for k in report.objects] == [4, 4, 2]
    ends = [k.rsplit("/", 1)[1] for k in report.objects]
    assert ends == [
        "000000000000000-000000000000028.json.gz",
        "000000000000028-000000000000056.json.gz",
        "000000000000056-000000000000070.json.gz",
    ]


def test_empty_file_writes_nothing(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "empty.log"
    path.write_bytes(b"")
    report = FileSource(lake.store).ingest(str(path))
    assert (report.events, report.objects, report.note) == (0, [], "empty file, nothing to ingest")
    assert list(lake.store.list("")) == []


def test_invalid_utf8_keeps_the_exact_bytes(lake: Lake, tmp_path: Path) -> None:
    raw = b"caf\xe9 ol\xe9 \x00 nul"
    path = tmp_path / "latin1.log"
    path.write_bytes(raw + b"\n")
    FileSource(lake.store).ingest(str(path))
    (record,) = raw_records(lake)
    assert record["message"] == "caf\ufffd ol\ufffd \x00 nul"
    assert base64.b64decode(str(record["message_b64"])) == raw


def test_unterminated_last_line_is_ingested_unless_held(lake: Lake, tmp_path: Path) -> None:
    path = tmp_path / "live.log"
    path.write_bytes(b"done\nhalf writt")
    held = FileSource(lake.store, FileSourceOptions(log_group="live", hold_partial_line=True)).ingest(str(path))
    assert held.events == 1
    with path.open("ab") as handle:
        handle.write(b"en\n")
    rest = FileSource(lake.store, FileSourceOptions(log_group="live", hold_partial_line=True)).ingest(str(path))
    assert rest.events == 1
    assert [r["message"] for r in raw_records(lake)] == ["done", "half written"]


def test_stdin_identity_is_its_content(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    source = FileSource(lake.store, FileSourceOptions(log_group="pipe"))
    for _ in range(2):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"x\ny\n")))
        report = source.ingest("-")
        assert report.events == 2
    assert len(list(lake.store.list("raw/"))) == 1  # same content twice: same key, overwritten
    assert {r["log_stream"] for r in raw_records(lake)} == {"stdin"}


def test_expand_paths_reports_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_text("x\n")
    (tmp_path / "b.log").write_text("x\n")
    assert expand_paths([str(tmp_path / "*.log"), str(tmp_path / "a.log")]) == [
        str(tmp_path / "a.log"),
        str(tmp_path / "b.log"),
    ]
    with pytest.raises(ConfigError, match="no such file"):
        expand_paths([str(tmp_path / "missing.log")])
    with pytest.raises(ConfigError, match="no file matches"):
        expand_paths([str(tmp_path / "*.txt")])
    with pytest.raises(ConfigError, match="is a folder"):
        expand_paths([str(tmp_path)])

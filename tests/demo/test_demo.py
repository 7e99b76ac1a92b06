from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from loglake.demo.run import run_demo
from loglake.demo.workload import write_workload
from loglake.errors import ConfigError


def test_workload_is_deterministic_and_adds_up(tmp_path: Path) -> None:
    first = write_workload(tmp_path / "a", 5_000)
    second = write_workload(tmp_path / "b", 5_000)
    assert sum(f.events for f in first) == 5_000
    assert [f.path.read_bytes() for f in first] == [f.path.read_bytes() for f in second]
    assert sum(f.malformed for f in first) > 0


def test_demo_runs_end_to_end_and_reconciles(tmp_path: Path) -> None:
    out = Console(record=True, width=200)
    assert run_demo(tmp_path / "demo", 5_000, out, Console(quiet=True), workers=2)
    text = out.export_text()
    assert "Reconciliation (per raw object, in SQL): holds" in text
    assert "raw events 5,000 = clean" in text
    assert "java.lang.IllegalStateException" in text
    # A second run recreates its own folder, and refuses one it did not make.
    assert run_demo(tmp_path / "demo", 5_000, Console(quiet=True), Console(quiet=True))
    (tmp_path / "mine").mkdir()
    with pytest.raises(ConfigError, match="was not made by `loglake demo`; choose another --dir"):
        run_demo(tmp_path / "mine", 5_000, Console(quiet=True), Console(quiet=True))


def test_workload_services_written_alone_are_the_same_files(tmp_path: Path) -> None:
    """The needle benchmark writes each service in its own process: a file must not depend on the others."""
    every = {f.service: f for f in write_workload(tmp_path / "all", 3_000)}
    alone = write_workload(tmp_path / "one", 3_000, services={"payments", "edge"})
    assert [f.service for f in alone] == ["payments", "edge"]
    assert [f.events for f in alone] == [600, 300]
    for f in alone:
        assert f.path.read_bytes() == every[f.service].path.read_bytes()
        assert f.malformed == every[f.service].malformed
    assert sorted(p.name for p in (tmp_path / "one").iterdir()) == ["edge.log", "payments.log"]


def test_workload_memory_does_not_grow_with_the_events(tmp_path: Path) -> None:
    """Lines are written as they are made: a list of orjson's bytes held about 4 KB per event (16 GB at 10M)."""
    import tracemalloc

    tracemalloc.start()
    try:
        (checkout,) = write_workload(tmp_path, 20_000, services={"checkout"})
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert checkout.events == 6_800
    assert peak < 4_000_000  # a list of the 6,800 lines held 28 MB

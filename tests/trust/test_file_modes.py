"""A local lake's files get the modes the umask asks for, as any tool's data folder (issue 10, item 13)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from loglake.lake.local_store import LocalStore
from loglake.lake.open import open_lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.sources.local_files import FileSource
from loglake.transform.settings import EtlSettings


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def modes(root: Path) -> dict[str, set[str]]:
    """Mode of every file and folder of the lake's zones (not .tmp/ and .locks/), grouped by kind."""
    found: dict[str, set[str]] = {"files": set(), "folders": set()}
    for path in root.rglob("*"):
        if path.relative_to(root).parts[0].startswith("."):
            continue
        found["files" if path.is_file() else "folders"].add(oct(stat.S_IMODE(path.stat().st_mode)))
    return found


@pytest.mark.parametrize(
    ("umask", "expected"),
    [(0o022, {"files": {"0o644"}, "folders": {"0o755"}}), (0o027, {"files": {"0o640"}, "folders": {"0o750"}})],
    indirect=["umask"],
)
def test_every_zone_follows_the_umask(umask: int, expected: dict[str, set[str]], tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    log = tmp_path / "app.log"
    log.write_bytes(b'{"n": 1}\n{"n": broken\nplain text\n')
    FileSource(lake.store).ingest(str(log))
    run_etl(lake, pending_raw_objects(lake), EtlSettings())
    zones = {p.relative_to(tmp_path / "lake").parts[0] for p in (tmp_path / "lake").rglob("*") if p.is_file()}
    assert zones >= {"raw", "clean", "quarantine", "schema", "state"}
    assert modes(tmp_path / "lake") == expected


@pytest.mark.parametrize("umask", [0o002], indirect=True)
def test_a_rewrite_keeps_following_the_umask(umask: int, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "lake")
    store.put("state/doc.json", b"1")
    store.put("state/doc.json", b"2")
    assert stat.S_IMODE((tmp_path / "lake" / "state" / "doc.json").stat().st_mode) == 0o664

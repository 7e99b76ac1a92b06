"""Property: whatever bytes a log file holds, the pipeline neither crashes nor loses or doubles an event."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from loglake.errors import ConfigError
from loglake.lake.open import open_lake
from loglake.lake.raw_zone import decode_batch
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.conservation import check_conservation
from loglake.query.engine import DuckDBEngine
from loglake.sources.local_files import FileSource, FileSourceOptions
from loglake.transform.settings import EtlSettings

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
json_lines = st.dictionaries(st.text(max_size=10), json_values, max_size=6).map(lambda d: json.dumps(d).encode())
truncated = json_lines.flatmap(lambda line: st.integers(1, max(1, len(line) - 1)).map(lambda n: line[:n]))
lines = st.lists(st.one_of(st.binary(max_size=120), json_lines, truncated), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
@example([b"\x1f\x8b\x08 a gzip header, then text", b'{"a": 1}'])
def test_any_input_lands_in_exactly_one_zone(chunks: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        lake = open_lake(str(Path(tmp) / "lake"))
        path = Path(tmp) / "fuzz.log"
        data = b"\n".join(chunks)
        path.write_bytes(data)
        source = FileSource(lake.store, FileSourceOptions(log_group="fuzz"))
        if _looks_compressed(data):  # refused whole, by design: its bytes would land as text
            with pytest.raises(ConfigError, match="compressed"):
                source.ingest(str(path))
            assert list(lake.store.list("raw/")) == []
            return
        report = source.ingest(str(path))
        produced = sum(len(decode_batch(lake.store.get(key))) for key in report.objects)
        assert produced == report.events
        results = run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
        assert sum(r.manifest.clean_rows + r.manifest.quarantined_rows for r in results) == report.events
        with DuckDBEngine(lake.store) as engine:
            conservation = check_conservation(engine, engine.store)
        assert conservation.ok
        assert conservation.totals()["raw_events"] == report.events


def _looks_compressed(data: bytes) -> bool:
    """The magic bytes local_files refuses (gzip, zstd, xz, and bzip2's header with its block magic)."""
    if data.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"\xfd7zXZ\x00")):
        return True
    return data.startswith(b"BZh") and data[3:4].isdigit() and data[4:10] == b"1AY&SY"

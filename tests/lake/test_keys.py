from __future__ import annotations

import pytest

from loglake.errors import RawObjectError, StoreError
from loglake.lake.keys import RawKey, check_key, clean_key, decode_segment, encode_segment, table_name


@pytest.mark.parametrize(
    "value",
    ["/aws/lambda/checkout", "..", ".", "", "a/../../etc", "group with spaces+plus", "ünïcode/日本", "x" * 600, "%2F"],
)
def test_encoded_segment_is_one_safe_path_part(value: str) -> None:
    encoded = encode_segment(value)
    assert "/" not in encoded
    assert encoded not in ("", ".", "..")
    assert len(encoded) <= 180
    check_key(f"raw/{encoded}/x")  # does not raise
    if len(value) < 50 and value:
        assert decode_segment(encoded) == value


def test_long_segments_stay_distinct() -> None:
    assert encode_segment("a" * 600) != encode_segment("a" * 599 + "b")


@pytest.mark.parametrize("key", ["/etc/passwd", "raw/../state/x", "raw//x", "raw/./x", "", "raw/x\x00y"])
def test_unsafe_keys_are_refused(key: str) -> None:
    with pytest.raises(StoreError):
        check_key(key)


def test_raw_key_round_trip_keeps_group_and_stream() -> None:
    key = RawKey("file", "/aws/lambda/my fn", "app.log.0123456789abcdef", "000000000000000-000000000000302")
    assert key.key == (
        "raw/source=file/log_group=%2Faws%2Flambda%2Fmy%20fn/stream=app.log.0123456789abcdef/"
        "000000000000000-000000000000302.json.gz"
    )
    assert RawKey.parse(key.key) == key
    assert len(key.object_id) == 24


@pytest.mark.parametrize(
    "key",
    [
        "clean/logs/dt=2026-11-26/hour=01/x.parquet",
        "raw/source=file/log_group=g/x.json.gz",
        "raw/source=FILE/log_group=g/stream=s/1-2.json.gz",
        "raw/source=file/log_group=g/stream=s/1-2.json",
        "raw/source=file/log_group=g/stream=s/../1-2.json.gz",
    ],
)
def test_keys_outside_the_raw_layout_are_refused(key: str) -> None:
    with pytest.raises(RawObjectError, match="not in the raw layout"):
        RawKey.parse(key)


def test_clean_keys_only_accept_the_partition_layout() -> None:
    assert (
        clean_key("logs", "dt=2026-11-26/hour=07", "abc", ".parquet") == "clean/logs/dt=2026-11-26/hour=07/abc.parquet"
    )
    with pytest.raises(StoreError):
        clean_key("logs", "dt=2026-11-26/hour=07/../../x", "abc", ".parquet")
    with pytest.raises(StoreError):
        table_name("logs; DROP TABLE x")

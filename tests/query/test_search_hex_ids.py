"""`loglake search` over files of ids (whose index holds all 4,096 hex trigrams in place of their ids' trigrams,
lake/skip_index.py) finds every line that a scan of the messages in Python finds, for hundreds of substrings:
parts of ids, hex fragments found nowhere, numbers, text spanning separators, either case."""

from __future__ import annotations

import random

import duckdb
import pytest

from conftest import HEX_ITEMS, T0, write_messages
from loglake.lake import skip_index
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.search import Pattern, search
from loglake.transform.settings import EtlSettings

HOUR = 3_600_000
HEX = "0123456789abcdef"


def _hex(rng: random.Random, length: int, digits: str = HEX) -> str:
    return "".join(rng.choice(digits) for _ in range(length))


def _hours() -> dict[int, list[str]]:
    """Hour 0: random trace, span and request ids (a file of ids); hour 1: ids of eight of the sixteen hex digits,
    so that its own trigrams are a fraction of the 4,096; hour 2: a few ids (under HEX_FILE); hour 3: no ids."""
    rng = random.Random(13)
    hours: dict[int, list[str]] = {0: [], 1: [], 2: [], 3: []}
    for _ in range(skip_index.HEX_FILE + 100):
        request = "-".join(_hex(rng, k) for k in (8, 4, 4, 4, 12))
        hours[0].append(
            f"trace={_hex(rng, 32)} span={_hex(rng, 16).upper()} RequestId: {request} took {rng.randrange(1, 9999)}ms"
        )
    for n in range(skip_index.HEX_FILE + 50):
        hours[1].append(f"job {_hex(rng, 12, '0189abef')} done in {n * 37 % 1000}.{n % 10}s user_{_hex(rng, 3)}")
    for n in range(60):
        hours[2].append(f"cache miss key=session:{_hex(rng, 10)} latency={n % 7}ms node-{n % 3}")
    for n in range(80):
        hours[3].append(f"GET /api/orders/{n * 31} 200 user=u{n} Zebrafish-Timeout after {n % 9}s")
    return hours


@pytest.fixture
def lake_of_ids(lake: Lake) -> Lake:
    for hour, messages in _hours().items():
        at = T0 + hour * HOUR
        write_messages(lake.store, "/svc/app", messages, id_prefix=f"h{hour}-", stream=f"s{hour}", timestamp=at)
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


def _substrings(hours: dict[int, list[str]]) -> list[tuple[str, bool]]:
    """(text, ignore_case): slices of the messages (any part: ids, numbers, separators), hex and digit strings
    drawn at random (most found nowhere), each searched in either case (a search costs about 0.1 s)."""
    rng = random.Random(29)
    messages = [m for lines in hours.values() for m in lines]
    chosen = []
    for _ in range(160):
        message = rng.choice(messages)
        start = rng.randrange(len(message) - 3)
        chosen.append(message[start : start + rng.randrange(3, 15)])
    chosen += [_hex(rng, rng.randrange(3, 11)) for _ in range(60)]
    chosen += [_hex(rng, rng.randrange(3, 8), "0123456789") for _ in range(30)]
    return [(text, rng.random() < 0.5) for text in chosen]


def test_search_finds_every_line_a_scan_finds(lake_of_ids: Lake) -> None:
    hours = _hours()
    store = lake_of_ids.store
    cases = _substrings(hours)
    assert (len(cases), sum(ignore_case for _, ignore_case in cases)) == (250, 116)
    files_read = files_skipped = 0
    for text, ignore_case in cases:
        found = {
            hour: [m for m in lines if (text.lower() in m.lower() if ignore_case else text in m)]
            for hour, lines in hours.items()
        }
        expected = sorted(m for lines in found.values() for m in lines)
        result = search(store, Pattern(text, ignore_case=ignore_case), limit=5000)
        assert (result.matches, sorted(row["message"] for row in result.rows)) == (len(expected), expected), text
        assert result.plan.files_read >= sum(1 for lines in found.values() if lines), text
        assert result.plan.files_read + result.plan.skipped_by_index == 4
        files_read += result.plan.files_read
        files_skipped += result.plan.skipped_by_index
    # The index still skips: hex fragments are not all it holds. (463, 537) with 7 bit positions per item: two
    # more false "maybe"s of 1,000 with 5 (skip_index.HASHES).
    assert (files_read, files_skipped) == (465, 535)


def test_the_files_of_ids_hold_every_hex_trigram(lake_of_ids: Lake) -> None:
    """Hours 0 and 1 are files of ids (their index: the definition and all hex trigrams); hours 2 and 3 are not.
    Hour 0's 1,124 random ids hold every hex trigram already, so its filter is the one the code before made."""
    store = lake_of_ids.store
    con = duckdb.connect()
    keys = sorted(k for k in store.list("clean/") if k.endswith(".parquet"))
    assert len(keys) == 4
    for hour, (key, messages) in enumerate(zip(keys, _hours().values(), strict=True)):
        data, _ = store.read_versioned(skip_index.index_key(key))
        assert data is not None
        index = skip_index.SkipIndex.from_bytes(data)
        assert index is not None
        words = {w for m in messages for w in skip_index.WORD.findall(m.lower())}
        items = {f"t:{w}" for w in words} | {f"g:{w[i : i + 3]}" for w in words for i in range(len(w) - 2)}
        expected = items | HEX_ITEMS if hour < 2 else items
        assert len(HEX_ITEMS - items) == [0, 2076, 3640, 3981][hour]  # hour 0's ids hold every hex trigram already
        hashed, _ = skip_index.hashes(con, sorted(expected))
        assert (index.items, all(index.may_contain(h) for h in hashed)) == (len(expected), True), hour

"""`loglake search`: exact matches, the skip index skipping exactly the files without the term, highlighting."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import pytest
from rich.console import Console
from typer.testing import CliRunner

from conftest import T0, write_messages
from loglake.cli.app import app
from loglake.cli.terminal import highlighted
from loglake.lake import skip_index
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.search import Pattern, search
from loglake.query.time_range import TimeRange
from loglake.transform.settings import EtlSettings

runner = CliRunner()
HOUR = 3_600_000

FILLER = [
    "GET /api/orders 200 12ms user=u{n}",
    "payment accepted for order-{n} amount=12.50",
    "cache miss key=session:{n} latency=3ms",
    "WARN slow query on table invoices took {n}ms",
]


def _messages(hour: int, needles: list[int]) -> list[str]:
    lines = [FILLER[i % len(FILLER)].format(n=hour * 100 + i) for i in range(40)]
    for i in needles:
        lines[i] = f"ERROR Zebrafish-Timeout on request req-{hour}-{i} after 30s"
    return lines


@pytest.fixture
def searchable(lake: Lake) -> Lake:
    """Six raw objects, one per hour (so six clean files); the term is in the files of hours 1 and 4 only."""
    needles = {1: [3, 17], 4: [8]}
    for hour in range(6):
        write_messages(
            lake.store, f"/svc/{'pay' if hour % 2 else 'web'}", _messages(hour, needles.get(hour, [])),
            id_prefix=f"h{hour}-", stream=f"s{hour}", timestamp=T0 + hour * HOUR,
        )  # fmt: skip
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


def _uri(lake: Lake) -> str:
    return lake.store.uri.removeprefix("file://")


def test_search_reads_only_the_files_that_hold_the_term(searchable: Lake) -> None:
    result = search(searchable.store, Pattern.parse("zebrafish-timeout", ignore_case=True))
    assert [row["message"] for row in result.rows] == [
        "ERROR Zebrafish-Timeout on request req-4-8 after 30s",
        "ERROR Zebrafish-Timeout on request req-1-17 after 30s",
        "ERROR Zebrafish-Timeout on request req-1-3 after 30s",
    ]
    assert result.matches == 3
    plan = result.plan
    assert (plan.files_total, plan.files_in_range, plan.files_read, plan.skipped_by_index) == (6, 6, 2, 4)
    assert plan.read_without_index == 0 and plan.index_used
    full = search(searchable.store, Pattern.parse("zebrafish-timeout", ignore_case=True), use_index=False)
    assert full.rows == result.rows
    assert (full.plan.files_read, full.plan.skipped_by_index) == (6, 0)
    assert 0 < plan.message_bytes_read < full.plan.message_bytes_read


def test_case_sensitive_text_regex_and_the_answers_of_a_full_scan(searchable: Lake) -> None:
    store = searchable.store
    for raw, expected, read in [
        ("Zebrafish-Timeout", 3, 2),
        ("zebrafish-timeout", 0, 2),  # case-sensitive: the index (lower-cased) still narrows to hours 1 and 4
        ("/req-[14]-(3|8) after/", 2, 2),  # literal 'req-' and ' after' are required: the index applies
        ("/ZEBRA.ISH/i", 3, 2),
        ("/[0-9]+ms$/", 119, 6),  # no literal of 3+ word characters: every file
        ("request req-4-8 after", 1, 1),  # whole words inside the pattern: only hour 4's file holds 'req' and '8'
    ]:
        pattern = Pattern.parse(raw)
        indexed, full = search(store, pattern, limit=1000), search(store, pattern, limit=1000, use_index=False)
        assert (indexed.matches, indexed.plan.files_read) == (expected, read), raw
        assert indexed.rows == full.rows and full.matches == expected, raw
    assert "full scan" in search(store, Pattern.parse("/[0-9]+ms$/")).plan.note


def test_filters_time_range_group_table_and_limit(searchable: Lake) -> None:
    store = searchable.store
    hour3 = datetime.fromtimestamp(T0 / 1000 + 3 * 3600, UTC)
    ranged = search(store, Pattern.parse("Zebrafish"), time_range=TimeRange(since=hour3))
    assert [row["message"] for row in ranged.rows] == ["ERROR Zebrafish-Timeout on request req-4-8 after 30s"]
    assert (ranged.plan.files_in_range, ranged.plan.files_read) == (3, 1)
    web = search(store, Pattern.parse("Zebrafish"), groups=["/svc/w*"])
    assert web.matches == 1 and web.rows[0]["log_group"] == "/svc/web"
    limited = search(store, Pattern.parse("Zebrafish"), limit=1)
    assert (limited.matches, len(limited.rows)) == (3, 1)
    with pytest.raises(Exception, match="no table 'nope'"):
        search(store, Pattern.parse("x"), tables=["nope"])


def test_a_file_without_a_current_index_is_always_read(searchable: Lake) -> None:
    store = searchable.store
    indexes = sorted(store.list(skip_index.INDEX_PREFIX))
    assert len(indexes) == 6
    store.delete(indexes[0])  # hour 0: no index
    clean = sorted(k for k in store.list("clean/logs/") if k.endswith(".parquet"))
    store.put(clean[2], store.get(clean[2]))  # hour 2 rewritten: its index is stale
    result = search(store, Pattern.parse("Zebrafish"))
    assert (result.plan.files_read, result.plan.skipped_by_index, result.plan.read_without_index) == (4, 2, 2)
    assert result.matches == 3


def test_the_index_never_loses_a_word_or_trigram_of_the_file(searchable: Lake) -> None:
    store = searchable.store
    key = sorted(k for k in store.list("clean/logs/") if k.endswith(".parquet"))[1]
    data, _ = store.read_versioned(skip_index.index_key(key))
    assert data is not None
    index = skip_index.SkipIndex.from_bytes(data)
    assert index is not None and index.version == store.version(key)
    words = {w for m in _messages(1, [3, 17]) for w in skip_index.WORD.findall(m.lower())}
    items = sorted({"t:" + w for w in words} | {"g:" + w[i : i + 3] for w in words for i in range(len(w) - 2)})
    con = duckdb.connect()
    hashed, check = skip_index.hashes(con, items)
    absent, _ = skip_index.hashes(con, [f"t:absent{n}" for n in range(1000)])
    assert index.items == len(items) and index.hash_check == check
    assert all(index.may_contain(h) for h in hashed)
    assert sum(index.may_contain(h) for h in absent) < 50  # about 1% false positives
    # an index made by an engine whose hash() differs is not used: the file is read
    assert skip_index.read_for(store, key, store.version(key), check + 1) == (None, len(data))


def test_an_index_made_with_seven_positions_per_item_is_still_used(
    searchable: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexes made before HASHES went from 7 to 5 record 7: each is read with its own count, so a lake's old
    indexes keep skipping files (with the same answers) instead of being ignored until their files are rewritten."""
    store = searchable.store
    assert skip_index.HASHES == 5
    before = search(store, Pattern.parse("Zebrafish"))
    clean = sorted(k for k in store.list("clean/logs/") if k.endswith(".parquet"))
    monkeypatch.setattr(skip_index, "HASHES", 7)
    skip_index.write_for_all(store, clean)
    monkeypatch.undo()
    for key in clean:
        data, _ = store.read_versioned(skip_index.index_key(key))
        index = skip_index.SkipIndex.from_bytes(data or b"")
        assert index is not None and index.hashes == 7
    after = search(store, Pattern.parse("Zebrafish"))
    assert (after.plan.files_read, after.plan.skipped_by_index, after.plan.read_without_index) == (2, 4, 0)
    assert (before.plan.files_read, before.plan.skipped_by_index, before.matches) == (2, 4, 3)
    assert sorted(r["message"] for r in after.rows) == sorted(r["message"] for r in before.rows)
    # A header whose count is not a whole number of positions this code can use: not an index, the file is read.
    data, _ = store.read_versioned(skip_index.index_key(clean[0]))
    header, bloom = (data or b"")[len(skip_index.MAGIC) :].split(b"\n", 1)
    for hashes in (b"0", b"17", b'"7"', b"7.0", b"null"):
        bad = header.replace(b'"hashes":7', b'"hashes":' + hashes)
        assert bad != header and skip_index.SkipIndex.from_bytes(skip_index.MAGIC + bad + b"\n" + bloom) is None


def test_pattern_items_and_regex_literals() -> None:
    assert skip_index.text_items("req-4-8 after") == sorted({"t:4", "t:8", "g:req", "g:aft", "g:fte", "g:ter"})
    assert skip_index.regex_literals("req-[0-9]+ after", ignore_case=False) == ["req-", " after"]
    assert skip_index.regex_literals("(?i)Session", ignore_case=False) == ["e", "ion"]  # RE2 folds s with ſ
    assert skip_index.regex_literals("a|b", ignore_case=False) == []
    assert skip_index.regex_literals("\\Qx\\E", ignore_case=False) is None  # RE2-only syntax: no index
    assert skip_index.regex_literals("timeout", ignore_case=True) == ["timeout"]
    assert skip_index.regex_literals("sessions", ignore_case=True) == ["e", "ion"]


def test_cli_highlights_matches_and_prints_json(searchable: Lake) -> None:
    text = highlighted("a Zebrafish and a zebrafish", Pattern.parse("zebrafish", ignore_case=True))
    assert [(span.start, span.end) for span in text.spans] == [(2, 11), (18, 27)]
    console = Console(record=True, force_terminal=True, color_system="standard", width=200)
    console.print(highlighted("x zebra y", Pattern.parse("zebra")))
    assert "\x1b[1;30;43mzebra\x1b[0m" in console.export_text(styles=True)

    result = runner.invoke(app, ["search", "Zebrafish", "--lake", _uri(searchable), "--limit", "2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "2025-11-28 04:00:00.008 /svc/web ERROR Zebrafish-Timeout on request req-4-8 after 30s",
        "2025-11-28 01:00:00.017 /svc/pay ERROR Zebrafish-Timeout on request req-1-17 after 30s",
    ]
    assert "search: 3 matches (newest 2 shown: --limit N for more); read 2 of 6 files" in result.stderr

    result = runner.invoke(app, ["search", "/zebra\\w+/i", "--lake", _uri(searchable), "--format", "json"])
    document = json.loads(result.stdout)
    assert (document["matches"], document["shown"], document["plan"]["files_read"]) == (3, 3, 2)
    assert document["rows"][0]["timestamp"] == "2025-11-28T04:00:00.008000"


def test_search_on_an_s3_lake_reads_only_the_candidate_files(s3_lake: Lake) -> None:
    for hour in range(3):
        write_messages(
            s3_lake.store, "/svc/s3", _messages(hour, [4] if hour == 2 else []),
            id_prefix=f"h{hour}-", stream=f"s{hour}", timestamp=T0 + hour * HOUR,
        )  # fmt: skip
    run_etl(s3_lake, pending_raw_objects(s3_lake), EtlSettings(), workers=1)
    result = search(s3_lake.store, Pattern.parse("Zebrafish"))
    assert [row["message"] for row in result.rows] == ["ERROR Zebrafish-Timeout on request req-2-4 after 30s"]
    assert (result.plan.files_read, result.plan.skipped_by_index, result.plan.read_without_index) == (1, 2, 0)
    assert result.rows == search(s3_lake.store, Pattern.parse("Zebrafish"), use_index=False).rows


def test_search_after_compaction_counts_each_event_once(lake: Lake) -> None:
    from loglake.lake.compaction import compact

    for hour in range(3):
        for part in range(2):  # two raw objects per hour: two clean files to compact into one
            write_messages(
                lake.store, "/svc/c", _messages(hour, [5] if (hour, part) == (1, 1) else []),
                id_prefix=f"h{hour}p{part}-", stream=f"s{hour}-{part}", timestamp=T0 + hour * HOUR + part,
            )  # fmt: skip
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    store = lake.store
    before = search(store, Pattern.parse("Zebrafish"))
    assert (before.matches, before.plan.files_read, before.plan.skipped_by_index) == (1, 1, 5)
    report = compact(store, ["logs"], older_than_s=0, target_bytes=1 << 20, grace_s=3600)
    assert (report.totals()["inputs"], report.totals()["outputs"]) == (6, 3)
    result = search(store, Pattern.parse("Zebrafish"))
    assert result.matches == 1 and result.rows == before.rows  # the replaced inputs, still listed, are not read
    assert result.rows == search(store, Pattern.parse("Zebrafish"), use_index=False).rows
    # compaction writes each compacted file's skip index: only hour 1's file is read
    plan = result.plan
    assert (plan.files_in_range, plan.files_read, plan.skipped_by_index, plan.read_without_index) == (3, 1, 2, 0)


def test_files_outside_the_clean_hive_layout_get_no_index(lake: Lake) -> None:
    lake.store.put("iceberg/logs/data/x.parquet", b"not read")
    assert skip_index.write_for_all(lake.store, ["iceberg/logs/data/x.parquet"]) == []
    assert list(lake.store.list(skip_index.INDEX_PREFIX)) == []


@pytest.mark.parametrize(
    ("raw", "ignore_case", "text", "spans"),
    [
        # RE2-only syntax (Python's re cannot compile \pL): marked where RE2 matched
        (r"/\pL+ \d+/", False, "déjà 42 ok", [(0, 7)]),
        (r"/(?P<w>fail)\b/", False, "fail failed fail", [(0, 4), (12, 16)]),
        # DuckDB's lower() folds İ to i (Python's re does not): the search matched, so the mark is there
        ("xiy", True, "XİY ok xiy", [(0, 3), (7, 10)]),
        ("/xiy/i", False, "xiy", [(0, 3)]),
        # empty matches mark nothing; plain text finds each occurrence once
        ("/z*/", False, "abc", []),
        ("foo", False, "foofoo foo", [(0, 3), (3, 6), (7, 10)]),
    ],
)
def test_highlights_mark_what_the_search_matched(
    raw: str, ignore_case: bool, text: str, spans: list[tuple[int, int]]
) -> None:
    pattern = Pattern.parse(raw, ignore_case=ignore_case)
    assert pattern.spans(text) == spans
    assert pattern.spans_of([text, "nothing here"]) == [spans, []]

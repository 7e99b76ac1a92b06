"""What a compaction killed while it deletes leaves behind (lake/compaction.py `_delete`): the next run
deletes it, a file's skip index included. The Iceberg twin is test_iceberg_compaction_kill.py."""

from __future__ import annotations

import pytest
from test_compaction import P0, _counts, _fill

from loglake.lake import compaction, skip_index
from loglake.lake.compaction import compact_partition, live_files
from loglake.lake.open import Lake


def test_a_run_killed_between_a_file_and_its_skip_index_leaves_neither_for_good(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(lake, streams=2)
    first = next(iter(lake.store.list(f"clean/logs/{P0}/")))
    orphan = f"clean/logs/{P0}/c-0000000000000deadbeef.parquet"  # a crashed run's output, indexed before its commit
    lake.store.put(orphan, lake.store.get(first))
    skip_index.write_for(lake.store, orphan)

    def killed(store: object, key: str) -> None:
        raise KeyboardInterrupt  # as a kill between deleting the file and deleting its index, or before both

    monkeypatch.setattr(compaction.skip_index, "delete_for", killed)
    with pytest.raises(KeyboardInterrupt):
        compact_partition(lake.store, "logs", P0, grace_s=0)
    monkeypatch.undo()
    result = compact_partition(lake.store, "logs", P0, grace_s=0)

    assert (result.status, result.inputs) == ("compacted", 2)
    assert not lake.store.exists(orphan)
    assert not lake.store.exists(skip_index.index_key(orphan))  # it stayed, with no file, before
    indexes = sorted(lake.store.list(f"{skip_index.INDEX_PREFIX}logs/{P0}/"))
    assert indexes == [skip_index.index_key(k) for k in live_files(lake.store, "logs") if f"/{P0}/" in k]
    assert _counts(lake) == (17, 17)


def test_a_run_killed_after_the_index_went_and_before_the_file_leaves_the_file_to_the_next_run(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kill between the two deletions (the index gone, the file not yet): the file is still listed, so the
    next run deletes it. The test above kills before both (delete_for runs first)."""
    _fill(lake, streams=2)
    first = next(iter(lake.store.list(f"clean/logs/{P0}/")))
    orphan = f"clean/logs/{P0}/c-0000000000000deadbeef.parquet"
    lake.store.put(orphan, lake.store.get(first))
    skip_index.write_for(lake.store, orphan)
    delete = lake.store.delete

    def killed(key: str) -> None:
        if key == orphan:
            raise KeyboardInterrupt  # as a kill after its index was deleted
        delete(key)

    monkeypatch.setattr(lake.store, "delete", killed)
    with pytest.raises(KeyboardInterrupt):
        compact_partition(lake.store, "logs", P0, grace_s=0)
    monkeypatch.undo()
    assert lake.store.exists(orphan)
    assert not lake.store.exists(skip_index.index_key(orphan))  # deleted first: nothing can leave it behind

    result = compact_partition(lake.store, "logs", P0, grace_s=0)

    assert (result.status, result.inputs, result.deleted) == ("compacted", 2, 3)  # the orphan, then the 2 inputs
    assert not lake.store.exists(orphan)
    indexes = sorted(lake.store.list(f"{skip_index.INDEX_PREFIX}logs/{P0}/"))
    assert indexes == [skip_index.index_key(k) for k in live_files(lake.store, "logs") if f"/{P0}/" in k]
    assert _counts(lake) == (17, 17)

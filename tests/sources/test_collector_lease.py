"""The CloudWatch collector stops before a PUT once its group's lease is lost (review finding 2 of issue 12)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from test_cloudwatch_logs import MINUTE, now_ms, seed

from loglake.errors import StoreError
from loglake.lake.open import Lake
from loglake.lake.store import Lease
from loglake.sources.cloudwatch_logs import CloudWatchCollector, CollectorOptions


def test_a_collector_that_lost_its_lease_writes_nothing_more(
    aws: str, lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed({"/leased": 2}, events_per_stream=10, start_ms=now_ms() - 20 * MINUTE, span_ms=10 * MINUTE)
    original = lake.store.lease

    @contextlib.contextmanager
    def lost_lease(name: str, *, wait: float = 0.0) -> Iterator[Lease]:
        with original(name, wait=wait) as held:
            lease = Lease(name, bool(held))
            lease.mark_lost("could not renew it: S3 unreachable")
            yield lease

    monkeypatch.setattr(lake.store, "lease", lost_lease)
    options = CollectorOptions(log_groups=("/leased",), calls_per_second=1000)
    with pytest.raises(
        StoreError,
        match=r"^lost the lease 'collect/cloudwatch/\S+' \(could not renew it: S3 "
        r"unreachable\) before writing raw/\S+; nothing written: run `loglake collect /leased` again$",
    ):
        CloudWatchCollector(lake.store, options).collect()
    assert list(lake.store.list("raw/")) == []
    assert list(lake.store.list("state/")) == []

    monkeypatch.setattr(lake.store, "lease", original)
    assert CloudWatchCollector(lake.store, options).collect().events == 20

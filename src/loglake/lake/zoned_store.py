"""A lake whose raw zone lives elsewhere (the mission's raw bucket beside a clean bucket).

Keys under raw/ go to the raw store; everything else (clean, quarantine, schema, state) to the main
store. Each side is a complete Store, so the split is invisible to the stages.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from loglake.lake.keys import RAW_PREFIX
from loglake.lake.store import Lease, Store, listed_versions


class ZonedStore:
    def __init__(self, main: Store, raw: Store) -> None:
        self.main = main
        self.raw = raw
        self.uri = f"{main.uri} (raw zone: {raw.uri})"

    def _for(self, key: str) -> Store:
        return self.raw if key.startswith(RAW_PREFIX) else self.main

    def get(self, key: str) -> bytes:
        return self._for(key).get(key)

    def put(self, key: str, data: bytes) -> None:
        self._for(key).put(key, data)

    def put_file(self, key: str, path: Path) -> None:
        self._for(key).put_file(key, path)

    def delete(self, key: str) -> None:
        self._for(key).delete(key)

    def exists(self, key: str) -> bool:
        return self._for(key).exists(key)

    def version(self, key: str) -> str | None:
        return self._for(key).version(key)

    def list(self, prefix: str) -> Iterator[str]:
        if prefix.startswith(RAW_PREFIX):
            return self.raw.list(prefix)
        if RAW_PREFIX.startswith(prefix):  # "" or "r": both sides may hold matches
            return heapq.merge(
                self.raw.list(prefix), (k for k in self.main.list(prefix) if not k.startswith(RAW_PREFIX))
            )
        return self.main.list(prefix)

    def list_versions(self, prefix: str) -> Iterator[tuple[str, str | None]]:
        """Keys and version tokens of one zone's side (lake/store.py listed_versions)."""
        if not prefix.startswith(RAW_PREFIX) and RAW_PREFIX.startswith(prefix):
            return ((key, self.version(key)) for key in self.list(prefix))
        return listed_versions(self._for(prefix), prefix)

    def local_file(self, key: str) -> AbstractContextManager[Path]:
        return self._for(key).local_file(key)

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        return self._for(key).read_versioned(key)

    def put_if(self, key: str, data: bytes, version: str | None) -> bool:
        return self._for(key).put_if(key, data, version)

    def glob(self, pattern: str) -> str:
        return self._for(pattern).glob(pattern)

    def sweep(self) -> Sequence[str]:
        return [*self.main.sweep(), *self.raw.sweep()]

    def lease(self, name: str, *, wait: float = 0.0) -> AbstractContextManager[Lease]:
        return self.main.lease(name, wait=wait)  # leases are state, which lives beside the clean zone

"""The object-store interface that every zone is written through.

It is deliberately the intersection of a filesystem and S3: whole-object writes that are atomic,
prefix listing, a compare-and-swap for the few shared documents (schema registry), which S3 offers
through conditional writes (If-Match / If-None-Match), and a lease so that two runs do not both
process one raw object.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from loglake.errors import StoreError


class Lease:
    """What `Store.lease` yields: true once held. A holder that may have lost it (an S3 lease it could not
    renew in time, or one another run took over as expired) is `lost`; before each write that only the
    holder may make, the holder calls `check`, which raises instead of letting it write.
    """

    def __init__(self, name: str, held: bool, valid_s: float | None = None) -> None:
        self.name = name
        self.held = held
        self._valid_s = valid_s
        self._valid_until = None if valid_s is None else time.monotonic() + valid_s
        self._why = ""
        self._lost = threading.Event()

    def __bool__(self) -> bool:
        return self.held

    def renewed(self, sent: float) -> None:
        """A renewal sent at `sent` (time.monotonic()) succeeded: held `valid_s` from then on."""
        if self._valid_s is not None:
            self._valid_until = sent + self._valid_s

    def mark_lost(self, why: str) -> None:
        self._why = self._why or why
        self._lost.set()

    @property
    def lost(self) -> bool:
        if self._valid_until is not None and time.monotonic() > self._valid_until:
            self.mark_lost(f"not renewed for {self._valid_s:.0f} s")
        return self._lost.is_set()

    def check(self, doing: str, fix: str) -> None:
        """Raise a StoreError (nothing written) if the lease may be lost; `fix` is the command to run."""
        if self.held and self.lost:
            raise StoreError(f"lost the lease {self.name!r} ({self._why}) before {doing}; nothing written: {fix}")


class Store(Protocol):
    """Keys are '/'-separated, relative, and validated by the implementation (no '..', no absolute paths)."""

    uri: str

    def get(self, key: str) -> bytes:
        """Raise StoreError when the key does not exist."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Readers see the old object, or the whole new one; never a part."""
        ...

    def put_file(self, key: str, path: Path) -> None:
        """Like put, for a local file (large outputs are written to disk by the engine first)."""
        ...

    def delete(self, key: str) -> None:
        """Deleting a missing key is not an error (retries must be harmless)."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[str]:
        """Every key under prefix, in lexicographic order (as S3 lists them)."""
        ...

    def local_file(self, key: str) -> AbstractContextManager[Path]:
        """A local path holding the object, for engines that read files (a download for remote stores)."""
        ...

    def version(self, key: str) -> str | None:
        """A token that changes whenever the object is rewritten, read without its body; None if missing.

        Only compared with itself (ETL manifests); compare-and-swap uses read_versioned's token.
        """
        ...

    def read_versioned(self, key: str) -> tuple[bytes | None, str | None]:
        """The object and an opaque version token, or (None, None) when it does not exist."""
        ...

    def put_if(self, key: str, data: bytes, version: str | None) -> bool:
        """Write only if the object is still at `version` (None: only if it does not exist)."""
        ...

    def glob(self, pattern: str) -> str:
        """A location DuckDB can read for a key pattern such as 'clean/logs/**/*.parquet'.

        The part before the pattern is escaped (glob_escape): a lake folder named `g[x]` must not read `gx`.
        """
        ...

    def sweep(self) -> Sequence[str]:
        """Remove what writers that died left behind (temporary files); return what was removed."""
        ...

    def lease(self, name: str, *, wait: float = 0.0) -> AbstractContextManager[Lease]:
        """Hold `name` exclusively for the block: a Lease, true once held, false if another run still holds
        it after `wait` seconds. A holder that dies loses it (a local lock dies with its process; an S3 lease
        expires unless its holder renews it), so a crash never blocks the lake for good; a holder that lives
        on but could not renew it finds it `lost` and must not commit (Lease.check).
        """
        ...


_GLOB_SPECIAL = {"[": "[[]", "*": "[*]", "?": "[?]"}
_ESCAPED = re.compile(r"\[([\[*?])\]")


def glob_escape(path: str) -> str:
    """A literal path for DuckDB's readers, which glob every path they are given (`[[]` is a literal '[')."""
    return "".join(_GLOB_SPECIAL.get(char, char) for char in path)


def glob_unescape(pattern: str) -> str:
    """The literal path glob_escape was given: what DuckDB reports as a file's name."""
    return _ESCAPED.sub(r"\1", pattern)


def listed_versions(store: Store, prefix: str) -> Iterator[tuple[str, str | None]]:
    """Every key under prefix with its version() token: from the listing where the store gives one (an S3
    LIST carries each ETag, so no HEAD per object), else one version() call per key."""
    listing = getattr(store, "list_versions", None)
    if listing is not None:
        found: Iterator[tuple[str, str | None]] = listing(prefix)
        return found
    return ((key, store.version(key)) for key in store.list(prefix))

"""The local-file source: `loglake ingest PATH...`, like `tail -F` with a checkpoint in the lake.

Each file is one log stream. An event's id is `<stream identity>-<byte offset>`, where the identity
hashes the log group, the absolute path, a fingerprint of the first line and a generation (bumped when
the file is truncated or replaced), so re-ingesting the same bytes gives the same ids and the same raw
keys. The offset reached is kept in `state/files/`, and is also recovered from the raw keys themselves
(their names hold the byte range), so a crash between writing a batch and saving the checkpoint never
duplicates a batch.

A file is also known by its content whatever log group it is filed under: `state/file-identities/`
records, before its first batch is written, the groups each (path, first-line fingerprint) went to.
Ingesting it again under another group would count every event twice, so that is refused unless
`refile` says it is meant.

A line that is an OTLP JSON document (`{"resourceLogs": ...}`, as an OpenTelemetry Collector's file
exporter writes one per line) holding several log records becomes one raw event per record: the record in
a one-record OTLP document of its own, with its resource and scope (re-serialised compactly, as CloudTrail
records are split), id `<stream identity>-<offset>-<index>`. The ETL reads one row per raw event, so
conservation holds per record. A document whose one record is not where the ETL reads it
(`resourceLogs[0].scopeLogs[0].logRecords[0]`, e.g. after an empty scope) is re-serialised the same way;
a document of one resource, one scope and one record is kept verbatim.

Container runtimes write a long line in parts (a CRI `P` line, a Docker record without its line break), and
the parts are one event (sources/multiline.py). A file whose last complete line is such a part is still
being written: that event is held back for the next run, whatever `hold_partial_line` says, so one
container line never becomes two events. It is written as it is (an event of its own) when the file has not
changed for `stale_partial_s` (its writer died mid-line), with `flush_partial` (`--flush-partial`), or when
the file is finished (`ingest(..., final=True)`: follow mode, after a rotated file's grace period).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import BinaryIO

import orjson

from loglake.errors import ConfigError, StoreError
from loglake.lake.keys import RawKey, checkpoint_key, stream_prefix
from loglake.lake.raw_zone import RawRecord, list_raw_objects, write_batch
from loglake.lake.store import Store
from loglake.sources.multiline import EventBoundary, is_partial

SOURCE = "file"
_FINGERPRINT_BYTES = 4096
INGEST_LEASE_WAIT_S = 600.0
_COMPRESSED = (
    (b"\x1f\x8b", "gzip", "zcat"),
    (b"\x28\xb5\x2f\xfd", "zstd", "zstdcat"),
    (b"BZh", "bzip2", "bzcat"),  # and a block size digit, then the block magic (checked below)
    (b"\xfd7zXZ\x00", "xz", "xzcat"),
)
"""Magic bytes of compressed files, their name, and the tool that prints them decompressed."""
_RANGE = re.compile(r"/(\d+)-(\d+)\.json\.gz$")

Progress = Callable[[int, int], None]
"""Called with (bytes consumed, events emitted) after each batch."""


@dataclass
class FileCheckpoint:
    path: str
    log_group: str
    fingerprint: str
    generation: int
    offset: int


@dataclass(frozen=True)
class _Stream:
    identity: str
    key: str
    """The stream segment of raw keys: `<file name>.<identity>`."""
    log_stream: str
    timestamp_ms: int
    """The records' `timestamp`: the file's mtime when read (stdin: the read time)."""


@dataclass
class FileReport:
    path: str
    events: int = 0
    bytes: int = 0
    objects: list[str] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class FileSourceOptions:
    log_group: str = "local"
    batch_events: int = 50_000
    batch_bytes: int = 8 << 20
    boundary: EventBoundary = field(default_factory=EventBoundary)
    # Live files may have a last line that is still being written; hold it back until its newline arrives.
    hold_partial_line: bool = False
    # Ingest a file already filed under another log group again, under this one (its events then count twice).
    refile: bool = False
    # Write a trailing partial container line now, as an event of its own, instead of waiting for its last part.
    flush_partial: bool = False
    # ... and so it is once the file has not changed for this long: its writer died mid-line.
    stale_partial_s: float = 300.0


def expand_paths(patterns: list[str]) -> list[str]:
    """Files, globs and '-' (stdin), in the order given, without duplicates. A pattern matching nothing is an error."""
    found: list[str] = []
    for pattern in patterns:
        if pattern == "-":
            matches = ["-"]
        elif any(ch in pattern for ch in "*?["):
            root = Path(pattern).expanduser()
            anchor = Path(root.anchor) if root.is_absolute() else Path()
            rel = str(root.relative_to(anchor)) if root.is_absolute() else pattern
            matches = sorted(str(p) for p in anchor.glob(rel) if p.is_file())
        else:
            path = Path(pattern).expanduser()
            if path.is_dir():
                raise ConfigError(f"{pattern} is a folder: give files or a glob such as '{pattern}/*.log'")
            if not path.is_file():
                raise ConfigError(f"{pattern}: no such file")
            matches = [str(path)]
        if not matches:
            raise ConfigError(f"{pattern}: no file matches")
        found.extend(m for m in matches if m not in found)
    return found


class FileSource:
    def __init__(self, store: Store, options: FileSourceOptions | None = None) -> None:
        self.store = store
        self.options = options or FileSourceOptions()
        if not self.options.log_group:
            raise ConfigError("the log group name must not be empty")

    def ingest(
        self, path: str, progress: Progress | None = None, *, handle: BinaryIO | None = None, final: bool = False
    ) -> FileReport:
        """Everything new in `path` since the last run. `handle` (follow mode) reads an open file instead of
        opening `path`: after a rename rotation it still holds the old file, whose last lines are read under
        the old file's identity before the new file at `path` starts a new generation. `final`: nobody writes
        the file any more, so nothing is held back (an unterminated last line, a trailing partial container
        line: each an event of its own)."""
        if path == "-":
            return self._ingest_stdin(progress)
        resolved = Path(path).expanduser().resolve()
        # Two runs on one file would both write (and the ETL redo) every batch: the second waits for the
        # first, then resumes from its checkpoint.
        lease = f"ingest/{_stream_hash(self.options.log_group, str(resolved))}"
        with self.store.lease(lease, wait=INGEST_LEASE_WAIT_S) as held:
            if not held:
                raise StoreError(
                    f"{resolved} is being ingested by another run; run `loglake ingest` again once it ends"
                )
            if handle is not None:
                return self._ingest_file(resolved, handle, progress, final)
            with resolved.open("rb") as opened:
                return self._ingest_file(resolved, opened, progress, final)

    def refusal(self, path: str) -> str | None:
        """Why `path` must not be ingested: it is compressed (its bytes would land as text), or it is filed
        under another log group already (its events would count twice)."""
        if path == "-":
            return None
        resolved = Path(path).expanduser().resolve()
        with resolved.open("rb") as handle:
            first = handle.readline(_FINGERPRINT_BYTES)
        return self._refusal_of(resolved, first)

    def _refusal_of(self, resolved: Path, first: bytes) -> str | None:
        for magic, name, cat in _COMPRESSED:
            if first.startswith(magic) and (name != "bzip2" or (first[3:4].isdigit() and first[4:10] == b"1AY&SY")):
                group = shlex.quote(self.options.log_group)
                pipe = f"{cat} {shlex.quote(str(resolved))} | loglake ingest - --log-group {group}"
                return f"{resolved} is {name}-compressed: its bytes would land as text. Decompress it, or `{pipe}`"
        if not first or self.options.refile:
            return None
        groups = self._filed_under(resolved, _fingerprint(first))
        if not groups or self.options.log_group in groups:
            return None  # new, or a resume under a group it is filed under
        return self._refused_text(resolved, groups)

    def _refused_text(self, path: Path, groups: list[str]) -> str:
        first = sorted(groups)[0]
        return (
            f"{path} is already in the lake under log group {first!r}; ingesting it under "
            f"{self.options.log_group!r} would count its events twice. Resume it with "
            f"`--log-group {shlex.quote(first)}`, or pass --refile to file it under both on purpose"
        )

    def _filed_under(self, path: Path, fingerprint: str) -> list[str]:
        data, _version = self.store.read_versioned(_identity_key(path, fingerprint))
        return list(orjson.loads(data)["log_groups"]) if data else []

    def _record_filing(self, path: Path, fingerprint: str) -> None:
        """Add this group to the file's record, compare-and-swap: two runs filing one file under two groups at
        once must not both pass the check; the second sees the first's group and is refused."""
        key = _identity_key(path, fingerprint)
        while True:
            data, version = self.store.read_versioned(key)
            groups = list(orjson.loads(data)["log_groups"]) if data else []
            if self.options.log_group in groups:
                return
            if groups and not self.options.refile:
                raise ConfigError(self._refused_text(path, groups))
            document = {
                "path": str(path),
                "fingerprint": fingerprint,
                "log_groups": sorted([*groups, self.options.log_group]),
            }
            if self.store.put_if(key, orjson.dumps(document, option=orjson.OPT_INDENT_2), version):
                return

    def _ingest_file(self, path: Path, handle: BinaryIO, progress: Progress | None, final: bool) -> FileReport:
        report = FileReport(path=str(path))
        handle.seek(0)
        size = os.fstat(handle.fileno()).st_size
        mtime_ms = os.fstat(handle.fileno()).st_mtime_ns // 1_000_000
        first = handle.readline(_FINGERPRINT_BYTES)
        if not first:
            report.note = "empty file, nothing to ingest"
            return report
        refused = self._refusal_of(path, first)
        if refused:
            raise ConfigError(refused)
        fingerprint = _fingerprint(first)
        ckpt_key = checkpoint_key("files", _stream_hash(self.options.log_group, str(path)))
        checkpoint = self._load_checkpoint(ckpt_key)
        generation, offset = 0, 0
        if checkpoint is not None:
            generation, offset = checkpoint.generation, checkpoint.offset
            if checkpoint.fingerprint != fingerprint or size < checkpoint.offset:
                generation, offset = generation + 1, 0
                report.note = "file was replaced or truncated: read from the start as a new generation"
        identity = _identity(self.options.log_group, str(path), fingerprint, generation)
        offset = max(offset, self._recover_offset(f"{path.name}.{identity}"))
        if offset >= size:
            report.note = report.note or "no new data"
            return report
        handle.seek(offset)
        stream = _Stream(identity, f"{path.name}.{identity}", str(path), mtime_ms)
        self._record_filing(path, fingerprint)  # before the first batch, so a crash cannot skip it

        def checkpoint_at(end: int) -> None:
            self._save_checkpoint(
                ckpt_key, FileCheckpoint(str(path), self.options.log_group, fingerprint, generation, end)
            )

        stale = time.time() * 1000 - mtime_ms >= self.options.stale_partial_s * 1000
        self._copy(handle, offset, stream, report, progress, checkpoint_at, _Flush(final, final or stale))
        return report

    def _ingest_stdin(self, progress: Progress | None) -> FileReport:
        """stdin has no identity or offset to resume from: it is spooled, and its identity is its content hash."""
        with tempfile.NamedTemporaryFile(prefix="loglake-stdin-") as spool:
            shutil.copyfileobj(sys.stdin.buffer, spool)
            spool.flush()
            report = FileReport(path="-")
            spool.seek(0)
            digest = hashlib.sha256()
            while chunk := spool.read(1 << 20):
                digest.update(chunk)
            if spool.tell() == 0:
                report.note = "stdin was empty, nothing to ingest"
                return report
            identity = _identity(self.options.log_group, "-", digest.hexdigest(), 0)
            spool.seek(0)
            stream = _Stream(identity, f"stdin.{identity}", "stdin", int(time.time() * 1000))
            self._copy(spool, 0, stream, report, progress, None, _Flush(True, True))  # type: ignore[arg-type]
            return report

    def ingest_stdin_chunk(self, session: str, start: int, data: bytes) -> FileReport:
        """One flush of `loglake ingest --follow -`: the complete lines `data`, which begin at byte `start`
        of what this session read from stdin. stdin has no identity to resume from, so a session (one run)
        is one stream: a retried flush overwrites its object, and a new run is a new stream. All of `data` is
        written: the caller holds back a trailing partial container line (follow.py)."""
        identity = _identity(self.options.log_group, "-", session, 0)
        stream = _Stream(identity, f"stdin.{identity}", "stdin", int(time.time() * 1000))
        report = FileReport(path="-")
        self._copy(io.BytesIO(data), start, stream, report, None, None, _Flush(True, True))
        return report

    def _copy(
        self,
        handle: BinaryIO,
        offset: int,
        stream: _Stream,
        report: FileReport,
        progress: Progress | None,
        checkpoint_at: Callable[[int], None] | None,
        flush: _Flush,
    ) -> None:
        """Write every batch from `offset` on; the checkpoint moves only after its batch is durable."""
        for records, start, end in self._batches(handle, offset, stream, flush, report):
            key = RawKey(SOURCE, self.options.log_group, stream.key, f"{start:015d}-{end:015d}")
            report.objects.append(write_batch(self.store, key, records))
            report.events += len(records)
            report.bytes += end - start
            if checkpoint_at is not None:
                checkpoint_at(end)
            if progress is not None:
                progress(end - start, len(records))

    def _batches(
        self, handle: BinaryIO, offset: int, stream: _Stream, flush: _Flush, report: FileReport
    ) -> Iterator[tuple[list[RawRecord], int, int]]:
        """Group lines into events and events into batches; yields (records, first offset, end offset)."""
        opts = self.options
        ingestion_ms = int(time.time() * 1000)
        batch: list[RawRecord] = []
        batch_start = offset
        batch_bytes = 0
        event_start = offset
        event_lines: list[bytes] = []
        position = offset

        def make_record(start: int, raw: bytes, suffix: str = "") -> RawRecord:
            record: RawRecord = {
                "log_group": opts.log_group,
                "log_stream": stream.log_stream,
                "event_id": f"{stream.identity}-{start:015d}{suffix}",
                "timestamp": stream.timestamp_ms,
                "ingestion_time": ingestion_ms,
                "source": SOURCE,
            }
            try:
                record["message"] = raw.decode("utf-8")
            except UnicodeDecodeError:
                # Lossy text for queries, exact bytes kept beside it (documented in docs/lake-layout.md).
                record["message"] = raw.decode("utf-8", errors="replace")
                record["message_b64"] = base64.b64encode(raw).decode("ascii")
            return record

        def make_records(start: int, lines: list[bytes]) -> list[RawRecord]:
            raw = b"".join(lines)
            if raw.endswith(b"\n"):
                raw = raw[:-1]
                if raw.endswith(b"\r"):
                    raw = raw[:-1]
            parts = split_otlp(raw) if raw.startswith(_OTLP) else None
            if parts is None or len(parts) == 1:  # one record: one event, the line's id
                return [make_record(start, raw if parts is None else parts[0])]
            return [make_record(start, part, f"-{n:06d}") for n, part in enumerate(parts)]

        for line in handle:
            if opts.hold_partial_line and not flush.line and not line.endswith(b"\n"):
                break
            body = line.rstrip(b"\r\n")
            if event_lines and not opts.boundary.continues(body, event_lines):
                batch.extend(make_records(event_start, event_lines))
                batch_bytes += position - event_start
                event_start, event_lines = position, []
                if len(batch) >= opts.batch_events or batch_bytes >= opts.batch_bytes:
                    yield batch, batch_start, event_start
                    batch, batch_start, batch_bytes = [], event_start, 0
            event_lines.append(line)
            position += len(line)
        last = event_lines[-1] if event_lines else b""
        if last.endswith(b"\n") and not (flush.container or opts.flush_partial) and is_partial(last):
            position = event_start  # a container line the runtime has not finished: wait for its last part
            report.note = (
                "the last container line's final part has not arrived: held for the next run "
                "(--flush-partial writes it now)"
            )
        elif event_lines:
            batch.extend(make_records(event_start, event_lines))
        if batch:
            yield batch, batch_start, position

    def _recover_offset(self, stream_key: str) -> int:
        """The end of the last batch already in the raw zone: the checkpoint the raw zone itself proves."""
        end = 0
        for key in list_raw_objects(self.store, stream_prefix(SOURCE, self.options.log_group, stream_key)):
            match = _RANGE.search(key)
            if match:
                end = max(end, int(match[2]))
        return end

    def _load_checkpoint(self, key: str) -> FileCheckpoint | None:
        data, _version = self.store.read_versioned(key)
        return FileCheckpoint(**orjson.loads(data)) if data else None

    def _save_checkpoint(self, key: str, checkpoint: FileCheckpoint) -> None:
        self.store.put(key, orjson.dumps(asdict(checkpoint), option=orjson.OPT_INDENT_2))


@dataclass(frozen=True)
class _Flush:
    """What a read writes now instead of holding it back: an unterminated last line (`line`), a trailing
    partial container line (`container`)."""

    line: bool
    container: bool


_OTLP = b'{"resourceLogs":'


def split_otlp(raw: bytes) -> list[bytes] | None:
    """An OTLP JSON logs document as one document per record (resource and scope kept with each, in order),
    each in the shape the ETL reads (`resourceLogs[0].scopeLogs[0].logRecords[0]`); or None to keep `raw` as
    one event: not such a document, one already in that shape (one resource, scope and record: verbatim),
    or one without records (the ETL quarantines it with its reason, nothing is dropped)."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    resources = document.get("resourceLogs") if isinstance(document, dict) else None
    if not isinstance(resources, list):
        return None
    parts: list[bytes] = []
    shapes = 0  # resources and scopes seen: 2 when the document is one resource holding one scope
    for resource in resources:
        shapes += 1
        scopes = resource.get("scopeLogs") if isinstance(resource, dict) else None
        for scope in scopes if isinstance(scopes, list) else []:
            shapes += 1
            records = scope.get("logRecords") if isinstance(scope, dict) else None
            for record in records if isinstance(records, list) else []:
                one_scope = {**{k: v for k, v in scope.items() if k != "logRecords"}, "logRecords": [record]}
                one = {**{k: v for k, v in resource.items() if k != "scopeLogs"}, "scopeLogs": [one_scope]}
                parts.append(orjson.dumps({"resourceLogs": [one]}))
    return None if not parts or (len(parts) == 1 and shapes == 2) else parts


def _fingerprint(first_line: bytes) -> str:
    return hashlib.sha256(first_line).hexdigest()[:16]


def _identity_key(path: Path, fingerprint: str) -> str:
    return checkpoint_key("file-identities", hashlib.sha256(f"{path}\0{fingerprint}".encode()).hexdigest()[:32])


def _stream_hash(log_group: str, path: str) -> str:
    return hashlib.sha256(f"{log_group}\0{path}".encode()).hexdigest()[:32]


def _identity(log_group: str, path: str, fingerprint: str, generation: int) -> str:
    return hashlib.sha256(f"{log_group}\0{path}\0{fingerprint}\0{generation}".encode()).hexdigest()[:16]

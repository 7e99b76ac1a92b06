"""Where one event ends and the next begins, for line-oriented sources.

Stack traces span many lines but are one event. The default rule keeps a line with the event before it
when the line is indented, is a known trace header (`Traceback ...`, `Caused by: ...`), is a Java
exception line (`java.lang.IllegalStateException: boom`), or closes a Python trace (`ValueError: x`)
inside an event that is already multi-line. A user rule (`--multiline-start REGEX`) replaces it: then a
line starts an event if and only if it matches.

A Python trace ends with its exception line (`ValueError: bad`, `smtplib.SMTPServerDisconnected: ...`),
which is not indented: it is kept when it directly follows an indented frame line of an event that
holds a `Traceback` header.

Container runtimes split long lines (16 KiB by default): a CRI line tagged `P` (partial) and a Docker
`json-file` record whose `log` does not end with a line break continue on the next line of the same stream
(stdout, stderr), whatever the rule, so the parts of one container line are one raw event
(parsers/container_cri.py, container_docker.py join their contents). Joining here, before the raw zone,
keeps one raw event per clean row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

from loglake.errors import ConfigError

_TRACE_HEADERS = (
    b"Traceback (most recent call last):",
    b"Caused by:",
    b"During handling of the above exception",
    b"The above exception was the direct cause",
)
_JAVA_EXCEPTION = re.compile(rb"[a-z][\w$]*(?:\.[\w$]+)+(?:Exception|Error|Throwable)\b")
_PYTHON_EXCEPTION_END = re.compile(rb"[A-Za-z_][\w.]*(?::\s|:?$)")
_CRI_PARTIAL = re.compile(rb"\d{4}-\d{2}-\d{2}T\S+ (?:stdout|stderr) P(?: |\r?\n|$)")
_DOCKER = b'{"log":'
_DOCKER_KEYS = {"log", "stream", "time", "attrs"}


def is_partial(line: bytes) -> bool:
    """True when `line` is the first part of a container line the runtime split: a CRI `P` line, or a Docker
    json-file record whose `log` lacks its line break. Cheap first-byte tests spare other lines the rest."""
    if line[10:11] == b"T" and line[:1].isdigit():
        return _CRI_PARTIAL.match(line) is not None
    if line.startswith(_DOCKER):
        if b'\\n","stream":' in line:  # Docker writes `log` then `stream`: a complete line, no parse needed
            return False
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            return False
        if not isinstance(record, dict) or not record.keys() <= _DOCKER_KEYS:
            return False  # not Docker's record (a shipper's, with more keys): its `log` is not a part
        log = record.get("log")
        return isinstance(log, str) and not log.endswith("\n")
    return False


def same_stream(partial: bytes, line: bytes) -> bool:
    """True when `line` is the next part of `partial`: a line of the same runtime format and stream (a
    stderr line between two parts of a stdout line is its own event; the parts are then not joined)."""
    if partial[:1].isdigit():
        stream = partial.split(b" ", 2)[1:2]
        return line[10:11] == b"T" and line.split(b" ", 2)[1:2] == stream
    if not line.startswith(_DOCKER):
        return False
    try:
        first, then = orjson.loads(partial), orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    return isinstance(then, dict) and then.get("stream") == first.get("stream")


@dataclass(frozen=True)
class EventBoundary:
    start_pattern: re.Pattern[bytes] | None = None

    @classmethod
    def from_regex(cls, regex: str | None) -> EventBoundary:
        if not regex:
            return cls(None)
        try:
            return cls(re.compile(regex.encode()))
        except re.error as exc:
            raise ConfigError(f"--multiline-start {regex!r} is not a valid regular expression: {exc}") from None

    def continues(self, line: bytes, event_lines: list[bytes]) -> bool:
        """True when `line` (without its terminator) belongs to the event made of `event_lines` so far."""
        if not event_lines:
            return False
        if is_partial(event_lines[-1]):
            return same_stream(event_lines[-1], line)
        if self.start_pattern is not None:
            return self.start_pattern.match(line) is None
        if not line.strip():
            return True
        if line[:1] in (b" ", b"\t"):
            return True
        if line.startswith(_TRACE_HEADERS):
            return True
        if _JAVA_EXCEPTION.match(line):
            return True
        return (
            event_lines[-1][:1] in (b" ", b"\t")
            and _PYTHON_EXCEPTION_END.match(line) is not None
            and any(previous.startswith(_TRACE_HEADERS[0]) for previous in event_lines)
        )

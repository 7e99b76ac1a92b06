"""loglake: turn application logs into a cheap, queryable data lake with no servers to run."""

from __future__ import annotations

__version__ = "0.1.0"

"""How the skip index is built (issue 13, item 4): words split outside DuckDB's regex engine, Bloom positions
aggregated without a join, and the same items as the regex definition on text that is not plain ASCII."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from loglake.lake import skip_index


class _Recording:
    """A connection that records the SQL it is given (build_many takes any connection)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.statements: list[str] = []

    def execute(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return self.con.execute(sql, *args)


def _parquet(con: duckdb.DuckDBPyConnection, path: Path, messages: list[str | None]) -> Path:
    con.execute("CREATE OR REPLACE TEMP TABLE m AS SELECT unnest($m::VARCHAR[]) AS message", {"m": messages})
    con.execute(f"COPY m TO '{path}' (FORMAT parquet)")
    con.execute("DROP TABLE m")
    return path


def _reference_items(con: duckdb.DuckDBPyConnection, messages: list[str | None]) -> set[str]:
    """The index's definition: WORD over DuckDB's lower() of each message, every trigram of every word."""
    lowered = con.execute("SELECT list_transform($m::VARCHAR[], lambda x: lower(x))", {"m": messages}).fetchall()
    words = {w for text in lowered[0][0] if text is not None for w in skip_index.WORD.findall(text)}
    return {f"t:{w}" for w in words} | {f"g:{w[i : i + 3]}" for w in words for i in range(len(w) - 2)}


def test_words_are_split_without_a_regex_and_positions_without_a_join(tmp_path: Path) -> None:
    """regexp_extract_all + DISTINCT over every message was 0.7 s of 1.2 s per 50,000 ALB lines, and the join
    with range(HASHES) that made the Bloom positions 0.13 s more: 1.17 s -> 0.68 s CPU in all (same filters)."""
    con = duckdb.connect()
    key = "clean/logs/dt=2026-01-01/hour=00/a.parquet"
    path = _parquet(con, tmp_path / "a.parquet", ["GET /api/orders 200 user=u1", "cache miss key=session:7"])
    recording = _Recording(con)
    built = skip_index.build_many({key: path}, versions={key: "v"}, con=recording)  # type: ignore[arg-type]
    assert (built[key].items, built[key].bits) == (31, 1024)
    assert built == skip_index.build_many({key: path}, versions={key: "v"})
    sql = "\n".join(recording.statements)
    assert (sql.count("regexp"), sql.count(f"range({skip_index.HASHES})"), sql.count("bitstring_agg(")) == (0, 0, 7)
    assert len(recording.statements) == 5  # messages, items, counts, one filter size, drop
    # DuckDB lowers only messages beyond ASCII (as many bytes as characters: ASCII, lowered by a byte table)
    assert "CASE WHEN strlen(message) = length(message) THEN message ELSE lower(message) END" in sql


def test_text_beyond_ascii_gives_the_items_of_the_regex_definition(tmp_path: Path) -> None:
    """Words are split on bytes: every byte of a multi-byte character is a separator, as the character is for
    WORD. A message beyond ASCII is lowered by DuckDB (the Kelvin sign lowers to an ASCII 'k', 'İ' to 'i'),
    one of ASCII only by the byte table, as lower() would."""
    messages: list[str | None] = [
        "Ünïcode wörds: naïve café KELVIN\u212a İstanbul ŞEHİR",
        "tab\there\x00nul\x1fend new\nline cr\rlf",
        None,
        "日本語テキスト abc日本def 123_456 ÆØÅ-x_y_z",
        "emoji 😀rocket🚀fuel ok",
        "",
        "ASCII Only UPPER_Case ZQX",  # lowered by the byte table, not by DuckDB
    ]
    con = duckdb.connect()
    key = "clean/logs/dt=2026-01-01/hour=00/u.parquet"
    built = skip_index.build_many({key: _parquet(con, tmp_path / "u.parquet", messages)}, versions={}, con=con)
    expected = _reference_items(con, messages)
    assert {"t:kelvink", "t:istanbul", "t:def", "t:x_y_z", "g:ock", "t:upper_case", "g:zqx"} <= expected
    assert built[key].items == len(expected) == 88
    hashed, _ = skip_index.hashes(con, sorted(expected))
    assert all(built[key].may_contain(h) for h in hashed)

"""`message LIKE '%term%'` (ILIKE, regexp_like) in `loglake query` skips the clean files whose skip index rules
the term out: exact answers equal to the same query with the index off, exact files read, and the queries
where a skip could change the answer (OR, NOT, outer joins, a table read twice...) not pruned at all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from conftest import T0, write_messages
from loglake.lake import skip_index
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.query.engine import DuckDBEngine
from loglake.query.explain import explain, render_plan
from loglake.query.pruning import TextCondition, text_conditions
from loglake.query.skip_candidates import like_pieces
from loglake.query.time_range import TimeRange, apply_time_range
from loglake.transform.settings import EtlSettings

HOUR = 3_600_000
FILLER = [
    "GET /api/orders 200 12ms user=u{n}",
    "payment accepted for order-{n} amount=12.50",
    "cache miss key=session:{n} latency=3ms",
    "WARN slow query on table invoices took {n}ms",
]
SPECIAL = {
    2: ["progress 100%_done for job_42", "it's a Zebra_crossing"],
    5: ["İstanbul office opened", "TAB\there and ſtrange"],
}


def _messages(hour: int) -> list[str]:
    lines = [FILLER[i % len(FILLER)].format(n=hour * 100 + i) for i in range(40)]
    for i in {1: [3, 17], 4: [8]}.get(hour, []):
        lines[i] = f"ERROR LedgerSkew-Timeout on request req-{hour}-{i} after 30s"
    for i, text in enumerate(SPECIAL.get(hour, [])):
        lines[30 + i] = text
    return lines


def _fill(lake: Lake, hours: int = 6) -> None:
    """One raw object per hour, so one clean file per hour; the term is in the files of hours 1 and 4 only."""
    for hour in range(hours):
        write_messages(
            lake.store, "/svc/app", _messages(hour), id_prefix=f"h{hour}-", stream=f"s{hour}",
            timestamp=T0 + hour * HOUR,
        )  # fmt: skip
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)


@pytest.fixture
def searchable(lake: Lake) -> Lake:
    _fill(lake)
    return lake


def _run(lake: Lake, sql: str, *, use_index: bool = True) -> tuple[list[tuple[Any, ...]], DuckDBEngine]:
    with DuckDBEngine(lake.store, use_skip_index=use_index) as engine:
        return sorted(engine.query(sql).rows, key=repr), engine


def _read(engine: DuckDBEngine) -> tuple[int, int, int]:
    """(files read, files skipped, files read without a current index) of table logs."""
    use = engine.skips["logs"]
    return len(use.read), use.count.skipped, use.count.read_without_index


def test_a_term_in_two_files_of_six_reads_two(searchable: Lake) -> None:
    sql = "SELECT message FROM logs WHERE message LIKE '%LedgerSkew%'"
    rows, engine = _run(searchable, sql)
    assert rows == [
        ("ERROR LedgerSkew-Timeout on request req-1-17 after 30s",),
        ("ERROR LedgerSkew-Timeout on request req-1-3 after 30s",),
        ("ERROR LedgerSkew-Timeout on request req-4-8 after 30s",),
    ]
    assert _read(engine) == (2, 4, 0)
    assert sorted(k.split("/")[3] for k in engine.skips["logs"].read) == ["hour=01", "hour=04"]
    assert engine.skips["logs"].conditions == ["message LIKE '%LedgerSkew%'"]
    full, plain = _run(searchable, sql, use_index=False)
    assert full == rows and plain.skips == {}
    with DuckDBEngine(searchable.store) as engine:
        engine.query(sql)
        assert len(engine.skips["logs"].read) == 2
        assert len(engine.query(sql, dialect="duckdb").rows) == 3  # --dialect duckdb: not pruned, nothing left over
        assert engine.skips == {}


def test_duckdb_reads_only_the_files_left(searchable: Lake) -> None:
    """What DuckDB itself reads (EXPLAIN ANALYZE's Total Files Read), not only what the engine counted."""
    with DuckDBEngine(searchable.store) as engine:
        text = engine.prepare("SELECT count(*) FROM logs WHERE message LIKE '%LedgerSkew%'")
        profile = "\n".join(str(row[-1]) for row in engine.con.execute("EXPLAIN ANALYZE " + text).fetchall())
    with DuckDBEngine(searchable.store, use_skip_index=False) as engine:
        text = engine.prepare("SELECT count(*) FROM logs WHERE message LIKE '%LedgerSkew%'")
        full = "\n".join(str(row[-1]) for row in engine.con.execute("EXPLAIN ANALYZE " + text).fetchall())
    assert _files_read(profile) == 2
    assert _files_read(full) == 6


def _files_read(profile: str) -> int:
    import re

    return sum(int(n) for n in re.findall(r"Total Files Read: (\d+)", profile))


@pytest.mark.parametrize(
    ("where", "count", "read"),
    [
        ("message LIKE '%LedgerSkew%'", 3, 2),
        ("message LIKE '%ledgerskew%'", 0, 2),  # case-sensitive: the lower-cased index still narrows
        ("message ILIKE '%ledgerskew-TIMEOUT%'", 3, 2),
        ("regexp_like(message, 'req-[14]-(3|8) after')", 2, 2),
        ("regexp_like(message, '(?i)LEDGERSKEW')", 3, 2),
        ("message LIKE 'ERROR LedgerSkew%30s'", 3, 2),  # anchored: its pieces are still required
        ("message LIKE '%Ledger_kew%'", 3, 2),  # `_` is one character: 'Ledger' and 'kew' are asked
        ("message LIKE '% req-4-8 %'", 1, 1),  # 'req' a whole word, and only hour 4's file holds an 8
        (r"message LIKE '%100\%\_done%' ESCAPE '\'", 1, 1),  # escaped wildcards are literal text
        (r"message LIKE '%job\_42%' ESCAPE '\'", 1, 1),
        ("message LIKE '%100%done%'", 1, 1),
        ("message LIKE '%it''s a zebra%'", 0, 1),
        ("message ILIKE '%it''s a zebra%'", 1, 1),
        ("message ILIKE '%istanbul%'", 1, 1),  # DuckDB folds İ to i, in ILIKE and in lower() alike
        ("message LIKE '%İstanbul%'", 1, 1),
        ("message ILIKE '%STRANGE%'", 0, 0),  # ſ is not s in ILIKE or lower(): no word 'strange' anywhere
        ("message LIKE '%no such term anywhere%'", 0, 0),  # every file skipped: an empty view, no error
        ("message LIKE '%LedgerSkew%' AND message LIKE '%req-4%'", 1, 2),
        ("message LIKE '%LedgerSkew%' AND hour = 4", 1, 1),  # partition pruning first, then the index
        ("(message LIKE '%LedgerSkew%' AND (level IS NULL OR level <> 'x'))", 3, 2),
    ],
)  # fmt: skip
def test_answers_equal_the_full_scan(searchable: Lake, where: str, count: int, read: int) -> None:
    sql = f"SELECT event_id, message FROM logs WHERE {where}"
    rows, engine = _run(searchable, sql)
    full, _ = _run(searchable, sql, use_index=False)
    assert rows == full
    assert len(rows) == count
    assert len(engine.skips["logs"].read) == read


@pytest.mark.parametrize(
    ("sql", "count"),
    [
        ("SELECT count(*) FROM logs WHERE message LIKE '%LedgerSkew%' OR hour = 2", 43),
        ("SELECT count(*) FROM logs WHERE NOT (message LIKE '%LedgerSkew%')", 237),
        ("SELECT count(*) FROM logs WHERE message NOT LIKE '%LedgerSkew%'", 237),
        ("SELECT count(*) FROM logs WHERE CASE WHEN hour = 2 THEN true ELSE message LIKE '%LedgerSkew%' END", 43),
        ("SELECT count(*) FROM logs WHERE message LIKE '%ms%'", 174),  # no 3-character word: nothing to ask
        ("SELECT count(*) FROM logs WHERE regexp_like(message, 'LEDGERSKEW', 'i')", 3),  # flags: not read here
        # RE2's POSIX class: one letter, x, y or z (Python's parser read 'xyz]' as text: every file skipped, 0 rows)
        ("SELECT count(*) FROM logs WHERE regexp_like(message, '[[:alpha:]xyz]')", 240),
        # the table read a second time, with another predicate or none: the view serves both reads
        ("SELECT count(*) FROM logs a JOIN logs b ON a.hour = b.hour WHERE a.message LIKE '%LedgerSkew%'", 120),
        ("SELECT count(*) FROM logs WHERE message LIKE '%LedgerSkew%' UNION ALL SELECT count(*) FROM logs", 243),
        ("SELECT (SELECT count(*) FROM logs) + count(*) FROM logs WHERE message LIKE '%LedgerSkew%'", 243),
        ("SELECT count(*) FROM logs WHERE message LIKE '%LedgerSkew%' AND event_id IN (SELECT event_id FROM logs)", 3),
        ("SELECT count(*) FROM logs WHERE message LIKE '%LedgerSkew%' "
         "UNION ALL SELECT count(*) FROM logs WHERE message LIKE '%req-4%'", 4),
        # an outer join: never pruned, even where the answer would survive it
        ("SELECT count(*) FROM (VALUES 1) AS v(x) LEFT JOIN logs l ON true WHERE l.message LIKE '%LedgerSkew%'", 3),
        ("SELECT count(*) FROM logs l LEFT JOIN (VALUES 1) AS v(x) ON true WHERE l.message LIKE '%LedgerSkew%'", 3),
        # `message` that is not the table's column
        ("SELECT count(*) FROM logs CROSS JOIN (SELECT 'LedgerSkew' AS message) m WHERE m.message LIKE '%Ledg%'", 240),
        ("WITH logs AS (SELECT 'LedgerSkew' AS message) SELECT count(*) FROM logs WHERE message LIKE '%Ledger%'", 1),
        # a subquery that is not a plain SELECT * filter: its LIMIT picks rows before the outer WHERE
        ("SELECT count(*) FROM (SELECT * FROM logs ORDER BY event_id LIMIT 100) s WHERE s.message LIKE '%Ledger%'", 2),
        ("WITH x AS (SELECT * FROM logs) SELECT count(*) FROM x WHERE message LIKE '%LedgerSkew%'", 3),
        # `*` that replaces message: the outer condition is not on the table's message
        ("SELECT count(*) FROM (SELECT * REPLACE ('LedgerSkew' AS message) FROM logs) s WHERE s.message LIKE '%Ledg%'",
         240),
        # unqualified `message` beside a LATERAL VIEW (which may name one): not pruned, though here it is the table's
        ("SELECT count(*) FROM logs LATERAL VIEW explode(array['x']) t AS m WHERE message LIKE '%LedgerSkew%'", 3),
    ],
)  # fmt: skip
def test_queries_where_a_skip_could_change_the_answer_are_not_pruned(searchable: Lake, sql: str, count: int) -> None:
    rows, engine = _run(searchable, sql)
    assert engine.skips == {}
    full, _ = _run(searchable, sql, use_index=False)
    assert rows == full
    assert sum(row[0] for row in rows) == count


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM logs l WHERE l.message LIKE '%ab%cd%'", {TextCondition("like", "%ab%cd%")}),
        ("SELECT * FROM LOGS WHERE message ILIKE 'x'", {TextCondition("ilike", "x")}),
        (r"SELECT * FROM logs WHERE message LIKE 'a\%' ESCAPE '\'", {TextCondition("like", r"a\%", "\\")}),
        ("SELECT * FROM logs WHERE regexp_like(message, 'a+b') AND (message LIKE 'q')",
         {TextCondition("regex", "a+b"), TextCondition("like", "q")}),
        ("SELECT * FROM logs a, logs b WHERE a.message LIKE 'x' AND b.message LIKE 'x'", {TextCondition("like", "x")}),
        ("SELECT * FROM (SELECT * FROM logs WHERE hour = 1) s WHERE s.message LIKE 'x'", {TextCondition("like", "x")}),
        ("SELECT * FROM (SELECT * FROM logs WHERE message LIKE 'y') AS s WHERE message LIKE 'x'",
         {TextCondition("like", "x"), TextCondition("like", "y")}),
        ("SELECT * FROM logs l JOIN (VALUES 1) v(x) ON true WHERE l.message LIKE 'x'", {TextCondition("like", "x")}),
        # unqualified with two sources, another alias, a message column renamed by position, a sample
        ("SELECT * FROM logs l JOIN (VALUES 1) v(x) ON true WHERE message LIKE 'x'", None),
        ("SELECT * FROM logs l WHERE logs.message LIKE 'x'", None),
        ("SELECT * FROM logs AS l(a, message) WHERE l.message LIKE 'x'", None),
        ("SELECT * FROM (SELECT * FROM logs) AS s(message) WHERE s.message LIKE 'x'", None),
        ("SELECT * FROM logs TABLESAMPLE BERNOULLI (10) WHERE message LIKE 'x'", None),
        ("SELECT * FROM logs a, logs b WHERE a.message LIKE 'x' AND b.message LIKE 'y'", None),
        ("SELECT * FROM logs WHERE message LIKE lower('x')", None),
        ("SELECT * FROM logs WHERE upper(message) LIKE 'X'", None),
        ("SELECT * FROM logs FULL JOIN logs b ON true WHERE logs.message LIKE 'x' AND b.message LIKE 'x'", None),
        ("SELECT * FROM (SELECT DISTINCT * FROM logs) AS s WHERE s.message LIKE 'x'", None),
        # a LATERAL VIEW may name a `message` of its own: unqualified, it is not the table's (DuckDB: ambiguous)
        ("SELECT * FROM logs LATERAL VIEW explode(array['x']) t AS message WHERE message LIKE 'x'", None),
        ("SELECT * FROM logs LATERAL VIEW OUTER explode(array['x']) t AS m WHERE message LIKE 'x'", None),
        ("SELECT * FROM logs LATERAL VIEW explode(array['x']) t AS message WHERE t.message LIKE 'x'", None),
        ("SELECT * FROM logs LATERAL VIEW explode(array['x']) t AS message WHERE logs.message LIKE 'x'",
         {TextCondition("like", "x")}),
    ],
)  # fmt: skip
def test_which_conditions_qualify(sql: str, expected: set[TextCondition] | None) -> None:
    assert text_conditions(sql, {"logs", "other"}) == ({"logs": frozenset(expected)} if expected else {})


def test_like_pieces() -> None:
    assert like_pieces("%ab_cd%ef") == ["ab", "cd", "ef"]
    assert like_pieces(r"%100\%\_done%", "\\") == ["100%_done"]
    assert like_pieces("a!!b!%", "!") == ["a!b%"]
    assert like_pieces("%%__") == []
    assert like_pieces("ab\\", "\\") is None  # DuckDB refuses a pattern that ends in its escape
    assert like_pieces("ab", "xy") is None


def test_a_file_without_a_current_index_is_read(searchable: Lake) -> None:
    store = searchable.store
    clean = sorted(k for k in store.list("clean/logs/") if k.endswith(".parquet"))
    assert len(clean) == 6
    store.put(clean[0], store.get(clean[1]))  # hour 0 now holds hour 1's rows: its index is stale
    store.delete(skip_index.index_key(clean[5]))  # hour 5: no index
    rows, engine = _run(searchable, "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'")
    assert rows == [("h1-17",), ("h1-17",), ("h1-3",), ("h1-3",), ("h4-8",)]
    assert _read(engine) == (4, 2, 2)
    assert rows == _run(searchable, "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'", use_index=False)[0]


def test_since_keeps_the_skip(searchable: Lake) -> None:
    """--since wraps the table in `(SELECT * FROM logs WHERE <range>) AS logs`: the LIKE outside still prunes."""
    hour3 = datetime.fromtimestamp(T0 / 1000 + 3 * 3600, UTC)
    sql = apply_time_range(
        "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'", TimeRange(since=hour3), ["logs"]
    )
    rows, engine = _run(searchable, sql)
    assert rows == [("h4-8",)]
    assert _read(engine) == (2, 4, 0)


def test_explain_says_how_many_files_the_index_skipped(searchable: Lake) -> None:
    with DuckDBEngine(searchable.store) as engine:
        plans = explain(engine, "SELECT message FROM logs WHERE message LIKE '%LedgerSkew%' AND hour >= 1")
    (plan,) = plans
    assert (len(plan.files), plan.skipped_by_index, plan.read_without_index, plan.table_files) == (2, 3, 0, 6)
    assert plan.partitions == [("2025-11-28", 1), ("2025-11-28", 4)]
    assert plan.skip_conditions == ["message LIKE '%LedgerSkew%'"]
    text = render_plan(plans)
    assert "logs: 2 partitions, 2 of 6 files" in text
    assert "skip index (message LIKE '%LedgerSkew%'): 3 of 5 files skipped, 0 read without a current index" in text
    with DuckDBEngine(searchable.store, use_skip_index=False) as engine:
        (full,) = explain(engine, "SELECT message FROM logs WHERE message LIKE '%LedgerSkew%' AND hour >= 1")
    assert (len(full.files), full.skipped_by_index, full.skip_conditions) == (5, 0, [])
    assert plan.bytes < full.bytes


def test_cli_explain_prints_the_skip(searchable: Lake, run_cli: Any) -> None:
    code, out, _err = run_cli(
        "query", "--lake", str(searchable.store.uri).removeprefix("file://"), "--explain",
        "SELECT count(*) FROM logs WHERE message LIKE '%LedgerSkew%'",
    )  # fmt: skip
    assert code == 0
    assert "logs: 2 partitions, 2 of 6 files" in out
    assert "skip index (message LIKE '%LedgerSkew%'): 4 of 6 files skipped" in out


def test_python_api_query_skips(searchable: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    import loglake
    from loglake.query import engine as engine_module

    kept: list[list[str]] = []
    may_match = engine_module.may_match

    def recording(*args: Any) -> list[str]:
        kept.append(may_match(*args))
        return kept[-1]

    monkeypatch.setattr(engine_module, "may_match", recording)
    lake = loglake.connect(str(searchable.store.uri).removeprefix("file://"))
    result = lake.query("SELECT count(*) AS n FROM logs WHERE message LIKE '%LedgerSkew%'")
    assert result.dicts() == [{"n": 3}]
    assert [len(files) for files in kept] == [2]
    result.close()


def test_s3_lake_reads_indexes_only_of_the_partitions_kept(s3_lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(s3_lake, hours=3)
    asked: list[str] = []
    read_for = skip_index.read_for

    def counting(store: Any, key: str, version: str | None, check: int) -> Any:
        asked.append(key.split("/")[3])
        return read_for(store, key, version, check)

    monkeypatch.setattr(skip_index, "read_for", counting)
    rows, engine = _run(s3_lake, "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'")
    assert rows == [("h1-17",), ("h1-3",)]
    assert _read(engine) == (1, 2, 0) and asked == ["hour=00", "hour=01", "hour=02"]
    asked.clear()
    rows, engine = _run(s3_lake, "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%' AND hour = 2")
    assert rows == [] and asked == ["hour=02"]
    assert _read(engine) == (0, 1, 0)
    full, _ = _run(s3_lake, "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'", use_index=False)
    assert full == [("h1-17",), ("h1-3",)]
    with DuckDBEngine(s3_lake.store) as engine:
        (plan,) = explain(engine, "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'")
    assert (len(plan.files), plan.skipped_by_index, plan.partitions) == (1, 2, [("2025-11-28", 1)])


def test_a_table_without_message_is_not_pruned(searchable: Lake) -> None:
    """Without a `message` column in the table, `message` in its subquery names the outer query's column."""
    from loglake.lake.schema_registry import SchemaRegistry

    def drop_message(schema: Any) -> bool:
        schema.columns = [c for c in schema.columns if c.name != "message"]
        return True

    SchemaRegistry(searchable.store).update("logs", drop_message)
    sql = (
        "SELECT count(*) FROM (VALUES 'Quixotic') AS o(message) "
        "WHERE EXISTS (SELECT 1 FROM logs WHERE message LIKE '%Quixotic%')"
    )
    rows, engine = _run(searchable, sql)
    assert rows == [(1,)] and engine.skips == {}


def test_after_compaction_each_event_once_and_a_compacted_file_without_index_read(lake: Lake) -> None:
    from loglake.lake.compaction import compact, is_compacted

    for hour in range(3):
        for part in range(2):  # two raw objects per hour: two clean files to compact into one
            write_messages(
                lake.store, "/svc/c", _messages(hour if (hour, part) == (1, 1) else 0),
                id_prefix=f"h{hour}p{part}-", stream=f"s{hour}-{part}", timestamp=T0 + hour * HOUR + part,
            )  # fmt: skip
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    sql = "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'"
    before, engine = _run(lake, sql)
    assert before == [("h1p1-17",), ("h1p1-3",)] and _read(engine) == (1, 5, 0)
    report = compact(lake.store, ["logs"], older_than_s=0, target_bytes=1 << 20, grace_s=3600)
    assert (report.totals()["inputs"], report.totals()["outputs"]) == (6, 3)
    after, engine = _run(lake, sql)
    assert after == before and _read(engine) == (1, 2, 0)  # compaction wrote its files' indexes
    compacted = sorted(engine.skips["logs"].read)
    (hour0,) = [k for k in lake.store.list("clean/logs/dt=2025-11-28/hour=00/") if is_compacted(k)]
    lake.store.delete(skip_index.index_key(hour0))  # a compacted file without an index: read
    again, engine = _run(lake, sql)
    assert again == before and _read(engine) == (2, 1, 1)
    assert set(compacted) < set(engine.skips["logs"].read)
    assert again == _run(lake, sql, use_index=False)[0]


def test_an_iceberg_file_rewritten_under_icebergs_own_folder_is_skipped_as_explain_says(lake: Lake) -> None:
    """A re-drive rewrites a file Iceberg named (`data/dt=D/hour=5/`, as OPTIMIZE writes) without the object's
    rows, with its index (lake/iceberg.py _remove_object): that file is left out of what DuckDB reads, not
    only counted as skipped. Before, the view's filter saw it as `clean/logs/dt=D/hour=05/<name>`, no key in
    the skipped set, so DuckDB read it while --explain said skipped."""
    from pyiceberg.expressions import And, EqualTo

    from loglake.lake import iceberg
    from loglake.lake.compaction import live_files

    settings = EtlSettings(table_format="iceberg", output_format="parquet")
    write_messages(lake.store, "/svc/i", _messages(0), id_prefix="a-", stream="sa", timestamp=T0 + 5 * HOUR)
    (redriven,) = pending_raw_objects(lake)
    write_messages(lake.store, "/svc/i", _messages(2), id_prefix="b-", stream="sb", timestamp=T0 + 5 * HOUR + 1)
    write_messages(lake.store, "/svc/i", _messages(1), id_prefix="c-", stream="sc", timestamp=T0 + 7 * HOUR)
    run_etl(lake, pending_raw_objects(lake), settings, workers=1)
    table = iceberg.catalog(lake.store).load_table((iceberg.namespace(lake.store), "logs"))
    hour = And(EqualTo("dt", "2025-11-28"), EqualTo("hour", 5))
    table.overwrite(table.scan(row_filter=hour).to_arrow(), overwrite_filter=hour)  # OPTIMIZE: one file of a, b
    run_etl(lake, [redriven], settings, workers=1, force=True)  # b's rows rewritten into data/dt=.../hour=5/
    live = live_files(lake.store, "logs")
    rewritten = [k for k in live if "/data/dt=2025-11-28/hour=5/" in k]
    assert (
        len(live) == 3
        and len(rewritten) == 1
        and skip_index.index_key(rewritten[0]) in lake.store.list("state/skip_index/logs/")
    )

    sql = "SELECT event_id FROM logs WHERE message LIKE '%LedgerSkew%'"
    rows, engine = _run(lake, sql)
    assert rows == [("c-17",), ("c-3",)] and rows == _run(lake, sql, use_index=False)[0]
    assert _read(engine) == (1, 2, 0)
    assert engine.skips["logs"].read == [k for k in live if "/hour=07/" in k]
    with DuckDBEngine(lake.store) as engine:
        profile = "\n".join(
            str(row[-1]) for row in engine.con.execute("EXPLAIN ANALYZE " + engine.prepare(sql)).fetchall()
        )
        assert _files_read(profile) == len(engine.skips["logs"].read) == 1

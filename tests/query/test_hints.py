"""The empty-answer hint on a lake whose waf_logs an earlier loglake wrote (its `timestamp` a TIMESTAMP, now AWS's
epoch ms): the table that cannot be read is named with its re-run; it does not turn another table's hint, or
the answer, into the refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import CliRun, write_messages
from loglake.lake import clean_zone
from loglake.lake.open import Lake
from loglake.pipeline import pending_raw_objects, run_etl
from loglake.transform.settings import EtlSettings

WAF_RECORD = (Path(__file__).parents[1] / "events" / "aws_formats" / "waf_docs.log").read_text().splitlines()[0]
"""AWS WAF developer guide's first example record (tests/events/ATTRIBUTION.md)."""
APACHE = '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "-" "curl/8.0"'
REFUSAL = (
    "clean table waf_logs was written by an earlier loglake: its `timestamp` is TIMESTAMP, and is now "
    "BIGINT (epoch milliseconds, as in AWS's table); rewrite its files with `loglake compact --table waf_logs "
    "--rewrite-stale` (every hour of the table, exactly)"
)


@pytest.fixture
def stale(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Lake:
    """waf_logs as the previous loglake wrote it, beside logs and apache_logs (this version's)."""
    with monkeypatch.context() as before:
        before.setattr(clean_zone, "TIMESTAMP_TYPES", {})
        write_messages(lake.store, "/waf", [WAF_RECORD], id_prefix="w")
        run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    write_messages(lake.store, "/app", ["started"], id_prefix="a")
    write_messages(lake.store, "/web", [APACHE, APACHE], id_prefix="b")
    run_etl(lake, pending_raw_objects(lake), EtlSettings(), workers=1)
    return lake


def test_a_stale_table_does_not_break_the_hint_for_another(stale: Lake, run_cli: CliRun) -> None:
    sql = "SELECT count(*) AS n FROM logs WHERE log_group = '/web'"
    code, out, err = run_cli("query", "--lake", stale.store.uri, "-f", "csv", sql)
    assert (code, out) == (0, "n\n0\n")
    assert err.splitlines()[-2:] == [
        "hint: no rows from logs, but log group '/web' has events in other tables (2 in apache_logs); formats have "
        "tables of their own, see `loglake tables`",
        f"hint: waf_logs not searched: {REFUSAL}",
    ]


def test_a_stale_table_alone_is_named_not_raised(stale: Lake, run_cli: CliRun) -> None:
    sql = "SELECT count(*) AS n FROM logs WHERE log_group = '/waf'"
    code, out, err = run_cli("query", "--lake", stale.store.uri, "-f", "csv", sql)
    assert (code, out) == (0, "n\n0\n")
    assert err.splitlines()[-1] == f"hint: waf_logs not searched: {REFUSAL}"

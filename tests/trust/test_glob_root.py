"""A lake folder whose name has glob characters reads its own files, not a sibling's (issue 11, item 9).

DuckDB globs every path it reads, so `<root>/clean/logs/*/*/*.parquet` under a root named `g[x]` would
match `gx/clean/...`: the store escapes the root (`g[[]x]`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest

from conftest import CliRun
from loglake.lake.local_store import LocalStore
from loglake.lake.open import Lake
from loglake.lake.store import glob_escape, glob_unescape


@pytest.mark.parametrize(("name", "sibling"), [("g[x]", "gx"), ("g*", "gz"), ("g?", "gq")])
def test_a_lake_named_like_a_glob_reads_only_itself(run_cli: CliRun, tmp_path: Path, name: str, sibling: str) -> None:
    (tmp_path / "mine.log").write_bytes(b'mine 1\nmine 2\n{"mine": broken\n')
    (tmp_path / "other.log").write_bytes(b'other 1\nother 2\nother 3\n{"other": broken\n')
    assert run_cli("ingest", "other.log", "--lake", sibling, cwd=tmp_path)[0] == 0
    assert run_cli("ingest", "mine.log", "--lake", name, cwd=tmp_path)[0] == 0

    sql = (
        "SELECT (SELECT count(*) FROM logs), (SELECT count(*) FROM quarantine), (SELECT count(*) FROM raw_events), "
        "(SELECT min(message) FROM logs)"
    )
    code, out, _err = run_cli("query", "--lake", name, "-f", "json", sql)
    assert (code, list(orjson.loads(out)[0].values())) == (0, [2, 1, 3, "mine 1"])
    code, out, _err = run_cli("verify", "--lake", name, "-f", "json")
    report = orjson.loads(out)
    assert (code, report["raw_events"], report["clean_events"], report["quarantined_events"]) == (0, 3, 2, 1)
    assert len(report["objects"]) == 1


def test_an_s3_lake_under_a_glob_like_prefix_reads_only_itself(s3_lake: Lake, run_cli: CliRun, tmp_path: Path) -> None:
    """S3 objects are read in place: a lake at `g[x]` must not read the sibling prefix `gx`."""
    (tmp_path / "app.log").write_bytes(b"one\ntwo\n")
    (tmp_path / "other.log").write_bytes(b"three\nfour\nfive\n")
    assert run_cli("ingest", "other.log", "--lake", "s3://loglake-test/gx", cwd=tmp_path)[0] == 0
    assert run_cli("ingest", "app.log", "--lake", "s3://loglake-test/g[x]", cwd=tmp_path)[0] == 0
    count = "SELECT (SELECT count(*) FROM logs) AS n, (SELECT count(*) FROM raw_events) AS r"
    assert run_cli("query", "--lake", "s3://loglake-test/g[x]", "-f", "csv", count)[1] == "n,r\n2,2\n"
    assert run_cli("query", "--lake", "s3://loglake-test/gx", "-f", "csv", count)[1] == "n,r\n3,3\n"


def test_glob_escape_is_undone_exactly(tmp_path: Path) -> None:
    for path in ["/data/g[x]/lake", "/a*b?c/[[]", "/plain/path", "/x]y/[*]"]:
        assert glob_unescape(glob_escape(path)) == path
    assert glob_escape("/d/g[x]*?") == "/d/g[[]x][*][?]"
    root = tmp_path / "g[x]"
    assert LocalStore(root).glob("raw/**/*.json.gz") == f"{str(tmp_path).replace('[', '[[]')}/g[[]x]/raw/**/*.json.gz"


def test_the_etl_reads_its_own_raw_object_under_a_glob_like_root(run_cli: CliRun, tmp_path: Path) -> None:
    """The same file ingested into `gx` and `g[x]` has the same raw key; the ETL of `g[x]` must read its own."""
    (tmp_path / "app.log").write_bytes(b"one\ntwo\n")
    assert run_cli("ingest", "app.log", "--lake", "gx", "--no-etl", cwd=tmp_path)[0] == 0
    assert run_cli("ingest", "app.log", "--lake", "g[x]", "--no-etl", cwd=tmp_path)[0] == 0
    [key] = [p.relative_to(tmp_path / "gx") for p in (tmp_path / "gx" / "raw").rglob("*.json.gz")]
    # The sibling's copy of that object now holds other events: reading it would be a wrong answer.
    shutil.copy(tmp_path / "g[x]" / key, tmp_path / "gx" / key)
    (tmp_path / "gx" / key).write_bytes((tmp_path / "gx" / key).read_bytes()[:-8])  # and a broken one
    code, out, err = run_cli("etl", "--lake", "g[x]", cwd=tmp_path)
    assert code == 0, err
    assert "2 clean rows" in out

"""A process killed just before any of its renames into the lake leaves nothing a reader counts (issue 10, item 10).

Each run is killed (SIGKILL, through LocalStore's test hook) just before its Nth rename, for every N until
a run completes. After each crash the same command is run again, and the lake must hold exactly the
distinct events: no temporary file read as data, none left behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import orjson

from conftest import CliRun
from loglake.lake.local_store import CRASH_HOOK, TMP_DIR

# Two files, three raw events each (one is not valid JSON: quarantined), so 6 = 5 clean + 1 quarantined.
APP = b'{"level":"info","msg":"started","n":1}\n{"level":"error","msg":"failed","n":2}\n{"msg": broken\n'
WORKER = b"2026-11-26T10:00:00Z INFO job 1\n2026-11-26T10:00:01Z WARN job 2\n2026-11-26T10:00:02Z INFO job 3\n"


def crashing(args: list[str], cwd: Path, n: int) -> int:
    """`loglake ARGS` in its own process, killed just before its nth rename; its exit status."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGLAKE_")} | {CRASH_HOOK: str(n)}
    return subprocess.run(
        [sys.executable, "-m", "loglake", *args], cwd=cwd, env=env, capture_output=True, timeout=120
    ).returncode


def lake_files(lake: Path) -> list[str]:
    return sorted(p.relative_to(lake).as_posix() for p in lake.rglob("*") if p.is_file())


def assert_exactly_the_events(run_cli: CliRun, lake: Path, *, query: bool = False) -> None:
    """verify's counts come from the same views as every query's, so a copy read as data shows there."""
    code, out, err = run_cli("verify", "--lake", str(lake), "-f", "json")
    report = orjson.loads(out)
    assert (code, err) == (0, "")
    assert (report["ok"], report["raw_events"], report["clean_events"], report["quarantined_events"]) == (
        True,
        6,
        5,
        1,
    )
    assert [o["status"] for o in report["objects"]] == ["ok", "ok"]
    if query:
        sql = "SELECT (SELECT count(*) FROM logs) AS clean, (SELECT count(*) FROM quarantine) AS quarantined"
        assert run_cli("query", "--lake", str(lake), "-f", "csv", sql)[1] == "clean,quarantined\n5,1\n"
    assert [f for f in lake_files(lake) if f.startswith(f"{TMP_DIR}/")] == []
    assert [f for f in lake_files(lake) if Path(f).name.startswith(".tmp-")] == []


def test_ingest_killed_before_any_rename_then_run_again(run_cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "app.log").write_bytes(APP)
    (tmp_path / "worker.log").write_bytes(WORKER)
    crashes = 0
    while True:
        lake = tmp_path / f"lake-{crashes + 1}"
        status = crashing(["ingest", "app.log", "worker.log", "--lake", str(lake)], tmp_path, crashes + 1)
        if status == 0:
            break
        assert status == -signal.SIGKILL
        crashes += 1
        # Writes cut short (one per ETL worker at most) are temporary files under .tmp/, never beside a target.
        assert 1 <= len([f for f in lake_files(lake) if f.startswith(f"{TMP_DIR}/")]) <= 2
        assert run_cli("ingest", "app.log", "worker.log", "--lake", str(lake), cwd=tmp_path)[0] == 0
        assert_exactly_the_events(run_cli, lake)
    assert_exactly_the_events(run_cli, lake, query=True)
    # Every object the completed run wrote was a crash point (raw batches, checkpoints, schema, outputs, manifests).
    assert crashes >= len([f for f in lake_files(lake) if not f.startswith(".")])


def test_etl_force_killed_before_any_rename_then_run_again(run_cli: CliRun, tmp_path: Path) -> None:
    (tmp_path / "app.log").write_bytes(APP)
    (tmp_path / "worker.log").write_bytes(WORKER)
    done = tmp_path / "done"
    assert run_cli("ingest", "app.log", "worker.log", "--lake", str(done), cwd=tmp_path)[0] == 0
    crashes = 0
    while True:
        lake = tmp_path / f"lake-{crashes + 1}"
        shutil.copytree(done, lake)
        status = crashing(["etl", "--force", "--lake", str(lake)], tmp_path, crashes + 1)
        if status == 0:
            break
        assert status == -signal.SIGKILL
        crashes += 1
        # Every object is rewritten under the key it had, so even before the re-run nothing is counted twice.
        code, out, _err = run_cli("verify", "--lake", str(lake), "-f", "json")
        assert (code, orjson.loads(out)["clean_events"]) == (0, 5)
        assert run_cli("etl", "--force", "--lake", str(lake))[0] == 0
        assert_exactly_the_events(run_cli, lake)
    assert_exactly_the_events(run_cli, lake, query=True)
    assert crashes >= len([f for f in lake_files(lake) if f.startswith(("clean/", "quarantine/", "state/etl/"))])


def test_copies_left_beside_their_targets_by_earlier_versions_are_removed(run_cli: CliRun, tmp_path: Path) -> None:
    """Before .tmp/, a killed write left `.tmp-<random><name>` beside its target, which globs read as data."""
    (tmp_path / "app.log").write_bytes(APP)
    (tmp_path / "worker.log").write_bytes(WORKER)
    lake = tmp_path / "lake"
    assert run_cli("ingest", "app.log", "worker.log", "--lake", str(lake), cwd=tmp_path)[0] == 0
    clean = next(p for p in lake.rglob("*.parquet"))
    old, young = clean.with_name(".tmp-k2j4" + clean.name), clean.with_name(".tmp-x9q1" + clean.name)
    shutil.copyfile(clean, old)
    shutil.copyfile(clean, young)
    os.utime(old, (0, 0))
    (lake / TMP_DIR / ".legacy-swept").rmdir()  # as in a lake written by an earlier version
    sql = "SELECT count(*) AS n FROM logs"
    # Views read the live file list (lake/compaction.py), which never names them; a glob counted them.
    assert run_cli("query", "--lake", str(lake), "-f", "csv", sql)[1] == "n\n5\n"

    assert run_cli("etl", "--lake", str(lake))[0] == 0  # nothing to do, but the run starts with a sweep
    assert not old.exists()
    assert young.exists()  # it may be a write in progress by an earlier version: left until it is old
    assert run_cli("query", "--lake", str(lake), "-f", "csv", sql)[1] == "n\n5\n"
    os.utime(young, (0, 0))
    code, out, _err = run_cli("verify", "--lake", str(lake), "-f", "json")  # verify sweeps too
    assert (code, orjson.loads(out)["clean_events"]) == (0, 5)
    assert not young.exists()
    assert_exactly_the_events(run_cli, lake, query=True)


def test_a_live_write_is_never_swept(tmp_path: Path) -> None:
    from loglake.lake.local_store import LocalStore

    writer, other = LocalStore(tmp_path / "lake"), LocalStore(tmp_path / "lake")
    seen: list[list[str]] = []

    def write(out: object) -> None:
        leftovers = sorted(p.name for p in (tmp_path / "lake" / TMP_DIR).iterdir() if not p.name.startswith("."))
        seen.append([*other.sweep(), *leftovers])  # another run starts while this write is in progress

    writer._atomic_write("state/doc.json", write)  # type: ignore[arg-type]
    [(written,)] = [tuple(s) for s in seen]
    assert written.startswith(f"{os.getpid()}-")  # the sweep removed nothing; the temp file was still there
    assert (tmp_path / "lake" / "state" / "doc.json").exists()
    assert [p.name for p in (tmp_path / "lake" / TMP_DIR).iterdir() if not p.name.startswith(".")] == []


def test_a_sweep_leaves_a_live_writers_unlocked_new_file_alone(tmp_path: Path) -> None:
    """A writer creates its temporary file, then locks it: a sweep in another process in between must not
    remove it (the writer's rename would fail). A dead writer's file goes at once."""
    from loglake.lake.local_store import TMP_DIR, LocalStore

    folder = tmp_path / "lake" / TMP_DIR
    folder.mkdir(parents=True)
    (tmp_path / "lake" / "raw").mkdir()
    live = folder / f"{os.getpid()}-0123456789abcdef"
    live.write_bytes(b"being written")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = folder / f"{dead.stdout.strip()}-fedcba9876543210"
    gone.write_bytes(b"left by a crash")
    LocalStore(tmp_path / "lake").sweep()
    assert live.exists() and not gone.exists()

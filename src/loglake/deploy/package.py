"""`loglake package`: the Lambda artifact, built without docker.

pip downloads the manylinux wheels of loglake's core dependencies (duckdb, orjson) for the chosen
runtime and architecture, and the loglake package itself is copied from where it is installed. boto3
is left out: every Lambda Python runtime ships it. The zip is byte-for-byte reproducible (sorted
entries, fixed timestamps), so its hash names it and an unchanged build never redeploys code.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from loglake.errors import PackageError

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024
RUNTIMES = {"python3.12": "3.12", "python3.13": "3.13"}
ARCHITECTURES = {"x86_64": "x86_64", "arm64": "aarch64"}
# duckdb 2.x wheels are manylinux_2_27/2_28; the python3.12+ runtimes run Amazon Linux 2023 (glibc 2.34).
MANYLINUX = ("manylinux_2_28", "manylinux_2_27", "manylinux2014")
LEFT_OUT = ("__pycache__", ".pyc")
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Artifact:
    path: Path
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    largest: list[tuple[str, int]]
    """Top-level folders of the artifact with their unzipped sizes, largest first."""

    @property
    def key(self) -> str:
        return f"loglake/lambda-{self.sha256[:16]}.zip"


LAMBDA_PACKAGES = ("duckdb", "orjson")
"""What the handlers import: the artifact's own list. The package's dependencies also hold the CLI's (typer,
rich, sqlglot), which the Lambda never imports; only the versions are taken from the package's metadata."""


def lambda_requirements() -> list[str]:
    """The requirements of LAMBDA_PACKAGES as the installed package pins them."""
    requires = [r for r in metadata.requires("loglake") or [] if "extra ==" not in r]
    chosen = [r for r in requires if re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0].lower() in LAMBDA_PACKAGES]
    if len(chosen) != len(LAMBDA_PACKAGES):
        raise PackageError(
            f"loglake's metadata pins {chosen}, not one requirement each of {', '.join(LAMBDA_PACKAGES)}; "
            "reinstall loglake (pip install -e .) and run `loglake package` again"
        )
    return chosen


def _install_wheels(target: Path, runtime: str, architecture: str) -> None:
    machine = ARCHITECTURES[architecture]
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--implementation",
        "cp",
        "--python-version",
        RUNTIMES[runtime],
        "--only-binary=:all:",
        *(arg for tag in MANYLINUX for arg in ("--platform", f"{tag}_{machine}")),
        *lambda_requirements(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PackageError(
            f"pip could not fetch the Lambda wheels for {runtime}/{architecture}:\n{done.stderr.strip()}"
        )


def _copy_loglake(target: Path) -> None:
    source = Path(__file__).resolve().parents[1]
    shutil.copytree(source, target / "loglake", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def _zip(folder: Path, out: Path) -> tuple[int, int, dict[str, int]]:
    unzipped = 0
    files = 0
    by_top: dict[str, int] = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            if any(part in relative for part in LEFT_OUT):
                continue
            info = zipfile.ZipInfo(relative, ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            data = path.read_bytes()
            archive.writestr(info, data)
            unzipped += len(data)
            files += 1
            top = relative.split("/", 1)[0]
            by_top[top] = by_top.get(top, 0) + len(data)
    return unzipped, files, by_top


def build_artifact(out: Path, runtime: str = "python3.12", architecture: str = "x86_64") -> Artifact:
    if runtime not in RUNTIMES:
        raise PackageError(f"unsupported runtime {runtime!r}: choose {', '.join(RUNTIMES)} (duckdb 2.x needs 3.12+)")
    if architecture not in ARCHITECTURES:
        raise PackageError(f"unsupported architecture {architecture!r}: choose {', '.join(ARCHITECTURES)}")
    with tempfile.TemporaryDirectory(prefix="loglake-package-") as work:
        folder = Path(work) / "lambda"
        _install_wheels(folder, runtime, architecture)
        _copy_loglake(folder)
        unzipped, files, by_top = _zip(folder, out)
    if unzipped > LAMBDA_UNZIPPED_LIMIT:
        raise PackageError(f"the artifact is {unzipped / 2**20:.1f} MiB unzipped, over Lambda's 250 MiB limit")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    largest = sorted(by_top.items(), key=lambda item: -item[1])[:5]
    return Artifact(out, digest, out.stat().st_size, unzipped, files, largest)

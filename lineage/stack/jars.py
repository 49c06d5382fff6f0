"""Resolve the Neo4j Community jars from Maven Central once, and compile the launcher once."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from lineage.stack.errors import DownloadFailed, PrerequisiteMissing, StartFailed
from lineage.stack.settings import StackSettings

__all__ = ["ensure_launcher", "ensure_neo4j_jars", "require_tool"]

_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies"
_LAUNCHER = "Neo4jLauncher.java"


def require_tool(binary: str, what: str, apt_package: str) -> str:
    """The path of ``binary``, or a PrerequisiteMissing that says how to install it."""
    path = shutil.which(binary)
    if path is None:
        raise PrerequisiteMissing(
            f"{what} not found ({binary}); install it with: apt-get install -y {apt_package}"
        )
    return path


def ensure_neo4j_jars(settings: StackSettings) -> Path:
    """The folder holding the Neo4j runtime jars, downloading them on first use."""
    lib = settings.cache_dir / f"neo4j-{settings.neo4j_version}" / "lib"
    marker = lib / ".complete"
    if marker.exists():
        return lib
    mvn = require_tool(settings.mvn_bin, "Maven", "maven")
    require_tool(settings.java_bin, "Java 17+", "openjdk-17-jdk-headless")
    work = lib.parent / "resolve"
    work.mkdir(parents=True, exist_ok=True)
    pom = resources.files("lineage.stack").joinpath("pom.xml").read_text()
    (work / "pom.xml").write_text(pom)
    tmp_lib = lib.parent / "lib.partial"
    shutil.rmtree(tmp_lib, ignore_errors=True)
    argv = [
        mvn, "-B", "-q", _DEPENDENCY_PLUGIN,
        f"-Dneo4j.version={settings.neo4j_version}",
        f"-DoutputDirectory={tmp_lib}", "-DincludeScope=runtime",
    ]
    result = subprocess.run(argv, cwd=work, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0 or not any(tmp_lib.glob("neo4j-kernel-*.jar")):
        detail = (result.stdout + result.stderr).strip().splitlines()[-3:]
        raise DownloadFailed(
            f"could not resolve Neo4j {settings.neo4j_version} jars from Maven Central "
            f"(mvn exit {result.returncode}: {' | '.join(detail)}); check network access to Maven Central and retry"
        )
    shutil.rmtree(lib, ignore_errors=True)
    tmp_lib.rename(lib)
    marker.write_text(settings.neo4j_version)
    return lib


def ensure_launcher(settings: StackSettings, lib: Path) -> Path:
    """The folder with the compiled launcher class (recompiled when its source changes)."""
    source = resources.files("lineage.stack").joinpath(_LAUNCHER).read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    classes = settings.cache_dir / f"launcher-{settings.neo4j_version}-{digest}"
    if (classes / "Neo4jLauncher.class").exists():
        return classes
    javac = require_tool(settings.javac_bin, "Java compiler (javac 17+)", "openjdk-17-jdk-headless")
    staging = classes.with_suffix(".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / _LAUNCHER).write_bytes(source)
    result = subprocess.run(  # noqa: S603
        [javac, "-cp", f"{lib}/*", "-d", str(staging), str(staging / _LAUNCHER)],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise StartFailed(f"could not compile the Neo4j launcher: {result.stderr.strip()[:500]}")
    shutil.rmtree(classes, ignore_errors=True)
    staging.rename(classes)
    return classes

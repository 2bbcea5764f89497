"""Shared fixtures: paths to sample data, a clean environment, an index, an app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from threadsearch.index import ThreadIndex

    from cluster.launch import DevCluster

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
SEED = ROOT / "index_data" / "000_da0b5a8ba304d53d.txt"
# The real corpora live beside the repository (../shared), as on every developer's
# machine and in CI. Tests that need the bulk files skip cleanly without them.
SHARED = ROOT.parent / "shared"
CORPORA = SHARED / "corpora"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("THREADSEARCH_"):
            monkeypatch.delenv(name)


@pytest.fixture
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip(f"the shared corpora are not at {CORPORA}")
    return CORPORA


# --- an index of the seed, an app over it, and a real server ---------------------------


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the seed, built once per session. Read it; copy it to write."""
    from threadsearch.index import open_index
    from threadsearch.ingest import ingest_paths

    directory = tmp_path_factory.mktemp("seed") / "index"
    index = open_index(directory, create=True)
    try:
        ingest_paths(index, [SEED])
    finally:
        index.close()
    return directory


@pytest.fixture
def seed_index_copy(seed_index_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the seed index, for tests that write to it."""
    import shutil

    return Path(shutil.copytree(seed_index_dir, tmp_path / "index"))


@pytest.fixture
def index(seed_index_dir: Path) -> Iterator[ThreadIndex]:
    """The session's seed index, opened for reading."""
    from threadsearch.index import open_index

    opened = open_index(seed_index_dir)
    yield opened
    opened.close()


@pytest.fixture
def app(seed_index_dir: Path) -> Iterator[Flask]:
    from threadsearch.api import create_app

    application = create_app({"TESTING": True, "INDEX": str(seed_index_dir)})
    yield application
    opened = application.extensions.pop("threadsearch", None)
    if opened is not None:
        opened.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    index_dir: Path, log: Path, *options: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``threadsearch serve`` with ``options`` on a loopback port, until the block ends;
    its base URL. Its stderr goes to ``log``; extra ``env`` is added to a clean one."""
    import http.client
    import subprocess
    import sys
    import time

    port = _free_port()
    command = [sys.executable, "-c", "from threadsearch.api.cli import main; main()", "serve"]
    command += ["--index", str(index_dir), "--port", str(port), *options]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("THREADSEARCH_")}
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=ROOT, env=clean | (env or {}), stdout=subprocess.DEVNULL, stderr=stderr
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer /livez in 30 s:\n{log.read_text()}")
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            try:
                connection.request("GET", "/livez")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.005)
            finally:
                connection.close()
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def live_server(seed_index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``threadsearch serve`` (gunicorn, two workers) on a loopback port; its base URL."""
    log = tmp_path_factory.mktemp("server") / "stderr.log"
    with running_server(seed_index_dir, log, "--workers", "2") as url:
        yield url


# --- a live 3-node OpenSearch cluster (cluster/launch.py) --------------------------------


@pytest.fixture(scope="session")
def opensearch_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    """Three OpenSearch nodes on loopback ports, one JVM each, green; stopped at the end.

    Skips, saying why, on a machine without Java and Maven (the nodes' jars come from
    Maven Central into ~/.m2 on the first run).
    """
    pytest.importorskip("opensearchpy", reason="the opensearch extra is not installed")
    from cluster.launch import DevCluster, tools_missing

    missing = tools_missing()
    if missing:
        pytest.skip(f"no OpenSearch cluster: {missing}")
    cluster = DevCluster.create(tmp_path_factory.mktemp("opensearch"), size=3)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()

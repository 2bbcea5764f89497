"""Two writers at once, and readers while a writer works: a real server, a real CLI ingest.

The server is ``threadsearch serve`` (gunicorn) on a loopback port over a copy of the seed
index (27 entries); the ingest is ``threadsearch ingest`` of six R-help months (294
messages) in a subprocess. Counts are exact: the seed, the months, the posted thread.
"""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, running_server
from tests.test_api_writes import THREAD, TOKEN
from tests.test_faults_ingest import CLI, MESSAGES, _SegmentWatch
from tests.test_faults_ingest import months as months  # noqa: F401  (a fixture)

SEED_ENTRIES = 27
#: Entries in the seed index after each commit of the months in batches of 100: a
#: batch closes at the first thread's end at or past 100 entries, inside a file if it
#: must; the months' threads happen to end at 100 and 200, and 94 are left.
COMMITTED = [SEED_ENTRIES, SEED_ENTRIES + 100, SEED_ENTRIES + 200, SEED_ENTRIES + MESSAGES]


@pytest.fixture
def server(seed_index_copy: Path, tmp_path: Path) -> Iterator[str]:
    env = {"THREADSEARCH_API_TOKEN": TOKEN}
    with running_server(seed_index_copy, tmp_path / "server.log", "--workers", "2", env=env) as url:
        yield url


def call(url: str, method: str = "GET", body: Any = None) -> tuple[int, dict[str, str], Any]:
    """Status, headers and JSON body of one request."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {TOKEN}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def entries(server: str) -> int:
    return int(call(f"{server}/search?q=")[2]["total"])


def start_ingest(files: list[Path], index: Path, *options: str) -> subprocess.Popen[str]:
    command = [*CLI, "ingest", *map(str, files), "--index", str(index), "--quiet", *options]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_until_writing(process: subprocess.Popen[str], index: Path) -> None:
    """Until the ingest holds the write lock (its writer's first segment files exist)."""
    watch = _SegmentWatch(index)
    watch()
    while not watch():
        assert process.poll() is None, process.communicate()


def test_post_while_a_cli_ingest_writes_is_503_then_201_and_nothing_is_lost(
    server: str, seed_index_copy: Path, months: list[Path]
) -> None:
    ingest = start_ingest(months, seed_index_copy, "--atomic")
    wait_until_writing(ingest, seed_index_copy)
    for wait in ("0", "0.5"):
        status, headers, body = call(f"{server}/threads?wait={wait}", "POST", THREAD)
        assert (status, headers["Content-Type"]) == (503, "application/problem+json")
        assert headers["Retry-After"] == "5"
        assert body["title"] == "Index busy"
        assert entries(server) == SEED_ENTRIES
    out, err = ingest.communicate(timeout=600)
    assert (ingest.returncode, err) == (0, "")
    assert entries(server) == SEED_ENTRIES + MESSAGES
    status, _, body = call(f"{server}/threads", "POST", THREAD)
    assert (status, body["threads"], body["entries"]) == (201, 1, 2)
    assert entries(server) == SEED_ENTRIES + MESSAGES + 2


def test_post_that_waits_gets_in_between_two_batches(
    server: str, seed_index_copy: Path, months: list[Path]
) -> None:
    ingest = start_ingest(months, seed_index_copy, "--batch-entries", "100", "--wait", "30")
    wait_until_writing(ingest, seed_index_copy)
    status, _, body = call(f"{server}/threads?wait=30", "POST", THREAD)
    assert (status, body["threads"], body["entries"]) == (201, 1, 2)
    ingest.communicate(timeout=600)
    assert ingest.returncode == 0
    assert entries(server) == SEED_ENTRIES + MESSAGES + 2


def test_cli_ingest_while_another_ingest_writes_waits_then_exits_75(
    seed_index_copy: Path, months: list[Path], tmp_path: Path
) -> None:
    from tests.conftest import SEED

    first = start_ingest(months, seed_index_copy, "--atomic")
    wait_until_writing(first, seed_index_copy)
    second = subprocess.run(
        [*CLI, "ingest", str(SEED), "--index", str(seed_index_copy), "--atomic", "--wait", "0.5"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert second.returncode == 75
    assert second.stderr.splitlines()[0] == "another writer holds the index; waiting up to 0.5 s"
    assert second.stderr.splitlines()[1].startswith(
        f"error: the index at {seed_index_copy} is busy: another writer"
    )
    first.communicate(timeout=600)
    assert first.returncode == 0
    with_months = subprocess.run(
        [*CLI, "search", "", "--index", str(seed_index_copy), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(with_months.stdout)["total"] == SEED_ENTRIES + MESSAGES


def test_readers_during_a_batched_ingest_see_whole_commits_without_errors(
    server: str, seed_index_copy: Path, months: list[Path]
) -> None:
    ingest = start_ingest(months, seed_index_copy, "--batch-entries", "100")
    seen: list[list[int]] = [[] for _ in range(8)]
    errors: list[str] = []
    done = threading.Event()

    def read(number: int) -> None:
        queries = ["/search?q=&facet=kind", "/search?q=help&facet=kind&facet=year"]
        last_round = False
        while not last_round:
            # The round that starts after the ingest ended must see its last commit.
            last_round = done.is_set()
            for query in queries:
                status, _, body = call(server + query)
                kinds = body.get("facets", {}).get("kind", {}).get("values", [])
                if status != 200 or sum(kind["count"] for kind in kinds) != body["total"]:
                    errors.append(f"{query}: {status} {body}")
                elif query.endswith("q=&facet=kind"):
                    seen[number].append(body["total"])

    readers = [threading.Thread(target=read, args=(n,)) for n in range(8)]
    for reader in readers:
        reader.start()
    try:
        ingest.communicate(timeout=600)
    finally:
        done.set()
        for reader in readers:
            reader.join()
    assert ingest.returncode == 0
    assert errors == []
    for totals in seen:
        assert set(totals) <= set(COMMITTED)  # never a half-written batch
        assert totals == sorted(totals)  # never an older generation after a newer one
        assert totals[-1] == COMMITTED[-1]

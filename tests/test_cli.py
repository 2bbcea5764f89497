"""The threadsearch command: the same bodies as the API, help with examples, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from threadsearch.api.cli import main
from threadsearch.index import open_index
from threadsearch.query.engine import stats

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "index_data" / "000_da0b5a8ba304d53d.txt"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def json_of(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def api_body(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_json()


def test_search_json_is_the_api_body(client: FlaskClient, seed_index_dir: Path) -> None:
    cli = json_of(
        invoke(
            "search", "bounty hunters", "--facet", "kind", "--json", "--index", str(seed_index_dir)
        )
    )
    api = api_body(client, "/search?q=bounty+hunters&facet=kind")
    assert list(cli) == list(api)
    cli.pop("took_ms")
    api.pop("took_ms")
    assert cli == api
    assert cli["total"] == 2


def test_show_json_is_the_api_body(client: FlaskClient, seed_index_dir: Path) -> None:
    thread_id = api_body(client, "/threads")["threads"][0]["id"]
    cli = json_of(invoke("show", thread_id, "--json", "--index", str(seed_index_dir)))
    assert cli == api_body(client, f"/threads/{thread_id}")
    assert len(cli["entries"]) == 27


def test_show_json_of_an_entry(client: FlaskClient, seed_index_dir: Path) -> None:
    thread_id = api_body(client, "/threads")["threads"][0]["id"]
    entry_id = api_body(client, f"/threads/{thread_id}")["entries"][20]["id"]
    cli = json_of(invoke("show", entry_id, "--json", "--index", str(seed_index_dir)))
    assert cli == api_body(client, f"/entries/{entry_id}")


def test_stats_json_is_the_api_body(client: FlaskClient, seed_index_dir: Path) -> None:
    cli = json_of(invoke("stats", "--json", "--index", str(seed_index_dir)))
    assert cli == api_body(client, "/stats")
    assert cli["entries"] == 27


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["ingest", "--help"]])
def test_help_exits_0(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 0
    assert result.output.startswith("Usage: ")


def test_top_help_lists_example_commands() -> None:
    output = invoke("--help").output
    assert "threadsearch ingest index_data/" in output
    assert 'threadsearch search "bounty hunters" --facet kind' in output


def test_search_help_has_an_examples_section() -> None:
    output = invoke("search", "--help").output
    assert "Examples:" in output
    assert "threadsearch search refugee --facet kind --facet day" in output


def test_search_on_no_index(tmp_path: Path) -> None:
    result = invoke("search", "x", "--index", str(tmp_path / "none"))
    assert result.exit_code == 1
    assert f"no threadsearch index at {tmp_path / 'none'}" in result.stderr


# --- bad input: a message naming the file, and the index untouched --------------------


def _state(directory: Path) -> dict[str, Any]:
    index = open_index(directory)
    try:
        body = stats(index)
    finally:
        index.close()
    return {"entries": body.entries, "generation": body.generation, "kinds": body.kinds}


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def _ascii_seed() -> bytes:
    """The seed in latin-1 with one accented word: right format, not UTF-8."""
    text = SEED.read_text(encoding="utf-8")
    return text.encode("latin-1", errors="replace") + "\ncafé\n".encode("latin-1")


BAD_FILES = {
    "empty.txt": b"",
    "binary.dat": b"\x00\x01\x02\x03\xff\xfe" * 200,
    "prose.txt": b"It was a bright cold day in April, and the clocks were striking thirteen.\n"
    b"Winston Smith slipped quickly through the glass doors.\n",
    "latin1.txt": _ascii_seed(),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_ingest_refuses_bad_input(name: str, seed_index_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name])
    before = _state(seed_index_copy)
    result = invoke("ingest", str(bad), "--index", str(seed_index_copy), "--quiet")
    assert result.exit_code != 0
    assert str(bad) in result.stderr
    assert result.stderr.startswith("error: ")
    assert _state(seed_index_copy) == before


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_ingest_after_the_seed_refuses_bad_input(
    name: str, seed_index_copy: Path, tmp_path: Path
) -> None:
    bad = tmp_path / name
    bad.write_bytes(BAD_FILES[name])
    before = _state(seed_index_copy)
    result = invoke("ingest", str(SEED), str(bad), "--index", str(seed_index_copy), "--quiet")
    assert result.exit_code != 0
    assert str(bad) in result.stderr
    assert _state(seed_index_copy) == before


def test_ingest_the_seed_twice_skips_it(seed_index_copy: Path) -> None:
    result = invoke("ingest", str(SEED), "--index", str(seed_index_copy), "--quiet", "--json")
    body = json_of(result)
    assert (body["files"], body["skipped"], body["entries"], body["threads"]) == (
        0,
        [str(SEED)],
        0,
        0,
    )
    state = _state(seed_index_copy)
    assert state["entries"] == 27
    assert state["kinds"] == {"comment": 23, "post": 1, "trackback": 3}


def test_ingest_the_seed_twice_atomic_reads_it_again(seed_index_copy: Path) -> None:
    command = ("ingest", str(SEED), "--index", str(seed_index_copy), "--quiet", "--json")
    body = json_of(invoke(*command, "--atomic"))
    assert (body["skipped"], body["entries"], body["threads"]) == ([], 27, 1)
    state = _state(seed_index_copy)
    assert state["entries"] == 27
    assert state["kinds"] == {"comment": 23, "post": 1, "trackback": 3}


def test_failed_ingest_leaves_no_files_behind(seed_index_copy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    before = _files(seed_index_copy)
    result = invoke("ingest", str(SEED), str(bad), "--index", str(seed_index_copy), "--quiet")
    assert result.exit_code == 1
    assert _files(seed_index_copy) == before


# --- a busy index: another process holds the write lock --------------------------------------

HOLDER = """
import sys
import whoosh.index
ix = whoosh.index.open_dir(sys.argv[1], indexname="threadsearch")
writer = ix.writer()
print("held", flush=True)
sys.stdin.readline()
writer.cancel()
"""


def test_ingest_while_another_process_writes_exits_75(seed_index_copy: Path) -> None:
    import subprocess
    import sys

    from tests.test_writes import snapshot

    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(seed_index_copy)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdin is not None and holder.stdout is not None
        try:
            assert holder.stdout.readline() == "held\n"
            before = snapshot(seed_index_copy)
            # --atomic: a batched run would skip the seed, which the index holds.
            result = invoke(
                "ingest", str(SEED), "--index", str(seed_index_copy), "--quiet", "--atomic"
            )
            after = snapshot(seed_index_copy)
        finally:
            holder.stdin.write("\n")
            holder.stdin.close()
    assert holder.returncode == 0
    assert result.exit_code == 75
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: the index at {seed_index_copy} is busy: ")
    assert "--wait SECONDS" in result.stderr
    assert after == before
    again = invoke(
        "ingest", str(SEED), "--index", str(seed_index_copy), "--quiet", "--json", "--atomic"
    )
    assert json_of(again)["entries"] == 27


def test_ingest_help_documents_wait_and_exit_75() -> None:
    output = invoke("ingest", "--help").output
    assert "--wait SECONDS" in output
    assert "75 the index is busy" in output

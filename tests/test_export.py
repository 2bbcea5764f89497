"""threadsearch export: JSON Lines that ingest back into the same documents."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from threadsearch import open_index
from threadsearch.api import create_app
from threadsearch.api.cli import main
from threadsearch.export import iter_index_threads

from tests.conftest import DATA, SEED


def _threads(index_dir: Path) -> dict[str, dict[str, object]]:
    index = open_index(index_dir)
    try:
        return {t.id: dataclasses.asdict(t) for t in iter_index_threads(index)}
    finally:
        index.close()


def test_export_then_ingest_gives_the_same_documents(tmp_path: Path) -> None:
    runner = CliRunner()
    first, second, dump = tmp_path / "a", tmp_path / "b", tmp_path / "dump.jsonl"
    sources = [str(SEED), str(DATA / "wxr" / "cedricporter-zh-2012-threaded.wxr.xml")]
    sources.append(str(DATA / "jsonl" / "threads.jsonl"))  # times stated in UTC and +01:00
    assert runner.invoke(main, ["ingest", *sources, "--index", str(first), "-q"]).exit_code == 0
    result = runner.invoke(main, ["export", "--index", str(first), "-o", str(dump)])
    assert result.exit_code == 0, result.output
    lines = dump.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 104  # the seed's thread, cedricporter's 101, the JSON Lines' 2
    assert runner.invoke(main, ["ingest", str(dump), "--index", str(second), "-q"]).exit_code == 0
    exported = _threads(first)
    assert _threads(second) == exported
    # Every kind of offset made the trip: none stated (the seed), UTC, and two zones.
    offsets = Counter(
        (entry["utc_offset"], entry["timestamp"] is None)
        for thread in exported.values()
        for entry in thread["entries"]  # type: ignore[attr-defined]
    )
    assert offsets == {
        (480, False): 264,
        (None, False): 28,
        (0, False): 2,
        (None, True): 1,
        (60, False): 1,
    }


def test_export_is_accepted_by_post_threads(tmp_path: Path) -> None:
    runner = CliRunner()
    first, dump = tmp_path / "a", tmp_path / "dump.jsonl"
    sources = [str(SEED), str(DATA / "jsonl" / "threads.jsonl")]
    assert runner.invoke(main, ["ingest", *sources, "--index", str(first), "-q"]).exit_code == 0
    assert runner.invoke(main, ["export", "--index", str(first), "-o", str(dump)]).exit_code == 0
    body = [json.loads(text) for text in dump.read_text(encoding="utf-8").splitlines()]
    second = tmp_path / "b"
    open_index(second, create=True).close()
    app = create_app({"TESTING": True, "INDEX": str(second), "API_TOKEN": "export-token"})
    try:
        response = app.test_client().post(
            "/threads", json=body, headers={"Authorization": "Bearer export-token"}
        )
    finally:
        opened = app.extensions.pop("threadsearch", None)
        if opened is not None:
            opened.close()
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["threads"] == 3
    assert _threads(second) == _threads(first)


def test_export_of_one_thread(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["ingest", str(SEED), "--index", str(tmp_path), "-q"])
    thread_id = next(iter(_threads(tmp_path)))
    result = runner.invoke(main, ["export", "--index", str(tmp_path), "--thread", thread_id])
    thread = json.loads(result.output)
    assert thread["title"] == "The tragedy of North Korean refugees in China"
    assert len(thread["entries"]) == 27
    # The seed states no zone: the time is written in UTC, and utc_offset says no zone.
    assert thread["entries"][1]["timestamp"] == "2005-10-01T14:01:00Z"
    assert thread["entries"][1]["utc_offset"] is None

"""threadsearch export: JSON Lines that ingest back into the same documents."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from click.testing import CliRunner
from threadsearch import open_index
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
    assert runner.invoke(main, ["ingest", *sources, "--index", str(first), "-q"]).exit_code == 0
    result = runner.invoke(main, ["export", "--index", str(first), "-o", str(dump)])
    assert result.exit_code == 0, result.output
    lines = dump.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 102  # the seed's thread and cedricporter's 101
    assert runner.invoke(main, ["ingest", str(dump), "--index", str(second), "-q"]).exit_code == 0
    assert _threads(first) == _threads(second)


def test_export_of_one_thread(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(main, ["ingest", str(SEED), "--index", str(tmp_path), "-q"])
    thread_id = next(iter(_threads(tmp_path)))
    result = runner.invoke(main, ["export", "--index", str(tmp_path), "--thread", thread_id])
    thread = json.loads(result.output)
    assert thread["title"] == "The tragedy of North Korean refugees in China"
    assert len(thread["entries"]) == 27
    assert thread["entries"][1]["timestamp"] == "2005-10-01T14:01:00"

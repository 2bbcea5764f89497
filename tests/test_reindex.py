"""An index of an earlier schema version is refused with a way out, and rebuilt by
``threadsearch reindex`` from the text it stores.

``tests/data/index-v3`` was written by threadsearch with schema version 3 (the release
before per-language analysis) from ``tests/data/jsonl/threads.jsonl`` and
``tests/data/lang/de-threads.jsonl``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from threadsearch import SearchRequest, open_index, search, stats
from threadsearch.api.cli import main
from threadsearch.errors import IndexVersionError
from threadsearch.reindex import index_version, reindex
from threadsearch.schema import SCHEMA_VERSION
from whoosh import index as whoosh_index

from tests.conftest import DATA

OLD = DATA / "index-v3"


@pytest.fixture
def old_index(tmp_path: Path) -> Path:
    directory = tmp_path / "index"
    shutil.copytree(OLD, directory)
    return directory


def _stored(directory: Path) -> list[dict[str, object]]:
    ix = whoosh_index.open_dir(str(directory), indexname="threadsearch")
    try:
        with ix.searcher() as searcher:
            rows = [
                {k: v for k, v in fields.items() if k != "lang"}
                for fields in searcher.all_stored_fields()
            ]
    finally:
        ix.close()
    return sorted(rows, key=lambda f: str(f["id"]))


def test_an_old_index_is_refused_with_how_to_rebuild_it(old_index: Path) -> None:
    with pytest.raises(IndexVersionError) as caught:
        open_index(old_index)
    assert "schema version 3" in caught.value.message
    assert f"threadsearch reindex --index {old_index}" in (caught.value.hint or "")
    result = CliRunner().invoke(main, ["search", "strasse", "--index", str(old_index)])
    assert result.exit_code != 0
    assert "threadsearch reindex" in result.output
    assert "Traceback" not in result.output


def test_reindex_rebuilds_the_stored_text_with_the_new_analysis(old_index: Path) -> None:
    before = _stored(old_index)
    assert index_version(old_index) == 3
    result = CliRunner().invoke(main, ["reindex", "--index", str(old_index)])
    assert result.exit_code == 0, result.output
    assert f"{len(before)} entries" in result.output
    assert index_version(old_index) == SCHEMA_VERSION
    assert json.dumps(_stored(old_index), sort_keys=True, default=str) == json.dumps(
        before, sort_keys=True, default=str
    )
    # Nothing is left beside the index: the rebuilt folder took the old one's place.
    assert sorted(p.name for p in old_index.parent.iterdir()) == ["index"]
    with open_index(old_index) as index:
        assert stats(index).format_version == SCHEMA_VERSION
        hits = search(index, SearchRequest(q="strasse")).hits
        assert {h.id for h in hits} == {
            e["id"] for e in before if "straße" in str(e["body"]).lower()
        } | {e["id"] for e in before if "strasse" in str(e["body"]).lower()}
        assert {h.lang for h in hits} == {"de"}


def test_reindex_of_a_current_index_keeps_it(tmp_path: Path, old_index: Path) -> None:
    reindex(old_index)
    before = _stored(old_index)
    report = reindex(old_index)
    assert report.entries == len(before)
    assert _stored(old_index) == before


def test_stats_shows_the_format_version(seed_index_dir: Path) -> None:
    result = CliRunner().invoke(main, ["stats", "--index", str(seed_index_dir)])
    assert f"format_version: {SCHEMA_VERSION}" in result.output

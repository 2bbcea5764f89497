"""The index: idempotent ingest, all-or-nothing ingest, the schema version, the Whoosh pin."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import whoosh
from threadsearch.errors import IndexVersionError, SearchError, UnknownFormatError
from threadsearch.index import WHOOSH_VERSION, ThreadIndex, check_whoosh_version, open_index
from threadsearch.ingest import IngestOptions, ingest_paths
from threadsearch.model import SearchRequest
from threadsearch.query.engine import search, stats
from threadsearch.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "index_data" / "000_da0b5a8ba304d53d.txt"
SEED_KINDS = {"comment": 23, "post": 1, "trackback": 3}


def summary(index: ThreadIndex) -> dict[str, Any]:
    body = stats(index)
    return {
        k: getattr(body, k) for k in ("entries", "threads", "kinds", "first", "last", "generation")
    }


def test_the_seed_ingests_to_27_entries(index: ThreadIndex) -> None:
    body = stats(index)
    assert body.entries == 27
    assert body.threads == 1
    assert body.kinds == SEED_KINDS


def test_ingesting_twice_leaves_27(tmp_path: Path) -> None:
    index = open_index(tmp_path / "index", create=True)
    try:
        first = ingest_paths(index, [SEED])
        second = ingest_paths(index, [SEED], IngestOptions(atomic=True))
        body = stats(index)
    finally:
        index.close()
    assert first.entries == second.entries == 27
    assert body.entries == 27
    assert body.kinds == SEED_KINDS
    assert body.generation == 2


def test_ingesting_the_same_file_twice_in_one_run(tmp_path: Path) -> None:
    index = open_index(tmp_path / "index", create=True)
    try:
        ingest_paths(index, [SEED, SEED])
        body = stats(index)
    finally:
        index.close()
    assert body.entries == 27
    assert body.kinds == SEED_KINDS


def test_reopening_the_seed_index(seed_index_dir: Path) -> None:
    index = open_index(seed_index_dir)
    try:
        assert stats(index).entries == 27
    finally:
        index.close()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", SearchError),
        (b"\x00\x01\x02\xff" * 100, SearchError),
        (b"Just some prose, in no format at all.\nAnd a second line.\n", UnknownFormatError),
    ],
    ids=["empty", "binary", "prose"],
)
def test_a_failed_ingest_leaves_the_index_as_it_was(
    seed_index_copy: Path, tmp_path: Path, content: bytes, error: type[Exception]
) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_bytes(content)
    index = open_index(seed_index_copy)
    try:
        before = summary(index)
        hits_before = search(index, SearchRequest(q="refugee", per_page=100))
        with pytest.raises(error) as caught:
            ingest_paths(index, [SEED, broken])
        assert str(broken) in str(caught.value)
        assert summary(index) == before
        hits_after = search(index, SearchRequest(q="refugee", per_page=100))
        assert [h.id for h in hits_after.hits] == [h.id for h in hits_before.hits]
    finally:
        index.close()
    reopened = open_index(seed_index_copy)
    try:
        assert summary(reopened) == before
    finally:
        reopened.close()


@pytest.fixture
def failed_first(tmp_path: Path) -> Iterator[ThreadIndex]:
    """An index whose first ingest failed (the seed, then an empty file)."""
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"")
    index = open_index(tmp_path / "index", create=True)
    with pytest.raises(UnknownFormatError):
        ingest_paths(index, [SEED, broken])
    yield index
    index.close()


def test_a_failed_first_ingest_leaves_an_empty_index(failed_first: ThreadIndex) -> None:
    assert failed_first.whoosh.doc_count_all() == 0
    assert failed_first.generation == -1


def test_stats_of_an_index_whose_first_ingest_failed(failed_first: ThreadIndex) -> None:
    body = stats(failed_first)
    assert body.entries == 0
    assert body.generation == -1


def test_search_of_an_empty_index(tmp_path: Path) -> None:
    index = open_index(tmp_path / "index", create=True)
    try:
        result = search(index, SearchRequest(q="refugee"))
    finally:
        index.close()
    assert result.total == 0


def test_another_schema_version_is_refused_with_how_to_rebuild(seed_index_copy: Path) -> None:
    meta_file = seed_index_copy / "threadsearch.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    assert meta["schema_version"] == SCHEMA_VERSION
    meta["schema_version"] = 999
    meta_file.write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(IndexVersionError) as caught:
        open_index(seed_index_copy)
    message = str(caught.value)
    assert "schema version 999" in message
    assert f"reads version {SCHEMA_VERSION}" in message
    # Since schema version 4 the hint names `threadsearch reindex` first.
    assert f"`threadsearch reindex --index {seed_index_copy}`" in message
    assert f"run `threadsearch ingest PATH --index {seed_index_copy}` again" in message


def test_a_missing_index(tmp_path: Path) -> None:
    with pytest.raises(SearchError) as caught:
        open_index(tmp_path / "none")
    assert str(caught.value) == (
        f"no threadsearch index at {tmp_path / 'none'}. "
        "Build one with `threadsearch ingest PATH --index DIR`."
    )


def test_the_whoosh_pin() -> None:
    check_whoosh_version()
    assert tuple(whoosh.__version__[:3]) == (3, 54, 0) == WHOOSH_VERSION

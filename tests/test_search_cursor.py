"""Cursor paging (``search_after``): the same hits as offset paging, each once, and each
old hit exactly once when another writer commits between two pages."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from threadsearch.api.cli import main
from threadsearch.errors import InvalidFilterError
from threadsearch.index import ThreadIndex, open_index
from threadsearch.model import Entry, SearchRequest, Thread
from threadsearch.query.engine import search
from threadsearch.writes import add_threads

ALL = 27  # entries of the seed thread


def page_through(index: ThreadIndex, request: SearchRequest, between: object = None) -> list[str]:
    """Every hit id, a page at a time by cursor; ``between()`` runs after the first page."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        result = search(index, SearchRequest(**{**request.__dict__, "cursor": cursor}))
        ids += [hit.id for hit in result.hits]
        if result.next_cursor is None:
            return ids
        if callable(between) and cursor is None:
            between()
        cursor = result.next_cursor


@pytest.mark.parametrize(
    ("q", "sort"), [("", "newest"), ("", "oldest"), ("", "relevance"), ("refugee", "relevance")]
)
@pytest.mark.parametrize("per_page", [1, 4, 10])
def test_cursor_pages_equal_one_long_page(
    index: ThreadIndex, q: str, sort: str, per_page: int
) -> None:
    whole = search(index, SearchRequest(q=q, sort=sort, per_page=100))
    paged = page_through(index, SearchRequest(q=q, sort=sort, per_page=per_page))
    assert paged == [hit.id for hit in whole.hits]
    assert len(paged) == whole.total == (ALL if not q else 13)


def test_offset_pages_agree_with_cursor_pages(index: ThreadIndex) -> None:
    offset = [
        hit.id
        for page in range(1, 8)
        for hit in search(index, SearchRequest(sort="newest", page=page, per_page=4)).hits
    ]
    assert offset == page_through(index, SearchRequest(sort="newest", per_page=4))


def _thread(tag: str, days: list[int]) -> Thread:
    """A thread with one entry on each of ``days`` of October 2005 (the seed's month)."""
    entries = [
        Entry(id=f"{tag}-{n}", thread_id=tag, kind="post" if n == 0 else "comment",
              position=n, body=f"refugee news number {n}",
              timestamp=datetime(2005, 10, day, 12, 0, tzinfo=timezone.utc))
        for n, day in enumerate(days)
    ]  # fmt: skip
    return Thread(id=tag, title=f"thread {tag}", entries=entries)


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_a_commit_between_pages_gives_each_old_hit_once(seed_index_copy: Path, sort: str) -> None:
    with open_index(seed_index_copy) as index:
        before = [hit.id for hit in search(index, SearchRequest(sort=sort, per_page=100)).hits]
        assert len(before) == ALL

        def commit() -> None:
            # New entries before, among and after the old ones' dates, in three commits
            # (so segments are merged and document numbers change).
            for tag, days in (("early", [1, 2]), ("mid", [2, 5, 11]), ("late", [24, 30, 31])):
                add_threads(index, [_thread(tag, days)])

        paged = page_through(index, SearchRequest(sort=sort, per_page=5), between=commit)
        assert search(index, SearchRequest(per_page=1)).total == ALL + 8
    counts = Counter(paged)
    assert {entry: counts[entry] for entry in before} == dict.fromkeys(before, 1)
    assert [entry for entry in paged if entry in before] == before


def test_http_cursor_round_trip(client: FlaskClient) -> None:
    first = client.get("/search?q=refugee&per_page=5").get_json()
    assert first["total"] == 13 and first["next_cursor"]
    second = client.get(f"/search?q=refugee&per_page=5&cursor={first['next_cursor']}")
    body = second.get_json()
    offset = client.get("/search?q=refugee&per_page=5&page=2").get_json()
    assert [h["id"] for h in body["hits"]] == [h["id"] for h in offset["hits"]]
    third = client.get(f"/search?q=refugee&per_page=5&cursor={body['next_cursor']}").get_json()
    assert len(third["hits"]) == 3 and third["next_cursor"] is None


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ("cursor=bm90IGEgY3Vyc29y", "cursor 'bm90IGEgY3Vyc29y' is not one this server made"),
        ("cursor=%%%", "cursor '%%%' is not one this server made"),
        ("page=2&cursor=x", "a cursor pages on its own: it combines with neither page nor"),
    ],
)
def test_bad_cursors_are_400(client: FlaskClient, query: str, detail: str) -> None:
    response = client.get(f"/search?q=refugee&{query}")
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith(detail)


def test_a_cursor_keeps_its_sort(index: ThreadIndex) -> None:
    cursor = search(index, SearchRequest(sort="newest", per_page=2)).next_cursor
    with pytest.raises(InvalidFilterError, match="made for sort=newest, not sort=oldest"):
        search(index, SearchRequest(sort="oldest", per_page=2, cursor=cursor))


def test_the_cli_pages_by_cursor(seed_index_dir: Path) -> None:
    runner = CliRunner()
    base = ["search", "", "--sort", "oldest", "--per-page", "20", "--index", str(seed_index_dir)]
    first = runner.invoke(main, base)
    assert first.exit_code == 0, first.output
    cursor = first.output.rsplit("Next page: --cursor ", 1)[1].strip()
    rest = runner.invoke(main, [*base, "--cursor", cursor, "--json"])
    assert rest.exit_code == 0, rest.output
    assert rest.output.count('"thread_id"') == ALL - 20

"""The query engine over the seed thread: matching, facets, filters, sorts, snippets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from threadsearch.index import ThreadIndex, open_index
from threadsearch.model import Entry, SearchRequest, SearchResult, Thread
from threadsearch.query.engine import get_thread, list_threads, search
from threadsearch.query.filters import parse_bound

SEED_DAYS = [
    ("2005-10-01", 12),
    ("2005-10-02", 9),
    ("2005-10-03", 1),
    ("2005-10-11", 1),
    ("2005-10-13", 2),
    ("2005-10-24", 1),
    (None, 1),  # the post has no timestamp
]


def run(index: ThreadIndex, **fields: Any) -> SearchResult:
    return search(index, SearchRequest(**fields))


def positions(result: SearchResult) -> list[int]:
    return [hit.position for hit in result.hits]


def facet(result: SearchResult, name: str) -> list[tuple[Any, int, bool]]:
    return [(v.value, v.count, v.selected) for v in result.facets[name].values]


def seed_entries(index: ThreadIndex) -> list[Entry]:
    thread_id = list_threads(index).threads[0].id
    return get_thread(index, thread_id).entries


def test_bounty_hunters_finds_the_post_and_entry_9(index: ThreadIndex) -> None:
    result = run(index, q="bounty hunters", facets=["kind"])
    assert result.total == 2
    assert sorted(positions(result)) == [0, 9]
    assert facet(result, "kind") == [("comment", 1, False), ("post", 1, False)]


def test_phrase_finds_entry_20_alone(index: ThreadIndex) -> None:
    result = run(index, q='"light water reactor"')
    assert result.total == 1
    assert positions(result) == [20]


def test_refugee_finds_entries_that_only_say_refugees(index: ThreadIndex) -> None:
    only_plural = [
        e
        for e in seed_entries(index)
        if "refugees" in e.body.lower() and not re.search(r"\brefugee\b", e.body, re.I)
    ]
    assert only_plural  # the seed has some (the post, entries 4, 12, 19, 23, 24)
    result = run(index, q="refugee", per_page=100)
    assert result.total == 13
    found = {hit.id for hit in result.hits}
    assert {e.id for e in only_plural} <= found


def test_kind_facet_on_an_empty_query(index: ThreadIndex) -> None:
    result = run(index, q="", facets=["kind"])
    assert result.total == 27
    assert facet(result, "kind") == [
        ("comment", 23, False),
        ("trackback", 3, False),
        ("post", 1, False),
    ]


def test_day_facet_on_an_empty_query(index: ThreadIndex) -> None:
    result = run(index, q="", facets=["day"])
    assert [(value, count) for value, count, _ in facet(result, "day")] == SEED_DAYS
    assert result.facets["day"].truncated is False


def test_since_and_until_one_day(index: ThreadIndex) -> None:
    result = run(
        index,
        since=parse_bound("2005-10-02", end=False),
        until=parse_bound("2005-10-02", end=True),
    )
    assert result.total == 9


@pytest.mark.parametrize(("sort", "first"), [("newest", 26), ("oldest", 1)])
def test_date_sorts(index: ThreadIndex, sort: str, first: int) -> None:
    result = run(index, sort=sort, per_page=100)
    assert result.total == 27
    assert positions(result)[0] == first
    # The post, without a timestamp, comes last either way.
    assert positions(result)[-1] == 0


def test_multi_select_facet_keeps_other_kinds(index: ThreadIndex) -> None:
    result = run(index, kind=["trackback"], facets=["kind"])
    assert result.total == 3
    assert positions(result) == [26, 23, 22]
    assert facet(result, "kind") == [
        ("comment", 23, False),
        ("trackback", 3, True),
        ("post", 1, False),
    ]


def test_collapse_by_thread(index: ThreadIndex) -> None:
    plain = run(index, q="refugees")
    collapsed = run(index, q="refugees", collapse="thread")
    assert plain.total == 13
    assert collapsed.total == 1
    assert len(collapsed.hits) == 1
    assert collapsed.hits[0].collapsed == plain.total - 1


def test_suggestion_for_a_misspelling(index: ThreadIndex) -> None:
    result = run(index, q="refugeez")
    assert result.total == 0
    assert result.hits == []
    assert result.suggestion == "refugees"


def test_a_suggested_word_keeps_the_first_letter(index: ThreadIndex) -> None:
    # "country" is as near to "bountyy" (two edits) but does not start with its "b";
    # the OpenSearch backend's term suggester answers the same.
    result = run(index, q="bountyy huntrs")
    assert (result.total, result.suggestion) == (0, "bounty hunters")


def test_snippet_marks_matches_and_escapes_the_rest(tmp_path: Path) -> None:
    body = 'Beware <script>alert("x")</script> & the zanzibar gambit, said Tom & Jerry.'
    thread = Thread(
        id="t1",
        title="Escaping",
        entries=[Entry(id="t1-0", thread_id="t1", kind="post", position=0, body=body)],
    )
    tiny = open_index(tmp_path / "index", create=True)
    try:
        tiny.ingest([thread])
        result = run(tiny, q="zanzibar")
    finally:
        tiny.close()
    assert result.total == 1
    snippet = result.hits[0].snippet
    assert "<mark>zanzibar</mark>" in snippet
    assert "&lt;script&gt;" in snippet
    assert "&amp;" in snippet
    assert "<script>" not in snippet
    # Apart from the marks, no markup is left.
    assert "<" not in snippet.replace("<mark>", "").replace("</mark>", "")


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(q="refugee", facets=["kind", "author"]),
        SearchRequest(q="", facets=["day"], sort="oldest"),
    ],
    ids=["query", "browse"],
)
def test_changing_a_result_does_not_change_the_next_one(
    index: ThreadIndex, request_: SearchRequest
) -> None:
    import threading

    first = search(index, request_)
    expected = first.to_dict() | {"took_ms": None}
    assert first.hits or first.warnings  # something to spoil
    first.hits.clear()
    first.warnings.append("spoilt")
    for value in first.facets.values():
        value.values.clear()
    first.facets.clear()
    seen: list[dict[str, Any]] = []
    other = threading.Thread(target=lambda: seen.append(search(index, request_).to_dict()))
    other.start()
    other.join()
    again = search(index, request_).to_dict()
    assert [r | {"took_ms": None} for r in (*seen, again)] == [expected, expected]


def test_a_stop_word_inside_a_query_is_left_out_as_before(index: ThreadIndex) -> None:
    # English entries do not index "in": requiring it found nothing (9 before analysis
    # per language, and 9 again now).
    assert search(index, SearchRequest(q="refugees in china")).total == 9
    assert search(index, SearchRequest(q="refugees china")).total == 9
    only = search(index, SearchRequest(q="the"))
    assert (only.total, only.warnings) == (0, ["the query has only stop words; nothing to search"])

"""The public model: frozen classes from every read call, aware UTC times, the source's
offset, and ``to_dict()`` equal to the HTTP body and to the OpenAPI schemas."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from marshmallow import Schema
from threadsearch import (
    Entry,
    Facet,
    FacetValue,
    Hit,
    SearchRequest,
    SearchResult,
    SimilarResult,
    Stats,
    Thread,
    ThreadIndex,
    ThreadPage,
    ThreadSummary,
    get_entry,
    get_thread,
    ingest_paths,
    list_threads,
    open_index,
    search,
    similar,
    stats,
)
from threadsearch.api import schemas
from threadsearch.export import iter_index_threads

from tests.conftest import DATA

UTC = timezone.utc
CEDRIC = DATA / "wxr" / "cedricporter-zh-2012-threaded.wxr.xml"
RHELP = DATA / "mail" / "r-help-2026-07.txt"


def _seed_reads(index: ThreadIndex) -> dict[str, Any]:
    page = list_threads(index)
    thread = get_thread(index, page.threads[0].id)
    result = search(index, SearchRequest(q="refugee", facets=["kind", "author", "month"]))
    return {
        "page": page,
        "thread": thread,
        "entry": get_entry(index, thread.entries[9].id),
        "result": result,
        "similar": similar(index, thread.entries[9].id, 5),
        "stats": stats(index),
    }


# --- every read call returns the frozen model ------------------------------------------


def test_every_read_call_returns_the_model_types(index: ThreadIndex) -> None:
    reads = _seed_reads(index)
    assert isinstance(reads["page"], ThreadPage)
    assert all(isinstance(t, ThreadSummary) for t in reads["page"].threads)
    assert isinstance(reads["thread"], Thread)
    assert all(isinstance(e, Entry) for e in reads["thread"].entries)
    assert isinstance(reads["entry"], Entry)
    assert isinstance(reads["result"], SearchResult)
    assert all(isinstance(h, Hit) for h in reads["result"].hits)
    assert all(isinstance(f, Facet) for f in reads["result"].facets.values())
    assert all(isinstance(v, FacetValue) for v in reads["result"].facets["kind"].values)
    assert isinstance(reads["similar"], SimilarResult)
    assert reads["similar"].id == reads["entry"].id
    assert all(isinstance(h, Hit) for h in reads["similar"].hits)
    assert isinstance(reads["stats"], Stats)
    (exported,) = iter_index_threads(index)
    assert exported == reads["thread"]


def _frozen_objects(reads: dict[str, Any]) -> Iterator[tuple[object, str]]:
    result = reads["result"]
    yield reads["page"], "total"
    yield reads["page"].threads[0], "title"
    yield reads["thread"], "title"
    yield reads["thread"].entries[0], "body"
    yield reads["entry"], "timestamp"
    yield result, "total"
    yield result.hits[0], "score"
    yield result.facets["kind"], "truncated"
    yield result.facets["kind"].values[0], "count"
    yield reads["similar"], "hits"
    yield reads["stats"], "entries"


def test_assigning_to_any_read_result_raises(index: ThreadIndex) -> None:
    for obj, name in _frozen_objects(_seed_reads(index)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, name, None)


def test_search_request_is_frozen_too() -> None:
    request = SearchRequest(q="refugee")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.q = "other"  # type: ignore[misc]
    assert dataclasses.replace(request, page=2).page == 2


# --- datetimes: aware UTC, and the offset the source stated ----------------------------


def _is_utc(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_read_times_are_aware_utc_and_the_seed_states_no_zone(index: ThreadIndex) -> None:
    reads = _seed_reads(index)
    entries = reads["thread"].entries
    assert [e.timestamp is None for e in entries] == [True] + [False] * 26  # the post is undated
    assert all(_is_utc(e.timestamp) for e in entries[1:])
    assert all(e.utc_offset is None for e in entries)
    # The seed's pinned 12-hour times, read as UTC: "2:01 pm", "12:04 am", ...
    assert entries[1].timestamp == datetime(2005, 10, 1, 14, 1, tzinfo=UTC)
    assert entries[13].timestamp == datetime(2005, 10, 2, 0, 4, tzinfo=UTC)
    assert entries[23].timestamp == datetime(2005, 10, 11, 0, 8, tzinfo=UTC)
    assert entries[26].timestamp == datetime(2005, 10, 24, 14, 58, tzinfo=UTC)
    hits = reads["result"].hits + reads["similar"].hits
    dated = [h for h in hits if h.timestamp is not None]
    assert [h.position for h in hits if h.timestamp is None] == [0] * (len(hits) - len(dated))
    assert dated and all(_is_utc(h.timestamp) and h.utc_offset is None for h in dated)
    by_id = {e.id: e for e in entries}
    assert all(h.timestamp == by_id[h.id].timestamp for h in hits)
    assert reads["stats"].first == datetime(2005, 10, 1, 14, 1, tzinfo=UTC)
    assert reads["stats"].last == datetime(2005, 10, 24, 14, 58, tzinfo=UTC)


@pytest.fixture(scope="module")
def offsets_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadIndex]:
    """cedricporter's WXR (a blog at +08:00) and an R-help month (Date headers)."""
    index = open_index(tmp_path_factory.mktemp("offsets") / "index", create=True)
    ingest_paths(index, [CEDRIC, RHELP])
    yield index
    index.close()


def _entry_at(index: ThreadIndex, instant: datetime) -> Entry:
    (entry,) = [e for t in iter_index_threads(index) for e in t.entries if e.timestamp == instant]
    return get_entry(index, entry.id)


def _hit_for(index: ThreadIndex, entry: Entry) -> Hit:
    request = SearchRequest(thread=[entry.thread_id], per_page=100, sort="oldest")
    (hit,) = [h for h in search(index, request).hits if h.id == entry.id]
    return hit


def test_a_wxr_comment_keeps_the_blogs_plus_8_hours(offsets_index: ThreadIndex) -> None:
    # comment 382: comment_date 2012-02-06 21:16:45, comment_date_gmt 2012-02-06 13:16:45
    text = CEDRIC.read_text(encoding="utf-8")
    assert "<wp:comment_date>2012-02-06 21:16:45</wp:comment_date>" in text
    assert "<wp:comment_date_gmt>2012-02-06 13:16:45</wp:comment_date_gmt>" in text
    entry = _entry_at(offsets_index, datetime(2012, 2, 6, 13, 16, 45, tzinfo=UTC))
    assert entry.id.endswith("-382")
    assert entry.author == "连瑶"
    assert _is_utc(entry.timestamp)
    assert entry.utc_offset == 480
    assert entry.local_timestamp == datetime(
        2012, 2, 6, 21, 16, 45, tzinfo=timezone(timedelta(hours=8))
    )
    hit = _hit_for(offsets_index, entry)
    assert (hit.timestamp, hit.utc_offset) == (entry.timestamp, 480)
    assert entry.to_dict()["timestamp"] == "2012-02-06T13:16:45+00:00"
    assert entry.to_dict()["utc_offset"] == 480


@pytest.mark.parametrize(
    ("header", "instant", "offset"),
    [
        ("Tue, 7 Jul 2026 12:14:35 -0400", datetime(2026, 7, 7, 16, 14, 35, tzinfo=UTC), -240),
        ("Mon, 6 Jul 2026 10:55:28 -0700", datetime(2026, 7, 6, 17, 55, 28, tzinfo=UTC), -420),
        ("Tue, 07 Jul 2026 13:01:47 +0200", datetime(2026, 7, 7, 11, 1, 47, tzinfo=UTC), 120),
        ("Tue, 7 Jul 2026 16:27:13 +0000 (UTC)", datetime(2026, 7, 7, 16, 27, 13, tzinfo=UTC), 0),
    ],
)
def test_an_rhelp_message_keeps_its_date_headers_offset(
    offsets_index: ThreadIndex, header: str, instant: datetime, offset: int
) -> None:
    assert f"Date: {header}\n" in RHELP.read_text(encoding="utf-8")
    entry = _entry_at(offsets_index, instant)
    assert entry.utc_offset == offset
    assert _hit_for(offsets_index, entry).utc_offset == offset


def test_export_writes_each_time_at_its_offset(offsets_index: ThreadIndex) -> None:
    from threadsearch.sources.jsonl import thread_from_dict, thread_to_dict

    threads = list(iter_index_threads(offsets_index))
    texts = [e["timestamp"] for t in threads for e in thread_to_dict(t)["entries"]]
    assert "2012-02-06T21:16:45+08:00" in texts
    assert "2026-07-07T12:14:35-04:00" in texts
    for thread in threads:
        loaded = thread_from_dict(json.loads(json.dumps(thread_to_dict(thread))))
        assert [(e.timestamp, e.utc_offset) for e in loaded.entries] == [
            (e.timestamp, e.utc_offset) for e in thread.entries
        ]


# --- the Entry constructor normalises times --------------------------------------------


def _entry(**kwargs: Any) -> Entry:
    return Entry("t-1", "t", "comment", 1, **kwargs)


def test_entry_reads_a_zoned_time_as_utc_with_its_offset() -> None:
    shanghai = datetime(2012, 1, 20, 0, 37, 44, tzinfo=timezone(timedelta(hours=8)))
    entry = _entry(timestamp=shanghai)
    assert entry.timestamp == datetime(2012, 1, 19, 16, 37, 44, tzinfo=UTC)
    assert entry.timestamp is not None and entry.timestamp.tzinfo is UTC
    assert entry.utc_offset == 480
    assert dataclasses.replace(entry, body="again") == dataclasses.replace(entry, body="again")
    assert dataclasses.replace(entry, body="x").utc_offset == 480  # replace keeps it


def test_entry_keeps_a_naive_time_naive_with_no_offset() -> None:
    entry = _entry(timestamp=datetime(2005, 10, 1, 14, 1))
    assert entry.timestamp == datetime(2005, 10, 1, 14, 1)
    assert entry.utc_offset is None
    assert dataclasses.replace(entry, body="x").utc_offset is None
    assert entry.local_timestamp == datetime(2005, 10, 1, 14, 1)


def test_entry_reads_a_naive_time_at_a_given_offset() -> None:
    entry = _entry(timestamp=datetime(2012, 1, 20, 0, 37, 44), utc_offset=480)
    assert entry.timestamp == datetime(2012, 1, 19, 16, 37, 44, tzinfo=UTC)
    assert entry.utc_offset == 480


def test_entry_keeps_a_given_offset_on_a_utc_time() -> None:
    utc = datetime(2012, 1, 19, 16, 37, 44, tzinfo=UTC)
    assert _entry(timestamp=utc, utc_offset=480).utc_offset == 480
    assert _entry(timestamp=utc, utc_offset=0).utc_offset == 0
    assert _entry(timestamp=utc).utc_offset is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {
                "timestamp": datetime(2012, 1, 1, tzinfo=timezone(timedelta(hours=8))),
                "utc_offset": 60,
            },
            "contradicts",
        ),
        ({"utc_offset": 60}, "without a timestamp"),
        ({"timestamp": datetime(2012, 1, 1), "utc_offset": 1440}, "not within a day"),
    ],
)
def test_entry_refuses_an_impossible_offset(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _entry(**kwargs)


# --- to_dict is the HTTP body, and the schemas name exactly its keys -------------------


def _schema_pairs(reads: dict[str, Any]) -> Iterator[tuple[type[Schema], Any]]:
    result = reads["result"]
    yield schemas.SearchResultSchema, result
    yield schemas.HitSchema, result.hits[0]
    yield schemas.FacetSchema, result.facets["author"]
    yield schemas.FacetValueSchema, result.facets["author"].values[0]
    yield schemas.EntrySchema, reads["entry"]
    yield schemas.EntrySchema, reads["thread"].entries[0]
    yield schemas.ThreadSchema, reads["thread"]
    yield schemas.ThreadSummarySchema, reads["page"].threads[0]
    yield schemas.ThreadListSchema, reads["page"]
    yield schemas.SimilarSchema, reads["similar"]
    yield schemas.StatsSchema, reads["stats"]


def test_each_schema_names_exactly_the_to_dict_keys(index: ThreadIndex) -> None:
    for schema, obj in _schema_pairs(_seed_reads(index)):
        body = obj.to_dict()
        assert set(schema().fields) == set(body), schema.__name__
        assert schema().dump(body) == body, schema.__name__
        assert json.loads(json.dumps(body)) == body, schema.__name__


def test_the_http_bodies_are_the_to_dicts(client: FlaskClient, index: ThreadIndex) -> None:
    reads = _seed_reads(index)
    thread, entry = reads["thread"], reads["entry"]
    urls = {
        "/threads": reads["page"],
        f"/threads/{thread.id}": thread,
        f"/entries/{entry.id}": entry,
        f"/entries/{entry.id}/similar?limit=5": reads["similar"],
        "/stats": reads["stats"],
    }
    for url, obj in urls.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.get_json() == obj.to_dict(), url
    searched = client.get("/search?q=refugee&facet=kind&facet=author&facet=month").get_json()
    expected = reads["result"].to_dict()
    assert searched.pop("took_ms") >= 0
    expected.pop("took_ms")
    assert searched == expected


def test_entry_json_times(index: ThreadIndex) -> None:
    thread = _seed_reads(index)["thread"]
    body = thread.to_dict()
    assert body["entry_count"] == 27
    assert body["entries"][0]["timestamp"] is None
    assert body["entries"][1]["timestamp"] == "2005-10-01T14:01:00+00:00"
    assert body["entries"][1]["utc_offset"] is None
    assert body["entries"][1]["thread_title"] == thread.title
    assert [e["kind"] for e in body["entries"]].count("trackback") == 3


def test_a_parsers_entry_has_no_thread_title(tmp_path: Path) -> None:
    from threadsearch.sources.base import SourceContext
    from threadsearch.sources.jsonl import thread_from_dict

    thread = thread_from_dict({"title": "t", "entries": [{"kind": "post", "position": 0}]})
    assert thread.entries[0].thread_title is None
    assert SourceContext("x").localize(datetime(2020, 1, 1)).tzinfo is None

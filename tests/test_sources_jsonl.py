"""JSON Lines in threadsearch's thread schema: loading, dumping, round trips, errors."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from threadsearch.errors import SourceFormatError
from threadsearch.model import Entry, EntryKind, Thread, canonical_url, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source
from threadsearch.sources.jsonl import EntrySchema, ThreadSchema, thread_from_dict, thread_to_dict

DATA = Path(__file__).parent / "data" / "jsonl"
UTC = timezone.utc

# file name -> number of entries in each thread, in file order
EXPECTED = {"threads.jsonl": [3, 2, 0]}


def parse_file(path: Path, **context: object) -> list[Thread]:
    with path.open("rb") as stream:
        return list(get_source("jsonl").parse(stream, SourceContext(str(path), **context)))


def parse_bytes(data: bytes, **context: object) -> list[Thread]:
    return list(get_source("jsonl").parse(io.BytesIO(data), SourceContext("in.jsonl", **context)))


def line(**thread: object) -> bytes:
    return json.dumps(thread, ensure_ascii=False).encode("utf-8") + b"\n"


def parse_error(data: bytes) -> SourceFormatError:
    with pytest.raises(SourceFormatError) as caught:
        parse_bytes(data)
    return caught.value


# --- the sample files -------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.jsonl")))
def test_jsonl_every_sample_file_yields_expected_threads(name: str) -> None:
    threads = parse_file(DATA / name)
    assert [len(t.entries) for t in threads] == EXPECTED[name]


def test_jsonl_sample_explicit_ids_and_fields_kept() -> None:
    thread = parse_file(DATA / "threads.jsonl")[0]
    assert thread.id == "whizzy-ubuntu-touch"
    assert thread.title == "Ubuntu Touch on the Nexus 4"
    assert thread.site == "whizzy.org"
    assert thread.tags == ["ubuntu", "phones"]
    assert thread.declared_count == 2
    assert thread.source is None
    post, comment, reply = thread.entries
    assert post.kind == "post"
    assert post.body == "I flashed it last night.\n\nIt boots! 🎉"
    assert post.timestamp == datetime(2015, 1, 10, 21, 4, tzinfo=UTC)
    assert comment.author == "Zoë"
    assert comment.kind == "comment"
    assert comment.parent_id is None
    assert comment.depth == 1
    # +01:00 in the file: converted to UTC
    assert comment.timestamp == datetime(2015, 1, 11, 7, 15, 30, tzinfo=UTC)
    assert comment.timestamp.utcoffset() == timedelta(0)
    assert reply.id == "whizzy-ubuntu-touch-137"
    assert reply.thread_id == "whizzy-ubuntu-touch"
    assert reply.parent_id == "whizzy-ubuntu-touch-136"
    assert reply.depth == 2
    assert reply.mentions == ["Zoë"]


def test_jsonl_sample_computed_ids_without_url() -> None:
    thread = parse_file(DATA / "threads.jsonl")[1]
    expected = thread_id_for("jsonl:Kettle descaling tips")
    assert thread.id == expected
    assert [e.id for e in thread.entries] == [entry_id_for(expected, "0"), f"{expected}-1"]
    assert {e.thread_id for e in thread.entries} == {expected}
    assert thread.entries[1].kind == "pingback"
    assert thread.entries[1].author is None


def test_jsonl_sample_naive_times_stay_naive_without_timezone() -> None:
    post = parse_file(DATA / "threads.jsonl")[1].entries[0]
    assert post.timestamp == datetime(2019, 6, 1, 12, 30)
    assert post.timestamp.tzinfo is None
    assert post.utc_offset is None


def test_jsonl_sample_naive_times_localized_with_timezone() -> None:
    threads = parse_file(DATA / "threads.jsonl", timezone=ZoneInfo("Europe/London"))
    # 12:30 British Summer Time is 11:30 UTC; aware times are untouched
    assert threads[1].entries[0].timestamp == datetime(2019, 6, 1, 11, 30, tzinfo=UTC)
    assert threads[1].entries[0].utc_offset == 60
    assert threads[0].entries[0].timestamp == datetime(2015, 1, 10, 21, 4, tzinfo=UTC)
    assert threads[0].entries[0].utc_offset == 0


def test_jsonl_computed_thread_id_uses_canonical_url() -> None:
    (thread,) = parse_bytes(line(title="T", url="http://WWW.Example.org/a/"))
    assert thread.id == thread_id_for(canonical_url("http://WWW.Example.org/a/"))
    assert thread.id == thread_id_for("https://example.org/a")


def test_jsonl_minimal_thread_gets_defaults() -> None:
    (thread,) = parse_bytes(line(title="Only a title"))
    assert thread == Thread(id=thread_id_for("jsonl:Only a title"), title="Only a title")


def test_jsonl_blank_lines_and_bom_skipped() -> None:
    data = b"\xef\xbb\xbf" + line(title="a") + b"\n   \n\r\n" + line(title="b") + b"\n"
    assert [t.title for t in parse_bytes(data)] == ["a", "b"]


def test_jsonl_crlf_line_endings_read() -> None:
    data = line(title="a").replace(b"\n", b"\r\n") * 2
    assert [t.title for t in parse_bytes(data)] == ["a", "a"]


def test_jsonl_parse_is_lazy() -> None:
    threads = get_source("jsonl").parse(
        io.BytesIO(line(title="good") + b"{broken\n"), SourceContext("in.jsonl")
    )
    assert next(threads).title == "good"
    with pytest.raises(SourceFormatError):
        next(threads)


# --- dumping and round trips -------------------------------------------------------------


def hand_made_threads() -> list[Thread]:
    aware = Thread(
        id="t-aware",
        title="Émoji 🎉 and ümlauts",
        url="https://blog.example/p/1",
        site="blog.example",
        source="export.jsonl",
        declared_count=5,
        tags=["a", "b c"],
        entries=[
            Entry(
                id="t-aware-post",
                thread_id="t-aware",
                kind="post",
                position=0,
                body="Hello 👋\n\nSecond paragraph",
                author="Ann",
                author_url="https://ann.example",
                timestamp=datetime(2020, 2, 29, 23, 59, 59, 123456, tzinfo=UTC),
                utc_offset=0,
                title="Émoji 🎉",
                url="https://blog.example/p/1",
            ),
            Entry(
                id="t-aware-9",
                thread_id="t-aware",
                kind="comment",
                position=1,
                body="> quoted\nreply",
                quoted="quoted",
                timestamp=datetime(2020, 3, 1, tzinfo=UTC),
                utc_offset=0,
                depth=1,
                mentions=["Ann", "Bob"],
                status="spam",
            ),
            Entry(
                id="t-aware-10",
                thread_id="t-aware",
                kind="trackback",
                position=2,
                parent_id="t-aware-9",
                depth=2,
            ),
        ],
    )
    naive = Thread(
        id="t-naive",
        title="Naive times",
        entries=[
            Entry(
                id="t-naive-0",
                thread_id="t-naive",
                kind="post",
                position=0,
                timestamp=datetime(1999, 12, 31, 23, 0),
            ),
            Entry(
                id="t-naive-1",
                thread_id="t-naive",
                kind=EntryKind.PINGBACK,
                position=1,
                timestamp=datetime(2000, 1, 1, 0, 0, 0, 500),
            ),
        ],
    )
    nones = Thread(
        id="t-nones",
        title="",
        entries=[Entry(id="t-nones-0", thread_id="t-nones", kind="comment", position=7)],
    )
    empty = Thread(id="t-empty", title="No entries at all")
    return [aware, naive, nones, empty]


@pytest.mark.parametrize("thread", hand_made_threads(), ids=lambda t: t.id)
def test_jsonl_dump_then_load_round_trips(thread: Thread) -> None:
    data = thread_to_dict(thread)
    loaded = thread_from_dict(json.loads(json.dumps(data)), SourceContext("<test>"))
    assert loaded == thread


def test_jsonl_dumped_file_parses_back_to_equal_threads() -> None:
    threads = hand_made_threads()
    data = b"".join(
        json.dumps(thread_to_dict(t), ensure_ascii=False).encode("utf-8") + b"\n" for t in threads
    )
    assert parse_bytes(data) == threads


def test_jsonl_dump_has_every_field_and_iso_times() -> None:
    data = thread_to_dict(hand_made_threads()[0])
    assert list(data) == [
        "id",
        "title",
        "url",
        "site",
        "source",
        "declared_count",
        "tags",
        "entries",
    ]
    post = data["entries"][0]
    assert set(post) == {
        "id",
        "thread_id",
        "kind",
        "position",
        "body",
        "author",
        "author_url",
        "timestamp",
        "utc_offset",
        "title",
        "quoted",
        "parent_id",
        "depth",
        "mentions",
        "url",
        "status",
        "lang",  # schema version 4: an entry's language, kept on export and re-ingest
    }
    assert post["timestamp"] == "2020-02-29T23:59:59.123456Z"
    assert post["utc_offset"] == 0
    assert data["entries"][2]["timestamp"] is None
    assert data["entries"][2]["utc_offset"] is None


def test_jsonl_dump_writes_naive_time_without_zone_and_kind_as_word() -> None:
    data = thread_to_dict(hand_made_threads()[1])
    assert data["entries"][0]["timestamp"] == "1999-12-31T23:00:00"
    assert data["entries"][1]["kind"] == "pingback"


def test_jsonl_dump_writes_the_time_at_the_entrys_offset() -> None:
    entry = Entry(
        id="x-0",
        thread_id="x",
        kind="post",
        position=0,
        timestamp=datetime(2021, 6, 1, 12, 0, tzinfo=ZoneInfo("Europe/Paris")),
    )
    assert entry.timestamp == datetime(2021, 6, 1, 10, 0, tzinfo=UTC)
    assert entry.utc_offset == 120
    dumped = EntrySchema().dump(entry)
    assert dumped["timestamp"] == "2021-06-01T12:00:00+02:00"
    assert EntrySchema().load(dumped) == entry


def _loaded(timestamp: str | None, **offset: object) -> tuple[datetime | None, int | None]:
    entry = {"kind": "post", "position": 0, "timestamp": timestamp, **offset}
    (thread,) = parse_bytes(line(title="t", entries=[entry]), timezone=ZoneInfo("Asia/Shanghai"))
    return thread.entries[0].timestamp, thread.entries[0].utc_offset


@pytest.mark.parametrize(
    ("timestamp", "offset", "expected"),
    [
        # Absent: the offset comes from the timestamp; a naive one goes through --timezone.
        ("2005-10-01T14:01:00Z", {}, (datetime(2005, 10, 1, 14, 1, tzinfo=UTC), 0)),
        ("2005-10-01T22:01:00+08:00", {}, (datetime(2005, 10, 1, 14, 1, tzinfo=UTC), 480)),
        ("2005-10-01T22:01:00", {}, (datetime(2005, 10, 1, 14, 1, tzinfo=UTC), 480)),
        # Present: the stated offset wins and the instant stays.
        ("2005-10-01T14:01:00Z", {"utc_offset": None}, (datetime(2005, 10, 1, 14, 1), None)),
        ("2005-10-01T14:01:00Z", {"utc_offset": -300}, (datetime(2005, 10, 1, 14, 1), -300)),
        ("2005-10-01T22:01:00+08:00", {"utc_offset": 0}, (datetime(2005, 10, 1, 14, 1), 0)),
        # A naive time at a stated offset is wall time there; null is as if absent.
        ("2005-10-01T09:01:00", {"utc_offset": -300}, (datetime(2005, 10, 1, 14, 1), -300)),
        ("2005-10-01T22:01:00", {"utc_offset": None}, (datetime(2005, 10, 1, 14, 1), 480)),
        (None, {"utc_offset": None}, (None, None)),
    ],
)
def test_jsonl_utc_offset_field(
    timestamp: str | None, offset: dict[str, object], expected: tuple[datetime | None, object]
) -> None:
    when, utc_offset = expected
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    assert _loaded(timestamp, **offset) == (when, utc_offset)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"utc_offset": 60}, "entries.0.utc_offset: Needs a timestamp (or give null)."),
        (
            {"timestamp": "2005-10-01T14:01:00Z", "utc_offset": 1440},
            "entries.0.utc_offset: Must be greater than or equal to -1439 and less than or "
            "equal to 1439.",
        ),
        (
            {"timestamp": "2005-10-01T14:01:00Z", "utc_offset": "+08:00"},
            "entries.0.utc_offset: Not a valid integer.",
        ),
    ],
)
def test_jsonl_bad_utc_offset(fields: dict[str, object], reason: str) -> None:
    entry = {"kind": "post", "position": 0, **fields}
    assert parse_error(line(title="t", entries=[entry])).reason == reason


def test_jsonl_thread_schema_loads_many() -> None:
    threads = ThreadSchema(many=True).load([{"title": "a"}, {"title": "b"}])
    assert [t.title for t in threads] == ["a", "b"]


# --- bad input -------------------------------------------------------------------------


def test_jsonl_bad_kind_names_line_and_field() -> None:
    entry = {"kind": "reply", "position": 0}
    error = parse_error(line(title="a") + b"\n" + line(title="b", entries=[entry]))
    assert error.line == 3
    assert error.reason == "entries.0.kind: Must be one of: post, comment, trackback, pingback."
    assert str(error).startswith(
        "in.jsonl, line 3: entries.0.kind: Must be one of: post, comment, trackback, pingback."
    )


def test_jsonl_invalid_json_names_line_and_column() -> None:
    error = parse_error(line(title="a") + b'{"title": "b",, }\n')
    assert (error.line, error.column) == (2, 15)
    assert error.reason == "invalid JSON: Expecting property name enclosed in double quotes"


def test_jsonl_unknown_field_rejected() -> None:
    error = parse_error(line(title="a", colour="red"))
    assert error.reason == "colour: Unknown field."


def test_jsonl_unknown_entry_field_rejected() -> None:
    error = parse_error(line(title="a", entries=[{"kind": "post", "position": 0, "likes": 3}]))
    assert error.reason == "entries.0.likes: Unknown field."


def test_jsonl_missing_required_fields_all_listed() -> None:
    error = parse_error(line(entries=[{"body": "x"}]))
    assert set(error.reason.split("; ")) == {
        "title: Missing data for required field.",
        "entries.0.kind: Missing data for required field.",
        "entries.0.position: Missing data for required field.",
    }


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ({"position": -1}, "entries.0.position: Must be greater than or equal to 0."),
        ({"position": "1"}, "entries.0.position: Not a valid integer."),
        ({"depth": -2}, "entries.0.depth: Must be greater than or equal to 0."),
        ({"timestamp": "yesterday"}, "entries.0.timestamp: Not a valid ISO 8601 timestamp."),
        ({"timestamp": 1700000000}, "entries.0.timestamp: Not a valid ISO 8601 timestamp."),
        (
            {"id": "has space"},
            "entries.0.id: Must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'.",
        ),
        ({"author": 5}, "entries.0.author: Not a valid string."),
        ({"body": None}, "entries.0.body: Field may not be null."),
        ({"mentions": ["a", 1]}, "entries.0.mentions.1: Not a valid string."),
        ({"thread_id": "other"}, "entries.0.thread_id: Must be the thread's id (t)."),
        (
            {"parent_id": "nowhere"},
            "entries.0.parent_id: Must be the id of another entry of the same thread.",
        ),
    ],
)
def test_jsonl_bad_entry_field_named(entry: dict[str, object], reason: str) -> None:
    error = parse_error(line(id="t", title="a", entries=[{"kind": "post", "position": 0, **entry}]))
    assert (error.line, error.reason) == (1, reason)


def test_jsonl_parent_must_not_be_itself() -> None:
    entries = [{"id": "c1", "kind": "comment", "position": 1, "parent_id": "c1"}]
    error = parse_error(line(title="a", entries=entries))
    assert (
        error.reason == "entries.0.parent_id: Must be the id of another entry of the same thread."
    )


def test_jsonl_parent_may_be_a_computed_id() -> None:
    parent = entry_id_for(thread_id_for("jsonl:a"), "1")
    entries = [
        {"kind": "comment", "position": 1},
        {"kind": "comment", "position": 2, "parent_id": parent, "depth": 2},
    ]
    (thread,) = parse_bytes(line(title="a", entries=entries))
    assert thread.entries[1].parent_id == thread.entries[0].id == parent


def test_jsonl_duplicate_positions_and_ids_rejected() -> None:
    entries = [
        {"id": "x", "kind": "post", "position": 0},
        {"id": "x", "kind": "comment", "position": 0},
    ]
    error = parse_error(line(title="a", entries=entries))
    assert (
        error.reason
        == "entries.1.id: Duplicate entry id x.; entries.1.position: Duplicate position 0."
    )


def test_jsonl_bad_thread_id_and_count_rejected() -> None:
    error = parse_error(line(id="", title="a", declared_count=-1))
    assert error.reason.split("; ") == [
        "id: Must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'.",
        "declared_count: Must be greater than or equal to 0.",
    ]


def test_jsonl_ids_longer_than_64_rejected() -> None:
    assert parse_bytes(line(id="a" * 64, title="a"))[0].id == "a" * 64
    error = parse_error(line(id="a" * 65, title="a"))
    assert error.reason == "id: Must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."


def test_jsonl_line_that_is_not_an_object_rejected() -> None:
    error = parse_error(b'[{"title": "a"}]\n')
    assert (error.line, error.reason) == (1, "expected a JSON object (one thread), got an array")


def test_jsonl_invalid_utf8_names_line() -> None:
    error = parse_error(line(title="a") + b'{"title": "caf\xe9"}\n')
    assert (error.line, error.column, error.reason) == (2, 15, "not UTF-8: byte 0xe9")


def test_jsonl_thread_from_dict_error_keeps_field_messages() -> None:
    with pytest.raises(SourceFormatError) as caught:
        thread_from_dict({"title": 3}, SourceContext("<request>"))
    assert caught.value.reason == "title: Not a valid string."
    assert caught.value.__cause__.normalized_messages() == {"title": ["Not a valid string."]}

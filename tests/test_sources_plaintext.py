"""The plain-text source: the seed thread exactly, hand-made variants, and bad input."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from threadsearch.errors import SourceFormatError
from threadsearch.model import Thread, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source
from threadsearch.sources.plaintext import is_trackback_shape

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "index_data" / "000_da0b5a8ba304d53d.txt"
TEXT = ROOT / "tests" / "data" / "text"

SEED_TRACKBACKS = {
    22: "Daily linklets 3rd October",
    23: "China expels North Korean refugees",
    26: "A practical solution to the North Korean refugee problem, inspired by studying maps",
}
# Every seed entry that addresses someone; all the others address no one. Entry 12
# ("calm down ivan,") is not a mention: the scrape lost the names, so nothing says Ivan
# took part (see search.mentions).
SEED_MENTIONS = {5: ["Will"], 9: ["Sun-Bin"], 19: ["Sun-Bin"], 24: ["Sun bin"]}


def parse(path: Path, **context: object) -> tuple[list[Thread], list[str]]:
    warnings: list[str] = []
    ctx = SourceContext(str(path), warn=warnings.append, **context)  # type: ignore[arg-type]
    with open(path, "rb") as stream:
        threads = list(get_source("text").parse(stream, ctx))
    return threads, warnings


def parse_one(path: Path, **context: object) -> tuple[Thread, list[str]]:
    threads, warnings = parse(path, **context)
    assert len(threads) == 1
    return threads[0], warnings


@pytest.fixture(scope="module")
def seed() -> Thread:
    thread, warnings = parse_one(SEED)
    assert warnings == []
    return thread


# --- the seed thread -------------------------------------------------------------------


def test_seed_thread_fields(seed: Thread) -> None:
    assert seed.title == "The tragedy of North Korean refugees in China"
    assert seed.id == thread_id_for("text:The tragedy of North Korean refugees in China\x1fMartyn")
    assert seed.url is None
    assert seed.site is None
    assert seed.source is None
    assert seed.declared_count == 26


def test_seed_post(seed: Thread) -> None:
    post = seed.entries[0]
    assert (post.kind, post.position, post.depth, post.author) == ("post", 0, 0, "Martyn")
    assert post.id == entry_id_for(seed.id, "post")
    assert post.local_timestamp is None
    assert post.body.startswith("Contrary to what one might expect, the North Korea-China")
    assert post.body.endswith("the number of desperate North Korean refugees fleeing into China.")
    assert "The Discussion" not in post.body
    assert "Posted by" not in post.body


def test_seed_entry_count_and_kinds(seed: Thread) -> None:
    comments = seed.entries[1:]
    assert len(comments) == 26
    assert [e.position for e in comments] == list(range(1, 27))
    kinds = {e.position: e.kind for e in comments}
    assert {p for p, kind in kinds.items() if kind == "trackback"} == set(SEED_TRACKBACKS)
    assert sum(kind == "comment" for kind in kinds.values()) == 23


def test_seed_trackbacks(seed: Thread) -> None:
    for position, title in SEED_TRACKBACKS.items():
        entry = seed.entries[position]
        assert entry.title == title
        assert entry.mentions == []
    assert seed.entries[22].body.startswith("Jonathan Dresner is calling up for submissions")
    assert seed.entries[22].body.endswith("demographics and Chinese…")
    assert seed.entries[23].body.startswith("f you’ve been following media reports")
    assert seed.entries[26].body == ""


def test_seed_comments_have_no_author_or_title(seed: Thread) -> None:
    for entry in seed.entries[1:]:
        assert entry.author is None
        assert entry.depth == 1
        assert entry.parent_id is None
        assert entry.id == entry_id_for(seed.id, str(entry.position))
        if entry.kind == "comment":
            assert entry.title is None


def test_seed_timestamps_read_the_twelve_hour_clock(seed: Thread) -> None:
    assert seed.entries[1].local_timestamp == datetime(2005, 10, 1, 14, 1)
    assert seed.entries[13].local_timestamp == datetime(2005, 10, 2, 0, 4)
    assert seed.entries[23].local_timestamp == datetime(2005, 10, 11, 0, 8)
    assert seed.entries[26].local_timestamp == datetime(2005, 10, 24, 14, 58)
    # The page states no zone: naive times (the index reads them as UTC), no offset.
    for entry in seed.entries[1:]:
        assert entry.timestamp == entry.local_timestamp
        assert entry.timestamp is not None and entry.timestamp.tzinfo is None
        assert entry.utc_offset is None


def test_seed_timestamps_localized_with_timezone() -> None:
    thread, _ = parse_one(SEED, timezone=ZoneInfo("Asia/Shanghai"))
    assert thread.entries[1].local_timestamp == datetime(2005, 10, 1, 6, 1, tzinfo=timezone.utc)


def test_seed_mojibake_repaired(seed: Thread) -> None:
    assert "They aren’t necessary." in seed.entries[0].body
    assert "US$2–US3 trillion or 5-6 times South Korea’s GDP" in seed.entries[5].body
    assert "keeping promises 🙁" in seed.entries[16].body
    every_text = [e.body for e in seed.entries] + [e.title or "" for e in seed.entries]
    assert not any("\u0e00" <= char <= "\u0e7f" for text in every_text for char in text)


def test_seed_bodies_keep_paragraphs(seed: Thread) -> None:
    assert seed.entries[1].body.startswith("Is this true? If yes, how come")
    assert seed.entries[5].body.startswith("Will, you’re right about South Korean attitudes")
    assert seed.entries[5].body.count("\n\n") == 5
    assert seed.entries[25].body == "“had the poor sods over”\n\n“hand the poor sods over”"


def test_seed_closing_lines_and_footer_are_not_content(seed: Thread) -> None:
    for entry in seed.entries:
        assert "| Comment" not in entry.body
        assert "2005 @" not in entry.body
        assert "RSS feed for comments" not in entry.body
        assert "TrackBack URL" not in entry.body
        assert "comment form is closed" not in entry.body
    assert seed.entries[24].body.endswith("why can’t it be as generous as Pakistan?")
    assert seed.entries[26].title == SEED_TRACKBACKS[26]


def test_seed_mentions_exact(seed: Thread) -> None:
    found = {e.position: e.mentions for e in seed.entries if e.mentions}
    assert found == SEED_MENTIONS


# --- hand-made variants -----------------------------------------------------------------


def test_variant_twelve_am_and_pm() -> None:
    thread, warnings = parse_one(TEXT / "twelve_oclock.txt")
    assert warnings == []
    assert [e.local_timestamp for e in thread.entries[1:]] == [
        datetime(2006, 1, 9, 0, 5),
        datetime(2006, 1, 9, 12, 0),
        datetime(2006, 1, 9, 23, 59),
        datetime(2006, 1, 10, 1, 0),
    ]
    assert thread.entries[1].body == "Posted just after midnight."


def test_variant_date_lines_inside_content_are_kept() -> None:
    thread, warnings = parse_one(TEXT / "date_lines_in_content.txt")
    assert warnings == []
    assert len(thread.entries) == 3
    assert thread.entries[0].body == (
        "The meeting was scheduled for:\n\nOctober 1, 2005 @ 2:01 pm\n\n"
        "and it was moved twice after that."
    )
    assert thread.entries[1].body == (
        "I was there. The timeline, as I remember it:\n\n"
        "October 1, 2005 @ 2:01 pm | moved\nOctober 2, 2005 @ 9:30 am\n\n"
        "Posted by the organisers, no less."
    )
    assert thread.entries[1].local_timestamp == datetime(2005, 10, 3, 8, 0)


def test_variant_posted_by_inside_a_comment_is_text() -> None:
    thread, _ = parse_one(TEXT / "date_lines_in_content.txt")
    assert thread.entries[0].author == "Martyn"
    assert [e.author for e in thread.entries[1:]] == [None, None]
    assert thread.entries[2].body == "Posted by\nsomeone who forgot to sign, as usual."
    assert thread.entries[2].kind == "comment"


def test_variant_declared_count_differs_warns_and_ingests() -> None:
    thread, warnings = parse_one(TEXT / "count_mismatch.txt")
    assert thread.declared_count == 5
    assert [e.body for e in thread.entries[1:]] == [
        "First surviving comment.",
        "Second surviving comment.",
        "Third surviving comment.",
    ]
    assert warnings == [
        f"{TEXT / 'count_mismatch.txt'}: the page declares 5 comments but 3 were found; "
        "ingesting the 3"
    ]


def test_variant_mojibake_of_quotes_dashes_and_emoji() -> None:
    thread, warnings = parse_one(TEXT / "mojibake.txt")
    assert warnings == []
    assert [e.body for e in thread.entries] == [
        "It’s “quoted” — and the range 1990–2000 … all damaged here.",
        "I can’t agree 🙂 but I’m glad you wrote it.",
        "That’s sad 🙁 and the “facts” are – as ever – murky…",
        "Genuine Thai stays as it is: ภาษาไทย สวัสดี. And an intact quote: don’t.",
    ]
    assert thread.entries[0].author == "Kanya"


def test_variant_trackback_shapes() -> None:
    thread, warnings = parse_one(TEXT / "trackback_shapes.txt")
    assert warnings == []
    assert [(e.kind, e.title) for e in thread.entries[1:]] == [
        ("comment", None),
        ("comment", None),
        ("comment", None),
        ("comment", None),
        ("comment", None),
        ("trackback", "Weekend reading on the border question"),
        ("trackback", "A practical solution to the refugee problem"),
    ]
    assert thread.entries[6].body == (
        "Three long pieces on the refugees, one of them from this blog. Worth your time [...]"
    )
    assert thread.entries[7].body == ""
    assert [e.mentions for e in thread.entries[1:6]] == [["Sun bin"], [], [], [], ["Sun bin"]]


@pytest.mark.parametrize(
    "paragraphs",
    [
        ["Sun bin,", "I’m not exactly sure."],
        ["calm down ivan,", "i am just trying to ask for pragmatism."],
        ["about the korean unification.", "yes, the SK obviously read the lesson."],
        ["“had the poor sods over”", "“hand the poor sods over”"],
        ["Sun bin"],
        ["Daily linklets 3rd October", "An excerpt that is not cut short."],
        ["Daily linklets 3rd October", "First paragraph…", "Second paragraph…"],
        ["A title\nover two lines", "Excerpt…"],
        [],
    ],
)
def test_is_trackback_shape_rejects_comments(paragraphs: list[str]) -> None:
    assert not is_trackback_shape(paragraphs)


@pytest.mark.parametrize(
    "paragraphs",
    [
        ["Daily linklets 3rd October", "Jonathan Dresner is calling up for submissions…"],
        ["China expels North Korean refugees", "f you’ve been following, thi..."],
        ["A practical solution to the North Korean refugee problem, inspired by studying maps"],
        ["2006 in review", "The year in posts [...]"],
    ],
)
def test_is_trackback_shape_accepts_titles(paragraphs: list[str]) -> None:
    assert is_trackback_shape(paragraphs)


def test_variant_unsigned_crlf_bom_page() -> None:
    path = TEXT / "unsigned_crlf_bom.txt"
    thread, warnings = parse_one(path)
    assert thread.title == "Unsigned page saved on Windows"
    assert thread.id == thread_id_for("text:Unsigned page saved on Windows\x1f")
    assert thread.declared_count == 2
    post = thread.entries[0]
    assert post.author is None
    assert post.body == (
        "A post with no byline, saved with a byte-order mark and CRLF line endings.\n\n"
        "Martyn, Will: this one is for you."
    )
    assert [(e.body, e.local_timestamp) for e in thread.entries[1:]] == [
        ("Martyn: the byline is missing, not the author.", datetime(2006, 2, 28, 18, 30)),
        ("A closing line whose date cannot exist.", None),
    ]
    assert warnings == [
        f"{path}, line 15: impossible date 'February 30, 2006 @ 7:45 pm | Comment'; "
        "the comment is kept without a timestamp",
        f"{path}: text after the last '| Comment' line is not a complete comment and was "
        "skipped: 'Name (required)'",
    ]


def test_variant_every_sample_parses_to_one_thread() -> None:
    for path in sorted(TEXT.glob("*.txt")):
        threads, _ = parse(path)
        assert len(threads) == 1, path
        assert threads[0].entries[0].kind == "post", path


# --- bad input ----------------------------------------------------------------------------


def test_bad_input_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"\xef\xbb\xbf \n\n")
    with pytest.raises(SourceFormatError) as info:
        parse(path)
    assert info.value.reason == "the file is empty"
    assert info.value.hint == "Nothing to ingest."


def test_bad_input_not_this_format(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Shopping list\n\nEggs, milk, bread.\n", encoding="utf-8")
    with pytest.raises(SourceFormatError) as info:
        parse(path)
    assert info.value.path == str(path)
    assert "no 'Posted by' line and no '... | Comment' closing lines" in info.value.reason
    assert info.value.hint is not None and "--format" in info.value.hint


def test_bad_input_latin1_bytes(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes(
        b"A title\n\nPosted by Martyn\n\nCaf\xe9 society.\n\nOctober 1, 2005 @ 2:01 pm | Comment\n"
    )
    with pytest.raises(SourceFormatError) as info:
        parse(path)
    error = info.value
    assert error.reason == "not valid UTF-8: byte 0xE9 at byte offset 30"
    assert (error.line, error.column) == (5, 4)
    assert error.hint is not None and "Convert the file to UTF-8" in error.hint
    assert str(error).startswith(f"{path}, line 5, column 4: not valid UTF-8")


def test_bad_input_offset_counts_the_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom-latin1.txt"
    path.write_bytes(b"\xef\xbb\xbfT\xe9\n\nPosted by M\n")
    with pytest.raises(SourceFormatError) as info:
        parse(path)
    assert info.value.reason == "not valid UTF-8: byte 0xE9 at byte offset 4"
    assert (info.value.line, info.value.column) == (1, 5)


def test_bad_input_errors_raise_during_iteration(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with open(path, "rb") as stream:
        threads = get_source("text").parse(stream, SourceContext(str(path)))
        with pytest.raises(SourceFormatError):
            next(iter(threads))


def test_variant_no_comments_header_warns(tmp_path: Path) -> None:
    path = tmp_path / "headless.txt"
    path.write_text(
        "Title here\n\nPosted by Martyn\n\nThe post.\n\nA first comment.\n\n"
        "May 1, 2008 @ 1:00 pm | Comment\n\nA second comment.\n\n"
        "May 1, 2008 @ 2:00 pm | Comment\n",
        encoding="utf-8",
    )
    thread, warnings = parse_one(path)
    assert thread.declared_count is None
    assert thread.entries[0].body == "The post.\n\nA first comment."
    assert [(e.position, e.body) for e in thread.entries[1:]] == [(1, "A second comment.")]
    assert warnings == [
        f"{path}: no 'N Comments' line; the post cannot be told from the first comment, "
        "so both are read as the post"
    ]


def test_variant_post_without_comments(tmp_path: Path) -> None:
    path = tmp_path / "quiet.txt"
    path.write_text(
        "Quiet post\n\nPosted by Martyn\n\nNobody answered.\n\nNo Comments\n\n"
        "Sorry, the comment form is closed at this time.\n",
        encoding="utf-8",
    )
    thread, warnings = parse_one(path)
    assert warnings == []
    assert thread.declared_count == 0
    assert [(e.kind, e.author, e.body) for e in thread.entries] == [
        ("post", "Martyn", "Nobody answered.")
    ]

"""Stack Exchange dumps: Posts.xml with Comments.xml and Users.xml beside it."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

import pytest
from threadsearch.errors import SourceFormatError
from threadsearch.model import Entry, Thread, entry_id_for, thread_id_for
from threadsearch.sources import SourceContext, get_source

UTC = timezone.utc
QC = "bulk/stackexchange-quantumcomputing-2018"
QC_SITE = "quantumcomputing.stackexchange.com"


def parse_dump(folder: Path, warnings: list[str] | None = None) -> list[Thread]:
    def open_related(name: str) -> BinaryIO | None:
        path = folder / name
        return path.open("rb") if path.exists() else None

    posts = folder / "Posts.xml"
    context = SourceContext(
        str(posts),
        open_related=open_related,
        warn=(warnings if warnings is not None else []).append,
    )
    with posts.open("rb") as stream:
        return list(get_source("stackexchange").parse(stream, context))


@functools.lru_cache(maxsize=1)
def parse_quantumcomputing(folder: Path) -> tuple[tuple[Thread, ...], tuple[str, ...]]:
    warnings: list[str] = []
    return tuple(parse_dump(folder, warnings)), tuple(warnings)


def entries_by_id(threads: tuple[Thread, ...] | list[Thread]) -> dict[str, Entry]:
    return {entry.id: entry for thread in threads for entry in thread.entries}


# --- a tiny hand-made dump ---------------------------------------------------------------

BOM = "\ufeff"

# Row order as in real dumps is by Id, but an answer (Id 4) before its question (Id 5)
# must still land in that question's thread.
TINY_POSTS = f"""{BOM}<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2020-01-02T10:00:00.000"
       Body="&lt;p&gt;A &lt;em&gt;qubit&lt;/em&gt;? 1 &amp;lt; 2&lt;/p&gt;&#xA;&lt;p&gt;https://tiny.stackexchange.com/q/5"
       OwnerUserId="10" Title="Qubits &amp; bits" Tags="&lt;qubit&gt;&lt;basics&gt;"
       AnswerCount="2" CommentCount="1" />
  <row Id="2" PostTypeId="4" CreationDate="2020-01-02T10:05:00.000" Body="&lt;p&gt;wiki&lt;/p&gt;"
       OwnerUserId="-1" CommentCount="0" />
  <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2020-01-02T11:00:00.000"
       Body="&lt;p&gt;A two-level system. See https://tiny.stackexchange.com/a/3&lt;/p&gt;"
       OwnerUserId="11" CommentCount="1" />
  <row Id="4" PostTypeId="2" ParentId="5" CreationDate="2020-01-03T09:00:00.000"
       Body="&lt;p&gt;Early answer&lt;/p&gt;" OwnerDisplayName="user999" CommentCount="0" />
  <row Id="5" PostTypeId="1" CreationDate="2020-01-03T08:00:00.000"
       Body="&lt;p&gt;Second question&lt;/p&gt;" Title="Gates" Tags="|gates|circuit|"
       AnswerCount="1" CommentCount="0" />
  <row Id="6" PostTypeId="2" ParentId="1" CreationDate="2020-01-02T10:30:00.000"
       Body="&lt;p&gt;Another answer&lt;/p&gt;" CommentCount="0" />
  <row Id="7" PostTypeId="5" CreationDate="2020-01-02T10:05:00.000" Body="excerpt" />
</posts>
"""

TINY_COMMENTS = f"""{BOM}<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="100" PostId="3" Score="0" Text="Nice, thanks! &quot;two-level&quot;"
       CreationDate="2020-01-02T12:00:00.500" UserId="10" />
  <row Id="101" PostId="1" Score="0" Text="Duplicate of https://tiny.stackexchange.com/questions/5/gates"
       CreationDate="2020-01-02T10:20:00.000" UserDisplayName="user42" />
</comments>
"""

TINY_USERS = f"""{BOM}<?xml version="1.0" encoding="utf-8"?>
<users>
  <row Id="-1" DisplayName="Community" AboutMe="&lt;p&gt;bot&lt;/p&gt;" />
  <row Id="10" DisplayName="Alice &amp;amp; Co" />
  <row Id="11" DisplayName=" Bob " />
</users>
"""


def write_dump(folder: Path, posts: str = TINY_POSTS, **related: str | None) -> Path:
    files = {"Comments.xml": TINY_COMMENTS, "Users.xml": TINY_USERS}
    files.update({f"{name}.xml": text for name, text in related.items()})
    folder.mkdir(exist_ok=True)
    (folder / "Posts.xml").write_text(posts, encoding="utf-8")
    for name, text in files.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_stackexchange_tiny_dump_threads_and_counts(tmp_path: Path) -> None:
    warnings: list[str] = []
    threads = parse_dump(write_dump(tmp_path), warnings)
    assert warnings == []
    assert [t.title for t in threads] == ["Qubits & bits", "Gates"]
    assert [len(t.entries) for t in threads] == [5, 2]
    assert [t.declared_count for t in threads] == [4, 1]
    assert [t.tags for t in threads] == [["qubit", "basics"], ["gates", "circuit"]]


def test_stackexchange_tiny_dump_site_from_links(tmp_path: Path) -> None:
    first, second = parse_dump(write_dump(tmp_path))
    assert first.site == second.site == "tiny.stackexchange.com"
    assert first.url == "https://tiny.stackexchange.com/q/1"
    assert first.id == thread_id_for("stackexchange:tiny.stackexchange.com:1")
    assert first.source is None


def test_stackexchange_tiny_dump_question_entry(tmp_path: Path) -> None:
    question = parse_dump(write_dump(tmp_path))[0].entries[0]
    thread_id = thread_id_for("stackexchange:tiny.stackexchange.com:1")
    assert question.id == entry_id_for(thread_id, "q1")
    assert (question.kind, question.position, question.depth) == ("post", 0, 0)
    assert question.parent_id is None
    assert question.title == "Qubits & bits"
    assert question.author == "Alice & Co"
    assert question.author_url == "https://tiny.stackexchange.com/users/10"
    assert question.timestamp == datetime(2020, 1, 2, 10, 0, tzinfo=UTC)
    # &amp;lt; in the attribute: lxml undoes one level, html_to_text the other
    assert question.body == ("A qubit? 1 < 2\n\nhttps://tiny.stackexchange.com/q/5")


def test_stackexchange_tiny_dump_order_parents_and_depths(tmp_path: Path) -> None:
    thread = parse_dump(write_dump(tmp_path))[0]
    q = entry_id_for(thread.id, "q1")
    a3 = entry_id_for(thread.id, "a3")
    rows = [(e.id, e.position, e.kind, e.depth, e.parent_id) for e in thread.entries]
    assert rows == [
        (q, 0, "post", 0, None),
        (entry_id_for(thread.id, "c101"), 1, "comment", 1, q),
        (entry_id_for(thread.id, "a6"), 2, "comment", 1, q),
        (a3, 3, "comment", 1, q),
        (entry_id_for(thread.id, "c100"), 4, "comment", 2, a3),
    ]


def test_stackexchange_tiny_dump_answer_and_comments(tmp_path: Path) -> None:
    thread = parse_dump(write_dump(tmp_path))[0]
    by_id = {e.id.rpartition("-")[2]: e for e in thread.entries}
    answer, anonymous = by_id["a3"], by_id["a6"]
    assert answer.author == "Bob"
    assert answer.url == "https://tiny.stackexchange.com/a/3"
    assert answer.timestamp == datetime(2020, 1, 2, 11, 0, tzinfo=UTC)
    assert (anonymous.author, anonymous.author_url) == (None, None)
    comment = by_id["c100"]
    assert comment.body == 'Nice, thanks! "two-level"'
    assert comment.author == "Alice & Co"
    assert comment.timestamp == datetime(2020, 1, 2, 12, 0, 0, 500000, tzinfo=UTC)
    assert comment.url == "https://tiny.stackexchange.com/q/1#comment100_3"
    assert by_id["c101"].author == "user42"


def test_stackexchange_answer_before_its_question_grouped(tmp_path: Path) -> None:
    thread = parse_dump(write_dump(tmp_path))[1]
    assert [(e.id.rpartition("-")[2], e.author, e.position) for e in thread.entries] == [
        ("q5", None, 0),
        ("a4", "user999", 1),
    ]


def test_stackexchange_without_comments_warns_and_parses(tmp_path: Path) -> None:
    warnings: list[str] = []
    threads = parse_dump(write_dump(tmp_path, Comments=None), warnings)
    assert warnings == [
        f"{tmp_path / 'Comments.xml'} not found beside {tmp_path / 'Posts.xml'}: "
        "the threads will have no comments"
    ]
    assert [len(t.entries) for t in threads] == [3, 2]
    assert threads[0].declared_count == 4


def test_stackexchange_without_users_falls_back_to_display_names(tmp_path: Path) -> None:
    warnings: list[str] = []
    threads = parse_dump(write_dump(tmp_path, Users=None), warnings)
    assert len(warnings) == 1
    assert "Users.xml not found" in warnings[0]
    authors = {e.id.rpartition("-")[2]: e.author for t in threads for e in t.entries}
    assert authors == {
        "q1": None,
        "c101": "user42",
        "a6": None,
        "a3": None,
        "c100": None,
        "q5": None,
        "a4": "user999",
    }


def test_stackexchange_no_obvious_site_gives_none(tmp_path: Path) -> None:
    posts = TINY_POSTS.replace("tiny.stackexchange.com", "example.org/x")
    comments = TINY_COMMENTS.replace("tiny.stackexchange.com", "example.org/x")
    thread = parse_dump(write_dump(tmp_path, posts, Comments=comments))[0]
    assert (thread.site, thread.url) == (None, None)
    assert thread.id == thread_id_for("stackexchange:unknown:1")
    assert {e.url for e in thread.entries} == {None}
    assert {e.author_url for e in thread.entries} == {None}


def test_stackexchange_orphans_warned_and_skipped(tmp_path: Path) -> None:
    posts = TINY_POSTS.replace('ParentId="5"', 'ParentId="99"')
    comments = TINY_COMMENTS.replace('PostId="3"', 'PostId="2"')
    warnings: list[str] = []
    threads = parse_dump(write_dump(tmp_path, posts, Comments=comments), warnings)
    assert [len(t.entries) for t in threads] == [4, 1]
    assert [w.partition(": ")[2] for w in warnings] == [
        "skipped 1 answers whose question is not in the file",
        "skipped 1 comments on posts that are not a question or answer in the file",
    ]


# Real dumps have one row per line; the rows below are too, so the line is the row's.
ONE_LINE_POSTS = """<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" CreationDate="2020-01-02T10:00:00.000" Body="x" Title="t" />
  <row Id="5" PostTypeId="1" CreationDate="yesterday" Body="y" Title="u" />
</posts>
"""


def test_stackexchange_bad_creation_date_names_row(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError) as caught:
        parse_dump(write_dump(tmp_path, ONE_LINE_POSTS))
    error = caught.value
    assert (error.path, error.line, error.record) == (str(tmp_path / "Posts.xml"), 4, "row Id=5")
    assert error.reason == "CreationDate 'yesterday' is not an ISO 8601 time"


def test_stackexchange_comment_without_post_id_names_comments_file(tmp_path: Path) -> None:
    comments = """<?xml version="1.0" encoding="utf-8"?>
<comments>
  <row Id="101" Text="hi" CreationDate="2020-01-02T10:20:00.000" UserId="10" />
</comments>
"""
    with pytest.raises(SourceFormatError) as caught:
        parse_dump(write_dump(tmp_path, Comments=comments))
    error = caught.value
    assert (error.path, error.line, error.record) == (
        str(tmp_path / "Comments.xml"),
        3,
        "row Id=101",
    )
    assert error.reason == "a <row> has no PostId attribute"


def test_stackexchange_truncated_posts_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFormatError) as caught:
        parse_dump(write_dump(tmp_path, TINY_POSTS[:-40]))
    assert caught.value.path == str(tmp_path / "Posts.xml")
    assert caught.value.reason.startswith("not well-formed XML")


# --- the quantumcomputing dump (../shared/corpora) ----------------------------------------


def test_stackexchange_quantumcomputing_counts(corpora: Path) -> None:
    threads, warnings = parse_quantumcomputing(corpora / QC)
    assert warnings == ()
    entries = [e for t in threads for e in t.entries]
    answers = [e for e in entries if "-a" in e.id]
    comments = [e for e in entries if "-c" in e.id]
    assert len(threads) == 612
    assert len(answers) == 1060
    assert len(comments) == 3413
    assert len(entries) - len(threads) == 4473
    assert sum(1 for e in entries if e.kind == "post") == 612
    assert sum(1 for e in comments if e.depth == 2) == 1960
    assert all(t.declared_count == len(t.entries) - 1 for t in threads)
    assert {t.site for t in threads} == {QC_SITE}


def test_stackexchange_quantumcomputing_question(corpora: Path) -> None:
    threads, _ = parse_quantumcomputing(corpora / QC)
    thread = threads[0]
    assert thread.id == thread_id_for(f"stackexchange:{QC_SITE}:1")
    assert thread.title == "Can a Turing machine simulate a quantum computer?"
    assert thread.url == f"https://{QC_SITE}/q/1"
    assert thread.tags == ["simulation", "quantum-turing-machine"]
    assert len(thread.entries) == 32
    question = thread.entries[0]
    assert (question.kind, question.depth, question.parent_id) == ("post", 0, None)
    assert question.author == "Riker"
    assert question.timestamp == datetime(2018, 3, 12, 17, 0, 45, 567000, tzinfo=UTC)
    assert question.body.startswith(
        'I know that a Turing machine1 can theoretically simulate "anything"'
    )


def test_stackexchange_quantumcomputing_answer_and_comments(corpora: Path) -> None:
    threads, _ = parse_quantumcomputing(corpora / QC)
    thread = threads[0]
    by_id = entries_by_id([thread])
    answer = by_id[entry_id_for(thread.id, "a18")]
    assert (answer.kind, answer.depth, answer.position) == ("comment", 1, 2)
    assert answer.parent_id == entry_id_for(thread.id, "q1")
    assert answer.author == "Nat"
    assert answer.timestamp == datetime(2018, 3, 12, 17, 59, 39, 560000, tzinfo=UTC)
    on_answer = by_id[entry_id_for(thread.id, "c35")]
    assert (on_answer.kind, on_answer.depth, on_answer.position) == ("comment", 2, 3)
    assert on_answer.parent_id == entry_id_for(thread.id, "a5")
    assert on_answer.author == "Nat"
    assert on_answer.timestamp == datetime(2018, 3, 12, 18, 7, 23, 887000, tzinfo=UTC)
    on_question = by_id[entry_id_for(thread.id, "c88")]
    assert (on_question.depth, on_question.parent_id) == (1, entry_id_for(thread.id, "q1"))
    assert on_question.author == "Robert Cartaino"


def test_stackexchange_quantumcomputing_deleted_users_keep_display_names(
    corpora: Path,
) -> None:
    threads, _ = parse_quantumcomputing(corpora / QC)
    authors = {e.id.rpartition("-")[2]: e.author for t in threads for e in t.entries}
    assert authors["a1200"] == "user306"
    assert authors["q1808"] == "user2508039"
    assert authors["c1202"] == "user1683"
    assert sum(1 for name in authors.values() if name is None) == 0


def test_stackexchange_quantumcomputing_without_comments(corpora: Path, tmp_path: Path) -> None:
    for name in ("Posts.xml", "Users.xml"):
        (tmp_path / name).symlink_to(corpora / QC / name)
    warnings: list[str] = []
    threads = parse_dump(tmp_path, warnings)
    assert len(warnings) == 1
    assert len(threads) == 612
    assert sum(len(t.entries) for t in threads) == 612 + 1060

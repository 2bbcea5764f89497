"""Every folder of the real corpora goes in with one `threadsearch ingest` call.

These read ../shared/corpora (skipped when it is absent). The bulk R-help archive is
ingested by the benchmark, not here: it takes minutes (see the README's figures).

Counts are what the files hold, as ``SOURCES.md`` states them, not what a parser happens
to yield. Where today's parsers fall short, the case is a strict expected failure that
names the issue fixing it, so it turns into a failure the day it starts to pass.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from threadsearch.api.cli import main
from threadsearch.ingest import IngestOptions, Progress, iter_threads
from threadsearch.model import Thread

ISSUE_11 = "issue 11: real archives from other sites and languages"

# folder -> (files, threads, entries including posts, warnings)
EXPECTED = {
    # 1525 published posts and pages, each the post entry plus 2003 visible comments:
    # the five older exports (1280 threads, 1790 comments) and sheepless-ko (244 published
    # posts and 1 page; 213 comments).
    "wxr": (6, 1525, 3528, 2),
    # laisky: 59 threads (two Disqus threads are one page, with and without a trailing
    # slash, and are merged) and 204 posts; tanglei: 340 threads and 2687 posts.
    "disqus": (2, 399, 2891, 0),
    # 50 + 38 + 10 feed items; the 25 Cisco comments of the site-wide feed are the
    # same documents as the per-post feed's, so 73.
    "rss": (3, 20, 73, 4),
    # 10 entries on 5 posts; a comment feed holds no post entries.
    "atom": (1, 5, 10, 0),
    # 328 messages in 47 threads.
    "mbox": (1, 47, 328, 0),
    "bulk/stackexchange-quantumcomputing-2018": (3, 612, 5085, 0),
}
# Four pages, each a post: whizzy 38 comments, aboutnetapp 92, bigredtin 9, thesocietea
# 13 comments and 5 pingbacks. Warnings: aboutnetapp and bigredtin name no host, whizzy's
# host comes from its site name.
HTML = pytest.param("html", (4, 4, 161, 3), id="html")


@pytest.mark.parametrize(("folder", "expected"), [*EXPECTED.items(), HTML])
def test_corpus_folder_ingests_in_one_call(
    corpora: Path, tmp_path: Path, folder: str, expected: tuple[int, int, int, int]
) -> None:
    result = CliRunner().invoke(
        main, ["ingest", str(corpora / folder), "--index", str(tmp_path), "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    files, threads, entries, warnings = expected
    assert (report["files"], report["threads"], report["entries"]) == (files, threads, entries)
    assert len(report["warnings"]) == warnings


# --- the files added with issues 10 and 11, one by one (counts from SOURCES.md) ----------


def parse(path: Path) -> list[Thread]:
    return list(iter_threads([path], IngestOptions(), Progress()))


def kinds(threads: list[Thread]) -> Counter[str]:
    return Counter(entry.kind for thread in threads for entry in thread.entries)


def replies(threads: list[Thread]) -> int:
    return sum(1 for thread in threads for entry in thread.entries if entry.parent_id)


def test_corpus_korean_wxr_counts(corpora: Path) -> None:
    threads = parse(corpora / "wxr" / "sheepless-ko-2008-2013.wxr.xml")
    # 248 posts less 4 drafts, and 1 page; 213 plain comments, none threaded.
    assert len(threads) == 245
    assert kinds(threads) == {"post": 245, "comment": 213}
    assert replies(threads) == 0
    authors = Counter(e.author for t in threads for e in t.entries if e.kind == "comment")
    assert (len(authors), authors["unc.b."], authors["Ran"], authors[""] + authors[None]) == (
        28,
        67,
        52,
        0,
    )


def test_corpus_mail_archive_threads(corpora: Path) -> None:
    threads = parse(corpora / "mbox" / "gpt-usuarios-pt-2007-10.txt.gz")
    assert len(threads) == 47
    # 47 threads started by 46 roots in the file and 1 reply whose parent is not.
    assert kinds(threads) == {"post": 46, "comment": 282}
    assert replies(threads) == 281
    assert max(e.depth for t in threads for e in t.entries) == 18


def test_corpus_mail_archive_list_is_the_site_and_leaves_the_titles(corpora: Path) -> None:
    threads = parse(corpora / "mbox" / "gpt-usuarios-pt-2007-10.txt.gz")
    assert {thread.site for thread in threads} == {"gpt-usuarios"}
    assert [t.title for t in threads if "[gpt-usuarios]" in t.title] == []


def test_corpus_atom_feed_counts(corpora: Path) -> None:
    threads = parse(corpora / "atom" / "bigredtin-comments-feed.atom.xml")
    assert len(threads) == 5
    assert kinds(threads) == {"comment": 10}


def test_corpus_atom_feed_replies(corpora: Path) -> None:
    threads = parse(corpora / "atom" / "bigredtin-comments-feed.atom.xml")
    # 2 entries answer a comment (one of them a comment the feed does not hold).
    assert replies(threads) == 2


@pytest.mark.parametrize(
    ("name", "expected", "reply_count", "depths"),
    [
        (
            "bigredtin-including-wordpress-comment-reply-js.html",
            {"post": 1, "comment": 9},
            3,
            {1: 6, 2: 3},
        ),
        # 6 top-level comments and the 5 pingbacks at depth 1; replies at depths 2 and 3.
        (
            "thesocietea-json-api-rails-part-1-wpsupercache.html",
            {"post": 1, "comment": 13, "pingback": 5},
            7,
            {1: 11, 2: 5, 3: 2},
        ),
    ],
)
def test_corpus_page_from_another_theme_keeps_its_comments(
    corpora: Path, name: str, expected: dict[str, int], reply_count: int, depths: dict[int, int]
) -> None:
    threads = parse(corpora / "html" / name)
    assert kinds(threads) == expected
    assert replies(threads) == reply_count
    assert Counter(e.depth for t in threads for e in t.entries if e.kind != "post") == depths

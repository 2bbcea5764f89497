"""Bad archives through `threadsearch ingest`: a clear error, and the index unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from threadsearch import open_index, stats
from threadsearch.api.cli import main

from tests.conftest import DATA

WXR = (DATA / "wxr" / "timothyfitz-wordpresscom-2009-2012.wxr.xml").read_bytes()

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><item><title>&lol3;</title></item></channel></rss>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://x.example/p/#comment-1</link></item></channel></rss>
"""
NO_ITEMS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Comments on: Nothing</title><link>https://x.example/</link></channel></rss>
"""
BAD_JSONL = (
    b'{"title": "fine", "entries": [{"kind": "post", "position": 0}]}\n'
    b'{"title": "broken", "entries": [{"kind": "reply", "position": 0}]}\n'
)

# name -> (bytes, what the error must say)
BAD = {
    "truncated.wxr.xml": (WXR[: len(WXR) // 2], "line "),
    "bomb.rss.xml": (BOMB, "declares XML entities"),
    "external.rss.xml": (EXTERNAL, "declares XML entities"),
    "empty-feed.rss.xml": (NO_ITEMS, "no items"),
    "broken.jsonl": (BAD_JSONL, "line 2: entries.0.kind: Must be one of"),
}


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def state(directory: Path) -> tuple[int, int]:
    index = open_index(directory)
    try:
        body = stats(index)
    finally:
        index.close()
    return body.entries, body.generation


@pytest.mark.parametrize("name", list(BAD))
def test_bad_archive_fails_and_leaves_the_index(
    name: str, seed_index_copy: Path, tmp_path: Path
) -> None:
    data, message = BAD[name]
    bad = tmp_path / name
    bad.write_bytes(data)
    before = state(seed_index_copy)
    result = invoke("ingest", str(bad), "--index", str(seed_index_copy), "--quiet")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {bad}")
    assert message in result.stderr
    assert state(seed_index_copy) == before


def test_truncated_xml_error_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.wxr.xml"
    bad.write_bytes(WXR[:300_000])
    result = invoke("ingest", str(bad), "--index", str(tmp_path / "index"), "--quiet")
    assert result.exit_code == 1
    assert f"error: {bad}, line 4445, column 47: not well-formed XML" in result.stderr


def test_mailbox_with_a_malformed_header_is_ingested_with_a_warning(tmp_path: Path) -> None:
    good = "From a at x.org  Wed Apr  2 10:00:00 2003\nFrom: a at x.org (Ann)\n"
    good += "Date: Wed, 2 Apr 2003 10:00:00 +0000\nSubject: [R] plots\nMessage-ID: <{id}@x>\n\n"
    good += "How do I plot {word}?\n\n"
    garbage = "From b at x.org  Wed Apr  2 11:00:00 2003\nthis is no header\n\nbody\n\n"
    mailbox = tmp_path / "list.mbox"
    mailbox.write_text(
        good.format(id=1, word="lines") + garbage + good.format(id=2, word="bars"),
        encoding="utf-8",
    )
    result = invoke("ingest", str(mailbox), "--index", str(tmp_path / "index"), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["entries"] == 2
    assert len(report["warnings"]) == 1
    assert (
        "list.mbox, line 9" in report["warnings"][0] and "message skipped" in report["warnings"][0]
    )


def test_gzipped_files_and_folders_are_read(tmp_path: Path) -> None:
    import gzip

    from tests.conftest import SEED

    folder = tmp_path / "archive" / "nested"
    folder.mkdir(parents=True)
    (folder / "seed.txt.gz").write_bytes(gzip.compress(SEED.read_bytes()))
    result = invoke("ingest", str(tmp_path / "archive"), "--index", str(tmp_path / "i"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["entries"] == 27

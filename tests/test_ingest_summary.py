"""The ingest summary: per file, entries by kind, threads, undated and merged entries and
warnings, from the library, the CLI (``--json`` and the table) and ``--strict``.

Real files: the three comment feeds and the Cisco page of tests/data (the page and two
feeds hold the same comments), the Portuguese mailing-list archive and the seed thread.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from threadsearch import open_index, stats
from threadsearch.api.cli import main
from threadsearch.errors import StrictIngestError
from threadsearch.ingest import IngestOptions, ingest_paths
from threadsearch.model import FileSummary

ROOT = Path(__file__).resolve().parents[1]
FEEDS = ROOT / "tests" / "data" / "feed"
JASNAPAKA = FEEDS / "jasnapaka-bloguje-cz-comments-iso-8859-2.rss.xml"
CISCO_FEED = FEEDS / "whizzy-org-cisco-7941-post-comments-feed.rss.xml"
SITE_FEED = FEEDS / "whizzy-org-site-comments-feed.rss.xml"
CISCO_PAGE = ROOT / "tests" / "data" / "html" / "whizzy-org-cisco-7941-asterisk-and-sip.html"
GPT = ROOT / "tests" / "data" / "mail" / "gpt-usuarios-pt-2007-10.txt.gz"
SEED = ROOT / "index_data" / "000_da0b5a8ba304d53d.txt"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["ingest", *args, "-q"])
    return result.exit_code, result.output


def test_summary_per_file_counts_kinds_undated_merged_and_warnings(tmp_path: Path) -> None:
    index = open_index(tmp_path, create=True)
    summary = ingest_paths(index, [JASNAPAKA, CISCO_FEED, SITE_FEED, CISCO_PAGE, SEED])
    index.close()
    by_path = {Path(item.path).name: item for item in summary.by_file}
    assert [Path(p).name for p in summary.files] == [
        JASNAPAKA.name,
        CISCO_FEED.name,
        SITE_FEED.name,
        CISCO_PAGE.name,
        SEED.name,
    ]
    assert by_path[JASNAPAKA.name] == FileSummary(
        str(JASNAPAKA), "feed", 10, {"comment": 10}, 0, 0, summary.by_file[0].warnings
    )
    assert len(by_path[JASNAPAKA.name].warnings) == 1
    # The page's 38 comments are the Cisco feed's 38; 25 of them are also in the site
    # feed. The seed's post has no date.
    counts = {
        name: (item.format, item.threads, item.entries, item.undated, item.merged)
        for name, item in by_path.items()
    }
    assert counts == {
        JASNAPAKA.name: ("feed", 10, {"comment": 10}, 0, 0),
        CISCO_FEED.name: ("feed", 1, {"comment": 38}, 0, 38),
        SITE_FEED.name: ("feed", 10, {"comment": 50}, 0, 25),
        CISCO_PAGE.name: ("html", 1, {"post": 1, "comment": 38}, 0, 38),
        SEED.name: ("text", 1, {"post": 1, "comment": 23, "trackback": 3}, 1, 0),
    }
    assert [len(item.warnings) for item in summary.by_file] == [1, 2, 1, 1, 0]
    # The index holds each merged entry once: 164 read, 38 + 25 of them copies.
    assert (summary.threads, summary.entries) == (21, 164 - 38 - 25)
    # Every file's warnings, in reading order; a thread matched across files comes last.
    assert sorted(summary.warnings) == sorted(w for item in summary.by_file for w in item.warnings)
    assert summary.warnings[-1].endswith("from another file")


def test_summary_of_the_portuguese_mail_archive(tmp_path: Path) -> None:
    code, output = run(str(GPT), "--index", str(tmp_path), "--json")
    assert code == 0, output
    body = json.loads(output)
    assert body == {
        "files": 1,
        "threads": 47,
        "entries": 328,
        "warnings": [],
        "strict": False,
        "index": str(tmp_path),
        "by_file": [
            {
                "path": str(GPT),
                "format": "mail",
                "threads": 47,
                "entries": {"post": 46, "comment": 282},
                "undated": 0,
                "merged": 0,
                "warnings": [],
            }
        ],
        "skipped": [],
    }


def test_cli_prints_one_line_per_file(tmp_path: Path) -> None:
    code, output = run(str(SEED), str(GPT), "--index", str(tmp_path))
    assert code == 0, output
    assert output.splitlines() == [
        f"{SEED} (text): 1 threads; 23 comment, 1 post, 3 trackback; 1 undated, 0 merged, "
        "0 warnings",
        f"{GPT} (mail): 47 threads; 282 comment, 46 post; 0 undated, 0 merged, 0 warnings",
        f"Indexed 355 entries in 48 threads from 2 files into {tmp_path} "
        "(0 files already in, skipped; 0 warnings).",
    ]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_strict_fails_on_warnings_and_leaves_the_index_as_it_was(tmp_path: Path) -> None:
    code, _ = run(str(SEED), "--index", str(tmp_path), "--strict")
    assert code == 0  # the seed gives no warning
    before = snapshot(tmp_path)
    code, output = run(str(GPT), str(FEEDS), "--index", str(tmp_path), "--strict", "--json")
    assert code == 1
    assert "strict ingest: 4 warnings, nothing written" in output
    assert "line 62: removed a control character XML forbids" in output
    assert snapshot(tmp_path) == before
    index = open_index(tmp_path)
    assert stats(index).entries == 27
    index.close()


def test_strict_in_the_library_lists_every_warning(tmp_path: Path) -> None:
    index = open_index(tmp_path, create=True)
    with pytest.raises(StrictIngestError) as caught:
        ingest_paths(index, [FEEDS], IngestOptions(strict=True))
    assert [w.split(":")[0].split(",")[0] for w in caught.value.warnings] == [
        str(JASNAPAKA),
        str(CISCO_FEED),
        str(SITE_FEED),
        str(CISCO_FEED),
    ]
    assert stats(index).entries == 0
    index.close()


def test_a_second_run_lists_the_files_already_in_as_skipped(tmp_path: Path) -> None:
    assert run(str(SEED), "--index", str(tmp_path))[0] == 0
    code, output = run(str(SEED), str(GPT), "--index", str(tmp_path), "--json")
    assert code == 0, output
    body = json.loads(output)
    assert body["skipped"] == [str(SEED)]
    assert [item["path"] for item in body["by_file"]] == [str(GPT)]
    assert (body["files"], body["threads"], body["entries"]) == (1, 47, 328)
    index = open_index(tmp_path)
    try:
        assert stats(index).entries == 27 + 328
    finally:
        index.close()

"""Every folder of the real corpora goes in with one `threadsearch ingest` call.

These read ../shared/corpora (skipped when it is absent). The bulk R-help archive is
ingested by the benchmark, not here: it takes minutes (see the README's figures).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from api.cli import main

# folder -> (files, threads, entries including posts, warnings)
EXPECTED = {
    # 1280 published posts and pages, each the post entry plus 1790 visible comments.
    "wxr": (5, 1280, 3070, 2),
    # laisky: 59 threads (two Disqus threads are one page, with and without a trailing
    # slash, and are merged) and 204 posts; tanglei: 340 threads and 2687 posts.
    "disqus": (2, 399, 2891, 0),
    # 50 + 38 + 10 feed items; the 25 Cisco comments of the site-wide feed are the
    # same documents as the per-post feed's, so 73.
    "rss": (3, 20, 73, 4),
    "html": (2, 2, 132, 2),
    "bulk/stackexchange-quantumcomputing-2018": (3, 612, 5085, 0),
}


@pytest.mark.parametrize("folder", list(EXPECTED))
def test_corpus_folder_ingests_in_one_call(corpora: Path, tmp_path: Path, folder: str) -> None:
    result = CliRunner().invoke(
        main, ["ingest", str(corpora / folder), "--index", str(tmp_path), "--json", "-q"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    files, threads, entries, warnings = EXPECTED[folder]
    assert (report["files"], report["threads"], report["entries"]) == (files, threads, entries)
    assert len(report["warnings"]) == warnings

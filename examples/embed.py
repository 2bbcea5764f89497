"""A small tool that embeds threadsearch: threads built in code, indexed, searched with facets.

python examples/embed.py [INDEX_DIR]      # a temporary index when none is given
"""

from __future__ import annotations

import sys
import tempfile
from datetime import datetime, timedelta, timezone

from threadsearch import Entry, SearchRequest, Thread, add_threads, open_index, search

START = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)
NOTES = [
    ("Ana", "Vinegar descales a kettle in an hour."),
    ("Ben", "Citric acid descales it faster than vinegar."),
    ("Ana", "Rinse twice, or the tea tastes of vinegar."),
]


def kettle_thread() -> Thread:
    post = Entry(
        "kettle-0",
        "kettle",
        "post",
        0,
        body="How do you descale a kettle?",
        author="Cleo",
        timestamp=START,
        utc_offset=0,
    )
    replies = [
        Entry(
            f"kettle-{n}",
            "kettle",
            "comment",
            n,
            body=text,
            author=author,
            timestamp=START + timedelta(hours=n),
            utc_offset=120,
            parent_id="kettle-0",
            depth=1,
        )
        for n, (author, text) in enumerate(NOTES, start=1)
    ]
    return Thread("kettle", "Descaling a kettle", site="example.org", entries=[post, *replies])


def main(folder: str) -> None:
    with open_index(folder, create=True) as index:
        add_threads(index, [kettle_thread()])
        result = search(index, SearchRequest(q="vinegar", facets=["author"], sort="oldest"))
        print(f"{result.total} entries mention vinegar")
        for hit in result.hits:
            print(f"  {hit.timestamp:%Y-%m-%d %H:%M} UTC  {hit.author}: {hit.id}")
        for value in result.facets["author"].values:
            print(f"  author {value.value}: {value.count}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="threadsearch-"))

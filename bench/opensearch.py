"""``python -m bench.opensearch``: the opensearch backend beside Whoosh, 1 node and 3 nodes.

Copies a Whoosh index into a fresh loopback cluster (``cluster/launch.py``) of 1 and then
3 nodes, reports the copy's entries per second, and times each query class through the
two backends' ``search`` (the Python API, no HTTP), printing p50 in ms per class.

    python -m bench.opensearch --index /tmp/corpus-index --repeat 5

Needs Java 17 and Maven (as ``make cluster-up``) and the ``opensearch`` extra.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from threadsearch.backend import Backend, WhooshBackend
from threadsearch.export import iter_index_fields
from threadsearch.index import open_index
from threadsearch.model import SearchRequest
from threadsearch.opensearch import OpenSearchBackend

from cluster.launch import DevCluster

CLASSES: dict[str, list[SearchRequest]] = {
    "word": [SearchRequest(q=w) for w in ("deployment", "python", "博客", "usuários", "code")],
    "two words": [SearchRequest(q=q) for q in ("continuous deployment", "open source")],
    "phrase": [SearchRequest(q=q) for q in ('"continuous deployment"', '"open source"')],
    "facets": [
        SearchRequest(q=w, facets=["author", "kind", "lang", "month"]) for w in ("code", "blog")
    ],
    "browse newest": [SearchRequest(sort="newest", facets=["day"])],
    "collapse": [SearchRequest(q="code", collapse="thread")],
    "date filter": [
        SearchRequest(
            since=datetime(2010, 1, 1, tzinfo=timezone.utc),
            until=datetime(2011, 1, 1, tzinfo=timezone.utc),
            sort="oldest",
        )
    ],
}


def p50_per_class(backend: Backend, repeat: int) -> dict[str, float]:
    """Median milliseconds of each class's requests, after one untimed pass."""
    result = {}
    for cls, requests in CLASSES.items():
        for request in requests:
            backend.search(request)
        times = []
        for _ in range(repeat):
            for request in requests:
                # A request differing only in per_page defeats the Whoosh result cache.
                varied = SearchRequest(**{**request.__dict__, "per_page": 10 + len(times) % 7})
                started = time.perf_counter()
                backend.search(varied)
                times.append((time.perf_counter() - started) * 1000)
        result[cls] = statistics.median(times)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.opensearch", description=__doc__)
    parser.add_argument("--index", type=Path, required=True, help="a Whoosh index to copy")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    whoosh = WhooshBackend(open_index(args.index))
    entries = whoosh.stats().entries
    columns = {"whoosh": p50_per_class(whoosh, args.repeat)}
    rates = {}
    for size in (1, 3):
        with tempfile.TemporaryDirectory() as workdir:
            cluster = DevCluster.create(Path(workdir), size=size)
            cluster.start()
            try:
                backend = OpenSearchBackend(cluster.urls, alias="bench")
                started = time.perf_counter()
                backend.copy_fields(iter_index_fields(whoosh.index), shards=size)
                rates[size] = entries / (time.perf_counter() - started)
                columns[f"opensearch {size} node{'s' if size > 1 else ''}"] = p50_per_class(
                    backend, args.repeat
                )
                backend.close()
            finally:
                cluster.stop()
    names = list(columns)
    print(f"{entries} entries; p50 ms per query class")
    print("| class | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for cls in CLASSES:
        print(f"| {cls} | " + " | ".join(f"{columns[n][cls]:.1f}" for n in names) + " |")
    for size, rate in rates.items():
        print(f"copy into {size} node(s), {size} shard(s): {rate:,.0f} entries/s")


if __name__ == "__main__":
    main()

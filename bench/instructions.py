"""``python -m bench.instructions``: CPU instructions per query, counted by callgrind.

Wall-clock time on a shared machine moves with its load; an instruction count does not.
This runs itself twice under ``valgrind --tool=callgrind`` on the same index, once with N
queries of a class and once with none (after the same warm-up), and prints the
difference divided by N::

    python -m bench.instructions --index INDEX --query-class phrase --queries 30

The words come from the index itself, so every query's words are new to the process:
rare terms (in 10-50 entries), common terms (the 300 most frequent), two-term ANDs of
mid-frequency words (ranks 300-3,000), two-word phrases of adjacent words seen in the
entries' text. To count an older commit, put its package first on ``PYTHONPATH``
(``git archive REV search api``, arranged as ``threadsearch`` and ``threadsearch/api``)
and give that commit's own index. Needs valgrind.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
from itertools import islice, pairwise
from pathlib import Path

from threadsearch import SearchRequest, open_index, search
from whoosh import index as whoosh_index

CLASSES = ("rare", "common", "and", "phrase")
_WORD = re.compile(r"[a-z]{4,}")


def vocabulary(index: Path) -> dict[str, list[str]]:
    """Query strings per class, drawn deterministically from the index's terms."""
    ix = whoosh_index.open_dir(str(index), indexname="threadsearch")
    with ix.searcher() as searcher:
        reader = searcher.reader()
        lexicon = [w.decode() if isinstance(w, bytes) else w for w in reader.lexicon("spell")]
        terms = [(word, reader.doc_frequency("spell", word)) for word in lexicon]
        bodies = [fields.get("body", "") for _, fields in islice(reader.iter_docs(), 2000)]
    terms = [(t, n) for t, n in terms if t.isascii() and t.isalpha() and len(t) > 3]
    terms.sort(key=lambda pair: (-pair[1], pair[0]))
    rng = random.Random(1)
    rare = [t for t, n in terms if 10 <= n <= 50]
    common = [t for t, _ in terms[:300]]
    middle = [t for t, _ in terms[300:3000]]
    for words in (rare, common, middle):
        rng.shuffle(words)
    known = set(common) | set(middle)
    pairs: list[str] = []
    seen: set[str] = set()
    for body in bodies:
        words = _WORD.findall(str(body).lower())
        for first, second in pairwise(words):
            if first in known and second in known and not {first, second} & seen:
                pairs.append(f'"{first} {second}"')
                seen |= {first, second}
                break
    return {
        "rare": rare,
        "common": common,
        "and": [f"{a} {b}" for a, b in zip(middle[::2], middle[1::2], strict=False)],
        "phrase": pairs,
    }


def run_queries(index: Path, query_class: str, count: int) -> None:
    """The measured program: a warm-up, then ``count`` queries of the class."""
    queries = vocabulary(index)
    searchable = open_index(index)
    for word in queries["rare"][-5:]:
        search(searchable, SearchRequest(q=word))
    for text in queries[query_class][:count]:
        search(searchable, SearchRequest(q=text))


def instructions(index: Path, query_class: str, count: int) -> int:
    """Instructions callgrind collects for the whole program."""
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, "-m", "bench.instructions", "--index", str(index),
        "--query-class", query_class, "--queries", str(count), "--inner",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--query-class", choices=CLASSES, default="phrase")
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        run_queries(args.index, args.query_class, args.queries)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    base = instructions(args.index, args.query_class, 0)
    total = instructions(args.index, args.query_class, args.queries)
    per_query = (total - base) / args.queries
    print(f"{args.query_class}: {per_query / 1e6:.1f} M instructions a query ({args.queries})")


if __name__ == "__main__":
    main()

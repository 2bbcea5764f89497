"""The engines under test: ingest (run in a subprocess each) and the query adapters.

Every adapter answers the same engine-neutral query specs (see :func:`bench.report`'s
caller, ``bench.__main__.make_queries``) and returns an :class:`Answer`: the total
count, the ids of the page's hits, and facet counts. Every engine returns a page of 10
hits with stored fields and a snippet of the body, so none skips work the others do.

Run as ``python -m bench.engines ingest ENGINE CORPUS_PKL INDEX_DIR`` to ingest one
corpus into one engine; it prints one JSON line (docs, seconds, peak RSS). The
``opensearch`` engine writes into the cluster named by ``BENCH_OPENSEARCH_URLS``
(comma-separated) with ``BENCH_OPENSEARCH_SHARDS`` shards, through the backend's own
bulk path (:meth:`~threadsearch.opensearch.OpenSearchBackend.copy_threads`).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PAGE = 10
FACET_LIMIT = 50


@dataclass
class Answer:
    total: int
    ids: list[str]
    facets: dict[str, list[tuple[Any, int]]] = field(default_factory=dict)


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --- ingest -----------------------------------------------------------------------


def ingest_null(threads: Any, out: Path) -> int:
    """Read the corpus only: the baseline subtracted from every engine's time."""
    return sum(len(t.entries) for t in threads)


def ingest_threadsearch(threads: Any, out: Path) -> int:
    from threadsearch.index import open_index

    index = open_index(out, create=True)
    try:
        return index.ingest(threads).entries
    finally:
        index.close()


def ingest_threadsearch_paths(threads: Any, out: Path) -> int:
    """R-help only: the real path from files (parsing included)."""
    from threadsearch.index import open_index
    from threadsearch.ingest import ingest_paths

    from .corpus import rhelp_files

    limit = int(os.environ.get("BENCH_RHELP_FILES", "0")) or None
    index = open_index(out, create=True)
    try:
        return ingest_paths(index, list(rhelp_files(limit))).entries
    finally:
        index.close()


def ingest_whoosh(threads: Any, out: Path) -> int:
    """Whoosh the obvious way: same schema, ``ix.writer()`` defaults, add_document."""
    import whoosh.index as windex
    from threadsearch.schema import INDEX_NAME, build_schema, thread_documents

    out.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(out), build_schema(), indexname=INDEX_NAME)
    writer = ix.writer()
    count = 0
    for thread in threads:
        for doc in thread_documents(thread):
            writer.add_document(**doc)
            count += 1
    writer.commit()
    ix.close()
    return count


FTS_SCHEMA = """
CREATE TABLE entries(
    rowid INTEGER PRIMARY KEY, id TEXT, thread_id TEXT, thread_title TEXT, kind TEXT,
    author TEXT, ts INTEGER, position INTEGER, title TEXT, body TEXT);
CREATE VIRTUAL TABLE fts USING fts5(
    title, body, content='entries', content_rowid='rowid', tokenize='porter unicode61');
"""
FTS_INDEXES = """
CREATE INDEX entries_ts ON entries(ts);
CREATE INDEX entries_author ON entries(author, ts);
CREATE INDEX entries_thread ON entries(thread_id, position);
"""


def ingest_fts5(threads: Any, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "fts5.db"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.executescript(FTS_SCHEMA)
    rowid = 0
    rows: list[tuple[Any, ...]] = []

    def flush() -> None:
        con.executemany("INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        con.executemany(
            "INSERT INTO fts(rowid, title, body) VALUES (?,?,?)", [(r[0], r[8], r[9]) for r in rows]
        )
        rows.clear()

    with con:
        for thread in threads:
            for entry in thread.entries:
                rowid += 1
                stamp = _utc(entry.timestamp)
                rows.append(
                    (
                        rowid,
                        entry.id,
                        thread.id,
                        thread.title,
                        entry.kind,
                        entry.author,
                        int(stamp.timestamp()) if stamp else None,
                        entry.position,
                        entry.title or "",
                        entry.body,
                    )
                )
                if len(rows) >= 5000:
                    flush()
        flush()
        con.executescript(FTS_INDEXES)
    con.execute("ANALYZE")
    con.close()
    return rowid


def tantivy_schema() -> Any:
    import tantivy

    b = tantivy.SchemaBuilder()
    b.add_text_field("id", stored=True, tokenizer_name="raw")
    b.add_text_field("thread_id", stored=True, tokenizer_name="raw")
    b.add_text_field("thread_title", stored=True, index_option="basic")
    b.add_text_field("kind", stored=True, fast=True, tokenizer_name="raw")
    b.add_text_field("author", stored=True, fast=True, tokenizer_name="raw")
    b.add_date_field("timestamp", stored=True, indexed=True, fast=True)
    b.add_integer_field("month", fast=True)  # yyyymm, for the month terms aggregation
    b.add_integer_field("position", stored=True, fast=True)
    b.add_text_field("title", stored=True, tokenizer_name="en_stem")
    b.add_text_field("body", stored=True, tokenizer_name="en_stem")
    return b.build()


def ingest_tantivy(threads: Any, out: Path) -> int:
    import tantivy

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    index = tantivy.Index(tantivy_schema(), path=str(out))
    writer = index.writer(heap_size=128_000_000)  # num_threads=0: tantivy picks (2 here)
    count = 0
    for thread in threads:
        for entry in thread.entries:
            fields: dict[str, Any] = {
                "id": entry.id,
                "thread_id": thread.id,
                "thread_title": thread.title,
                "kind": entry.kind,
                "position": entry.position,
                "title": entry.title or "",
                "body": entry.body,
            }
            if entry.author:
                fields["author"] = entry.author
            stamp = _utc(entry.timestamp)
            if stamp:
                fields["timestamp"] = stamp
                fields["month"] = stamp.year * 100 + stamp.month
            writer.add_document(tantivy.Document(**fields))
            count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


#: The alias the benchmark's OpenSearch index lives behind.
OPENSEARCH_ALIAS = "bench"


def opensearch_urls() -> list[str]:
    return [u for u in os.environ.get("BENCH_OPENSEARCH_URLS", "").split(",") if u]


def ingest_opensearch(threads: Any, out: Path) -> tuple[int, int]:
    """The opensearch backend's bulk write, as ``threadsearch ingest --backend opensearch``
    does after parsing: a new generation of ``BENCH_OPENSEARCH_SHARDS`` shards, no replica,
    refreshed, then the alias swapped. Returns the entries and the primaries' size."""
    from threadsearch.opensearch import OpenSearchBackend

    backend = OpenSearchBackend(opensearch_urls(), alias=OPENSEARCH_ALIAS)
    try:
        shards = int(os.environ.get("BENCH_OPENSEARCH_SHARDS", "1"))
        report = backend.copy_threads(threads, rebuild=True, shards=shards, replicas=0)
        return report.entries, backend.stats().size_bytes
    finally:
        backend.close()


INGESTERS: dict[str, Any] = {
    "null": ingest_null,
    "threadsearch": ingest_threadsearch,
    "threadsearch-paths": ingest_threadsearch_paths,
    "whoosh": ingest_whoosh,
    "fts5": ingest_fts5,
    "tantivy": ingest_tantivy,
    "opensearch": ingest_opensearch,
}


def _ingest_main(engine: str, corpus: str, out: str) -> None:
    from .corpus import read_threads

    target = Path(out)
    if target.exists():
        shutil.rmtree(target)
    sampler = _TreeRss()
    sampler.start()
    started = time.perf_counter()
    docs = INGESTERS[engine](read_threads(Path(corpus)), target)
    seconds = time.perf_counter() - started
    sampler.stop()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if isinstance(docs, tuple):  # a cluster: the size is the cluster's, not a folder's
        docs, size = docs
    else:
        size = dir_size(target) if target.exists() else 0
    # peak_rss_mb is the whole process tree (threadsearch indexes in worker processes);
    # peak_self_rss_mb the ingesting process alone.
    print(
        json.dumps(
            {
                "engine": engine,
                "docs": docs,
                "seconds": seconds,
                "peak_rss_mb": max(sampler.peak_mb, peak_kb / 1024),
                "peak_self_rss_mb": peak_kb / 1024,
                "size_bytes": size,
            }
        )
    )


class _TreeRss:
    """Samples the summed RSS of this process and its descendants, keeping the peak."""

    def __init__(self, every: float = 0.2) -> None:
        import threading

        self.peak_mb = 0.0
        self._every = every
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._done.wait(self._every):
            total = 0
            try:
                for proc in [me, *me.children(recursive=True)]:
                    total += proc.memory_info().rss
            except psutil.Error:
                continue
            self.peak_mb = max(self.peak_mb, total / 2**20)


# --- query adapters -----------------------------------------------------------------


def search_request(spec: dict[str, Any]) -> Any:
    """The threadsearch ``SearchRequest`` of a query spec (both backends take it)."""
    from threadsearch.model import SearchRequest

    return SearchRequest(
        q=spec["q"],
        author=list(spec.get("author", [])),
        since=spec.get("since_dt"),
        until=spec.get("until_dt"),
        facets=list(spec.get("facets", [])),
        sort=spec.get("sort", "relevance"),
        per_page=PAGE,
    )


def search_answer(result: Any) -> Answer:
    facets = {n: [(v.value, v.count) for v in f.values] for n, f in result.facets.items()}
    return Answer(result.total, [h.id for h in result.hits], facets)


def thread_answer(thread: Any) -> Answer:
    return Answer(len(thread.entries), [e.id for e in thread.entries])


class ThreadsearchEngine:
    name = "threadsearch"
    first_ms: dict[str, list[float]] = {}

    def __init__(self, path: Path) -> None:
        from threadsearch.index import open_index

        self.index = open_index(path)

    def run(self, spec: dict[str, Any]) -> Answer:
        from threadsearch.query.engine import get_thread, search

        if spec["cls"] == "thread_fetch":
            return thread_answer(get_thread(self.index, spec["thread"]))
        return search_answer(search(self.index, search_request(spec)))

    def close(self) -> None:
        self.index.close()


class OpenSearchEngine:
    """The opensearch backend's ``search`` and ``get_thread`` (the Python API, as the
    HTTP API calls them), on the cluster ``ingest_opensearch`` filled."""

    name = "opensearch"
    first_ms: dict[str, list[float]] = {}

    def __init__(self, urls: list[str]) -> None:
        from threadsearch.opensearch import OpenSearchBackend

        self.backend = OpenSearchBackend(urls, alias=OPENSEARCH_ALIAS)

    def run(self, spec: dict[str, Any]) -> Answer:
        if spec["cls"] == "thread_fetch":
            return thread_answer(self.backend.get_thread(spec["thread"]))
        return search_answer(self.backend.search(search_request(spec)))

    def close(self) -> None:
        self.backend.close()


class WhooshEngine:
    """Whoosh the obvious way: a new searcher per query, groupedby facets, filter queries."""

    name = "whoosh"
    first_ms: dict[str, list[float]] = {}

    def __init__(self, path: Path, month_range: tuple[datetime, datetime]) -> None:
        import whoosh.index as windex
        from threadsearch.schema import INDEX_NAME, TEXT_FIELDS
        from whoosh.qparser import AndGroup, MultifieldParser

        self.ix = windex.open_dir(str(path), indexname=INDEX_NAME)
        self.parser = MultifieldParser(
            list(TEXT_FIELDS), self.ix.schema, fieldboosts=TEXT_FIELDS, group=AndGroup
        )
        self.month_range = month_range

    def _facet(self, name: str) -> Any:
        from dateutil.relativedelta import relativedelta
        from whoosh import sorting

        if name == "month":
            start, end = self.month_range
            return sorting.DateRangeFacet(
                "timestamp", start, end, relativedelta(months=1), maptype=sorting.Count
            )
        return sorting.FieldFacet(name, maptype=sorting.Count)

    def run(self, spec: dict[str, Any]) -> Answer:
        from threadsearch.schema import to_index_time
        from whoosh import query as wq

        with self.ix.searcher() as searcher:
            if spec["cls"] == "thread_fetch":
                results = searcher.search(wq.Term("thread_id", spec["thread"]), limit=None)
                stored = sorted((h.fields() for h in results), key=lambda f: f["position"])
                return Answer(len(stored), [f["id"] for f in stored])
            q = self.parser.parse(spec["q"]) if spec["q"].strip() else wq.Every()
            filters: list[Any] = [wq.Term("author", a) for a in spec.get("author", [])]
            if spec.get("since_dt") or spec.get("until_dt"):
                filters.append(
                    wq.DateRange(
                        "timestamp",
                        to_index_time(spec["since_dt"]),
                        to_index_time(spec["until_dt"]),
                    )
                )
            flt = (filters[0] if len(filters) == 1 else wq.And(filters)) if filters else None
            facets = spec.get("facets", [])
            own = [f for f in facets if not (f == "author" and spec.get("author"))]
            kwargs: dict[str, Any] = {"limit": PAGE, "filter": flt}
            if own:
                kwargs["groupedby"] = {f: self._facet(f) for f in own}
            if spec.get("sort") == "newest" or not spec["q"].strip():
                kwargs["sortedby"] = "timestamp"
                kwargs["reverse"] = True
            results = searcher.search(q, **kwargs)
            hits = []
            for hit in results:
                fields = hit.fields()
                if spec["q"].strip():
                    hit.highlights("body", top=2)
                hits.append(fields["id"])
            counts: dict[str, list[tuple[Any, int]]] = {}
            for f in own:
                groups = results.groups(f)
                counts[f] = sorted(groups.items(), key=lambda kv: -kv[1])[:FACET_LIMIT]
            if len(own) < len(facets):  # multi-select: author counted without its filter
                other = searcher.search(q, limit=1, groupedby={"author": self._facet("author")})
                groups = other.groups("author")
                counts["author"] = sorted(groups.items(), key=lambda kv: -kv[1])[:FACET_LIMIT]
            return Answer(len(results), hits, counts)

    def close(self) -> None:
        self.ix.close()


class Fts5Engine:
    """SQLite FTS5 (porter): entries table + external-content FTS5 table.

    Facets: the matched rowids go to a temp table once, then one GROUP BY per facet.
    Dates: an indexed integer column. Ranking: bm25 with title weighted 2.
    """

    name = "fts5"
    first_ms: dict[str, list[float]] = {}
    SNIP = "snippet(fts, 1, '<mark>', '</mark>', ' … ', 24)"
    RANK = "bm25(fts, 2.0, 1.0)"

    def __init__(self, path: Path) -> None:
        self.con = sqlite3.connect(path / "fts5.db", check_same_thread=False)
        self.con.execute("PRAGMA cache_size=-200000")
        self.con.execute("CREATE TEMP TABLE m(rowid INTEGER PRIMARY KEY)")

    @staticmethod
    def _match(spec: dict[str, Any]) -> str:
        words = spec["words"]
        if spec.get("phrase"):
            return '"' + " ".join(words) + '"'
        return " AND ".join(f'"{w}"' for w in words)

    def run(self, spec: dict[str, Any]) -> Answer:
        con = self.con
        if spec["cls"] == "thread_fetch":
            rows = con.execute(
                "SELECT id, kind, author, ts, position, title, body FROM entries "
                "WHERE thread_id=? ORDER BY position",
                (spec["thread"],),
            ).fetchall()
            return Answer(len(rows), [r[0] for r in rows])
        where, args = [], []
        if spec.get("author"):
            where.append(f"e.author IN ({','.join('?' * len(spec['author']))})")
            args += spec["author"]
        if spec.get("since_dt") or spec.get("until_dt"):
            where.append("e.ts BETWEEN ? AND ?")
            args += [int(_utc(spec[k]).timestamp()) for k in ("since_dt", "until_dt")]
        cond = (" AND " + " AND ".join(where)) if where else ""
        text = bool(spec["q"].strip())
        facets = spec.get("facets", [])
        if text:
            match = self._match(spec)
            order = "e.ts DESC" if spec.get("sort") == "newest" else self.RANK
            ids = [
                r[0]
                for r in con.execute(
                    f"SELECT e.id, e.thread_title, e.author, e.ts, {self.SNIP} FROM fts "
                    f"JOIN entries e ON e.rowid = fts.rowid WHERE fts MATCH ?{cond} "
                    f"ORDER BY {order} LIMIT {PAGE}",
                    [match, *args],
                )
            ]
            if facets:
                con.execute("DELETE FROM m")
                con.execute("INSERT INTO m SELECT rowid FROM fts WHERE fts MATCH ?", [match])
                source = "m JOIN entries e ON e.rowid = m.rowid"
                total = con.execute(
                    f"SELECT count(*) FROM {source} WHERE 1{cond}", args
                ).fetchone()[0]
            else:
                source = ""
                total = con.execute(
                    f"SELECT count(*) FROM fts JOIN entries e ON e.rowid = fts.rowid "
                    f"WHERE fts MATCH ?{cond}",
                    [match, *args],
                ).fetchone()[0]
        else:
            source = "entries e"
            ids = [
                r[0]
                for r in con.execute(
                    f"SELECT e.id, e.thread_title, e.author, e.ts, substr(e.body, 1, 240) "
                    f"FROM entries e WHERE 1{cond} ORDER BY e.ts DESC LIMIT {PAGE}",
                    args,
                )
            ]
            total = con.execute(f"SELECT count(*) FROM entries e WHERE 1{cond}", args).fetchone()[0]
        counts: dict[str, list[tuple[Any, int]]] = {}
        for name in facets:
            # multi-select: the author facet ignores the author filter
            fcond, fargs = (cond, args)
            if name == "author" and spec.get("author"):
                fcond, fargs = "", []
            key = "strftime('%Y-%m', e.ts, 'unixepoch')" if name == "month" else f"e.{name}"
            limit = 10000 if name == "month" else FACET_LIMIT
            counts[name] = con.execute(
                f"SELECT {key} AS k, count(*) AS c FROM {source} WHERE 1{fcond} "
                f"GROUP BY k ORDER BY c DESC LIMIT {limit}",
                fargs,
            ).fetchall()
        return Answer(total, ids, counts)

    def close(self) -> None:
        self.con.close()


class TantivyEngine:
    """Tantivy: fast fields for author/kind/timestamp/month; facets by terms aggregations
    (``searcher.aggregate``; the month facet is a terms aggregation over a yyyymm fast
    field written at ingest), date sorts by ``order_by_field``."""

    name = "tantivy"
    first_ms: dict[str, list[float]] = {}

    def __init__(self, path: Path) -> None:
        import tantivy

        self.t = tantivy
        self.index = tantivy.Index.open(str(path))
        self.schema = self.index.schema

    def _text(self, spec: dict[str, Any]) -> Any:
        words = spec["words"]
        if spec.get("phrase"):
            text = '"' + " ".join(words) + '"'
        else:
            text = " ".join(f"+{w}" for w in words)
        return self.index.parse_query(text, ["title", "body"], field_boosts={"title": 2.0})

    def run(self, spec: dict[str, Any]) -> Answer:
        t = self.t
        searcher = self.index.searcher()
        if spec["cls"] == "thread_fetch":
            q = t.Query.term_query(self.schema, "thread_id", spec["thread"])
            res = searcher.search(q, limit=10000, count=True)
            docs = sorted((searcher.doc(a) for _, a in res.hits), key=lambda d: d["position"][0])
            return Answer(res.count, [d["id"][0] for d in docs])
        text = bool(spec["q"].strip())
        base = self._text(spec) if text else t.Query.all_query()
        filters = []
        if spec.get("author"):
            filters.append(
                t.Query.boolean_query(
                    [
                        (t.Occur.Should, t.Query.term_query(self.schema, "author", a))
                        for a in spec["author"]
                    ]
                )
            )
        if spec.get("since_dt") or spec.get("until_dt"):
            filters.append(
                t.Query.range_query(
                    self.schema,
                    "timestamp",
                    t.FieldType.Date,
                    _utc(spec["since_dt"]),
                    _utc(spec["until_dt"]),
                )
            )
        query = base
        if filters:
            query = t.Query.boolean_query(
                [(t.Occur.Must, base)] + [(t.Occur.Must, f) for f in filters]
            )
        kwargs: dict[str, Any] = {"limit": PAGE, "count": True}
        if spec.get("sort") == "newest" or not text:
            kwargs["order_by_field"] = "timestamp"
            kwargs["order"] = t.Order.Desc
        res = searcher.search(query, **kwargs)
        ids = []
        gen = t.SnippetGenerator.create(searcher, base, self.schema, "body") if text else None
        for _, addr in res.hits:
            doc = searcher.doc(addr)
            ids.append(doc["id"][0])
            if gen is not None:
                gen.snippet_from_doc(doc).to_html()
        counts: dict[str, list[tuple[Any, int]]] = {}
        facets = spec.get("facets", [])
        if facets:
            aggs = {
                f: {"terms": {"field": f, "size": 10000 if f == "month" else FACET_LIMIT}}
                for f in facets
                if not (f == "author" and spec.get("author"))
            }
            result = searcher.aggregate(query, aggs) if aggs else {}
            if "author" in facets and spec.get("author"):
                unfiltered = [x for x in filters[1:]]
                q2 = (
                    base
                    if not unfiltered
                    else t.Query.boolean_query(
                        [(t.Occur.Must, base)] + [(t.Occur.Must, f) for f in unfiltered]
                    )
                )
                result.update(
                    searcher.aggregate(
                        q2, {"author": {"terms": {"field": "author", "size": FACET_LIMIT}}}
                    )
                )
            for name, agg in result.items():
                counts[name] = [(b["key"], b["doc_count"]) for b in agg.get("buckets", [])]
        return Answer(res.count, ids, counts)

    def close(self) -> None:
        pass


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "ingest":
        _ingest_main(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: python -m bench.engines ingest ENGINE CORPUS_PKL INDEX_DIR")

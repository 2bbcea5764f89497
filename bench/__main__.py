"""``python -m bench``: build the corpora, ingest every engine, run the query classes,
print the table of p50/p95 per class with ratios to SQLite FTS5 and the targets, and
write ``bench/out/results.json``.

    python -m bench --quick                      # smoke run, ~5,000 synthetic entries
    python -m bench --sizes 100000 --corpora synthetic --repeat 5
    python -m bench --sizes 100000,1000000 --corpora synthetic,rhelp
    python -m bench --corpora rhelp --opensearch-nodes 1,3   # also a loopback OpenSearch
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from threadsearch.query.limits import DEFAULT_LIMITS

from . import corpus as corpora
from .engines import (
    Fts5Engine,
    OpenSearchEngine,
    TantivyEngine,
    ThreadsearchEngine,
    WhooshEngine,
)
from .report import render, summarise

ROOT = Path(__file__).resolve().parent
OUT = ROOT / "out"
VENV_BIN = Path(sys.executable).parent


def log(message: str) -> None:
    print(message, flush=True)


# --- queries --------------------------------------------------------------------------


def make_queries(info: dict[str, Any], variants: int = 5) -> list[dict[str, Any]]:
    """Engine-neutral query specs, picked deterministically from the corpus statistics."""
    df = [(w, c) for w, c in info["df"]]
    common = [w for w, _ in df[:variants]]
    mid = [w for w, _ in df[10 : 10 + 4 * variants]]
    rare_pool = [w for w, c in df if 10 <= c <= 50]
    if len(rare_pool) < variants:  # small corpus: the rarest with df >= 3
        rare_pool = [w for w, c in df if c >= 3][-variants * 4 :]
    step = max(1, len(rare_pool) // variants)
    rare = rare_pool[::step][:variants]
    seen: set[str] = set()
    bigrams = []
    for a, b, _ in info["bigrams"]:
        if a != b and a not in seen and b not in seen:
            bigrams.append((a, b))
            seen.update((a, b))
        if len(bigrams) == variants:
            break
    authors = [a for a, _ in info["authors"][:variants]]
    mid_t = datetime.fromtimestamp(info["time_p50"], tz=timezone.utc)
    specs: list[dict[str, Any]] = []

    def add(cls: str, words: list[str], **extra: Any) -> None:
        q = ('"' + " ".join(words) + '"') if extra.get("phrase") else " ".join(words)
        specs.append({"cls": cls, "q": q, "words": words, **extra})

    for w in common:
        add("common_term", [w])
    for w in rare:
        add("rare_term", [w])
    for i in range(variants):
        add("two_term_and", [mid[i], mid[i + variants]])
    for a, b in bigrams:
        add("phrase", [a, b], phrase=True)
    for i, a in enumerate(authors):
        add("author_filter", [df[5 + i][0]], author=[a])
    for i, w in enumerate(common):
        since = mid_t + timedelta(days=60 * (i - 2)) - timedelta(days=182)
        add("date_newest", [w], since_dt=since, until_dt=since + timedelta(days=365),
            sort="newest")
    for _ in range(variants):
        add("browse_facets", [], facets=["author", "kind", "month"])
    for w in common:
        add("broad_facets", [w], facets=["author", "month"])
    for w, a in zip(common, authors, strict=False):
        add("broad_facets_selected", [w], author=[a], facets=["author", "month"])
    add("repeated", [common[0]])
    for tid in info["median_threads"][:variants]:
        specs.append({"cls": "thread_fetch", "q": "", "words": [], "thread": tid})
    return specs


#: Classes timed with fresh queries: each query's words new to the process in its class.
FRESH_CLASSES = ("common_term", "rare_term", "two_term_and", "phrase", "author_filter",
                 "date_newest", "broad_facets", "thread_fetch")


def make_fresh_queries(info: dict[str, Any], per_class: int) -> list[dict[str, Any]]:
    """``per_class`` queries per class, no word used twice within a class, and the
    classes drawing on disjoint ranks of the vocabulary, so no query's postings were
    read before it (users type new words; repeats of :func:`make_queries` measure
    warm term caches). Thread fetches take distinct threads."""
    from threadsearch.analysis import stop_words

    stops = stop_words("en")  # left out of English text by threadsearch, kept by FTS5
    words = [w for w, _ in info["df"] if w not in stops]
    n = per_class
    rare_pool = [w for w, c in info["df"] if 10 <= c <= 50]
    rare = rare_pool[:: max(1, len(rare_pool) // n)][:n]
    taken = set(rare)
    ranked = [w for w in words if w not in taken]

    def block(k: int) -> list[str]:
        """The next ``k`` most frequent words not handed out yet."""
        out = ranked[:k]
        del ranked[:k]
        taken.update(out)
        return out

    common, mid = block(n), block(2 * n)
    author_words, date_words, facet_words = block(n), block(n), block(n)
    phrases: list[tuple[str, str]] = []
    used: set[str] = set()
    for a, b, _ in info["bigrams"]:
        if a != b and not {a, b} & (used | stops):
            phrases.append((a, b))
            used.update((a, b))
        if len(phrases) == n:
            break
    authors = [a for a, _ in info["authors"][:10]] or [""]
    mid_t = datetime.fromtimestamp(info["time_p50"], tz=timezone.utc)
    specs: list[dict[str, Any]] = []
    for w in common:
        specs.append({"cls": "common_term", "q": w, "words": [w]})
    for w in rare:
        specs.append({"cls": "rare_term", "q": w, "words": [w]})
    for a, b in zip(mid[::2], mid[1::2], strict=True):
        specs.append({"cls": "two_term_and", "q": f"{a} {b}", "words": [a, b]})
    for a, b in phrases:
        specs.append({"cls": "phrase", "q": f'"{a} {b}"', "words": [a, b], "phrase": True})
    for i, w in enumerate(author_words):
        specs.append({"cls": "author_filter", "q": w, "words": [w],
                      "author": [authors[i % len(authors)]]})
    for i, w in enumerate(date_words):
        since = mid_t + timedelta(days=7 * (i % 50) - 365)
        specs.append({"cls": "date_newest", "q": w, "words": [w], "since_dt": since,
                      "until_dt": since + timedelta(days=365), "sort": "newest"})
    for w in facet_words:
        specs.append({"cls": "broad_facets", "q": w, "words": [w],
                      "facets": ["author", "month"]})
    for tid in info.get("fresh_threads", [])[:n]:
        specs.append({"cls": "thread_fetch", "q": "", "words": [], "thread": tid})
    return specs


def time_fresh(adapters: dict[str, Any], specs: list[dict[str, Any]]
               ) -> tuple[dict[str, dict[str, list[float]]], dict[str, list[int]]]:
    """Each fresh query once on every engine, interleaved (the engines' order turns
    with each query, so a busy moment of the machine falls on all of them)."""
    times: dict[str, dict[str, list[float]]] = {e: {} for e in adapters}
    totals: dict[str, list[int]] = {e: [] for e in adapters}
    names = list(adapters)
    for n, spec in enumerate(specs):
        for engine in names[n % len(names):] + names[: n % len(names)]:
            started = time.perf_counter()
            answer = adapters[engine].run(spec)
            took = (time.perf_counter() - started) * 1000
            times[engine].setdefault(spec["cls"], []).append(took)
            totals[engine].append(answer.total)
    return times, totals


def printable(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in spec.items()}


# --- ingest -----------------------------------------------------------------------------


def run_ingest(
    engine: str, corpus_file: Path, out: Path, env: dict[str, str] | None = None
) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.engines", "ingest", engine, str(corpus_file), str(out)],
        cwd=ROOT.parent, capture_output=True, text=True, env={**os.environ, **(env or {})},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"ingest {engine} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = time.perf_counter() - started
    return result


# --- timing -----------------------------------------------------------------------------


def time_engine(
    engine: Any, specs: list[dict[str, Any]], repeat: int, per_class: int = 0
) -> tuple[dict[str, list[float]], list[Any]]:
    """Warm up with one pass (its answers are kept for the checks), then ``repeat``
    timed passes. The ``repeated`` class runs its query untimed and then timed.
    With ``per_class``, only that many queries of each class run (the rest answer None)."""
    times: dict[str, list[float]] = {}
    first: dict[str, list[float]] = {}
    answers: list[Any] = []
    seen: dict[str, int] = {}
    for n, spec in enumerate(specs):
        seen[spec["cls"]] = seen.get(spec["cls"], 0) + 1
        if per_class and seen[spec["cls"]] > per_class:
            answers.append(None)
            continue
        started = time.perf_counter()
        answers.append(engine.run(unique(spec, n)))
        first.setdefault(spec["cls"], []).append((time.perf_counter() - started) * 1000)
    if repeat == 0:  # slow engines: the warm-up pass is the only (timed) pass
        times = first
    for r in range(repeat):
        for n, spec in enumerate(specs):
            if spec["cls"] == "repeated":
                engine.run(spec)
                run = spec
            else:
                run = unique(spec, (r + 1) * len(specs) + n)
            started = time.perf_counter()
            engine.run(run)
            times.setdefault(spec["cls"], []).append((time.perf_counter() - started) * 1000)
    engine.first_ms = first
    return times, answers


def unique(spec: dict[str, Any], n: int) -> dict[str, Any]:
    """The same query with a distinct text (``n`` trailing spaces: same parsed query).

    threadsearch caches results per index generation keyed on the request; without
    this every timed pass after the first would measure cache hits. Only the
    ``repeated`` class is meant to hit the cache. Other engines ignore ``q``'s spaces.
    """
    if spec["cls"] in ("repeated", "thread_fetch"):
        return spec
    q = spec["q"] + " " * n
    if len(q) > DEFAULT_LIMITS.max_query_chars:
        raise ValueError(f"{n} spaces take {spec['q']!r} past the query length limit")
    return {**spec, "q": q}


def check(specs: list[dict[str, Any]], ours: list[Any], theirs: list[Any]) -> list[str]:
    lines = []
    for spec, a, b in zip(specs, ours, theirs, strict=True):
        if b is None:  # not run by the slow engine
            continue
        shown = printable({k: v for k, v in spec.items() if k not in ("cls", "words")})
        label = f"{spec['cls']} {json.dumps(shown)}"
        if a.total != b.total:
            lines.append(f"MISMATCH {label}: threadsearch total {a.total}, whoosh {b.total}")
        dated = spec.get("sort") == "newest" or (spec["cls"] != "thread_fetch" and not spec["q"])
        if (dated or spec["cls"] == "thread_fetch") and a.ids[:3] != b.ids[:3]:
            lines.append(f"MISMATCH {label}: first ids {a.ids[:3]} vs whoosh {b.ids[:3]}")
        if "author" in a.facets and "author" in b.facets:
            mine = dict(a.facets["author"][:10])
            other = dict(b.facets["author"])
            bad = {k: (v, other.get(k)) for k, v in mine.items() if other.get(k) != v}
            if bad:
                lines.append(f"MISMATCH {label}: author facet counts (ours, whoosh) {bad}")
    return lines


# --- HTTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spec_path(spec: dict[str, Any]) -> str:
    if spec["cls"] == "thread_fetch":
        return f"/threads/{spec['thread']}"
    params: list[tuple[str, str]] = [("q", spec["q"]), ("per_page", "10")]
    params += [("author", a) for a in spec.get("author", [])]
    if spec.get("since_dt"):
        params.append(("since", spec["since_dt"].isoformat()))
    if spec.get("until_dt"):
        params.append(("until", spec["until_dt"].isoformat()))
    if spec.get("sort"):
        params.append(("sort", spec["sort"]))
    params += [("facet", f) for f in spec.get("facets", [])]
    return "/search?" + urlencode(params)


def fetch(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def http_run(index_dir: Path, specs: list[dict[str, Any]], repeat: int, log_file: Path,
             clients: int = 8, workers: int = 2) -> dict[str, Any]:
    import psutil

    port = free_port()
    with log_file.open("w") as sink:
        server = subprocess.Popen(
            [str(VENV_BIN / "threadsearch"), "serve", "--workers", str(workers),
             "--port", str(port), "--index", str(index_dir)],
            stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT.parent,
        )
    try:
        deadline = time.time() + 60
        while True:
            try:
                if fetch(port, "/health")[0] == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise RuntimeError(f"the server did not start; see {log_file}")
            time.sleep(0.2)
        paths = [(s["cls"], spec_path(s)) for s in specs]
        # warm every worker (columns, postings): requests land on whichever worker accepts
        with ThreadPoolExecutor(clients) as pool:
            for status, body in pool.map(lambda p: fetch(port, p[1]), paths * 4):
                if status != 200:
                    raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
        # timed: distinct request texts (see unique()), so only `repeated` hits the cache;
        # the server's cache is its own, so the warm-up's texts (n = 0) are the only ones
        # to avoid, and the texts stay within the query length limit
        n0 = 1
        jobs = [(s["cls"], spec_path(unique(s, n0 + r * len(specs) + i)))
                for r in range(repeat) for i, s in enumerate(specs)]
        times: dict[str, list[float]] = {}
        lock = threading.Lock()

        def one(job: tuple[str, str]) -> None:
            started = time.perf_counter()
            status, body = fetch(port, job[1])
            took = (time.perf_counter() - started) * 1000
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
            with lock:
                times.setdefault(job[0], []).append(took)

        started = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(one, jobs))
        wall = time.perf_counter() - started
        procs = psutil.Process(server.pid).children(recursive=True)
        worker_rss = [p.memory_info().rss / 2**20 for p in procs]
        return {"times": times, "requests": len(jobs), "wall_seconds": wall,
                "rps": len(jobs) / wall, "clients": clients, "workers": workers,
                "worker_rss_mb": worker_rss}
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()


# --- one corpus ---------------------------------------------------------------------------


def bench_corpus(name: str, info: dict[str, Any], args: argparse.Namespace,
                 paths_ingest: bool = False) -> dict[str, Any]:
    folder = corpora.WORK / name
    corpus_file = folder / "corpus.pkl"
    result: dict[str, Any] = {"corpus": name, "entries": info["entries"],
                              "threads": info["threads"], "ingest": {}}
    with_whoosh = info["entries"] <= args.whoosh_max
    engines = ["null", "threadsearch", "fts5", "tantivy"]
    if with_whoosh:
        engines.insert(2, "whoosh")
    else:
        log(f"[{name}] obvious Whoosh skipped above {args.whoosh_max} entries (--whoosh-max)")
    if paths_ingest:
        engines.append("threadsearch-paths")
    for engine in engines:
        # Each ingest's figures are kept beside its index, so that a run that failed
        # later can time the queries again on the same indexes (--reuse-ingest).
        saved = folder / f"{engine}.ingest.json"
        if args.reuse_ingest and saved.is_file():
            r = json.loads(saved.read_text())
            log(f"[{name}] ingest {engine}: reused (measured {r.get('measured_at', '?')})")
        else:
            log(f"[{name}] ingest {engine} ...")
            env = {"BENCH_RHELP_FILES": str(args.rhelp_files or 0)}
            r = run_ingest(engine, corpus_file, folder / engine, env)
            r["measured_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
            saved.write_text(json.dumps(r))
        result["ingest"][engine] = r
        log(f"[{name}]   {r['docs']} docs in {r['seconds']:.1f} s, peak RSS "
            f"{r['peak_rss_mb']:.0f} MB, {r['size_bytes'] / 2**20:.1f} MB on disk")
    read_s = result["ingest"]["null"]["seconds"]
    for engine, r in result["ingest"].items():
        if engine == "null":
            continue
        net = r["seconds"] - (0 if engine == "threadsearch-paths" else read_s)
        r["net_seconds"] = net
        r["docs_per_s"] = r["docs"] / net if net > 0 else None

    specs = make_queries(info)
    result["queries"] = [printable(s) for s in specs]
    start = datetime.fromtimestamp(info["time_min"], tz=timezone.utc).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    end = datetime.fromtimestamp(info["time_max"], tz=timezone.utc).replace(tzinfo=None)
    factories: dict[str, Callable[[], Any]] = {
        "threadsearch": lambda: ThreadsearchEngine(folder / "threadsearch"),
        "whoosh": lambda: WhooshEngine(folder / "whoosh", (start, end + timedelta(days=31))),
        "fts5": lambda: Fts5Engine(folder / "fts5"),
        "tantivy": lambda: TantivyEngine(folder / "tantivy"),
    }
    times: dict[str, dict[str, list[float]]] = {}
    answers: dict[str, list[Any]] = {}
    for engine, make in factories.items():
        if engine == "whoosh" and not with_whoosh:
            continue
        log(f"[{name}] queries: {engine} ...")
        started = time.perf_counter()
        adapter = make()
        if engine == "threadsearch":
            first = time.perf_counter()
            adapter.run(specs[0])
            result["threadsearch_first_query_ms"] = (time.perf_counter() - first) * 1000
        passes = args.whoosh_repeat if engine == "whoosh" else args.repeat
        per_class = args.whoosh_per_class if engine == "whoosh" else 0
        times[engine], answers[engine] = time_engine(adapter, specs, passes, per_class)
        result.setdefault("first_pass_ms", {})[engine] = adapter.first_ms
        adapter.close()
        log(f"[{name}]   done in {time.perf_counter() - started:.1f} s")
    fresh: list[dict[str, Any]] = []
    if args.fresh:
        log(f"[{name}] fresh queries: {args.fresh} per class, interleaved ...")
        fresh = make_fresh_queries(info, args.fresh)
        adapters = {e: factories[e]() for e in ("threadsearch", "fts5", "tantivy")}
        fresh_times, fresh_totals = time_fresh(adapters, fresh)
        for adapter in adapters.values():
            adapter.close()
        result["fresh"] = {"queries": [printable(s) for s in fresh], "times_ms": fresh_times,
                           "totals": fresh_totals}
    for nodes in args.opensearch_nodes:
        bench_opensearch(name, nodes, specs, fresh, args, result, times, answers)
    result["mismatches"] = (
        check(specs, answers["threadsearch"], answers["whoosh"]) if with_whoosh else []
    )
    result["whoosh_skipped"] = not with_whoosh
    result["totals"] = {
        e: [a.total if a is not None else None for a in ans] for e, ans in answers.items()
    }
    log(f"[{name}] HTTP: threadsearch serve --workers 2, 8 clients ...")
    http = http_run(folder / "threadsearch", specs, args.repeat, folder / "server.log")
    times["http"] = http.pop("times")
    result["http"] = http
    in_process_ms = sum(sum(v) for v in times["threadsearch"].values())
    result["http"]["in_process_qps"] = sum(len(v) for v in times["threadsearch"].values()) / (
        in_process_ms / 1000)
    result["times_ms"] = times
    result["summary"] = summarise(result)
    return result


def opensearch_missing() -> str | None:
    """Why the OpenSearch rows cannot run here, or None."""
    from cluster.launch import tools_missing

    missing = tools_missing()
    if missing:
        return missing
    try:
        import opensearchpy  # noqa: F401
    except ImportError:
        return "opensearch-py is not installed (pip install -e '.[opensearch]')"
    return None


def bench_opensearch(name: str, nodes: int, specs: list[dict[str, Any]],
                     fresh: list[dict[str, Any]], args: argparse.Namespace,
                     result: dict[str, Any], times: dict[str, dict[str, list[float]]],
                     answers: dict[str, list[Any]]) -> None:
    """One loopback cluster of ``nodes`` nodes (one shard per node, no replica): the
    corpus written through the backend's bulk path, then the same warm and fresh
    queries as the other engines, through the backend's ``search``. The cluster is
    stopped and its folder removed before the next."""
    import psutil

    from cluster.launch import DevCluster

    engine = f"opensearch-{nodes}"
    folder = corpora.WORK / name
    workdir = folder / f"{engine}-cluster"
    shutil.rmtree(workdir, ignore_errors=True)
    log(f"[{name}] {engine}: starting a {nodes}-node cluster ...")
    cluster = DevCluster.create(workdir, size=nodes, timed=True)
    started = time.perf_counter()
    cluster.start()
    result.setdefault("opensearch", {})[engine] = {
        "nodes": nodes, "shards": nodes, "replicas": 0,
        "green_after_s": time.perf_counter() - started}
    try:
        log(f"[{name}] ingest {engine} ...")
        env = {"BENCH_OPENSEARCH_URLS": ",".join(cluster.urls),
               "BENCH_OPENSEARCH_SHARDS": str(nodes)}
        r = run_ingest("opensearch", folder / "corpus.pkl", folder / engine, env)
        r["net_seconds"] = r["seconds"] - result["ingest"]["null"]["seconds"]
        r["docs_per_s"] = r["docs"] / r["net_seconds"] if r["net_seconds"] > 0 else None
        r["cluster_rss_mb"] = sum(psutil.Process(n.pid).memory_info().rss
                                  for n in cluster.nodes if n.pid) / 2**20
        result["ingest"][engine] = r
        log(f"[{name}]   {r['docs']} docs in {r['seconds']:.1f} s, "
            f"{r['size_bytes'] / 2**20:.1f} MB in the cluster, JVMs {r['cluster_rss_mb']:.0f} MB")
        log(f"[{name}] queries: {engine} ...")
        adapter = OpenSearchEngine(cluster.urls)
        times[engine], answers[engine] = time_engine(adapter, specs, args.repeat)
        result.setdefault("first_pass_ms", {})[engine] = adapter.first_ms
        same = sum(a.total == b.total for a, b in zip(answers["threadsearch"], answers[engine],
                                                     strict=True))
        result["opensearch"][engine]["same_totals"] = [same, len(specs)]
        if fresh:
            log(f"[{name}] fresh queries: {engine} (alone: its cluster runs now only) ...")
            fresh_times, fresh_totals = time_fresh({engine: adapter}, fresh)
            result["fresh"]["times_ms"].update(fresh_times)
            result["fresh"]["totals"].update(fresh_totals)
        adapter.close()
    finally:
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000",
                        help="synthetic corpus sizes in entries, comma-separated")
    parser.add_argument("--corpora", default="synthetic,rhelp", help="synthetic,rhelp")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the queries")
    parser.add_argument("--whoosh-repeat", type=int, default=0,
                        help="timed passes for obvious Whoosh (0: time its single warm-up "
                        "pass; its facet queries take seconds each at 100,000 entries)")
    parser.add_argument("--whoosh-per-class", type=int, default=0,
                        help="run only N queries of each class on obvious Whoosh (0: all); "
                        "its facet queries take minutes each at 1,000,000 entries")
    parser.add_argument("--whoosh-max", type=int, default=1_000_000,
                        help="skip obvious Whoosh on corpora above N entries (its ingest runs "
                        "at a few hundred documents a second: 77 minutes for 1,000,000)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 5,000 synthetic entries, R-help's first 24 files")
    parser.add_argument("--rhelp-files", type=int, default=0,
                        help="only the first N R-help files (0: all)")
    parser.add_argument("--fresh", type=int, default=100,
                        help="also time N queries per class whose words are new to every "
                        "engine (each word once per class), interleaved; 0: skip")
    parser.add_argument("--opensearch-nodes", default="",
                        help="also bench the opensearch backend on loopback clusters of these "
                        "sizes, e.g. 1,3 (needs Java 17 and Maven; default: off)")
    parser.add_argument("--reuse-ingest", action="store_true",
                        help="keep the indexes (and ingest figures) an earlier run of the "
                        "same corpus left in bench/scratch, and time the queries again")
    parser.add_argument("--out", default=str(OUT / "results.json"))
    args = parser.parse_args(argv)
    args.opensearch_nodes = [int(n) for n in args.opensearch_nodes.split(",") if n.strip()]
    if args.opensearch_nodes:
        why = opensearch_missing()
        if why:
            log(f"OpenSearch rows skipped: {why}")
            args.opensearch_nodes = []
            args.opensearch_skipped = why
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.quick:
        sizes, args.repeat = [5000], min(args.repeat, 3)
        args.rhelp_files = args.rhelp_files or 24
    wanted = [c.strip() for c in args.corpora.split(",") if c.strip()]
    results: dict[str, Any] = {"started": datetime.now(timezone.utc).isoformat(),
                               "argv": sys.argv[1:], "repeat": args.repeat, "cpus": os.cpu_count(),
                               "corpora": {}}
    if getattr(args, "opensearch_skipped", None):
        results["opensearch_skipped"] = args.opensearch_skipped
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    texts = []
    for kind in wanted:
        if kind == "synthetic":
            for size in sizes:
                name = f"synthetic-{size}"
                info = corpora.prepare(name, corpora.synthetic_threads(size), log)
                r = bench_corpus(name, info, args)
                results["corpora"][name] = r
                texts.append(render(r))
                log(texts[-1])
                out.write_text(json.dumps(results, indent=1, default=str))
        elif kind == "rhelp":
            ok, why = corpora.rhelp_available()
            if not ok:
                log(why)
                results["corpora"]["rhelp"] = {"skipped": why}
                continue
            name = "rhelp" + (f"-{args.rhelp_files}files" if args.rhelp_files else "")
            info = corpora.prepare(name, corpora.rhelp_threads(args.rhelp_files or None), log)
            r = bench_corpus(name, info, args, paths_ingest=True)
            results["corpora"][name] = r
            texts.append(render(r))
            log(texts[-1])
            out.write_text(json.dumps(results, indent=1, default=str))
        else:
            parser.error(f"unknown corpus {kind!r}")
    out.write_text(json.dumps(results, indent=1, default=str))
    (out.parent / "results.txt").write_text("\n\n".join(texts) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()

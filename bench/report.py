"""Figures and the printed table: p50/p95 per query class, ratios to FTS5, targets."""

from __future__ import annotations

from typing import Any

import numpy as np

CLASSES = [
    "common_term", "rare_term", "two_term_and", "phrase", "author_filter", "date_newest",
    "browse_facets", "broad_facets", "broad_facets_selected", "repeated", "thread_fetch",
]
ENGINES = ["threadsearch", "http", "whoosh", "fts5", "tantivy"]
#: class -> largest allowed threadsearch p50 / FTS5 p50
RATIO_TARGETS = {
    "browse_facets": 0.5, "broad_facets": 0.5, "broad_facets_selected": 0.5,
    "date_newest": 1.5, "common_term": 1.5, "two_term_and": 1.5, "phrase": 1.5,
    "author_filter": 1.5,
}


#: Targets on fresh queries (words new to the process): class -> largest p50 ratio to FTS5.
FRESH_TARGETS = {
    "common_term": 1.5, "rare_term": 2.0, "two_term_and": 2.0, "phrase": 1.5,
    "author_filter": 1.5, "date_newest": 1.5, "broad_facets": 0.5, "thread_fetch": 2.0,
}
FRESH_ENGINES = ["threadsearch", "fts5", "tantivy"]


def opensearch_engines(times: dict[str, Any]) -> list[str]:
    """The ``opensearch-<nodes>`` engines of a run (``--opensearch-nodes``), by size."""
    return sorted((e for e in times if e.startswith("opensearch-")),
                  key=lambda e: int(e.rsplit("-", 1)[1]))


def _label(engine: str) -> str:
    """``opensearch-3`` -> ``opensearch 3n`` (a table column)."""
    return engine.replace("opensearch-", "opensearch ") + "n" if "opensearch-" in engine else engine


def _nodes(engine: str) -> str:
    """``opensearch-3`` -> ``3 nodes``."""
    n = int(engine.rsplit("-", 1)[1])
    return f"{n} node" + ("s" if n > 1 else "")


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    times = result["times_ms"]
    classes: dict[str, Any] = {}
    targets: list[dict[str, Any]] = []
    for cls in CLASSES:
        row: dict[str, Any] = {}
        for engine in ENGINES + opensearch_engines(times):
            values = times.get(engine, {}).get(cls, [])
            row[engine] = {"p50": _pct(values, 50), "p95": _pct(values, 95), "n": len(values)}
        fts = row["fts5"]["p50"]
        ours = row["threadsearch"]["p50"]
        row["ratio_p50_vs_fts5"] = ours / fts if ours and fts else None
        fts95, ours95 = row["fts5"]["p95"], row["threadsearch"]["p95"]
        row["ratio_p95_vs_fts5"] = ours95 / fts95 if ours95 and fts95 else None
        if cls in RATIO_TARGETS:
            limit = RATIO_TARGETS[cls]
            row["target"] = f"<= {limit}x FTS5 p50"
            row["met"] = row["ratio_p50_vs_fts5"] is not None and row["ratio_p50_vs_fts5"] <= limit
        elif cls == "repeated":
            row["target"] = "< 1 ms p50"
            row["met"] = ours is not None and ours < 1.0
        classes[cls] = row
        if "met" in row:
            targets.append({"name": cls, "target": row["target"], "met": row["met"],
                            "value": row["ratio_p50_vs_fts5"] if cls != "repeated" else ours})
    http = result["http"]
    ratio = http["rps"] / http["in_process_qps"]
    targets.append({"name": "http_rps", "target": ">= 0.7x in-process QPS", "met": ratio >= 0.7,
                    "value": ratio})
    ing = result["ingest"]
    ts_rate = ing["threadsearch"]["docs_per_s"]
    wh_rate = ing["whoosh"]["docs_per_s"] if "whoosh" in ing else None
    targets.append({"name": "ingest_rate", "target": ">= 2x Whoosh default writer",
                    "met": None if wh_rate is None else bool(ts_rate and ts_rate >= 2 * wh_rate),
                    "value": ts_rate / wh_rate if ts_rate and wh_rate else None})
    peak = ing["threadsearch"]["peak_rss_mb"]
    targets.append({"name": "ingest_peak_rss", "target": "< 1024 MB", "met": peak < 1024,
                    "value": peak})
    worker = max(http["worker_rss_mb"]) if http["worker_rss_mb"] else None
    targets.append({"name": "worker_rss", "target": "< 300 MB",
                    "met": worker is not None and worker < 300, "value": worker})
    summary: dict[str, Any] = {"classes": classes, "targets": targets}
    if "fresh" in result:
        summary["fresh"] = summarise_fresh(result["fresh"])
        for cls, row in summary["fresh"].items():
            if "met" in row:
                targets.append({"name": f"fresh_{cls}", "target": row["target"],
                                "met": row["met"], "value": row["ratio_p50_vs_fts5"]})
    return summary


def summarise_fresh(fresh: dict[str, Any]) -> dict[str, Any]:
    """p50/p95 per class and engine of the fresh queries, the ratio to FTS5, and the
    median hit count of each engine (they count differently: see the README)."""
    rows: dict[str, Any] = {}
    classes = [q["cls"] for q in fresh["queries"]]
    for cls in dict.fromkeys(classes):
        row: dict[str, Any] = {}
        for engine in FRESH_ENGINES + opensearch_engines(fresh["times_ms"]):
            values = fresh["times_ms"].get(engine, {}).get(cls, [])
            hits = [t for c, t in zip(classes, fresh["totals"].get(engine, []), strict=False)
                    if c == cls]
            row[engine] = {"p50": _pct(values, 50), "p95": _pct(values, 95), "n": len(values),
                           "hits_p50": _pct(hits, 50)}
        ours, fts = row["threadsearch"]["p50"], row["fts5"]["p50"]
        row["ratio_p50_vs_fts5"] = ours / fts if ours and fts else None
        if cls in FRESH_TARGETS:
            row["target"] = f"<= {FRESH_TARGETS[cls]}x FTS5 p50 (fresh)"
            row["met"] = (row["ratio_p50_vs_fts5"] is not None
                          and row["ratio_p50_vs_fts5"] <= FRESH_TARGETS[cls])
        rows[cls] = row
    return rows


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _hits(cell: dict[str, Any]) -> str:
    return "" if cell["hits_p50"] is None else f"({cell['hits_p50']:.0f})"


def render(result: dict[str, Any]) -> str:
    summary = result["summary"]
    clusters = opensearch_engines(result["times_ms"])
    engines = ENGINES + clusters
    lines = [
        f"== {result['corpus']}: {result['entries']} entries, {result['threads']} threads ==",
        "latency ms, p50/p95 (in-process; http = threadsearch serve --workers 2, 8 clients"
        + ("; opensearch Nn = the opensearch backend's search on an N-node loopback cluster"
           if clusters else "") + ")",
    ]
    head = (f"{'class':<22}" + "".join(f"{_label(e):>16}" for e in engines)
            + f"{'ts/fts5':>15}  target")
    lines += [head, "-" * len(head)]
    for cls in CLASSES:
        row = summary["classes"][cls]
        cells = "".join(f"{_ms(row[e]['p50']) + '/' + _ms(row[e]['p95']):>16}" for e in engines)
        r50, r95 = row["ratio_p50_vs_fts5"], row["ratio_p95_vs_fts5"]
        ratio = f"{r50:.2f}/{r95:.2f}" if r50 and r95 else "-"
        target = ""
        if "target" in row:
            target = f"{row['target']}: {'MET' if row['met'] else 'MISSED'}"
        lines.append(f"{cls:<22}{cells}{ratio:>15}  {target}")
    if "fresh" in summary:
        lines.append("")
        lines.append("fresh queries (each word new to the process in its class), ms p50/p95, "
                     "median hits:")
        fresh_engines = FRESH_ENGINES + opensearch_engines(result["fresh"]["times_ms"])
        head = (f"{'class':<22}" + "".join(f"{_label(e):>22}" for e in fresh_engines)
                + f"{'ts/fts5':>9}")
        lines += [head, "-" * len(head)]
        for cls, row in summary["fresh"].items():
            cells = "".join(
                f"{_ms(row[e]['p50']) + '/' + _ms(row[e]['p95']) + ' ' + _hits(row[e]):>22}"
                for e in fresh_engines)
            r50 = row["ratio_p50_vs_fts5"]
            lines.append(f"{cls:<22}{cells}{(f'{r50:.2f}' if r50 else '-'):>9}")
    http = result["http"]
    lines.append("")
    lines.append(
        f"HTTP: {http['rps']:.1f} req/s with {http['clients']} clients on {http['workers']} "
        f"workers; in-process {http['in_process_qps']:.1f} q/s (1 thread); worker RSS "
        + ", ".join(f"{m:.0f} MB" for m in http["worker_rss_mb"])
    )
    if "threadsearch_first_query_ms" in result:
        lines.append(f"threadsearch first query after open (loads columns): "
                     f"{result['threadsearch_first_query_ms']:.0f} ms")
    lines.append("")
    lines.append(f"{'ingest':<22}{'docs/s':>10}{'net s':>9}{'peak RSS MB':>13}{'index MB':>10}")
    for engine, r in result["ingest"].items():
        if engine == "null":
            lines.append(f"{'(corpus read only)':<22}{'':>10}{r['seconds']:>9.1f}"
                         f"{r['peak_rss_mb']:>13.0f}{'':>10}")
            continue
        rate = f"{r['docs_per_s']:.0f}" if r.get("docs_per_s") else "-"
        label = {"whoosh": "whoosh (ix.writer())", "threadsearch-paths":
                 "threadsearch ingest_paths"}.get(engine, _label(engine))
        lines.append(f"{label:<22}{rate:>10}{r['net_seconds']:>9.1f}"
                     f"{r['peak_rss_mb']:>13.0f}{r['size_bytes'] / 2**20:>10.1f}")
    for engine, info in result.get("opensearch", {}).items():
        r = result["ingest"][engine]
        same, asked = info.get("same_totals", (0, 0))
        lines.append(f"{engine}: {info['nodes']} node(s), {info['shards']} shard(s), "
                     f"green {info['green_after_s']:.0f} s after start; JVMs "
                     f"{r['cluster_rss_mb']:.0f} MB after ingest (peak RSS above: the "
                     f"client); totals equal threadsearch's on {same} of {asked} queries")
    lines.append("")
    lines.append("targets:")
    for t in summary["targets"]:
        value = t["value"]
        shown = "-" if value is None else f"{value:.2f}"
        verdict = "n/a   " if t["met"] is None else "MET   " if t["met"] else "MISSED"
        lines.append(f"  {verdict} {t['name']:<22} {t['target']:<30} "
                     f"(value {shown})")
    if result["mismatches"]:
        lines.append("")
        lines += result["mismatches"]
    elif result.get("whoosh_skipped"):
        lines.append("\nchecks: obvious Whoosh not run at this size (--whoosh-max)")
    else:
        lines.append("\nchecks: threadsearch and Whoosh agree on every total, date-sorted first "
                     "ids and author facet counts")
    return "\n".join(lines)


# --- the README's tables --------------------------------------------------------------------

LABELS = {
    "common_term": "common term, top 10",
    "rare_term": "rare term",
    "two_term_and": "two-term AND",
    "phrase": "phrase",
    "author_filter": "term + author filter",
    "date_newest": "term + date range, newest first",
    "browse_facets": "browse: author, kind, month facets",
    "broad_facets": "broad term + author, month facets",
    "broad_facets_selected": "the same, one author selected",
    "repeated": "repeated query",
    "thread_fetch": "thread fetch",
}


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def markdown(result: dict[str, Any]) -> str:
    """The latency and ingest tables of one corpus, as in the README."""
    summary = result["summary"]
    lines = [
        "| query class | threadsearch | HTTP (8 clients) | Whoosh, obvious | SQLite FTS5 "
        "| Tantivy | threadsearch / FTS5 (p50) | target |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for cls in CLASSES:
        row = summary["classes"][cls]
        cells = [LABELS[cls]]
        for engine in ENGINES:
            p50, p95 = row[engine]["p50"], row[engine]["p95"]
            if p50 is None:
                cells.append("not run")
            elif row[engine]["n"] == 1:
                cells.append(_ms(p50))
            else:
                cells.append(f"{_ms(p50)} / {_ms(p95)}")
        ratio = row["ratio_p50_vs_fts5"]
        cells.append("" if ratio is None or cls == "repeated" else f"{ratio:.2f}")
        target = row.get("target", "").replace("<= ", "≤ ").replace("x FTS5 p50", "")
        cells.append(f"{target} {'met' if row['met'] else 'MISSED'}" if "met" in row else "")
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        "| ingest | documents/s | seconds | peak memory | index size |",
        "|---|---|---|---|---|",
    ]
    names = {
        "threadsearch": "threadsearch",
        "whoosh": "Whoosh, `ix.writer()`",
        "fts5": "SQLite FTS5",
        "tantivy": "Tantivy",
        "threadsearch-paths": "`threadsearch ingest` from the files, parsing included",
    }
    for engine, label in names.items():
        r = result["ingest"].get(engine)
        if r is None:
            continue
        memory = f"{r['peak_rss_mb']:,.0f} MB"
        if engine.startswith("threadsearch"):
            memory += " (all processes)"
        lines.append(
            f"| {label} | {r['docs_per_s']:,.0f} | {r['net_seconds']:,.0f} | {memory} "
            f"| {r['size_bytes'] / 2**20:,.0f} MB |"
        )
    http = result["http"]
    lines += [
        "",
        f"HTTP: {http['rps']:.1f} requests/s against {http['in_process_qps']:.1f} queries/s "
        f"in process ({http['rps'] / http['in_process_qps']:.2f}); serving workers "
        + ", ".join(f"{mb:.0f} MB" for mb in http["worker_rss_mb"])
        + f"; first query after opening the index {result['threadsearch_first_query_ms']:,.0f} ms.",
    ]
    for t in summary["targets"]:
        if t["name"] in ("http_rps", "ingest_rate", "ingest_peak_rss", "worker_rss"):
            value = "-" if t["value"] is None else f"{t['value']:.2f}"
            verdict = "n/a" if t["met"] is None else "met" if t["met"] else "MISSED"
            lines.append(f"- {t['name']}: {value} ({t['target']}: {verdict})")
    if opensearch_engines(result["times_ms"]):
        lines += ["", markdown_opensearch(result)]
    return "\n".join(lines)


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value and base else ""


def markdown_opensearch(result: dict[str, Any]) -> str:
    """The opensearch backend beside threadsearch and FTS5 of the same run: p50 in ms
    and the ratio to FTS5 (the comparable figure on a shared machine), warm and fresh,
    then the cluster's ingest."""
    summary = result["summary"]
    clusters = opensearch_engines(result["times_ms"])
    head = ["query class", "threadsearch", "SQLite FTS5"]
    head += [f"OpenSearch, {_nodes(e)}" for e in clusters]
    head += ["threadsearch / FTS5"] + [f"{_nodes(e)} / FTS5" for e in clusters]
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]

    def rows(table: dict[str, Any], label: str) -> None:
        for cls, row in table.items():
            if cls not in LABELS or row["fts5"]["n"] == 0:
                continue
            fts = row["fts5"]["p50"]
            engines = ["threadsearch", "fts5", *clusters]
            cells = [LABELS[cls] + label] + [_ms(row[e]["p50"]) for e in engines]
            cells += [_ratio(row[e]["p50"], fts) for e in ["threadsearch", *clusters]]
            lines.append("| " + " | ".join(cells) + " |")

    rows(summary["classes"], "")
    if "fresh" in summary:
        rows(summary["fresh"], " (fresh)")
    lines += ["", "| ingest, same corpus | documents/s | seconds | index size | JVMs after |",
              "|---|---|---|---|---|"]
    for engine in ["threadsearch", "fts5", *clusters]:
        r = result["ingest"][engine]
        jvm = f"{r['cluster_rss_mb']:,.0f} MB" if "cluster_rss_mb" in r else ""
        label = {"threadsearch": "threadsearch", "fts5": "SQLite FTS5"}.get(engine)
        label = label or f"OpenSearch, {_nodes(engine)}"
        lines.append(f"| {label} | {r['docs_per_s']:,.0f} | {r['net_seconds']:,.0f} "
                     f"| {r['size_bytes'] / 2**20:,.0f} MB | {jvm} |")
    for engine, info in result.get("opensearch", {}).items():
        same, asked = info.get("same_totals", (0, 0))
        lines.append(f"\nOpenSearch, {_nodes(engine)}: totals equal threadsearch's on {same} of "
                     f"{asked} warm queries.")
    return "\n".join(lines)


if __name__ == "__main__":
    import json
    import sys
    from pathlib import Path

    if len(sys.argv) < 2:
        sys.exit("usage: python -m bench.report RESULTS.json [CORPUS]  (prints README tables)")
    results = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    for name, corpus in results["corpora"].items():
        if len(sys.argv) > 2 and name != sys.argv[2]:
            continue
        if "summary" in corpus:
            print(f"### {name}\n\n{markdown(corpus)}\n")

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


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    times = result["times_ms"]
    classes: dict[str, Any] = {}
    targets: list[dict[str, Any]] = []
    for cls in CLASSES:
        row: dict[str, Any] = {}
        for engine in ENGINES:
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
    return {"classes": classes, "targets": targets}


def _ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def render(result: dict[str, Any]) -> str:
    summary = result["summary"]
    lines = [
        f"== {result['corpus']}: {result['entries']} entries, {result['threads']} threads ==",
        "latency ms, p50/p95 (in-process; http = threadsearch serve --workers 2, 8 clients)",
    ]
    head = f"{'class':<22}" + "".join(f"{e:>16}" for e in ENGINES) + f"{'ts/fts5':>15}  target"
    lines += [head, "-" * len(head)]
    for cls in CLASSES:
        row = summary["classes"][cls]
        cells = "".join(f"{_ms(row[e]['p50']) + '/' + _ms(row[e]['p95']):>16}" for e in ENGINES)
        r50, r95 = row["ratio_p50_vs_fts5"], row["ratio_p95_vs_fts5"]
        ratio = f"{r50:.2f}/{r95:.2f}" if r50 and r95 else "-"
        target = ""
        if "target" in row:
            target = f"{row['target']}: {'MET' if row['met'] else 'MISSED'}"
        lines.append(f"{cls:<22}{cells}{ratio:>15}  {target}")
    http = result["http"]
    lines.append("")
    lines.append(
        f"HTTP: {http['rps']:.1f} req/s with {http['clients']} clients on {http['workers']} "
        f"workers; in-process {http['in_process_qps']:.1f} q/s (1 thread); worker RSS "
        + ", ".join(f"{m:.0f} MB" for m in http["worker_rss_mb"])
    )
    if "threadsearch_first_query_ms" in result:
        lines.append(f"threadsearch first query after open (builds columns): "
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
                 "threadsearch ingest_paths"}.get(engine, engine)
        lines.append(f"{label:<22}{rate:>10}{r['net_seconds']:>9.1f}"
                     f"{r['peak_rss_mb']:>13.0f}{r['size_bytes'] / 2**20:>10.1f}")
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
